"""The web faces' way to a question: build nothing, ask the question through the store pool, cache the
answer by the load version, and for the API page its items into the envelope."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from metforward.questions.answer import Answer
from metforward.questions.base import Question
from metforward.web.api.common import Paging, borrowed, json_response
from metforward.web.app import context
from metforward.web.cache import ResultCache

#: Answers keyed by (load version, question's version, question, query); bodies by (load version, question's
#: version, path and query string), the question's version being that of any file it reads besides the store:
#: a repeated request costs neither a query nor a serialisation, and borrows no connection.
_answers: ResultCache = ResultCache(256)
_bodies: ResultCache = ResultCache(512)


def answer(request: Request, question: Question, query: Any) -> Answer:
    """The answer to ``query`` (a ``question.query``), from the cache while the store's data is unchanged."""
    version = _store(request)

    def ask() -> Answer:
        with borrowed(request).connection() as db:
            return question.ask(db, query)

    extra = question.version(query) if question.version else None
    return _answers.get((version, extra, question.name, query), ask)


def body(request: Request, answer: Answer, paging: Paging) -> dict[str, Any]:
    """The API body: the answer's envelope with ``items`` paged and ``limit``, ``offset`` and ``next`` added."""
    whole = answer.to_json()
    page = paging.page(request, whole["items"])
    return {**whole, **page}


def api_response(request: Request, question: Question, query: Any, paging: Paging, model: Any) -> Response:
    """The JSON response of an API route that shows ``question``: validated against ``model`` once, then
    served from the cache for the same URL until the next load."""
    version = _store(request)
    extra = question.version(query) if question.version else None
    asked = f"{request.url.path}?{request.url.query}"  # not the whole URL: the Host header is the client's
    base = context(request).settings.base_url  # the next link is built on it

    def make() -> bytes:
        return json_response(model, body(request, answer(request, question, query), paging))

    return Response(_bodies.get((version, extra, base, asked), make), media_type="application/json")


def _store(request: Request) -> tuple[str, str]:
    """Which data an answer comes from: the store file and its load version (two stores, or two apps in
    one process, may share a load version; their answers must not be mixed)."""
    ctx = context(request)
    return str(ctx.settings.db_path), ctx.load_version
