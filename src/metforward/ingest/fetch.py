"""Downloading police.uk data from data.police.uk, resumably, with checksums, then ingesting it.

How data.police.uk publishes (data.police.uk/about, data.police.uk/docs):

* ``GET /api/crimes-street-dates`` lists the months available, newest first;
* ``GET /api/forces`` lists the force ids;
* ``/data/archive/YYYY-MM.zip`` holds the 36 months up to YYYY-MM for every force, as members
  ``YYYY-MM/YYYY-MM-<force>-street.csv``, ``-outcomes.csv`` and ``-stop-and-search.csv``.

A fetch picks the newest archive that holds each month asked for (several archives when the
range is wider than 36 months), downloads it into a cache folder (resuming a partial download
with an HTTP range request, and not downloading again a file the server says is unchanged),
checks the zip's integrity, records the SHA-256, and ingests only the members of the force, kinds
and months asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from metforward.domain.forces import parse_file_name
from metforward.domain.periods import add_months, month_range, month_text, parse_month
from metforward.errors import FetchError
from metforward.ingest.pipeline import IngestSummary, ingest_paths
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import InputFile
from metforward.store.database import Database

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.police.uk"
KINDS = ("street", "outcomes", "stop-and-search")
ARCHIVE_MONTHS = 36
_CHUNK = 1 << 20
_TIMEOUT = 60

Progress = Callable[[int, int | None], None]  # bytes so far, total (None if unknown)


@dataclass(frozen=True)
class ArchivePlan:
    """One archive to download and the months to take from it."""

    month: str
    url: str
    months: tuple[str, ...]


@dataclass(frozen=True)
class FetchPlan:
    """What a fetch will download and load."""

    force: str
    kinds: tuple[str, ...]
    archives: tuple[ArchivePlan, ...]


@dataclass(frozen=True)
class Download:
    """A file in the cache, complete and checked."""

    path: Path
    sha256: str
    size: int
    downloaded: int  # bytes transferred by this call (0 when the cached copy was still current)
    resumed: bool


def _get_json(url: str) -> object:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise FetchError(f"cannot read {url}: {exc}") from exc


def plan_fetch(base_url: str, force: str, first: dt.date, last: dt.date, kinds: Sequence[str] = KINDS) -> FetchPlan:
    """Check the force and months against the API and choose the archives to download."""
    base = base_url.rstrip("/")
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise FetchError(f"unknown kind {', '.join(bad)} (expected {', '.join(KINDS)})")
    forces = _get_json(f"{base}/api/forces")
    ids = {f["id"] for f in forces if isinstance(f, dict) and "id" in f} if isinstance(forces, list) else set()
    if force not in ids:
        raise FetchError(f"data.police.uk has no force {force!r}; forces: {', '.join(sorted(ids))}")
    dates = _get_json(f"{base}/api/crimes-street-dates")
    available = (
        sorted(d["date"] for d in dates if isinstance(d, dict) and "date" in d) if isinstance(dates, list) else []
    )
    if not available:
        raise FetchError(f"{base}/api/crimes-street-dates lists no months")
    asked = [month_text(m) for m in month_range(first, last)]
    missing = [m for m in asked if m not in set(available)]
    if missing:
        raise FetchError(
            f"months not available on data.police.uk: {', '.join(missing)} "
            f"(available: {available[0]} to {available[-1]})"
        )
    newest = parse_month(available[-1])
    archives: list[ArchivePlan] = []
    remaining = sorted(asked)
    while remaining:
        archive = min(newest, add_months(parse_month(remaining[0]), ARCHIVE_MONTHS - 1))
        start = add_months(archive, -(ARCHIVE_MONTHS - 1))
        covered = tuple(m for m in remaining if start <= parse_month(m) <= archive)
        name = month_text(archive)
        archives.append(ArchivePlan(name, f"{base}/data/archive/{name}.zip", covered))
        remaining = [m for m in remaining if m not in covered]
    return FetchPlan(force, tuple(kinds), tuple(archives))


def _manifest_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _head(url: str) -> dict[str, str]:
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            return {k.lower(): v for k, v in response.headers.items()}
    except (urllib.error.URLError, TimeoutError) as exc:
        raise FetchError(f"cannot reach {url}: {exc}") from exc


def download(
    url: str, dest: Path, *, progress: Progress | None = None, expected_sha256: str | None = None, retries: int = 3
) -> Download:
    """Download ``url`` to ``dest``, resuming a partial download and skipping an unchanged one.

    The partial file is ``dest.part``; ``dest.json`` records url, size, SHA-256, ETag and
    Last-Modified. A download cut off is resumed up to ``retries`` times, then :class:`FetchError`
    is raised with the partial file kept for the next attempt.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    manifest = _manifest_path(dest)
    head = _head(url)
    if dest.exists() and manifest.exists():
        known = json.loads(manifest.read_text())
        same_tag = head.get("etag") and head.get("etag") == known.get("etag")
        same_size = head.get("content-length") and int(head["content-length"]) == known.get("size")
        if known.get("url") == url and same_tag and same_size and _sha256(dest) == known.get("sha256"):
            return Download(dest, known["sha256"], known["size"], 0, False)
    part = dest.with_name(dest.name + ".part")
    part_meta = dest.with_name(dest.name + ".part.json")
    validator = head.get("etag") or head.get("last-modified")
    if part.exists() and (not part_meta.exists() or json.loads(part_meta.read_text()).get("validator") != validator):
        part.unlink()  # the file changed on the server since the partial download began
    part_meta.write_text(json.dumps({"url": url, "validator": validator}))
    transferred, resumed = 0, False
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url)
        if have:
            request.add_header("Range", f"bytes={have}-")
            if validator:
                request.add_header("If-Range", validator)
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                if have and response.status == 206:
                    resumed = True
                    total = have + int(response.headers.get("Content-Length", 0)) or None
                    mode = "ab"
                else:
                    have, mode = 0, "wb"  # the server sent the whole file
                    length = response.headers.get("Content-Length")
                    total = int(length) if length else None
                with part.open(mode) as out:
                    done = have
                    while block := response.read(_CHUNK):
                        out.write(block)
                        done += len(block)
                        transferred += len(block)
                        if progress is not None:
                            progress(done, total)
            size = part.stat().st_size
            if total is not None and size != total:
                raise FetchError(f"{url}: received {size:,} of {total:,} bytes")
            break
        except (urllib.error.URLError, TimeoutError, ConnectionError, FetchError, OSError) as exc:
            if isinstance(exc, urllib.error.HTTPError) and exc.code not in (408, 429, 500, 502, 503, 504):
                raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            if attempt == retries:
                raise FetchError(
                    f"{url}: download interrupted ({exc}); {part.stat().st_size if part.exists() else 0:,} bytes "
                    f"kept in {part} for the next attempt"
                ) from exc
            logger.info("download of %s interrupted (%s); resuming", url, exc)
    digest = _sha256(part)
    if expected_sha256 and digest != expected_sha256:
        part.unlink()
        raise FetchError(f"{url}: SHA-256 {digest} does not match the expected {expected_sha256}")
    if dest.suffix == ".zip":
        try:
            with zipfile.ZipFile(part) as archive:
                broken = archive.testzip()
        except zipfile.BadZipFile as exc:
            part.unlink()
            raise FetchError(f"{url}: the download is not a readable zip archive ({exc}); try again") from exc
        if broken is not None:
            part.unlink()
            raise FetchError(f"{url}: the archive is corrupt (member {broken} fails its CRC check); try again")
    part.replace(dest)
    part_meta.unlink(missing_ok=True)
    size = dest.stat().st_size
    manifest.write_text(
        json.dumps(
            {
                "url": url,
                "size": size,
                "sha256": digest,
                "etag": head.get("etag"),
                "last_modified": head.get("last-modified"),
                "fetched_at": dt.datetime.now(dt.UTC).isoformat(),
            },
            indent=2,
        )
    )
    return Download(dest, digest, size, transferred, resumed)


def member_filter(force: str, kinds: Sequence[str], months: Sequence[str]) -> Callable[[InputFile], bool]:
    """Accept only archive members of ``force``, ``kinds`` and ``months``."""
    wanted_months, wanted_kinds = set(months), set(kinds)

    def accept(source: InputFile) -> bool:
        parsed = parse_file_name(source.name)
        return parsed is not None and parsed[1] == force and parsed[0] in wanted_months and parsed[2] in wanted_kinds

    return accept


def fetch(
    db: Database,
    *,
    force: str,
    first: dt.date,
    last: dt.date,
    kinds: Sequence[str] = KINDS,
    base_url: str = DEFAULT_BASE_URL,
    cache_dir: Path = Path(".metforward-cache"),
    progress: Callable[[ArchivePlan], Progress | None] | None = None,
) -> tuple[FetchPlan, list[Download], IngestSummary]:
    """Plan, download and ingest; returns the plan, the downloads and the ingest summary."""
    plan = plan_fetch(base_url, force, first, last, kinds)
    downloads: list[Download] = []
    summary = IngestSummary()
    for archive in plan.archives:
        got = download(
            archive.url, cache_dir / f"{archive.month}.zip", progress=progress(archive) if progress else None
        )
        downloads.append(got)
        part = ingest_paths(
            db, [got.path], ReadOptions(force=None), accept=member_filter(force, plan.kinds, archive.months)
        )
        summary.files.extend(part.files)
        summary.warnings.extend(part.warnings)
    return plan, downloads, summary
