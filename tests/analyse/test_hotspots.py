"""Gi*: z scores equal PySAL esda's to 1e-6, permutation p values agree within Monte Carlo error, FDR behaves."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from scipy import sparse

from metforward.analyse.hotspots import (
    band_weights,
    classify,
    contiguity_weights,
    getis_ord_star,
    grid_over,
    random_draws,
)

esda = pytest.importorskip("esda", reason="esda is the reference for Gi* (a dev dependency)")
libpysal = pytest.importorskip("libpysal")


def esda_gi(y: np.ndarray, centres: np.ndarray, band: float, permutations: int = 0, seed: int = 0) -> object:
    """esda's Gi* with libpysal's own binary distance-band weights built from the cell centres."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(centres, threshold=band, binary=True, silence_warnings=True)
        w = libpysal.weights.fill_diagonal(w, 1)
        return esda.getisord.G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed)


def clustered_counts(grid_n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(rng.gamma(0.6, 5.0, grid_n)).astype(float)


@pytest.mark.parametrize("band", [None, 500.0, 0.0])
def test_z_scores_equal_esda_with_the_same_binary_distance_band(band: float | None) -> None:
    rng = np.random.default_rng(11)
    grid = grid_over(250, x=[530000, 530000 + 250 * 39.5], y=[180000, 180000 + 250 * 29.5])
    assert grid.n == 40 * 30
    y = clustered_counts(grid.n, rng)
    w = band_weights(grid, band)
    mine = getis_ord_star(y, w)
    centres = np.column_stack([grid.x + 125, grid.y + 125])
    reach = 250 * np.sqrt(2) + 1e-6 if band is None else band + 1e-6
    if band == 0.0:
        # only the cell itself: every z is 0/0 in theory; esda needs neighbours, so check the weights instead
        assert (w != sparse.identity(grid.n)).nnz == 0
        return
    ref = esda_gi(y, centres, reach)
    np.testing.assert_allclose(mine.z, ref.Zs, atol=1e-6)
    np.testing.assert_allclose(mine.g, ref.Gs, atol=1e-12)
    np.testing.assert_allclose(mine.expected, ref.EGs, atol=1e-12)


def test_band_weights_count_the_cells_within_the_band() -> None:
    grid = grid_over(100, x=[0, 999], y=[0, 999])
    interior = int(np.nonzero((grid.col == 5) & (grid.row == 5))[0][0])
    cards = {None: 9, 100.0: 5, 200.0: 13, 0.0: 1}
    for band, expected in cards.items():
        w = band_weights(grid, band)
        assert w[[interior], :].sum() == expected, band
        assert (w != w.T).nnz == 0 and w.diagonal().all()
    corner = int(np.nonzero((grid.col == 0) & (grid.row == 0))[0][0])
    assert band_weights(grid)[[corner], :].sum() == 4


def test_permutation_p_values_equal_a_plain_loop_over_the_same_draws() -> None:
    rng = np.random.default_rng(5)
    grid = grid_over(250, x=[0, 250 * 14.5], y=[0, 250 * 9.5])
    y = clustered_counts(grid.n, rng)
    w = band_weights(grid)
    permutations, seed = 199, 42
    mine = getis_ord_star(y, w, permutations=permutations, seed=seed)
    # the same draws, used the plain way (esda's algorithm written as a loop)
    off = w.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    card = np.diff(off.indptr)
    ids = random_draws(grid.n, int(card.max()), permutations, seed)
    expected = np.empty(grid.n)
    for i in range(grid.n):
        others = np.delete(y, i)
        observed = (off[[i], :] @ y)[0]
        random = others[ids[:, : card[i]]].sum(axis=1)
        larger = int((random >= observed).sum())
        larger = min(larger, permutations - larger)
        expected[i] = min(1.0, 2 * (larger + 1) / (permutations + 1))
    np.testing.assert_allclose(mine.p_sim, expected)


def test_permutation_p_values_agree_with_esda_within_monte_carlo_error() -> None:
    rng = np.random.default_rng(8)
    grid = grid_over(250, x=[0, 250 * 29.5], y=[0, 250 * 29.5])
    y = clustered_counts(grid.n, rng)
    mine = getis_ord_star(y, band_weights(grid), permutations=999, seed=1)
    ref = esda_gi(y, np.column_stack([grid.x + 125, grid.y + 125]), 250 * np.sqrt(2) + 1e-6, permutations=999, seed=2)
    theirs = np.minimum(1.0, 2 * ref.p_sim)
    assert mine.p_sim is not None
    diff = np.abs(mine.p_sim - theirs)
    # two independent Monte Carlo estimates of the same p: sd of the difference <= sqrt(2 * 4 * 0.25 / 1000) ~ 0.045
    assert diff.mean() < 0.03 and np.quantile(diff, 0.99) < 0.15
    assert np.corrcoef(mine.p_sim, theirs)[0, 1] > 0.97


def test_nothing_is_flagged_on_counts_without_spatial_pattern() -> None:
    rng = np.random.default_rng(3)
    grid = grid_over(250, x=[0, 250 * 49.5], y=[0, 250 * 49.5])
    w = band_weights(grid)
    flagged = [sum(c != "none" for c in classify(rng.poisson(4.0, grid.n), w).classes) for _ in range(20)]
    # BH at 5% over 2,500 cells: under the null, a false flag appears in at most about 5% of maps
    assert sum(flagged) <= 3, flagged


def test_a_planted_hot_spot_is_found_and_only_there() -> None:
    rng = np.random.default_rng(4)
    grid = grid_over(250, x=[0, 250 * 39.5], y=[0, 250 * 39.5])
    y = rng.poisson(3.0, grid.n).astype(float)
    planted = (np.abs(grid.col - 20) <= 1) & (np.abs(grid.row - 20) <= 1)
    y[planted] += 15
    result = classify(y, band_weights(grid))
    hot = np.array([c == "hot" for c in result.classes])
    assert hot[planted].all()
    near = (np.abs(grid.col - 20) <= 2) & (np.abs(grid.row - 20) <= 2)
    assert not hot[~near].any()


def test_grid_covers_the_area_with_zero_cells_and_lower_left_corners() -> None:
    area = shapely.Point(530_125, 180_125).buffer(1_000)
    grid = grid_over(250, area=area, x=[529_300.0, 531_900.0], y=[180_100.0, 180_100.0])
    assert (grid.x % 250 == 0).all() and (grid.y % 250 == 0).all()
    # every cell overlapping the circle is in, and so is the cell of the point outside it
    assert grid.locate([531_900.0], [180_100.0])[0] >= 0
    boxes = grid.polygons()
    inside = shapely.intersects(area, boxes) & ~shapely.touches(area, boxes)
    assert inside.sum() == grid.n - 1
    counts, outside = grid.counts([529_300.0, 531_900.0, 529_301.0, 600_000.0], [180_100.0, 180_100.0, 180_101.0, 0.0])
    assert counts.sum() == 3 and outside == 1 and counts.max() == 2


def test_lsoa_contiguity_weights_are_symmetric_and_include_each_area() -> None:
    squares = [shapely.box(i, j, i + 1, j + 1) for i in range(3) for j in range(3)]
    w = contiguity_weights(squares)
    assert w.diagonal().all() and (w != w.T).nnz == 0
    assert w[[4], :].sum() == 9 and w[[0], :].sum() == 4  # queen: the centre touches all, a corner three
    y = np.array([1.0, 2, 3, 4, 50, 6, 7, 8, 9])
    ref = esda.getisord.G_Local(
        y,
        libpysal.weights.fill_diagonal(libpysal.weights.Queen.from_iterable(squares), 1),
        transform="B",
        star=True,
        permutations=0,
    )
    np.testing.assert_allclose(getis_ord_star(y, w).z, ref.Zs, atol=1e-6)
