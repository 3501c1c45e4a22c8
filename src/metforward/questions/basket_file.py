"""A basket file (``docs/baskets.md``): read, checked, and the baskets built into metforward.

:func:`load_basket` reads a basket YAML file into a :class:`~metforward.analyse.basket.Basket`;
:class:`BasketFileError` lists every problem found, each naming the file, the line of the file and the
field (``lines[3] (murder).count.offence_type``). :func:`resolve_basket` takes what a face was given:
the name of a built-in basket (:data:`BUILT_IN`: ``results-so-far``, the seeds' eleven-line table and
London's default; ``youth-violence``) or the path of a basket file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from metforward.analyse.basket import DASHBOARD_MEASURES, HOMICIDE_FIELDS, SOURCES, Basket, Line, Part
from metforward.errors import BadRequest

_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
#: The baskets built into metforward (``questions/basket_files/NAME.yaml``), by name.
BUILT_IN = ("results-so-far", "youth-violence")
#: London's default headline table.
DEFAULT = "results-so-far"
_PART_KEYS = {
    "datastore": {"source", "major", "minor", "kind"},
    "police-uk": {"source", "category", "force"},
    "dashboard": {"source", "crime_type", "subtype", "measure"},
    "homicide": {"source", *HOMICIDE_FIELDS},
}


class BasketFileError(BadRequest):
    """The basket file is not valid; ``problems`` lists every fault, each naming its line and field. The file
    cannot be used: a usage error (exit status 2), HTTP 422."""

    code = "basket_file"

    def __init__(self, path: str, problems: list[str]) -> None:
        shown = problems[:5] + ([f"... and {len(problems) - 5} more"] if len(problems) > 5 else [])
        super().__init__(f"{path} is not a valid basket file (docs/baskets.md): " + "; ".join(shown), field="basket")
        self.path = path
        self.problems = problems


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers the line of itself and of each key (1-based)."""

    line = 0
    lines: dict[Any, int]


def _loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Mapping:
        loader.flatten_mapping(node)
        out = _Mapping()
        out.line = node.start_mark.line + 1
        out.lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[key] = loader.construct_object(value_node, deep=True)
            out.lines[key] = key_node.start_mark.line + 1
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def builtin_path(name: str) -> Path:
    """The file of the built-in basket ``name``."""
    return Path(str(resources.files("metforward.questions").joinpath("basket_files", f"{name}.yaml")))


def resolve_basket(text: str) -> Basket:
    """The basket ``text`` names: a built-in name (:data:`BUILT_IN`) or the path of a basket file."""
    if text in BUILT_IN:
        return load_basket(builtin_path(text), origin=text)
    return load_basket(Path(text))


def basket_version(text: str | None) -> tuple[str, int, int] | None:
    """The version of the basket file ``text`` names (path, modification time, size), for answer caches."""
    if not text or text in BUILT_IN:
        return None
    try:
        stat = Path(text).stat()
    except OSError:
        return None
    return (text, stat.st_mtime_ns, stat.st_size)


def load_basket(path: Path, *, origin: str | None = None) -> Basket:
    """Read and check a basket file; :class:`BasketFileError` lists every problem with its line and field.

    Parsed once per version of the file (path, modification time, size).
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise BasketFileError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from exc
    return _load(str(path), stat.st_mtime_ns, stat.st_size, origin or str(path))


@lru_cache(maxsize=16)
def _load(path: str, _mtime_ns: int, _size: int, origin: str) -> Basket:
    import yaml

    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_loader())  # noqa: S506 (a SafeLoader)
    except OSError as exc:
        raise BasketFileError(path, [f"cannot read the file: {exc}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise BasketFileError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from exc
    return parse_basket(data, path, origin=origin)


def parse_basket(data: object, source: str = "<basket>", *, origin: str | None = None) -> Basket:
    """Check a parsed basket document (mappings with line numbers, as :func:`load_basket` parses them)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise BasketFileError(source, ["line 1: the file must be a mapping with 'version', 'title' and 'lines'"])

    def at(mapping: object, key: object = None) -> str:
        lines = getattr(mapping, "lines", {})
        line = lines.get(key) if key is not None else None
        line = line or getattr(mapping, "line", 0)
        return f"line {line}, " if line else ""

    if data.get("version") != 1:
        problems.append(f"{at(data, 'version')}version: must be 1")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{at(data, 'title')}title: give the table's title (text)")
        title = ""
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append(f"{at(data, 'lines')}lines: must be a non-empty list of lines")
        raw_lines = []
    unknown = sorted(str(k) for k in data if k not in ("version", "title", "lines", "description"))
    for key in unknown:
        problems.append(f"{at(data, key)}{key}: not a basket key (version, title, description, lines)")
    lines: list[Line] = []
    seen: dict[str, Line] = {}
    titles: set[str] = set()
    for index, raw in enumerate(raw_lines):
        name = raw.get("id") if isinstance(raw, dict) else None
        where = f"lines[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(raw, dict):
            problems.append(f"{at(data, 'lines')}{where}: must be a mapping with id, title and count")
            continue
        before = len(problems)
        if not isinstance(name, str) or not _ID.match(name):
            problems.append(f"{at(raw, 'id')}{where}.id: a word of letters, digits, '-', '_' or '.'")
        elif name in seen:
            problems.append(f"{at(raw, 'id')}{where}.id: {name!r} is used twice")
        line_title = raw.get("title", name)
        if not isinstance(line_title, str) or not line_title.strip():
            problems.append(f"{at(raw, 'title')}{where}.title: give the line's title (text)")
        elif line_title in titles:
            problems.append(f"{at(raw, 'title')}{where}.title: {line_title!r} is used twice")
        caveat = raw.get("caveat", "")
        if not isinstance(caveat, str):
            problems.append(f"{at(raw, 'caveat')}{where}.caveat: must be text")
        for key in sorted(str(k) for k in raw if k not in ("id", "title", "count", "caveat")):
            problems.append(f"{at(raw, key)}{where}.{key}: not a line key (id, title, count, caveat)")
        if "count" not in raw:
            problems.append(f"{at(raw)}{where}.count: every line needs a count (a source, or sum: [...])")
            continue
        parts = _count(raw["count"], raw, f"{where}.count", seen, problems, at)
        if len(problems) > before or not isinstance(name, str):
            continue
        line = Line(name, str(line_title).strip(), tuple(parts), str(caveat).strip())
        seen[name] = line
        titles.add(line.title)
        lines.append(line)
    if problems:
        raise BasketFileError(source, problems)
    return Basket(str(title).strip(), tuple(lines), origin or source)


def _count(raw: object, parent: object, where: str, seen: dict[str, Line], problems: list[str], at: Any) -> list[Part]:
    if isinstance(raw, dict) and "sum" in raw:
        extra = sorted(str(k) for k in raw if k != "sum")
        if extra:
            problems.append(f"{at(raw, extra[0])}{where}: a sum has only 'sum' (a list of sources or lines)")
        items = raw["sum"]
        if not isinstance(items, list) or not items:
            problems.append(f"{at(raw, 'sum')}{where}.sum: must be a non-empty list of sources or lines")
            return []
        parts: list[Part] = []
        for i, item in enumerate(items):
            parts += _count(item, raw, f"{where}.sum[{i}]", seen, problems, at)
        return parts
    if isinstance(raw, dict) and "line" in raw:
        key = raw["line"]
        if len(raw) != 1:
            problems.append(f"{at(raw)}{where}: a line reference has only 'line' (an earlier line's id)")
        if not isinstance(key, str) or key not in seen:
            earlier = ", ".join(seen) or "none"
            problems.append(f"{at(raw, 'line')}{where}.line: {key!r} is not an earlier line's id (earlier: {earlier})")
            return []
        return list(seen[key].parts)
    if not isinstance(raw, dict):
        problems.append(f"{at(parent, 'count')}{where}: must be a source mapping ({{source: ...}}) or sum: [...]")
        return []
    source = raw.get("source")
    if source not in SOURCES:
        problems.append(f"{at(raw, 'source')}{where}.source: must be one of {', '.join(SOURCES)}, not {source!r}")
        return []
    for key in sorted(str(k) for k in raw if k not in _PART_KEYS[str(source)]):
        allowed = ", ".join(sorted(_PART_KEYS[str(source)]))
        problems.append(f"{at(raw, key)}{where}.{key}: not a key of a {source} count ({allowed})")
    before = len(problems)

    def names(key: str) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str | int) and str(v).strip() for v in values):
            problems.append(f"{at(raw, key)}{where}.{key}: give a name or a list of names")
            return ()
        return tuple(str(v).strip() for v in values)

    def text(key: str, *, required: bool = True) -> str:
        value = raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{at(raw, key)}{where}.{key}: give the dashboard's {key.replace('_', ' ')} (text)")
            return ""
        return value.strip()

    if source == "datastore":
        kind = raw.get("kind")
        if kind is not None and (not isinstance(kind, str) or not kind.startswith("datastore-")):
            problems.append(f"{at(raw, 'kind')}{where}.kind: a Datastore file kind, e.g. datastore-borough")
        part = Part(
            "datastore", major=names("major"), minor=names("minor"), kind=kind if isinstance(kind, str) else None
        )
    elif source == "police-uk":
        force = raw.get("force")
        part = Part("police-uk", category=names("category"), force=str(force) if force else None)
    elif source == "dashboard":
        measure = raw.get("measure", "Offences")
        if measure not in DASHBOARD_MEASURES:
            problems.append(f"{at(raw, 'measure')}{where}.measure: one of {', '.join(DASHBOARD_MEASURES)}")
        part = Part("dashboard", crime_type=text("crime_type"), subtype=text("subtype"), measure=str(measure))
    else:
        part = Part("homicide", filters=tuple((k, names(k)) for k in HOMICIDE_FIELDS if k in raw))
    return [] if len(problems) > before else [part]


__all__ = [
    "BUILT_IN",
    "DEFAULT",
    "BasketFileError",
    "basket_version",
    "builtin_path",
    "load_basket",
    "parse_basket",
    "resolve_basket",
]
