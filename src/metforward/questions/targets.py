"""Targets: each target of a targets file achieved, missed or can't tell, with its observed value and interval.

The one place the question is answered: its options (:class:`Query`: the file, the method of reduction
targets' intervals), the file (:mod:`metforward.questions.targets_file`), what is read from the store
(:func:`reduction_counts` for reductions, the measure sources for store-backed figures) and the kernels
that judge (:mod:`metforward.analyse.targets`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from metforward.analyse.dispersion import METHODS
from metforward.analyse.target_sources import Observation
from metforward.analyse.targets import (
    ReductionCounts,
    Target,
    TargetResult,
    TargetsFile,
    judge_observation,
    judge_reduction,
    observe_file,
)
from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.errors import BadRequest, MetforwardError, NotFound
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.targets_file import SOURCE_KINDS, load_targets, measure_source
from metforward.store import cubes
from metforward.store.database import Database

#: The keys of each result, in order.
COLUMNS = tuple(TargetResult.__dataclass_fields__)


class NoTargets(NotFound):
    """No targets file was given (the web app was started without one)."""

    code = "no_targets"


@dataclass(frozen=True)
class Query:
    """Which targets file to check (a path; the web app gives its configured file) and how: ``method`` is the
    interval of reduction targets, ``quasi`` (allowing for the month-to-month variation) or ``poisson``."""

    file: str | None = None
    method: str = "quasi"

    def targets(self) -> TargetsFile:
        """The file, read and validated: :class:`NoTargets` without one, :class:`TargetsFileError` listing
        its problems, :class:`BadRequest` for an unknown method."""
        if self.method not in METHODS:
            raise BadRequest(f"method is one of {', '.join(METHODS)}, not {self.method!r}", field="method")
        if not self.file:
            raise NoTargets(
                "no targets file: give one (metforward targets check FILE); the web app shows the targets file "
                "it was started with (metforward serve --targets FILE, or METFORWARD_TARGETS)",
                field="file",
            )
        return load_targets(Path(self.file))


def file_version(query: Query) -> Hashable:
    """The version of the query's file (modification time and size), for caches of its answers: an edited
    file is checked again at once."""
    try:
        stat = os.stat(query.file) if query.file else None
    except OSError:
        return None
    return None if stat is None else (stat.st_mtime_ns, stat.st_size)


def check_targets(db: Database, targets: TargetsFile, *, method: str = "quasi") -> list[TargetResult]:
    """Check every target of a file against the store (reductions, store-backed measures) or its observed counts."""
    confidence = 1 - targets.alpha
    return [check_target(db, t, confidence, method) for t in targets.targets]


def check_target(db: Database, target: Target, confidence: float, method: str = "quasi") -> TargetResult:
    """One target's verdict."""
    if target.type == "reduction":
        return judge_reduction(target, reduction_counts(db, target, method), confidence, method)
    if target.source_spec is not None:
        return judge_observation(target, observe_store(db, target, confidence), confidence)
    return judge_observation(target, observe_file(target, confidence), confidence)


def observe_store(db: Database, target: Target, confidence: float) -> Observation:
    """What a target's store-backed ``measure`` gives (see :mod:`metforward.questions.targets_file`)."""
    assert target.source_spec is not None
    source = measure_source(str(target.source_spec["source"]))
    assert source is not None
    area = "London" if target.area == "London" else borough_code(target.area)
    assert area is not None
    try:
        return source.observe(db, target.source_spec, area, target.type, confidence)
    except MetforwardError as exc:  # e.g. the data the measure needs is not loaded: say so, judge the rest
        return Observation(basis=f"cannot compute from the store: {exc}")


def reduction_counts(db: Database, target: Target, method: str = "quasi") -> ReductionCounts:
    """A reduction target's counts in its baseline and period, their months of data, and (``quasi``) the sums
    of the squared monthly counts, for its area (London: the force) from the cubes."""
    assert target.measure is not None and target.baseline is not None and target.period is not None
    m = target.measure
    level = "force" if target.area == "London" else "borough"
    area = (m.force or "metropolitan") if level == "force" else borough_code(target.area)
    assert area is not None
    rows = cubes.period_counts(
        db,
        source=m.source,
        level=level,
        before=(target.baseline.first, target.baseline.last),
        after=(target.period.first, target.period.last),
        by=(m.by,),
        areas=[area],
        force=m.force,
        kind=m.kind,
    )
    wanted = {name.lower() for name in m.members}
    found = {str(r[2]).lower() for r in rows}
    months = [
        len(cubes.months_present(db, source=m.source, first=p.first, last=p.last, force=m.force, kind=m.kind))
        for p in (target.baseline, target.period)
    ]
    squares = (0.0, 0.0)
    if method == "quasi":
        squares = _squares(db, target, level, area, wanted)
    return ReductionCounts(
        before=sum(int(r[3]) for r in rows if str(r[2]).lower() in wanted),
        after=sum(int(r[4]) for r in rows if str(r[2]).lower() in wanted),
        months_before=months[0],
        months_after=months[1],
        squares=squares,
        area_name=LONDON_BOROUGHS.get(area, target.area),
        missing=tuple(sorted(name for name in m.members if name.lower() not in found)),
    )


def _squares(db: Database, target: Target, level: str, area: str, wanted: set[str]) -> tuple[float, float]:
    """Sums of the squared monthly counts of the target's categories in its baseline and its period."""
    assert target.measure is not None and target.baseline is not None and target.period is not None
    m = target.measure
    out = [0.0, 0.0]
    for k, p in enumerate((target.baseline, target.period)):
        months: dict[object, float] = {}
        for code, _name, category, month, n in cubes.monthly_series(
            db, source=m.source, level=level, first=p.first, last=p.last, by=m.by, force=m.force, kind=m.kind
        ):
            if code == area and str(category).lower() in wanted:
                months[month] = months.get(month, 0.0) + float(n)
        out[k] = math.fsum(v * v for v in months.values())
    return out[0], out[1]


def _kinds(targets: TargetsFile) -> tuple[str, ...]:
    """The kinds of load the targets of a file rest on."""
    kinds: list[str] = []
    for t in targets.targets:
        if t.measure is not None:
            kinds.append(t.measure.kind or ("street" if t.measure.source == "police-uk" else "datastore-*"))
        elif t.source_spec is not None:
            kinds.extend(SOURCE_KINDS.get(str(t.source_spec["source"]), ()))
    return tuple(dict.fromkeys(kinds))


def ask(db: Database, query: Query) -> Answer:
    """Each target of the file ``query`` names achieved, missed or can't tell, with its interval and margin."""
    targets = query.targets()
    results = check_targets(db, targets, method=query.method)
    assert query.file is not None
    return Answer(
        question="targets",
        query={"file": Path(query.file).name, "method": query.method},
        items=[r.as_dict() for r in results],
        columns=COLUMNS,
        meta={
            "title": targets.title,
            "alpha": targets.alpha,
            "method": query.method,
            "verdicts": {v: sum(r.verdict == v for r in results) for v in ("achieved", "missed", "can't tell")},
            "loads": loads_used(db, _kinds(targets)),
        },
        result=(targets, results),
    )


QUESTION = Question(
    name="targets",
    query=Query,
    ask=ask,
    command=("targets", "check"),
    route="/targets",
    summary="Each target of a targets file achieved, missed or can't tell, with the observed value, its "
    "interval and the margin.",
    example={"file": "examples/targets-2010-11.yaml"},
    options={"file": ""},
    version=file_version,
)

__all__ = ["COLUMNS", "QUESTION", "NoTargets", "Query", "ask", "check_target", "check_targets", "reduction_counts"]
