"""How many officers should each borough get? A resource allocation formula (``docs/allocation.md``) on the
indicators in the store: need shares, whole officers summing to the total, damping, judgement adjustments,
Monte Carlo ranges, year-to-year stability, and an explanation of any area's number.

The options (:class:`Query`): the formula (a YAML file or a formula shipped with metforward, :data:`BUILT_IN`),
``--set``/``--weights`` changes, the total, the year of the indicators, the level (the 32 boroughs the Met
polices, or its 12 BCUs) and the apportionment method. What is read from the store is each indicator's
values (:data:`INDICATORS`, each with its source, year and completeness); the kernels are in
:mod:`metforward.analyse.allocation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from metforward.analyse import allocation as kernel
from metforward.analyse.dispersion import FLOOR, pearson_x2
from metforward.analyse.harm import load_weights
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.bcu import bcu_named, bcus
from metforward.errors import BadRequest, NoData, NotFound
from metforward.questions.allocation_formula import (
    BUILT_IN,
    file_version,
    load_formula,
    parse_pairs,
    parse_weights,
    weights_formula,
    with_settings,
    with_weights,
)
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.queries import allocation as queries
from metforward.store.queries import profiles as profile_queries

#: The Met's 32 boroughs (the City of London has its own force).
CITY = "E09000001"
BOROUGHS: tuple[str, ...] = tuple(sorted(c for c in LONDON_BOROUGHS if c != CITY))
LEVELS = ("borough", "bcu")
#: The Datastore kind the crime indicators are read from.
CRIME_KIND = "datastore-borough"
#: Datastore major categories left out of "crime": fraud recorded by Action Fraud and allocated to boroughs.
NOT_CRIME = ("NFIB FRAUD",)
#: The keys of each item (then one ``contribution_<component>`` per component of the formula).
COLUMNS = (
    "area_code",
    "area_name",
    "need_share",
    "need_share_low",
    "need_share_high",
    "formula",
    "allocation",
    "low",
    "high",
    "current",
    "change",
    "damping",
    "damping_rule",
    "adjustment",
    "adjustment_reason",
    "year_change",
    "noise_change",
    "movement",
)
#: Monte Carlo draws by default (the range moves by under an officer between seeds at this many).
DRAWS = 2000


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


# --- the query ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The allocation to make, as text options: ``formula`` (a YAML file, or ``mpa`` / ``demand-share``, the
    formulas shipped), or ``weights`` alone (``population=1,crime=1``: one component of those shares, with
    ``total``); ``set`` changes (``need.weight=0.4``); the ``total`` of officers and the ``year`` of the
    indicators (default: the file's, and the last whole year of Datastore crime); ``level`` borough or bcu;
    ``method`` hamilton or webster; ``explain`` an area to explain; ``draws`` and ``seed`` of the Monte Carlo."""

    formula: str | None = None
    total: int | None = None
    year: int | None = None
    level: str = "borough"
    set: tuple[str, ...] = ()
    weights: str | None = None
    method: str | None = None
    explain: str | None = None
    draws: int = DRAWS
    seed: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "set", tuple(self.set))  # a list from the command line or the API

    def check(self) -> kernel.Formula:
        """The formula asked for, with the changes applied: :class:`BadRequest` (or the file's own error,
        naming its line) for anything that cannot be used."""
        if self.level not in LEVELS:
            raise BadRequest(f"level: {self.level!r} is not a level; give one of {', '.join(LEVELS)}", field="level")
        if self.method is not None and self.method not in kernel.METHODS:
            raise BadRequest(
                f"method: {self.method!r} is not a method; give one of {', '.join(kernel.METHODS)}", field="method"
            )
        if self.total is not None and self.total < 1:
            raise BadRequest(f"total: give a whole number of officers, 1 or more, not {self.total}", field="total")
        if self.year is not None and not 2000 <= self.year <= 2100:
            raise BadRequest(f"year: {self.year} is not a year metforward has indicators for", field="year")
        if not 1 <= self.draws <= 100_000:
            raise BadRequest(f"draws: give 1 to 100,000 Monte Carlo draws, not {self.draws}", field="draws")
        known = list(INDICATORS)
        if self.formula:
            formula = load_formula(self.formula, known)
            if self.weights:
                formula = with_weights(formula, parse_weights(self.weights))
        elif self.weights:
            if self.total is None:
                raise BadRequest(
                    "total: give --total, the officers to share out, with --weights and no formula", field="total"
                )
            formula = weights_formula(parse_weights(self.weights), self.total, known)
        else:
            raise BadRequest(
                f"formula: give a formula file (or one of {', '.join(BUILT_IN)}), or --weights with --total",
                field="formula",
            )
        settings = dict(pair for text in self.set for pair in parse_pairs(text, "--set"))
        formula = with_settings(formula, settings) if settings else formula
        if self.total is not None:
            formula = replace(formula, total=self.total)
        if self.method is not None:
            formula = replace(formula, method=self.method)
        if formula.adjusted >= formula.total:
            raise BadRequest(
                f"total: the adjustments take {formula.adjusted} of {formula.total} officers", field="total"
            )
        return formula


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


# --- areas -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Areas:
    """The areas shared among: codes, names, and for each borough the index of its area."""

    level: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    of_borough: dict[str, int]

    def resolve(self, text: str) -> int:
        """The index of the area ``text`` names (a borough at borough level; a BCU or one of its boroughs at bcu)."""
        from metforward.domain.areas import borough_code

        code = borough_code(text)
        if code is not None and code in self.of_borough:
            return self.of_borough[code]
        if self.level == "bcu":
            unit = bcu_named(text)
            if unit is not None:
                return self.codes.index(unit.code)
        raise NotFound(
            f"explain: {text!r} is not one of the {len(self.codes)} areas ({self.level} level)", field="explain"
        )


def areas_at(level: str) -> Areas:
    """The Met's 32 boroughs, or its 12 BCUs."""
    if level == "bcu":
        units = bcus()
        return Areas(
            level,
            tuple(u.code for u in units),
            tuple(u.name for u in units),
            {b: i for i, u in enumerate(units) for b in u.boroughs},
        )
    return Areas(level, BOROUGHS, tuple(LONDON_BOROUGHS[c] for c in BOROUGHS), {c: i for i, c in enumerate(BOROUGHS)})


def _by_area(areas: Areas, by_borough: dict[str, float], population: dict[str, float], aggregate: str) -> np.ndarray:
    """Borough values summed (or population-weighted) into the areas."""
    n = len(areas.codes)
    total, weight = np.zeros(n), np.zeros(n)
    for code, value in by_borough.items():
        i = areas.of_borough[code]
        w = population.get(code, 0.0) if aggregate == "population_mean" else 1.0
        total[i] += value * w
        weight[i] += w
    if aggregate == "population_mean" and areas.level == "bcu":
        return np.divide(total, weight, out=np.zeros(n), where=weight > 0)
    return total


# --- reading the indicators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A formula's indicators read for a year, as kernel inputs."""

    year: int
    indicators: dict[str, IndicatorData]
    values: np.ndarray  # (areas, indicators) in ``columns`` order
    columns: dict[str, int]
    noise: kernel.Noise
    notes: tuple[str, ...] = ()


def read_indicators(db: Database, names: list[str], year: int) -> dict[str, IndicatorData]:
    """The indicators ``names`` for ``year``."""
    memo: Memo = {}
    return {n: INDICATORS[n].read(db, year, memo) for n in names}


def prepare(db: Database, formula: kernel.Formula, areas: Areas, year: int, *, strict: bool = True) -> Prepared:
    """The values of ``formula``'s indicators (and the population) in ``areas`` for ``year``; :class:`NoData`
    naming an indicator that is missing for some borough (``strict``), else None values are zeros."""
    names = list(dict.fromkeys(["population", *formula.indicators]))
    data = read_indicators(db, names, year)
    for name in names:
        d = data[name]
        missing = [LONDON_BOROUGHS[c] for c in BOROUGHS if c not in d.values or not np.isfinite(d.values[c])]
        if missing and strict:
            where = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
            raise NoData(
                f"indicator {name} ({d.label}) has no {year} values for {where} ({len(BOROUGHS) - len(missing)} of "
                f"{len(BOROUGHS)} boroughs): load {', '.join(d.loads) or 'its source'} for {year}, choose another --year, "
                "or leave it out of the formula",
                field="formula",
            )
        negative = [LONDON_BOROUGHS[c] for c, v in d.values.items() if v < 0]
        if negative:
            raise NoData(
                f"indicator {name} is negative for {', '.join(negative[:3])}: shares need values of 0 or more",
                field="formula",
            )
        if name in formula.indicators and d.values and all(v == 0 for v in d.values.values()):
            raise NoData(f"indicator {name} is 0 for every borough in {year}: it cannot be shared", field="formula")
    population = data["population"].values
    columns = {n: i for i, n in enumerate(names)}
    values = np.column_stack([_by_area(areas, data[n].values, population, data[n].aggregate) for n in names])
    rse = dict(formula.uncertainty)
    kinds = tuple("count" if data[n].kind == "count" else "relative" for n in names)
    noise = kernel.Noise(
        kinds,
        np.array([data[n].phi or 0.0 for n in names]),
        np.array([rse.get(n, 0.0) for n in names]),
    )
    notes = tuple(
        f"uncertainty of {n} in the file is not used: a count's comes from its measured over-dispersion"
        for n in rse
        if n in data and data[n].kind == "count"
    )
    return Prepared(year, data, values, columns, noise, notes)


# --- the answer ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    """What the answer's faces draw from: the rows, the formula, the kernels' results and the explanation."""

    formula: kernel.Formula
    areas: Areas
    year: int
    rows: list[dict[str, Any]]
    point: kernel.Run
    simulation: kernel.Simulation
    prepared: Prepared
    notes: list[str]
    baseline: str
    explain: dict[str, Any] | None = None
    components: list[str] = field(default_factory=list)


def _setup(formula: kernel.Formula, areas: Areas, prepared: Prepared, baseline: np.ndarray | None) -> kernel.Setup:
    floors = None
    if formula.damping.floors:
        floors = np.zeros(len(areas.codes))
        for code, value in formula.damping.floors:
            floors[areas.of_borough[code]] += value
    adjust = np.zeros(len(areas.codes), dtype=np.int64)
    for a in formula.adjustments:
        adjust[areas.of_borough[a.area]] += a.officers
    return kernel.Setup(formula, prepared.columns, prepared.columns["population"], baseline, floors, adjust)


def allocate(db: Database, query: Query) -> Allocation:
    """The allocation ``query`` asks for."""
    formula = query.check()
    areas = areas_at(query.level)
    year = query.year or default_year(db)
    prepared = prepare(db, formula, areas, year)
    notes = list(prepared.notes)
    for d in prepared.indicators.values():
        notes += [f"{d.name}: {n}" for n in d.notes]
        if (
            d.months_expected
            and d.months_present is not None
            and d.months_present < d.months_expected
            and d.name in formula.indicators
        ):
            notes.append(f"{d.name}: {d.months_present} of {d.months_expected} months of {d.year} present")
    # last year: the stability check, and the baseline when the formula asks for it
    previous: Prepared | None = None
    try:
        previous = prepare(db, formula, areas, year - 1)
    except NoData as exc:
        notes.append(f"no year-to-year comparison: {exc}")
    baseline, current, described = None, None, "none"
    zero = np.zeros(len(areas.codes), dtype=np.int64)
    if formula.baseline == "previous-year":
        if previous is None:
            raise NoData(
                f"the baseline is this formula a year earlier, and {year - 1} cannot be worked out: {notes[-1]}",
                field="formula",
            )
        last = replace(formula, damping=kernel.Damping(), total=formula.baseline_total or formula.total)
        last_setup = _setup(last, areas, previous, None)
        last_run = kernel.point(last_setup, previous.values)
        baseline = (last_run.allocation[0] - last_setup.adjust).astype(np.float64)
        current = last_run.allocation[0]
        described = (
            f"this formula on the indicators of {year - 1}, sharing {last.total:,} officers with the same adjustments "
            "and no damping (officer strength by borough is not published)"
        )
    elif formula.baseline == "values":
        by_borough = dict(formula.baseline_values)
        baseline = _by_area(areas, by_borough, {}, "sum")
        current = np.round(baseline).astype(np.int64)
        described = formula.baseline_source
    elif formula.damping.active and not formula.damping.floors:
        notes.append("no baseline: no losers and the cap are not applied")
    setup = _setup(formula, areas, prepared, baseline)
    result = kernel.point(setup, prepared.values)
    notes += list(result.bounds.notes)
    simulation = kernel.simulate(setup, prepared.values, prepared.noise, draws=query.draws, seed=query.seed)
    year_change = None
    if previous is not None:
        was = kernel.point(_setup(replace(formula, damping=kernel.Damping()), areas, previous, None), previous.values)
        year_change = result.formula[0] - was.formula[0]
    verdicts = kernel.movement(year_change, simulation.noise_change) if year_change is not None else None
    rows = _rows(formula, areas, setup, result, simulation, current, year_change, verdicts, zero)
    explain = None
    if query.explain:
        explain = explanation(
            formula, areas, setup, prepared, result, simulation, areas.resolve(query.explain), current
        )
    return Allocation(
        formula,
        areas,
        year,
        rows,
        result,
        simulation,
        prepared,
        notes,
        described,
        explain,
        [c.name for c in formula.components],
    )


def _rule(i: int, run: kernel.Run, setup: kernel.Setup) -> str:
    if setup.baseline is None and setup.floors is None or not setup.formula.damping.active:
        return "none"
    d, lower, upper = run.damped[0, i], run.bounds.lower[i], run.bounds.upper[i]
    if np.isfinite(upper) and d >= upper - 1e-6:
        return "cap"
    if d <= lower + 1e-6 and lower > 0:
        if setup.floors is not None and setup.floors[i] >= lower - 1e-6 and setup.floors[i] > 0:
            return "floor"
        return "no losers (pro rata)" if run.bounds.kept is not None else "no losers"
    return "scaled" if abs(run.multiplier[0] - 1) > 1e-9 else "none"


def _rows(
    formula: kernel.Formula,
    areas: Areas,
    setup: kernel.Setup,
    r: kernel.Run,
    sim: kernel.Simulation,
    current: np.ndarray | None,
    year_change: np.ndarray | None,
    verdicts: list[str] | None,
    zero: np.ndarray,
) -> list[dict[str, Any]]:
    reasons: dict[int, list[str]] = {}
    for a in formula.adjustments:
        reasons.setdefault(areas.of_borough[a.area], []).append(f"+{a.officers}: {a.reason}")
    component_of = formula._component_of_terms()
    rows = []
    for i, code in enumerate(areas.codes):
        adjustment = int(setup.adjust[i])
        allocation = int(r.allocation[0, i])
        row: dict[str, Any] = {
            "area_code": code,
            "area_name": areas.names[i],
            "need_share": round(float(r.need[0, i]), 6),
            "need_share_low": round(float(sim.need_low[i]), 6),
            "need_share_high": round(float(sim.need_high[i]), 6),
            "formula": round(float(r.formula[0, i]), 2),
            "allocation": allocation,
            "low": int(sim.allocation_low[i]),
            "high": int(sim.allocation_high[i]),
            "current": None if current is None else int(current[i]),
            "change": None if current is None else allocation - int(current[i]),
            "damping": allocation - adjustment - int(r.undamped[0, i]),
            "damping_rule": _rule(i, r, setup),
            "adjustment": adjustment,
            "adjustment_reason": "; ".join(reasons.get(i, [])) or None,
            "year_change": None if year_change is None else round(float(year_change[i]), 2),
            "noise_change": round(float(sim.noise_change[i]), 2),
            "movement": None if verdicts is None else verdicts[i],
        }
        for k, c in enumerate(formula.components):
            row[f"contribution_{c.name}"] = round(float(r.contributions[0, component_of == k, i].sum()), 2)
        rows.append(row)
    return rows


# --- explanation ------------------------------------------------------------------------------------------


def explanation(
    formula: kernel.Formula,
    areas: Areas,
    setup: kernel.Setup,
    prepared: Prepared,
    r: kernel.Run,
    sim: kernel.Simulation,
    i: int,
    current: np.ndarray | None,
) -> dict[str, Any]:
    """Why area ``i`` gets its number, in words and figures (``--explain``)."""
    name = areas.names[i]
    need = float(r.need[0, i])
    shares = {}
    indicators = []
    for (comp, term), w in zip(formula.terms, formula.effective_weights(), strict=True):
        col = prepared.columns[term.indicator]
        raw = prepared.values[:, col]
        x = kernel.transformed(raw, prepared.values[:, prepared.columns["population"]], term.transform)
        share = float(x[i] / x.sum())
        key = f"{comp.name}.{term.indicator}"
        shares[key] = share
        data = prepared.indicators[term.indicator]
        indicators.append(
            {
                "term": key,
                "indicator": term.indicator,
                "label": data.label,
                "transform": term.transform,
                "value": round(float(raw[i]), 3),
                "london": round(float(raw.sum()), 3) if data.aggregate == "sum" else None,
                "share": round(share, 6),
                "rank": int((x > x[i]).sum()) + 1,
                "weight": round(float(w), 6),
                "officers": round(float(r.contributions[0, formula.terms.index((comp, term)), i]), 2),
                "year": data.year,
            }
        )
    up, down = kernel.lifts(shares, need)
    component_of = formula._component_of_terms()
    comp_rows: list[dict[str, Any]] = []
    for k, c in enumerate(formula.components):
        mask = component_of == k
        weight = float(formula.effective_weights()[mask].sum())
        comp_share = (
            float(
                sum(
                    shares[f"{c.name}.{t.indicator}"] * tw
                    for t, tw in zip(c.terms, formula.effective_weights()[mask] / weight, strict=True)
                )
            )
            if weight
            else 0.0
        )
        comp_rows.append(
            {
                "component": c.name,
                "weight": round(weight, 6),
                "share": round(comp_share, 6),
                "officers": round(float(r.contributions[0, mask, i].sum()), 2),
                "effect": "lifts" if comp_share > need * 1.02 else "lowers" if comp_share < need * 0.98 else "neutral",
            }
        )
    marginal = kernel.marginal_effects(setup, prepared.values, r, i)
    allocation = int(r.allocation[0, i])
    undamped = int(r.undamped[0, i])
    adjustment = int(setup.adjust[i])
    rule = _rule(i, r, setup)
    words = [
        f"{name} gets {allocation:,} of the {formula.total:,} officers ({100 * allocation / formula.total:.2f}%), "
        f"95% range {int(sim.allocation_low[i]):,} to {int(sim.allocation_high[i]):,}.",
        f"Its need share is {kernel.share_text(need)}: the weighted average of its shares of London's indicators, "
        f"which gives {float(r.formula[0, i]):,.1f} officers of the {setup.shared:,} the formula shares out.",
    ]
    label = {str(r["term"]): f"{prepared.indicators[str(r['indicator'])].label} ({r['term']})" for r in indicators}
    if up:
        words.append(
            f"Lifting it (its share of London above its need share of {kernel.share_text(need)}): "
            + "; ".join(f"{label[k]} {kernel.share_text(shares[k])}" for k in up)
            + "."
        )
    if down:
        words.append(
            "Lowering it (below its need share): "
            + "; ".join(f"{label[k]} {kernel.share_text(shares[k])}" for k in down)
            + "."
        )
    effects = [c for c in comp_rows if c["effect"] != "neutral"]
    if len(formula.components) > 1 and effects:
        words.append(
            "By component: "
            + "; ".join(
                f"{c['component']} ({kernel.share_text(c['share'])} of London) {c['effect']} it" for c in effects
            )
            + "."
        )
    damping = allocation - adjustment - undamped
    if rule == "none" or damping == 0:
        words.append(
            f"Damping did not change it: {undamped:,} officers by the formula alone, rounded by {formula.method}."
        )
    else:
        words.append(
            f"Damping ({rule}) moved it from {undamped:,} to {undamped + damping:,} officers ({damping:+,})"
            + (f", against a baseline of {float(setup.baseline[i]):,.0f}" if setup.baseline is not None else "")
            + "."
        )
    for a in formula.adjustments:
        if areas.of_borough[a.area] == i:
            words.append(f"A judgement adjustment adds {a.officers}: {a.reason}.")
    if current is not None:
        words.append(f"Against its current {int(current[i]):,}, that is {allocation - int(current[i]):+,}.")
    for m in marginal:
        words.append(
            f"Ten points more weight on {m.target} (now {m.weight_pct:.0f}%) would give it {m.formula_officers:+.1f} "
            f"officers by the formula ({m.allocation_officers:+d} after damping and rounding)."
        )
    return {
        "area_code": areas.codes[i],
        "area_name": name,
        "allocation": allocation,
        "low": int(sim.allocation_low[i]),
        "high": int(sim.allocation_high[i]),
        "need_share": round(need, 6),
        "formula": round(float(r.formula[0, i]), 2),
        "undamped": undamped,
        "damping": damping,
        "damping_rule": rule,
        "adjustment": adjustment,
        "lifted_by": up,
        "lowered_by": down,
        "indicators": indicators,
        "components": comp_rows,
        "marginal": [
            {
                "weight": m.target,
                "weight_pct": m.weight_pct,
                "formula_officers_per_10_points": round(m.formula_officers, 2),
                "allocation_officers_per_10_points": m.allocation_officers,
            }
            for m in marginal
        ],
        "words": words,
    }


def ask(db: Database, query: Query) -> Answer:
    """Share out the officers ``query`` asks for."""
    made = allocate(db, query)
    f = made.formula
    loads = sorted({k for d in made.prepared.indicators.values() for k in d.loads})
    meta: dict[str, Any] = {
        "formula": f.as_dict(),
        "year": made.year,
        "level": query.level,
        "areas": len(made.areas.codes),
        "total": f.total,
        "shared_by_formula": f.total - f.adjusted,
        "method": f.method,
        "method_note": kernel.METHOD_NAMES[f.method],
        "baseline": made.baseline,
        "indicators": [
            made.prepared.indicators[n].as_dict()
            for n in made.prepared.indicators
            if n in f.indicators or n == "population"
        ],
        "simulation": {
            "draws": made.simulation.draws,
            "seed": made.simulation.seed,
            "range": "95% (2.5% and 97.5% points of the draws)",
            "weights_varied": made.simulation.weights_varied,
        },
        "components": made.components,
        "loads": loads_used(db, tuple(loads)),
    }
    meta["simulation"]["noise_change"] = (
        "95% of the year-to-year changes of formula officers that chance variation of the counts alone would cause are "
        "within this many officers (two independent draws of each count, other indicators and weights held)"
    )
    if made.explain is not None:
        meta["explain"] = made.explain
    return Answer(
        question="allocation",
        query={
            "formula": query.formula,
            "total": f.total,
            "year": made.year,
            "level": query.level,
            "set": list(query.set),
            "weights": query.weights,
            "method": f.method,
            "explain": query.explain,
            "draws": query.draws,
            "seed": query.seed,
        },
        items=made.rows,
        columns=COLUMNS,
        meta=meta,
        notes=made.notes,
        result=made,
    )


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


def _version(query: Query) -> Any:
    return file_version(query.formula)


QUESTION = Question(
    name="allocation",
    query=Query,
    ask=ask,
    command=("allocate",),
    route="/allocation",
    summary="Officers shared among the boroughs (or BCUs) by a resource allocation formula: need share, whole "
    "officers summing to the total, damping, adjustments, 95% ranges, year-to-year stability.",
    example={"formula": "demand-share", "draws": 200},
    columns=COLUMNS,
    version=_version,
)

__all__ = ["BOROUGHS", "INDICATORS", "QUESTION", "Allocation", "Query", "allocate", "ask", "list_indicators"]
