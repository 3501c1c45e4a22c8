"""The indicators the resource allocation formula can use (``metforward allocate --list-indicators``): what each
is, where it is read from in the store, its year, its coverage and, for counts, the over-dispersion of its
monthly values (the Monte Carlo's uncertainty). See ``docs/allocation.md``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from metforward.analyse.dispersion import FLOOR, pearson_x2
from metforward.analyse.harm import load_weights
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import NoData
from metforward.questions.answer import Answer
from metforward.questions.base import loads_used
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.queries import allocation as queries
from metforward.store.queries import profiles as profile_queries

#: The Met's 32 boroughs (the City of London has its own force).
CITY = "E09000001"
BOROUGHS: tuple[str, ...] = tuple(sorted(c for c in LONDON_BOROUGHS if c != CITY))
#: The Datastore kind the crime indicators are read from.
CRIME_KIND = "datastore-borough"
#: Datastore major categories left out of "crime": fraud recorded by Action Fraud and allocated to boroughs.
NOT_CRIME = ("NFIB FRAUD",)


@dataclass(frozen=True)
class IndicatorData:
    """One indicator's values by borough for a year, and what they rest on."""

    name: str
    label: str
    unit: str
    kind: str  # "count" (Monte Carlo from its over-dispersion) or "level" (a relative error, if stated)
    values: dict[str, float]
    year: str
    source: str
    aggregate: str = "sum"  # to BCUs: "sum", or "population_mean" for levels and scores
    phi: float | None = None
    months_present: int | None = None
    months_expected: int | None = None
    notes: tuple[str, ...] = ()
    loads: tuple[str, ...] = ()

    def as_dict(self, expected: int = len(BOROUGHS)) -> dict[str, Any]:
        """The JSON form (``meta["indicators"]``, the rows of ``--list-indicators``)."""
        have = sum(1 for c in BOROUGHS if c in self.values)
        return {
            "indicator": self.name,
            "label": self.label,
            "unit": self.unit,
            "kind": self.kind,
            "year": self.year,
            "source": self.source,
            "areas": have,
            "areas_expected": expected,
            "months_present": self.months_present,
            "months_expected": self.months_expected,
            "completeness": round(
                have / expected * ((self.months_present or 0) / self.months_expected if self.months_expected else 1.0),
                4,
            ),
            "dispersion": None if self.phi is None else round(self.phi, 3),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Indicator:
    """An indicator metforward can read: its name, words, unit, and how it is read for a year."""

    name: str
    label: str
    read: Callable[[Database, int, Memo], IndicatorData]


def _months(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 1)


def _dispersion(monthly: dict[str, dict[dt.date, float]], months: int) -> float | None:
    """Pooled Pearson dispersion of monthly values about each area's own mean (McCullagh and Nelder §4.5)."""
    x2 = df = 0.0
    for series in monthly.values():
        values = np.array([series.get(m, 0.0) for m in sorted(series)] + [0.0] * (months - len(series)))
        total = values.sum()
        if total > 0 and months > 1:
            x2 += float(pearson_x2(total, (values**2).sum(), months))
            df += months - 1
    return max(x2 / df, FLOOR) if df else None


#: What the readers of one call of :func:`read_indicators` share (the Datastore series, read once).
Memo = dict[tuple[Any, ...], Any]


def _series(db: Database, year: int, by: str, memo: Memo) -> list[tuple[Any, ...]]:
    """The Datastore borough series of ``year`` by ``by``, read once per ``memo``."""
    key = ("datastore", year, by)
    if key not in memo:
        first, last = _months(year)
        memo[key] = cubes.monthly_series(
            db, source="datastore", level="borough", first=first, last=last, by=by, kind=CRIME_KIND
        )
    return memo[key]  # type: ignore[no-any-return]


def _crime(name: str, label: str, majors: tuple[str, ...] | None) -> Callable[[Database, int, Memo], IndicatorData]:
    def read(db: Database, year: int, memo: Memo) -> IndicatorData:
        first, last = _months(year)
        rows = _series(db, year, "major", memo)
        monthly: dict[str, dict[dt.date, float]] = {}
        for code, _name, major, month, n in rows:
            if (major in majors) if majors else (major not in NOT_CRIME):
                monthly.setdefault(code, {}).setdefault(month, 0.0)
                monthly[code][month] += float(n)
        present = cubes.months_present(db, source="datastore", first=first, last=last, kind=CRIME_KIND) if rows else []
        what = "every major category but NFIB fraud" if not majors else ", ".join(majors).lower()
        return IndicatorData(
            name,
            label,
            "crimes",
            "count",
            {c: sum(m.values()) for c, m in monthly.items() if c in BOROUGHS},
            str(year),
            f"MPS recorded crime by borough, London Datastore ({what})",
            phi=_dispersion(monthly, len(present) or 12),
            months_present=len(present),
            months_expected=12,
            loads=(CRIME_KIND,),
        )

    return read


def _harm(db: Database, year: int, memo: Memo) -> IndicatorData:
    first, last = _months(year)
    weights = load_weights("ons-css", "datastore-current")
    rows = _series(db, year, "minor", memo)
    monthly: dict[str, dict[dt.date, float]] = {}
    unweighted = 0
    for code, _name, minor, month, n in rows:
        w = weights.get(minor)
        if w is None:
            unweighted += int(n)
            continue
        monthly.setdefault(code, {}).setdefault(month, 0.0)
        monthly[code][month] += float(n) * w.weight
    present = cubes.months_present(db, source="datastore", first=first, last=last, kind=CRIME_KIND) if rows else []
    notes = (f"{unweighted:,} crimes of categories with no ONS weight are not weighed",) if unweighted else ()
    return IndicatorData(
        "harm",
        "Crime harm (ONS Crime Severity Score)",
        "harm (CSS weight-days)",
        "count",
        {c: sum(m.values()) for c, m in monthly.items() if c in BOROUGHS},
        str(year),
        "MPS recorded crime by borough (London Datastore) weighted by the ONS Crime Severity Score (docs/methods/harm.md)",
        phi=_dispersion(monthly, len(present) or 12),
        months_present=len(present),
        months_expected=12,
        notes=notes,
        loads=(CRIME_KIND,),
    )


def _asb(db: Database, year: int, memo: Memo) -> IndicatorData:
    first, last = _months(year)
    rows = cubes.monthly_series(db, source="police-uk", level="borough", first=first, last=last, by="category")
    monthly: dict[str, dict[dt.date, float]] = {}
    for code, _name, category, month, n in rows:
        if category == "Anti-social behaviour" and code in BOROUGHS:
            monthly.setdefault(code, {})[month] = float(n)
    months = {m for s in monthly.values() for m in s}
    return IndicatorData(
        "asb",
        "Anti-social behaviour incidents",
        "incidents",
        "count",
        {c: sum(m.values()) for c, m in monthly.items()},
        str(year),
        "police.uk street-level anti-social behaviour (the Met's street files)",
        phi=_dispersion(monthly, len(months) or 12),
        months_present=len(months),
        months_expected=12,
        loads=("street",),
    )


def _searches(db: Database, year: int, memo: Memo) -> IndicatorData:
    first, last = _months(year)
    monthly: dict[str, dict[dt.date, float]] = {}
    for code, month, n in queries.searches_by_borough(db, first, last):
        if code in BOROUGHS:
            monthly.setdefault(code, {})[month] = float(n)
    months = [m for m in queries.search_months(db) if first <= m <= last]
    notes: tuple[str, ...] = ()
    if months and len(months) < 12:
        notes = (f"{len(months)} of 12 months of searches loaded: shares rest on those months",)
    return IndicatorData(
        "stop_search",
        "Stop and search",
        "searches",
        "count",
        {c: sum(m.values()) for c, m in monthly.items()},
        str(year),
        "police.uk stop and search, placed in boroughs by their coordinates",
        phi=_dispersion(monthly, len(months) or 12),
        months_present=len(months),
        months_expected=12,
        notes=notes,
        loads=("stop-and-search",),
    )


def _population(db: Database, year: int, memo: Memo) -> IndicatorData:
    people = cubes.population(db, level="borough", year=year)
    found = profile_queries.population_year(db, year)
    notes = (f"the latest estimates at or before {year} are of {found}",) if found and found != year else ()
    return IndicatorData(
        "population",
        "Resident population",
        "residents",
        "level",
        {c: v for c, v in people.items() if c in BOROUGHS},
        str(found or year),
        "GLA borough mid-year estimates and ONS mid-year LSOA estimates (summed to boroughs)",
        notes=notes,
        loads=("population-borough", "population-lsoa"),
    )


def _nearest(rows: list[tuple[Any, ...]], year: int) -> tuple[dict[str, float], int | None, str]:
    """The values of the year nearest ``year`` (the latest at or before it, else the earliest after)."""
    years = sorted({int(r[2]) for r in rows})
    if not years:
        return {}, None, ""
    before = [y for y in years if y <= year]
    chosen = before[-1] if before else years[0]
    values = {str(r[0]): float(r[3]) for r in rows if int(r[2]) == chosen and r[0] in BOROUGHS}
    source = next((str(r[4]) for r in rows if int(r[2]) == chosen), "")
    return values, chosen, source


def _measure(
    name: str, label: str, unit: str, dataset: str, measure: str, kind: str
) -> Callable[[Database, int, Memo], IndicatorData]:
    def read(db: Database, year: int, memo: Memo) -> IndicatorData:
        values, chosen, source = _nearest(queries.area_measure(db, dataset, measure), year)
        notes = (f"{measure} of {chosen}, the nearest year to {year} loaded",) if chosen and chosen != year else ()
        return IndicatorData(
            name,
            label,
            unit,
            "level",
            values,
            str(chosen or year),
            source or dataset,
            "population_mean",
            notes=notes,
            loads=(kind,),
        )

    return read


def _ptal(db: Database, year: int, memo: Memo) -> IndicatorData:
    rows = queries.ward_measure_by_borough(db, "ptal-ward", "Average PTAI")
    values, chosen, source = _nearest([(r[0], None, r[1], r[2], r[4]) for r in rows], year)
    wards = sum(int(r[3]) for r in rows if int(r[1]) == chosen and r[0] in BOROUGHS)
    return IndicatorData(
        "ptal",
        "Public transport access (average PTAI of the borough's wards)",
        "PTAI",
        "level",
        values,
        str(chosen or year),
        source or "TfL PTAI by ward",
        "population_mean",
        notes=(f"the unweighted mean of {wards} wards' average PTAI (2014 wards)",) if wards else (),
        loads=("ptal-ward",),
    )


#: Every indicator metforward reads for the formula, by name.
INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator("population", "Resident population", _population),
        Indicator(
            "deprivation",
            "Deprivation (IMD 2019 average score)",
            _measure(
                "deprivation",
                "Deprivation (IMD 2019 average score)",
                "IMD score",
                "deprivation-borough",
                "IMD - Average score",
                "deprivation-borough",
            ),
        ),
        Indicator(
            "density",
            "Population density (persons per hectare)",
            _measure(
                "density",
                "Population density",
                "persons per hectare",
                "housing-density",
                "Population per hectare",
                "housing-density",
            ),
        ),
        Indicator("ptal", "Public transport access (average PTAI)", _ptal),
        Indicator("crime", "Recorded crime", _crime("crime", "Recorded crime (all but NFIB fraud)", None)),
        Indicator("harm", "Crime harm (ONS Crime Severity Score)", _harm),
        Indicator(
            "violence",
            "Violence against the person",
            _crime("violence", "Violence against the person", ("VIOLENCE AGAINST THE PERSON",)),
        ),
        Indicator("robbery", "Robbery", _crime("robbery", "Robbery", ("ROBBERY",))),
        Indicator("burglary", "Burglary", _crime("burglary", "Burglary", ("BURGLARY",))),
        Indicator(
            "weapons", "Possession of weapons", _crime("weapons", "Possession of weapons", ("POSSESSION OF WEAPONS",))
        ),
        Indicator("asb", "Anti-social behaviour", _asb),
        Indicator("stop_search", "Stop and search", _searches),
    )
}


def read_indicators(db: Database, names: list[str], year: int) -> dict[str, IndicatorData]:
    """The indicators ``names`` for ``year``."""
    memo: Memo = {}
    return {n: INDICATORS[n].read(db, year, memo) for n in names}


def default_year(db: Database) -> int:
    """The last calendar year with all 12 months of the Datastore's borough counts (else the last year loaded)."""
    kinds = {k: (a, b) for k, a, b in cubes.datastore_kinds(db)}
    if CRIME_KIND not in kinds:
        population = profile_queries.population_year(db, 2100)
        if population:
            return population
        raise NoData(
            "no London Datastore borough counts are loaded: ingest the MPS borough-level crime file, or give --year"
        )
    last = kinds[CRIME_KIND][1]
    return last.year if last.month == 12 else last.year - 1


def list_indicators(db: Database, year: int | None = None) -> Answer:
    """Every indicator metforward reads for the formula, with its source, year and coverage (``--list-indicators``)."""
    chosen = year or default_year(db)
    read = read_indicators(db, list(INDICATORS), chosen)
    rows = [d.as_dict() for d in read.values()]
    kinds = sorted({k for d in read.values() for k in d.loads})
    return Answer(
        question="allocation-indicators",
        query={"year": chosen},
        items=rows,
        columns=(
            "indicator",
            "label",
            "unit",
            "kind",
            "year",
            "source",
            "areas",
            "areas_expected",
            "months_present",
            "months_expected",
            "completeness",
            "dispersion",
            "notes",
        ),
        meta={"year": chosen, "loads": loads_used(db, tuple(kinds))},
        notes=[
            f"{r['indicator']}: {r['areas']} of {r['areas_expected']} boroughs"
            for r in rows
            if r["areas"] < r["areas_expected"]
        ],
    )


__all__ = ["BOROUGHS", "CITY", "INDICATORS", "IndicatorData", "default_year", "list_indicators", "read_indicators"]
