"""The data behind the published reports: every figure from the analysis functions the CLI uses.

``summary_data`` assembles the Local Policing Summary of one borough and year (the Metropolitan
Police Authority's borough leaflet): targets checked with intervals (:mod:`.targets`), crime
compared with the year before (:mod:`.compare`), the monthly trend, hot streets and Gi* hot
spots (:mod:`.crime_map`), sanction detection (:mod:`.outcomes`), stop and search
(:mod:`.searches`) and public confidence (:mod:`.confidence`). Nothing is computed twice: each
number is the one the matching command prints with ``--json`` for the same inputs. A section
whose data the store lacks carries a :class:`Missing` (what is missing and how to load it)
instead of figures; the report shows that, never a blank or a made-up number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from metforward.analyse.bulletin import BulletinData
from metforward.analyse.compare import CompareSpec, CompareTable, Period
from metforward.analyse.confidence import Figure, figures
from metforward.analyse.crime_map import HotSpotMap, HotStreets, hot_spots, hot_streets
from metforward.analyse.geo import shape_to_bng
from metforward.analyse.jem import JemData
from metforward.analyse.outcomes import OutcomesResult, sanction_rates
from metforward.analyse.searches import Coverage, Disproportionality, coverage, disproportionality, search_rates
from metforward.analyse.searches import Selection as SearchSelection
from metforward.analyse.targets import Target, TargetResult, TargetsFile
from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.domain.periods import add_months, month_range, month_text, parse_month
from metforward.errors import MetforwardError
from metforward.questions.compare import compare
from metforward.questions.targets import check_targets
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.places import Place, area_shapes, lsoa_members, resolve_place
from metforward.store.queries import loads as load_queries

#: PAS dashboard measures shown in the confidence section, in this order.
CONFIDENCE_MEASURES = (
    '"Good Job" local',
    "Trust MPS",
    "Treat everyone fairly",
    "Listen to concerns",
    "Relied on to be there",
    "Understand issues",
    "Informed local",
    "Contact ward officer",
)
HOT_STREETS_SHOWN = 10


class ReportError(MetforwardError):
    """A report that cannot be made as asked (unknown borough, bad year)."""

    code = "report"


@dataclass(frozen=True)
class ReportYear:
    """The year a report covers: a financial year (``2024/25``: April to March) or a calendar year."""

    label: str
    period: Period

    @property
    def previous(self) -> Period:
        """The twelve months before."""
        return Period(add_months(self.period.first, -12), add_months(self.period.last, -12))


def parse_year(text: str) -> ReportYear:
    """``2024/25`` (or ``2024/2025``, ``2024-25``): April 2024 to March 2025; ``2024``: January to December."""
    value = text.strip()
    fy = re.fullmatch(r"(\d{4})[/-](\d{2}|\d{4})", value)
    if fy:
        start = int(fy.group(1))
        end = int(fy.group(2))
        if (end % 100) != (start + 1) % 100:
            raise ReportError(f"--year {text!r}: a financial year is two consecutive years, e.g. 2024/25")
        return ReportYear(f"{start}/{(start + 1) % 100:02d}", Period(dt.date(start, 4, 1), dt.date(start + 1, 3, 1)))
    if re.fullmatch(r"\d{4}", value):
        year = int(value)
        return ReportYear(value, Period(dt.date(year, 1, 1), dt.date(year, 12, 1)))
    raise ReportError(f"--year {text!r}: give a financial year such as 2024/25 or a calendar year such as 2024")


@dataclass(frozen=True)
class Missing:
    """A section the store cannot fill: what is missing, and how to load it."""

    what: str
    how: str


@dataclass(frozen=True)
class LoadInfo:
    """One load a report rests on (for its footer)."""

    kind: str
    force: str | None
    file: str
    first_month: str | None
    last_month: str | None
    months: int
    sha256: str
    rows_loaded: int


@dataclass(frozen=True)
class MonthlyTrend:
    """Recorded crime by month (all categories), this year and the year before, from the London Datastore."""

    kind: str
    months: list[str]  # labels of this year's months
    this_year: list[int | None]  # None: the month is not in the data
    previous_year: list[int | None]


@dataclass(frozen=True)
class MapData:
    """What the hot-spot map draws, in British National Grid metres."""

    outline: shapely.Geometry | None
    wards: list[tuple[str, shapely.Geometry]]  # ward name, shape: drawn as thin lines
    cells: list[tuple[shapely.Geometry, str, int]]  # shape, class (hot/cold/none), count


@dataclass(frozen=True)
class Completeness:
    """Months with data in the report's year, per source."""

    source: str
    months_present: int
    months_asked: int
    note: str


@dataclass
class SummaryData:
    """Everything the Local Policing Summary shows."""

    borough_code: str
    borough_name: str
    year: ReportYear
    targets_title: str | None
    targets: list[TargetResult]
    targets_missing: Missing | None
    priorities: list[Target]
    compare: CompareTable | None
    compare_source: str | None
    compare_missing: Missing | None
    trend: MonthlyTrend | None
    trend_missing: Missing | None
    streets: HotStreets | None
    hotspots: HotSpotMap | None
    map: MapData | None
    streets_missing: Missing | None
    outcomes: OutcomesResult | None
    outcomes_missing: Missing | None
    searches: Coverage | None
    search_rates: list[dict[str, object]]
    search_notes: list[str]
    dispro: Disproportionality | None
    searches_missing: Missing | None
    confidence: list[Figure]
    confidence_missing: Missing | None
    completeness: list[Completeness]
    loads: list[LoadInfo]
    notes: list[str] = field(default_factory=list)


def resolve_borough(text: str) -> tuple[str, str]:
    """A London borough's GSS code and name from its name, a slug (``kensington-and-chelsea``) or code."""
    code = borough_code(text) or borough_code(text.replace("-", " ").replace("_", " "))
    if code is None:
        raise ReportError(f"{text!r} is not a London borough (give a name such as Westminster or a GSS code)")
    return code, LONDON_BOROUGHS[code]


def _target_when(target: Target) -> dt.date | None:
    """The first month a target is about (None: not stated)."""
    if target.period is not None:
        return target.period.first
    spec = target.source_spec or {}
    for key in ("period", "from", "at"):
        value = spec.get(key)
        if value:
            try:
                return parse_month(str(value).split(":")[0])
            except ValueError:
                return None
    return None


def summary_data(
    db: Database,
    borough: str,
    year: str,
    targets_file: TargetsFile | None,
    london_results: dict[str, TargetResult] | None = None,
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
    _compare(db, out)
    place = _place(db, code)
    _streets(db, out, place)
    _outcomes(db, out, place)
    _searches(db, out, place)
    _confidence(db, out)
    _completeness(db, out)
    out.loads = loads_used(db, previous.first, period.last)
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
    later = [t for t in mine if (when := _target_when(t)) is not None and when > end]
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
    period, previous = out.year.period, out.year.previous

    def by_month(span: Period) -> dict[dt.date, int]:
        sums: dict[dt.date, int] = {}
        for _code, _name, _cat, month, n in cubes.monthly_series(
            db,
            source="datastore",
            level="borough",
            first=span.first,
            last=span.last,
            by="major",
            kind=kind,
        ):
            if _code == out.borough_code:
                sums[month] = sums.get(month, 0) + int(n)
        return sums

    now, before = by_month(period), by_month(previous)
    present_now = set(cubes.months_present(db, source="datastore", first=period.first, last=period.last, kind=kind))
    present_before = set(
        cubes.months_present(db, source="datastore", first=previous.first, last=previous.last, kind=kind)
    )
    months = list(month_range(period.first, period.last))
    out.trend = MonthlyTrend(
        kind,
        [f"{m:%b %Y}" for m in months],
        [now.get(m, 0) if m in present_now else None for m in months],
        [before.get(add_months(m, -12), 0) if add_months(m, -12) in present_before else None for m in months],
    )


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


def loads_used(db: Database, first: dt.date, last: dt.date) -> list[LoadInfo]:
    """Live loads whose months touch ``first``..``last``, and every reference load (no months)."""
    rows = load_queries.live_loads(db)
    found = []
    for kind, force, months, path, member, sha, n in rows:
        months = list(months or [])
        if months and (months[-1] < first or months[0] > last):
            continue
        name = Path(str(path)).name + (f"!{member}" if member else "")
        found.append(
            LoadInfo(
                str(kind),
                force,
                name,
                month_text(months[0]) if months else None,
                month_text(months[-1]) if months else None,
                len(months),
                str(sha)[:12],
                int(n),
            )
        )
    return found


def content_digest(text: str) -> str:
    """A short checksum of a content file (shown in the footer beside the loads)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def summary_inputs(data: SummaryData) -> dict[str, Any]:
    """The CLI options that reproduce each section's figures (for the report's method notes)."""
    p, q = data.year.period, data.year.previous
    kind = data.compare.kind if data.compare else None
    return {
        "compare": f"metforward compare --before {q} --after {p} --area {data.borough_code} "
        + (f"--source datastore --by major --datastore-kind {kind}" if kind else "--source police-uk"),
        "hotstreets": f"metforward hotstreets --area {data.borough_code} --period {p}",
        "outcomes": f"metforward outcomes --area {data.borough_code} --period {p} --by category",
        "searches": f"metforward searches --area {data.borough_code} --from {month_text(p.first)} "
        f"--to {month_text(p.last)} --rates",
        "confidence": f"metforward confidence --area {data.borough_code} --to {month_text(p.last)} --measure NAME",
    }


def bulletin_inputs(data: BulletinData) -> dict[str, str]:
    """The CLI commands that reproduce each section of the bulletin."""
    kind = data.results_kind or "datastore-borough"
    common = f"--source datastore --by major --datastore-kind {kind} --before {data.before} --after {data.after}"
    return {
        "results": f"metforward compare --level force {common} --alpha {data.alpha}",
        "notable": f"metforward compare --level borough {common} --alpha {data.alpha}",
        "exceptions": f"metforward exceptions --source datastore --latest {month_text(data.month)} --months 12 "
        f"--alpha {data.alpha} --min-change {data.exceptions_min_change * 100:g}",
    }


def jem_inputs(data: JemData) -> dict[str, str]:
    """The CLI commands that reproduce each part of the JEM pack."""
    code = data.borough_code
    trends, streets, repeats = data.trends.data, data.hot_streets.data, data.repeat_locations.data
    knife = data.violence.data.get("knife_crime", {})
    return {
        "compare": f"metforward compare --source datastore --level borough --area {code} --by major "
        f"--datastore-kind {trends.get('kind', 'datastore-borough')} --before {trends.get('before', 'B')} "
        f"--after {trends.get('after', 'A')}",
        "dashboard": f"metforward outcomes --source dashboard --area {code} --period {knife.get('period', 'P')} "
        '--crime-type "Knife Crime" --crime-subtype SUBTYPE',
        "hotstreets": f"metforward hotstreets --area {code} --period {streets.get('period', 'P')}",
        "repeats": f"metforward repeats --area {code} --end {repeats.get('end', 'YYYY-MM')} --months "
        f"{repeats.get('months', 6)} --min-months {repeats.get('min_months', 3)}",
        "lsoa": f"metforward map --area {code} --period {data.lsoa_rates.data.get('period', 'P')} --layer lsoa "
        "--out FILE.geojson",
        "outcomes": f"metforward outcomes --area {code} --period {data.outcomes.data.get('period', 'P')}",
        "searches": f"metforward searches --area {code} --to {str(streets.get('period', ':P')).split(':')[-1]} --rates",
    }


def bulletin_report(
    db: Database, month: dt.date, *, alpha: float = 0.05
) -> tuple[BulletinData, list[LoadInfo], dict[str, str]]:
    """What the bulletin is rendered from: its data, the loads it rests on, the commands that reproduce it."""
    from metforward.analyse.bulletin import bulletin_data

    data = bulletin_data(db, month, alpha=alpha)
    return data, loads_used(db, data.before.first, data.after.last), bulletin_inputs(data)


def jem_report(
    db: Database, borough: str, *, months: int = 12, k: int = 5
) -> tuple[JemData, list[LoadInfo], dict[str, str]]:
    """What the JEM pack is rendered from: its data, the loads (every month: its trends span them all), the commands."""
    from metforward.analyse.jem import jem_data

    data = jem_data(db, borough, months=months, k=k)
    return data, loads_used(db, dt.date.min, dt.date.max), jem_inputs(data)
