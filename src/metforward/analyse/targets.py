"""Targets: a YAML file of the kinds of targets the Met's 2009/10 and 2010/11 plans used, checked honestly.

Each target gets ``achieved``, ``missed`` or ``can't tell`` from the interval of its observed
value, never from the point estimate alone:

* achieved: the whole interval lies on the target's good side;
* missed: the whole interval lies on the bad side;
* can't tell: the interval straddles the target (the data cannot say which side the truth is on).

Target types (schema version 1; see ``docs/targets.md``):

``reduction``
    % change of a category's count (per month of data) between a baseline and a period, against
    a target change such as -1.0 (a 1% reduction). Counts come from the store; the interval is the
    quasi-Poisson interval of the rate ratio, allowing for the month-to-month variation of the
    counts (:mod:`metforward.analyse.dispersion`), or with ``method="poisson"`` the exact interval
    of the conditional Poisson test. Composite categories (serious
    acquisitive crime = residential burglary + robbery + vehicle crime) are defined in the file.
``level`` and ``rate``
    a proportion (public confidence, a sanction detection rate) at least or at most a value in %,
    with the Wilson interval (Wilson 1927). The observed counts are given in the file.
``gap``
    the difference between two groups' proportions in percentage points (the satisfaction gap
    between White and BME victims) at most a value, with Newcombe's interval (Newcombe 1998).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from metforward.analyse.compare import Period
from metforward.analyse.dispersion import judge as judge_change
from metforward.analyse.proportions import newcombe_difference, wilson
from metforward.analyse.target_sources import SOURCES, Observation, measure_source
from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.errors import MetforwardError
from metforward.store import cubes
from metforward.store.database import Database

ACHIEVED, MISSED, CANT_TELL = "achieved", "missed", "can't tell"
TYPES = ("reduction", "level", "rate", "gap")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


class TargetsFileError(MetforwardError):
    """The targets file is not valid; ``problems`` lists every fault found, each with its place."""

    code = "targets_file"
    exit_status = 2  # the file named on the command line cannot be used: a usage error (docs/targets.md)

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path} is not a valid targets file: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Measure:
    """Where a reduction target's counts come from."""

    source: str
    category: str
    by: str
    kind: str | None
    force: str | None
    members: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """One validated target."""

    id: str
    title: str
    type: str
    area: str
    direction: str  # at_most | at_least
    threshold: float
    baseline: Period | None = None
    period: Period | None = None
    measure: Measure | None = None
    observed: dict[str, Any] | None = None
    source_spec: dict[str, Any] | None = None  # level/rate/gap: a store-backed measure instead of `observed`


@dataclass(frozen=True)
class TargetResult:
    """A target's verdict, with the observed value, its interval and the margin."""

    id: str
    title: str
    type: str
    area: str
    unit: str
    target: str
    observed: float | None
    ci_low: float | None
    ci_high: float | None
    margin: float | None  # observed distance from the target on its good side (negative: bad side)
    verdict: str
    basis: str

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class TargetsFile:
    """A validated targets file."""

    title: str
    alpha: float
    targets: list[Target]


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


def judge(value: float, low: float, high: float, direction: str, threshold: float) -> tuple[str, float]:
    """Verdict and margin: achieved if the whole interval is on the good side, missed if on the bad side."""
    if direction == "at_most":
        margin = threshold - value
        verdict = ACHIEVED if high <= threshold else MISSED if low > threshold else CANT_TELL
    else:
        margin = value - threshold
        verdict = ACHIEVED if low >= threshold else MISSED if high < threshold else CANT_TELL
    return verdict, margin


def check_targets(db: Database, targets: TargetsFile, *, method: str = "quasi") -> list[TargetResult]:
    """Check every target of a file against the store (reductions) or its observed counts."""
    confidence = 1 - targets.alpha
    return [_check(db, t, confidence, method) for t in targets.targets]


def _check(db: Database, target: Target, confidence: float, method: str = "quasi") -> TargetResult:
    sign = "at most" if target.direction == "at_most" else "at least"
    if target.type == "reduction":
        return _check_reduction(db, target, confidence, sign, method)
    if target.source_spec is not None:
        return _judge(target, _observe_store(db, target, confidence), confidence, sign)
    return _judge(target, _observe_file(target, confidence), confidence, sign)


def _observe_file(target: Target, confidence: float) -> Observation:
    """What a target's ``observed`` mapping gives: a published estimate, counts, or two groups' counts."""
    observed = target.observed
    assert observed is not None
    if "estimate" in observed:
        value, low, high = observed["estimate"]
        basis = f"published estimate {value:g} ({low:g} to {high:g}); source: {observed['source']}"
        return Observation(estimate=(value, low, high), basis=basis)
    if target.type == "gap":
        (sa, na), (sb, nb) = observed["a"], observed["b"]
        label_a, label_b = observed["labels"]
        basis = (
            f"{label_a} {sa:g}/{na:g} minus {label_b} {sb:g}/{nb:g}; Newcombe {confidence:.0%} interval; "
            f"source: {observed['source']}"
        )
        return Observation(groups=((sa, na), (sb, nb)), labels=(label_a, label_b), basis=basis)
    successes, n = observed["counts"]
    basis = f"{successes:g} of {n:g}; Wilson {confidence:.0%} interval; source: {observed['source']}"
    return Observation(counts=(successes, n), basis=basis)


def _observe_store(db: Database, target: Target, confidence: float) -> Observation:
    """What a target's store-backed ``measure`` gives (see :mod:`target_sources`)."""
    assert target.source_spec is not None
    source = measure_source(str(target.source_spec["source"]))
    assert source is not None
    area = "London" if target.area == "London" else borough_code(target.area)
    assert area is not None
    try:
        return source.observe(db, target.source_spec, area, target.type, confidence)
    except MetforwardError as exc:  # e.g. the data the measure needs is not loaded: say so, judge the rest
        return Observation(basis=f"cannot compute from the store: {exc}")


def _judge(target: Target, seen: Observation, confidence: float, sign: str) -> TargetResult:
    """The verdict on an observation: Wilson for counts, Newcombe for two groups, or the estimate's own interval."""
    unit = seen.unit or ("points" if target.type == "gap" else "%")
    goal = f"{sign} {target.threshold:g}"
    if seen.estimate is not None:
        value, low, high = seen.estimate
    elif seen.groups is not None:
        (sa, na), (sb, nb) = seen.groups
        est = newcombe_difference(sa, na, sb, nb, confidence=confidence)
        value, low, high = est.value * 100, est.low * 100, est.high * 100
    elif seen.counts is not None:
        est = wilson(*seen.counts, confidence=confidence)
        value, low, high = est.value * 100, est.low * 100, est.high * 100
    else:
        return TargetResult(
            target.id, target.title, target.type, target.area, unit, goal, None, None, None, None, CANT_TELL, seen.basis
        )
    verdict, margin = judge(value, low, high, target.direction, target.threshold)
    return TargetResult(
        target.id,
        target.title,
        target.type,
        target.area,
        unit,
        goal,
        round(value, 3),
        round(low, 3),
        round(high, 3),
        round(margin, 3),
        verdict,
        seen.basis,
    )


def _check_reduction(db: Database, target: Target, confidence: float, sign: str, method: str) -> TargetResult:
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
    before = sum(int(r[3]) for r in rows if str(r[2]).lower() in wanted)
    after = sum(int(r[4]) for r in rows if str(r[2]).lower() in wanted)
    found = {str(r[2]).lower() for r in rows}
    missing = sorted(name for name in m.members if name.lower() not in found)
    t1 = len(
        cubes.months_present(
            db, source=m.source, first=target.baseline.first, last=target.baseline.last, force=m.force, kind=m.kind
        )
    )
    t2 = len(
        cubes.months_present(
            db, source=m.source, first=target.period.first, last=target.period.last, force=m.force, kind=m.kind
        )
    )
    name = LONDON_BOROUGHS.get(area, target.area)
    basis = (
        f"{m.category} in {name}: {before:,} in {target.baseline} ({t1} of {target.baseline.months} months) vs "
        f"{after:,} in {target.period} ({t2} of {target.period.months} months); "
        + ("exact" if method == "poisson" else "quasi-Poisson")
        + f" {confidence:.0%} interval of the rate ratio; source: {m.source}"
        + (f" ({m.kind})" if m.kind else "")
    )
    if missing:
        basis += f"; no counts found for: {', '.join(missing)}"
    if not t1 or not t2 or before + after == 0:
        return TargetResult(
            target.id,
            target.title,
            target.type,
            target.area,
            "% change",
            f"{sign} {target.threshold:+g}%",
            None,
            None,
            None,
            None,
            CANT_TELL,
            basis + "; no data for one of the periods",
        )
    squares = _squares(db, target, level, area, wanted) if method == "quasi" else (0.0, 0.0)
    result = judge_change(
        [before],
        [after],
        [float(t1)],
        [float(t2)],
        squares_before=[squares[0]],
        squares_after=[squares[1]],
        method=method,
        alpha=1 - confidence,
    )
    if method == "quasi":
        phi = float(result.dispersion[0])
        basis += (
            f"; dispersion {phi:.2f} from the {t1 + t2} monthly counts"
            if math.isfinite(phi)
            else f"; too few months ({t1 + t2}) to estimate the month-to-month variation"
        )
    value = float(result.change_pct[0])
    low, high = (float(result.ci_low[0]) - 1) * 100, (float(result.ci_high[0]) - 1) * 100
    if math.isnan(low):  # too few months for an interval: the data cannot tell
        verdict, margin = CANT_TELL, judge(value, value, value, target.direction, target.threshold)[1]
    else:
        verdict, margin = judge(
            value, low, high if math.isfinite(high) else math.inf, target.direction, target.threshold
        )
    return TargetResult(
        target.id,
        target.title,
        target.type,
        target.area,
        "% change",
        f"{sign} {target.threshold:+g}%",
        round(value, 3),
        None if math.isnan(low) else round(low, 3),
        round(high, 3) if math.isfinite(high) else None,
        round(margin, 3),
        verdict,
        basis,
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
