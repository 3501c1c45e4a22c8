"""``/targets``: the verdicts of the app's targets file, the envelope of ``metforward targets check FILE --json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from metforward.analyse.targets import TargetResult
from metforward.questions import targets as question
from metforward.web.answers import api_response
from metforward.web.api.common import DEFAULT_LIMIT, Envelope, Limit, Offset, Paging
from metforward.web.app import context
from metforward.web.errors import API_ERRORS

router = APIRouter(tags=["targets"])


class TargetsBody(Envelope[TargetResult]):
    """A page of target verdicts (achieved, missed or can't tell); ``query.file`` names the file they come from
    and ``meta`` gives its title, alpha and the count of each verdict."""


@router.get("/targets", response_model=TargetsBody, responses=API_ERRORS, summary="Targets and their verdicts")
def targets(
    request: Request,
    method: Annotated[
        Literal["quasi", "poisson"],
        Query(
            description="Reduction targets: quasi: the interval allows for the month-to-month variation of the "
            "counts (default); poisson: the exact Poisson interval."
        ),
    ] = "quasi",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """Each target of the app's targets file achieved, missed or can't tell, with the observed value and interval."""
    path = context(request).settings.targets_file
    query = question.Query(None if path is None else str(path), method)
    return api_response(request, question.QUESTION, query, Paging(limit, offset), TargetsBody)
