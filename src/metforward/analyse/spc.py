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
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from metforward.analyse import lazy

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")


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


#: ``d2`` for moving ranges of two: the mean moving range of a normal series is ``1.128 sigma``.
D2 = 1.128
#: Effective degrees of freedom of sigma from the mean moving range of ``k`` values: about ``0.62 (k - 1)``
#: (Wheeler 2000, table on the effective degrees of freedom of dispersion statistics).
MR_DF_FACTOR = 0.62
#: Fewest baseline months for month-of-year factors (twelve months, a trend and room for the error).
MIN_SEASONAL_MONTHS = 18


@dataclass(frozen=True)
class Season:
    """Month-of-year factors (January first, geometric mean 1) and the sampling variance of their logs."""

    factors: NDArray[np.float64]
    log_variance: NDArray[np.float64]


def seasonal_factors(totals: ArrayLike, month_of_year: ArrayLike, *, elapsed: ArrayLike | None = None) -> Season | None:
    """Month-of-year factors of a pooled monthly series (e.g. a category's London total), allowing for a trend.

    Least squares on ``log y_t = a + b t + s_m(t)`` (``t`` the position in the series, ``m(t)`` the
    month of the year), so a rise or fall across the months does not pass for a season; the
    factors ``exp(s_m)`` are scaled to a geometric mean of 1. The classical multiplicative
    decomposition with the trend fitted jointly (Chatfield 2004, section 2.6).

    Parameters
    ----------
    totals : array_like
        The pooled counts, one per month, oldest first (all above 0).
    month_of_year : array_like
        1 to 12 for each count.
    elapsed : array_like, optional
        Months since the first count (for the trend; default 0, 1, 2, ...: no gaps).

    Returns
    -------
    Season or None
        Twelve factors (January first) and the variance of each log factor from the least-squares
        fit (so a chart can allow for the factors being estimated); None when the series is too short
        to tell a season (fewer than :data:`MIN_SEASONAL_MONTHS` months, a month of the year missing,
        or a total of 0).
    """
    y = np.asarray(totals, dtype=np.float64)
    moy = np.asarray(month_of_year, dtype=np.int64)
    if y.size < MIN_SEASONAL_MONTHS or set(moy.tolist()) != set(range(1, 13)) or not np.all(y > 0):
        return None
    t = np.arange(y.size, dtype=np.float64) if elapsed is None else np.asarray(elapsed, dtype=np.float64)
    design = np.column_stack([np.ones_like(t), t - t.mean(), *((moy == m).astype(np.float64) for m in range(2, 13))])
    coef, *_ = np.linalg.lstsq(design, np.log(y), rcond=None)
    residual = np.log(y) - design @ coef
    s2 = float(residual @ residual) / (y.size - design.shape[1])
    cov = s2 * np.linalg.pinv(design.T @ design)
    # log factor of month m = s_m - mean(s): a contrast of the coefficients (s_1 = 0 for January)
    contrast = np.zeros((12, design.shape[1]))
    contrast[:, 2:] = -1 / 12
    contrast[np.arange(1, 12), np.arange(2, 13)] += 1
    season = contrast @ coef
    variance = np.einsum("ij,jk,ik->i", contrast, cov, contrast)
    return Season(np.asarray(np.exp(season), dtype=np.float64), np.asarray(variance, dtype=np.float64))


@dataclass(frozen=True)
class SeasonalResult:
    """The latest month against its expectation from its own deseasonalised baseline (:func:`latest_seasonal_xmr`)."""

    latest: float
    expected: float  # the baseline level times the latest month's seasonal factor
    sigma: float  # standard deviation of (latest - expected), count scale
    z: float  # (latest - expected) / sigma
    p_value: float  # two-sided, Student's t on ``df``
    df: float
    limits: ControlLimits  # expected +/- 3 sigma, lower clipped at 0
    position: str  # above | below | within
    baseline_months: int
    seasonal: bool  # whether month-of-year factors were applied
    floored: bool  # whether sigma was raised to the Poisson sqrt(expected)


def latest_seasonal_xmr(
    series: ArrayLike,
    factors: ArrayLike | None = None,
    *,
    factor_log_variance: float = 0.0,
    baseline_months: int = 24,
    trend: bool = True,
    counts: bool = True,
) -> SeasonalResult:
    """Judge the last value of ``series`` against an XmR chart of its own deseasonalised baseline.

    1. Deseasonalise: each value divided by its month's factor (``factors``, aligned with
       ``series``; e.g. from :func:`seasonal_factors` on the London total of the category). Without
       factors the series is used as it is.
    2. The ``k`` (up to ``baseline_months``) values before the latest are the baseline. Sigma is
       the XmR one, mean moving range / 1.128: the series' own short-term variation, no Poisson
       assumption. The level is their least-squares line carried one month on (``trend=True``,
       so a series rising for two years is not flagged merely for rising once more) or their mean.
    3. Expected latest = that level x the latest month's factor. The variance of the latest about
       it: ``sigma^2 (1 + h)`` with ``h`` the leverage of the prediction (``1/k`` for the mean,
       ``1/k + (t - tbar)^2 / Sxx`` for the line), plus ``expected^2 x factor_log_variance`` for
       the estimated factor; for ``counts`` never below the Poisson ``expected``.
    4. ``z = (latest - expected) / sd``; the p value is two-sided against Student's t on the
       effective degrees of freedom of a mean moving range, ``0.62 (k - 1)`` (Wheeler 2000), since
       sigma rests on a couple of dozen months; the limits are ``expected +/- 3 sd``.

    References
    ----------
    Wheeler, D. J. (2000). Understanding Variation, 2nd ed., SPC Press (XmR charts; the effective
    degrees of freedom of the mean moving range). Montgomery, D. C. Introduction to Statistical
    Quality Control (individuals charts on the residuals of a model of trend and season).
    NHS England and NHS Improvement (2019), Making Data Count.
    """
    values = np.asarray(series, dtype=np.float64)
    if len(values) < 3:
        raise ValueError("need at least two baseline months and a latest month")
    seasonal = factors is not None
    f = np.ones_like(values) if factors is None else np.asarray(factors, dtype=np.float64)
    if f.shape != values.shape or not np.all(f > 0):
        raise ValueError("give one factor above 0 for each value of the series")
    k = min(baseline_months, len(values) - 1)
    base = (values[:-1] / f[:-1])[-k:]
    latest, factor = float(values[-1]), float(f[-1])
    sigma_d = float(np.abs(np.diff(base)).mean()) / D2
    if trend and k >= 6:
        t = np.arange(k, dtype=np.float64) - (k - 1) / 2
        sxx = float(t @ t)
        slope = float(t @ base) / sxx
        ahead = k - (k - 1) / 2
        level = max(0.0, float(base.mean()) + slope * ahead)
        leverage = 1 / k + ahead**2 / sxx
    else:
        level, leverage = float(base.mean()), 1 / k
    expected = level * factor
    variance = (sigma_d * factor) ** 2 * (1 + leverage) + expected**2 * factor_log_variance
    floored = False
    if counts and variance < expected:
        variance, floored = expected, True
    sigma = math.sqrt(max(variance, 0.0))
    df = max(1.0, MR_DF_FACTOR * (k - 1))
    if sigma > 0:
        z = (latest - expected) / sigma
        p = float(2 * stats.t.sf(abs(z), df))
    else:
        z = 0.0 if latest == expected else math.copysign(math.inf, latest - expected)
        p = 1.0 if latest == expected else 0.0
    limits = ControlLimits(expected, max(0.0, expected - 3 * sigma), expected + 3 * sigma)
    position = "above" if latest > limits.upper else "below" if latest < limits.lower else "within"
    return SeasonalResult(latest, expected, sigma, float(z), p, df, limits, position, k, seasonal, floored)
