"""Most similar boroughs: the weights, the z-scores, and a synthetic case with known neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from metforward.analyse.similar import block_weights, weighted_distances, zscores


def test_weights_give_each_block_equal_weight() -> None:
    w = block_weights(["size", "density", "A", "B", "C", "D"])
    assert w["size"] == w["density"] == 1.0
    assert sum(w[c] for c in "ABCD") == pytest.approx(1.0)


def test_zscores_match_numpy() -> None:
    x = np.array([[1.0, 5.0], [2.0, 5.0], [6.0, 5.0]])
    z = zscores(x)
    assert z[:, 0] == pytest.approx((x[:, 0] - x[:, 0].mean()) / x[:, 0].std())
    assert (z[:, 1] == 0).all()  # a constant column carries no information


def test_synthetic_known_neighbours() -> None:
    # two tight clusters far apart: each point's nearest are its own cluster, in order of distance
    points = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.3], [10.0, 10.0], [10.2, 10.0], [10.0, 10.05]])
    d = weighted_distances(points, np.array([1.0, 1.0]))
    assert d[0, 1] == pytest.approx(0.1) and d[3, 5] == pytest.approx(0.05)
    assert list(np.argsort(d[0])[1:3]) == [1, 2]
    assert list(np.argsort(d[3])[1:3]) == [5, 4]
    half = weighted_distances(points, np.array([1.0, 0.0]))  # weight 0: the second column is ignored
    assert half[0, 2] == 0.0 and half[3, 5] == 0.0
