"""``/targets``: the verdicts of the app's targets file, as ``metforward targets check FILE --json``."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from metforward.analyse.targets import TargetResult, TargetsFileError, check_targets, load_targets
from metforward.store.database import Database
from metforward.web.api.common import Page, Paging
from metforward.web.app import context, get_db
from metforward.web.errors import API_ERRORS, WebError

router = APIRouter(tags=["targets"])

#: The verdicts of the last (load version, file, file's mtime): checking a file takes about a second.
_cache: dict[tuple[str, str, int, str], list[TargetResult]] = {}
_lock = threading.Lock()


class TargetsPage(Page[TargetResult]):
    """A page of target verdicts (achieved, missed or can't tell) with the file they come from."""

    file: str
    title: str | None


@router.get("/targets", response_model=TargetsPage, responses=API_ERRORS, summary="Targets and their verdicts")
def targets(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    paging: Annotated[Paging, Depends()],
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(
            description="Reduction targets: quasi: the interval allows for the month-to-month variation of the "
            "counts (default); poisson: the exact Poisson interval."
        ),
    ] = "quasi",
) -> dict[str, object]:
    """Each target of the app's targets file achieved, missed or can't tell, with the observed value and interval."""
    path = context(request).settings.targets_file
    if path is None:
        raise WebError(404, "no_targets", "this service has no targets file (start it with a targets file setting)")
    try:
        parsed = load_targets(path)
    except TargetsFileError as exc:
        raise WebError(
            400, "cannot_answer", f"{path.name} is not a valid targets file: {'; '.join(exc.problems)}"
        ) from exc
    key = (context(request).load_version, str(path), path.stat().st_mtime_ns, method)
    with _lock:
        results = _cache.get(key)
    if results is None:
        results = check_targets(db, parsed, method=method)
        with _lock:
            _cache.clear()
            _cache[key] = results
    return {**paging.page(request, results), "file": path.name, "title": parsed.title}
