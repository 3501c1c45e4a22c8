"""Business crime and its outcomes (the plan's business crime strand): offences against businesses by borough,
crime section or group, a period against the one before it with a calibrated verdict, and the share of the
outcomes recorded in the period that were positive, with its interval.

The one place the question is answered: options and defaults (:class:`Query`), the reads
(:mod:`metforward.store.queries.business_crime`) and the kernels of :mod:`metforward.analyse.strands`.
The MPS flags each outcome positive or not (``Y``: a charge or summons, a caution, a community resolution,
a penalty notice, ...); the rate is positive outcomes over all outcomes recorded in the period, a flow: the
outcomes of a month are of crimes recorded then or earlier, so it is not the share of the period's crimes
solved. The interval is Wilson's (1927), or the exact Clopper-Pearson one where fewer than 5 outcomes fall
on either side.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from metforward.analyse.dispersion import METHODS
from metforward.analyse.reports import Missing
from metforward.analyse.strands import TREND_COLUMNS, StrandSection, latest_periods, share, trends
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import Period, month_text
from metforward.errors import BadRequest, NoData
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.vawg import borough_place
from metforward.store.database import Database
from metforward.store.places import Place
from metforward.store.queries import business_crime as queries

BY = tuple(queries.BY)
KEY = {"borough": ("area_code", "area_name"), "section": ("crime_section",), "group": ("crime_group",)}
#: The outcome columns after a trend row's.
OUTCOME_COLUMNS = ("outcomes", "positive_outcomes", "positive_rate", "positive_low", "positive_high", "interval")
KINDS = ("business-crime-offences", "business-crime-outcomes")


@dataclass(frozen=True)
class Query:
    """What to answer, as text options, with the defaults in one place.

    ``by``: borough, section, group (crime group) or month; ``area``: None or London, or a borough;
    ``before``/``after``: periods ``YYYY-MM:YYYY-MM`` (default: the last 12 months of offences and the 12
    before them). Outcomes are those recorded in the ``after`` period."""

    by: str = "borough"
    area: str | None = None
    before: str | None = None
    after: str | None = None
    method: str = "quasi"
    alpha: float = 0.05
    confidence: float = 0.95

    def check(self) -> None:
        """Every option checked before the store is read: :class:`BadRequest` naming the option at fault."""
        if self.by not in BY:
            raise BadRequest(f"by must be one of {', '.join(BY)}, not {self.by!r}", field="by")
        if self.method not in METHODS:
            raise BadRequest(f"method must be one of {', '.join(METHODS)}, not {self.method!r}", field="method")
        for name in ("alpha", "confidence"):
            if not 0 < getattr(self, name) < 1:
                raise BadRequest(f"{name} must lie between 0 and 1", field=name)
        latest_periods([dt.date(2000, 1, 1)], self.before, self.after)


@dataclass(frozen=True)
class BusinessResult:
    """What a business crime answer draws on."""

    by: str
    area: str
    before: Period
    after: Period
    months_before: list[dt.date]
    months_after: list[dt.date]
    outcome_months: list[dt.date]
    rows: list[dict[str, Any]]
    monthly: dict[str, dict[str, int]]
    method_note: str


def _place(db: Database, area: str | None) -> Place | None:
    place = borough_place(db, area)
    if place is not None and place.level != "borough":
        raise BadRequest(
            f"business crime is published by borough: give London or a borough, not {place.level} {place.name}",
            field="area",
        )
    return place


def _series(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, Any], tuple[dict[dt.date, int], dict[dt.date, int]]]:
    out: dict[tuple[Any, Any], tuple[dict[dt.date, int], dict[dt.date, int]]] = defaultdict(lambda: ({}, {}))
    for code, name, month, n, positive in rows:
        out[(code, name)][0][month] = int(n)
        out[(code, name)][1][month] = int(positive)
    return out


def business_crime(db: Database, query: Query) -> BusinessResult:
    """The table (or monthly series) ``query`` asks for."""
    query.check()
    place = _place(db, query.area)
    present = queries.months(db, "offences")
    if not present:
        raise NoData("no MPS business crime offences in the store: ingest the business crime dashboard's offences file")
    before, after = latest_periods(present, query.before, query.after)
    in_before = [m for m in present if before.first <= m <= before.last]
    in_after = [m for m in present if after.first <= m <= after.last]
    outcome_months = [m for m in queries.months(db, "outcomes") if after.first <= m <= after.last]
    borough = None if place is None else place.code
    offences = _series(queries.series(db, "offences", query.by, before.first, after.last, borough))
    outcomes = _series(queries.series(db, "outcomes", query.by, after.first, after.last, borough))
    area = "London" if place is None else place.name
    totals: dict[str, int] = defaultdict(int)
    for counts, _ in offences.values():
        for m, n in counts.items():
            totals[month_text(m)] += n
    monthly = {f"business crime offences, {area}": dict(sorted(totals.items()))}
    if query.by == "month":
        (out_counts, out_positive) = outcomes.get((None, None), ({}, {}))
        rows: list[dict[str, Any]] = []
        for m in [*in_before, *in_after]:
            n, k = out_counts.get(m, 0), out_positive.get(m, 0)
            rate = share(k, n, confidence=query.confidence)
            rows.append(
                {
                    "month": month_text(m),
                    "period": "after" if m >= after.first else "before",
                    "offences": totals.get(month_text(m), 0),
                    "outcomes": n if m in outcome_months else None,
                    "positive_outcomes": k if m in outcome_months else None,
                    "positive_rate": rate.value,
                    "positive_low": rate.low,
                    "positive_high": rate.high,
                    "interval": rate.interval,
                }
            )
        return BusinessResult(query.by, area, before, after, in_before, in_after, outcome_months, rows, monthly, "")
    names = sorted(set(offences) | set(outcomes), key=lambda k: (k[1] is None, str(k[1]), str(k[0])))
    keys = [dict(zip(KEY[query.by], k if query.by == "borough" else (k[1],), strict=True)) for k in names]
    judged, note = trends(
        keys, [offences.get(k, ({}, {}))[0] for k in names], in_before, in_after, method=query.method, alpha=query.alpha
    )
    table: list[dict[str, Any]] = []
    for name, r in zip(names, judged, strict=True):
        counts, flags = outcomes.get(name, ({}, {}))
        n_out, positive = sum(counts.values()), sum(flags.values())
        rate = share(positive, n_out, confidence=query.confidence)
        table.append(
            {
                **r.as_dict(),
                "outcomes": n_out,
                "positive_outcomes": positive,
                "positive_rate": rate.value,
                "positive_low": rate.low,
                "positive_high": rate.high,
                "interval": rate.interval,
            }
        )
    return BusinessResult(query.by, area, before, after, in_before, in_after, outcome_months, table, monthly, note)


def columns(by: str) -> tuple[str, ...]:
    """The keys of an item of a table ``by``."""
    if by == "month":
        return ("month", "period", "offences", *OUTCOME_COLUMNS)
    return (*KEY[by], *TREND_COLUMNS, *OUTCOME_COLUMNS)


def ask(db: Database, query: Query) -> Answer:
    """Business crime by ``query.by``: offences a period against the one before, positive outcome rates."""
    result = business_crime(db, query)
    notes = [
        "MPS Business Crime dashboard: offences against businesses by the day they were recorded; outcomes by the "
        "day they were recorded, whatever month the crime was",
        f"offences: {len(result.months_after)} of {result.after.months} months present in {result.after}, "
        f"{len(result.months_before)} of {result.before.months} in {result.before}; outcomes: "
        f"{len(result.outcome_months)} of {result.after.months} months present in {result.after}",
        "positive outcome rate: outcomes the MPS flags positive over every outcome recorded in the period; Wilson "
        f"{query.confidence:.0%} interval, exact (Clopper-Pearson) where fewer than 5 fall on either side",
    ]
    meta = {
        "by": query.by,
        "area": result.area,
        "before": str(result.before),
        "after": str(result.after),
        "months_before": [month_text(m) for m in result.months_before],
        "months_after": [month_text(m) for m in result.months_after],
        "outcome_months": [month_text(m) for m in result.outcome_months],
        "method": result.method_note,
        "loads": loads_used(db, KINDS),
    }
    return Answer(
        question="business-crime",
        query=dataclasses.asdict(query),
        items=result.rows,
        columns=columns(query.by),
        meta=meta,
        notes=notes,
        result=result,
    )


def section(db: Database, borough: str, before: Period, after: Period) -> StrandSection:
    """The borough report's section: the borough's and London's business crime, ``after`` against ``before``."""
    title = "Business crime"
    present = queries.months(db, "offences")
    if not any(before.first <= m <= before.last for m in present) or not any(
        after.first <= m <= after.last for m in present
    ):
        return StrandSection(
            "business-crime",
            title,
            missing=Missing(
                f"MPS business crime offences covering {before} and {after}",
                "ingest the business crime dashboard's offences and outcomes files (listed by: metforward sources)",
            ),
        )
    rows: list[tuple[object, ...]] = []
    months = (0, 0)
    for area in (borough, None):
        query = Query(area=area, before=str(before), after=str(after))
        found = business_crime(db, dataclasses.replace(query, by="month"))
        month_rows = found.rows
        series = {dt.date.fromisoformat(r["month"] + "-01"): int(r["offences"]) for r in month_rows}
        (trend,), _ = trends([{}], [series], found.months_before, found.months_after)
        months = (len(found.months_before), len(found.months_after))
        n = sum(int(r["outcomes"] or 0) for r in month_rows if r["period"] == "after")
        k = sum(int(r["positive_outcomes"] or 0) for r in month_rows if r["period"] == "after")
        rate = share(k, n)
        rows.append(
            (
                found.area,
                trend.before,
                trend.after,
                trend.change_pct,
                trend.rate_ratio,
                trend.verdict,
                None if rate.value is None else 100 * rate.value,
                None if rate.low is None else f"{100 * rate.low:.1f} to {100 * (rate.high or 0):.1f}",
            )
        )
    return StrandSection(
        "business-crime",
        title,
        lede=f"Offences against businesses (MPS Business Crime dashboard), {after} ({months[1]} of {after.months} "
        f"months loaded) against {before} ({months[0]} of {before.months}), and the share of the outcomes recorded in "
        f"{after} that were positive.",
        header=("area", "before", "after", "change %", "rate ratio", "verdict", "positive %", "95% interval"),
        rows=rows,
        caption="Rate ratio per month of data, quasi-Poisson verdict at 5%; positive outcomes over all outcomes "
        "recorded in the year, Wilson (or exact) 95% interval.",
        command=f'metforward business-crime --area "{LONDON_BOROUGHS.get(borough, borough)}" --before {before} '
        f"--after {after}",
    )


QUESTION = Question(
    name="business-crime",
    query=Query,
    ask=ask,
    command=("business-crime",),
    route="/strands/business-crime",
    summary="Business crime by borough, section or group, with verdicts, and positive outcome rates with intervals.",
    example={"by": "borough"},
    columns=columns("borough"),
)

__all__ = ["BY", "QUESTION", "BusinessResult", "Query", "ask", "business_crime", "columns", "section"]
