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
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from metforward.analyse.poisson import bh_qvalues
from metforward.analyse.proportions import newcombe_difference, wilson
from metforward.analyse.target_sources import Observation
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import MetforwardError
from metforward.store.database import Database
from metforward.store.queries import confidence as queries

ASSUMED_BOROUGH_N = 400
SURVEYED_BOROUGHS = 32
ASSUMED_LONDON_N = ASSUMED_BOROUGH_N * SURVEYED_BOROUGHS
ASSUMED_CELL_N = 100
DESIGN_NOTE = "intervals assume simple random sampling: the survey's weighting and design effect are not published"


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


def measures(db: Database) -> list[MeasureInfo]:
    """Every survey measure in the store."""
    rows = queries.measures(db)
    return [MeasureInfo(*row) for row in rows]


def unmatched_names(db: Database) -> list[tuple[str, int, str]]:
    """Survey rows rejected because their borough name matched no London borough: (file, line, name)."""
    return queries.unmatched_names(db)


def find_measure(db: Database, name: str) -> str:
    """The measure called ``name`` (case-insensitive, or a unique part of its name)."""
    names = [m.measure for m in measures(db)]
    if not names:
        raise ConfidenceError("no survey data in the store: ingest the PAS files first (metforward ingest ...)")
    wanted = name.strip().lower()
    exact = [n for n in names if n.lower() == wanted]
    if exact:
        return exact[0]
    partial = [n for n in names if wanted in n.lower()]
    if len(partial) == 1:
        return partial[0]
    shown = "; ".join(partial or names)
    why = "matches several measures" if partial else "is not a survey measure in the store"
    raise ConfidenceError(f"{name!r} {why}; choose one of: {shown}")


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


def figures(
    db: Database,
    measure: str,
    *,
    area: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    group: str | None = None,
    n: float | None = None,
    confidence: float = 0.95,
) -> list[Figure]:
    """The figures of ``measure`` with Wilson intervals, oldest first.

    ``area``: ``"London"``, a borough GSS code (its borough and neighbourhood rows) or None
    (all). ``n`` overrides the assumed base where none is published.
    """
    rows = queries.figures(db, measure, area=area, start=start, end=end, group=group)
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
    return float(2 * norm.sf(abs(z)))


def year_on_year(
    db: Database, measure: str, at: dt.date, *, level: str = "borough", confidence: float = 0.95
) -> list[Change]:
    """Each area's figure for the period ending ``at`` against the one ending 12 months earlier."""
    before_end = _year_earlier(at)
    now = {
        (f.area_code, f.neighbourhood, f.group): f
        for f in figures(db, measure, start=at, end=at, confidence=confidence)
    }
    then = {
        (f.area_code, f.neighbourhood, f.group): f
        for f in figures(db, measure, start=before_end, end=before_end, confidence=confidence)
    }
    pairs = [(now[k], then[k]) for k in sorted(now, key=str) if k in then and now[k].level == level]
    if not pairs:
        raise ConfidenceError(
            f"no {level} figures of {measure!r} for both periods ending {before_end} and {at}; "
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


def _year_earlier(day: dt.date) -> dt.date:
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


def gaps(
    db: Database,
    measure: str,
    group_a: str,
    group_b: str,
    *,
    area: str | None = None,
    n: float | None = None,
    confidence: float = 0.95,
) -> list[Gap]:
    """Per-neighbourhood gaps, then one pooled gap per borough and one for London (``area`` narrows).

    Pooling sums ``p x n`` and ``n`` over the neighbourhoods where both groups are published.
    """
    rows = figures(db, measure, n=n, confidence=confidence)
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


# --- targets ---------------------------------------------------------------------------------------


def _period_end(text: object) -> dt.date:
    value = str(text)
    if len(value) == 7:  # YYYY-MM: the month's end
        first = dt.date.fromisoformat(value + "-01")
        return _year_earlier(dt.date(first.year + 1, first.month, 1))
    return dt.date.fromisoformat(value)


class SurveyTargetSource:
    """Store-backed ``level`` and ``gap`` targets from the PAS (source name ``survey``).

    ``level``: ``{source: survey, measure: "Trust MPS", period: 2023-12}`` (the period end: a
    date or a month, default the latest), optional ``group``, ``neighbourhood``, ``n``.
    ``gap``: ``{source: survey, measure: "treat everyone fairly", groups: [White British, Black]}``
    (``a - b`` in points), optional ``neighbourhood`` and ``n`` (respondents per group cell).
    """

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        """Problems with a target's ``measure`` mapping."""
        problems = []
        if target_type not in ("level", "gap"):
            problems.append(f"the survey source gives level and gap targets, not {target_type}")
        if not isinstance(spec.get("measure"), str) or not spec["measure"].strip():
            problems.append("'measure' must name a survey measure (e.g. 'Trust MPS')")
        if target_type == "gap":
            groups = spec.get("groups")
            if not (isinstance(groups, list) and len(groups) == 2 and all(isinstance(g, str) for g in groups)):
                problems.append("a gap needs 'groups': [group a, group b] (gap = a - b), e.g. [White British, Black]")
        if "period" in spec:
            try:
                _period_end(spec["period"])
            except ValueError:
                problems.append("'period' must be a period end: YYYY-MM or YYYY-MM-DD")
        if "n" in spec and not (isinstance(spec["n"], int | float) and spec["n"] > 0):
            problems.append("'n' must be a number above 0 (respondents)")
        return problems

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        """The observation for ``area`` ("London" or a borough GSS code)."""
        try:
            measure = find_measure(db, str(spec["measure"]))
        except ConfidenceError as exc:
            return Observation(basis=f"PAS: {exc}")
        n = float(spec["n"]) if "n" in spec else None
        hood = spec.get("neighbourhood")
        if target_type == "gap":
            a, b = spec["groups"]
            try:
                found = gaps(db, measure, a, b, area=area, n=n, confidence=confidence)
            except ConfidenceError as exc:
                return Observation(basis=f"PAS: {exc}")
            chosen = [
                g
                for g in found
                if g.area_code == area and (g.neighbourhood or "").lower() == (str(hood).lower() if hood else "")
            ]
            if not chosen and hood is None:  # a borough with one neighbourhood: its only gap
                single = [g for g in found if g.area_code == area]
                chosen = single if len(single) == 1 else []
            if not chosen:
                return Observation(
                    basis=f"PAS {measure!r}: no {a} and {b} figures for {area}{f' - {hood}' if hood else ''}"
                )
            g = chosen[0]
            where = f"{g.area_name}{f' - {g.neighbourhood}' if g.neighbourhood else ''}"
            return Observation(
                groups=((g.p_a * g.n_a, g.n_a), (g.p_b * g.n_b, g.n_b)),
                labels=(a, b),
                basis=(
                    f"PAS {measure!r}, {where}, 2015/16-2020/21 pooled, respondents' ethnicity (not the victim "
                    f"satisfaction survey, which is not available); {g.p_a:.1%} {a} minus {g.p_b:.1%} {b}; "
                    f"{g.n_basis}; Newcombe interval; {DESIGN_NOTE}"
                ),
            )
        end = _period_end(spec["period"]) if "period" in spec else None
        rows = figures(
            db, measure, area=area, start=end, end=end, group=spec.get("group", "all"), n=n, confidence=confidence
        )
        rows = [r for r in rows if (r.neighbourhood or "").lower() == (str(hood).lower() if hood else "")]
        if not rows:
            return Observation(basis=f"PAS {measure!r}: no figure for {area}{f' ending {end}' if end else ''}")
        f = rows[-1]
        return Observation(
            counts=(f.proportion * f.n, f.n),
            basis=(
                f"PAS {measure!r}, {f.area_name}, {f.period_kind} ending {f.period_end}: {f.proportion:.1%}; "
                f"{f.n_basis}; Wilson interval; {DESIGN_NOTE}"
            ),
        )


TARGET_SOURCE = SurveyTargetSource()
