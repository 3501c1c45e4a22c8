"""The data of the Joint Engagement Meeting pack for one borough (``metforward report jem --borough ...``).

No rendering here. Each part is built by the module behind the matching CLI command, so the
pack's numbers equal that command's output for the same inputs; each part that cannot be built
from the store says why and what to load instead of showing a blank or an invented number.

Parts:

* **trends**: London Datastore borough counts by major category, every month loaded (the
  ``datastore-borough`` file), and the last ``months`` months against the ``months`` before
  them by :func:`metforward.analyse.compare.compare` (``metforward compare --source datastore
  --area BOROUGH --by major``);
* **violence proxies**: the Datastore major category "VIOLENCE AGAINST THE PERSON" (all
  recorded violence, not only serious violence) and, from the MPS Monthly Crime Dashboard, knife
  crime offences ("Knife Crime" / "Knife Crime") and, as the **youth-violence proxy**, knife
  injury victims aged 1-24 not in a domestic abuse setting ("Knife Crime" / "Knife Injury
  Victims (non DA 1-24)"). These are proxies: police-recorded counts, not a measure of all
  violence or of violence against young people;
* **places**: hot streets (:func:`metforward.questions.hotstreets.hot_streets`), repeat locations
  (:func:`metforward.questions.repeats.repeat_locations`) and LSOA rates per 1,000 residents
  (:func:`metforward.questions.maps.area_figures`), from police.uk street rows over the last
  ``months`` months the borough's force published;
* **similar boroughs**: the ``k`` most similar boroughs (:mod:`metforward.analyse.similar`) and,
  side by side, the same measures for each: population, density, crime and violence per 1,000
  residents over the last ``months`` months, and knife crime offences per 1,000 residents;
* **outcomes**: sanction detection (:func:`metforward.analyse.outcomes.sanction_rates`) over the
  police.uk period;
* **stop and search**: arrest, find and positive-outcome rates over the months of searches loaded
  (:func:`metforward.analyse.searches.search_rates`), up to the end of the police.uk period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely

from metforward.analyse import outcomes, searches
from metforward.analyse.compare import CompareRow, CompareSpec, Period
from metforward.analyse.crime_map import MapError
from metforward.analyse.geo import shape_to_bng, to_bng
from metforward.analyse.similar import most_similar
from metforward.domain.periods import add_months, month_text
from metforward.errors import MetforwardError
from metforward.questions.compare import compare
from metforward.questions.hotstreets import hot_streets
from metforward.questions.maps import area_figures
from metforward.questions.places import latest_month
from metforward.questions.repeats import repeat_locations
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.places import Place, area_shapes, resolve_place
from metforward.store.queries import outcomes as outcome_queries

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


def _missing(title: str, exc: Exception | str) -> Part:
    return Part(title, False, {}, [str(exc)])


def trend_spec(last: dt.date, months: int, area: str | None) -> CompareSpec:
    """The previous-year comparison: the ``months`` months to ``last`` against the ``months`` before them."""
    after = Period(add_months(last, -(months - 1)), last)
    before = Period(add_months(after.first, -months), add_months(after.first, -1))
    return CompareSpec(before, after, source="datastore", level="borough", area=area, by="major", kind=TREND_KIND)


def _trends(db: Database, place: Place, months: int) -> tuple[Part, list[CompareRow], dt.date | None]:
    title = "Long trends by category"
    kinds = {k: (a, b) for k, a, b in cubes.datastore_kinds(db)}
    if TREND_KIND not in kinds:
        return (
            _missing(title, "no London Datastore borough counts are loaded: ingest the MPS borough-level file"),
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
            _missing(title, f"the London Datastore has no rows for {place.name} (it covers the Met's 32 boroughs)"),
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


def _street_parts(
    db: Database, place: Place, period: Period | None
) -> tuple[Part, Part, Part, dict[str, shapely.Geometry]]:
    titles = ("Hot streets", "Repeat locations", "LSOA rates")
    if period is None:
        why = f"no police.uk street rows are loaded for {place.name}'s force: load its street files"
        return _missing(titles[0], why), _missing(titles[1], why), _missing(titles[2], why), {}
    hs = hot_streets(db, place, period)
    if hs.total == 0:
        why = (
            f"no police.uk street rows with a location for {place.name} in {period}: "
            "load the street files of its force for these months"
        )
        return _missing(titles[0], why), _missing(titles[1], why), _missing(titles[2], why), {}
    cov_note = (
        []
        if not hs.coverage.missing
        else [f"{hs.coverage.missing} of {hs.coverage.asked} months have no police.uk rows"]
    )
    hot = Part(
        titles[0],
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
    found, cov = repeat_locations(db, place, end=period.last)
    repeats = Part(
        titles[1],
        True,
        {"end": month_text(period.last), "months": 6, "min_months": 3, "locations": [asdict(r) for r in found]},
        [] if not cov.missing else [f"{cov.missing} of {cov.asked} months have no police.uk rows"],
    )
    lsoas = area_figures(db, place, period, shapes=True)
    figures = lsoas.figures
    lsoa = Part(
        titles[2],
        bool(figures),
        {
            "period": str(period),
            "months_with_data": len(lsoas.months_present),
            "areas": [
                {
                    "code": f.code,
                    "name": f.name,
                    "count": f.count,
                    "population": f.population,
                    "rate_per_1000": f.rate_per_1000,
                    "has_shape": f.shape is not None,
                }
                for f in figures
            ],
        },
        [] if figures else ["no LSOAs of this borough are in the lookups loaded: ingest the ONS LSOA lookups"],
    )
    shapes = {
        f.code: shapely.transform(f.shape, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1])))
        for f in figures
        if f.shape is not None
    }
    return hot, repeats, lsoa, shapes


def _similar(db: Database, place: Place, k: int, months: int) -> Part:
    title = "Most similar boroughs"
    try:
        neighbours, sim = most_similar(db, place.code, k=k, months=months)
    except MetforwardError as exc:
        return _missing(title, exc)
    table = compare(db, trend_spec(sim.last, months, None))
    totals: dict[str, dict[str, int]] = {}
    for r in table.rows:
        cell = totals.setdefault(r.area_code, {"all": 0, "violence": 0})
        cell["all"] += r.after
        if r.category == VIOLENCE_MAJOR:
            cell["violence"] += r.after
    knife: dict[str, int] = {}
    end = outcome_queries.dashboard_latest(db, *KNIFE)
    notes = list(sim.notes)
    knife_period = None if end is None else Period(add_months(end, -(months - 1)), end)
    codes = [place.code, *(n.code for n in neighbours)]
    profiles = {p.code: p for p in sim.profiles}
    if knife_period is None:
        notes.append("no dashboard knife crime rows: knife crime is not compared (ingest the MPS dashboard file)")
    else:
        for code in codes:
            knife[code] = outcomes.dashboard_rates(
                db, code, knife_period, crime_type=KNIFE[0], crime_subtype=KNIFE[1]
            ).total.offences
    months_after = table.rows[0].months_after if table.rows else 0
    side = []
    for code in codes:
        p = profiles[code]
        per = 1000 / p.population * (12 / months_after if months_after else 0)
        side.append(
            {
                "code": code,
                "name": p.name,
                "distance": 0.0 if code == place.code else next(n.distance for n in neighbours if n.code == code),
                "population": p.population,
                "density": p.density,
                "crimes": totals.get(code, {}).get("all"),
                "crimes_per_1000": round(totals[code]["all"] * per, 3) if code in totals and per else None,
                "violence": totals.get(code, {}).get("violence"),
                "violence_per_1000": round(totals[code]["violence"] * per, 3) if code in totals and per else None,
                "knife_crime": knife.get(code),
                "knife_crime_per_1000": (
                    round(knife[code] * 1000 / p.population * 12 / knife_period.months, 3)
                    if code in knife and knife_period
                    else None
                ),
            }
        )
    data = {
        "method": "z-scores of log population, log density and Datastore major-category shares; equal weight per "
        "block (size, density, profile); Euclidean distance (docs/methods/similar_boroughs.md)",
        "profile_window": f"{month_text(sim.first)}:{month_text(sim.last)}",
        "population_year": sim.population_year,
        "period": str(table.spec.after),
        "knife_period": str(knife_period) if knife_period else None,
        "neighbours": [n.as_dict() for n in neighbours],
        "side_by_side": side,
        "inputs": [profiles[c].as_dict() for c in codes],
    }
    return Part(title, True, data, notes)


def _outcomes(db: Database, place: Place, period: Period | None) -> Part:
    title = "Outcomes (sanction detection)"
    if period is None:
        return _missing(title, "no police.uk street rows are loaded for this borough: load street and outcomes files")
    try:
        result = outcomes.sanction_rates(db, place, period)
    except MetforwardError as exc:
        return _missing(title, exc)
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
        return _missing(title, f"no stop-and-search rows are loaded for {place.name}: load the police.uk search files")
    rows, notes = searches.search_rates(db, sel)
    return Part(title, True, {"coverage": cov.as_dict(), "rates": rows[0] if rows else {}}, notes)


def jem_data(db: Database, borough: str, *, months: int = 12, k: int = 5) -> JemData:
    """The JEM pack for ``borough`` (a name or GSS code)."""
    place = resolve_place(db, borough)
    if place.level != "borough":
        raise MapError(f"{borough!r} is a {place.level}, not a borough")
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
    )
