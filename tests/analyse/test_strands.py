"""The strands' kernels against reference libraries (statsmodels, scipy), known truth and placebo data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats import rates as sm_rates
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from metforward.analyse.poisson import compare_poisson
from metforward.analyse.strands import group_rates, latest_periods, ratio_quasi, share, share_difference, trends
from metforward.domain.periods import add_months
from metforward.errors import BadRequest, NoData

MONTHS = [add_months(dt.date(2022, 1, 1), i) for i in range(24)]


def overdispersed(rng: np.random.Generator, mean: float, n: int, size: float = 8.0) -> np.ndarray:
    """Negative binomial monthly counts with the given mean (variance mean + mean**2 / size)."""
    return rng.negative_binomial(size, size / (size + mean), n)


def test_the_quasi_ratio_is_statsmodels_quasi_poisson_glm() -> None:
    rng = np.random.default_rng(7)
    shocks = rng.gamma(20, 1 / 20, 24)  # common month effects, then extra group-by-month variation
    group = rng.poisson(300 * shocks * rng.gamma(15, 1 / 15, 24))
    reference = rng.poisson(900 * shocks * rng.gamma(15, 1 / 15, 24))
    pop_g, pop_r = 1_200_000.0, 4_700_000.0
    ratio, low, high, p, phi = ratio_quasi(group, reference, pop_g, pop_r, confidence=0.95)
    # the 2 x 24 table: a group effect and a month effect, offset log(population)
    y = np.concatenate([group, reference]).astype(float)
    is_group = np.repeat([1.0, 0.0], 24)
    months = np.tile(np.eye(24), (2, 1))
    x = np.column_stack([is_group, months])
    offset = np.log(np.repeat([pop_g, pop_r], 24))
    fit = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(scale="X2", use_t=True)
    assert phi > 1.5  # the data are over-dispersed: the floor does not bind
    assert ratio == pytest.approx(np.exp(fit.params[0]), rel=1e-9)
    lo, hi = np.exp(fit.conf_int(0.05)[0])
    assert (low, high) == (pytest.approx(lo, rel=1e-6), pytest.approx(hi, rel=1e-6))
    assert p == pytest.approx(fit.pvalues[0], rel=1e-6)
    assert phi == pytest.approx(fit.scale, rel=1e-9)


def test_few_months_fall_back_to_the_exact_conditional_test() -> None:
    rates = group_rates(
        {"Black": [30, 41, 35], "White": [60, 55, 70]},
        {"Black": 1_000_000.0, "White": 4_000_000.0},
        groups=("Black", "White"),
    )
    black, white = rates
    assert white.ratio == 1.0 and white.method == "reference"
    assert black.method == "exact conditional"
    assert black.ratio == pytest.approx((106 / 1e6) / (185 / 4e6))
    reference_test = sm_rates.test_poisson_2indep(106, 1e6, 185, 4e6, method="exact-cond")
    assert black.p_value == pytest.approx(reference_test.pvalue, rel=1e-6)
    # the interval: Clopper-Pearson on 106 of 291 (scipy), mapped to the rate ratio
    ci = stats.binomtest(106, 291).proportion_ci(confidence_level=0.95, method="exact")
    scale = 4e6 / 1e6  # (a / 1e6) / (b / 4e6) = a / b * 4
    assert black.ci_low == pytest.approx(ci.low / (1 - ci.low) * scale, rel=1e-6)
    assert black.ci_high == pytest.approx(ci.high / (1 - ci.high) * scale, rel=1e-6)
    # each rate per 1,000 with the exact (Garwood) interval of its count
    assert black.rate_per_1000 == pytest.approx(0.106)
    assert black.rate_low == pytest.approx(stats.chi2.ppf(0.025, 212) / 2 / 1000)
    assert black.rate_high == pytest.approx(stats.chi2.ppf(0.975, 214) / 2 / 1000)


def test_a_group_with_no_residents_has_counts_but_no_rate() -> None:
    (other,) = group_rates({"Other": [3, 4], "White": [5, 6]}, {"White": 10.0}, groups=("Other",))
    assert (other.count, other.rate_per_1000, other.ratio, other.method) == (7, None, None, "no residents")


def test_the_quasi_ratio_interval_is_calibrated_where_the_poisson_one_is_not() -> None:
    """Placebo: two groups with the same rate per resident, monthly counts varying more than Poisson. The
    quasi interval holds the true ratio (1) about 95% of the time; the exact Poisson one far less often."""
    rng = np.random.default_rng(2024)
    reps = 400
    shocks = rng.gamma(10, 1 / 10, (reps, 12))
    g = rng.poisson(200 * shocks * rng.gamma(8, 1 / 8, (reps, 12)))
    r = rng.poisson(800 * shocks * rng.gamma(8, 1 / 8, (reps, 12)))
    covered = 0
    for i in range(reps):
        _ratio, low, high, _p, _phi = ratio_quasi(g[i], r[i], 1.0, 4.0, confidence=0.95)
        covered += low <= 1 <= high
    exact = compare_poisson(r.sum(axis=1), g.sum(axis=1), 4.0, 1.0)
    covered_exact = np.mean((exact.ci_low <= 1) & (exact.ci_high >= 1))
    assert 0.92 <= covered / reps <= 0.98
    assert covered_exact < 0.6


def test_shares_use_wilson_and_exact_for_small_counts() -> None:
    big = share(1143, 20494)
    lo, hi = proportion_confint(1143, 20494, method="wilson")
    assert (big.value, big.low, big.high, big.interval) == (
        pytest.approx(1143 / 20494),
        pytest.approx(lo),
        pytest.approx(hi),
        "wilson",
    )
    small = share(2, 26)
    lo, hi = proportion_confint(2, 26, method="beta")  # Clopper-Pearson
    assert (small.low, small.high, small.interval) == (pytest.approx(lo), pytest.approx(hi), "exact")
    assert share(23, 26).interval == "exact"  # fewer than 5 on the other side
    assert share(0, 0).value is None
    diff = share_difference(3136, 9035, 1835, 4872)
    assert diff is not None
    lo, hi = confint_proportions_2indep(3136, 9035, 1835, 4872, method="newcomb", compare="diff")
    assert diff == (pytest.approx(3136 / 9035 - 1835 / 4872), pytest.approx(lo), pytest.approx(hi))


def test_trends_find_a_planted_change_and_are_calibrated_on_placebo_data() -> None:
    rng = np.random.default_rng(11)
    before, after = MONTHS[:12], MONTHS[12:]
    rows = 600
    placebo = [dict(zip(MONTHS, overdispersed(rng, 120, 24).tolist(), strict=True)) for _ in range(rows)]
    keys = [{"row": i} for i in range(rows)]
    quasi, note = trends(keys, placebo, before, after)
    poisson, _ = trends(keys, placebo, before, after, method="poisson")
    false_quasi = np.mean([r.p_value < 0.05 for r in quasi])
    false_poisson = np.mean([r.p_value < 0.05 for r in poisson])
    assert 0.02 <= false_quasi <= 0.08, false_quasi  # about 5%, as a calibrated test should
    assert false_poisson > 0.25  # Poisson on over-dispersed counts calls chance changes real
    assert "quasi-Poisson" in note
    planted = [
        {m: int(n * (1.5 if m in after else 1)) for m, n in zip(MONTHS, overdispersed(rng, 120, 24, 20), strict=True)}
        for _ in range(50)
    ]
    found, _ = trends([{}] * 50, planted, before, after)
    assert np.mean([r.verdict == "up" for r in found]) > 0.9
    assert {r.verdict for r in quasi} <= {"up", "down", "can't tell"}


def test_a_month_with_data_but_no_count_for_a_row_is_a_zero_and_a_month_without_data_is_left_out() -> None:
    (row,), _ = trends([{"k": 1}], [{MONTHS[0]: 10, MONTHS[2]: 12}], MONTHS[:2], MONTHS[2:3], method="poisson")
    assert (row.before, row.after, row.months_before, row.months_after) == (10, 12, 2, 1)
    assert row.rate_ratio == pytest.approx(12 / (10 / 2))
    assert row.as_dict()["k"] == 1


def test_latest_periods() -> None:
    first, second = latest_periods(MONTHS, None, None)
    assert (str(first), str(second)) == ("2022-01:2022-12", "2023-01:2023-12")
    first, second = latest_periods(MONTHS, None, "2023-04:2023-06")
    assert str(first) == "2023-01:2023-03"
    with pytest.raises(BadRequest):
        latest_periods(MONTHS, "2022-01:2022-12", None)
    with pytest.raises(NoData):
        latest_periods([], None, None)
