"""``create_app(settings)``: the FastAPI application behind ``metforward serve``.

Pages (server-rendered with Jinja2 and GOV.UK Frontend styles) and the JSON API under
``/api/v1`` share one read-only connection pool to the store. Every response carries security
headers (a CSP with no inline scripts and no other origin), is gzipped when large, and GET
responses carry an ETag keyed to the store's load version, so a client revalidates cheaply and
sees new figures as soon as new data is loaded. HEAD is answered wherever GET is (the GET
response without its body). Absolute links are built on ``Settings.base_url``, never on the
request's Host header, and the request log escapes what the client sent.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from metforward import ATTRIBUTION, __version__
from metforward.errors import MetforwardError
from metforward.settings import Settings
from metforward.store.database import Database
from metforward.store.pool import Generation, ReadPool, prepare
from metforward.web import auth
from metforward.web.auth import PRIVATE_PREFIXES
from metforward.web.errors import ErrorDetail, WebError

log = logging.getLogger("metforward.web")

API_PREFIX = "/api/v1"
_WEB = resources.files("metforward.web")


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every response carries: under ``metforward serve`` the server adds them (so its own
    errors, such as the 400 for a malformed request, carry them too), elsewhere the app does."""
    return [
        (b"content-security-policy", csp(settings).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
    ]


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for ``metforward serve``; pair with ``create_app(settings, server_headers=True)``.

    uvicorn's ``headers=`` are written on every response of the httptools protocol, its own 400 for
    a malformed or over-long request line included (the h11 protocol leaves them off that 400).
    """
    return {
        "headers": [(name.decode(), value.decode()) for name, value in security_headers(settings)],
        "server_header": False,
        "http": "httptools",
        "loop": "uvloop",
        "log_level": "warning",
        "access_log": False,
    }


def csp(settings: Settings) -> str:
    """The Content-Security-Policy: this origin only (plus the tile server, when one is configured)."""
    tiles = ""
    if settings.tile_url:
        parts = urlsplit(settings.tile_url)
        tiles = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{tiles}; connect-src 'self'{tiles}; worker-src 'self' blob:; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class Context:
    """What routes need: the settings, the store pool (opened at start-up) and the templates."""

    def __init__(self, settings: Settings, server_headers: bool = False) -> None:
        self.settings = settings
        #: True when the server adds :func:`security_headers` to every response (``metforward serve``).
        self.server_headers = server_headers
        self.pool: ReadPool | Generation | None = None
        self.templates = Jinja2Templates(directory=str(_WEB.joinpath("templates")))
        self.templates.env.globals.update(
            attribution=ATTRIBUTION, version=__version__, api_prefix=API_PREFIX, tile_url=settings.tile_url
        )

    @property
    def load_version(self) -> str:
        return self.pool.load_version if self.pool else "closed"

    def pinned(self, generation: Generation) -> Context:
        """This context with the store seen as ``generation`` (one request's version of it)."""
        view = copy.copy(self)
        view.pool = generation
        return view


def context(request: Request) -> Context:
    """The app's context as this request sees it: its ``pool`` and ``load_version`` are those of the
    version of the store the request pinned when it began (see :class:`Headers`), so a load that
    finishes mid-request changes nothing the request reads."""
    ctx: Context = request.app.state.ctx
    pinned = request.scope.get("state", {}).get("store")
    return ctx if pinned is None else ctx.pinned(pinned)


def get_db(request: Request) -> Iterator[Database]:
    """FastAPI dependency: a read-only store connection for the length of the request."""
    pool = context(request).pool
    if pool is None:
        raise WebError(503, "store_closed", "the store is not open; the app is starting or stopping")
    with pool.connection() as db:
        yield db


def link(request: Request, **params: Any) -> str:
    """This request's URL with the query ``params`` replaced: on ``Settings.base_url`` when one is
    configured, else relative (``/api/v1/...``). Never built from the Host header a client sent."""
    url = request.url.include_query_params(**params)
    relative = url.path + (f"?{url.query}" if url.query else "")
    base = context(request).settings.base_url
    return base.rstrip("/") + relative if base else relative


def printable(text: str) -> str:
    """``text`` for a log line: control characters (a forged line break), backslashes and non-ASCII escaped."""
    return text.encode("unicode_escape").decode("ascii")


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page from ``web/templates`` with the shared globals (attribution, version, load version)."""
    ctx = context(request)
    return ctx.templates.TemplateResponse(
        request, template, {"load_version": ctx.load_version, **values}, status_code=status_code
    )


class Headers:
    """ASGI middleware: security headers, HEAD as GET without the body, request logging, and ETag /
    304 keyed to the load version.

    Pure ASGI (not ``BaseHTTPMiddleware``) so it adds microseconds, not a task per request.
    """

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx
        self.security = [] if ctx.server_headers else security_headers(ctx.settings)

    def etag(self, scope: Scope, load_version: str) -> str:
        key = f"{__version__}|{load_version}|{scope['path']}?{scope.get('query_string', b'').decode()}"
        return '"' + hashlib.sha256(key.encode()).hexdigest()[:20] + '"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pool = self.ctx.pool
        if not isinstance(pool, ReadPool):
            await self.answer(scope, receive, send, self.ctx.load_version)
            return
        # one version of the store for the whole request; waiting for a switch to a new version is
        # done in a worker thread, never on the event loop (requests in flight must finish first)
        generation = pool.acquire(block=False) or await anyio.to_thread.run_sync(pool.acquire)
        assert generation is not None
        try:
            pinned = {**scope, "state": {**scope.get("state", {}), "store": generation}}
            await self.answer(pinned, receive, send, generation.load_version)
        finally:
            pool.release(generation)

    async def answer(self, scope: Scope, receive: Receive, send: Send, load_version: str) -> None:
        """The request, with headers, HEAD, ETag/304 (keyed to ``load_version``) and its log line."""
        started = time.perf_counter()
        method: str = scope["method"]
        head = method == "HEAD"
        if head:  # every GET route answers HEAD: the same status and headers, no body
            scope = {**scope, "method": "GET"}
        path: str = scope["path"]
        cacheable = method in ("GET", "HEAD") and path != "/healthz" and not path.startswith(PRIVATE_PREFIXES)
        etag = self.etag(scope, load_version) if cacheable else ""
        static = path.startswith("/static/")
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), *self.security]
                if cacheable and status in (200, 304):
                    if static:
                        headers.append((b"cache-control", b"public, max-age=86400"))
                    else:
                        headers += [(b"etag", etag.encode()), (b"cache-control", b"public, max-age=0, must-revalidate")]
                elif not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            if cacheable and not static and etag in _if_none_match(scope):
                await send_with_headers({"type": "http.response.start", "status": 304, "headers": []})
                await send_with_headers({"type": "http.response.body", "body": b""})
                return
            await self.app(scope, receive, send_with_headers)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            log.info(
                "%s %s%s %d %.1f ms",
                method,
                printable(path),
                f"?{printable(query)}" if query else "",
                status,
                1000 * (time.perf_counter() - started),
            )


def _if_none_match(scope: Scope) -> set[str]:
    for name, value in scope.get("headers", []):
        if name == b"if-none-match":
            return {tag.strip() for tag in value.decode("latin-1").split(",")}
    return set()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error(request: Request, error: WebError) -> Response:
    if _is_api(request):
        return JSONResponse(error.body(), status_code=error.status)
    return render(request, "error.html", status_code=error.status, error=error, title=f"Error {error.status}")


def create_app_from_env() -> FastAPI:
    """The app for ``metforward serve --workers N``: each worker process builds it from the environment.

    ``METFORWARD_DB``, ``METFORWARD_TILE_URL``, ``METFORWARD_TARGETS``, ``METFORWARD_BASE_URL`` (see
    :class:`Settings`), ``METFORWARD_POOL_SIZE`` (connections per worker) and
    ``METFORWARD_SERVER_HEADERS`` (1: the server adds the security headers).
    """
    import os
    from dataclasses import replace

    if os.environ.get("METFORWARD_LOG"):
        from metforward.log import enable

        enable(logging.INFO)
    settings = Settings.from_env()
    return create_app(
        replace(settings, pool_size=int(os.environ.get("METFORWARD_POOL_SIZE", settings.pool_size))),
        server_headers=os.environ.get("METFORWARD_SERVER_HEADERS") == "1",
    )


def create_app(settings: Settings, *, server_headers: bool = False) -> FastAPI:
    """The web application for the store ``settings.db_path`` (opened read-only at start-up).

    ``server_headers``: the server adds :func:`security_headers` to every response itself (uvicorn
    with :func:`server_options`), so the app does not repeat them.
    """
    ctx = Context(settings, server_headers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare(settings.db_path)
        ctx.pool = ReadPool(settings.db_path, settings.pool_size)
        app.state.records.open(
            settings.records, settings.records_key_file, settings.personal_key_file
        )  # sign-in; off if not set up
        log.info("serving %s (load version %s)", settings.db_path, ctx.load_version)
        gc.collect()
        gc.freeze()  # start-up objects (modules, schemas, templates) leave the collector's scans: shorter pauses
        try:
            yield
        finally:
            ctx.pool.close()
            ctx.pool = None
            app.state.records.close()

    app = FastAPI(
        title="metforward API",
        version=__version__,
        description=(
            "Open policing-accountability figures with intervals, verdicts and completeness. "
            "Every response that carries data is from the store's loads (see /api/v1/status). " + ATTRIBUTION
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN and runs inline scripts; /api is our own page
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(auth.csrf_protect)],  # every POST, PUT, PATCH and DELETE, whatever the route
    )
    app.state.ctx = ctx
    app.state.records = auth.Records()

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        return _error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            ErrorDetail(
                field=".".join(str(p) for p in e.get("loc", ())),
                message=str(e.get("msg", "")).removeprefix("Value error, "),  # a closed vocabulary's own words
            )
            for e in exc.errors()
        ]
        return _error(request, WebError(422, "invalid_parameter", "a parameter is missing or malformed", details))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "no such page or resource" if exc.status_code == 404 else str(exc.detail)
        return _error(request, WebError(exc.status_code, code, message))

    @app.exception_handler(MetforwardError)
    async def domain_error(request: Request, exc: MetforwardError) -> Response:
        if (to_sign_in := auth.unauthenticated(request, exc)) is not None:
            return to_sign_in
        if (reason_form := auth.need_to_know_page(request, exc)) is not None:
            return reason_form
        details = [ErrorDetail(field=f"query.{exc.field}", message=str(exc))] if exc.field else []
        return _error(request, WebError(exc.http_status, exc.code, str(exc), details))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", printable(request.url.path))
        return _error(request, WebError(500, "internal_error", "something went wrong on our side; it has been logged"))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        icon = _WEB.joinpath("static", "img", "favicon.svg").read_bytes()
        return Response(icon, media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> dict[str, str]:
        pool = context(request).pool
        if pool is None:
            raise WebError(503, "store_closed", "the store is not open")
        pool.ping()
        return {"status": "ok", "version": __version__, "load_version": ctx.load_version}

    from metforward.web.api import ROUTERS as API_ROUTERS
    from metforward.web.pages import ROUTERS as PAGE_ROUTERS
    from metforward.web.records import ROUTERS as RECORDS_ROUTERS

    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in (*PAGE_ROUTERS, *RECORDS_ROUTERS):
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(_WEB.joinpath("static"))), name="static")
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(Headers, ctx=ctx)
    return app
