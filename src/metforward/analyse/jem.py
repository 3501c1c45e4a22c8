"""The data of the Joint Engagement Meeting pack for one borough (``metforward report jem --borough ...``):
its result types and the pure builders of its parts; :mod:`metforward.questions.jem` reads the store.

No rendering here. Each part is built by the module behind the matching CLI command, so the
pack's numbers equal that command's output for the same inputs; each part that cannot be built
from the store says why and what to load instead of showing a blank or an invented number.

Parts:

* **trends**: London Datastore borough counts by major category, every month loaded (the
  ``datastore-borough`` file), and the last ``months`` months against the ``months`` before
  them by :func:`metforward.questions.compare.compare` (``metforward compare --source datastore
  --area BOROUGH --by major``);
* **violence proxies**: the Datastore major category "VIOLENCE AGAINST THE PERSON" (all
  recorded violence, not only serious violence) and, from the MPS Monthly Crime Dashboard, knife
  crime offences ("Knife Crime" / "Knife Crime") and, as the **youth-violence proxy**, knife
  injury victims aged 1-24 not in a domestic abuse setting ("Knife Crime" / "Knife Injury
  Victims (non DA 1-24)"). These are proxies: police-recorded counts, not a measure of all
  violence or of violence against young people;
* **places**: hot streets (:func:`metforward.analyse.crime_map.hot_streets`), repeat locations
  (:func:`~metforward.analyse.crime_map.repeat_locations`) and LSOA rates per 1,000 residents
  (:func:`~metforward.analyse.crime_map.area_figures`), from police.uk street rows over the last
  ``months`` months the borough's force published;
* **similar boroughs**: the ``k`` most similar boroughs (:mod:`metforward.analyse.similar`) and,
  side by side, the same measures for each: population, density, crime and violence per 1,000
  residents over the last ``months`` months, and knife crime offences per 1,000 residents;
* **outcomes**: sanction detection (:func:`metforward.analyse.outcomes.sanction_rates`) over the
  police.uk period;
* **stop and search**: arrest, find and positive-outcome rates over the months of searches loaded
  (:func:`metforward.analyse.searches.search_rates`), up to the end of the police.uk period;
* **resource allocation**: the borough's officers under the MPA-style formula shipped with metforward
  (``metforward allocate --formula mpa --explain BOROUGH``): its number, 95% range, need share, damping and
  adjustment, and the words of its explanation (:mod:`metforward.analyse.allocation`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely

from metforward.analyse.compare import CompareRow, CompareSpec, Period
from metforward.analyse.crime_map import AreaFigures, Coverage
from metforward.analyse.geo import to_bng
from metforward.analyse.similar import Neighbour, Similarity
from metforward.analyse.streets import HotStreets, RepeatLocation
from metforward.domain.periods import add_months, month_text

TREND_KIND = "datastore-borough"
VIOLENCE_MAJOR = "VIOLENCE AGAINST THE PERSON"
KNIFE = ("Knife Crime", "Knife Crime")
YOUTH_KNIFE = ("Knife Crime", "Knife Injury Victims (non DA 1-24)")


@dataclass(frozen=True)
class Part:
    """One part of the pack: its figures (JSON-ready) or, where it cannot be built, why not."""

    title: str
    available: bool
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class JemData:
    """The pack for one borough."""

    borough_code: str
    borough_name: str
    months: int
    trends: Part
    violence: Part
    hot_streets: Part
    repeat_locations: Part
    lsoa_rates: Part
    similar: Part
    outcomes: Part
    stop_and_search: Part
    #: For the LSOA map (not in the JSON): the borough outline and each LSOA's shape, British National Grid.
    outline: shapely.Geometry | None = field(default=None, repr=False, compare=False)
    lsoa_shapes: dict[str, shapely.Geometry] = field(default_factory=dict, repr=False, compare=False)
    allocation: Part = field(default_factory=lambda: Part("Resource allocation", False, {}, ["not worked out"]))

    @property
    def parts(self) -> list[Part]:
        """Every part, in the order of the pack."""
        return [
            self.trends,
            self.violence,
            self.hot_streets,
            self.repeat_locations,
            self.lsoa_rates,
            self.similar,
            self.outcomes,
            self.stop_and_search,
            self.allocation,
        ]

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "borough_code": self.borough_code,
            "borough_name": self.borough_name,
            "months": self.months,
            **{name: getattr(self, name).as_dict() for name in self.__dataclass_fields__ if name not in _HEAD},
        }


_HEAD = {"borough_code", "borough_name", "months", "outline", "lsoa_shapes"}


def missing(title: str, exc: Exception | str) -> Part:
    """A part that cannot be built from the store, and why (what to load)."""
    return Part(title, False, {}, [str(exc)])


def trend_spec(last: dt.date, months: int, area: str | None) -> CompareSpec:
    """The previous-year comparison: the ``months`` months to ``last`` against the ``months`` before them."""
    after = Period(add_months(last, -(months - 1)), last)
    before = Period(add_months(after.first, -months), add_months(after.first, -1))
    return CompareSpec(before, after, source="datastore", level="borough", area=area, by="major", kind=TREND_KIND)


def street_parts(
    hs: HotStreets, repeats: tuple[list[RepeatLocation], Coverage], figures: AreaFigures
) -> tuple[Part, Part, Part, dict[str, shapely.Geometry]]:
    """Hot streets, repeat locations and LSOA rates of the police.uk period, and each LSOA's shape (British
    National Grid) for the map."""
    period = hs.period
    cov_note = (
        []
        if not hs.coverage.missing
        else [f"{hs.coverage.missing} of {hs.coverage.asked} months have no police.uk rows"]
    )
    hot = Part(
        "Hot streets",
        True,
        {
            "period": str(period),
            "previous_period": str(hs.previous_period),
            "total": hs.total,
            "streets": hs.street_count,
            "streets_for_half": hs.streets_for_half,
            "months_with_data": len(hs.coverage.present),
            "months_asked": hs.coverage.asked,
            "rows": [asdict(s) for s in hs.streets[:20]],
        },
        [*hs.notes, *cov_note],
    )
    found, cov = repeats
    repeat = Part(
        "Repeat locations",
        True,
        {"end": month_text(period.last), "months": 6, "min_months": 3, "locations": [asdict(r) for r in found]},
        [] if not cov.missing else [f"{cov.missing} of {cov.asked} months have no police.uk rows"],
    )
    areas = figures.figures
    lsoa = Part(
        "LSOA rates",
        bool(areas),
        {
            "period": str(period),
            "months_with_data": len(figures.months_present),
            "areas": [
                {
                    "code": f.code,
                    "name": f.name,
                    "count": f.count,
                    "population": f.population,
                    "rate_per_1000": f.rate_per_1000,
                    "has_shape": f.shape is not None,
                }
                for f in areas
            ],
        },
        [] if areas else ["no LSOAs of this borough are in the lookups loaded: ingest the ONS LSOA lookups"],
    )
    shapes = {
        f.code: shapely.transform(f.shape, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1])))
        for f in areas
        if f.shape is not None
    }
    return hot, repeat, lsoa, shapes


def side_by_side(
    code: str,
    neighbours: list[Neighbour],
    sim: Similarity,
    rows: list[CompareRow],
    knife: dict[str, int],
    knife_period: Period | None,
) -> list[dict[str, object]]:
    """The borough and its most similar boroughs, side by side: population, density, crime and violence per
    1,000 residents a year over the comparison's later period (``rows``: every borough's), knife crime."""
    totals: dict[str, dict[str, int]] = {}
    for r in rows:
        cell = totals.setdefault(r.area_code, {"all": 0, "violence": 0})
        cell["all"] += r.after
        if r.category == VIOLENCE_MAJOR:
            cell["violence"] += r.after
    profiles = {p.code: p for p in sim.profiles}
    months_after = rows[0].months_after if rows else 0
    side: list[dict[str, object]] = []
    for c in [code, *(n.code for n in neighbours)]:
        p = profiles[c]
        per = 1000 / p.population * (12 / months_after if months_after else 0)
        side.append(
            {
                "code": c,
                "name": p.name,
                "distance": 0.0 if c == code else next(n.distance for n in neighbours if n.code == c),
                "population": p.population,
                "density": p.density,
                "crimes": totals.get(c, {}).get("all"),
                "crimes_per_1000": round(totals[c]["all"] * per, 3) if c in totals and per else None,
                "violence": totals.get(c, {}).get("violence"),
                "violence_per_1000": round(totals[c]["violence"] * per, 3) if c in totals and per else None,
                "knife_crime": knife.get(c),
                "knife_crime_per_1000": (
                    round(knife[c] * 1000 / p.population * 12 / knife_period.months, 3)
                    if c in knife and knife_period
                    else None
                ),
            }
        )
    return side
