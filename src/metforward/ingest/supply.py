"""Fetching catalogue sources: find the current file, download it into the cache, check it, ingest it.

A source's file goes to ``<cache>/<source id>/<file>`` through :func:`metforward.ingest.download.download`
(resumable, SHA-256 checked, a conditional GET when a copy is cached), is checked to be of a format
the catalogue says reads it (a publisher that changed its file is a clear error, not a bad load),
and is ingested as ``metforward ingest`` would, so its checksum is recorded in ``loads``. London
Datastore sources are resolved through the Datastore's CKAN API first (its download links change
when a file is replaced); when the API cannot be read, the catalogue's link is used with a warning.

``base_url`` (``--base-url`` / ``METFORWARD_SOURCES_BASE_URL``) fetches every source from another
server, keeping each URL's path: a mirror, or a loopback server in the tests.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import urllib.parse
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from metforward.errors import FetchError, InputFileError
from metforward.ingest.catalogue import Source, catalogue, rebase
from metforward.ingest.download import ByteProgress, Download, download, get_json
from metforward.ingest.fetch import (
    DEFAULT_BASE_URL,
    DEFAULT_CACHE,
    FetchPlan,
    FetchProgress,
    FetchSummary,
    available_months,
    fetch,
)
from metforward.ingest.forcelist import ARCHIVE_ONLY, force_list
from metforward.ingest.pipeline import IngestSummary, detect, ingest_paths, load_built_in
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import GZIP_MAGIC, InputData, InputFile
from metforward.store.database import Database

logger = logging.getLogger(__name__)

#: The area ``fetch --all`` takes when not told.
DEFAULT_AREA = "london"
#: police.uk forces ``fetch --all --area london`` takes (British Transport Police polices the railways there).
AREA_FORCES: dict[str, tuple[str, ...]] = {"london": ("metropolitan", "city-of-london", "btp")}
_HEAD_BYTES = 1 << 16


class Unchanged(Protocol):
    """What a caller knows of a source's files already loaded (for ``refresh``): their SHA-256s."""

    def __call__(self, source: Source) -> frozenset[str] | None: ...


@dataclass(frozen=True)
class SourceResult:
    """What became of one source: ``downloaded``, ``unchanged`` (the server's copy is the one loaded),
    ``cached`` (not downloaded again; loaded again), ``manual``, or ``failed``."""

    source: str
    state: str
    url: str | None = None
    download: Download | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "source": self.source,
            "state": self.state,
            "url": self.url,
            "download": self.download.as_dict() if self.download else None,
            "message": self.message,
        }


@dataclass
class SupplySummary(IngestSummary):
    """An ingest summary with what happened to each source, the police.uk plans and every download."""

    sources: list[SourceResult] = field(default_factory=list)
    plans: list[FetchPlan] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)

    @property
    def failed(self) -> list[SourceResult]:
        """The sources that could not be fetched."""
        return [r for r in self.sources if r.state == "failed"]

    @property
    def ok(self) -> bool:
        """True when every source was fetched and every file loaded."""
        return super().ok and not self.failed

    @property
    def transferred(self) -> int:
        """Bytes downloaded by this run."""
        return sum(d.transferred for d in self.downloads)

    def add(self, other: IngestSummary) -> None:
        """Take in the files, built-in reference loads, skips and warnings of another summary (and a police.uk fetch's plan and downloads)."""
        self.files.extend(other.files)
        self.built_in.extend(other.built_in)
        self.skipped.extend(other.skipped)
        self.warnings.extend(other.warnings)
        if isinstance(other, FetchSummary):
            if other.plan is not None:
                self.plans.append(other.plan)
            self.downloads.extend(other.downloads)

    def as_dict(self) -> dict[str, object]:
        """The JSON form of ``ingest --json`` plus ``sources``, ``plans``, ``downloads`` and ``bytes_downloaded``."""
        out = super().as_dict()
        out["sources"] = [r.as_dict() for r in self.sources]
        out["plans"] = [p.as_dict() for p in self.plans]
        out["downloads"] = [d.as_dict() for d in self.downloads]
        out["bytes_downloaded"] = self.transferred
        if self.failed and "error" not in out:
            first = self.failed[0]
            more = f" (and {len(self.failed) - 1} more: see sources[].message)" if len(self.failed) > 1 else ""
            out["error"] = {"code": "fetch", "message": f"{first.source}: {first.message}{more}"}
        return out


# -- finding the file -----------------------------------------------------------------------------


def resources_of(body: Any) -> list[dict[str, Any]]:
    """A dataset's resources from a CKAN ``package_show`` answer (or the Datastore's own ``resources`` map)."""
    found: Any = body
    if isinstance(found, dict) and isinstance(found.get("result"), dict):
        found = found["result"]
    if isinstance(found, dict):
        found = found.get("resources")
    if isinstance(found, dict):
        found = list(found.values())
    return (
        [r for r in found if isinstance(r, dict) and isinstance(r.get("url"), str)] if isinstance(found, list) else []
    )


def _safe_url(url: str) -> str:
    """``url`` with spaces and other characters a request line cannot carry percent-encoded (escapes kept)."""
    return urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _resource_name(resource: Mapping[str, Any]) -> str:
    for key in ("name", "title"):
        if isinstance(resource.get(key), str) and resource[key]:
            return str(resource[key])
    return urllib.parse.unquote(urllib.parse.urlsplit(str(resource["url"])).path.rsplit("/", 1)[-1])


def resolve(source: Source, base_url: str | None = None, warnings: list[str] | None = None) -> str:
    """The URL to download ``source`` from now (after ``base_url``, if given).

    Raises :class:`FetchError` for a source ``fetch`` cannot download (police.uk takes a force and
    months; a manual source names what to save), or a Datastore source neither the API nor the
    catalogue can place.
    """
    if source.method == "policeuk":
        raise FetchError(f"{source.id} is fetched by force and months: fetch --force FORCE --from YYYY-MM --to YYYY-MM")
    if source.method == "manual":
        raise FetchError(
            f"{source.id} cannot be downloaded as a file metforward reads: {source.note or ''} "
            f"(see {source.landing}; then metforward ingest FILE)"
        )
    if source.method == "http":
        return rebase(source.urls[0], base_url)
    api = rebase(source.api_url or "", base_url)
    why: str
    try:
        listed = resources_of(get_json(api, retries=1))
    except FetchError as exc:
        why = f"the London Datastore API did not answer ({exc})"
    else:
        for resource in listed:  # CKAN lists a dataset's resources newest first
            if source.matches_resource(_resource_name(resource)):
                return rebase(_safe_url(str(resource["url"])), base_url)
        names = ", ".join(sorted({_resource_name(r) for r in listed})) or "none"
        why = f"{api} lists no file matching {source.resource!r} (files: {names})"
    if not source.urls:
        raise FetchError(f"{source.id}: {why}; download it from {source.landing}, then metforward ingest FILE")
    if warnings is not None:
        warnings.append(f"{source.id}: {why}; using the catalogue's link {source.urls[0]}")
    return rebase(source.urls[0], base_url)


def cache_path(cache_dir: Path, source: Source) -> Path:
    """Where ``source``'s file is kept in the cache."""
    return cache_dir / source.id / (source.file or f"{source.id}.dat")


def from_source(path: str) -> Source | None:
    """The catalogue source a loaded file was fetched as (by its place in a cache), if any."""
    where = Path(path)
    return next((s for s in catalogue() if s.file and where.name == s.file and where.parent.name == s.id), None)


def check_format(path: Path, source: Source, url: str) -> None:
    """Raise :class:`FetchError` unless a reader of ``source.formats`` recognises the file (its first 64 KB)."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head[:2] == GZIP_MAGIC:
        try:
            with gzip.open(path) as stream:
                head = stream.read(_HEAD_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise FetchError(f"{source.id}: {url} sent a corrupt gzip file ({exc})") from exc
    try:
        kind = detect(InputData(InputFile(path), head, "", len(head)))[0].kind
    except InputFileError as exc:
        kind, detail = None, exc.message
    else:
        detail = f"it reads as {kind}"
    if kind not in source.formats:
        raise FetchError(
            f"{source.id}: the file {url} sent is not {' or '.join(source.formats)} ({detail}); the publisher may "
            f"have changed it: see {source.landing}"
        )


# -- fetching -------------------------------------------------------------------------------------


def _named(progress: FetchProgress | None, name: str) -> ByteProgress | None:
    return (lambda done, total: progress.transfer(name, done, total)) if progress is not None else None


def fetch_sources(
    db: Database,
    sources: Sequence[Source],
    *,
    base_url: str | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    progress: FetchProgress | None = None,
    options: ReadOptions | None = None,
    retries: int = 3,
    loaded: Unchanged | None = None,
    built_in_reference: bool = False,
) -> SupplySummary:
    """Download every source (each failure recorded, the others go on), then ingest what was downloaded.

    ``loaded`` (``refresh``) gives the SHA-256s of a source's files already loaded: a file whose
    checksum is among them is not ingested again. Without it every file is ingested (as
    ``ingest`` would: a Datastore table or reference file replaces the earlier load of its kind).
    ``built_in_reference``: as for :func:`~metforward.ingest.pipeline.ingest_paths` (see :func:`complete`).
    """
    summary = SupplySummary()
    paths: list[Path] = []
    for source in sources:
        try:
            url = resolve(source, base_url, summary.warnings)
        except FetchError as exc:
            state = "manual" if source.method == "manual" else "failed"
            summary.sources.append(SourceResult(source.id, state, message=str(exc)))
            continue

        def verify(path: Path, source: Source = source, url: str = url) -> None:
            check_format(path, source, url)

        try:
            got = download(
                url, cache_path(cache_dir, source), progress=_named(progress, source.id), verify=verify, retries=retries
            )
        except FetchError as exc:
            summary.sources.append(SourceResult(source.id, "failed", url, message=str(exc)))
            continue
        summary.downloads.append(got)
        known = loaded(source) if loaded is not None else None
        if known is not None and got.sha256 in known:
            summary.sources.append(SourceResult(source.id, "unchanged", url, got, "the file loaded is current"))
            continue
        state = "cached" if got.from_cache else "downloaded"
        summary.sources.append(SourceResult(source.id, state, url, got))
        paths.append(got.path)
    if paths:
        summary.add(
            ingest_paths(
                db, paths, options or ReadOptions(), progress=progress.ingested if progress is not None else None
            )
        )
    return complete(db, summary, built_in_reference=built_in_reference)


def complete(db: Database, summary: SupplySummary, *, built_in_reference: bool) -> SupplySummary:
    """End a supply run: with ``built_in_reference`` (what ``fetch`` and ``refresh`` do), when the run
    loaded a file, load the built-in reference data the store still lacks
    (:func:`~metforward.ingest.pipeline.load_built_in`), after every source of the run, so a
    lookup or boundary file fetched in the same run is never shadowed by the built-in one."""
    if built_in_reference and any(f.load_id is not None for f in summary.files):
        summary.built_in.extend(load_built_in(db))
    return summary


def newest_month(base_url: str) -> dt.date:
    """The newest month data.police.uk lists."""
    return dt.date.fromisoformat(available_months(base_url)[0][-1] + "-01")


def fetch_police(
    db: Database,
    forces: Iterable[str],
    first: dt.date,
    last: dt.date,
    kinds: Sequence[str],
    *,
    base_url: str | None,
    cache_dir: Path,
    progress: FetchProgress | None,
    options: ReadOptions | None,
    summary: SupplySummary,
) -> None:
    """police.uk files of several forces into ``summary``: a force that fails is recorded and the others go on."""
    police = (base_url or DEFAULT_BASE_URL).rstrip("/")
    for force in forces:
        try:
            got = fetch(db, police, force, first, last, kinds, cache_dir, progress, options=options)
        except FetchError as exc:
            summary.sources.append(SourceResult(f"policeuk:{force}", "failed", police, message=str(exc)))
            continue
        summary.add(got)
        state = "downloaded" if any(not d.from_cache for d in got.downloads) else "cached"
        summary.sources.append(SourceResult(f"policeuk:{force}", state, police))


def area_sources(area: str) -> list[Source]:
    """The catalogue's sources of ``area`` (police.uk excluded: it is fetched by force)."""
    return [s for s in catalogue() if area in s.areas and s.method != "policeuk"]


def area_forces(area: str, base_url: str | None, cache_dir: Path) -> list[str]:
    """The police.uk forces of ``area``: London's three, or every force for England and Wales."""
    if area in AREA_FORCES:
        return list(AREA_FORCES[area])
    listed = force_list((base_url or DEFAULT_BASE_URL).rstrip("/"), cache_dir)
    return sorted({*listed.forces, *ARCHIVE_ONLY} - {"northern-ireland"})


def fetch_all(
    db: Database,
    area: str,
    *,
    base_url: str | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    months: tuple[dt.date, dt.date] | None = None,
    kinds: Sequence[str] = ("street", "outcomes", "stop-and-search"),
    progress: FetchProgress | None = None,
    options: ReadOptions | None = None,
    built_in_reference: bool = False,
) -> SupplySummary:
    """Every catalogue source of ``area`` (manual ones reported), then police.uk for the area's forces.

    police.uk months are ``months`` (first, last) or the newest month data.police.uk lists.
    ``built_in_reference``: see :func:`complete`.
    """
    summary = fetch_sources(
        db, area_sources(area), base_url=base_url, cache_dir=cache_dir, progress=progress, options=options
    )
    try:
        if months is None:
            newest = newest_month((base_url or DEFAULT_BASE_URL).rstrip("/"))
            months = (newest, newest)
        forces = area_forces(area, base_url, cache_dir)
    except FetchError as exc:
        summary.sources.append(SourceResult("policeuk", "failed", message=str(exc)))
        return complete(db, summary, built_in_reference=built_in_reference)
    fetch_police(
        db,
        forces,
        *months,
        kinds,
        base_url=base_url,
        cache_dir=cache_dir,
        progress=progress,
        options=options,
        summary=summary,
    )
    return complete(db, summary, built_in_reference=built_in_reference)
