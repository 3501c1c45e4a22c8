"""``metforward refresh``: fetch what is new for everything the store already holds, and load it.

What the store holds is read from its live loads (the ``loads`` table):

* police.uk street, outcomes and stop and search: for each force and kind, the months
  data.police.uk lists after the newest month loaded are fetched (stop and search only for months
  the API lists the force's searches in). Holes before that month are left alone: ``fetch --force
  --from --to`` fills them.
* files fetched from the catalogue (a load of ``<cache>/<source id>/<file>``): the source is
  fetched again. The download is a conditional GET, so an unchanged file is not downloaded; a file
  whose SHA-256 is one already loaded is not loaded again.
* files loaded by hand: a load kind some catalogue source keeps current (``keeps_current``) brings
  that source in, as above (the first refresh downloads it once and compares checksums).
* anything else (a kind no source keeps current) is listed as not refreshable.

A second refresh therefore downloads nothing: no new month, and 304 Not Modified for every file.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from metforward.domain.periods import parse_month
from metforward.errors import FetchError
from metforward.ingest.catalogue import Source, keeper
from metforward.ingest.download import USER_AGENT, read_manifest
from metforward.ingest.fetch import DEFAULT_BASE_URL, DEFAULT_CACHE, KINDS, FetchProgress, available_months, spans
from metforward.ingest.readers import ReadOptions
from metforward.ingest.supply import (
    SourceResult,
    SupplySummary,
    cache_path,
    complete,
    fetch_police,
    fetch_sources,
    from_source,
    resolve,
)
from metforward.store.database import Database
from metforward.store.loading import BUILT_IN
from metforward.store.queries.loads import live_loads

#: What a dry run may find for a file: only ``unchanged`` means nothing would happen.
FINDINGS = {
    "changed": "a new version on the server: would download and load it",
    "unchanged": "unchanged on the server (not modified) and loaded",
    "reload": "unchanged on the server, but the cached copy is not the file loaded: would load it",
    "unknown": "no cached copy or validator to compare with: would download it and compare checksums",
}


@dataclass(frozen=True)
class PoliceStep:
    """New police.uk months of one force for some kinds."""

    force: str
    kinds: tuple[str, ...]
    months: tuple[str, ...]
    since: str  # the newest month loaded

    def describe(self) -> str:
        """One line."""
        return f"policeuk {self.force} {', '.join(self.kinds)}: {spans(self.months)} (newest loaded {self.since})"

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {"force": self.force, "kinds": list(self.kinds), "months": list(self.months), "since": self.since}


@dataclass(frozen=True)
class FileStep:
    """A catalogue source to fetch again, the checksums of its files loaded, and what a dry run found."""

    source: Source
    why: str
    loaded: frozenset[str]
    url: str | None = None
    finding: str | None = None  # one of FINDINGS, or an error message

    def describe(self) -> str:
        """One line."""
        found = FINDINGS.get(self.finding or "", self.finding or "would fetch it again (a conditional GET)")
        return f"{self.source.id} ({self.why}): {found}"

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "source": self.source.id,
            "why": self.why,
            "url": self.url,
            "finding": self.finding,
            "loaded_sha256": sorted(self.loaded),
        }


@dataclass
class RefreshPlan:
    """What a refresh would fetch, what it cannot refresh, and what went wrong while looking."""

    police: list[PoliceStep] = field(default_factory=list)
    files: list[FileStep] = field(default_factory=list)
    untracked: dict[str, int] = field(default_factory=dict)  # load kind -> live loads from no known source
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether a refresh would download or load anything (as far as a dry run can tell)."""
        return bool(self.police) or any(f.finding != "unchanged" for f in self.files)

    def as_dict(self) -> dict[str, object]:
        """The JSON form of ``refresh --dry-run --json``."""
        return {
            "police": [p.as_dict() for p in self.police],
            "files": [f.as_dict() for f in self.files],
            "untracked": [{"kind": k, "loads": n} for k, n in sorted(self.untracked.items())],
            "errors": self.errors,
            "changes": self.changes,
        }


def probe(source: Source, url: str, cache_dir: Path, loaded: frozenset[str]) -> str:
    """What a fetch of ``source`` from ``url`` would find, asked with a conditional HEAD request.

    One of: ``changed`` (a new version, or a new link), ``unchanged`` (the server's copy is cached
    and loaded), ``reload`` (the cached copy is current but not what is loaded) or ``unknown``
    (nothing cached to compare with, or the server gives no validator: it would be downloaded and
    its checksum compared).
    """
    dest = cache_path(cache_dir, source)
    entry = read_manifest(dest.parent).get(dest.name)
    if entry is None or not dest.is_file():
        return "unknown"
    if entry.get("url") != url:
        return "changed"
    headers = {"User-Agent": USER_AGENT}
    if entry.get("etag"):
        headers["If-None-Match"] = str(entry["etag"])
    if entry.get("last_modified"):
        headers["If-Modified-Since"] = str(entry["last_modified"])
    if len(headers) == 1:
        return "unknown"
    request = urllib.request.Request(url, headers=headers, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            etag, length = response.headers.get("ETag"), response.headers.get("Content-Length")
            same = etag is not None and etag == entry.get("etag") and length == str(entry.get("size"))
    except urllib.error.HTTPError as exc:
        if exc.code != 304:
            raise FetchError(f"{source.id}: {url} answered HTTP {exc.code} {exc.reason}") from exc
        same = True
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{source.id}: cannot reach {url} ({exc})") from exc
    if not same:
        return "changed"
    return "unchanged" if entry.get("sha256") in loaded else "reload"


def _police_steps(last: dict[tuple[str, str], dt.date], police_url: str) -> list[PoliceStep]:
    listed, searches = available_months(police_url)
    groups: dict[tuple[str, tuple[str, ...], str], list[str]] = defaultdict(list)
    for (force, kind), newest in sorted(last.items()):
        months = tuple(
            m
            for m in listed
            if parse_month(m) > newest and (kind != "stop-and-search" or force in searches.get(m, frozenset()))
        )
        if months:
            groups[(force, months, f"{newest:%Y-%m}")].append(kind)
    return [
        PoliceStep(force, tuple(sorted(kinds, key=KINDS.index)), months, since)
        for (force, months, since), kinds in sorted(groups.items())
    ]


def plan_refresh(
    db: Database, *, base_url: str | None = None, cache_dir: Path = DEFAULT_CACHE, check: bool = False
) -> RefreshPlan:
    """What is loaded, and what a refresh would fetch for it; with ``check``, ask each file's server
    (a conditional HEAD request, nothing downloaded) whether it changed."""
    plan = RefreshPlan()
    last: dict[tuple[str, str], dt.date] = {}
    files: dict[str, tuple[Source, str, set[str]]] = {}
    untracked: Counter[str] = Counter()
    for kind, force, months, path, _member, sha, _rows in live_loads(db):
        # metforward's own reference data: a file loaded later replaces it
        if isinstance(path, str) and path.startswith(BUILT_IN):
            continue
        if kind in KINDS and force and months:
            last[(force, kind)] = max(last.get((force, kind), months[-1]), months[-1])
            continue
        found, why = from_source(path), "fetched from the catalogue"
        if found is None:
            found, why = keeper(kind), f"keeps {kind} current"
        if found is None:
            untracked[kind] += 1
            continue
        entry = files.setdefault(found.id, (found, why, set()))
        entry[2].add(sha)
    plan.untracked = dict(untracked)
    if last:
        try:
            plan.police = _police_steps(last, (base_url or DEFAULT_BASE_URL).rstrip("/"))
        except FetchError as exc:  # recorded: the files are still refreshed, and the run exits 1
            plan.errors.append(f"policeuk: {exc}")
    for found, why, shas in files.values():
        step = FileStep(found, why, frozenset(shas))
        if check:
            try:
                url = resolve(found, base_url)
                step = FileStep(found, why, step.loaded, url, probe(found, url, cache_dir, step.loaded))
            except FetchError as exc:
                plan.errors.append(str(exc))
                step = FileStep(found, why, step.loaded, finding=f"cannot check: {exc}")
        plan.files.append(step)
    return plan


def run_refresh(
    db: Database,
    plan: RefreshPlan,
    *,
    base_url: str | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    progress: FetchProgress | None = None,
    options: ReadOptions | None = None,
    built_in_reference: bool = False,
) -> SupplySummary:
    """Fetch and load what ``plan`` names; every failure is recorded in the summary and the rest goes on.

    ``plan`` is one made without ``check`` (its errors are the police.uk API's).
    ``built_in_reference``: see :func:`~metforward.ingest.supply.complete`.
    """
    loaded = {f.source.id: f.loaded for f in plan.files}
    summary = fetch_sources(
        db,
        [f.source for f in plan.files],
        base_url=base_url,
        cache_dir=cache_dir,
        progress=progress,
        options=options,
        loaded=lambda s: loaded.get(s.id),
    )
    for step in plan.police:
        fetch_police(
            db,
            [step.force],
            parse_month(step.months[0]),
            parse_month(step.months[-1]),
            step.kinds,
            base_url=base_url,
            cache_dir=cache_dir,
            progress=progress,
            options=options,
            summary=summary,
        )
    summary.sources.extend(
        SourceResult("policeuk", "failed", message=e.removeprefix("policeuk: ")) for e in plan.errors
    )
    return complete(db, summary, built_in_reference=built_in_reference)
