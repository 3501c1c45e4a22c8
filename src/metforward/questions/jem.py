"""The Joint Engagement Meeting data pack of one borough (``metforward report jem``, ``/boroughs/{b}/jem.pdf``):
what each part reads from the store.

Each part is built by the code behind the matching command, so its numbers equal that command's
``--json``; a part the store cannot fill says why and what to load. The result types and pure builders
are in :mod:`metforward.analyse.jem`. The answer's rows are the parts of the pack (title, whether it is
shown, its figures and notes: the figures of each are the JSON of its command); ``meta`` names the
borough, the loads the pack rests on and the commands that reproduce each part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from metforward.analyse.compare import CompareRow, Period
from metforward.analyse.geo import shape_to_bng
from metforward.analyse.jem import (
    KNIFE,
    TREND_KIND,
    VIOLENCE_MAJOR,
    YOUTH_KNIFE,
    JemData,
    Part,
    missing,
    side_by_side,
    street_parts,
    trend_spec,
)
from metforward.analyse.reports import LoadInfo, jem_inputs, resolve_borough
from metforward.domain.periods import add_months, month_text
from metforward.errors import BadRequest, MetforwardError, NotFound
from metforward.questions import allocation, outcomes, searches
from metforward.questions.answer import Answer
from metforward.questions.base import Question
from metforward.questions.compare import compare
from metforward.questions.hotstreets import hot_streets
from metforward.questions.maps import area_figures
from metforward.questions.places import latest_month
from metforward.questions.repeats import repeat_locations
from metforward.questions.reports import report_loads
from metforward.questions.similar import most_similar
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.places import Place, area_shapes, resolve_place
from metforward.store.queries import outcomes as outcome_queries

#: The keys of each row: one part of the pack.
COLUMNS = ("part", "title", "available", "data", "notes")


@dataclass(frozen=True)
class Query:
    """The pack of ``borough`` (a name, slug or GSS code) over the last ``months`` months of each source,
    with its ``similar`` most similar boroughs."""

    borough: str | None = None
    months: int = 12
    similar: int = 5

    def code(self) -> str:
        """The borough's GSS code: :class:`BadRequest` for no borough or a bad number, ``NotFound`` when the
        text names no London borough."""
        if self.months < 1:
            raise BadRequest(f"months: give at least one month, not {self.months}", field="months")
        if not 1 <= self.similar <= 31:
            raise BadRequest(f"similar: give 1 to 31 boroughs, not {self.similar}", field="similar")
        if not self.borough:
            raise BadRequest("give a London borough (a name such as Westminster or a GSS code)", field="borough")
        return resolve_borough(self.borough)[0]


@dataclass(frozen=True)
class Jem:
    """What the pack is rendered from: its data, the loads (every month: its trends span them all), the commands."""

    data: JemData
    loads: list[LoadInfo]
    inputs: dict[str, str]


def ask(db: Database, query: Query) -> Answer:
    """The JEM data pack ``query`` asks for."""
    data = jem_data(db, query.code(), months=query.months, k=query.similar)
    loads = report_loads(db, dt.date.min, dt.date.max)
    inputs = jem_inputs(data)
    whole = data.as_dict()
    parts = [name for name in whole if name not in ("borough_code", "borough_name", "months")]
    return Answer(
        question="jem",
        query={"borough": data.borough_code, "months": query.months, "similar": query.similar},
        items=[{"part": name, **whole[name]} for name in parts],  # type: ignore[dict-item]
        columns=COLUMNS,
        meta={
            "borough_code": data.borough_code,
            "borough_name": data.borough_name,
            "months": data.months,
            "loads": [asdict(x) for x in loads],
            "inputs": inputs,
        },
        notes=[f"{p.title}: {n}" for p in data.parts if not p.available for n in p.notes],
        result=Jem(data, loads, inputs),
    )


def jem_data(db: Database, borough: str, *, months: int = 12, k: int = 5) -> JemData:
    """The JEM pack for ``borough`` (a name or GSS code)."""
    place = resolve_place(db, borough)
    if place.level != "borough":
        raise NotFound(f"{borough!r} is a {place.level}, not a borough", field="borough")
    trends, rows, _ = _trends(db, place, months)
    period = _police_period(db, place, months)
    hot, repeats, lsoa, shapes = _street_parts(db, place, period)
    outline = area_shapes(db, "borough", [place.code]).get(place.code)
    return JemData(
        place.code,
        place.name,
        months,
        trends,
        _violence(db, place, rows, months),
        hot,
        repeats,
        lsoa,
        _similar(db, place, k, months),
        _outcomes(db, place, period),
        _searches(db, place, period),
        outline=shape_to_bng(outline[1]) if outline else None,
        lsoa_shapes=shapes,
        allocation=_allocation(db, place),
    )


def _trends(db: Database, place: Place, months: int) -> tuple[Part, list[CompareRow], dt.date | None]:
    title = "Long trends by category"
    kinds = {k: (a, b) for k, a, b in cubes.datastore_kinds(db)}
    if TREND_KIND not in kinds:
        return (
            missing(title, "no London Datastore borough counts are loaded: ingest the MPS borough-level file"),
            [],
            None,
        )
    first, last = kinds[TREND_KIND]
    series = cubes.monthly_series(
        db, source="datastore", level="borough", first=first, last=last, by="major", kind=TREND_KIND
    )
    monthly: dict[str, dict[str, int]] = {}
    for code, _name, major, month, n in series:
        if code == place.code:
            monthly.setdefault(major, {})[month_text(month)] = int(n)
    if not monthly:
        return (
            missing(title, f"the London Datastore has no rows for {place.name} (it covers the Met's 32 boroughs)"),
            [],
            None,
        )
    table = compare(db, trend_spec(last, months, place.code))
    present = [
        month_text(m) for m in cubes.months_present(db, source="datastore", first=first, last=last, kind=TREND_KIND)
    ]
    data = {
        "kind": TREND_KIND,
        "first": month_text(first),
        "last": month_text(last),
        "months_present": len(present),
        "months_spanned": Period(first, last).months,
        "monthly": monthly,
        "before": str(table.spec.before),
        "after": str(table.spec.after),
        "comparison": [r.as_dict() for r in table.rows],
        "method_note": table.method_note,
    }
    notes = list(table.notes)
    if len(present) < Period(first, last).months:
        notes.append(
            f"{Period(first, last).months - len(present)} months between {first:%Y-%m} and {last:%Y-%m} have no data"
        )
    return Part(title, True, data, notes), table.rows, last


def _dashboard(db: Database, code: str | None, period: Period, which: tuple[str, str]) -> dict[str, object]:
    result = outcomes.dashboard_rates(db, code, period, crime_type=which[0], crime_subtype=which[1], by=("month",))
    return {
        "crime_type": which[0],
        "crime_subtype": which[1],
        "period": str(period),
        "offences": result.total.offences,
        "months_present": len(result.months_present),
        "monthly": {str(r.keys["month"]): r.offences for r in result.rows},
        "notes": result.notes,
    }


def _violence(db: Database, place: Place, rows: list[CompareRow], months: int) -> Part:
    title = "Violence and youth-violence proxies"
    notes = [
        f"proxies: '{VIOLENCE_MAJOR}' is all recorded violence (Datastore major category); knife crime and knife "
        "injury victims aged 1-24 (not domestic abuse) are from the MPS Monthly Crime Dashboard; all are "
        "police-recorded counts, not measures of all violence or of violence against young people"
    ]
    data: dict[str, Any] = {}
    violence = [r.as_dict() for r in rows if r.category == VIOLENCE_MAJOR]
    if violence:
        data["violence_against_the_person"] = violence[0]
    else:
        notes.append("no Datastore violence counts for this borough: ingest the MPS borough-level file")
    end = outcome_queries.dashboard_latest(db, *KNIFE)
    if end is None:
        notes.append("no MPS Monthly Crime Dashboard knife crime rows: ingest the dashboard file for knife crime")
    else:
        period = Period(add_months(end, -(months - 1)), end)
        for key, which in (("knife_crime", KNIFE), ("youth_knife_injury_victims", YOUTH_KNIFE)):
            try:
                data[key] = _dashboard(db, place.code, period, which)
            except MetforwardError as exc:
                notes.append(f"{which[1]}: {exc}")
    return Part(title, bool(data), data, notes)


def _police_period(db: Database, place: Place, months: int) -> Period | None:
    last = latest_month(db, place)
    return None if last is None else Period(add_months(last, -(months - 1)), last)


def _street_parts(db: Database, place: Place, period: Period | None) -> tuple[Part, Part, Part, dict[str, Any]]:
    titles = ("Hot streets", "Repeat locations", "LSOA rates")
    if period is None:
        why = f"no police.uk street rows are loaded for {place.name}'s force: load its street files"
        return missing(titles[0], why), missing(titles[1], why), missing(titles[2], why), {}
    hs = hot_streets(db, place, period)
    if hs.total == 0:
        why = (
            f"no police.uk street rows with a location for {place.name} in {period}: "
            "load the street files of its force for these months"
        )
        return missing(titles[0], why), missing(titles[1], why), missing(titles[2], why), {}
    return street_parts(hs, repeat_locations(db, place, end=period.last), area_figures(db, place, period, shapes=True))


def _similar(db: Database, place: Place, k: int, months: int) -> Part:
    title = "Most similar boroughs"
    try:
        neighbours, sim = most_similar(db, place.code, k=k, months=months)
    except MetforwardError as exc:
        return missing(title, exc)
    table = compare(db, trend_spec(sim.last, months, None))
    end = outcome_queries.dashboard_latest(db, *KNIFE)
    notes = list(sim.notes)
    knife_period = None if end is None else Period(add_months(end, -(months - 1)), end)
    codes = [place.code, *(n.code for n in neighbours)]
    knife: dict[str, int] = {}
    if knife_period is None:
        notes.append("no dashboard knife crime rows: knife crime is not compared (ingest the MPS dashboard file)")
    else:
        for code in codes:
            knife[code] = outcomes.dashboard_rates(
                db, code, knife_period, crime_type=KNIFE[0], crime_subtype=KNIFE[1]
            ).total.offences
    profiles = {p.code: p for p in sim.profiles}
    data = {
        "method": "z-scores of log population, log density and Datastore major-category shares; equal weight per "
        "block (size, density, profile); Euclidean distance (docs/methods/similar_boroughs.md)",
        "profile_window": f"{month_text(sim.first)}:{month_text(sim.last)}",
        "population_year": sim.population_year,
        "period": str(table.spec.after),
        "knife_period": str(knife_period) if knife_period else None,
        "neighbours": [n.as_dict() for n in neighbours],
        "side_by_side": side_by_side(place.code, neighbours, sim, table.rows, knife, knife_period),
        "inputs": [profiles[c].as_dict() for c in codes],
    }
    return Part(title, True, data, notes)


def _outcomes(db: Database, place: Place, period: Period | None) -> Part:
    title = "Outcomes (sanction detection)"
    if period is None:
        return missing(title, "no police.uk street rows are loaded for this borough: load street and outcomes files")
    try:
        result = outcomes.sanction_rates(db, place, period)
    except MetforwardError as exc:
        return missing(title, exc)
    data = {"period": str(period), "forces": result.forces, "total": result.total.as_dict()}
    if result.total.crimes == 0:
        return Part(
            title, False, {}, [*result.notes, f"no police.uk crimes with a Crime ID for {place.name} in {period}"]
        )
    if result.outcome_months is None:
        return Part(title, False, data, [*result.notes, "no outcomes files are loaded: ingest police.uk outcomes"])
    data["outcome_months"] = [month_text(m) for m in result.outcome_months]
    return Part(title, True, data, result.notes)


def _searches(db: Database, place: Place, period: Period | None) -> Part:
    title = "Stop and search"
    sel = searches.Selection(place, None, period.last if period else None)
    cov = searches.coverage(db, sel)
    if not cov.searches:
        return missing(title, f"no stop-and-search rows are loaded for {place.name}: load the police.uk search files")
    rows, notes = searches.search_rates(db, sel)
    return Part(title, True, {"coverage": cov.as_dict(), "rates": rows[0] if rows else {}}, notes)


#: The formula of the pack's allocation part, and its Monte Carlo draws.
ALLOCATION_FORMULA = "mpa"
ALLOCATION_DRAWS = 1000


def _allocation(db: Database, place: Place) -> Part:
    title = "Resource allocation"
    if place.code not in allocation.BOROUGHS:
        return missing(title, f"{place.name} is policed by its own force, not among the Met's 32 boroughs")
    query = allocation.Query(formula=ALLOCATION_FORMULA, explain=place.code, draws=ALLOCATION_DRAWS)
    try:
        answer = allocation.ask(db, query)
    except MetforwardError as exc:
        return missing(title, exc)
    row = next(r for r in answer.items if r["area_code"] == place.code)
    meta = answer.meta
    data = {
        "formula": meta["formula"]["title"],
        "formula_name": ALLOCATION_FORMULA,
        "year": meta["year"],
        "total": meta["total"],
        "baseline": meta["baseline"],
        "method_note": meta["method_note"],
        "effective_weights": meta["formula"]["effective_weights"],
        "draws": ALLOCATION_DRAWS,
        "row": row,
        "explain": meta["explain"],
    }
    return Part(title, True, data, list(answer.notes))


QUESTION = Question(
    name="jem",
    query=Query,
    ask=ask,
    command=("report", "jem"),
    route=None,
    summary="The Joint Engagement Meeting data pack of one borough: trends, violence proxies, places, similar "
    "boroughs, outcomes, stop and search.",
    example={"borough": "Westminster"},
)

__all__ = ["QUESTION", "Jem", "Query", "ask", "jem_data"]
