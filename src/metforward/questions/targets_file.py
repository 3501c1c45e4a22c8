"""A targets file (``docs/targets.md``): read, validated, and the store-backed measures it may name.

:func:`load_targets` reads and validates a targets YAML file into a
:class:`~metforward.analyse.targets.TargetsFile`; :class:`TargetsFileError` lists every problem with its
place. A ``level``, ``rate`` or ``gap`` target may take its figure from the store through a measure
source (:data:`SOURCES`): a module exposing ``TARGET_SOURCE``, an object with ``check`` (the validation of
the target's ``measure`` mapping) and ``observe`` (the figure, read from the store): the
:class:`MeasureSource` protocol; :func:`measure_source` finds it by name.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from metforward.analyse.target_sources import Observation
from metforward.analyse.targets import TYPES, Measure, Target, TargetsFile
from metforward.domain.areas import borough_code
from metforward.domain.periods import Period
from metforward.errors import BadRequest, MetforwardError
from metforward.store.database import Database

_ID = re.compile(r"^[A-Za-z0-9_.-]+$")

#: Measure source name -> the module that provides it (imported only when a target uses it).
SOURCES: dict[str, str] = {
    "outcomes": "metforward.questions.outcomes",
    "stop-and-search": "metforward.questions.searches",
    "survey": "metforward.questions.confidence",
    "indicator": "metforward.questions.indicators",
}
#: Measure source name -> the kinds of load its figures rest on (for an answer's ``meta["loads"]``).
SOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "outcomes": ("outcomes", "datastore-dashboard", "lookup-lsoa"),
    "stop-and-search": ("stop-and-search", "population-census-ethnicity"),
    "survey": ("survey-*",),
    "indicator": ("indicators", "mopac-strength", "homeoffice-workforce"),
}


class MeasureSource(Protocol):
    """How a module gives store-backed figures to targets."""

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        """Problems with a target's ``measure`` mapping (empty if it is valid), each a short sentence."""
        ...

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        """The observation for ``area`` (``"London"`` or a borough GSS code)."""
        ...


def measure_source(name: str) -> MeasureSource | None:
    """The source called ``name``, or None if there is no such source."""
    module = SOURCES.get(name)
    if module is None:
        return None
    source: MeasureSource = importlib.import_module(module).TARGET_SOURCE
    return source


class TargetsFileError(BadRequest):
    """The targets file is not valid; ``problems`` lists every fault found, each with its place. The file
    given cannot be used: a usage error (exit status 2, docs/targets.md), HTTP 422."""

    code = "targets_file"

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path} is not a valid targets file: " + "; ".join(problems), field="file")
        self.path = path
        self.problems = problems


def load_targets(path: Path) -> TargetsFile:
    """Read and validate a targets YAML file; :class:`TargetsFileError` lists every problem with its place.

    Parsed once per version of the file (path, modification time, size): the web app asks on every
    borough page, and a changed file is read again at once.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise TargetsFileError(str(path), [f"cannot read the file: {exc}"]) from exc
    return _load_targets(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_targets(path: str, _mtime_ns: int, _size: int) -> TargetsFile:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetsFileError(path, [f"cannot read the file: {exc}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise TargetsFileError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from exc
    return parse_targets(data, path)


def parse_targets(data: object, source: str = "<targets>") -> TargetsFile:
    """Validate a parsed targets document."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise TargetsFileError(source, ["the file must be a mapping with 'version' and 'targets'"])
    if data.get("version") != 1:
        problems.append("'version' must be 1")
    alpha = data.get("alpha", 0.05)
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        problems.append("'alpha' must be a number between 0 and 1")
        alpha = 0.05
    composites = _composites(data.get("composites") or {}, problems)
    raw_targets = data.get("targets")
    targets: list[Target] = []
    if not isinstance(raw_targets, list) or not raw_targets:
        problems.append("'targets' must be a non-empty list")
        raw_targets = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_targets):
        where = f"targets[{index}]" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")
        target = _target(raw, where, composites, problems)
        if target is not None:
            if target.id in seen:
                problems.append(f"{where}: id {target.id!r} is used twice")
            seen.add(target.id)
            targets.append(target)
    if problems:
        raise TargetsFileError(source, problems)
    return TargetsFile(str(data.get("title", "")), float(alpha), targets)


def _composites(raw: object, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.append("'composites' must map names to lists of categories")
        return {}
    out = {}
    for name, members in raw.items():
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            problems.append(f"composites.{name}: must be a non-empty list of category names")
            continue
        out[str(name)] = tuple(members)
    return out


def _target(raw: object, where: str, composites: dict[str, tuple[str, ...]], problems: list[str]) -> Target | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    before = len(problems)
    tid = raw.get("id")
    if not isinstance(tid, str) or not _ID.match(tid):
        problems.append(f"{where}: 'id' must be a word of letters, digits, '-', '_' or '.'")
    kind = raw.get("type")
    if kind not in TYPES:
        problems.append(f"{where}: 'type' must be one of {', '.join(TYPES)}")
        return None
    directions = [d for d in ("at_most", "at_least") if d in raw]
    if len(directions) != 1 or not isinstance(raw[directions[0]], float | int):
        problems.append(f"{where}: give exactly one of 'at_most' or 'at_least', a number")
        return None
    direction = directions[0]
    area = str(raw.get("area", "London"))
    if area != "London" and borough_code(area) is None:
        problems.append(f"{where}: 'area' must be London or a London borough name or GSS code, not {area!r}")
    baseline = period = None
    measure = None
    observed = None
    source_spec = None
    if kind == "reduction":
        baseline = _period(raw, "baseline", where, problems)
        period = _period(raw, "period", where, problems)
        measure = _measure(raw.get("measure"), where, composites, problems)
    elif "measure" in raw and "observed" not in raw:
        source_spec = _source_spec(raw["measure"], kind, where, problems)
    else:
        observed = _observed(raw.get("observed"), kind, where, problems)
    if len(problems) > before:
        return None
    return Target(
        id=str(tid),
        title=str(raw.get("title", tid)),
        type=kind,
        area=area,
        direction=direction,
        threshold=float(raw[direction]),
        baseline=baseline,
        period=period,
        measure=measure,
        observed=observed,
        source_spec=source_spec,
    )


def _source_spec(raw: object, kind: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    names = ", ".join(SOURCES)
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str):
        problems.append(f"{where}: 'measure' of a {kind} target must give 'source' ({names})")
        return None
    source = measure_source(raw["source"])
    if source is None:
        problems.append(f"{where}: measure.source must be one of {names} for a {kind} target, not {raw['source']!r}")
        return None
    found = source.check(raw, kind)
    problems.extend(f"{where}: measure: {problem}" for problem in found)
    return None if found else dict(raw)


def _period(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> Period | None:
    try:
        return Period.parse(str(raw[key]))
    except KeyError:
        problems.append(f"{where}: '{key}' is required (YYYY-MM:YYYY-MM)")
    except MetforwardError as exc:
        problems.append(f"{where}: '{key}': {exc}")
    return None


def _measure(raw: object, where: str, composites: dict[str, tuple[str, ...]], problems: list[str]) -> Measure | None:
    if not isinstance(raw, dict) or "category" not in raw:
        problems.append(f"{where}: 'measure' must give at least 'category' (and 'source': datastore or police-uk)")
        return None
    source = raw.get("source", "datastore")
    if source not in ("datastore", "police-uk"):
        problems.append(f"{where}: measure.source must be datastore or police-uk")
        return None
    by = raw.get("by", "minor" if source == "datastore" else "category")
    allowed = ("major", "minor") if source == "datastore" else ("category",)
    if by not in allowed:
        problems.append(f"{where}: measure.by must be {' or '.join(allowed)} for {source}")
        return None
    category = str(raw["category"])
    members = composites.get(category, (category,))
    return Measure(source, category, by, raw.get("kind"), raw.get("force"), members)


def _counts(raw: object, where: str, problems: list[str]) -> tuple[float, float] | None:
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("successes"), float | int)
        and isinstance(raw.get("n"), float | int)
        and 0 <= raw["successes"] <= raw["n"]
        and raw["n"] > 0
    ):
        return float(raw["successes"]), float(raw["n"])
    problems.append(f"{where}: observed counts need 'successes' and 'n' with 0 <= successes <= n and n > 0")
    return None


def _observed(raw: object, kind: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: 'observed' is required for a {kind} target")
        return None
    if "value" in raw:
        given = [raw.get(k) for k in ("value", "low", "high")]
        numbers = [float(x) for x in given if isinstance(x, float | int)]
        if len(numbers) != 3 or not numbers[1] <= numbers[0] <= numbers[2]:
            problems.append(
                f"{where}: a published estimate needs numbers 'value', 'low' and 'high' with low <= value <= high"
            )
            return None
        return {
            "estimate": tuple(float(x) for x in numbers),
            "source": str(raw.get("source", "given in the targets file")),
        }
    if kind == "gap":
        a, b = (
            _counts(raw.get("a"), f"{where} observed.a", problems),
            _counts(raw.get("b"), f"{where} observed.b", problems),
        )
        if a is None or b is None:
            return None
        return {
            "a": a,
            "b": b,
            "labels": (raw["a"].get("label", "a"), raw["b"].get("label", "b")),
            "source": str(raw.get("source", "given in the targets file")),
        }
    counts = _counts(raw, f"{where} observed", problems)
    if counts is None:
        return None
    return {"counts": counts, "source": str(raw.get("source", "given in the targets file"))}


__all__ = [
    "SOURCES",
    "SOURCE_KINDS",
    "MeasureSource",
    "TargetsFileError",
    "load_targets",
    "measure_source",
    "parse_targets",
]
