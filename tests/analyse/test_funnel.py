"""Funnel plots (Spiegelhalter 2005): hand-computed limits and estimates, statsmodels' DerSimonian-Laird
estimator as an independent check of tau^2, and behaviour on simulated data with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from metforward.analyse.funnel import (
    ADDITIVE,
    EXACT,
    MULTIPLICATIVE,
    WITHIN,
    above,
    below,
    funnel,
    funnel_curve,
    poisson_limits,
)


def poisson_cdf(r: int, mu: float) -> float:
    """P(Y <= r) for Y ~ Poisson(mu), summed term by term (no SciPy)."""
    term, total = math.exp(-mu), 0.0
    for y in range(r + 1):
        total += term
        term *= mu / (y + 1)
    return total


def interpolated_quantile(q: float, mu: float) -> float:
    """Spiegelhalter (2005a), appendix A, by hand: r - (P(Y <= r) - q) / P(Y = r)."""
    r = 0
    while poisson_cdf(r, mu) < q:
        r += 1
    pmf = math.exp(-mu + r * math.log(mu) - math.lgamma(r + 1))
    return r - (poisson_cdf(r, mu) - q) / pmf


@pytest.mark.parametrize("mu", [3.0, 10.0, 37.5, 100.0, 400.0])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_exact_poisson_limits_by_hand(mu: float, level: float) -> None:
    low, high = poisson_limits(mu, level)
    tail = (1 - level) / 2
    assert float(high) == pytest.approx(interpolated_quantile(1 - tail, mu), rel=1e-9)
    assert float(low) == pytest.approx(max(0.0, interpolated_quantile(tail, mu)), rel=1e-9, abs=1e-12)


def test_exact_poisson_limits_literal_values() -> None:
    # Poisson(10): P(Y <= 16) = 0.97296 < 0.975 <= P(Y <= 17) = 0.98572, P(Y = 17) = 0.01276,
    # so the upper 95% limit is 17 - (0.98572 - 0.975) / 0.01276 = 16.160
    low, high = poisson_limits(10.0, 0.95)
    assert float(high) == pytest.approx(16.160, abs=5e-4)
    assert float(low) == pytest.approx(3.775, abs=5e-4)
    # close to the normal approximation for a large mean
    _, high100 = poisson_limits(100.0, 0.95)
    assert float(high100) == pytest.approx(100 + 1.96 * 10, abs=1.0)
    # the lower 99.8% limit is 0 while even a count of 0 is not unusual (P(Y = 0) >= 0.001)
    assert float(poisson_limits(5.0, 0.998)[0]) == 0.0


def test_z_scores_rates_and_target_by_hand() -> None:
    observed = np.array([10, 20, 30, 40])
    denominator = np.array([100.0, 100.0, 200.0, 400.0])
    result = funnel(observed, denominator, overdispersion=False)
    theta0 = 100 / 800
    assert result.target == theta0
    np.testing.assert_allclose(result.rate, [0.1, 0.2, 0.15, 0.1])
    want = [(y - theta0) / math.sqrt(theta0 / n) for y, n in zip([0.1, 0.2, 0.15, 0.1], denominator, strict=True)]
    np.testing.assert_allclose(result.z, want)
    assert result.z[1] == pytest.approx(0.075 / math.sqrt(0.00125))  # 2.1213
    # on the square-root scale z = 2 (sqrt(O) - sqrt(theta0 n)), Wheeler's formula with an expected count
    root = funnel(observed, denominator, overdispersion=False, transform="sqrt")
    np.testing.assert_allclose(root.z, 2 * (np.sqrt(observed) - np.sqrt(theta0 * denominator)))


def test_winsorised_phi_and_tau2_by_hand() -> None:
    observed = np.array([12, 30, 45, 8, 60, 22, 90, 15, 40, 33])
    denominator = np.array([100, 250, 300, 90, 400, 200, 500, 150, 260, 240], dtype=float)
    result = funnel(observed, denominator, winsor=0.1)
    theta0 = observed.sum() / denominator.sum()
    z = (observed / denominator - theta0) / np.sqrt(theta0 / denominator)
    s = np.sort(z)
    # 10% and 90% quantiles by linear interpolation: positions 0.9 and 8.1 of 0..9
    low, high = s[0] + 0.9 * (s[1] - s[0]), s[8] + 0.1 * (s[9] - s[8])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    assert result.phi == pytest.approx(phi)
    w = denominator / theta0
    tau2 = max(0.0, (10 * phi - 9) / (w.sum() - (w**2).sum() / w.sum()))
    assert result.tau2 == pytest.approx(tau2)
    assert result.dispersion_p_value == pytest.approx(float(stats.chi2.sf(10 * phi, 9)))


def test_unwinsorised_tau2_is_dersimonian_laird() -> None:
    """With no winsorising and the pooled target, Spiegelhalter's tau^2 is DerSimonian and Laird's.

    The pooled rate sum(O) / sum(n) is the inverse-variance weighted mean of the rates (weights
    n / theta0), so I phi is Cochran's Q and the formula is DerSimonian-Laird's moment estimator,
    which statsmodels computes independently (it does not truncate at 0; Spiegelhalter does).
    """
    rng = np.random.default_rng(1185)
    denominator = rng.uniform(50, 800, 25)
    observed = rng.poisson(rng.gamma(8, 0.1 / 8, 25) * denominator)
    result = funnel(observed, denominator, winsor=0.0)
    theta0 = observed.sum() / denominator.sum()
    meta = combine_effects(observed / denominator, np.full(25, theta0) / denominator, method_re="dl")
    assert meta.mean_effect_fe == pytest.approx(theta0)
    assert result.phi == pytest.approx(meta.q / 25)
    assert result.tau2 == pytest.approx(max(0.0, meta.tau2))
    assert result.tau2 > 0 and result.limits_method == ADDITIVE
    # the square-root scale: the same identity holds with the target at the weighted mean of sqrt(rate)
    target = float((np.sum(denominator * np.sqrt(observed / denominator)) / denominator.sum()) ** 2)
    root = funnel(observed, denominator, target=target, winsor=0.0, transform="sqrt")
    meta_root = combine_effects(np.sqrt(observed / denominator), 1 / (4 * denominator), method_re="dl")
    assert root.phi == pytest.approx(meta_root.q / 25)
    assert root.tau2 == pytest.approx(max(0.0, meta_root.tau2))


def test_flags_against_exact_limits() -> None:
    # target 0.1 and n = 1000: Poisson(100), 95% limits about 80.4 and 119.6, 99.8% about 70.1 and 131.8
    observed = np.array([100, 125, 140, 78, 60, 119])
    result = funnel(observed, np.full(6, 1000.0), target=0.1, overdispersion=False)
    assert result.limits_method == EXACT and not result.overdispersed
    assert result.flag == [WITHIN, "above 95%", "above 99.8%", "below 95%", "below 99.8%", WITHIN]
    lower95, upper95 = result.limits[0.95]
    assert lower95[0] * 1000 == pytest.approx(80.366, abs=1e-3)
    assert upper95[0] * 1000 == pytest.approx(119.581, abs=1e-3)
    assert (above(0.998), below(0.95), above(0.9)) == ("above 99.8%", "below 95%", "above 90%")
    # the p values agree with the flags: doubled Poisson tails
    assert result.p_value[0] == 1.0
    assert 0.002 < result.p_value[1] < 0.05 and result.p_value[2] < 0.002


def test_null_poisson_data_about_five_percent_outside_95_limits() -> None:
    rng = np.random.default_rng(20051185)
    denominator = rng.uniform(200, 20_000, 20_000)  # expected counts from 20 to 2,000
    observed = rng.poisson(0.1 * denominator)
    result = funnel(observed, denominator, overdispersion=False)
    outside95 = np.mean([f != WITHIN for f in result.flag])
    outside998 = np.mean([f.endswith("99.8%") for f in result.flag])
    assert 0.045 < outside95 < 0.055
    assert outside998 < 0.004
    # the over-dispersion estimate finds none (winsorising pulls phi below 1 under the null)
    found = funnel(observed, denominator)
    assert found.phi < 1 and found.tau2 == 0 and found.limits_method == EXACT
    assert found.dispersion_p_value > 0.5


def test_overdispersed_data_give_phi_above_1_and_wider_limits() -> None:
    rng = np.random.default_rng(1202)
    denominator = rng.uniform(500, 5_000, 300)
    true_rates = rng.gamma(shape=25, scale=0.1 / 25, size=300)  # sd of true rates 20% of the mean
    observed = rng.poisson(true_rates * denominator)
    plain = funnel(observed, denominator, overdispersion=False)
    additive = funnel(observed, denominator)
    multiplicative = funnel(observed, denominator, overdispersion="multiplicative")
    assert additive.phi > 2 and additive.tau2 > 0 and additive.dispersion_p_value < 1e-6
    assert additive.limits_method == ADDITIVE and multiplicative.limits_method == MULTIPLICATIVE
    for adjusted in (additive, multiplicative):
        for level in (0.95, 0.998):
            assert np.all(adjusted.limits[level].upper > plain.limits[level].upper)
            assert np.all(adjusted.limits[level].lower < plain.limits[level].lower)
    outside_plain = np.mean([f != WITHIN for f in plain.flag])
    outside = np.mean([f != WITHIN for f in additive.flag])
    assert outside_plain > 0.3 and outside < 0.15
    # the multiplicative limits are sqrt(phi) times the Poisson standard error
    s = np.sqrt(plain.target / denominator)
    np.testing.assert_allclose(multiplicative.limits[0.95].upper, plain.target + 1.959964 * np.sqrt(additive.phi) * s)
    np.testing.assert_allclose(multiplicative.z_adjusted, plain.z / np.sqrt(additive.phi))
    # additive: theta0 +/- z sqrt(s^2 + tau^2)
    np.testing.assert_allclose(
        additive.limits[0.998].upper, plain.target + 3.090232 * np.sqrt(s**2 + additive.tau2), rtol=1e-6
    )


def test_limits_narrow_as_the_denominator_grows() -> None:
    grid = np.geomspace(100, 1e6, 2_000)  # expected counts 10 to 100,000 at a target of 0.1
    for kwargs in ({}, {"phi": 2.5}, {"tau2": 1e-4}):
        for level, lim in funnel_curve(0.1, (0.95, 0.998), grid, **kwargs).items():  # type: ignore[arg-type]
            width = lim.upper - lim.lower
            assert np.all(np.diff(width) < 0), (kwargs, level)
            assert np.all(lim.lower <= 0.1) and np.all(lim.upper >= 0.1)
    # the additive funnel does not close: its width tends to 2 z tau
    lim = funnel_curve(0.1, (0.95,), [1e12], tau2=1e-4)[0.95]
    assert float((lim.upper - lim.lower)[0]) == pytest.approx(2 * 1.959964 * 0.01, rel=1e-5)


def test_curve_reproduces_the_units_limits() -> None:
    rng = np.random.default_rng(7)
    denominator = rng.uniform(100, 1_000, 40)
    observed = rng.poisson(rng.gamma(10, 0.02, 40) * denominator)
    for overdispersion in (False, True, "multiplicative"):
        result = funnel(observed, denominator, overdispersion=overdispersion)
        curve = result.curve(denominator)
        for level in (0.95, 0.998):
            np.testing.assert_allclose(curve[level].lower, result.limits[level].lower)
            np.testing.assert_allclose(curve[level].upper, result.limits[level].upper)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        funnel([1, 2, 3], [10, 0, 10])
    with pytest.raises(ValueError):
        funnel([1, -2, 3], [10, 10, 10])
    with pytest.raises(ValueError):
        funnel([0, 0, 0], [10, 10, 10])  # no events: no target rate
    with pytest.raises(ValueError):
        funnel([1, 2, 3], [10, 10, 10], winsor=0.5)
    with pytest.raises(ValueError):
        funnel([1, 2, 3], [10, 10, 10], levels=(0.95, 1.0))
    with pytest.raises(ValueError):
        funnel([1, 2, 3], [10, 10, 10], overdispersion="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        funnel_curve(0.1, (0.95,), [10.0], phi=2.0, tau2=0.1)
    # fewer than three units: no over-dispersion estimate, exact limits
    two = funnel([5, 50], [100.0, 100.0])
    assert math.isnan(two.phi) and math.isnan(two.tau2) and two.limits_method == EXACT
