"""The data behind the published reports: their result types and the pure rules (years, boroughs, the
loads and commands a report cites). :mod:`metforward.questions.reports` reads the store and builds them.

``summary_data`` (in :mod:`metforward.questions.reports`) assembles the Local Policing Summary of one borough and year (the Metropolitan
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
from typing import TYPE_CHECKING, Any

import shapely

from metforward.analyse.access import AreaAccess
from metforward.analyse.basket import BasketTable
from metforward.analyse.bulletin import BulletinData
from metforward.analyse.compare import CompareTable, Period
from metforward.analyse.confidence import Figure
from metforward.analyse.crime_map import HotSpotMap
from metforward.analyse.jem import JemData
from metforward.analyse.outcomes import OutcomesResult
from metforward.analyse.searches import Coverage, Disproportionality
from metforward.analyse.streets import HotStreets
from metforward.analyse.targets import Target, TargetResult
from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.domain.periods import add_months, month_range, month_text, parse_month
from metforward.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from metforward.analyse.strands import StrandSection

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
            raise BadRequest(f"year {text!r}: a financial year is two consecutive years, e.g. 2024/25", field="year")
        return ReportYear(f"{start}/{(start + 1) % 100:02d}", Period(dt.date(start, 4, 1), dt.date(start + 1, 3, 1)))
    if re.fullmatch(r"\d{4}", value):
        year = int(value)
        return ReportYear(value, Period(dt.date(year, 1, 1), dt.date(year, 12, 1)))
    raise BadRequest(
        f"year {text!r}: give a financial year such as 2024/25 or a calendar year such as 2024", field="year"
    )


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
    #: The plan's strands (questions/strands.py STRANDS), one section each, in the registry's order.
    strands: list[StrandSection] = field(default_factory=list)
    #: The headline basket (the seeds' "Results so far" unless another is given) for the borough, this year
    #: against the year before.
    basket: BasketTable | None = None
    basket_missing: Missing | None = None
    #: The youth-violence strand for the borough, this year against the year before (rows with exact intervals).
    youth: BasketTable | None = None
    youth_rows: list[dict[str, Any]] = field(default_factory=list)
    youth_missing: Missing | None = None
    #: The visible-policing strand: the borough's and London's distance to the nearest open front counter.
    access: AreaAccess | None = None
    access_london: AreaAccess | None = None
    access_counters: list[dict[str, Any]] = field(default_factory=list)
    access_missing: Missing | None = None


def resolve_borough(text: str) -> tuple[str, str]:
    """A London borough's GSS code and name from its name, a slug (``kensington-and-chelsea``) or code."""
    code = borough_code(text) or borough_code(text.replace("-", " ").replace("_", " "))
    if code is None:
        raise NotFound(
            f"{text!r} is not a London borough (give a name such as Westminster or a GSS code)", field="borough"
        )
    return code, LONDON_BOROUGHS[code]


def target_when(target: Target) -> dt.date | None:
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


def monthly_trend(
    kind: str,
    period: Period,
    now: tuple[dict[dt.date, int], set[dt.date]],
    before: tuple[dict[dt.date, int], set[dt.date]],
) -> MonthlyTrend:
    """The monthly trend of ``period`` and the twelve months before: ``now`` and ``before`` are each (crimes
    by month, the months present in the data); a month not present is None, not 0."""
    months = list(month_range(period.first, period.last))
    (counts, present), (earlier, present_before) = now, before
    return MonthlyTrend(
        kind,
        [f"{m:%b %Y}" for m in months],
        [counts.get(m, 0) if m in present else None for m in months],
        [earlier.get(add_months(m, -12), 0) if add_months(m, -12) in present_before else None for m in months],
    )


def load_infos(rows: list[tuple[Any, ...]], first: dt.date, last: dt.date) -> list[LoadInfo]:
    """The live loads (rows of :func:`metforward.store.queries.loads.live_loads`) whose months touch
    ``first``..``last``, and every reference load (no months)."""
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
        "results": f"metforward compare --basket {data.basket.origin if data.basket else 'results-so-far'} "
        f"--area {data.borough_code} --before {q} --after {p}",
        "youth": f"metforward youth-violence --area {data.borough_code} --before {q} --after {p}",
        "access": f"metforward visible-policing --area {data.borough_code}",
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
        "basket": f"metforward compare --basket {data.basket.origin if data.basket else 'results-so-far'} "
        f"--level force --before {data.before} --after {data.after} --alpha {data.alpha}",
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
        "allocation": f"metforward allocate --formula {data.allocation.data.get('formula_name', 'mpa')} --year "
        f"{data.allocation.data.get('year', 'YYYY')} --explain {code} --draws {data.allocation.data.get('draws', 1000)}",
    }
