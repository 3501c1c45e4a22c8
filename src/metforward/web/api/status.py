"""``/status``: what is in the store, the envelope of ``metforward status --json`` (the load version in ``meta``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.questions import status as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, Envelope, Force, Limit, Offset, Paging, Row
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["status"])


class StatusBody(Envelope[Row]):
    """police.uk rows by kind, force and month (rows, rejects, not placed); ``meta``: each series' months and
    gaps, the London Datastore counts, the reference tables, rejects and the store's ``load_version``
    (it changes whenever data is loaded; responses' ETags are keyed to it)."""


@router.get("/status", response_model=StatusBody, responses=API_ERRORS, summary="What is loaded")
def status(
    request: Request,
    kind: Annotated[
        Literal["street", "outcomes", "stop-and-search"] | None, Query(description="Only this police.uk kind.")
    ] = None,
    force: Annotated[Force, Query(max_length=60, description="Only this police.uk force (e.g. metropolitan).")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Rows, rejects, completeness and missing months by source, force and month; the store's load version."""
    return api_response(request, question.QUESTION, question.Query(kind, force), Paging(limit, offset), StatusBody)
