"""``/status``: what is in the store, as ``metforward status --json``, plus the store's load version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from metforward.questions.answer import jsonable
from metforward.store import catalog
from metforward.store.database import Database
from metforward.web.api.common import Body, Row
from metforward.web.app import context, get_db
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["status"])


class Status(Body):
    """Coverage by source, force and month; Datastore and reference tables; the load version."""

    load_version: str = Field(description="Changes whenever data is loaded; responses' ETags are keyed to it.")
    police_uk: list[Row] = Field(description="police.uk rows by kind, force and month: rows, rejects, not placed.")
    series: list[Row] = Field(description="Each kind and force: first and last month, months missing.")
    datastore: list[Row] = Field(description="London Datastore counts by file kind.")
    reference: list[Row] = Field(description="Reference tables and their rows.")


@router.get("/status", response_model=Status, responses=API_ERRORS, summary="What is loaded")
def status(request: Request, db: Annotated[Database, Depends(get_db)]) -> dict[str, object]:
    """Rows, rejects, completeness and missing months by source, force and month; the store's load version."""
    rows = catalog.police_coverage(db)
    return {
        "load_version": context(request).load_version,
        "police_uk": jsonable(rows),
        "series": jsonable(catalog.series(rows)),
        "datastore": jsonable(catalog.datastore_coverage(db)),
        "reference": jsonable(catalog.reference_coverage(db)),
    }
