"""The access kernel: nearest sites equal a brute-force search, crescent-shaped areas get a point inside them, and a
small known case gives the shares by hand."""

from __future__ import annotations

import math

import numpy as np
import shapely

from metforward.analyse.access import measure_access, nearest, representative_point


def test_nearest_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    points, sites = rng.uniform(0, 10_000, (5000, 2)), rng.uniform(0, 10_000, (40, 2))
    distance, index = nearest(points, sites)
    brute = np.hypot(points[:, None, 0] - sites[None, :, 0], points[:, None, 1] - sites[None, :, 1])
    assert np.allclose(distance, brute.min(axis=1)) and (index == brute.argmin(axis=1)).all()
    assert np.isinf(nearest(points[:3], np.zeros((0, 2)))[0]).all()


def test_a_crescent_gets_a_point_inside_it() -> None:
    crescent = shapely.difference(shapely.Point(0, 0).buffer(10), shapely.Point(4, 0).buffer(8))
    assert shapely.contains(crescent, representative_point(crescent))
    square = shapely.box(0, 0, 2, 2)
    assert representative_point(square).equals(shapely.Point(1, 1))


def test_shares_by_hand() -> None:
    lsoas = [
        ("L1", "one", "B1", "Borough 1", 100.0, 0.0, 0.0),
        ("L2", "two", "B1", "Borough 1", 300.0, 3000.0, 0.0),
        ("L3", "three", "B2", "Borough 2", 600.0, 10_000.0, 0.0),
    ]
    counters = [
        ("A", "B1", 0.0, 0.0, True, True),
        ("B", "B1", 3000.0, 0.0, True, False),
        ("C", "B2", 9000.0, 0.0, True, False),
    ]
    result = measure_access(lsoas, counters)
    b1, b2 = result.boroughs
    assert [r.distance_after_m for r in result.lsoas] == [0.0, 3000.0, 10_000.0]
    assert (b1.share_beyond_before, b1.share_beyond_after, b1.newly_beyond) == (0.0, 0.75, 300.0)
    assert math.isclose(b1.mean_after_m, (100 * 0 + 300 * 3000) / 400)
    assert (b2.counters_before, b2.counters_after, b2.share_beyond_after) == (1, 0, 1.0)
    assert result.london.population == 1000 and result.london.beyond_after == 900
