"""Poisson comparisons against independent references: SciPy's binomtest, statsmodels, Wheeler's example."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import rates
from statsmodels.stats.multitest import multipletests

from metforward.analyse.poisson import (
    CANT_TELL,
    DOWN,
    UP,
    VERDICTS,
    bh_qvalues,
    binom_test_two_sided,
    compare_poisson,
    judge_table,
    poisson_interval,
    sqrt_z,
    verdicts,
)

# (0, 1) open; below 1e-300 SciPy's own binomtest overflows (boost's ibeta_derivative), so the
# reference has nothing to say there
probabilities = st.floats(min_value=1e-300, max_value=1, exclude_max=True)


@st.composite
def binomial_cases(draw: st.DrawFn, max_n: int = 200_000) -> tuple[int, int, float]:
    n = draw(st.integers(min_value=1, max_value=max_n))
    p = draw(probabilities)
    # half the time near the mean, where the two tails meet and the search matters most
    near = draw(st.booleans())
    if near:
        spread = max(1, int(4 * math.sqrt(n * p * (1 - p))))
        k = draw(st.integers(min_value=max(0, int(n * p) - spread), max_value=min(n, int(n * p) + spread)))
    else:
        k = draw(st.integers(min_value=0, max_value=n))
    return k, n, p


def scipy_p(k: int, n: int, p: float) -> float:
    return 1.0 if n == 0 else float(stats.binomtest(k, n, p).pvalue)


@settings(max_examples=300, deadline=None)
@given(st.lists(binomial_cases(), min_size=1, max_size=25))
def test_binom_test_equals_scipy_binomtest_for_every_row(cases: list[tuple[int, int, float]]) -> None:
    k, n, p = (np.array(column) for column in zip(*cases, strict=True))
    got = binom_test_two_sided(k, n, p)
    want = np.array([scipy_p(*case) for case in cases])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [
        (3, 6, 0.5),  # k = np: p value 1
        (2, 6, 0.5),  # symmetric ties: pmf(2) == pmf(4) exactly
        (0, 1, 0.5),
        (1, 1, 0.5),
        (0, 10, 0.01),
        (10, 10, 0.99),
        (25, 41, 0.5),  # Wheeler's 16 -> 25, conditioned on the total
        (0, 200_000, 1e-5),
        (200_000, 200_000, 0.999_99),
        (100_000, 200_000, 0.5),
        (99_000, 200_000, 0.5),
        (7, 200_000, 0.3),
    ],
)
def test_binom_test_edge_cases_equal_scipy(k: int, n: int, p: float) -> None:
    assert binom_test_two_sided(k, n, p) == pytest.approx(scipy_p(k, n, p), rel=1e-12)


def test_binom_test_n_zero_shapes_and_bad_input() -> None:
    assert binom_test_two_sided(0, 0, 0.3) == 1.0
    assert binom_test_two_sided([0, 0], [0, 0], [0.2, 0.7]).tolist() == [1.0, 1.0]
    grid = binom_test_two_sided(np.array([[1], [2]]), 4, np.array([0.25, 0.5]))
    assert grid.shape == (2, 2)
    assert grid[1, 1] == pytest.approx(scipy_p(2, 4, 0.5))
    assert binom_test_two_sided(np.array([], dtype=int), np.array([], dtype=int), 0.5).shape == (0,)
    for k, n, p in [(5, 4, 0.5), (-1, 4, 0.5), (1.5, 4, 0.5), (1, 4, 1.5), (1, 4, -0.1)]:
        with pytest.raises(ValueError):
            binom_test_two_sided(k, n, p)


# compare_poisson against statsmodels' exact conditional test.
# statsmodels.stats.rates.test_poisson_2indep(count1, exposure1, count2, exposure2, method="exact-cond")
# tests count1 ~ Binomial(count1 + count2, exposure1 / (exposure1 + exposure2)) with
# statsmodels.stats.proportion.binom_test, which for two-sided calls scipy.stats.binomtest ("minlike").
# Ours conditions `after` on the total with p = exposure_after / (exposure_before + exposure_after),
# so count1 = after, exposure1 = exposure_after, count2 = before, exposure2 = exposure_before: the
# same test with the same convention. (statsmodels computes the null proportion as r/(1+r) with
# r = exposure1/exposure2, which can differ from ours in the last bit; hence rel=1e-9 and not 0.)
# statsmodels cannot take before + after = 0 (binomtest needs n >= 1); those rows are tested apart.
counts = st.integers(min_value=0, max_value=5_000)
months = st.integers(min_value=1, max_value=36)


@settings(max_examples=300, deadline=None)
@given(counts, counts, months, months)
def test_p_value_equals_statsmodels_exact_conditional(before: int, after: int, t_before: int, t_after: int) -> None:
    if before + after == 0:
        assert compare_poisson(before, after, t_before, t_after).p_value == 1.0
        return
    ours = float(compare_poisson(before, after, t_before, t_after).p_value)
    theirs = float(rates.test_poisson_2indep(after, t_after, before, t_before, method="exact-cond").pvalue)
    assert ours == pytest.approx(theirs, rel=1e-9)


def clopper_pearson_ratio(
    before: int, after: int, t_before: float, t_after: float, confidence: float
) -> tuple[float, float]:
    """The rate ratio's interval mapped from SciPy's Clopper-Pearson interval of after / (before + after)."""
    ci = stats.binomtest(after, before + after, t_after / (t_before + t_after)).proportion_ci(
        confidence_level=confidence, method="exact"
    )
    scale = t_before / t_after
    low = ci.low / (1 - ci.low) * scale
    high = math.inf if ci.high >= 1 else ci.high / (1 - ci.high) * scale
    return low, high


@settings(max_examples=200, deadline=None)
@given(counts, counts, months, months, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_is_the_mapped_clopper_pearson_interval(
    before: int, after: int, t_before: int, t_after: int, confidence: float
) -> None:
    result = compare_poisson(before, after, t_before, t_after, confidence=confidence)
    if before + after == 0:
        assert math.isnan(result.ci_low) and math.isnan(result.ci_high)
        return
    low, high = clopper_pearson_ratio(before, after, t_before, t_after, confidence)
    # SciPy finds the interval by root finding (brentq, xtol 2e-12), ours from beta quantiles
    assert float(result.ci_low) == pytest.approx(low, rel=1e-7, abs=1e-12)
    assert float(result.ci_high) == pytest.approx(high, rel=1e-7)
    assert float(result.ci_low) <= float(result.rate_ratio) <= float(result.ci_high)


def test_edges_of_the_ratio_and_its_interval() -> None:
    r = compare_poisson([0, 0, 7, 4], [0, 5, 0, 4], 12, 12)
    assert np.isnan(r.rate_ratio[0]) and np.isnan(r.ci_low[0]) and np.isnan(r.ci_high[0]) and r.p_value[0] == 1
    assert r.rate_ratio[1] == math.inf and r.ci_high[1] == math.inf and 0 < r.ci_low[1] < math.inf
    assert r.rate_ratio[2] == 0 and r.ci_low[2] == 0 and 0 < r.ci_high[2] < math.inf
    assert r.change.tolist() == [0, 5, -7, 0]
    assert r.change_pct[3] == 0 and np.isinf(r.change_pct[1]) and r.change_pct[2] == -100


def test_exposures_change_the_ratio_not_the_counts() -> None:
    # 30 crimes in 6 months of data against 60 in 12: the same monthly rate
    r = compare_poisson(30, 60, 6, 12)
    assert float(r.rate_ratio) == pytest.approx(1.0)
    assert float(r.change_pct) == pytest.approx(0.0, abs=1e-12)
    assert int(r.change) == 30
    assert float(r.p_value) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        compare_poisson(1, 2, 0, 1)
    with pytest.raises(ValueError):
        compare_poisson(1.5, 2, 1, 1)
    with pytest.raises(ValueError):
        compare_poisson(-1, 2, 1, 1)
    with pytest.raises(ValueError):
        compare_poisson(1, 2, 1, 1, confidence=1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(counts, counts, months, months), min_size=1, max_size=20))
def test_swapping_before_and_after_inverts_the_ratio_and_swaps_the_interval(
    rows: list[tuple[int, int, int, int]],
) -> None:
    b, a, tb, ta = (np.array(column) for column in zip(*rows, strict=True))
    forward = compare_poisson(b, a, tb, ta)
    backward = compare_poisson(a, b, ta, tb)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(backward.rate_ratio, 1 / forward.rate_ratio, rtol=1e-12)
        np.testing.assert_allclose(backward.ci_low, 1 / forward.ci_high, rtol=1e-9)
        np.testing.assert_allclose(backward.ci_high, 1 / forward.ci_low, rtol=1e-9)
    np.testing.assert_allclose(backward.p_value, forward.p_value, rtol=1e-9)
    np.testing.assert_array_equal(backward.change, -forward.change)


@given(st.integers(min_value=0, max_value=100_000), st.integers(min_value=1, max_value=120))
def test_equal_counts_over_equal_periods_are_never_significant(count: int, t: int) -> None:
    r = compare_poisson(count, count, t, t)
    assert float(r.p_value) == 1.0
    assert verdicts(r.rate_ratio, r.p_value) == [CANT_TELL]
    if count:
        assert float(r.rate_ratio) == 1.0 and float(r.ci_low) < 1 < float(r.ci_high)


def test_change_pct_is_the_count_change_when_exposures_are_equal() -> None:
    r = compare_poisson([16, 200, 50], [25, 150, 50], 3, 3)
    np.testing.assert_allclose(r.change_pct, [56.25, -25.0, 0.0])
    r2 = compare_poisson(16, 25, 3, 6)  # six months against three: the rate fell
    assert float(r2.change_pct) == pytest.approx((25 / 6 / (16 / 3) - 1) * 100)


def test_wheeler_worked_example() -> None:
    """Wheeler (2018): 16 -> 25 robberies is +56%, but the square-root z is only 2."""
    assert float(sqrt_z(16, 25)) == 2.0
    # a year of history averaging 16 a month, against one month of 25
    assert float(sqrt_z(16 * 12, 25, 12, 1)) == pytest.approx(2.0)
    assert float(sqrt_z(25, 16)) == -2.0
    # treating both months as Poisson: sqrt(2), close to the E-test's p of 0.165 that he reports
    z2 = float(sqrt_z(16, 25, two_sample=True))
    assert z2 == pytest.approx(math.sqrt(2))
    assert 2 * stats.norm.sf(z2) == pytest.approx(0.157, abs=5e-4)
    assert rates.test_poisson_2indep(25, 1, 16, 1, method="etest").pvalue == pytest.approx(0.165, abs=5e-4)
    assert float(compare_poisson(16, 25, 1, 1).p_value) == pytest.approx(0.211, abs=5e-4)
    np.testing.assert_allclose(sqrt_z([0, 4, 9], [0, 9, 4]), [0.0, 2.0, -2.0])
    with pytest.raises(ValueError):
        sqrt_z(-1, 3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=60))
def test_bh_qvalues_equal_statsmodels(p: list[float]) -> None:
    np.testing.assert_allclose(bh_qvalues(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12, atol=1e-15)


def test_bh_qvalues_skip_nan_and_do_not_count_it() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.5])
    q = bh_qvalues(p)
    assert np.isnan(q[1]) and np.isnan(q[4])
    finite = ~np.isnan(p)
    np.testing.assert_allclose(q[finite], multipletests(p[finite], method="fdr_bh")[1])
    assert q[0] == pytest.approx(0.01 * 4 / 1)  # m = 4, not 6
    assert np.isnan(bh_qvalues([np.nan])).all()
    assert bh_qvalues([]).shape == (0,)


def test_verdicts() -> None:
    assert VERDICTS == (UP, DOWN, CANT_TELL) == ("up", "down", "can't tell")
    ratio = [1.5, 0.5, 1.5, np.inf, 0.0, np.nan, 1.0, 2.0]
    q = [0.01, 0.01, 0.2, 0.001, 0.001, 0.01, 0.01, np.nan]
    assert verdicts(ratio, q) == [UP, DOWN, CANT_TELL, UP, DOWN, CANT_TELL, CANT_TELL, CANT_TELL]
    assert verdicts([1.5], [0.04], alpha=0.01) == [CANT_TELL]
    assert verdicts([1.5], [0.05]) == [CANT_TELL]  # significant means q < alpha, strictly


def test_judge_table_leaves_rows_without_exposure_out_of_the_q_values() -> None:
    rows = judge_table([100, 40, 7], [160, 45, 9], [12, 12, 0], [12, 12, 12], alpha=0.05)
    alone = judge_table([100, 40], [160, 45], [12, 12], [12, 12], alpha=0.05)
    assert rows[:2] == alone  # the row with no months before changes nothing for the others
    assert rows[2][6] == CANT_TELL and all(np.isnan(v) for v in rows[2][:6])
    assert rows[0][6] == UP and rows[0][5] == pytest.approx(bh_qvalues([rows[0][4], rows[1][4]])[0])
    assert judge_table([], [], [], []) == []


def test_poisson_interval_matches_statsmodels() -> None:
    for count in (0, 1, 7, 652):
        low, high = poisson_interval(count)
        ref_low, ref_high = rates.confint_poisson(count, 1, method="exact-c")
        assert abs(low - float(ref_low)) < 1e-6 and abs(high - float(ref_high)) < 1e-6
