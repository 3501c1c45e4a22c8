"""Which police.uk forces exist: ``/api/forces``, cached in the cache folder, plus the forces only the archives hold.

``fetch --force NAME`` takes a force id (``metropolitan``), its name as the API gives it
("Metropolitan Police Service") or a slug of that name (``british-transport-police``). The list is
read from ``GET /api/forces`` and kept in ``<cache>/forces.json`` with the time it was read; a list
older than :data:`MAX_AGE` is read again, and so is a cached list that lacks the name asked for
(a force may have been added since). British Transport Police (``btp``) publishes street and
stop-and-search files in the monthly archives but the API does not list it; it is added here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metforward.domain.forces import FORCES
from metforward.errors import FetchError
from metforward.ingest.download import get_json

FORCES_FILE = "forces.json"
MAX_AGE = dt.timedelta(days=7)
#: Forces the archives hold that ``/api/forces`` does not list.
ARCHIVE_ONLY: dict[str, str] = {"btp": FORCES["btp"]}


@dataclass(frozen=True)
class ForceList:
    """The forces (id -> name), where the list came from and when it was read."""

    forces: dict[str, str]
    url: str
    fetched_at: dt.datetime
    from_cache: bool

    def age(self, now: dt.datetime | None = None) -> str:
        """How old the list is, in words (``read just now``, ``cached 3 days ago``)."""
        seconds = max(0.0, ((now or dt.datetime.now(dt.UTC)) - self.fetched_at).total_seconds())
        if not self.from_cache:
            return "read just now"
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size:
                n = int(seconds // size)
                return f"cached {n} {unit}{'s' if n > 1 else ''} ago"
        return "cached less than a minute ago"


def slug(text: str) -> str:
    """``British Transport Police`` -> ``british-transport-police``."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


def _read_cache(path: Path, url: str) -> ForceList | None:
    try:
        body: Any = json.loads(path.read_text(encoding="utf-8"))
        forces = body["forces"]
        fetched = dt.datetime.fromisoformat(body["fetched_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if body.get("url") != url or not isinstance(forces, dict) or fetched.tzinfo is None:
        return None
    return ForceList({str(k): str(v) for k, v in forces.items()}, url, fetched, True)


def _fetch(url: str) -> dict[str, str]:
    body = get_json(url)
    forces = (
        {f["id"]: str(f.get("name") or f["id"]) for f in body if isinstance(f, dict) and isinstance(f.get("id"), str)}
        if isinstance(body, list)
        else {}
    )
    if not forces:
        raise FetchError(f"{url} lists no forces (expected a list of {{'id': ..., 'name': ...}})")
    return forces


def force_list(base_url: str, cache_dir: Path | None = None, *, fresh: bool = False) -> ForceList:
    """The forces ``/api/forces`` lists, from ``cache_dir/forces.json`` while it is younger than :data:`MAX_AGE`."""
    url = f"{base_url.rstrip('/')}/api/forces"
    path = cache_dir / FORCES_FILE if cache_dir is not None else None
    now = dt.datetime.now(dt.UTC)
    if path is not None and not fresh:
        cached = _read_cache(path, url)
        if cached is not None and now - cached.fetched_at < MAX_AGE:
            return cached
    forces = _fetch(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        body = {"url": url, "fetched_at": now.isoformat(timespec="seconds"), "forces": forces}
        tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    return ForceList(forces, url, now, False)


def _lookup(name: str, forces: dict[str, str]) -> str | None:
    wanted = slug(name)
    for force_id, full in {**ARCHIVE_ONLY, **forces}.items():
        if wanted in (force_id, slug(full)):
            return force_id
    return None


def resolve_force(name: str, base_url: str, cache_dir: Path | None = None) -> str:
    """The police.uk force id ``name`` stands for (an id, a name or a slug of the name).

    Raises :class:`FetchError` naming the closest ids (and the age of the list) for a name that is
    none of them.
    """
    listed = force_list(base_url, cache_dir)
    found = _lookup(name, listed.forces)
    if found is None and listed.from_cache:  # the force may be new: ask the API once more
        listed = force_list(base_url, cache_dir, fresh=True)
        found = _lookup(name, listed.forces)
    if found is not None:
        return found
    every = {**listed.forces, **ARCHIVE_ONLY}
    choices = {**{slug(full): fid for fid, full in every.items()}, **{fid: fid for fid in every}}
    close = list(dict.fromkeys(choices[c] for c in difflib.get_close_matches(slug(name), list(choices), n=3)))
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise FetchError(
        f"data.police.uk has no force {name!r}{hint} (forces: {', '.join(sorted(every))}; "
        f"list from {listed.url}, {listed.age()})"
    )
