"""Statistical process control on a monthly count series: is the latest month unusual for its own series?

Two charts, computed from the baseline months before the latest:

* **c chart** (counts of events, Poisson): centre ``c = mean``, limits ``c +/- 3 sqrt(c)``;
* **XmR chart** (individuals and moving range): centre ``mean``, limits ``mean +/- 2.66 * mean moving range``
  (2.66 = 3 / 1.128, the bias constant d2 for ranges of two; NHS "Making Data Count").

The latest month is "above" or "below" when outside the chart's limits. For screening many series
at once, :func:`latest_outside` also gives a p value for the latest month (Poisson tail for the c
chart, the chart's own sigma for XmR), so the flags across a whole grid can be controlled for false
discoveries.

References
----------
Montgomery, D. C. Introduction to Statistical Quality Control (c charts, individuals charts).
NHS England and NHS Improvement (2019). Making Data Count: SPC for public-service indicators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

XMR_CONSTANT = 2.66


@dataclass(frozen=True)
class ControlLimits:
    """A chart's centre line and limits."""

    centre: float
    lower: float
    upper: float


def c_chart(counts: ArrayLike) -> ControlLimits:
    """c chart for counts of events: centre ``c = mean``, limits ``c +/- 3 sqrt(c)``, lower clipped at 0.

    Assumes the counts are Poisson with a constant mean, so their standard deviation is ``sqrt(c)``.

    Parameters
    ----------
    counts : array_like
        Counts per period (e.g. crimes a month), at least one.

    Returns
    -------
    ControlLimits

    References
    ----------
    Montgomery, D. C. Introduction to Statistical Quality Control, Wiley, chapter "Control charts
    for attributes" (control charts for nonconformities: the c chart).
    """
    values = np.asarray(counts, dtype=np.float64)
    if len(values) == 0:
        raise ValueError("a control chart needs at least one value")
    centre = float(values.mean())
    half = 3 * math.sqrt(centre)
    return ControlLimits(centre, max(0.0, centre - half), centre + half)


def xmr_chart(values: ArrayLike) -> ControlLimits:
    """XmR (individuals) chart: centre ``mean``, limits ``mean +/- 2.66 x mean moving range``.

    The moving ranges are ``|x_t - x_(t-1)|``; ``2.66 = 3 / d2`` with ``d2 = 1.128`` for ranges of
    two, so the limits sit at three estimated sigma. No distribution is assumed, which suits series
    more variable than Poisson. The lower limit is clipped at 0 (the series here are counts).

    Parameters
    ----------
    values : array_like
        The series, at least two values.

    Returns
    -------
    ControlLimits

    References
    ----------
    Montgomery, D. C. Introduction to Statistical Quality Control, Wiley, chapter "Control charts
    for variables" (the Shewhart control chart for individual measurements).
    NHS England and NHS Improvement (2019). Making Data Count: getting started (the XmR chart,
    process limits = mean +/- 2.66 x mean moving range).
    """
    series = np.asarray(values, dtype=np.float64)
    if len(series) < 2:
        raise ValueError("an XmR chart needs at least two values")
    centre = float(series.mean())
    moving_range = float(np.abs(np.diff(series)).mean())
    return ControlLimits(centre, max(0.0, centre - XMR_CONSTANT * moving_range), centre + XMR_CONSTANT * moving_range)


@dataclass(frozen=True)
class LatestResult:
    """Where the latest month falls against the limits of its own baseline."""

    latest: float
    limits: ControlLimits
    position: str  # above | below | within
    p_value: float  # two-sided Poisson tail probability of the latest count under the baseline mean
    baseline_months: int
    method: str


def latest_outside(
    series: ArrayLike, *, baseline_months: int = 24, method: str = "xmr", counts: bool = True
) -> LatestResult:
    """Judge the last value of ``series`` against limits from up to ``baseline_months`` values before it.

    The limits come only from the baseline (the latest value is not part of it), by
    :func:`xmr_chart` (``method="xmr"``, the default) or :func:`c_chart` (``method="c"``).
    ``position`` is ``above`` / ``below`` when the latest value is strictly outside them.

    ``p_value``: for the c chart, the two-sided Poisson tail of the latest count under the baseline
    mean; for the XmR chart, the two-sided normal tail at the chart's own sigma (limits = 3 sigma),
    which for ``counts`` is floored at the Poisson sigma ``sqrt(mean)``.

    Parameters
    ----------
    series : array_like
        Monthly values, oldest first, latest last; at least three.
    baseline_months : int, optional
        How many months before the latest form the baseline, default 24 (fewer if the series is
        shorter).
    method : {"xmr", "c"}, optional
        Which chart sets the limits.
    counts : bool, optional
        XmR only: the series are counts, so sigma is not allowed below ``sqrt(mean)``.

    Returns
    -------
    LatestResult

    References
    ----------
    Montgomery, Introduction to Statistical Quality Control; NHS England and NHS Improvement
    (2019), Making Data Count.
    """
    values = np.asarray(series, dtype=np.float64)
    if len(values) < 3:
        raise ValueError("need at least two baseline months and a latest month")
    baseline = values[:-1][-baseline_months:]
    latest = float(values[-1])
    if method == "c":
        limits = c_chart(baseline)
    elif method == "xmr":
        limits = xmr_chart(baseline)
        if counts:
            # counts cannot vary less than Poisson chance; a moving range from two dozen months is a noisy
            # estimate that can fall below it and then raises false alarms, so sigma is floored at sqrt(mean)
            sigma = max((limits.upper - limits.centre) / 3, math.sqrt(max(limits.centre, 0.0)))
            limits = ControlLimits(limits.centre, max(0.0, limits.centre - 3 * sigma), limits.centre + 3 * sigma)
    else:
        raise ValueError("method must be 'c' or 'xmr'")
    position = "above" if latest > limits.upper else "below" if latest < limits.lower else "within"
    mean = limits.centre
    if method == "c":
        # Poisson tails of the latest count under the baseline mean
        if mean <= 0:
            p = 1.0 if latest == 0 else 0.0
        else:
            p = min(1.0, 2 * min(float(stats.poisson.sf(latest - 1, mean)), float(stats.poisson.cdf(latest, mean))))
    else:
        # the XmR chart's own sigma: mean moving range / 1.128 (its limits sit at 3 sigma)
        sigma = (limits.upper - mean) / 3
        p = (1.0 if latest == mean else 0.0) if sigma <= 0 else float(2 * stats.norm.sf(abs(latest - mean) / sigma))
    return LatestResult(latest, limits, position, p, len(baseline), method)
