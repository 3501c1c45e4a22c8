"""The source catalogue: every source metforward's readers understand (``catalogue.toml`` beside this file).

Each ``[[source]]`` has:

``id``
    the name ``fetch`` and ``sources`` use (``datastore-borough``);
``title``, ``publisher``, ``landing``
    what it is, who publishes it, and the page a person reads about it;
``urls``
    the download URL(s). For ``datastore`` sources the first is a fallback: the current link is
    read from the London Datastore's CKAN API (``dataset``, the dataset's id, and ``resource``, a
    regular expression matched against its resources' names, newest first);
``file``
    the name of the downloaded file in the cache (``cache/<id>/<file>``);
``method``
    how ``fetch`` gets it: ``policeuk`` (the data.police.uk archives, by force and month),
    ``datastore`` (resolved as above, then downloaded), ``http`` (the URL as it is) or ``manual``
    (no file a reader can read is published: the ``note`` says what to save before ``ingest``);
``formats``
    the reader kinds that read it (``metforward formats``), and ``loads``, the ``loads.kind`` of
    what it loads;
``keeps_current``
    load kinds this source keeps current: ``refresh`` fetches it for a store holding such loads
    that came from no catalogue file (at most one source per kind);
``areas``
    ``london`` and/or ``england-wales``: what ``fetch --all --area`` takes;
``licence``, ``attribution``
    the licence and the words every output showing the data must carry;
``cadence``
    how often the publisher updates it;
``version``
    how a new version is told: ``new-month`` (data.police.uk's API lists a newer month),
    ``etag`` or ``last-modified`` (a conditional GET answers 304 while the file is unchanged),
    ``file-name-date`` (each release is a new file named for its date), ``checksum`` (the server
    gives no validator: the file is downloaded and its SHA-256 compared) or ``none`` (archived);
``corpus``
    copies of the source in the shared test corpus (``../shared/data``), read by ``formats``;
``note``
    anything else a user needs.
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from metforward.errors import BadRequest, MetforwardError

METHODS = ("policeuk", "datastore", "http", "manual")
VERSION_RULES = ("new-month", "etag", "last-modified", "file-name-date", "checksum", "none")
AREAS = ("london", "england-wales")
#: The CKAN API of the London Datastore (``package_show?id=<dataset>`` lists a dataset's resources).
DATASTORE_API = "https://data.london.gov.uk/api/action/package_show?id={dataset}"
#: ``--base-url`` from the environment: every source fetched from this server instead of its publisher.
BASE_URL_ENV = "METFORWARD_SOURCES_BASE_URL"

_KEYS = {
    "id",
    "title",
    "publisher",
    "landing",
    "urls",
    "file",
    "method",
    "dataset",
    "resource",
    "formats",
    "loads",
    "keeps_current",
    "areas",
    "licence",
    "attribution",
    "cadence",
    "version",
    "corpus",
    "note",
}
_REQUIRED = _KEYS - {"file", "dataset", "resource", "keeps_current", "note"}


class CatalogueError(MetforwardError):
    """The catalogue file is malformed (a bug in metforward's package data)."""

    code = "catalogue"


@dataclass(frozen=True)
class Source:
    """One catalogue entry (see the module's docstring for each field)."""

    id: str
    title: str
    publisher: str
    landing: str
    urls: tuple[str, ...]
    method: str
    formats: tuple[str, ...]
    loads: tuple[str, ...]
    areas: tuple[str, ...]
    licence: str
    attribution: str
    cadence: str
    version: str
    corpus: tuple[str, ...]
    file: str | None = None
    dataset: str | None = None
    resource: str | None = None
    keeps_current: tuple[str, ...] = ()
    note: str | None = None
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    @property
    def fetchable(self) -> bool:
        """Whether ``fetch`` can download it by name (not police.uk, which takes a force and months)."""
        return self.method in ("datastore", "http")

    @property
    def api_url(self) -> str | None:
        """The CKAN API request listing this Datastore source's resources."""
        return DATASTORE_API.format(dataset=urllib.parse.quote(self.dataset)) if self.dataset else None

    def matches_resource(self, name: str) -> bool:
        """Whether a Datastore resource name is this source's file."""
        return self._pattern is not None and self._pattern.search(name) is not None

    def as_dict(self) -> dict[str, object]:
        """The JSON form (``metforward sources --json``)."""
        out: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "landing": self.landing,
            "urls": list(self.urls),
            "file": self.file,
            "method": self.method,
            "dataset": self.dataset,
            "resource": self.resource,
            "formats": list(self.formats),
            "loads": list(self.loads),
            "keeps_current": list(self.keeps_current),
            "areas": list(self.areas),
            "licence": self.licence,
            "attribution": self.attribution,
            "cadence": self.cadence,
            "version": self.version,
            "note": self.note,
        }
        return out


def _tuple(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogueError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _source(entry: dict[str, Any], index: int) -> Source:
    where = f"catalogue.toml source {index + 1} ({entry.get('id', '?')})"
    unknown = set(entry) - _KEYS
    missing = _REQUIRED - set(entry)
    if unknown or missing:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    text = {k: entry[k] for k in _KEYS if k in entry and isinstance(entry[k], str)}
    method, version = text.get("method", ""), text.get("version", "")
    if method not in METHODS or version not in VERSION_RULES:
        raise CatalogueError(
            f"{where}: method {method!r} or version {version!r} is not one of {METHODS}/{VERSION_RULES}"
        )
    areas = _tuple(entry, "areas", where)
    if not areas or set(areas) - set(AREAS):
        raise CatalogueError(f"{where}: areas must be some of {AREAS}")
    urls = _tuple(entry, "urls", where)
    if method == "http" and not urls:
        raise CatalogueError(f"{where}: an http source needs a URL")
    if method in ("http", "datastore") and not text.get("file"):
        raise CatalogueError(f"{where}: a downloaded source needs a file name")
    if method == "manual" and not text.get("note"):
        raise CatalogueError(f"{where}: a manual source needs a note saying what to save")
    if method == "datastore" and not (text.get("dataset") and text.get("resource")):
        raise CatalogueError(f"{where}: a datastore source needs dataset and resource")
    pattern = re.compile(text["resource"], re.IGNORECASE) if "resource" in text else None
    return Source(
        id=text["id"],
        title=text["title"],
        publisher=text["publisher"],
        landing=text["landing"],
        urls=urls,
        method=method,
        formats=_tuple(entry, "formats", where),
        loads=_tuple(entry, "loads", where),
        areas=areas,
        licence=text["licence"],
        attribution=text["attribution"],
        cadence=text["cadence"],
        version=version,
        corpus=_tuple(entry, "corpus", where),
        file=text.get("file"),
        dataset=text.get("dataset"),
        resource=text.get("resource"),
        keeps_current=_tuple(entry, "keeps_current", where),
        note=text.get("note"),
        _pattern=pattern,
    )


@cache
def catalogue() -> tuple[Source, ...]:
    """Every source, in the catalogue's order."""
    raw = tomllib.loads(resources.files("metforward.ingest").joinpath("catalogue.toml").read_text(encoding="utf-8"))
    entries = raw.get("source")
    if not isinstance(entries, list):
        raise CatalogueError("catalogue.toml has no [[source]] entries")
    found = tuple(_source(entry, i) for i, entry in enumerate(entries))
    ids = [s.id for s in found]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"catalogue.toml repeats a source id: {sorted({i for i in ids if ids.count(i) > 1})}")
    owners: dict[str, str] = {}
    for s in found:
        for kind in s.keeps_current:
            if kind in owners:
                raise CatalogueError(f"catalogue.toml: {owners[kind]} and {s.id} both keep {kind} current")
            owners[kind] = s.id
    return found


def source(name: str) -> Source:
    """The source called ``name``; a :class:`BadRequest` naming the closest ids otherwise."""
    for s in catalogue():
        if s.id == name:
            return s
    import difflib

    ids = [s.id for s in catalogue()]
    close = difflib.get_close_matches(name, ids, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise BadRequest(
        f"no source {name!r} in the catalogue{hint} (run 'metforward sources' to list them)", field="sources"
    )


def keeper(kind: str) -> Source | None:
    """The source that keeps loads of ``kind`` current, if any."""
    return next((s for s in catalogue() if kind in s.keeps_current), None)


def rebase(url: str, base: str | None) -> str:
    """``url`` with its scheme and host replaced by ``base``'s (path and query kept); ``url`` when no base.

    ``base`` may carry a path prefix (``http://mirror/metforward``), put before the URL's path.
    """
    if not base:
        return url
    parts = urllib.parse.urlsplit(url)
    new = urllib.parse.urlsplit(base.rstrip("/"))
    return urllib.parse.urlunsplit((new.scheme, new.netloc, new.path + parts.path, parts.query, ""))
