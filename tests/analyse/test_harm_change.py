"""Harm change between periods: the delta-method interval against known truth (the kernel)."""

from __future__ import annotations

import numpy as np
import pytest

from metforward.analyse.harm_change import harm_ratio
from metforward.analyse.poisson import compare_poisson

# --- the statistics -------------------------------------------------------------------------------


def test_one_category_gives_the_count_rate_ratio_and_nearly_the_exact_interval() -> None:
    before, after = np.array([[900], [40]]), np.array([[810], [55]])
    h_b, h_a, ratio, low, high, p = harm_ratio(before, after, 12, 12, [394.4])
    exact = compare_poisson(before[:, 0], after[:, 0], np.full(2, 12.0), np.full(2, 12.0))
    assert ratio == pytest.approx(exact.rate_ratio)
    assert h_b == pytest.approx(before[:, 0] * 394.4 / 12)
    # with 900 crimes the normal approximation is within 0.5% of the exact limits; with 40, within 5%
    assert low[0] == pytest.approx(exact.ci_low[0], rel=5e-3) and high[0] == pytest.approx(exact.ci_high[0], rel=5e-3)
    assert low[1] == pytest.approx(exact.ci_low[1], rel=5e-2) and high[1] == pytest.approx(exact.ci_high[1], rel=5e-2)
    assert p[0] == pytest.approx(exact.p_value[0], rel=0.1)


def test_interval_covers_the_true_harm_ratio_95_percent_of_the_time() -> None:
    """Known truth: Poisson counts drawn from set rates; the true ratio is sum(w*mu_after)/sum(w*mu_before)."""
    rng = np.random.default_rng(20261123)
    weights = np.array([799.6, 394.4, 283.4, 48.3, 11.9])
    mu_before = np.array([60.0, 150.0, 400.0, 900.0, 500.0])
    mu_after = mu_before * np.array([1.3, 0.8, 1.1, 0.9, 1.0])
    t_before, t_after = 12.0, 9.0
    truth = (weights @ (mu_after / t_after)) / (weights @ (mu_before / t_before))
    n = 20_000
    before = rng.poisson(mu_before, size=(n, 5))
    after = rng.poisson(mu_after, size=(n, 5))
    _, _, ratio, low, high, _ = harm_ratio(before, after, t_before, t_after, weights)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.94 <= coverage <= 0.96, coverage
    # the estimator is nearly unbiased on the log scale
    assert np.exp(np.mean(np.log(ratio))) == pytest.approx(truth, rel=0.01)


def test_p_values_are_uniform_when_nothing_changed() -> None:
    rng = np.random.default_rng(7)
    weights = np.array([799.6, 283.4, 11.9])
    mu = np.array([80.0, 300.0, 600.0])
    before, after = rng.poisson(mu, size=(20_000, 3)), rng.poisson(mu, size=(20_000, 3))
    p = harm_ratio(before, after, 12, 12, weights)[5]
    assert np.mean(p < 0.05) == pytest.approx(0.05, abs=0.008)
    assert np.mean(p < 0.5) == pytest.approx(0.5, abs=0.02)


def test_swapping_periods_inverts_the_ratio_and_its_interval() -> None:
    before, after, w = np.array([[30, 200, 11]]), np.array([[45, 180, 9]]), np.array([800.0, 50.0, 10.0])
    _, _, r1, lo1, hi1, p1 = harm_ratio(before, after, 10, 12, w)
    _, _, r2, lo2, hi2, p2 = harm_ratio(after, before, 12, 10, w)
    assert r1 * r2 == pytest.approx(1)
    assert lo1 * hi2 == pytest.approx(1) and hi1 * lo2 == pytest.approx(1)
    assert p1 == pytest.approx(p2)


def test_no_harm_in_a_period_has_no_ratio_and_months_without_data_are_left_out() -> None:
    _, _, ratio, low, _, p = harm_ratio([[0, 0]], [[3, 4]], 12, 12, [10.0, 20.0])
    assert np.isnan(ratio[0]) and np.isnan(low[0]) and np.isnan(p[0])
    # the second category has no months of data after: it is left out of both periods
    h_b, h_a, ratio, *_ = harm_ratio([[12, 500]], [[24, 0]], [[12, 12]], [[12, 0]], [10.0, 20.0])
    assert (h_b[0], h_a[0], ratio[0]) == pytest.approx((10.0, 20.0, 2.0))
