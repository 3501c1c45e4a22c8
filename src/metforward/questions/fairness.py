"""Fairness in outcomes (the plan's strand on fairness in criminal justice outcomes): MPS custody disposals by
ethnicity per 1,000 residents, each group's ratio to White with its interval, beside the stop-and-search
ratios of the same months (:mod:`metforward.questions.searches`); and, by disposal, the share of each group's
disposals that ended so (no further action, prosecution, ...) against White's.

The one place the question is answered: options and defaults (:class:`Query`), the reads
(:mod:`metforward.store.queries.custody`), the Census 2021 populations the stop-and-search ratios use
(:func:`metforward.questions.searches.populations`, officer-defined: custody records ethnicity in four
groups and not recorded, with no Mixed, so Census Mixed residents count in Other), and the kernels of
:mod:`metforward.analyse.strands`: rates with exact Poisson intervals, ratios with intervals allowing for
the month-to-month variation (quasi-Poisson on the groups' monthly counts; exact conditional when there are
too few months), shares with Wilson intervals and their differences from White's with Newcombe's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from metforward.analyse.reports import Missing
from metforward.analyse.searches import SearchError
from metforward.analyse.strands import (
    RATE_COLUMNS,
    GroupRate,
    StrandSection,
    group_rates,
    share,
    share_difference,
)
from metforward.domain.periods import Period, add_months, month_text
from metforward.errors import BadRequest, NoData
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.searches import Selection, coverage, disproportionality, populations
from metforward.store.database import Database
from metforward.store.queries import custody as queries

BY = ("ethnicity", "disposal")
#: The groups custody records, in the order shown (Not Recorded has no residents, so no rate).
GROUPS = ("Asian", "Black", "Other", "White")
NOT_RECORDED = "Not Recorded"
#: The stop-and-search columns beside a by-ethnicity row (officer-defined ethnicity, London, the same months).
SEARCH_COLUMNS = ("searches", "search_rate_per_1000", "search_ratio", "search_low", "search_high")
DISPOSAL_COLUMNS = (
    "disposal",
    "group",
    "count",
    "of_group",
    "share",
    "share_low",
    "share_high",
    "interval",
    "difference",
    "difference_low",
    "difference_high",
)


@dataclass(frozen=True)
class Query:
    """What to answer, as text options, with the defaults in one place.

    ``by``: ethnicity (rates and ratios, beside stop and search) or disposal (each group's disposals by
    outcome); ``period``: ``YYYY-MM:YYYY-MM`` (default: the last 12 months of custody data); ``disposal``,
    ``age_group`` (Adult, Child), ``offence_group``: only those disposals (default: all)."""

    by: str = "ethnicity"
    period: str | None = None
    disposal: str | None = None
    age_group: str | None = None
    offence_group: str | None = None
    reference: str = "White"
    confidence: float = 0.95

    def check(self) -> None:
        """Every option checked before the store is read: :class:`BadRequest` naming the option at fault."""
        if self.by not in BY:
            raise BadRequest(f"by must be one of {', '.join(BY)}, not {self.by!r}", field="by")
        if self.reference not in GROUPS:
            raise BadRequest(f"reference must be one of {', '.join(GROUPS)}, not {self.reference!r}", field="reference")
        if self.by == "disposal" and self.disposal is not None:
            raise BadRequest("by disposal shows every disposal: leave out --disposal", field="disposal")
        if not 0 < self.confidence < 1:
            raise BadRequest("confidence must lie between 0 and 1", field="confidence")
        if self.period is not None:
            Period.parse(self.period, field="period")


@dataclass(frozen=True)
class FairnessResult:
    """What a fairness answer draws on."""

    by: str
    period: Period
    months: list[dt.date]
    rows: list[dict[str, Any]]
    not_recorded: int
    total: int
    search_months: int
    search_note: str | None


def _values(db: Database, query: Query) -> None:
    for column in ("disposal", "age_group", "offence_group"):
        value = getattr(query, column)
        if value is not None:
            known = queries.values(db, column)
            if value not in known:
                raise BadRequest(f"{column} must be one of {', '.join(known)}, not {value!r}", field=column)


def fairness(db: Database, query: Query) -> FairnessResult:
    """Custody disposals by ethnicity (or by disposal and ethnicity) for what ``query`` selects."""
    query.check()
    present = queries.months(db)
    if not present:
        raise NoData("no MPS custody disposals in the store: ingest the custody file (listed by: metforward sources)")
    _values(db, query)
    if query.period is None:
        period = Period(add_months(max(present), -11), max(present))
    else:
        period = Period.parse(query.period, field="period")
    months = [m for m in present if period.first <= m <= period.last]
    raw = queries.counts(
        db,
        period.first,
        period.last,
        disposal=query.disposal,
        age_group=query.age_group,
        offence_group=query.offence_group,
    )
    by_group: dict[str, dict[dt.date, int]] = defaultdict(dict)
    by_disposal: dict[tuple[str, str], int] = defaultdict(int)
    for disposal, group, month, n in raw:
        by_group[group][month] = by_group[group].get(month, 0) + int(n)
        by_disposal[(disposal, group)] += int(n)
    totals = {g: sum(s.values()) for g, s in by_group.items()}
    not_recorded = totals.get(NOT_RECORDED, 0)
    total = sum(totals.values())
    try:
        pops, _ = populations(db, None, officer=True)
    except SearchError as exc:
        raise NoData(f"custody rates need the Census 2021 ethnic-group populations: {exc}") from exc
    if query.by == "disposal":
        rows = _disposal_rows(by_disposal, totals, query)
        return FairnessResult(query.by, period, months, rows, not_recorded, total, 0, None)
    monthly = {g: [by_group.get(g, {}).get(m, 0) for m in months] for g in GROUPS}
    rates = group_rates(monthly, pops, groups=GROUPS, reference=query.reference, confidence=query.confidence)
    searches, search_months, search_note = _searches(db, period, query)
    rows = [{**r.as_dict(), **searches.get(r.group, dict.fromkeys(SEARCH_COLUMNS))} for r in rates]
    return FairnessResult(query.by, period, months, rows, not_recorded, total, search_months, search_note)


def _searches(db: Database, period: Period, query: Query) -> tuple[dict[str, dict[str, Any]], int, str | None]:
    """The stop-and-search ratios (officer-defined ethnicity, London) over the same months, by group."""
    sel = Selection(None, period.first, period.last, None)
    cov = coverage(db, sel)
    if cov.searches == 0:
        return {}, 0, f"no police.uk stop-and-search data for London in {period}: the search columns are empty"
    try:
        d = disproportionality(db, sel, field="officer-defined", reference=query.reference, confidence=query.confidence)
    except SearchError as exc:
        return {}, 0, f"stop-and-search ratios not computed: {exc}"
    out = {
        str(r["group"]): {
            "searches": r["searches"],
            "search_rate_per_1000": r["rate_per_1000"],
            "search_ratio": r["ratio"],
            "search_low": r["ci_low"],
            "search_high": r["ci_high"],
        }
        for r in d.rows
    }
    note = None
    if len(cov.months) < period.months:
        note = (
            f"stop and search: {len(cov.months)} of {period.months} months of {period} loaded "
            f"({', '.join(month_text(m) for m in cov.months[:6])}{' ...' if len(cov.months) > 6 else ''})"
        )
    return out, len(cov.months), note


def _disposal_rows(
    by_disposal: dict[tuple[str, str], int], totals: dict[str, int], query: Query
) -> list[dict[str, Any]]:
    rows = []
    disposals = sorted({d for d, _ in by_disposal})
    for disposal in disposals:
        k_ref, n_ref = by_disposal.get((disposal, query.reference), 0), totals.get(query.reference, 0)
        for group in (*GROUPS, NOT_RECORDED):
            k, n = by_disposal.get((disposal, group), 0), totals.get(group, 0)
            s = share(k, n, confidence=query.confidence)
            diff = (
                None
                if group in (query.reference, NOT_RECORDED)
                else share_difference(k, n, k_ref, n_ref, confidence=query.confidence)
            )
            rows.append(
                {
                    "disposal": disposal,
                    "group": group,
                    "count": k,
                    "of_group": n,
                    "share": s.value,
                    "share_low": s.low,
                    "share_high": s.high,
                    "interval": s.interval,
                    "difference": None if diff is None else diff[0],
                    "difference_low": None if diff is None else diff[1],
                    "difference_high": None if diff is None else diff[2],
                }
            )
    return rows


def columns(by: str) -> tuple[str, ...]:
    """The keys of an item of a table ``by``."""
    return DISPOSAL_COLUMNS if by == "disposal" else (*RATE_COLUMNS, *SEARCH_COLUMNS)


def ask(db: Database, query: Query) -> Answer:
    """Custody disposals by ethnicity per 1,000 residents and their ratios to White, beside stop and search."""
    result = fairness(db, query)
    selected = (
        ", ".join(
            f"{name} {value}"
            for name, value in (
                ("disposal", query.disposal),
                ("age group", query.age_group),
                ("offence group", query.offence_group),
            )
            if value
        )
        or "every disposal"
    )
    notes = [
        f"MPS custody disposals, London, {result.period} ({len(result.months)} of {result.period.months} months "
        f"loaded), {selected}",
        f"{result.not_recorded:,} of {result.total:,} disposals have ethnicity not recorded: they are in no group's "
        "rate, so the rates are lower bounds and the ratios assume the not recorded are spread like the rest",
        "rates are per 1,000 residents (Census 2021, TS021): people brought into custody in London need not live "
        "there; custody records four groups and not recorded, with no Mixed, so Census Mixed residents count in Other",
    ]
    if query.by == "ethnicity":
        notes.append(
            "ratio to White: quasi-Poisson on the two groups' monthly counts (dispersion floored at 1), exact "
            "conditional when too few months; stop and search beside it: police.uk searches of the Metropolitan "
            "Police by officer-defined ethnicity over the same months (exact conditional), as metforward searches "
            "--disproportionality --ethnicity officer-defined gives"
        )
        if result.search_note:
            notes.append(result.search_note)
    else:
        notes.append(
            "share: a disposal's share of each group's disposals (Wilson interval, exact where fewer than 5 on either "
            "side); difference from White's share with Newcombe's interval"
        )
    kinds: tuple[str, ...] = ("custody-disposals", "population-census-ethnicity")
    if query.by == "ethnicity":
        kinds += ("stop-and-search",)
    meta = {
        "by": query.by,
        "period": str(result.period),
        "months": [month_text(m) for m in result.months],
        "not_recorded": result.not_recorded,
        "disposals": result.total,
        "reference": query.reference,
        "search_months": result.search_months,
        "loads": loads_used(db, kinds),
    }
    return Answer(
        question="fairness",
        query=dataclasses.asdict(query),
        items=result.rows,
        columns=columns(query.by),
        meta=meta,
        notes=notes,
        result=result,
    )


def section(db: Database, borough: str, before: Period, after: Period) -> StrandSection:
    """The borough report's section: London's custody disposals by ethnicity in ``after`` (custody is published
    London-wide), beside London's stop-and-search ratios of the same months."""
    title = "Fairness in outcomes (London)"
    present = [m for m in queries.months(db) if after.first <= m <= after.last]
    try:
        found = fairness(db, Query(period=str(after))) if present else None
    except NoData as exc:
        found, problem = None, str(exc)
    else:
        problem = f"MPS custody disposals in {after}"
    if found is None:
        return StrandSection(
            "fairness",
            title,
            missing=Missing(problem, "ingest the MPS custody disposals file and the Census 2021 ethnic-group table"),
        )
    rows: list[tuple[object, ...]] = [
        (
            r["group"],
            r["count"],
            r["rate_per_1000"],
            _interval(r["ci_low"], r["ci_high"], r["ratio"]),
            _interval(r["search_low"], r["search_high"], r["search_ratio"]),
        )
        for r in found.rows
    ]
    return StrandSection(
        "fairness",
        title,
        lede=f"Custody disposals in London per 1,000 residents of each ethnic group, {after} ({len(present)} of "
        f"{after.months} months loaded), and each group's ratio to White, beside the same ratio for stop and search. "
        "Custody is published for London only.",
        header=("group", "disposals", "per 1,000", "ratio to White (95% interval)", "stop and search ratio"),
        rows=rows,
        caption=f"{found.not_recorded:,} disposals with ethnicity not recorded are in no group. Census 2021 residents; "
        "Mixed residents counted in Other. Custody ratios: quasi-Poisson 95% intervals; stop and search: police.uk, "
        f"officer-defined ethnicity, exact 95% intervals{'; ' + found.search_note if found.search_note else ''}.",
        command=f"metforward fairness --period {after}",
    )


def _interval(low: object, high: object, value: object) -> str | None:
    if not isinstance(value, float):
        return None
    if not isinstance(low, float) or not isinstance(high, float):
        return f"{value:.2f}"
    return f"{value:.2f} ({low:.2f} to {high:.2f})"


QUESTION = Question(
    name="fairness",
    query=Query,
    ask=ask,
    command=("fairness",),
    route="/strands/fairness",
    summary="Custody disposals by ethnicity per 1,000 residents, ratios to White with intervals, beside stop and search.",
    example={"period": "2024-01:2024-03"},
    columns=columns("ethnicity"),
)

__all__ = ["BY", "GROUPS", "QUESTION", "FairnessResult", "GroupRate", "Query", "ask", "columns", "fairness", "section"]
