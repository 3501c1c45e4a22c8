"""A resource allocation formula file (``docs/allocation.md``): read, validated with the line of every fault,
and changed by the command line's ``--set`` and ``--weights``.

:func:`load_formula` reads a YAML file (or a formula shipped with metforward, by name: :data:`BUILT_IN`) into
a :class:`~metforward.analyse.allocation.Formula`; :class:`FormulaFileError` names the file, the line and
the field of the first fault, and what to give instead. :func:`with_settings` applies ``--set KEY=VALUE``
and :func:`with_weights` ``--weights name=weight,...``; :func:`weights_formula` builds the one-component
formula that ``--weights`` alone asks for (equal treatment of the indicators named, each as a share).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from metforward.analyse.allocation import (
    METHODS,
    TRANSFORMS,
    Adjustment,
    Component,
    Damping,
    Formula,
    Term,
)
from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.errors import BadRequest, InvalidValueError

#: Formulas shipped with metforward, by name (the same files as ``examples/allocation-<name>.yaml``).
BUILT_IN: dict[str, str] = {"mpa": "mpa.yaml", "demand-share": "demand-share.yaml"}
_TOP = {
    "version",
    "title",
    "total",
    "method",
    "components",
    "uncertainty",
    "baseline",
    "damping",
    "adjustments",
    "notes",
}
_COMPONENT = {"weight", "range", "indicators", "description"}
_TERM = {"weight", "transform", "range"}
_DAMPING = {"no_losers", "cap", "floors"}
_ADJUSTMENT = {"area", "officers", "reason"}
_CITY = "E09000001"


class FormulaFileError(BadRequest):
    """The formula file is not valid: the message names the file, the line and the field at fault. A usage
    error (exit status 2), HTTP 422."""

    code = "formula_file"

    def __init__(self, source: str, line: int | None, where: str, message: str) -> None:
        place = f"{source}:{line}" if line else source
        super().__init__(f"{place}: {where}: {message} (docs/allocation.md)", field=where)
        self.source = source
        self.line = line


@dataclass(frozen=True)
class _Doc:
    """A parsed YAML document and the line of each key path (``("components", "need", "weight")``)."""

    data: Any
    lines: dict[tuple[str, ...], int]
    source: str

    def line(self, path: tuple[str, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def fail(self, path: tuple[str, ...], message: str) -> FormulaFileError:
        return FormulaFileError(self.source, self.line(path), ".".join(path) or "(file)", message)


def _compose(text: str, source: str) -> _Doc:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FormulaFileError(
            source, mark.line + 1 if mark else None, "(file)", f"not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    lines: dict[tuple[str, ...], int] = {}
    constructor = yaml.constructor.SafeConstructor()

    def convert(n: Any, path: tuple[str, ...]) -> Any:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key, value in n.value:
                name = str(key.value)
                lines[(*path, name)] = key.start_mark.line + 1
                out[name] = convert(value, (*path, name))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [convert(v, (*path, str(i))) for i, v in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    return _Doc(None if node is None else convert(node, ()), lines, source)


def _number(doc: _Doc, path: tuple[str, ...], value: Any, *, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise doc.fail(path, f"must be a number, not {value!r}")
    if not low <= value <= high:
        raise doc.fail(path, f"must be from {low:g} to {high:g}, not {value!r}")
    return float(value)


def _range(doc: _Doc, path: tuple[str, ...], value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise doc.fail(path, "must be a range of two numbers, [low, high]")
    low = _number(doc, (*path, "0"), value[0])
    high = _number(doc, (*path, "1"), value[1])
    if low > high:
        raise doc.fail(path, f"the low end {low:g} is above the high end {high:g}")
    return (low, high)


def _keys(doc: _Doc, path: tuple[str, ...], value: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise doc.fail(path, f"must be a mapping ({what})")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise doc.fail((*path, unknown[0]), f"unknown key; {what} may have {', '.join(sorted(allowed))}")
    return value


def _borough(doc: _Doc, path: tuple[str, ...], text: Any) -> str:
    code = borough_code(str(text)) if isinstance(text, str | int) else None
    if code is None or code == _CITY:
        raise doc.fail(
            path, f"{text!r} is not one of the Met's 32 London boroughs (a name such as Brent, or a GSS code)"
        )
    return code


def _total(doc: _Doc, path: tuple[str, ...], value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise doc.fail(path, f"must be a whole number of officers, 1 or more, not {value!r}")
    return value


def parse_formula(text: str, source: str, known: Collection[str]) -> Formula:
    """Validate a formula document (YAML text); ``known`` are the indicator names metforward can read."""
    doc = _compose(text, source)
    top = _keys(doc, (), doc.data, _TOP, "a formula file")
    if top.get("version", 1) != 1:
        raise doc.fail(("version",), "must be 1")
    if "total" not in top:
        raise doc.fail((), "no 'total': give the whole number of officers to share out")
    total = _total(doc, ("total",), top["total"])
    method = top.get("method", "hamilton")
    if method not in METHODS:
        raise doc.fail(("method",), f"{method!r} is not a method; give one of {', '.join(METHODS)}")
    components = _components(doc, top.get("components"), known)
    used = {t.indicator for c in components for t in c.terms}
    uncertainty = _uncertainty(doc, top.get("uncertainty") or {}, used)
    baseline, values, baseline_source, baseline_total = _baseline(doc, top.get("baseline", "none"))
    damping = _damping(doc, top.get("damping") or {})
    adjustments = _adjustments(doc, top.get("adjustments") or [], total)
    if (damping.no_losers or damping.cap is not None) and baseline == "none":
        raise doc.fail(("damping",), "no losers and a cap on gains need a baseline: give 'baseline'")
    return Formula(
        title=str(top.get("title") or Path(source).stem),
        total=total,
        components=components,
        method=method,
        damping=damping,
        adjustments=adjustments,
        uncertainty=uncertainty,
        baseline=baseline,
        baseline_values=values,
        baseline_source=baseline_source,
        baseline_total=baseline_total,
        source=source,
    )


def _components(doc: _Doc, raw: Any, known: Collection[str]) -> tuple[Component, ...]:
    path = ("components",)
    if not isinstance(raw, dict) or not raw:
        raise doc.fail(path, "must be a mapping of components (need, demand, ...), each with a weight and indicators")
    out = []
    for name, body in raw.items():
        where = (*path, name)
        body = _keys(doc, where, body, _COMPONENT, "a component")
        if "weight" not in body:
            raise doc.fail(where, "no 'weight'")
        weight = _number(doc, (*where, "weight"), body["weight"])
        terms_raw = body.get("indicators")
        if not isinstance(terms_raw, dict) or not terms_raw:
            raise doc.fail((*where, "indicators"), "must be a mapping of indicator: weight")
        terms = []
        for indicator, spec in terms_raw.items():
            at = (*where, "indicators", indicator)
            if indicator not in known:
                raise doc.fail(at, f"{indicator!r} is not an indicator; metforward reads {', '.join(sorted(known))}")
            if isinstance(spec, int | float) and not isinstance(spec, bool):
                spec = {"weight": spec}
            spec = _keys(doc, at, spec, _TERM, "an indicator (or a bare weight)")
            transform = spec.get("transform", "share")
            if transform not in TRANSFORMS:
                raise doc.fail(
                    (*at, "transform"), f"{transform!r} is not a transform; give one of {', '.join(TRANSFORMS)}"
                )
            terms.append(
                Term(
                    str(indicator),
                    _number(doc, (*at, "weight"), spec.get("weight", 1.0)),
                    transform,
                    _range(doc, (*at, "range"), spec.get("range")),
                )
            )
        if sum(t.weight for t in terms) <= 0:
            raise doc.fail((*where, "indicators"), "the weights of its indicators sum to 0")
        out.append(Component(str(name), weight, tuple(terms), _range(doc, (*where, "range"), body.get("range"))))
    if sum(c.weight for c in out) <= 0:
        raise doc.fail(path, "the component weights sum to 0: give at least one a positive weight")
    return tuple(out)


def _uncertainty(doc: _Doc, raw: Any, used: set[str]) -> tuple[tuple[str, float], ...]:
    path = ("uncertainty",)
    if not isinstance(raw, dict):
        raise doc.fail(path, "must be a mapping of indicator: relative standard error (0.02 for 2%)")
    out = []
    for name, value in raw.items():
        if name not in used:
            raise doc.fail((*path, name), f"{name!r} is not an indicator of this formula")
        out.append((str(name), _number(doc, (*path, name), value, high=1.0)))
    return tuple(out)


def _baseline(doc: _Doc, raw: Any) -> tuple[str, tuple[tuple[str, float], ...], str, int | None]:
    path = ("baseline",)
    if raw in ("none", None):
        return "none", (), "", None
    if raw == "previous-year":
        raw = {"from": "previous-year"}
    if not isinstance(raw, dict):
        raise doc.fail(path, "must be none, previous-year, or {from: values, values: {borough: officers}, source: ...}")
    body = _keys(doc, path, raw, {"from", "total", "values", "source"}, "a baseline")
    kind = body.get("from")
    if kind == "previous-year":
        if "values" in body:
            raise doc.fail((*path, "values"), "a previous-year baseline takes no values")
        total = None if body.get("total") is None else _total(doc, (*path, "total"), body["total"])
        return "previous-year", (), "this formula on the indicators of the year before", total
    if kind != "values":
        raise doc.fail(
            (*path, "from") if "from" in body else path,
            "must be none, previous-year, or {from: values, values: {borough: officers}, source: ...}",
        )
    values = body.get("values")
    if not isinstance(values, dict) or not values:
        raise doc.fail((*path, "values"), "must be a mapping of borough: officers")
    out: dict[str, float] = {}
    for area, n in values.items():
        out[_borough(doc, (*path, "values", str(area)), area)] = _number(doc, (*path, "values", str(area)), n)
    missing = sorted(set(LONDON_BOROUGHS) - {_CITY} - set(out))
    if missing:
        raise doc.fail((*path, "values"), f"no baseline for {', '.join(LONDON_BOROUGHS[c] for c in missing[:5])}")
    return "values", tuple(sorted(out.items())), str(body.get("source") or "given in the formula file"), None


def _damping(doc: _Doc, raw: Any) -> Damping:
    path = ("damping",)
    body = _keys(doc, path, raw, _DAMPING, "damping")
    no_losers = body.get("no_losers", False)
    if not isinstance(no_losers, bool):
        raise doc.fail((*path, "no_losers"), "must be true or false")
    cap = body.get("cap")
    cap_value = None if cap is None else _number(doc, (*path, "cap"), cap, high=10.0)
    floors_raw = body.get("floors") or {}
    if not isinstance(floors_raw, dict):
        raise doc.fail((*path, "floors"), "must be a mapping of borough: officers")
    floors = {
        _borough(doc, (*path, "floors", str(a)), a): _number(doc, (*path, "floors", str(a)), v)
        for a, v in floors_raw.items()
    }
    return Damping(no_losers, cap_value, tuple(sorted(floors.items())))


def _adjustments(doc: _Doc, raw: Any, total: int) -> tuple[Adjustment, ...]:
    path = ("adjustments",)
    if not isinstance(raw, list):
        raise doc.fail(path, "must be a list of {area, officers, reason}")
    out = []
    for i, item in enumerate(raw):
        at = (*path, str(i))
        body = _keys(doc, at, item, _ADJUSTMENT, "an adjustment")
        for key in ("area", "officers", "reason"):
            if key not in body:
                raise doc.fail(at, f"no '{key}': each adjustment names its area, officers and reason")
        officers = body["officers"]
        if isinstance(officers, bool) or not isinstance(officers, int) or officers < 1:
            raise doc.fail((*at, "officers"), f"must be a whole number of officers, 1 or more, not {officers!r}")
        reason = str(body["reason"]).strip()
        if not reason:
            raise doc.fail((*at, "reason"), "give the reason for the adjustment")
        out.append(Adjustment(_borough(doc, (*at, "area"), body["area"]), officers, reason))
    if sum(a.officers for a in out) >= total:
        raise doc.fail(path, f"the adjustments take {sum(a.officers for a in out)} of the {total} officers: none left")
    return tuple(out)


# --- reading -------------------------------------------------------------------------------------------------


def formula_path(name: str) -> Path | None:
    """The file a formula option names: a built-in formula's package file, else the path as given (None: no file)."""
    if name in BUILT_IN:
        return Path(str(resources.files("metforward.questions").joinpath("formulas", BUILT_IN[name])))
    return Path(name)


def load_formula(name: str, known: Collection[str]) -> Formula:
    """The formula ``name`` names (a built-in name or a path), validated; read once per version of the file."""
    path = formula_path(name)
    assert path is not None
    try:
        stat = path.stat()
    except OSError as exc:
        raise FormulaFileError(
            name,
            None,
            "formula",
            f"cannot read the file ({exc.strerror}); give a formula file or one of {', '.join(BUILT_IN)}",
        ) from exc
    return _load(str(path), name, stat.st_mtime_ns, stat.st_size, tuple(sorted(known)))


@lru_cache(maxsize=16)
def _load(path: str, shown: str, _mtime: int, _size: int, known: tuple[str, ...]) -> Formula:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormulaFileError(shown, None, "formula", f"cannot read the file ({exc})") from exc
    return parse_formula(text, shown if shown in BUILT_IN else path, known)


def file_version(name: str | None) -> tuple[int, int] | None:
    """The modification time and size of a formula file (for caches of answers), None for none."""
    if not name:
        return None
    path = formula_path(name)
    try:
        stat = path.stat() if path else None
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size) if stat else None


# --- changes from the command line ------------------------------------------------------------------------


def parse_pairs(text: str, option: str) -> list[tuple[str, str]]:
    """``a=1,b=2`` (or one ``a=1``) as pairs; :class:`BadRequest` naming ``option`` for anything else."""
    pairs = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadRequest(
                f"{option}: {part!r} is not NAME=VALUE (e.g. {option} need.weight=0.4)", field=option.lstrip("-")
            )
        pairs.append((key.strip(), value.strip()))
    return pairs


def _float(option: str, key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"{option}: {key}={value!r} is not a number", field=option.lstrip("-")) from None
    if not math.isfinite(number) or number < 0:
        raise BadRequest(f"{option}: {key} must be a number of 0 or more, not {value}", field=option.lstrip("-"))
    return number


def with_settings(formula: Formula, settings: Mapping[str, str]) -> Formula:
    """``formula`` with ``--set`` keys applied: ``COMPONENT.weight``, ``COMPONENT.INDICATOR.weight``,
    ``COMPONENT.INDICATOR.transform``, ``damping.cap``, ``damping.no_losers``, ``method``, ``total``."""
    try:
        return _settings(formula, settings)
    except InvalidValueError as exc:  # the formula's own checks (weights summing to 0, ...): a usage error
        raise BadRequest(f"--set: {exc}", field="set") from exc


def _settings(formula: Formula, settings: Mapping[str, str]) -> Formula:
    option = "--set"
    for key, value in settings.items():
        parts = key.split(".")
        names = {c.name for c in formula.components}
        if key == "method":
            if value not in METHODS:
                raise BadRequest(f"{option}: method must be one of {', '.join(METHODS)}, not {value!r}", field="set")
            formula = replace(formula, method=value)
        elif key == "total":
            if not value.isdigit() or int(value) < 1:
                raise BadRequest(f"{option}: total must be a whole number of officers, not {value!r}", field="set")
            formula = replace(formula, total=int(value))
        elif parts[0] == "damping" and len(parts) == 2 and parts[1] == "cap":
            formula = replace(formula, damping=replace(formula.damping, cap=_float(option, key, value)))
        elif parts[0] == "damping" and len(parts) == 2 and parts[1] == "no_losers":
            if value.lower() not in ("true", "false"):
                raise BadRequest(f"{option}: damping.no_losers must be true or false, not {value!r}", field="set")
            formula = replace(formula, damping=replace(formula.damping, no_losers=value.lower() == "true"))
        elif parts[0] in names and len(parts) == 2 and parts[1] == "weight":
            w = _float(option, key, value)
            formula = replace(
                formula,
                components=tuple(
                    replace(c, weight=w, weight_range=None) if c.name == parts[0] else c for c in formula.components
                ),
            )
        elif parts[0] in names and len(parts) == 3 and parts[2] in ("weight", "transform"):
            comp = next(c for c in formula.components if c.name == parts[0])
            if parts[1] not in {t.indicator for t in comp.terms}:
                raise BadRequest(
                    f"{option}: component {parts[0]} has no indicator {parts[1]!r}; it has "
                    f"{', '.join(t.indicator for t in comp.terms)}",
                    field="set",
                )
            if parts[2] == "weight":
                w = _float(option, key, value)
                terms = tuple(
                    replace(t, weight=w, weight_range=None) if t.indicator == parts[1] else t for t in comp.terms
                )
            else:
                if value not in TRANSFORMS:
                    raise BadRequest(
                        f"{option}: transform must be one of {', '.join(TRANSFORMS)}, not {value!r}", field="set"
                    )
                terms = tuple(replace(t, transform=value) if t.indicator == parts[1] else t for t in comp.terms)
            formula = replace(
                formula,
                components=tuple(replace(c, terms=terms) if c.name == parts[0] else c for c in formula.components),
            )
        else:
            raise BadRequest(
                f"{option}: {key!r} is not a setting; give COMPONENT.weight, COMPONENT.INDICATOR.weight, "
                f"COMPONENT.INDICATOR.transform, damping.cap, damping.no_losers, method or total "
                f"(components: {', '.join(sorted(names))})",
                field="set",
            )
    return formula


def with_weights(formula: Formula, weights: Mapping[str, float]) -> Formula:
    """``formula`` with each named indicator's weight replaced wherever it is used (``--weights`` with a file)."""
    used = {t.indicator for _, t in formula.terms}
    unknown = sorted(set(weights) - used)
    if unknown:
        raise BadRequest(
            f"--weights: {unknown[0]!r} is not an indicator of this formula; it uses {', '.join(sorted(used))}",
            field="weights",
        )
    comps = tuple(
        replace(
            c,
            terms=tuple(
                replace(t, weight=weights[t.indicator], weight_range=None) if t.indicator in weights else t
                for t in c.terms
            ),
        )
        for c in formula.components
    )
    try:
        return replace(formula, components=comps)
    except InvalidValueError as exc:
        raise BadRequest(f"--weights: {exc}", field="weights") from exc


def weights_formula(weights: Mapping[str, float], total: int, known: Collection[str]) -> Formula:
    """The formula ``--weights`` alone asks for: one component, each indicator named as a share of London,
    weighted as given (``population=1``: population share)."""
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise BadRequest(
            f"--weights: {unknown[0]!r} is not an indicator; metforward reads {', '.join(sorted(known))}",
            field="weights",
        )
    if sum(weights.values()) <= 0:
        raise BadRequest("--weights: the weights sum to 0; give at least one a positive weight", field="weights")
    terms = tuple(Term(name, w) for name, w in weights.items())
    text = ", ".join(f"{k}={v:g}" for k, v in weights.items())
    return Formula(
        title=f"shares of {text}", total=total, components=(Component("formula", 1.0, terms),), source="--weights"
    )


def parse_weights(text: str) -> dict[str, float]:
    """``population=1,crime=1`` as a mapping (:class:`BadRequest` naming ``--weights`` for a bad pair)."""
    return {k: _float("--weights", k, v) for k, v in parse_pairs(text, "--weights")}


__all__ = [
    "BUILT_IN",
    "FormulaFileError",
    "file_version",
    "formula_path",
    "load_formula",
    "parse_formula",
    "parse_pairs",
    "parse_weights",
    "weights_formula",
    "with_settings",
    "with_weights",
]
