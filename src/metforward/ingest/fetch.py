"""Downloading police.uk data from data.police.uk, resumably and with checksums, then ingesting it.

How data.police.uk publishes (data.police.uk/about, data.police.uk/docs):

* ``GET /api/crimes-street-dates`` lists the months the API holds, newest first, each with the
  forces that published stop-and-search data that month (the API keeps about 36 months);
* ``GET /api/forces`` lists the force ids (:mod:`metforward.ingest.forcelist` caches it);
* ``/data/archive/YYYY-MM.zip`` holds the 36 months up to YYYY-MM for every force, as members
  ``YYYY-MM/YYYY-MM-<force>-street.csv``, ``-outcomes.csv`` and ``-stop-and-search.csv``.

A fetch checks the force and months against the API, picks the newest archive that holds the
months asked for (several archives when the range is wider than 36 months), downloads it into a
cache folder and ingests only the members of that force, those kinds and those months.

Downloads are resumable and cached with checksums (:mod:`metforward.ingest.download`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from metforward.domain.forces import parse_file_name
from metforward.domain.periods import add_months, month_range, month_text, parse_month
from metforward.errors import FetchError
from metforward.ingest.download import (
    CHUNK,
    ByteProgress,
    Download,
    download,
    get_json,
)
from metforward.ingest.forcelist import resolve_force
from metforward.ingest.pipeline import FileResult, IngestSummary, ingest_paths
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import InputFile
from metforward.store.database import Database

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.police.uk"
DEFAULT_CACHE = Path(".metforward-cache")
KINDS = ("street", "outcomes", "stop-and-search")
#: Months in one data.police.uk archive: ``YYYY-MM.zip`` holds YYYY-MM and the 35 months before it.
ARCHIVE_MONTHS = 36


class FetchProgress(Protocol):
    """What a fetch reports while it runs (the command line draws it as progress bars)."""

    def transfer(self, name: str, done: int, total: int | None) -> None:
        """``done`` bytes of the archive ``name`` are on disk, of ``total``."""

    def ingested(self, source: InputFile, result: FileResult) -> None:
        """One archive member was ingested (or failed to)."""


@dataclass(frozen=True)
class ArchivePlan:
    """One archive to download and the months to take from it."""

    month: str
    url: str
    months: tuple[str, ...]

    @property
    def file_name(self) -> str:
        """The archive's name in the cache folder."""
        return f"{self.month}.zip"


@dataclass(frozen=True)
class FetchPlan:
    """What a fetch will download and load, and what the API said about it."""

    base_url: str
    force: str
    kinds: tuple[str, ...]
    months: tuple[str, ...]
    archives: tuple[ArchivePlan, ...]
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "force": self.force,
            "kinds": list(self.kinds),
            "months": list(self.months),
            "archives": [{"url": a.url, "months": list(a.months)} for a in self.archives],
        }


@dataclass
class FetchSummary(IngestSummary):
    """An ingest summary with the plan and the downloads behind it."""

    plan: FetchPlan | None = None
    downloads: list[Download] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The JSON form of ``ingest --json`` plus ``plan`` and ``downloads``."""
        out = super().as_dict()
        out["plan"] = self.plan.as_dict() if self.plan else None
        out["downloads"] = [d.as_dict() for d in self.downloads]
        return out


def available_months(base_url: str) -> tuple[list[str], dict[str, frozenset[str]]]:
    """The months ``/api/crimes-street-dates`` lists (oldest first) and the stop-and-search forces of each."""
    url = f"{base_url.rstrip('/')}/api/crimes-street-dates"
    body = get_json(url)
    searches: dict[str, frozenset[str]] = {}
    if isinstance(body, list):
        for entry in body:
            if isinstance(entry, dict) and isinstance(entry.get("date"), str):
                forces = entry.get("stop-and-search")
                searches[entry["date"]] = frozenset(forces if isinstance(forces, list) else ())
    if not searches:
        raise FetchError(f"{url} lists no months (expected a list of {{'date': 'YYYY-MM', ...}})")
    return sorted(searches), searches


# -- planning -----------------------------------------------------------------------------------------


def spans(months: Iterable[str]) -> str:
    """Months as readable runs: ``2024-01 to 2024-03, 2024-06``."""
    ordered = sorted(set(months))
    runs: list[list[str]] = []
    for m in ordered:
        if runs and month_text(add_months(parse_month(runs[-1][-1]), 1)) == m:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs)


def choose_archives(base_url: str, asked: Sequence[str], newest: str) -> tuple[ArchivePlan, ...]:
    """The fewest archives that hold ``asked``, each the newest that can (newer archives hold newer snapshots).

    An archive month A holds A-35 .. A. With k = ceil(months left / 36) archives still to choose,
    the next one is the newest A <= ``newest`` with A-35 <= the first month left plus 36(k-1).
    """
    base = base_url.rstrip("/")
    latest = parse_month(newest)
    remaining = sorted(set(asked))
    chosen: list[ArchivePlan] = []
    while remaining:
        first = parse_month(remaining[0])
        span = (parse_month(remaining[-1]).year - first.year) * 12 + parse_month(remaining[-1]).month - first.month + 1
        needed = math.ceil(span / ARCHIVE_MONTHS)
        archive = min(latest, add_months(first, ARCHIVE_MONTHS * needed - 1))
        start = add_months(archive, -(ARCHIVE_MONTHS - 1))
        taken = tuple(m for m in remaining if start <= parse_month(m) <= archive)
        if not taken:  # pragma: no cover - asked months are never after ``newest``
            raise FetchError(f"no archive holds {spans(remaining)}")
        name = month_text(archive)
        chosen.append(ArchivePlan(name, f"{base}/data/archive/{name}.zip", taken))
        remaining = [m for m in remaining if m not in taken]
    return tuple(sorted(chosen, key=lambda a: a.month))


def plan_fetch(
    base_url: str,
    force: str,
    first: dt.date,
    last: dt.date,
    kinds: Sequence[str] = KINDS,
    cache_dir: Path | None = None,
) -> FetchPlan:
    """Check the force and the months against the data.police.uk API and choose the archives.

    ``force`` is a force id, name or slug of the name (:func:`~metforward.ingest.forcelist.resolve_force`;
    the force list is cached in ``cache_dir``). Raises :class:`FetchError` for an unknown force (with
    the closest ids), for months after the
    newest published month or missing from the months the API lists (naming them and what is
    available). Months older than the API's window (it keeps about 36 months) are taken from
    older archives, which data.police.uk keeps; a missing archive is a clear error when it is
    downloaded.
    """
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise FetchError(f"unknown kind {', '.join(bad) or '(none)'} (expected {', '.join(KINDS)})")
    if last < first:
        raise FetchError(f"the first month {month_text(first)} is after the last {month_text(last)}")
    force = resolve_force(force, base_url, cache_dir)
    listed, searches = available_months(base_url)
    oldest, newest = listed[0], listed[-1]
    asked = [month_text(m) for m in month_range(first, last)]
    have = set(listed)
    missing = [m for m in asked if m not in have and m >= oldest]
    if missing:
        holes = [
            month_text(m) for m in month_range(parse_month(oldest), parse_month(newest)) if month_text(m) not in have
        ]
        listing = f"{oldest} to {newest}" + (f" except {spans(holes)}" if holes else "")
        raise FetchError(f"months not available on data.police.uk: {spans(missing)} (available: {listing})")
    notes: list[str] = []
    older = [m for m in asked if m < oldest]
    if older:
        notes.append(
            f"{spans(older)} are older than the months the data.police.uk API lists ({oldest} to {newest}); "
            "they come from older archives"
        )
    if "stop-and-search" in kinds:
        without = [m for m in asked if m in searches and force not in searches[m]]
        if without:
            notes.append(f"data.police.uk lists no stop-and-search data of {force} for {spans(without)}")
    return FetchPlan(
        base_url.rstrip("/"), force, tuple(kinds), tuple(asked), choose_archives(base_url, asked, newest), tuple(notes)
    )


# -- fetching -----------------------------------------------------------------------------------------


def _wanted(force: str, kinds: Iterable[str], months: Iterable[str]) -> Callable[[str], bool]:
    wanted_kinds, wanted_months = set(kinds), set(months)

    def accept(name: str) -> bool:
        parsed = parse_file_name(name)
        return (
            parsed is not None
            and parsed[1] == force
            and parsed[0] in wanted_months
            and parsed[2] in wanted_kinds
            and name.lower().endswith(".csv")
        )

    return accept


def check_archive(path: Path, accept: Callable[[str], bool]) -> list[str]:
    """Check a zip's directory and the CRC-32 of the members ``accept`` picks; return those members.

    Raises :class:`FetchError` for a file that is not a readable zip or a member whose bytes do not
    match its checksum.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(
                info.filename for info in archive.infolist() if not info.is_dir() and accept(info.filename)
            )
            for name in members:
                with archive.open(name) as handle:  # zipfile checks the CRC-32 at the end of the member
                    while handle.read(CHUNK):
                        pass
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{path.name} is corrupt ({exc})") from exc
    except (zlib.error, EOFError, OSError) as exc:
        raise FetchError(f"{path.name} is corrupt or truncated ({exc})") from exc
    return members


def fetch(
    db: Database,
    base_url: str,
    force: str,
    first: dt.date,
    last: dt.date,
    kinds: Sequence[str] = KINDS,
    cache_dir: Path = DEFAULT_CACHE,
    progress: FetchProgress | None = None,
    *,
    retries: int = 3,
    options: ReadOptions | None = None,
    built_in_reference: bool = False,
) -> FetchSummary:
    """Plan, download and ingest a force's police.uk files for the months ``first`` to ``last``.

    Only archive members of ``force``, ``kinds`` and the asked months are ingested (each its own
    transaction, as ``metforward ingest`` does). Every archive is downloaded and its wanted
    members are checked before anything is loaded, so a failed or corrupt download raises
    :class:`FetchError` and leaves the store unchanged. Asked (kind, month) pairs the archive has
    no file for are reported in ``warnings``. ``built_in_reference``: as for
    :func:`~metforward.ingest.pipeline.ingest_paths` (the command sets it).
    """
    plan = plan_fetch(base_url, force, first, last, kinds, cache_dir)
    force = plan.force
    downloads: list[Download] = []
    warnings = list(plan.notes)
    for archive in plan.archives:
        accept = _wanted(force, plan.kinds, archive.months)

        def verify(path: Path, accept: Callable[[str], bool] = accept) -> None:
            check_archive(path, accept)

        got = download(
            archive.url,
            cache_dir / archive.file_name,
            progress=_named(progress, archive.file_name) if progress is not None else None,
            verify=verify,
            retries=retries,
        )
        downloads.append(got)
        with zipfile.ZipFile(got.path) as opened:
            found = [parse_file_name(n) for n in opened.namelist() if accept(n)]
        present = {(p[0], p[2]) for p in found if p is not None}
        for kind in plan.kinds:
            absent = [m for m in archive.months if (m, kind) not in present]
            if absent:
                warnings.append(f"{archive.file_name} holds no {kind} file of {force} for {spans(absent)}")

    months_of = {got.path: set(archive.months) for archive, got in zip(plan.archives, downloads, strict=True)}
    wanted = _wanted(force, plan.kinds, plan.months)

    def accept_input(source: InputFile) -> bool:
        if source.member is None or not wanted(source.member):
            return False
        parsed = parse_file_name(source.member)
        return parsed is not None and parsed[0] in months_of.get(source.path, set())

    summary = ingest_paths(
        db,
        [d.path for d in downloads],
        options or ReadOptions(),
        accept=accept_input,
        progress=progress.ingested if progress is not None else None,
        built_in_reference=built_in_reference,
    )
    return FetchSummary(
        files=summary.files,
        warnings=[*warnings, *summary.warnings],
        built_in=summary.built_in,
        plan=plan,
        downloads=downloads,
    )


def _named(progress: FetchProgress, name: str) -> ByteProgress:
    return lambda done, total: progress.transfer(name, done, total)
