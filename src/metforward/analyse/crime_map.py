"""The statistics behind the dots: hot streets, repeat locations and hot spots in an area.

police.uk publishes each crime at an anonymised **snap point** (a point standing for at least
eight postal addresses, or none) with its ``Location`` text ("On or near High Street") and the
month. Nothing here claims more precision than a snap point and a month.

* **Hot streets**: a street is a ``Location`` text within a ward (two "High Street"s in different
  wards stay apart; a street crossing a ward boundary appears once per ward). Ranked by count or
  by harm, with the change against the previous period of equal length (exact conditional Poisson
  test, Benjamini-Hochberg q values across the streets listed) and the concentration of crime on
  them: how many streets hold half of the area's crime (Weisburd 2015).
* **Repeat locations**: snap points with crime in at least k of the last n months.
* **Hot spots**: Gi* (:mod:`metforward.analyse.hotspots`) on a grid in British National Grid or on
  the LSOAs of the area.

References
----------
Weisburd, D. (2015). The law of crime concentration and the criminology of place. Criminology
    53(2):133-157.
Tompson, L. et al. (2015). UK open source crime data: accuracy and possibilities for research.
    Cartography and Geographic Information Science 42(2):97-111.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from metforward.analyse.compare import Period
from metforward.analyse.dispersion import judge
from metforward.analyse.geo import shape_to_bng, to_bng
from metforward.analyse.harm import load_weights
from metforward.analyse.hotspots import Grid, HotSpots, band_weights, classify, contiguity_weights, grid_over
from metforward.domain.areas import force_of_borough
from metforward.domain.periods import add_months, month_range
from metforward.errors import MetforwardError
from metforward.store import cubes, places
from metforward.store.database import Database
from metforward.store.places import Place
from metforward.store.queries import areas as area_queries


class MapError(MetforwardError):
    """A map statistic that cannot be made as asked."""

    code = "map"


def _forces(db: Database, place: Place, force: str | None) -> list[str]:
    if force:
        return [force]
    borough = place.code if place.level == "borough" else _borough_of(db, place)
    home = force_of_borough(borough) if borough else None
    return [home] if home else []


def _borough_of(db: Database, place: Place) -> str | None:
    return area_queries.borough_of(db, place.level, place.code)


def latest_month(
    db: Database, place: Place, *, categories: list[str] | None = None, force: str | None = None
) -> dt.date | None:
    """The last month in which the force behind ``place`` (or ``force``) published street rows (of ``categories``)."""
    forces = _forces(db, place, force)
    if not forces:
        return None
    months = places.months_published(
        db, forces=forces, categories=categories, first=dt.date(1900, 1, 1), last=dt.date(2999, 12, 1)
    )
    return months[-1] if months else None


@dataclass(frozen=True)
class Coverage:
    """Which months of a period have data from the force behind an area."""

    asked: int
    present: list[dt.date]

    @property
    def missing(self) -> int:
        """Months asked for without data."""
        return self.asked - len(self.present)


def coverage_of(
    db: Database, place: Place, period: Period, categories: list[str] | None, force: str | None
) -> Coverage:
    """The months of ``period`` in which the force behind ``place`` (or ``force``) published street rows."""
    forces = _forces(db, place, force)
    present = (
        places.months_published(db, forces=forces, categories=categories, first=period.first, last=period.last)
        if forces
        else []
    )
    return Coverage(period.months, present)


# --- hot streets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Street:
    """One street (a police.uk ``Location`` text within a ward) and its crime."""

    rank: int
    location: str
    ward_code: str | None
    ward_name: str | None
    snap_points: int
    longitude: float
    latitude: float
    count: int
    share: float
    cumulative_share: float
    harm: float | None
    previous: int
    change_pct: float | None
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    verdict: str
    categories: dict[str, int] = field(default_factory=dict)
    method: str = "quasi"
    dispersion: float | None = None
    dispersion_months: int = 0


@dataclass(frozen=True)
class HotStreets:
    """Every street of an area with crime in a period, ranked, with the concentration of crime."""

    place: Place
    period: Period
    previous_period: Period
    rank_by: str
    streets: list[Street]
    total: int
    streets_for_half: int
    coverage: Coverage
    previous_coverage: Coverage
    harm_coverage: float | None
    notes: list[str]
    #: The method and dispersion line for under the table.
    method_note: str = ""

    @property
    def street_count(self) -> int:
        """Streets with at least one crime in the period."""
        return len(self.streets)


def hot_streets(
    db: Database,
    place: Place,
    period: Period,
    *,
    categories: list[str] | None = None,
    rank_by: str = "count",
    force: str | None = None,
    alpha: float = 0.05,
    method: str = "quasi",
) -> HotStreets:
    """Streets of ``place`` ranked by count (or ``rank_by="harm"``) in ``period``, with change and concentration.

    The change compares each street's count with its count in the previous period of equal length,
    per month of data (months the force published), by the quasi-Poisson comparison with the
    dispersion of the street's own monthly counts (:mod:`metforward.analyse.dispersion`), or with
    ``method="poisson"`` the exact conditional Poisson test.
    """
    if rank_by not in ("count", "harm"):
        raise MapError(f"rank by 'count' or 'harm', not {rank_by!r}")
    previous = Period(add_months(period.first, -period.months), add_months(period.first, -1))
    rows = places.place_counts(db, place, first=previous.first, last=period.last, categories=categories, force=force)
    cov, prev_cov = (
        coverage_of(db, place, period, categories, force),
        coverage_of(db, place, previous, categories, force),
    )
    weights = {k: w.weight for k, w in load_weights("ons-css", "police-uk").items()}
    now: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    before: dict[tuple[str, str | None], int] = defaultdict(int)
    points: dict[tuple[str, str | None], dict[tuple[float, float], int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str | None, str | None] = {}
    monthly: dict[tuple[tuple[str, str | None], dt.date], int] = defaultdict(int)
    data = rows.to_pydict()
    for month, category, location, lon, lat, ward, ward_name, n in zip(
        data["month"], data["category"], data["location"], data["longitude"], data["latitude"],
        data["ward_code"], data["ward_name"], data["n"], strict=True,
    ):  # fmt: skip
        key = (location or "(no location text)", ward)
        names[ward] = ward_name
        monthly[(key, month)] += int(n)
        if month >= period.first:
            now[key][category] += int(n)
            points[key][(lon, lat)] += int(n)
        else:
            before[key] += int(n)
    keys = list(now)
    counts = np.array([sum(now[k].values()) for k in keys], dtype=np.int64)
    harm = np.array([sum(weights.get(c, math.nan) * n for c, n in now[k].items() if c in weights) for k in keys])
    weighed = sum(n for k in keys for c, n in now[k].items() if c in weights)
    total = int(counts.sum())
    prev = np.array([before.get(k, 0) for k in keys], dtype=np.int64)
    t_now, t_prev = float(len(cov.present)), float(len(prev_cov.present))
    notes = []
    if cov.missing:
        notes.append(f"{cov.missing} of the {cov.asked} months asked for have no data from the force")
    if t_prev == 0:
        notes.append(f'no data in the previous period {previous}: every change is "can\'t tell"')
    squares = [np.zeros(len(keys)), np.zeros(len(keys))]
    row_of = {k: i for i, k in enumerate(keys)}
    for (key, month), n in monthly.items():
        i = row_of.get(key)
        if i is not None:
            squares[0 if month < period.first else 1][i] += n * n
    judged = judge(
        prev, counts, t_prev, t_now, squares_before=squares[0], squares_after=squares[1], method=method, alpha=alpha
    )
    stats = [judged.row(i) for i in range(len(keys))]
    order = sorted(
        range(len(keys)),
        key=lambda i: (-(harm[i] if rank_by == "harm" else counts[i]), -counts[i], keys[i][0], keys[i][1] or ""),
    )
    streets, running, half = [], 0, 0
    for rank, i in enumerate(order, start=1):
        running += int(counts[i])
        if not half and total and running * 2 >= total:
            half = rank
        pts = points[keys[i]]
        lon = sum(p[0] * n for p, n in pts.items()) / sum(pts.values())
        lat = sum(p[1] * n for p, n in pts.items()) / sum(pts.values())
        pct, rr, lo, hi, p, qv, v = stats[i]
        streets.append(
            Street(
                rank=rank,
                location=keys[i][0],
                ward_code=keys[i][1],
                ward_name=names.get(keys[i][1]),
                snap_points=len(pts),
                longitude=round(lon, 6),
                latitude=round(lat, 6),
                count=int(counts[i]),
                share=round(int(counts[i]) / total, 6) if total else 0.0,
                cumulative_share=round(running / total, 6) if total else 0.0,
                harm=_f(harm[i]) if weights else None,
                previous=int(prev[i]),
                change_pct=_f(pct),
                rate_ratio=_f(rr),
                ci_low=_f(lo),
                ci_high=_f(hi),
                p_value=_f(p),
                q_value=_f(qv),
                verdict=v,
                categories=dict(sorted(now[keys[i]].items(), key=lambda kv: -kv[1])),
                method=method,
                dispersion=_f(round(float(judged.dispersion[i]), 4)),
                dispersion_months=int(judged.dispersion_months[i]),
            )
        )
    # harm of rows with no weight (anti-social behaviour) is left out; say how much that is
    harm_cov = weighed / total if total else None
    return HotStreets(
        place, period, previous, rank_by, streets, total, half, cov, prev_cov, harm_cov, notes, judged.summary()
    )


# --- repeat locations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatLocation:
    """A snap point with crime in at least k of the last n months."""

    location: str
    longitude: float
    latitude: float
    ward_name: str | None
    months: list[str]
    count: int
    categories: dict[str, int]


@dataclass
class _Point:
    location: str
    ward_name: str | None
    months: set[dt.date] = field(default_factory=set)
    count: int = 0
    categories: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


def repeat_locations(
    db: Database,
    place: Place,
    *,
    end: dt.date,
    months: int = 6,
    min_months: int = 3,
    categories: list[str] | None = None,
    force: str | None = None,
) -> tuple[list[RepeatLocation], Coverage]:
    """Snap points of ``place`` with crime in at least ``min_months`` of the ``months`` months ending ``end``.

    Sorted by the number of months with crime, then by count. The coverage says how many of the
    months the force published; a missing month can only hide repeats, never make one.
    """
    if not 1 <= min_months <= months:
        raise MapError(f"--min-months must lie between 1 and --months ({months}), not {min_months}")
    period = Period(add_months(end, -(months - 1)), end)
    rows = places.place_counts(db, place, first=period.first, last=period.last, categories=categories, force=force)
    seen: dict[tuple[float, float], _Point] = {}
    data = rows.to_pydict()
    for month, category, location, lon, lat, ward_name, n in zip(
        data["month"], data["category"], data["location"], data["longitude"], data["latitude"],
        data["ward_name"], data["n"], strict=True,
    ):  # fmt: skip
        point = seen.setdefault((lon, lat), _Point(location or "", ward_name))
        point.months.add(month)
        point.count += int(n)
        point.categories[category] += int(n)
    out = [
        RepeatLocation(
            location=p.location,
            longitude=lon,
            latitude=lat,
            ward_name=p.ward_name,
            months=[m.strftime("%Y-%m") for m in sorted(p.months)],
            count=p.count,
            categories=dict(sorted(p.categories.items(), key=lambda kv: -kv[1])),
        )
        for (lon, lat), p in seen.items()
        if len(p.months) >= min_months
    ]
    out.sort(key=lambda r: (-len(r.months), -r.count, r.location, r.longitude, r.latitude))
    return out, coverage_of(db, place, period, categories, force)


# --- hot spots --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotSpotMap:
    """Gi* hot spots over the units of a study area (grid cells or LSOAs)."""

    place: Place
    period: Period
    units: str
    result: HotSpots
    grid: Grid | None
    codes: list[str]
    names: list[str]
    shapes: NDArray[np.object_]
    band: float | None
    outside: int
    coverage: Coverage
    notes: list[str]


def hot_spots(
    db: Database,
    place: Place,
    period: Period,
    *,
    units: str = "grid",
    cell_size: float = 250.0,
    band: float | None = None,
    categories: list[str] | None = None,
    permutations: int = 0,
    seed: int | None = None,
    alpha: float = 0.05,
    force: str | None = None,
) -> HotSpotMap:
    """Gi* hot and cold spots of crime in ``place`` over ``period``, on a grid (EPSG:27700) or on LSOAs.

    Grid: every cell of ``cell_size`` metres overlapping the area's boundary (when boundaries are
    loaded; otherwise the bounding box of the crimes, with a note), zero counts included; binary
    distance-band weights (default: queen). LSOAs: every LSOA 2021 of the area, queen contiguity.
    """
    rows = places.place_counts(db, place, first=period.first, last=period.last, categories=categories, force=force)
    cov = coverage_of(db, place, period, categories, force)
    data = rows.to_pydict()
    notes = []
    if units == "grid":
        x, y = to_bng(data["longitude"], data["latitude"])
        shape = places.area_shapes(db, place.level, [place.code]).get(place.code)
        area = shape_to_bng(shape[1]) if shape else None
        if area is None:
            notes.append(f"no boundary of {place.name} is loaded: the grid covers the bounding box of its crimes")
            if not len(x):
                raise MapError(f"no crimes with a location in {place.name} in {period} and no boundary to grid")
        grid = grid_over(cell_size, area=area, x=x, y=y)
        counts, outside = grid.counts(x, y, data["n"])
        if area is not None and len(x):
            beyond = ~shapely.contains_xy(area, x, y)
            if beyond.any():
                notes.append(
                    f"{int(np.asarray(data['n'])[beyond].sum())} crimes placed in {place.name} by their LSOA lie "
                    f"outside its loaded boundary (a generalised boundary cuts corners); their cells are included"
                )
        w = band_weights(grid, band)
        result = classify(counts, w, alpha=alpha, permutations=permutations, seed=seed)
        codes = [f"{int(a)}_{int(b)}" for a, b in zip(grid.x, grid.y, strict=True)]
        return HotSpotMap(place, period, "grid", result, grid, codes, codes, grid.polygons(), band, outside, cov, notes)
    if units != "lsoa":
        raise MapError(f"units are 'grid' or 'lsoa', not {units!r}")
    lsoas = places.lsoas_of(db, place)
    shapes = places.area_shapes(db, "lsoa", [c for c, _ in lsoas])
    missing = [c for c, _ in lsoas if c not in shapes]
    if missing:
        raise MapError(
            f"{len(missing)} of the {len(lsoas)} LSOAs of {place.name} have no boundary loaded "
            f"(e.g. {missing[0]}): ingest the LSOA 2021 boundaries"
        )
    index = {c: i for i, (c, _) in enumerate(lsoas)}
    counts = np.zeros(len(lsoas))
    for code, n in zip(data["lsoa21_code"], data["n"], strict=True):
        if code in index:
            counts[index[code]] += n
    geoms = np.array([shape_to_bng(shapes[c][1]) for c, _ in lsoas], dtype=object)
    w = contiguity_weights(list(geoms))
    result = classify(counts, w, alpha=alpha, permutations=permutations, seed=seed)
    return HotSpotMap(
        place, period, "lsoa", result, None, [c for c, _ in lsoas], [n for _, n in lsoas], geoms, None, 0, cov, notes
    )


def cell_records(m: HotSpotMap) -> list[dict[str, object]]:
    """One record per unit of a hot-spot map: the keys of ``hotspots --json``."""
    r = m.result
    p = r.p_used
    out: list[dict[str, object]] = []
    for i in range(len(r.counts)):
        record: dict[str, object] = {}
        if m.grid is not None:
            record.update(x=float(m.grid.x[i]), y=float(m.grid.y[i]), cell_size=m.grid.cell_size)
        else:
            record.update(lsoa_code=m.codes[i], lsoa_name=m.names[i])
        record.update(
            count=int(r.counts[i]),
            z=_f(r.gi.z[i]),
            p_value=_f(p[i]),
            q_value=_f(r.q_value[i]),
        )
        record["class"] = r.classes[i]
        out.append(record)
    return out


# --- near-repeat events -----------------------------------------------------------------------------


def events(
    db: Database, place: Place, period: Period, *, categories: list[str] | None = None, force: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """One event per crime: snap point in British National Grid (metres) and month index (0 = first month)."""
    rows = places.place_counts(db, place, first=period.first, last=period.last, categories=categories, force=force)
    data = rows.to_pydict()
    n = np.asarray(data["n"], dtype=np.int64)
    x, y = to_bng(data["longitude"], data["latitude"])
    months = {m: i for i, m in enumerate(month_range(period.first, period.last))}
    t = np.array([months[m] for m in data["month"]], dtype=np.int64)
    return np.repeat(x, n), np.repeat(y, n), np.repeat(t, n)


# --- area layers (choropleths) -----------------------------------------------------------------------


@dataclass(frozen=True)
class AreaFigure:
    """Crime in one LSOA or ward of a study area over a period: count, rate and harm."""

    code: str
    name: str
    count: int
    population: float | None
    rate_per_1000: float | None
    harm: float
    shape: shapely.Geometry | None


def area_figures(
    db: Database,
    place: Place,
    period: Period,
    *,
    level: str = "lsoa",
    categories: list[str] | None = None,
    force: str | None = None,
) -> tuple[list[AreaFigure], Coverage]:
    """Every LSOA (or ward) of ``place`` with its crime in ``period``, zero counts included.

    Rates are crimes per 1,000 residents per year (the period's count scaled to twelve months of
    data present), from the LSOA population estimates (summed over a ward's LSOAs for wards).
    Harm uses the ONS Crime Severity Score weights; anti-social behaviour has none. Shapes (WGS84)
    come from the boundaries loaded, or are None.
    """
    if level not in ("lsoa", "ward"):
        raise MapError(f"area layers are by 'lsoa' or 'ward', not {level!r}")
    cov = coverage_of(db, place, period, categories, force)
    members = places.lsoa_members(db, place)
    key = 0 if level == "lsoa" else 1
    units: dict[str, str] = {}
    for lsoa, lsoa_name, ward, ward_name in members:
        code, name = (lsoa, lsoa_name) if key == 0 else (ward, ward_name)
        if code:
            units.setdefault(code, name or code)
    people_lsoa = cubes.population(db, level="lsoa", year=period.last.year)
    people: dict[str, float] = defaultdict(float)
    for lsoa, _, ward, _ in members:
        unit = lsoa if key == 0 else ward
        if unit and lsoa in people_lsoa:
            people[unit] += people_lsoa[lsoa]
    weights = {k: w.weight for k, w in load_weights("ons-css", "police-uk").items()}
    counts: dict[str, int] = defaultdict(int)
    harm: dict[str, float] = defaultdict(float)
    data = places.place_counts(
        db, place, first=period.first, last=period.last, categories=categories, force=force
    ).to_pydict()
    column = "lsoa21_code" if key == 0 else "ward_code"
    for code, category, n in zip(data[column], data["category"], data["n"], strict=True):
        if code in units:
            counts[code] += int(n)
            harm[code] += weights.get(category, 0.0) * int(n)
    shapes = places.area_shapes(db, level, list(units))
    months = len(cov.present)
    out = []
    for code, name in sorted(units.items()):
        pop = people.get(code)
        rate = counts[code] / months * 12 / pop * 1000 if pop and months else None
        shape = shapes.get(code)
        out.append(
            AreaFigure(
                code=code,
                name=name,
                count=counts[code],
                population=pop,
                rate_per_1000=None if rate is None else round(rate, 3),
                harm=round(harm[code], 1),
                shape=shapely.from_wkb(shape[1]) if shape else None,
            )
        )
    return out, cov


def _f(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


__all__ = [
    "AreaFigure",
    "HotSpotMap",
    "area_figures",
    "HotStreets",
    "MapError",
    "RepeatLocation",
    "Street",
    "cell_records",
    "events",
    "hot_spots",
    "hot_streets",
    "repeat_locations",
]
