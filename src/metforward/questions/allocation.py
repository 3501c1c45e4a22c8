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

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from metforward.analyse import allocation as kernel
from metforward.analyse import allocation_uncertainty as uncertainty
from metforward.analyse.allocation_explain import Label, explain
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
from metforward.questions.allocation_indicators import (
    BOROUGHS,
    CITY,
    INDICATORS,
    IndicatorData,
    default_year,
    list_indicators,
    read_indicators,
)
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store.database import Database

LEVELS = ("borough", "bcu")

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
    noise: uncertainty.Noise
    notes: tuple[str, ...] = ()


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
    noise = uncertainty.Noise(
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
    simulation: uncertainty.Simulation
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
    for d in prepared.indicators.values():  # IndicatorData
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
    simulation = uncertainty.simulate(setup, prepared.values, prepared.noise, draws=query.draws, seed=query.seed)
    year_change = None
    if previous is not None:
        was = kernel.point(_setup(replace(formula, damping=kernel.Damping()), areas, previous, None), previous.values)
        year_change = result.formula[0] - was.formula[0]
    verdicts = uncertainty.movement(year_change, simulation.noise_change) if year_change is not None else None
    rows = _rows(formula, areas, setup, result, simulation, current, year_change, verdicts, zero)
    explain = None
    if query.explain:
        explain = _explain(areas, setup, prepared, result, simulation, areas.resolve(query.explain), current)
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


def _rows(
    formula: kernel.Formula,
    areas: Areas,
    setup: kernel.Setup,
    r: kernel.Run,
    sim: uncertainty.Simulation,
    current: np.ndarray | None,
    year_change: np.ndarray | None,
    verdicts: list[str] | None,
    zero: np.ndarray,
) -> list[dict[str, Any]]:
    reasons: dict[int, list[str]] = {}
    for a in formula.adjustments:
        reasons.setdefault(areas.of_borough[a.area], []).append(f"+{a.officers}: {a.reason}")
    component_of = formula.component_of_terms()
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
            "damping_rule": kernel.damping_rule(r, setup, i),
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


def _explain(
    areas: Areas,
    setup: kernel.Setup,
    prepared: Prepared,
    result: kernel.Run,
    sim: uncertainty.Simulation,
    i: int,
    current: np.ndarray | None,
) -> dict[str, Any]:
    """The explanation of area ``i`` (:func:`metforward.analyse.allocation_explain.explain`)."""
    labels = {n: Label(d.label, d.year, d.aggregate == "sum") for n, d in prepared.indicators.items()}
    reasons = [a.reason for a in setup.formula.adjustments if areas.of_borough[a.area] == i]
    return explain(
        setup,
        prepared.values,
        result,
        sim,
        i,
        codes=areas.codes,
        names=areas.names,
        labels=labels,
        current=current,
        reasons=reasons,
    )


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

__all__ = [
    "BOROUGHS",
    "CITY",
    "INDICATORS",
    "LEVELS",
    "QUESTION",
    "Allocation",
    "IndicatorData",
    "Query",
    "allocate",
    "ask",
    "default_year",
    "list_indicators",
]
