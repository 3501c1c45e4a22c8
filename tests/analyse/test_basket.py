"""The basket kernel: months missing in a source are not zeros, and ``auto`` uses the exact Poisson test (equal to
scipy's binomial test) where the months show no extra-Poisson variation and the quasi-Poisson one where they do."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from metforward.analyse.basket import Basket, Line, LineCounts, Part, judge_auto, tabulate_basket
from metforward.domain.periods import Period

BEFORE, AFTER = Period.parse("2020-01:2020-12"), Period.parse("2021-01:2021-12")
LINE = Line("x", "X", (Part("homicide"),))
BASKET = Basket("T", (LINE,), "test")


def test_a_month_with_no_data_lowers_the_exposure_and_is_not_a_zero() -> None:
    before = [5.0] * 12
    after = [5.0] * 6 + [math.nan] * 6
    table = tabulate_basket(BASKET, BEFORE, AFTER, [LineCounts("a", "A", 0, before, after, "s")], level="force")
    (row,) = table.rows
    assert (row.before, row.after, row.months_before, row.months_after) == (60, 30, 12, 6)
    assert row.rate_ratio == 1.0 and row.verdict == "can't tell" and row.completeness == 0.75
    assert table.lines[0].months_after == 6


def test_no_months_in_a_period_is_cant_tell_with_a_note() -> None:
    table = tabulate_basket(
        BASKET, BEFORE, AFTER, [LineCounts("a", "A", 0, [1.0] * 12, [math.nan] * 12, "s")], level="force"
    )
    assert table.rows[0].verdict == "can't tell" and table.rows[0].p_value is None
    assert any("no data in one of the periods" in n for n in table.notes)


def test_auto_is_the_exact_test_on_poisson_months_and_quasi_on_overdispersed_ones() -> None:
    rng = np.random.default_rng(7)
    calm_b, calm_a = rng.poisson(3, 12).astype(float), rng.poisson(6, 12).astype(float)
    wild_b = np.array([0, 0, 30, 1, 0, 25, 0, 2, 0, 40, 0, 1], dtype=float)
    wild_a = np.array([0, 60, 0, 0, 1, 0, 70, 0, 0, 2, 0, 50], dtype=float)
    b = np.array([calm_b.sum(), wild_b.sum()])
    a = np.array([calm_a.sum(), wild_a.sum()])
    sb = np.array([(calm_b**2).sum(), (wild_b**2).sum()])
    sa = np.array([(calm_a**2).sum(), (wild_a**2).sum()])
    t = np.array([12.0, 12.0])
    judged, methods = judge_auto(b, a, t, t, sb, sa)
    assert methods == ["poisson", "quasi"]
    exact = stats.binomtest(int(a[0]), int(a[0] + b[0]), 0.5)
    assert math.isclose(judged.p_value[0], exact.pvalue, rel_tol=1e-9)
    low, high = exact.proportion_ci(0.95, method="exact")
    assert math.isclose(judged.ci_low[0], low / (1 - low), rel_tol=1e-6)
    assert math.isclose(judged.ci_high[0], high / (1 - high), rel_tol=1e-6)
    assert judged.dispersion[1] > 5  # the wild row's interval is widened by its own dispersion
    assert judged.verdict[0] == "up" and judged.verdict[1] == "can't tell"


def test_auto_with_too_few_months_to_check_cannot_tell() -> None:
    judged, methods = judge_auto(
        np.array([1.0]), np.array([9.0]), np.array([1.0]), np.array([2.0]), np.array([1.0]), np.array([41.0])
    )
    assert judged.verdict == ["can't tell"] and math.isnan(judged.p_value[0]) and methods == ["quasi"]
