"""Knox near-repeat test: brute-force O(n^2) counts, planted near repeats, the null, months, seeds, bad inputs."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from metforward.analyse.near_repeat import KnoxResult, _pair_lag_counts, knox_test

Ints = NDArray[np.int64]


def _brute_table(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    t: NDArray[np.int64],
    *,
    space_bandwidth: float = 100.0,
    space_bands: int = 5,
    time_bandwidth: int = 7,
    time_bands: int = 5,
    time_unit: str = "day",
) -> Ints:
    """Every pair, one by one in plain Python: the calculator's bands written out independently."""
    table = np.zeros((space_bands + 2, time_bands + 1), dtype=np.int64)
    n = len(x)
    for a in range(n):
        for b in range(a + 1, n):
            d = math.hypot(x[a] - x[b], y[a] - y[b])
            if d == 0:
                s = 0
            elif d <= space_bands * space_bandwidth:
                s = math.ceil(d / space_bandwidth)
            else:
                s = space_bands + 1
            dt = abs(int(t[a]) - int(t[b]))
            if time_unit == "day":
                tb = 0 if dt <= time_bandwidth else math.ceil(dt / time_bandwidth) - 1
            else:
                tb = 0 if dt == 0 else math.ceil(dt / time_bandwidth)
            table[s, min(tb, time_bands)] += 1
    return table


def _small_set(seed: int, n: int = 150) -> tuple[NDArray[np.float64], NDArray[np.float64], Ints]:
    """Points on a 10 m grid in a 1.2 km square (so exact band edges like 100 m and repeated points
    occur), a few exact duplicates, and integer days over 10 weeks."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 120, n).astype(np.float64) * 10.0
    y = rng.integers(0, 120, n).astype(np.float64) * 10.0
    x[n - 10 :], y[n - 10 :] = x[:10], y[:10]  # ten repeat locations
    y[10], x[10] = y[11] + 80.0, x[11] + 60.0  # exactly 100 m apart
    t = rng.integers(0, 70, n).astype(np.int64)
    return x, y, t


def _planted(seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64], Ints]:
    """400 origin burglaries over a 10 km square and a year; each, with probability 0.6, followed by
    1-2 more within 100 m and 1-7 days later."""
    rng = np.random.default_rng(seed)
    ox = rng.uniform(0, 10_000, 400)
    oy = rng.uniform(0, 10_000, 400)
    ot = rng.integers(0, 365, 400)
    xs, ys, ts = [ox], [oy], [ot]
    for k in range(400):
        if rng.random() < 0.6:
            m = int(rng.integers(1, 3))
            r = 100.0 * np.sqrt(rng.uniform(0, 1, m))
            a = rng.uniform(0, 2 * np.pi, m)
            xs.append(ox[k] + r * np.cos(a))
            ys.append(oy[k] + r * np.sin(a))
            ts.append(ot[k] + rng.integers(1, 8, m))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ts).astype(np.int64)


def test_observed_counts_equal_brute_force_including_beyond_bands() -> None:
    x, y, t = _small_set(0)
    result = knox_test(x, y, t, permutations=5, seed=1)
    brute = _brute_table(x, y, t)
    np.testing.assert_array_equal(result.observed, brute)
    assert result.observed.sum() == result.n_pairs == 150 * 149 // 2
    assert result.observed[0].sum() > 0  # same-location pairs were exercised
    assert result.observed[-1].sum() > 0 and result.observed[:, -1].sum() > 0  # so were both beyond bands


def test_observed_counts_with_other_bands_and_clipped_tree_radius() -> None:
    x, y, t = _small_set(3)
    kwargs: dict[str, Any] = {"space_bandwidth": 50.0, "space_bands": 3, "time_bandwidth": 3, "time_bands": 4}
    result = knox_test(x, y, t, permutations=3, seed=0, **kwargs)
    np.testing.assert_array_equal(result.observed, _brute_table(x, y, t, **kwargs))


def test_expected_counts_equal_brute_force_means_over_the_same_permutations() -> None:
    x, y, t = _small_set(1, n=120)
    permutations, seed = 40, 7
    result = knox_test(x, y, t, permutations=permutations, seed=seed)
    rng = np.random.default_rng(seed)  # the documented draw: rng.permutation(n), in order
    tables = np.stack([_brute_table(x, y, t[rng.permutation(len(t))]) for _ in range(permutations)])
    np.testing.assert_allclose(result.expected, tables.mean(axis=0), rtol=0, atol=1e-9)
    exceed = (tables >= result.observed[np.newaxis]).sum(axis=0)
    np.testing.assert_allclose(result.p_value, (1 + exceed) / (permutations + 1), rtol=0, atol=1e-12)
    # The beyond-space row comes from the time histogram, not from pairs: still exact.
    np.testing.assert_allclose(result.expected[-1], tables[:, -1].mean(axis=0), rtol=0, atol=1e-9)
    # Row totals are fixed by the locations: permutations only move pairs between time bands.
    np.testing.assert_allclose(result.expected.sum(axis=1), result.observed.sum(axis=1))


def test_pair_lag_counts_direct_fft_and_brute_force_agree() -> None:
    rng = np.random.default_rng(5)
    t = rng.integers(0, 300, 500)
    hist = np.bincount(t, minlength=300)
    brute = np.bincount(np.abs(t[:, None] - t[None, :])[np.triu_indices(500, 1)], minlength=300)
    np.testing.assert_array_equal(_pair_lag_counts(hist, method="direct"), brute)
    np.testing.assert_array_equal(_pair_lag_counts(hist, method="fft"), brute)


def test_planted_near_repeats_are_found() -> None:
    x, y, t = _planted(11)
    result = knox_test(x, y, t, permutations=999, seed=2)
    near = result.time_bands.index("0-7 days")
    close = result.space_bands.index("1-100 m")
    assert result.ratio[close, near] > 3
    assert result.q_value[close, near] < 0.05
    flagged = {(str(c["space_band"]), str(c["time_band"])) for c in result.significant()}
    assert ("1-100 m", "0-7 days") in flagged
    # Among the finite space bands, only close pairs close in time are flagged.
    finite = {cell for cell in flagged if not cell[0].startswith("beyond")}
    assert finite <= {("1-100 m", "0-7 days"), ("101-200 m", "0-7 days")}
    # Every pair at each time difference is counted somewhere, whatever the shuffle, so the
    # beyond-500 m row mirrors the excess of near pairs: a tiny surplus at long time differences.
    for i, space in enumerate(result.space_bands):
        for j, time in enumerate(result.time_bands):
            if space.startswith("beyond") and result.q_value[i, j] < 0.05 and result.ratio[i, j] > 1:
                assert result.ratio[i, j] < 1.01 and time != "0-7 days"


def _share_below(result: KnoxResult, level: float = 0.05) -> float:
    return float((result.p_value < level).mean())


def test_independent_space_and_time_give_about_the_false_positive_rate() -> None:
    shares, flags = [], 0
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        n = 700
        x, y = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
        t = rng.integers(0, 365, n)
        result = knox_test(x, y, t, permutations=999, seed=seed)
        shares.append(_share_below(result))
        flags += len(result.significant())
    assert np.mean(shares) <= 0.1
    assert flags <= 1


def test_planted_set_with_times_shuffled_shows_no_interaction() -> None:
    shares, flags = [], 0
    for seed in range(4):
        x, y, t = _planted(20 + seed)
        t = np.random.default_rng(seed).permutation(t)
        result = knox_test(x, y, t, permutations=999, seed=seed)
        shares.append(_share_below(result))
        flags += len(result.significant())
    assert np.mean(shares) <= 0.1
    assert flags <= 1


def test_month_resolution_bands_are_months() -> None:
    x, y, _ = _small_set(2, n=100)
    t = np.random.default_rng(2).integers(0, 24, 100)  # month index
    result = knox_test(x, y, t, time_bandwidth=1, permutations=9, seed=0, time_unit="month")
    assert result.time_bands == ("same month", "1 month", "2 months", "3 months", "4 months", "beyond 4 months")
    assert result.time_unit == "month"
    np.testing.assert_array_equal(result.observed, _brute_table(x, y, t, time_bandwidth=1, time_unit="month"))
    # "same month" is its own band: pairs in the same month only.
    dt = np.abs(t[:, None] - t[None, :])[np.triu_indices(100, 1)]
    assert result.observed[:, 0].sum() == int((dt == 0).sum())
    assert result.observed[:, 1].sum() == int((dt == 1).sum())
    wider = knox_test(x, y, t, time_bandwidth=2, time_bands=3, permutations=3, seed=0, time_unit="month")
    assert wider.time_bands == ("same month", "1-2 months", "3-4 months", "beyond 4 months")


def test_day_and_space_labels_follow_the_calculator() -> None:
    x, y, t = _small_set(4, n=30)
    result = knox_test(x, y, t, permutations=1, seed=0)
    assert result.space_bands == (
        "same location",
        "1-100 m",
        "101-200 m",
        "201-300 m",
        "301-400 m",
        "401-500 m",
        "beyond 500 m",
    )
    assert result.time_bands == ("0-7 days", "8-14 days", "15-21 days", "22-28 days", "29-35 days", "beyond 35 days")
    for name in ("observed", "expected", "ratio", "p_value", "q_value"):
        assert getattr(result, name).shape == (7, 6)
    assert result.n_events == 30 and result.n_pairs == 435 and result.time_unit == "day"


def test_seed_makes_results_reproducible_and_workers_do_not_matter() -> None:
    x, y, t = _planted(5)
    a = knox_test(x, y, t, permutations=99, seed=42, workers=1)
    b = knox_test(x, y, t, permutations=99, seed=42, workers=2)
    c = knox_test(x, y, t, permutations=99, seed=43)
    for name in ("observed", "expected", "ratio", "p_value", "q_value"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.expected, c.expected)
    np.testing.assert_array_equal(a.observed, c.observed)


def test_cells_are_json_ready() -> None:
    x, y, t = _small_set(6, n=60)
    x = x + np.random.default_rng(6).uniform(0, 1e-3, 60)  # no same-location pairs: expected 0, ratio NaN
    result = knox_test(x, y, t, permutations=19, seed=1)
    cells = result.cells()
    assert len(cells) == 42
    assert set(cells[0]) == {"space_band", "time_band", "observed", "expected", "ratio", "p_value", "q_value"}
    assert cells[0]["space_band"] == "same location" and cells[0]["ratio"] is None
    json.dumps(cells, allow_nan=False)
    assert sum(c["observed"] for c in cells if isinstance(c["observed"], int)) == result.n_pairs
    with pytest.raises(ValueError, match="alpha"):
        result.significant(alpha=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": [0.0, 1.0], "y": [0.0], "t": [0, 1]}, "equal lengths"),
        ({"x": [0.0], "y": [0.0], "t": [0]}, "at least 2 events"),
        ({"x": [0.0, np.nan], "y": [0.0, 1.0], "t": [0, 1]}, "x has 1 non-finite"),
        ({"x": [0.0, 1.0], "y": [0.0, np.inf], "t": [0, 1]}, "y has 1 non-finite"),
        ({"x": [0.0, 1.0], "y": [0.0, 1.0], "t": [0, np.nan]}, "t has 1 non-finite"),
        ({"x": [0.0, 1.0], "y": [0.0, 1.0], "t": [0, 1.5]}, "t must hold integer"),
        ({"x": ["a", "b"], "y": [0.0, 1.0], "t": [0, 1]}, "x must be numeric"),
        ({"space_bandwidth": 0}, "space_bandwidth must be a positive"),
        ({"space_bandwidth": -5.0}, "space_bandwidth must be a positive"),
        ({"space_bands": 0}, "space_bands must be a positive integer"),
        ({"time_bandwidth": 0}, "time_bandwidth must be a positive integer"),
        ({"time_bandwidth": 1.5}, "time_bandwidth must be a positive integer"),
        ({"time_bands": -1}, "time_bands must be a positive integer"),
        ({"permutations": 0}, "permutations must be an integer >= 1"),
        ({"time_unit": "week"}, "time_unit must be one of"),
        ({"workers": 0}, "workers must be a positive integer"),
        ({"t": [0, 5, 20_000_000]}, "t spans 20000001 time units"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_problem(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"x": [0.0, 10.0, 20.0], "y": [0.0, 0.0, 5.0], "t": [0, 3, 9]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        knox_test(args.pop("x"), args.pop("y"), args.pop("t"), **args)
