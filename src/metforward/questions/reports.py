"""The Local Policing Summary of one borough and year (``metforward report summary``, the borough page and
its PDF and CSV downloads): what it reads from the store, section by section.

Every figure is the one the matching command prints with ``--json`` for the same inputs: targets checked
with intervals (``metforward targets check``), crime compared with the year before (:mod:`.compare`), the
monthly trend, hot streets and Gi* hot spots, sanction detection, stop and search and public confidence.
A section whose data the store lacks carries a :class:`~metforward.analyse.reports.Missing` (what is
missing and how to load it) instead of figures. The result types and pure rules are in
:mod:`metforward.analyse.reports`.

The summary is not in the registry of questions with a JSON face: it is seven tables of different
shapes (and a map), each of which is already the ``--json`` of its own command (the commands are in
``meta["inputs"]``). Its :class:`~metforward.questions.answer.Answer` lists the sections, shown or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from metforward.analyse.compare import CompareSpec, Period
from metforward.analyse.geo import shape_to_bng
from metforward.analyse.reports import (
    CONFIDENCE_MEASURES,
    Completeness,
    LoadInfo,
    MapData,
    Missing,
    SummaryData,
    load_infos,
    monthly_trend,
    parse_year,
    resolve_borough,
    summary_inputs,
    target_when,
)
from metforward.analyse.targets import TargetResult, TargetsFile
from metforward.domain.areas import borough_code
from metforward.domain.periods import add_months, month_text
from metforward.errors import BadRequest, MetforwardError
from metforward.questions import visible_policing, youth_violence
from metforward.questions.answer import Answer
from metforward.questions.basket_file import DEFAULT, resolve_basket
from metforward.questions.baskets import BasketSpec, compare_basket
from metforward.questions.compare import compare
from metforward.questions.confidence import figures
from metforward.questions.hotspots import hot_spots
from metforward.questions.hotstreets import hot_streets
from metforward.questions.outcomes import sanction_rates
from metforward.questions.searches import Selection as SearchSelection
from metforward.questions.searches import coverage, disproportionality, search_rates
from metforward.questions.strands import sections as strand_sections
from metforward.questions.targets import check_targets
from metforward.questions.targets_file import TargetsFileError, load_targets
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.places import Place, area_shapes, lsoa_members, resolve_place
from metforward.store.queries import loads as load_queries
from metforward.store.queries import status as status_queries

#: The sections of the summary, in order (each row of the answer says whether it is shown).
SECTIONS = (
    "targets",
    "results",
    "compare",
    "trend",
    "streets",
    "outcomes",
    "searches",
    "confidence",
    "youth-violence",
    "visible-policing",
)


@dataclass(frozen=True)
class Query:
    """The summary of ``borough`` (a name, slug or GSS code) for ``year`` (``2024/25`` or ``2024``; default:
    the latest calendar year of police.uk street data), with the targets of the YAML file ``targets``."""

    borough: str | None = None
    year: str | None = None
    targets: str | None = None
    #: The headline basket: a basket file or a built-in name (default: the seeds' results-so-far).
    basket: str | None = None

    def code(self) -> str:
        """The borough's GSS code: :class:`BadRequest` when none is given, ``NotFound`` when not a borough."""
        if not self.borough:
            raise BadRequest("give a London borough (a name such as Westminster or a GSS code)", field="borough")
        return resolve_borough(self.borough)[0]

    def targets_file(self) -> TargetsFile | None:
        """The targets file, read and checked (``TargetsFileError``, ``OSError`` when it cannot be)."""
        return load_targets(Path(self.targets)) if self.targets else None


def default_year(db: Database) -> str:
    """The latest calendar year of police.uk street data (the last with a December loaded); without street
    data, the year before the latest Datastore month (the year before this one when nothing is loaded)."""
    last = status_queries.latest_street_month(db)
    if isinstance(last, dt.date):
        return str(last.year if last.month == 12 else last.year - 1)
    latest = status_queries.latest_datastore_month(db)
    return str((latest.year if isinstance(latest, dt.date) else dt.date.today().year) - 1)


def report_loads(db: Database, first: dt.date, last: dt.date) -> list[LoadInfo]:
    """The live loads whose months touch ``first``..``last``, and every reference load (a report's footer)."""
    return load_infos(load_queries.live_loads(db), first, last)


def ask(db: Database, query: Query, *, london: dict[str, TargetResult] | None = None) -> Answer:
    """The summary ``query`` asks for. ``london``: a dict kept between calls (every borough, or the web's
    pages) so that London-wide targets, the same for every borough, are checked once.

    A targets file that cannot be read leaves the targets out with a note (the command line checks the file
    before it starts, so there it is an error)."""
    code = query.code()
    year = parse_year(query.year).label if query.year else default_year(db)
    problem = None
    try:
        targets = query.targets_file()
    except TargetsFileError as exc:
        targets, problem = None, f"the targets file {exc.path} is not valid: " + "; ".join(exc.problems)
    except OSError as exc:
        targets, problem = None, f"the targets file {query.targets} cannot be read: {exc}"
    data = summary_data(db, code, year, targets, london, basket=query.basket)
    if problem:
        data.notes.insert(0, problem)
    return Answer(
        question="summary",
        query={
            "borough": data.borough_code,
            "year": data.year.label,
            "targets": query.targets,
            "basket": data.basket.origin if data.basket else query.basket,
        },
        items=sections(data),
        columns=("section", "shown", "missing", "how"),
        meta={
            "borough_code": data.borough_code,
            "borough_name": data.borough_name,
            "period": str(data.year.period),
            "previous": str(data.year.previous),
            "targets_title": data.targets_title,
            "compare_source": data.compare_source,
            "completeness": [asdict(c) for c in data.completeness],
            "loads": [asdict(x) for x in data.loads],
            "inputs": summary_inputs(data),
        },
        notes=list(data.notes),
        result=data,
    )


def sections(data: SummaryData) -> list[dict[str, Any]]:
    """Each section of the summary: shown, or what is missing and how to load it."""
    missing = (
        data.targets_missing,
        data.basket_missing,
        data.compare_missing,
        data.trend_missing,
        data.streets_missing,
        data.outcomes_missing,
        data.searches_missing,
        data.confidence_missing,
        data.youth_missing,
        data.access_missing,
    )
    named = [*zip(SECTIONS, missing, strict=True), *((f"strand:{s.slug}", s.missing) for s in data.strands)]
    return [
        {"section": name, "shown": m is None, "missing": m.what if m else None, "how": m.how if m else None}
        for name, m in named
    ]


def summary_data(
    db: Database,
    borough: str,
    year: str,
    targets_file: TargetsFile | None,
    london_results: dict[str, TargetResult] | None = None,
    *,
    basket: str | None = None,
) -> SummaryData:
    """The Local Policing Summary of ``borough`` for ``year`` (``2024/25`` or ``2024``).

    ``london_results``: a dict kept between calls (``--all``) so that London-wide targets, the same
    for every borough, are checked once; the results are those of a fresh check.
    """
    code, name = resolve_borough(borough)
    ry = parse_year(year)
    period, previous = ry.period, ry.previous
    out = SummaryData(
        code, name, ry, None, [], None, [], None, None, None, None, None, None, None, None, None, None, None, None,
        [], [], None, None, [], None, [], [],
    )  # fmt: skip
    _targets(db, out, targets_file, {} if london_results is None else london_results)
    _basket(db, out, basket)
    _compare(db, out)
    place = _place(db, code)
    _streets(db, out, place)
    _outcomes(db, out, place)
    _searches(db, out, place)
    _confidence(db, out)
    out.strands = strand_sections(db, code, previous, period)
    _youth(db, out)
    _access(db, out)
    _completeness(db, out)
    out.loads = report_loads(db, previous.first, period.last)
    return out


def _place(db: Database, code: str) -> Place | None:
    try:
        return resolve_place(db, code)
    except MetforwardError:
        return None


def _targets(db: Database, out: SummaryData, targets_file: TargetsFile | None, london: dict[str, TargetResult]) -> None:
    if targets_file is None:
        out.targets_missing = Missing(
            "no targets file was given",
            "pass --targets FILE (a targets YAML file, see docs/targets.md; e.g. examples/targets-2010-11.yaml)",
        )
        return
    out.targets_title = targets_file.title
    mine = [t for t in targets_file.targets if t.area == "London" or borough_code(t.area) == out.borough_code]
    end = out.year.period.last
    later = [t for t in mine if (when := target_when(t)) is not None and when > end]
    now = [t for t in mine if t not in later]
    out.priorities = later
    todo = [t for t in now if not (t.area == "London" and t.id in london)]
    fresh = dict(zip([t.id for t in todo], check_targets(db, TargetsFile("", targets_file.alpha, todo)), strict=True))
    london.update({k: v for k, v in fresh.items() if v.area == "London"})
    out.targets = [fresh[t.id] if t.id in fresh else london[t.id] for t in now]
    if not now:
        out.targets_missing = Missing(
            f"the targets file has no target for London or {out.borough_name} up to {month_text(end)}",
            f"add targets with 'area: {out.borough_name}' or 'area: London' to the targets file",
        )


def _basket(db: Database, out: SummaryData, name: str | None) -> None:
    """The headline basket for the borough, this year against the year before."""
    try:
        table = compare_basket(
            db,
            resolve_basket(name or DEFAULT),
            BasketSpec(out.year.previous, out.year.period, "borough", out.borough_code),
        )
    except MetforwardError as exc:
        out.basket_missing = Missing(f"the headline basket for {out.borough_name}: {exc}", "give a valid basket file")
        return
    if not any(r.months_before and r.months_after for r in table.rows):
        out.basket_missing = Missing(
            f"data for any line of the headline basket ({table.title}) in {out.year.previous} and {out.year.period}",
            "load the London Datastore borough file, the MPS Monthly Crime Dashboard or the homicide victims file "
            "(metforward ingest FILE)",
        )
    out.basket = table


def _compare(db: Database, out: SummaryData) -> None:
    period, previous = out.year.period, out.year.previous
    available = {k: (a, b) for k, a, b in cubes.datastore_kinds(db)}
    for kind in ("datastore-borough", "datastore-borough-2008"):
        span = available.get(kind)
        if span and span[0] <= previous.first and period.last <= span[1]:
            spec = CompareSpec(previous, period, source="datastore", area=out.borough_code, by="major", kind=kind)
            out.compare_source = f"London Datastore ({kind}), major categories"
            break
    else:
        spec = CompareSpec(previous, period, source="police-uk", area=out.borough_code, by="category")
        out.compare_source = "police.uk street-level crime, crime types"
    try:
        table = compare(db, spec)
    except MetforwardError as exc:
        out.compare_missing = Missing(
            f"crime counts for {out.borough_name} in {previous} and {period}: {exc}",
            "load London Datastore borough counts (the MPS borough-level crime file from data.london.gov.uk: "
            "metforward ingest FILE) "
            "or police.uk street files covering both years",
        )
        return
    if not table.rows:
        out.compare_missing = Missing(
            f"no recorded crime for {out.borough_name} in {previous} or {period} in the store",
            "load London Datastore borough counts or police.uk street files covering both years",
        )
        return
    out.compare = table
    if spec.source == "datastore" and spec.kind is not None:
        _trend(db, out, spec.kind)
    else:
        out.trend_missing = Missing(
            "London Datastore borough counts covering this year and the year before",
            "load the Datastore borough file (from data.london.gov.uk: metforward ingest FILE)",
        )


def _trend(db: Database, out: SummaryData, kind: str) -> None:
    def by_month(span: Period) -> tuple[dict[dt.date, int], set[dt.date]]:
        sums: dict[dt.date, int] = {}
        rows = cubes.monthly_series(
            db, source="datastore", level="borough", first=span.first, last=span.last, by="major", kind=kind
        )
        for code, _name, _cat, month, n in rows:
            if code == out.borough_code:
                sums[month] = sums.get(month, 0) + int(n)
        return sums, set(cubes.months_present(db, source="datastore", first=span.first, last=span.last, kind=kind))

    out.trend = monthly_trend(kind, out.year.period, by_month(out.year.period), by_month(out.year.previous))


def _streets(db: Database, out: SummaryData, place: Place | None) -> None:
    period = out.year.period
    how = (
        "load police.uk street files for the borough's force and months "
        "(metforward fetch --force FORCE --from YYYY-MM --to YYYY-MM --kind street)"
    )
    if place is None:
        out.streets_missing = Missing(f"no area called {out.borough_name} in the store", "load the lookups first")
        return
    try:
        streets = hot_streets(db, place, period)
    except MetforwardError as exc:
        out.streets_missing = Missing(f"police.uk street-level crime for {out.borough_name}: {exc}", how)
        return
    if not streets.streets:
        out.streets_missing = Missing(f"police.uk street-level crime located in {out.borough_name} in {period}", how)
        return
    out.streets = streets
    try:
        spots = hot_spots(db, place, period)
    except MetforwardError as exc:
        out.notes.append(f"hot-spot map not drawn: {exc}")
        return
    out.hotspots = spots
    outline = area_shapes(db, "borough", [out.borough_code]).get(out.borough_code)
    counts = spots.result.counts
    ward_codes = sorted({w for _l, _n, w, _wn in lsoa_members(db, place) if w})
    wards = area_shapes(db, "ward", ward_codes)
    out.map = MapData(
        shape_to_bng(outline[1]) if outline else None,
        [(wards[c][0], shape_to_bng(wards[c][1])) for c in ward_codes if c in wards],
        [(shape, spots.result.classes[i], int(counts[i])) for i, shape in enumerate(spots.shapes)],
    )


def _outcomes(db: Database, out: SummaryData, place: Place | None) -> None:
    how = "load police.uk street and outcomes files for the borough's force and months"
    if place is None:
        out.outcomes_missing = Missing(f"no area called {out.borough_name} in the store", "load the lookups first")
        return
    try:
        result = sanction_rates(db, place, out.year.period, by=("category",))
    except MetforwardError as exc:
        out.outcomes_missing = Missing(f"outcomes for {out.borough_name}: {exc}", how)
        return
    if result.total.crimes == 0:
        out.outcomes_missing = Missing(
            f"police.uk crimes with outcomes in {out.borough_name} in {out.year.period}", how
        )
        return
    out.outcomes = result


def _searches(db: Database, out: SummaryData, place: Place | None) -> None:
    period = out.year.period
    how = (
        "load police.uk stop-and-search files for the months of the year "
        "(metforward fetch --force FORCE --from YYYY-MM --to YYYY-MM --kind stop-and-search)"
    )
    if place is None:
        out.searches_missing = Missing(f"no area called {out.borough_name} in the store", "load the boundaries")
        return
    sel = SearchSelection(place, period.first, period.last, None)
    cov = coverage(db, sel)
    if cov.searches == 0:
        out.searches_missing = Missing(f"stop and search located in {out.borough_name} in {period}", how)
        return
    out.searches = cov
    out.search_rates, out.search_notes = search_rates(db, sel)
    try:
        out.dispro = disproportionality(db, sel)
    except MetforwardError as exc:
        out.search_notes.append(f"disproportionality not computed: {exc}")


def _confidence(db: Database, out: SummaryData) -> None:
    end = dt.date(out.year.period.last.year, out.year.period.last.month, 1)
    end = add_months(end, 1) - dt.timedelta(days=1)
    for measure in CONFIDENCE_MEASURES:
        rows = [
            f
            for f in figures(db, measure, area=out.borough_code, end=end)
            if f.level == "borough" and f.neighbourhood is None and f.group == "all"
        ]
        if rows:
            out.confidence.append(rows[-1])
    if not out.confidence:
        out.confidence_missing = Missing(
            f"MOPAC Public Attitude Survey figures for {out.borough_name} ending by {end}",
            "load the PAS borough dashboard file (from data.london.gov.uk: metforward ingest FILE)",
        )


def _youth(db: Database, out: SummaryData) -> None:
    """The youth-violence strand for the borough, the report's year against the year before."""
    query = youth_violence.Query(out.borough_code, before=str(out.year.previous), after=str(out.year.period))
    try:
        made = youth_violence.youth_violence(db, query)
    except MetforwardError as exc:
        out.youth_missing = Missing(f"youth-violence figures for {out.borough_name}: {exc}", LOAD_YOUTH)
        return
    if not any(r.months_before and r.months_after for r in made.table.rows):
        out.youth_missing = Missing(
            f"knife-injury or homicide victims for {out.borough_name} in {out.year.previous} and {out.year.period}",
            LOAD_YOUTH,
        )
    out.youth, out.youth_rows = made.table, made.rows


#: How to load the youth-violence strand's sources, in the words of a missing section.
LOAD_YOUTH = (
    "load the MPS Monthly Crime Dashboard (knife crime) and the MPS homicide victims file from the London "
    "Datastore (metforward ingest FILE)"
)


def _access(db: Database, out: SummaryData) -> None:
    """The visible-policing strand: the borough's and London's distance to the nearest open front counter."""
    try:
        made = visible_policing.visible_policing(db, visible_policing.Query())
    except MetforwardError as exc:
        out.access_missing = Missing(
            f"front-counter distances: {exc}",
            "load MOPAC's 2013 front-counter list, LSOA boundaries and LSOA population estimates (metforward ingest FILE)",
        )
        return
    mine = next((b for b in made.access.boroughs if b.area_code == out.borough_code), None)
    if mine is None:
        out.access_missing = Missing(
            f"LSOA boundaries of {out.borough_name}", "load the LSOA 2021 boundaries (metforward fetch boundaries-lsoa)"
        )
        return
    out.access, out.access_london = mine, made.access.london
    out.access_counters = [c for c in made.counters if c["borough_code"] == out.borough_code]


def _completeness(db: Database, out: SummaryData) -> None:
    period = out.year.period
    asked = period.months
    rows = load_queries.police_months_loaded(db, period.first, period.last)
    for kind, force, n in rows:
        out.completeness.append(Completeness(f"police.uk {kind} ({force})", int(n), asked, "months loaded"))
    for kind, first, last in sorted(cubes.datastore_kinds(db)):
        present = cubes.months_present(db, source="datastore", first=period.first, last=period.last, kind=kind)
        if present:
            out.completeness.append(
                Completeness(f"London Datastore {kind}", len(present), asked, f"{first:%Y-%m} to {last:%Y-%m} loaded")
            )
    if out.confidence:
        latest = max(f.period_end for f in out.confidence)
        out.completeness.append(
            Completeness("MOPAC Public Attitude Survey", 0, 0, f"latest figure: 12 months to {latest:%Y-%m-%d}")
        )
    kinds = {c.source.split(" (")[0] for c in out.completeness}
    for wanted in ("police.uk street", "police.uk outcomes", "police.uk stop-and-search"):
        if wanted not in kinds:
            out.completeness.append(Completeness(wanted, 0, asked, "none loaded for this year"))


__all__ = ["SECTIONS", "Query", "ask", "default_year", "report_loads", "sections", "summary_data"]
