"""``metforward serve``: the web pages and JSON API over the store, on uvicorn."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from metforward.cli.ingest import print_summary, run_ingest
from metforward.cli.safety import reader, writer
from metforward.ingest.readers import ReadOptions
from metforward.questions.status import police_months_loaded, store_is_empty
from metforward.records import migrate


def _empty(ctx: typer.Context) -> bool:
    if not Path(ctx.obj.settings.db_path).exists():
        return True
    with reader(ctx) as db:
        return store_is_empty(db)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    load_if_empty: Annotated[
        Path | None,
        typer.Option(help="Ingest this folder first when the store holds no loads (make run passes sample/)."),
    ] = None,
    tile_url: Annotated[
        str | None,
        typer.Option(
            envvar="METFORWARD_TILE_URL",
            help="Raster tiles under the map explorer (https://.../{z}/{x}/{y}.png). Default: none, boundaries only.",
        ),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option(envvar="METFORWARD_TARGETS", help="Targets file whose verdicts the pages and API show (YAML)."),
    ] = None,
    basket: Annotated[
        Path | None,
        typer.Option(
            envvar="METFORWARD_BASKET",
            help="Basket file of the overview's Results so far (docs/baskets.md; default: the built-in results-so-far).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes (default: one per CPU, at most 4); each opens the store read-only."),
    ] = None,
    connections: Annotated[int, typer.Option(help="Read-only store connections per process.")] = 16,
    base_url: Annotated[
        str | None,
        typer.Option(
            envvar="METFORWARD_BASE_URL",
            help="The public address absolute links are built on, e.g. https://figures.example.org "
            "(default: the address served on; never the request's Host header).",
        ),
    ] = None,
) -> None:
    """Serve the London overview, borough pages, compare, map explorer and the /api/v1 JSON API."""
    import uvicorn

    from metforward.log import enable
    from metforward.web.app import create_app, server_options

    settings = ctx.obj.settings
    console = Console(stderr=True)
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{base_url!r} is not an http:// or https:// address", param_hint="--base-url")
    if load_if_empty is not None and _empty(ctx):
        console.print(f"The store {settings.db_path} is empty: loading {load_if_empty} first.")
        with writer(ctx) as db:
            summary = run_ingest(db, [load_if_empty], ReadOptions(), show_progress=True)
        print_summary(summary, console)
    # the records database (accounts, audit): created beside the store if absent; refused when behind the code
    migrate.open_database(settings.records, create=True).close()
    with reader(ctx) as db:  # up to date now, so every server process opens the store read-only
        loads = police_months_loaded(db)
    if not loads:
        console.print("[yellow]No police.uk data loaded: pages will say what to load. Try: metforward ingest PATH[/]")
    bound = f"[{host}]" if ":" in host else host  # an IPv6 address is bracketed in a URL
    settings = replace(
        settings,
        tile_url=tile_url or settings.tile_url,
        targets_file=targets or settings.targets_file,
        basket_file=basket or settings.basket_file,
        pool_size=connections,
        base_url=(base_url or settings.base_url or f"http://{bound}:{port}").rstrip("/"),
    )
    if settings.basket_file is not None:
        from metforward.questions.basket_file import load_basket

        load_basket(settings.basket_file)  # a basket file that is not valid stops the server before it starts
    processes = workers if workers is not None else min(4, os.cpu_count() or 1)
    console.print(
        f"metforward on http://{host}:{port}/ (API: http://{host}:{port}/api), {processes} process"
        f"{'es' if processes > 1 else ''}; Ctrl-C stops."
    )
    if processes == 1:
        enable(logging.INFO)
        uvicorn.run(create_app(settings, server_headers=True), host=host, port=port, **server_options(settings))
        return
    # Several processes: each builds the app from the environment (uvicorn imports the factory).
    os.environ.update(
        METFORWARD_DB=str(settings.db_path),
        METFORWARD_POOL_SIZE=str(connections),
        METFORWARD_LOG="1",
        METFORWARD_BASE_URL=settings.base_url or "",
        METFORWARD_SERVER_HEADERS="1",
        **({"METFORWARD_TILE_URL": settings.tile_url} if settings.tile_url else {}),
        **({"METFORWARD_TARGETS": str(settings.targets_file)} if settings.targets_file else {}),
        **({"METFORWARD_RECORDS_URL": settings.records_url} if settings.records_url else {}),
        **({"METFORWARD_BASKET": str(settings.basket_file)} if settings.basket_file else {}),
    )
    uvicorn.run(
        "metforward.web.app:create_app_from_env",
        factory=True,
        workers=processes,
        host=host,
        port=port,
        **server_options(settings),
    )


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command()(serve)
