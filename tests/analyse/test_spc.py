"""Control charts on monthly counts: limits computed by hand on small series (Montgomery; NHS Making Data Count)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from metforward.analyse.spc import XMR_CONSTANT, c_chart, latest_outside, xmr_chart


def test_c_chart_by_hand() -> None:
    # mean 100: 100 +/- 3 x 10
    chart = c_chart([100, 110, 90, 95, 105])
    assert (chart.centre, chart.lower, chart.upper) == (100.0, 70.0, 130.0)
    # mean 5: 5 - 3 sqrt(5) = -1.71 is clipped at 0
    small = c_chart([3, 5, 4, 8])
    assert small.centre == 5.0 and small.lower == 0.0
    assert small.upper == pytest.approx(5 + 3 * math.sqrt(5))  # 11.708
    assert small.upper == pytest.approx(11.7082, abs=1e-4)
    with pytest.raises(ValueError):
        c_chart([])


def test_xmr_chart_by_hand() -> None:
    # 10, 14, 12, 18, 16: mean 14; moving ranges 4, 2, 6, 2, mean 3.5; 2.66 x 3.5 = 9.31
    chart = xmr_chart([10, 14, 12, 18, 16])
    assert XMR_CONSTANT == 2.66
    assert chart.centre == pytest.approx(14.0)
    assert chart.lower == pytest.approx(4.69)
    assert chart.upper == pytest.approx(23.31)
    # 0, 10, 0, 10: mean 5, mean moving range 10, limits 5 -/+ 26.6; a count cannot go below 0
    wild = xmr_chart([0, 10, 0, 10])
    assert (wild.centre, wild.lower) == (5.0, 0.0)
    assert wild.upper == pytest.approx(31.6)
    # a constant series has no spread at all
    flat = xmr_chart([7, 7, 7])
    assert (flat.centre, flat.lower, flat.upper) == (7.0, 7.0, 7.0)
    with pytest.raises(ValueError):
        xmr_chart([3])


def test_latest_month_is_judged_on_the_baseline_before_it() -> None:
    baseline = [52, 47, 55, 60, 49, 51, 58, 44, 50, 53, 57, 48]
    # moving ranges: 5 8 5 11 2 7 14 6 3 4 9 -> mean 74 / 11; mean 624 / 12 = 52
    mr = 74 / 11
    assert float(np.abs(np.diff(baseline)).mean()) == pytest.approx(mr)
    chart = xmr_chart(baseline)
    assert chart.centre == 52.0 and chart.upper == pytest.approx(52 + 2.66 * mr)  # 69.9
    high = latest_outside([*baseline, 75], counts=False)  # the default chart is XmR
    assert high.method == "xmr" and high.baseline_months == 12 and high.latest == 75.0
    assert high.limits == chart  # the latest month (75) is not part of its own baseline
    assert high.position == "above"
    assert high.p_value == pytest.approx(2 * stats.norm.sf((75 - 52) / (2.66 * mr / 3)))
    assert latest_outside([*baseline, 60], counts=False).position == "within"
    assert latest_outside([*baseline, 30], counts=False).position == "below"
    # exactly on a limit is within: outside means strictly beyond
    assert latest_outside([*baseline, chart.upper], counts=False).position == "within"


def test_baseline_is_the_last_months_before_the_latest() -> None:
    old = [500] * 10  # a different era, beyond the baseline
    recent = [20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21]
    result = latest_outside([*old, *recent, 24], baseline_months=12, method="c")
    assert result.baseline_months == 12
    assert result.limits == c_chart(recent)
    assert result.limits.centre == pytest.approx(20.5)
    assert result.position == "within"
    # a short series uses what there is
    assert latest_outside([20, 22, 21], baseline_months=24).baseline_months == 2


def test_c_chart_latest_and_its_poisson_p_value() -> None:
    baseline = [20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21]  # mean 20.5, c limits 6.92 to 34.08
    result = latest_outside([*baseline, 40], method="c")
    assert result.position == "above"
    assert result.limits.upper == pytest.approx(20.5 + 3 * math.sqrt(20.5))
    assert result.p_value == pytest.approx(2 * stats.poisson.sf(39, 20.5))
    assert latest_outside([*baseline, 5], method="c").position == "below"


def test_xmr_on_counts_never_narrower_than_poisson_chance() -> None:
    # a series steadier than Poisson: mean moving range 1, so 2.66 is narrower than 3 sqrt(30)
    steady = [30, 31, 30, 31, 30, 31, 30, 31, 30, 31, 30, 31]
    pure = latest_outside([*steady, 36], counts=False)
    floored = latest_outside([*steady, 36])
    assert pure.limits.upper == pytest.approx(30.5 + 2.66)
    assert pure.position == "above"
    assert floored.limits.upper == pytest.approx(30.5 + 3 * math.sqrt(30.5))
    assert floored.position == "within"


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        latest_outside([1, 2])
    with pytest.raises(ValueError):
        latest_outside([1, 2, 3, 4], method="p")
