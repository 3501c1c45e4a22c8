"""Public confidence from the MOPAC Public Attitude Survey (PAS): levels, trends and gaps.

Every proportion carries a Wilson (1927) score interval. The interval needs the number of
respondents; where the source publishes it (the monthly "informed" counts) it is used, else an
assumption is made and named in every output (the ``n_basis`` of each row):

* borough, rolling 12 months: about :data:`ASSUMED_BOROUGH_N` (400) interviews per borough per
  rolling year (the PAS design; the monthly London counts in the corpus, about 1,000-1,100
  respondents a month, i.e. about 400 per borough per year over 32 boroughs, agree);
* London (the MPS area), rolling 12 months: the sum over the 32 boroughs (12,800);
* a neighbourhood cell (one respondent group in one PAS neighbourhood): about
  :data:`ASSUMED_CELL_N` (100) respondents. The pooled 2015/16-2020/21 table by ethnicity does
  not publish its bases; about 2,400 interviews per borough over six years, spread over three or
  four neighbourhoods and split by ethnicity, gives cells of roughly 100 to 400 for the larger
  groups, so 100 is a deliberately cautious (wide-interval) choice. Targets may give their own
  ``n``.

The survey is weighted and clustered, and MOPAC does not publish the design effect, so these
intervals assume simple random sampling and are too narrow by the square root of the (unknown)
design effect (Kish 1965).

Trends compare a quarter with the same quarter a year earlier: the dashboard's figures are
rolling 12-month averages, so adjacent quarters share nine months of interviews and are not
independent, while quarters a year apart share none. The difference has Newcombe's (1998)
hybrid score interval and a two-proportion z test (pooled variance); q values are
Benjamini-Hochberg (1995) across the areas of one comparison.

Gaps between respondent groups (e.g. White British minus Black) use Newcombe's interval too.
The authority's historic target was the gap in *victim satisfaction* between White and BME
victims (the User Satisfaction Survey); that survey is not in the corpus, so the gap here is
between groups of PAS respondents, pooled 2015/16-2020/21, by neighbourhood, borough (pooled
over its neighbourhoods) or London.

This module holds the kernels (survey rows in, frozen results out); what is read from the store and
the question's options are in :mod:`metforward.questions.confidence`.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA 22:209-212.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Statistics in Medicine 17:873-890.
Kish, L. (1965). Survey Sampling. New York: Wiley (design effects).
Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57:289-300.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from metforward.analyse import lazy
from metforward.analyse.poisson import bh_qvalues
from metforward.analyse.proportions import newcombe_difference, wilson
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import MetforwardError

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")

ASSUMED_BOROUGH_N = 400
SURVEYED_BOROUGHS = 32
ASSUMED_LONDON_N = ASSUMED_BOROUGH_N * SURVEYED_BOROUGHS
ASSUMED_CELL_N = 100
DESIGN_NOTE = "intervals assume simple random sampling: the survey's weighting and design effect are not published"
CHANGE_NOTE = (
    "rolling 12-month figures: compared with the same quarter a year earlier (no shared interviews); "
    "adjacent quarters overlap and are not independent"
)
GAP_NOTE = (
    "Gaps are between groups of PAS respondents by their ethnicity, pooled 2015/16-2020/21 by neighbourhood "
    "(the victim satisfaction survey behind the authority's White/BME target is not available)."
)


class ConfidenceError(MetforwardError):
    """A request the survey data cannot answer (unknown measure, group or area)."""

    code = "confidence"


@dataclass(frozen=True)
class MeasureInfo:
    """One measure in the store: where it comes from and what it covers."""

    measure: str
    dataset: str
    levels: str
    groups: str
    first: dt.date
    last: dt.date
    figures: int

    def as_dict(self) -> dict[str, object]:
        """JSON form (dates as ISO text)."""
        return {**asdict(self), "first": self.first.isoformat(), "last": self.last.isoformat()}


def assumed_n(level: str, period_kind: str) -> tuple[float, str]:
    """The assumed respondents behind a figure with no published base, and the words that say so."""
    if level == "london":
        return ASSUMED_LONDON_N, (
            f"n assumed {ASSUMED_LONDON_N:,} ({ASSUMED_BOROUGH_N} per borough per rolling year x {SURVEYED_BOROUGHS})"
        )
    if level == "borough":
        return (
            ASSUMED_BOROUGH_N,
            f"n assumed {ASSUMED_BOROUGH_N} (about {ASSUMED_BOROUGH_N} per borough per rolling year)",
        )
    return ASSUMED_CELL_N, f"n assumed {ASSUMED_CELL_N} per neighbourhood cell ({period_kind}, base not published)"


@dataclass(frozen=True)
class Figure:
    """One survey figure with its interval (proportions 0..1)."""

    dataset: str
    measure: str
    period_start: dt.date
    period_end: dt.date
    period_kind: str
    level: str
    area_code: str
    area_name: str
    neighbourhood: str | None
    group: str
    proportion: float
    ci_low: float
    ci_high: float
    n: float
    n_basis: str

    def as_dict(self) -> dict[str, object]:
        """JSON form (dates as ISO text)."""
        out = asdict(self)
        out["period_start"] = self.period_start.isoformat()
        out["period_end"] = self.period_end.isoformat()
        return out


def figures_of(rows: Sequence[Sequence[Any]], *, n: float | None = None, confidence: float = 0.95) -> list[Figure]:
    """Survey rows (dataset, measure, period start and end, period kind, level, area code and name,
    neighbourhood, group, proportion, published n; oldest first) as figures with Wilson intervals.

    The same figure from two files (e.g. the London total and another London series) is kept once;
    ``n`` overrides the assumed base where none is published.
    """
    out = []
    seen: set[tuple[object, ...]] = set()
    for dataset, name, p_start, p_end, kind, level, code, area_name, hood, grp, p, published in rows:
        key = (p_end, level, code, hood, grp)
        if key in seen:  # the same figure from two files (e.g. the London total and another London series)
            continue
        seen.add(key)
        if published is not None:
            size, basis = float(published), f"n {published:,.0f} published"
        elif n is not None:
            size, basis = float(n), f"n {n:g} given"
        else:
            size, basis = assumed_n(level, kind)
        est = wilson(p * size, size, confidence=confidence)
        out.append(
            Figure(
                dataset,
                name,
                p_start,
                p_end,
                kind,
                level,
                code,
                area_name,
                hood,
                grp,
                p,
                est.low,
                est.high,
                size,
                basis,
            )
        )
    return out


@dataclass(frozen=True)
class Change:
    """A figure against the same area's figure a year earlier (non-overlapping rolling years)."""

    measure: str
    area_code: str
    area_name: str
    before_end: dt.date
    after_end: dt.date
    before: float
    after: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float
    verdict: str
    n_basis: str

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        out = asdict(self)
        out["before_end"] = self.before_end.isoformat()
        out["after_end"] = self.after_end.isoformat()
        return out


def two_proportion_p(sa: float, na: float, sb: float, nb: float) -> float:
    """Two-sided p value of the pooled two-proportion z test of ``p_a = p_b``."""
    pooled = (sa + sb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    if se == 0:
        return 1.0
    z = (sa / na - sb / nb) / se
    return float(2 * stats.norm.sf(abs(z)))


def year_on_year_of(
    measure: str,
    at: dt.date,
    now: Sequence[Figure],
    then: Sequence[Figure],
    *,
    level: str = "borough",
    confidence: float = 0.95,
) -> list[Change]:
    """Each area's figure of ``now`` (the periods ending ``at``) against its figure of ``then`` (ending 12
    months earlier), for the areas of ``level``: Newcombe interval, two-proportion z test, BH q values
    across the areas."""
    after_of = {(f.area_code, f.neighbourhood, f.group): f for f in now}
    before_of = {(f.area_code, f.neighbourhood, f.group): f for f in then}
    pairs = [
        (after_of[k], before_of[k]) for k in sorted(after_of, key=str) if k in before_of and after_of[k].level == level
    ]
    if not pairs:
        raise ConfidenceError(
            f"no {level} figures of {measure!r} for both periods ending {year_earlier(at)} and {at}; "
            "rolling 12-month figures are compared with the same quarter a year earlier"
        )
    changes = []
    ps = []
    for after, before in pairs:
        est = newcombe_difference(
            after.proportion * after.n, after.n, before.proportion * before.n, before.n, confidence=confidence
        )
        ps.append(two_proportion_p(after.proportion * after.n, after.n, before.proportion * before.n, before.n))
        changes.append((after, before, est))
    qs = bh_qvalues(np.array(ps))
    alpha = 1 - confidence
    out = []
    for (after, before, est), p, q in zip(changes, ps, qs, strict=True):
        verdict = "can't tell" if q > alpha else ("up" if est.value > 0 else "down")
        out.append(
            Change(
                measure,
                after.area_code,
                after.area_name,
                before.period_end,
                after.period_end,
                before.proportion,
                after.proportion,
                est.value,
                est.low,
                est.high,
                p,
                float(q),
                verdict,
                after.n_basis,
            )
        )
    return out


def year_earlier(day: dt.date) -> dt.date:
    """The end of the month a year before ``day``'s month."""
    first = dt.date(day.year - 1, day.month, 1)
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


@dataclass(frozen=True)
class Gap:
    """``group_a - group_b`` in one neighbourhood or pooled over an area."""

    measure: str
    area_code: str
    area_name: str
    neighbourhood: str | None  # None: pooled over the area's neighbourhoods
    group_a: str
    group_b: str
    p_a: float
    p_b: float
    n_a: float
    n_b: float
    gap: float
    ci_low: float
    ci_high: float
    n_basis: str

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return asdict(self)


def gaps_of(
    measure: str,
    rows: Sequence[Figure],
    group_a: str,
    group_b: str,
    *,
    area: str | None = None,
    confidence: float = 0.95,
) -> list[Gap]:
    """Per-neighbourhood gaps ``group_a - group_b``, then one pooled gap per borough and one for London
    (``area``: London, a borough GSS code, or None for all).

    Pooling sums ``p x n`` and ``n`` over the neighbourhoods where both groups are published.
    """
    groups = {f.group.lower() for f in rows}
    for g in (group_a, group_b):
        if g.lower() not in groups:
            raise ConfidenceError(f"{measure!r} has no group {g!r}; its groups: {', '.join(sorted(groups))}")
    cells: dict[tuple[str, str | None], dict[str, Figure]] = {}
    for f in rows:
        if area is None or area == "London" or f.area_code == area:
            cells.setdefault((f.area_code, f.neighbourhood), {})[f.group.lower()] = f
    pairs = [
        (c[group_a.lower()], c[group_b.lower()])
        for c in cells.values()
        if group_a.lower() in c and group_b.lower() in c
    ]
    out = [
        _gap(measure, group_a, group_b, [pair], pair[0].area_code, pair[0].area_name, pair[0].neighbourhood, confidence)
        for pair in pairs
    ]
    by_borough: dict[str, list[tuple[Figure, Figure]]] = {}
    for pair in pairs:
        by_borough.setdefault(pair[0].area_code, []).append(pair)
    for code, members in sorted(by_borough.items()):
        if len(members) > 1:
            out.append(
                _gap(measure, group_a, group_b, members, code, LONDON_BOROUGHS.get(code, code), None, confidence)
            )
    if pairs and (area is None or area == "London"):
        out.append(_gap(measure, group_a, group_b, pairs, "London", "London", None, confidence))
    return out


def _gap(
    measure: str,
    group_a: str,
    group_b: str,
    pairs: list[tuple[Figure, Figure]],
    code: str,
    name: str,
    hood: str | None,
    confidence: float,
) -> Gap:
    sa = sum(a.proportion * a.n for a, _ in pairs)
    na = sum(a.n for a, _ in pairs)
    sb = sum(b.proportion * b.n for _, b in pairs)
    nb = sum(b.n for _, b in pairs)
    est = newcombe_difference(sa, na, sb, nb, confidence=confidence)
    basis = pairs[0][0].n_basis + ("" if len(pairs) == 1 else f"; pooled over {len(pairs)} neighbourhoods")
    return Gap(
        measure, code, name, hood, group_a, group_b, sa / na, sb / nb, na, nb, est.value, est.low, est.high, basis
    )


def period_end_of(text: object) -> dt.date:
    """A period end: ``YYYY-MM`` (the month's last day) or ``YYYY-MM-DD``; ValueError otherwise."""
    value = str(text)
    if len(value) == 7:  # YYYY-MM: the month's end
        first = dt.date.fromisoformat(value + "-01")
        return year_earlier(dt.date(first.year + 1, first.month, 1))
    return dt.date.fromisoformat(value)
