"""Kernels of the strand views (violence against women and girls, business crime, fairness in outcomes).

Three methods, each on plain numbers (no store, no I/O):

* :func:`trends`: a period against the one before it for many rows (areas, offence groups, ...), judged
  as every comparison in metforward is (:func:`metforward.analyse.dispersion.judge`): the rate ratio
  per month of data, its interval and p value allowing for the month-to-month variation of the counts
  (quasi-Poisson, dispersion from the rows' own months), Benjamini-Hochberg q values across the rows,
  and the verdict "up", "down" or "can't tell".
* :func:`group_rates`: counts per 1,000 residents of each group (custody disposals or victims by
  ethnicity) with the exact Poisson interval of each rate (Garwood 1936), and each group's rate ratio
  to a reference group. The ratio's interval allows for extra-Poisson variation: on the 2 x M table of
  the two groups' monthly counts, the log-linear model with a group and a month effect (offset the log
  population) gives the ratio of the two groups' totals per resident, and Pearson's X2 over its M - 1
  degrees of freedom estimates the dispersion ``phi`` (floored at 1), so
  ``se(log RR) = sqrt(phi * (1 / A + 1 / B))`` with Student's t on M - 1 degrees of freedom (McCullagh
  and Nelder 1989, sections 4.5 and 9.2: the figures of ``statsmodels`` ``GLM(..., family=Poisson(),
  offset=log(population)).fit(scale="X2", use_t=True)`` when ``phi`` >= 1). With fewer than
  :data:`~metforward.analyse.dispersion.MIN_DF` + 1 months, or a zero count, the exact conditional
  interval of two Poisson counts is used instead (Przyborowski and Wilenski 1940), as for stop and search.
* :func:`share`: a proportion (positive outcomes of all outcomes; a disposal's share of a group's
  disposals) with the Wilson (1927) score interval, or the exact Clopper-Pearson (1934) interval when
  fewer than :data:`SMALL` cases fall on either side.

:class:`StrandSection` is what a strand gives the borough reports: a titled table with its caption.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from metforward.analyse import lazy
from metforward.analyse.dispersion import MIN_DF, judge
from metforward.analyse.poisson import clopper_pearson, compare_poisson, poisson_interval
from metforward.analyse.proportions import newcombe_difference, wilson
from metforward.analyse.reports import Missing
from metforward.domain.periods import Period, add_months
from metforward.errors import BadRequest, NoData

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")

#: Fewer cases than this on either side of a proportion: the exact (Clopper-Pearson) interval, not Wilson's.
SMALL = 5
#: The columns of a trend row, after its keys.
TREND_COLUMNS = (
    "before",
    "after",
    "change_pct",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "verdict",
    "months_before",
    "months_after",
    "dispersion",
)
#: The columns of a group-rate row.
RATE_COLUMNS = (
    "group",
    "count",
    "population",
    "rate_per_1000",
    "rate_low",
    "rate_high",
    "ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "method",
)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class TrendRow:
    """One row of a trend table: its keys, the two periods' counts and the comparison's figures."""

    keys: dict[str, object]
    before: int
    after: int
    change_pct: float | None
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    verdict: str
    months_before: int
    months_after: int
    dispersion: float | None

    def as_dict(self) -> dict[str, object]:
        """The keys, then :data:`TREND_COLUMNS`."""
        figures = asdict(self)
        figures.pop("keys")
        return {**self.keys, **figures}


def trends(
    keys: Sequence[dict[str, object]],
    series: Sequence[Mapping[dt.date, int]],
    before: Sequence[dt.date],
    after: Sequence[dt.date],
    *,
    method: str = "quasi",
    alpha: float = 0.05,
) -> tuple[list[TrendRow], str]:
    """Each row's months ``after`` against its months ``before`` (the months with data in each period: a
    month with data but no count for a row is a 0 for it), judged by ``method``; and the method line.

    ``series[i]`` holds row ``i``'s counts by month (months outside both periods are ignored).
    """
    b_months, a_months = sorted(set(before)), sorted(set(after))
    b = np.array([sum(s.get(m, 0) for m in b_months) for s in series], dtype=np.int64)
    a = np.array([sum(s.get(m, 0) for m in a_months) for s in series], dtype=np.int64)
    sb = np.array([sum(s.get(m, 0) ** 2 for m in b_months) for s in series], dtype=np.float64)
    sa = np.array([sum(s.get(m, 0) ** 2 for m in a_months) for s in series], dtype=np.float64)
    judged = judge(
        b,
        a,
        float(len(b_months)),
        float(len(a_months)),
        squares_before=sb,
        squares_after=sa,
        method=method,
        alpha=alpha,
    )
    rows = [
        TrendRow(
            keys=dict(k),
            before=int(b[i]),
            after=int(a[i]),
            change_pct=_finite(judged.change_pct[i]),
            rate_ratio=_finite(judged.rate_ratio[i]),
            ci_low=_finite(judged.ci_low[i]),
            ci_high=_finite(judged.ci_high[i]),
            p_value=_finite(judged.p_value[i]),
            q_value=_finite(judged.q_value[i]),
            verdict=judged.verdict[i],
            months_before=len(b_months),
            months_after=len(a_months),
            dispersion=_finite(judged.dispersion[i]),
        )
        for i, k in enumerate(keys)
    ]
    return rows, judged.summary()


@dataclass(frozen=True)
class GroupRate:
    """One group's count per 1,000 residents and its ratio to the reference group."""

    group: str
    count: int
    population: float | None
    rate_per_1000: float | None
    rate_low: float | None
    rate_high: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str  # quasi-Poisson (dispersion x.xx) | exact conditional | reference | no residents

    def as_dict(self) -> dict[str, object]:
        """:data:`RATE_COLUMNS`."""
        return asdict(self)


def ratio_quasi(
    group: Sequence[int], reference: Sequence[int], population: float, reference_population: float, *, confidence: float
) -> tuple[float, float, float, float, float]:
    """Rate ratio of ``group`` to ``reference`` (monthly counts, aligned; residents as exposures) with its
    quasi-Poisson interval and p value: ``(ratio, low, high, p, phi)`` (see the module's docstring)."""
    g = np.asarray(group, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    a, b = g.sum(), r.sum()
    months = g + r
    live = months > 0
    fit_g, fit_r = months[live] * a / (a + b), months[live] * b / (a + b)
    x2 = float(((g[live] - fit_g) ** 2 / fit_g).sum() + ((r[live] - fit_r) ** 2 / fit_r).sum())
    df = int(live.sum()) - 1
    phi = max(1.0, x2 / df)
    log_ratio = math.log((a / population) / (b / reference_population))
    se = math.sqrt(phi * (1 / a + 1 / b))
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, df))
    p = float(2 * stats.t.sf(abs(log_ratio) / se, df))
    return math.exp(log_ratio), math.exp(log_ratio - t * se), math.exp(log_ratio + t * se), p, phi


def group_rates(
    monthly: Mapping[str, Sequence[int]],
    populations: Mapping[str, float],
    *,
    groups: Sequence[str],
    reference: str = "White",
    confidence: float = 0.95,
) -> list[GroupRate]:
    """Counts per 1,000 residents of each of ``groups`` and their ratios to ``reference``.

    ``monthly[g]``: group ``g``'s counts by month (the same months, in the same order, for every group);
    ``populations[g]``: its residents. A group with no residents has no rate (its counts are still shown).
    """
    ref = list(monthly.get(reference, ()))
    ref_pop = populations.get(reference)
    out = []
    for g in groups:
        counts = list(monthly.get(g, ()))
        n = int(sum(counts))
        pop = populations.get(g)
        if not pop:
            out.append(GroupRate(g, n, None, None, None, None, None, None, None, None, "no residents"))
            continue
        low, high = poisson_interval([n], confidence=confidence)
        rate = (1000 * n / pop, 1000 * float(low[0]) / pop, 1000 * float(high[0]) / pop)
        if g == reference:
            out.append(GroupRate(g, n, pop, *rate, 1.0, None, None, None, "reference"))
            continue
        k = int(sum(ref))
        if not ref_pop or n + k == 0:
            out.append(GroupRate(g, n, pop, *rate, None, None, None, None, "no reference count"))
            continue
        if n > 0 and k > 0 and sum(1 for x, y in zip(counts, ref, strict=True) if x + y > 0) - 1 >= MIN_DF:
            ratio, ci_low, ci_high, p, phi = ratio_quasi(counts, ref, pop, ref_pop, confidence=confidence)
            method = f"quasi-Poisson (dispersion {phi:.2f})"
        else:
            c = compare_poisson([k], [n], [ref_pop], [pop], confidence=confidence)
            ratio, ci_low, ci_high, p = (
                float(c.rate_ratio[0]),
                float(c.ci_low[0]),
                float(c.ci_high[0]),
                float(c.p_value[0]),
            )
            method = "exact conditional"
        out.append(GroupRate(g, n, pop, *rate, _finite(ratio), _finite(ci_low), _finite(ci_high), p, method))
    return out


@dataclass(frozen=True)
class Share:
    """A proportion with its interval and the interval's method (``wilson`` or ``exact``)."""

    value: float | None
    low: float | None
    high: float | None
    interval: str


def share(k: int, n: int, *, confidence: float = 0.95) -> Share:
    """``k / n`` with the Wilson interval, or the exact one when fewer than :data:`SMALL` cases are on either side."""
    if n <= 0:
        return Share(None, None, None, "none")
    if k < SMALL or n - k < SMALL:
        low, high = clopper_pearson([k], [n], confidence=confidence)
        return Share(k / n, float(low[0]), float(high[0]), "exact")
    est = wilson(k, n, confidence=confidence)
    return Share(est.value, est.low, est.high, "wilson")


def share_difference(
    k: int, n: int, k_ref: int, n_ref: int, *, confidence: float = 0.95
) -> tuple[float, float, float] | None:
    """``k / n - k_ref / n_ref`` with Newcombe's hybrid score interval (None when either ``n`` is 0)."""
    if n <= 0 or n_ref <= 0:
        return None
    d = newcombe_difference(k, n, k_ref, n_ref, confidence=confidence)
    return d.value, d.low, d.high


@dataclass(frozen=True)
class StrandSection:
    """A strand's section of a borough report: a title, a sentence, one table (header, rows, caption), the
    command that prints the same figures; or what is missing and how to load it."""

    slug: str
    title: str
    lede: str = ""
    header: tuple[str, ...] = ()
    rows: list[tuple[object, ...]] = field(default_factory=list)
    caption: str = ""
    command: str = ""
    missing: Missing | None = None


__all__ = [
    "RATE_COLUMNS",
    "SMALL",
    "TREND_COLUMNS",
    "GroupRate",
    "Share",
    "StrandSection",
    "TrendRow",
    "group_rates",
    "latest_periods",
    "ratio_quasi",
    "share",
    "share_difference",
    "trends",
]


def latest_periods(
    present: Sequence[dt.date], before: str | None, after: str | None, *, length: int = 12
) -> tuple[Period, Period]:
    """The two periods of a strand's trend: those given (``before`` and ``after``, ``YYYY-MM:YYYY-MM``), else
    the last ``length`` months with data (``present``) and the ``length`` months before them. Given only
    ``after``, ``before`` is the same number of months just before it. :class:`NoData` when nothing is loaded."""
    if after is not None:
        second = Period.parse(after, field="after")
    elif before is not None:
        raise BadRequest("give after (YYYY-MM:YYYY-MM) with before, or neither for the latest months", field="after")
    elif not present:
        raise NoData("no months of this source are loaded")
    else:
        last = max(present)
        second = Period(add_months(last, 1 - length), last)
    if before is not None:
        first = Period.parse(before, field="before")
    else:
        first = Period(add_months(second.first, -second.months), add_months(second.first, -1))
    return first, second
