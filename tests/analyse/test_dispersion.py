"""Quasi-Poisson comparisons against statsmodels' GLM, the fallbacks, and calibration by simulation."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from metforward.analyse.dispersion import (
    OWN,
    POOLED,
    TOO_FEW,
    compare_quasi,
    estimate_dispersion,
    judge,
    moments,
    pearson_x2,
)
from metforward.analyse.poisson import CANT_TELL, judge_table


def glm_quasi(
    y_before: np.ndarray, y_after: np.ndarray, alpha: float = 0.05
) -> tuple[float, float, float, float, float]:
    """(rate ratio, ci low, ci high, p, scale) from statsmodels' quasi-Poisson GLM on the monthly counts."""
    y = np.concatenate([y_before, y_after]).astype(float)
    x = sm.add_constant(np.concatenate([np.zeros(len(y_before)), np.ones(len(y_after))]))
    fit = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2", use_t=True)
    low, high = np.exp(fit.conf_int(alpha)[1])
    return float(np.exp(fit.params[1])), float(low), float(high), float(fit.pvalues[1]), float(fit.scale)


def nb(rng: np.random.Generator, mean: float, phi: float, size: int) -> np.ndarray:
    """Negative binomial (NB1-like at this mean) counts with variance ``phi * mean``."""
    if phi <= 1:
        return rng.poisson(mean, size)
    r = mean / (phi - 1)  # var = mean + mean**2 / r = phi * mean
    return rng.negative_binomial(r, r / (r + mean), size)


def test_quasi_equals_statsmodels_glm_with_pearson_scale() -> None:
    rng = np.random.default_rng(14)
    cases = []
    for _ in range(60):
        tb, ta = rng.integers(3, 30, size=2)
        mean = float(rng.choice([5.0, 40.0, 300.0]))
        yb = nb(rng, mean, float(rng.uniform(1, 6)), int(tb))
        ya = nb(rng, mean * float(rng.uniform(0.6, 1.5)), float(rng.uniform(1, 6)), int(ta))
        if yb.sum() == 0 or ya.sum() == 0:
            continue
        cases.append((yb, ya))
    b = np.array([c[0].sum() for c in cases])
    a = np.array([c[1].sum() for c in cases])
    tb = np.array([len(c[0]) for c in cases], dtype=float)
    ta = np.array([len(c[1]) for c in cases], dtype=float)
    sb = np.array([(c[0].astype(float) ** 2).sum() for c in cases])
    sa = np.array([(c[1].astype(float) ** 2).sum() for c in cases])
    d = estimate_dispersion(b, a, sb, sa, tb, ta, floor=0.0, min_df=1)
    got = compare_quasi(b, a, tb, ta, d.phi, d.df)
    want = np.array([glm_quasi(*c) for c in cases])
    np.testing.assert_allclose(got.rate_ratio, want[:, 0], rtol=1e-9)
    np.testing.assert_allclose(got.ci_low, want[:, 1], rtol=1e-7)
    np.testing.assert_allclose(got.ci_high, want[:, 2], rtol=1e-7)
    np.testing.assert_allclose(got.p_value, want[:, 3], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(d.raw, want[:, 4], rtol=1e-9)
    assert set(d.basis) == {OWN}


def test_pearson_x2_from_moments_equals_the_sum_over_months() -> None:
    y = np.array([[3, 0, 7, 2], [0, 0, 0, 0]], dtype=float)
    total, squares, months = moments(y)
    want = [((y[0] - y[0].mean()) ** 2 / y[0].mean()).sum(), 0.0]
    np.testing.assert_allclose(pearson_x2(total, squares, months), want)
    # a month with no data is not a zero
    total, squares, months = moments([[3, np.nan, 7]])
    assert months.tolist() == [2] and total.tolist() == [10]


def test_floor_pool_and_too_few_months() -> None:
    # row 0: 6 + 6 months with a Poisson-looking series (estimate below 1 -> floor 1)
    # row 1: 2 + 2 months (df 2 < 4 -> pooled); row 2: 1 + 1 months (no df of its own -> pooled)
    b = [60, 20, 10]
    a = [60, 20, 10]
    tb, ta = [6, 2, 1], [6, 2, 1]
    sb = [6 * 100, 2 * 100 + 2 * 0, 100]  # row 0: every month 10 (X2 = 0); row 1: months 10, 10
    sa = [6 * 100, 15**2 + 5**2, 100]  # row 1 after: 15, 5 -> X2 = 25 / 10 * 2 = 5
    d = estimate_dispersion(b, a, sb, sa, tb, ta)
    assert d.basis == [OWN, POOLED, POOLED]
    assert d.phi[0] == 1.0 and d.raw[0] == 0.0
    # pooled over the rows with df >= 1: (0 + 5) / (10 + 2)
    np.testing.assert_allclose(d.raw[1], 5 / 12)
    assert d.df[1] == 12 and d.months[1] == 16
    # nothing to pool from: every row one month against one -> can't tell
    alone = estimate_dispersion([10, 5], [12, 9], [100, 25], [144, 81], [1, 1], [1, 1])
    assert alone.basis == [TOO_FEW, TOO_FEW] and np.isnan(alone.phi).all()
    j = judge([10, 5], [40, 9], 1, 1, squares_before=[100, 25], squares_after=[1600, 81])
    assert j.verdict == [CANT_TELL, CANT_TELL] and np.isnan(j.p_value).all()
    assert j.rate_ratio.tolist() == [4.0, 1.8]  # the ratio is still shown


def test_zero_in_one_period_uses_score_test_and_wilson_interval() -> None:
    got = compare_quasi([0, 12], [9, 0], [6, 6], [6, 6], [2.0, 2.0], [10, 10])
    # 0 -> 9: infinite ratio, interval (x, infinity); 12 -> 0: ratio 0, interval (0, x)
    assert np.isinf(got.ci_high[0]) and 0 < got.ci_low[0] < 1
    assert got.ci_low[1] == 0.0 and 0 < got.ci_high[1] < 1
    # the score test by hand: (A - n pi0) / sqrt(phi n pi0 (1 - pi0)) against t(10)
    z = (9 - 9 * 0.5) / np.sqrt(2 * 9 * 0.25)
    np.testing.assert_allclose(got.p_value[0], 2 * stats.t.sf(z, 10))


def test_poisson_method_is_the_exact_test() -> None:
    b, a, tb, ta = [16, 300, 5], [25, 250, 0], [1, 12, 3], [1, 12, 2]
    j = judge(b, a, tb, ta, method="poisson")
    want = judge_table(b, a, tb, ta)
    assert [j.row(i) for i in range(3)] == want
    for i in range(3):
        p = stats.binomtest(a[i], a[i] + b[i], ta[i] / (ta[i] + tb[i])).pvalue
        np.testing.assert_allclose(j.p_value[i], p, rtol=1e-9)
    assert j.method == "poisson" and j.dispersion.tolist() == [1.0, 1.0, 1.0]


def test_quasi_interval_covers_the_truth_on_negative_binomial_series() -> None:
    """Known truth: NB months (phi 3), a planted change of 15%; 95% intervals cover it 93-97% of the time."""
    rng = np.random.default_rng(2024)
    reps, months, mean, phi, change = 4000, 12, 80.0, 3.0, 1.15
    r_b, r_a = mean / (phi - 1), mean * change / (phi - 1)
    yb = rng.negative_binomial(r_b, r_b / (r_b + mean), (reps, months))
    ya = rng.negative_binomial(r_a, r_a / (r_a + mean * change), (reps, months))
    (b, sb, tb), (a, sa, ta) = moments(yb), moments(ya)
    j = judge(b, a, tb, ta, squares_before=sb, squares_after=sa, pool=False)
    covered = float(np.mean((j.ci_low <= change) & (change <= j.ci_high)))
    assert 0.93 <= covered <= 0.97, covered
    # the Poisson interval, on the same series, covers far less often
    p = judge(b, a, tb, ta, method="poisson")
    assert float(np.mean((p.ci_low <= change) & (change <= p.ci_high))) < 0.85


def test_unknown_method_and_missing_squares_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        judge([1], [2], 1, 1, method="nb")
    with pytest.raises(ValueError, match="sums of squared"):
        judge([1], [2], 1, 1)
