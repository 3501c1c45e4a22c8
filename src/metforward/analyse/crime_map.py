"""The statistics behind the map: hot spots, crime by area (choropleths) and near-repeat events.

Kernels only (rows in, frozen results out; no store): :mod:`metforward.questions.hotspots`,
:mod:`metforward.questions.maps` and :mod:`metforward.questions.near_repeat` read the rows. Hot
streets and repeat locations are in :mod:`metforward.analyse.streets`.

* **Hot spots** (:func:`grid_spots`, :func:`lsoa_spots`): Gi* (:mod:`metforward.analyse.hotspots`)
  on a grid in British National Grid or on the LSOAs of an area.
* **Crime by area** (:func:`tally_areas`): every LSOA, ward or borough of a study area with its count
  of police.uk street crimes (the cube's home-force rule, as ``compare``), an exact Poisson interval
  for the count (Garwood 1936), the rate per 1,000 residents per year over the months with data and
  its interval, and harm (ONS Crime Severity Score weights).
* **Events** (:func:`events_of`): one event per crime, snap point and month, for the Knox test.

police.uk points are anonymised **snap points** and months; nothing here claims more precision.

References
----------
Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28(3/4):437-442.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np
import shapely
from numpy.typing import NDArray

from metforward.analyse.geo import shape_to_bng, to_bng
from metforward.analyse.hotspots import Grid, HotSpots, band_weights, classify, contiguity_weights, grid_over
from metforward.analyse.poisson import poisson_interval
from metforward.domain.periods import Period, month_range
from metforward.errors import MetforwardError


class MapError(MetforwardError):
    """A map statistic that cannot be made as asked."""

    code = "map"


class Area(Protocol):
    """The area a statistic is about: its level (``borough``, ``ward``, ``lsoa``), GSS code and name."""

    @property
    def level(self) -> str: ...

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Coverage:
    """Which months of a period have data from the force behind an area."""

    asked: int
    present: list[dt.date]

    @property
    def missing(self) -> int:
        """Months asked for without data."""
        return self.asked - len(self.present)


def finite(value: object) -> float | None:
    """``value`` as a float, None when it is NaN or infinite."""
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


# --- hot spots --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotSpotMap:
    """Gi* hot spots over the units of a study area (grid cells or LSOAs)."""

    place: Area
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


def grid_spots(
    rows: Mapping[str, Sequence[Any]],
    *,
    place: Area,
    period: Period,
    coverage: Coverage,
    boundary: bytes | None,
    cell_size: float = 250.0,
    band: float | None = None,
    alpha: float = 0.05,
    permutations: int = 0,
    seed: int | None = None,
) -> HotSpotMap:
    """Gi* hot and cold spots of the crimes ``rows`` (snap points, WGS84) on a grid (EPSG:27700).

    Every cell of ``cell_size`` metres overlapping the area's ``boundary`` (WKB, WGS84; without one,
    the bounding box of the crimes, with a note), zero counts included; binary distance-band weights
    (default: queen).
    """
    notes = []
    x, y = to_bng(rows["longitude"], rows["latitude"])
    area = shape_to_bng(boundary) if boundary is not None else None
    if area is None:
        notes.append(f"no boundary of {place.name} is loaded: the grid covers the bounding box of its crimes")
        if not len(x):
            raise MapError(f"no crimes with a location in {place.name} in {period} and no boundary to grid")
    grid = grid_over(cell_size, area=area, x=x, y=y)
    counts, outside = grid.counts(x, y, rows["n"])
    if area is not None and len(x):
        beyond = ~shapely.contains_xy(area, x, y)
        if beyond.any():
            notes.append(
                f"{int(np.asarray(rows['n'])[beyond].sum())} crimes placed in {place.name} by their LSOA lie "
                f"outside its loaded boundary (a generalised boundary cuts corners); their cells are included"
            )
    w = band_weights(grid, band)
    result = classify(counts, w, alpha=alpha, permutations=permutations, seed=seed)
    codes = [f"{int(a)}_{int(b)}" for a, b in zip(grid.x, grid.y, strict=True)]
    return HotSpotMap(
        place, period, "grid", result, grid, codes, codes, grid.polygons(), band, outside, coverage, notes
    )


def lsoa_spots(
    rows: Mapping[str, Sequence[Any]],
    *,
    place: Area,
    period: Period,
    coverage: Coverage,
    lsoas: Sequence[tuple[str, str]],
    shapes: Mapping[str, bytes],
    alpha: float = 0.05,
    permutations: int = 0,
    seed: int | None = None,
) -> HotSpotMap:
    """Gi* hot and cold spots of the crimes ``rows`` on the ``lsoas`` (code, name) of an area, queen
    contiguity of their ``shapes`` (code -> WKB, WGS84); :class:`MapError` when a boundary is missing."""
    missing = [c for c, _ in lsoas if c not in shapes]
    if missing:
        raise MapError(
            f"{len(missing)} of the {len(lsoas)} LSOAs of {place.name} have no boundary loaded "
            f"(e.g. {missing[0]}): ingest the LSOA 2021 boundaries"
        )
    index = {c: i for i, (c, _) in enumerate(lsoas)}
    counts = np.zeros(len(lsoas))
    for code, n in zip(rows["lsoa21_code"], rows["n"], strict=True):
        if code in index:
            counts[index[code]] += n
    geoms = np.array([shape_to_bng(shapes[c]) for c, _ in lsoas], dtype=object)
    w = contiguity_weights(list(geoms))
    result = classify(counts, w, alpha=alpha, permutations=permutations, seed=seed)
    codes, names = [c for c, _ in lsoas], [n for _, n in lsoas]
    return HotSpotMap(place, period, "lsoa", result, None, codes, names, geoms, None, 0, coverage, [])


def cell_records(m: HotSpotMap) -> list[dict[str, object]]:
    """One record per unit of a hot-spot map: the items of ``hotspots --json``."""
    r = m.result
    p = r.p_used
    out: list[dict[str, object]] = []
    for i in range(len(r.counts)):
        record: dict[str, object] = {}
        if m.grid is not None:
            record.update(x=float(m.grid.x[i]), y=float(m.grid.y[i]), cell_size=m.grid.cell_size)
        else:
            record.update(lsoa_code=m.codes[i], lsoa_name=m.names[i])
        record.update(count=int(r.counts[i]), z=finite(r.gi.z[i]), p_value=finite(p[i]), q_value=finite(r.q_value[i]))
        record["class"] = r.classes[i]
        out.append(record)
    return out


# --- near-repeat events -----------------------------------------------------------------------------


def events_of(
    rows: Mapping[str, Sequence[Any]], period: Period
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """One event per crime: snap point in British National Grid (metres) and month index (0 = first month)."""
    n = np.asarray(rows["n"], dtype=np.int64)
    x, y = to_bng(rows["longitude"], rows["latitude"])
    months = {m: i for i, m in enumerate(month_range(period.first, period.last))}
    t = np.array([months[m] for m in rows["month"]], dtype=np.int64)
    return np.repeat(x, n), np.repeat(y, n), np.repeat(t, n)


# --- crime by area (choropleths) ---------------------------------------------------------------------


@dataclass(frozen=True)
class AreaFigure:
    """Crime in one area of a study area over a period: count and its exact interval, the months behind
    it, rate per 1,000 residents per year and its interval, harm; ``shape`` (WGS84) where asked for."""

    code: str
    name: str
    count: int
    count_low: float
    count_high: float
    months_with_data: int
    population: float | None
    rate_per_1000: float | None
    rate_low: float | None
    rate_high: float | None
    harm: float
    shape: shapely.Geometry | None = None

    def as_dict(self) -> dict[str, Any]:
        """The figures (not the shape), JSON-safe."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "shape"}


#: The keys of an area's figures, in order.
AREA_COLUMNS = tuple(f.name for f in fields(AreaFigure) if f.name != "shape")


@dataclass(frozen=True)
class AreaFigures:
    """Every area of a level in a study area with its crime in a period, and the months with data."""

    level: str
    period: Period
    figures: list[AreaFigure]
    months_present: list[dt.date]


def tally_areas(
    units: Sequence[tuple[str, str]],
    counts: Iterable[tuple[str, str, int, Sequence[str] | None]],
    *,
    level: str,
    period: Period,
    coverage: Mapping[tuple[str, str], Collection[dt.date]],
    people: Mapping[str, float],
    weights: Mapping[str, float],
    categories: Collection[str] | None = None,
    force: str | None = None,
) -> AreaFigures:
    """Every area of ``units`` (code, name) with its crime in ``period``, zero counts included.

    ``counts`` are (area code, category, count, forces whose rows make it up); ``coverage`` the months
    each (force, category) published. The months behind an area are those in which its forces
    published the categories asked for (a missing month lowers the exposure, it is not a zero; an area
    without crimes gets every month any force, or ``force``, published). Rates are crimes per 1,000
    residents (``people``) per year over those months, with the count's exact interval scaled alike.
    Harm sums the ``weights`` of the categories (anti-social behaviour has none).
    """
    wanted = set(categories) if categories else None
    tally: dict[str, int] = defaultdict(int)
    harm: dict[str, float] = defaultdict(float)
    forces: dict[str, set[str]] = defaultdict(set)
    for code, category, n, row_forces in counts:
        if wanted is None or category in wanted:
            tally[code] += int(n)
            harm[code] += weights.get(category, 0.0) * int(n)
            forces[code] |= set(row_forces or [])
    force_months: dict[str, set[dt.date]] = defaultdict(set)
    for (who, category), months in coverage.items():
        if (wanted is None or category in wanted) and (force is None or who == force):
            force_months[who] |= set(months)
    every: set[dt.date] = set().union(*force_months.values()) if force_months else set()
    ordered = sorted(units)
    low, high = poisson_interval([tally.get(code, 0) for code, _ in ordered])
    out = []
    for i, (code, name) in enumerate(ordered):
        months = set().union(*(force_months[f] for f in forces[code])) if forces.get(code) else every
        n = tally.get(code, 0)
        pop = people.get(code) or None
        scale = 12 / len(months) / pop * 1000 if pop and months else None
        out.append(
            AreaFigure(
                code=code,
                name=name,
                count=n,
                count_low=round(float(low[i]), 3),
                count_high=round(float(high[i]), 3),
                months_with_data=len(months),
                population=pop,
                rate_per_1000=None if scale is None else round(n * scale, 3),
                rate_low=None if scale is None else round(float(low[i]) * scale, 3),
                rate_high=None if scale is None else round(float(high[i]) * scale, 3),
                harm=round(harm[code], 1),
            )
        )
    return AreaFigures(level, period, out, sorted(every))


__all__ = [
    "AREA_COLUMNS",
    "Area",
    "AreaFigure",
    "AreaFigures",
    "Coverage",
    "HotSpotMap",
    "MapError",
    "cell_records",
    "events_of",
    "finite",
    "grid_spots",
    "lsoa_spots",
    "tally_areas",
]
