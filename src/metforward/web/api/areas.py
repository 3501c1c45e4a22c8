"""``/areas``: London's forces, boroughs, wards and LSOAs (2021) as the loaded lookups place them."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from metforward.store import cubes
from metforward.store.database import Database
from metforward.store.queries import areas as area_queries
from metforward.web.api.common import Body, Page, Paging
from metforward.web.app import context, get_db
from metforward.web.errors import API_ERRORS, WebError

router = APIRouter(tags=["areas"])

Level = Literal["force", "borough", "ward", "lsoa"]
LEVELS: tuple[Level, ...] = ("force", "borough", "ward", "lsoa")


class Area(BaseModel):
    """One area: its GSS code (a force's police.uk id), name, level and the area it sits in."""

    code: str
    name: str
    level: Level
    parent: str | None = None  # a ward's borough, an LSOA's ward (its borough when it has no ward)


class AreaPage(Page[Area]):
    """A page of areas."""


class AreaBody(Area, Body):
    """One area, with the attribution."""


_cache: dict[str, list[Area]] = {}
_lock = threading.Lock()


def all_areas(db: Database, load_version: str) -> list[Area]:
    """Every London area at every level, read once per load version."""
    with _lock:
        if load_version in _cache:
            return _cache[load_version]
    found = [
        Area(code=code, name=name, level="force")
        for code, name in sorted(cubes.area_lookup(db, source="police-uk", level="force").items())
    ]
    rows = area_queries.london_places(db)
    boroughs = {(b, bn) for b, bn, *_ in rows}
    wards = {(w, wn, b) for b, _, w, wn, _, _ in rows if w}
    lsoas = {(lsoa, ln, w or b) for b, _, w, _, lsoa, ln in rows}
    found += [Area(code=c, name=n or c, level="borough") for c, n in sorted(boroughs)]
    found += [Area(code=c, name=n or c, level="ward", parent=p) for c, n, p in sorted(wards)]
    found += [Area(code=c, name=n or c, level="lsoa", parent=p) for c, n, p in sorted(lsoas)]
    with _lock:
        _cache.clear()
        _cache[load_version] = found
    return found


@router.get("/areas", response_model=AreaPage, responses=API_ERRORS, summary="London's areas by level")
def list_areas(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
    level: Annotated[Level | None, Query(description="Only areas at this level (default: every level).")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Only areas whose name or code contains this text (any case).")
    ] = None,
) -> dict[str, object]:
    """Forces, boroughs, wards and LSOAs with their GSS codes and the area each sits in."""
    areas = all_areas(db, context(request).load_version)
    wanted = (q or "").strip().lower()
    chosen = [
        a
        for a in areas
        if (level is None or a.level == level) and (not wanted or wanted in a.name.lower() or wanted in a.code.lower())
    ]
    return paging.page(request, chosen)


@router.get("/areas/{code}", response_model=AreaBody, responses=API_ERRORS, summary="One area")
def one_area(
    request: Request,
    code: Annotated[str, Path(max_length=40, description="A GSS code (e.g. E09000033) or a force id.")],
    db: Annotated[Database, Depends(get_db)],
) -> AreaBody:
    """One area by its code; 404 when the loaded lookups do not know it."""
    wanted = code.strip().upper()
    for area in all_areas(db, context(request).load_version):
        if area.code.upper() == wanted:
            return AreaBody(**area.model_dump())
    raise WebError(404, "not_found", f"no area with code {code!r} in the lookups loaded (see /api/v1/areas)")
