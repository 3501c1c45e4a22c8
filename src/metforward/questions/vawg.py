"""Violence against women and girls (the plan's "The Way Forward" strand): offences and victims from the MPS
VAWG dashboard, by borough, ward, offence group, age group and ethnic appearance, each a period against the
one before it with a calibrated verdict; victims by ethnic appearance against the population.

The one place the question is answered: its options and their defaults (:class:`Query`), what is read from
the store (:mod:`metforward.store.queries.vawg`), and the kernels of :mod:`metforward.analyse.strands`
(trends judged as every comparison is: quasi-Poisson by default, q values across the table, "can't tell").

The dashboard publishes each breakdown on its own sheet: borough and ward by month, offence group by month
(London), victims by age group and by ethnic appearance by month (London). So a table by offence group,
age or ethnic appearance is London's, and each breakdown totals the same offences (or victims).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from metforward.analyse.dispersion import METHODS
from metforward.analyse.reports import Missing
from metforward.analyse.searches import SearchError
from metforward.analyse.strands import (
    RATE_COLUMNS,
    TREND_COLUMNS,
    StrandSection,
    TrendRow,
    group_rates,
    latest_periods,
    trends,
)
from metforward.domain.areas import LONDON_BOROUGHS, borough_code, means_london
from metforward.domain.periods import Period, month_text
from metforward.errors import BadRequest, NoData
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.searches import populations
from metforward.store.database import Database
from metforward.store.places import Place, resolve_area
from metforward.store.queries import vawg as queries

MEASURES = ("offences", "victims")
BY = tuple(queries.BY)
#: What each ``by`` names its key column.
KEY = {
    "borough": ("area_code", "area_name"),
    "ward": ("ward_name",),
    "type": ("offence_group",),
    "age": ("age_group",),
    "ethnicity": ("ethnic_appearance",),
}
#: London-wide breakdowns (the dashboard publishes them for London only), and the measures each has.
LONDON_ONLY = {"type": ("offences",), "age": ("victims",), "ethnicity": ("victims",)}
#: Victims' ethnic appearance -> Census 2021 group (the officer's view has no Mixed: Census Mixed counts in Other).
APPEARANCE = {"Asian": "Asian", "Black": "Black", "White": "White", "Any Other": "Other"}
#: The columns of the rates beside a by-ethnicity trend (the group ratio's interval as ratio_low/ratio_high).
ETHNICITY_RATES = (
    "population",
    "rate_per_1000",
    "rate_low",
    "rate_high",
    "ratio",
    "ratio_low",
    "ratio_high",
    "ratio_p",
    "ratio_method",
)
KINDS = {"offences": "vawg-offences", "victims": "vawg-victims"}


@dataclass(frozen=True)
class Query:
    """What to answer, as text options, with the defaults in one place.

    ``measure``: offences or victims; ``by``: borough, ward (of the borough in ``area``), type (offence group),
    month, age or ethnicity (victims); ``area``: None or London, or a borough; ``before``/``after``: periods
    ``YYYY-MM:YYYY-MM`` (default: the last 12 months with data and the 12 before them)."""

    measure: str = "offences"
    by: str = "borough"
    area: str | None = None
    before: str | None = None
    after: str | None = None
    method: str = "quasi"
    alpha: float = 0.05
    confidence: float = 0.95

    def check(self) -> None:
        """Every option checked before the store is read: :class:`BadRequest` naming the option at fault."""
        if self.measure not in MEASURES:
            raise BadRequest(f"measure must be one of {', '.join(MEASURES)}, not {self.measure!r}", field="measure")
        if self.by not in BY:
            raise BadRequest(f"by must be one of {', '.join(BY)}, not {self.by!r}", field="by")
        if self.by in LONDON_ONLY and self.measure not in LONDON_ONLY[self.by]:
            raise BadRequest(
                f"the dashboard publishes {self.measure} by {self.by} for no breakdown: by {self.by} is for "
                f"{' and '.join(LONDON_ONLY[self.by])}",
                field="by",
            )
        if self.method not in METHODS:
            raise BadRequest(f"method must be one of {', '.join(METHODS)}, not {self.method!r}", field="method")
        for name in ("alpha", "confidence"):
            if not 0 < getattr(self, name) < 1:
                raise BadRequest(f"{name} must lie between 0 and 1", field=name)
        latest_periods([dt.date(2000, 1, 1)], self.before, self.after)  # the periods' form


@dataclass(frozen=True)
class VawgResult:
    """What a VAWG answer draws on: the periods, the rows, the monthly totals and the method line."""

    measure: str
    by: str
    area: str
    before: Period
    after: Period
    months_before: list[dt.date]
    months_after: list[dt.date]
    rows: list[dict[str, Any]]
    monthly: dict[str, dict[str, int]]  # series name -> YYYY-MM -> count (for a chart)
    method_note: str


def borough_place(db: Database, text: str | None) -> Place | None:
    """The area an option names: None for London, a London borough by its name or code (read from the one name
    table, so no lookups need be loaded), else whatever the one resolver finds (a ward, an LSOA, ...)."""
    if means_london(text):
        return None
    code = borough_code(text or "")
    if code is not None:
        return Place("borough", code, LONDON_BOROUGHS[code])
    return resolve_area(db, text)


def _place(db: Database, query: Query) -> Place | None:
    place = borough_place(db, query.area)
    if place is not None and place.level != "borough":
        raise BadRequest(
            f"the VAWG dashboard is published by borough and ward name: give London or a borough, not {place.level} "
            f"{place.name}",
            field="area",
        )
    if place is not None and query.by in LONDON_ONLY:
        raise BadRequest(f"the dashboard publishes {query.measure} by {query.by} for London only", field="area")
    if place is None and query.by == "ward":
        raise BadRequest("give a borough (--area) to see its wards", field="area")
    return place


def vawg(db: Database, query: Query) -> VawgResult:
    """The trend table (or the monthly series) ``query`` asks for."""
    query.check()
    place = _place(db, query)
    breakdown = queries.BY[query.by][0]
    present = queries.months(db, query.measure, breakdown)
    if not present:
        raise NoData(
            f"no VAWG {query.measure} ({breakdown} sheet) in the store: ingest the MPS VAWG dashboard's {query.measure} "
            "file (listed by: metforward sources)"
        )
    before, after = latest_periods(present, query.before, query.after)
    in_before = [m for m in present if before.first <= m <= before.last]
    in_after = [m for m in present if after.first <= m <= after.last]
    borough = None if place is None else place.code
    raw = queries.series(db, query.measure, query.by, before.first, after.last, borough)
    series: dict[tuple[Any, Any], dict[dt.date, int]] = defaultdict(dict)
    for code, name, month, n in raw:
        series[(code, name)][month] = int(n)
    area = "London" if place is None else place.name
    totals: dict[str, int] = defaultdict(int)
    for s in series.values():
        for m, n in s.items():
            totals[month_text(m)] += n
    monthly = {f"{query.measure}, {area}": dict(sorted(totals.items()))}
    if query.by == "month":
        after_set = set(in_after)
        rows: list[dict[str, Any]] = [
            {
                "month": month_text(m),
                "period": "after" if m in after_set else "before",
                "count": totals.get(month_text(m), 0),
            }
            for m in [*in_before, *in_after]
        ]
        return VawgResult(query.measure, query.by, area, before, after, in_before, in_after, rows, monthly, "")
    keys = [
        dict(zip(KEY[query.by], (code, name) if query.by == "borough" else (name,), strict=True))
        for code, name in series
    ]
    judged, note = trends(keys, list(series.values()), in_before, in_after, method=query.method, alpha=query.alpha)
    rows = [r.as_dict() for r in judged]
    if query.by in ("age", "ethnicity"):
        whole = sum(r.after for r in judged)
        for row, r in zip(rows, judged, strict=True):
            row["share"] = r.after / whole if whole else None
    if query.by == "ethnicity":
        _rates(db, rows, list(series.values()), in_after, query.confidence)
    return VawgResult(query.measure, query.by, area, before, after, in_before, in_after, rows, monthly, note)


def _rates(
    db: Database, rows: list[dict[str, Any]], series: list[dict[dt.date, int]], months: list[dt.date], confidence: float
) -> None:
    """Victims per 1,000 residents of each Census group in the ``after`` months, and the ratio to White."""
    try:
        pops, _ = populations(db, None, officer=True)
    except SearchError:
        pops = {}
    groups = {
        APPEARANCE[str(r["ethnic_appearance"])]: s
        for r, s in zip(rows, series, strict=True)
        if r["ethnic_appearance"] in APPEARANCE
    }
    monthly = {g: [s.get(m, 0) for m in months] for g, s in groups.items()}
    rates = {r.group: r for r in group_rates(monthly, pops, groups=list(monthly), confidence=confidence)}
    for row in rows:
        rate = rates.get(APPEARANCE.get(str(row["ethnic_appearance"]), ""))
        row.update(dict.fromkeys(ETHNICITY_RATES))
        if rate is not None:
            row.update(
                population=rate.population,
                rate_per_1000=rate.rate_per_1000,
                rate_low=rate.rate_low,
                rate_high=rate.rate_high,
                ratio=rate.ratio,
                ratio_low=rate.ci_low,
                ratio_high=rate.ci_high,
                ratio_p=rate.p_value,
                ratio_method=rate.method,
            )


def columns(by: str) -> tuple[str, ...]:
    """The keys of an item of a table ``by``."""
    if by == "month":
        return ("month", "period", "count")
    extra = ("share",) if by in ("age", "ethnicity") else ()
    return (*KEY[by], *TREND_COLUMNS, *extra, *(ETHNICITY_RATES if by == "ethnicity" else ()))


def ask(db: Database, query: Query) -> Answer:
    """Violence against women and girls: ``query.measure`` by ``query.by``, a period against the one before."""
    result = vawg(db, query)
    kinds: tuple[str, ...] = (KINDS[query.measure],)
    notes = [
        f"MPS VAWG dashboard, {query.measure} by the month they were recorded (not committed); the dashboard's "
        "offence groups and VAWG flag as the MPS defines them",
        f"{len(result.months_after)} of {result.after.months} months present in {result.after}, "
        f"{len(result.months_before)} of {result.before.months} in {result.before}",
    ]
    if query.by == "ethnicity":
        kinds += ("population-census-ethnicity",)
        notes.append(
            "rates are victims per 1,000 residents of every sex and age (Census 2021, TS021; no table of women by "
            "ethnic group is loaded), over the months of the after period; ethnic appearance is the officer's view, "
            "with no Mixed group, so Census Mixed residents count in Other; Unknown has no rate"
        )
    if query.by == "ethnicity":
        unknown = sum(int(r["after"]) for r in result.rows if r["ethnic_appearance"] not in APPEARANCE)
        whole = sum(int(r["after"]) for r in result.rows)
        if whole:
            notes.append(
                f"{unknown:,} of {whole:,} victims in {result.after} ({100 * unknown / whole:.0f}%) are of unknown "
                "ethnic appearance and in no group's rate: the rates are lower bounds, and the ratios assume the "
                "unknown are spread like the rest"
            )
    if query.by == "age":
        notes.append("no population by age is loaded: victims by age are shown as counts and shares, not rates")
    meta = {
        "measure": query.measure,
        "by": query.by,
        "area": result.area,
        "before": str(result.before),
        "after": str(result.after),
        "months_before": [month_text(m) for m in result.months_before],
        "months_after": [month_text(m) for m in result.months_after],
        "method": result.method_note,
        "loads": loads_used(db, kinds),
    }
    return Answer(
        question="vawg",
        query=dataclasses.asdict(query),
        items=result.rows,
        columns=columns(query.by),
        meta=meta,
        notes=notes,
        result=result,
    )


def section(db: Database, borough: str, before: Period, after: Period) -> StrandSection:
    """The borough report's section: the borough's VAWG offences and victims, ``after`` against ``before``."""
    title = "Violence against women and girls"
    rows: list[tuple[object, ...]] = []
    for measure in MEASURES:
        present = queries.months(db, measure, "location")
        in_before = [m for m in present if before.first <= m <= before.last]
        in_after = [m for m in present if after.first <= m <= after.last]
        if not in_before or not in_after:
            continue
        series: dict[dt.date, int] = defaultdict(int)
        for _c, _n, month, n in queries.series(db, measure, "borough", before.first, after.last, borough):
            series[month] += int(n)
        (row,), _ = trends([{}], [series], in_before, in_after)
        rows.append((measure, *_figures(row)))
    if not rows:
        return StrandSection(
            "vawg",
            title,
            missing=Missing(
                f"MPS VAWG dashboard offences or victims covering {before} and {after}",
                "ingest the VAWG dashboard files (vawg-offences and vawg-victims; listed by: metforward sources)",
            ),
        )
    return StrandSection(
        "vawg",
        title,
        lede="Violence against women and girls recorded in the borough (MPS VAWG dashboard, by the month recorded), "
        f"{after} against {before}.",
        header=("measure", "before", "after", "change %", "rate ratio", "95% interval", "verdict"),
        rows=rows,
        caption="Rate ratio per month of data with its quasi-Poisson 95% interval; verdict at 5%.",
        command=f'metforward vawg --area "{LONDON_BOROUGHS.get(borough, borough)}" --before {before} --after {after}',
    )


def _figures(row: TrendRow) -> tuple[object, ...]:
    interval = None if row.ci_low is None else f"{row.ci_low:.2f} to {row.ci_high:.2f}"
    return (row.before, row.after, row.change_pct, row.rate_ratio, interval, row.verdict)


QUESTION = Question(
    name="vawg",
    query=Query,
    ask=ask,
    command=("vawg",),
    route="/strands/vawg",
    summary="Violence against women and girls: offences and victims by borough, ward, type, age and ethnic appearance, with verdicts.",
    example={"by": "borough"},
    columns=columns("borough"),
)

__all__ = ["BY", "MEASURES", "QUESTION", "Query", "RATE_COLUMNS", "VawgResult", "ask", "columns", "section", "vawg"]
