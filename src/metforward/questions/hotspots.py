"""Hot spots: Getis-Ord Gi* hot and cold spots of an area's crime on a grid or on its LSOAs, with
Benjamini-Hochberg control across the units.

The one place the question is answered: options and defaults (:class:`Query`), the reads (crimes by
snap point, the area's boundary or its LSOAs' boundaries: :func:`hot_spots`) and the kernels
(:func:`metforward.analyse.crime_map.grid_spots`, :func:`~metforward.analyse.crime_map.lsoa_spots`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from metforward.analyse.crime_map import HotSpotMap, MapError, cell_records, grid_spots, lsoa_spots
from metforward.domain.periods import Period
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.places import (
    categories_of,
    check_period,
    choose_period,
    coverage_of,
    crimes_at,
    place_meta,
    place_of,
)
from metforward.store import places
from metforward.store.database import Database
from metforward.store.places import Place

#: The keys of each row on a grid (on LSOAs: ``lsoa_code``, ``lsoa_name`` instead of ``x``, ``y``, ``cell_size``).
COLUMNS = ("x", "y", "cell_size", "count", "z", "p_value", "q_value", "class")
UNITS = ("grid", "lsoa")


@dataclass(frozen=True)
class Query:
    """Where and how to look for hot spots (text options, defaults in one place). ``period`` (or one
    ``month``) defaults to the latest month loaded; ``band`` to the queen neighbourhood of a cell."""

    area: str
    period: str | None = None
    month: str | None = None
    category: Sequence[str] | None = None
    units: str = "grid"
    cell_size: float = 250.0
    band: float | None = None
    permutations: int = 0
    seed: int | None = None
    alpha: float = 0.05
    force: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", categories_of(self.category))
        check_period(self.period)
        check_period(self.month, "month")
        if self.units not in UNITS:
            raise MapError(f"units are 'grid' or 'lsoa', not {self.units!r}", field="units")
        if not (self.cell_size > 0 and math.isfinite(self.cell_size)):
            raise MapError(
                f"the cell size must be a positive number of metres, not {self.cell_size!r}", field="cell_size"
            )


def hot_spots(
    db: Database,
    place: Place,
    period: Period,
    *,
    units: str = "grid",
    cell_size: float = 250.0,
    band: float | None = None,
    categories: Sequence[str] | None = None,
    permutations: int = 0,
    seed: int | None = None,
    alpha: float = 0.05,
    force: str | None = None,
) -> HotSpotMap:
    """Gi* hot and cold spots of crime in ``place`` over ``period``, on a grid (EPSG:27700) or on LSOAs
    (for the questions that build on it: the map layers, the borough reports)."""
    rows = crimes_at(db, place, period.first, period.last, categories, force)
    cov = coverage_of(db, place, period, categories, force)
    if units == "grid":
        shape = places.area_shapes(db, place.level, [place.code]).get(place.code)
        return grid_spots(
            rows,
            place=place,
            period=period,
            coverage=cov,
            boundary=shape[1] if shape else None,
            cell_size=cell_size,
            band=band,
            alpha=alpha,
            permutations=permutations,
            seed=seed,
        )
    if units != "lsoa":
        raise MapError(f"units are 'grid' or 'lsoa', not {units!r}", field="units")
    lsoas = places.lsoas_of(db, place)
    shapes = places.area_shapes(db, "lsoa", [c for c, _ in lsoas])
    return lsoa_spots(
        rows,
        place=place,
        period=period,
        coverage=cov,
        lsoas=lsoas,
        shapes={code: wkb for code, (_name, wkb) in shapes.items()},
        alpha=alpha,
        permutations=permutations,
        seed=seed,
    )


def ask(db: Database, query: Query) -> Answer:
    """The hot and cold spots of the area ``query`` names."""
    place = place_of(db, query.area)
    period = choose_period(db, query.period, query.month)
    result = hot_spots(
        db,
        place,
        period,
        units=query.units,
        cell_size=query.cell_size,
        band=query.band,
        categories=query.category,
        permutations=query.permutations,
        seed=query.seed,
        alpha=query.alpha,
        force=query.force,
    )
    classes = result.result.classes
    return Answer(
        question="hotspots",
        query={
            "area": query.area,
            "period": str(period),
            "category": query.category,
            "units": query.units,
            "cell_size": query.cell_size,
            "band": query.band,
            "permutations": query.permutations,
            "seed": query.seed,
            "alpha": query.alpha,
            "force": query.force,
        },
        items=cell_records(result),
        columns=COLUMNS if query.units == "grid" else ("lsoa_code", "lsoa_name", *COLUMNS[3:]),
        meta={
            **place_meta(place, result.coverage),
            "period": str(period),
            "units": query.units,
            "crimes": int(result.result.counts.sum()),
            "hot": classes.count("hot"),
            "cold": classes.count("cold"),
            "outside_grid": result.outside,
            "method": "Getis-Ord Gi* (Getis and Ord 1992, Ord and Getis 1995), binary weights, "
            + (f"{query.permutations} permutations" if query.permutations else "analytical z")
            + f", Benjamini-Hochberg q across units at {query.alpha}",
            "loads": loads_used(db, ("street",)),
        },
        notes=list(result.notes),
        result=result,
    )


QUESTION = Question(
    name="hotspots",
    query=Query,
    ask=ask,
    command=("hotspots",),
    route=None,  # the web shows it as a map layer (GeoJSON, /geo/hotspots)
    summary="Getis-Ord Gi* hot and cold spots on a grid or on LSOAs, with Benjamini-Hochberg control across units.",
    example={"area": "Westminster", "period": "2024-01:2024-06"},
)

__all__ = ["COLUMNS", "QUESTION", "Query", "ask", "hot_spots"]
