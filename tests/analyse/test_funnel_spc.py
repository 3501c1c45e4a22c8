"""Funnel limits and SPC charts: hand-computed values, and behaviour on data with a known truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from metforward.analyse.funnel import funnel, poisson_limits
from metforward.analyse.spc import c_chart, latest_outside, xmr_chart


def test_poisson_limits_interpolate_between_the_discrete_quantiles() -> None:
    low, high = poisson_limits(np.array([10.0, 100.0]), 0.95)
    for mean, lo, hi in zip([10.0, 100.0], low, high, strict=True):
        assert stats.poisson.ppf(0.025, mean) - 1 <= lo <= stats.poisson.ppf(0.025, mean)
        assert stats.poisson.ppf(0.975, mean) - 1 <= hi <= stats.poisson.ppf(0.975, mean)
    # and close to the normal approximation for a large mean
    assert high[1] == pytest.approx(100 + 1.96 * 10, abs=1.5)


def test_under_the_null_about_five_percent_fall_outside_the_95_limits() -> None:
    rng = np.random.default_rng(20051185)
    n = rng.uniform(50, 500, 4000)
    observed = rng.poisson(0.2 * n)
    result = funnel(observed, n, target=0.2, overdispersion=False)
    outside95 = np.mean([f != "within" for f in result.flag])
    outside998 = np.mean([f.endswith("99.8%") for f in result.flag])
    assert 0.035 < outside95 < 0.065
    assert outside998 < 0.006


def test_overdispersion_is_detected_and_widens_the_limits() -> None:
    rng = np.random.default_rng(1202)
    n = rng.uniform(50, 500, 400)
    rates = rng.gamma(shape=10, scale=0.02, size=400)  # between-unit variation in the true rate
    observed = rng.poisson(rates * n)
    plain = funnel(observed, n, overdispersion=False)
    adjusted = funnel(observed, n)
    assert adjusted.overdispersed and adjusted.phi > 1.5 and adjusted.tau2 > 0
    assert np.all(adjusted.limits[0.95][1] >= plain.limits[0.95][1] - 1e-9)
    outside_plain = np.mean([f != "within" for f in plain.flag])
    outside = np.mean([f != "within" for f in adjusted.flag])
    assert outside < outside_plain / 2
    # without Winsorising (Spiegelhalter's 10% guards against the outliers being sought, at the cost of
    # a smaller estimate), tau2 recovers the true between-unit variance and the limits their coverage
    unwinsorised = funnel(observed, n, winsor=0.0)
    assert unwinsorised.tau2 == pytest.approx(rates.var(), rel=0.25)
    assert 0.03 < np.mean([f != "within" for f in unwinsorised.flag]) < 0.09


def test_limits_narrow_as_the_denominator_grows() -> None:
    result = funnel(np.array([10, 100, 1000]), np.array([100.0, 1000.0, 10000.0]), target=0.1, overdispersion=False)
    widths = result.limits[0.95][1] - result.limits[0.95][0]
    assert widths[0] > widths[1] > widths[2]


def test_c_chart_and_xmr_by_hand() -> None:
    c = c_chart([4, 6, 5])
    assert (c.centre, c.lower) == (5.0, 0.0)
    assert c.upper == pytest.approx(5 + 3 * np.sqrt(5))
    x = xmr_chart([10, 12, 11, 15, 13])  # moving ranges 2, 1, 4, 2: mean 2.25
    assert x.centre == pytest.approx(12.2)
    assert (x.lower, x.upper) == (pytest.approx(12.2 - 2.66 * 2.25), pytest.approx(12.2 + 2.66 * 2.25))


def test_latest_month_judged_on_the_months_before_it() -> None:
    steady = [20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21]
    assert latest_outside([*steady, 21], method="xmr").position == "within"
    high = latest_outside([*steady, 40], method="xmr")
    mean = np.mean(steady)  # the moving-range sigma here (2.5) is below Poisson chance, so sqrt(mean) is used
    assert high.position == "above" and high.baseline_months == 12
    assert high.p_value == pytest.approx(2 * stats.norm.sf((40 - mean) / np.sqrt(mean)))
    low = latest_outside([*steady, 2], method="c")
    assert low.position == "below"
