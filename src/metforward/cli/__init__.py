"""The ``metforward`` command: a thin Typer app over the library (the only package that prints)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from metforward import __version__
from metforward.cli.safety import SafeGroup
from metforward.settings import Settings
from metforward.store.access import DEFAULT_WAIT

app = typer.Typer(
    name="metforward",
    help="Open policing-accountability figures: police.uk and London Datastore data, "
    "with significance, completeness and provenance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=SafeGroup,
)


class State:
    """Options of the whole command, handed to each subcommand through the context."""

    def __init__(self, settings: Settings, *, wait: float = DEFAULT_WAIT, debug: bool = False) -> None:
        self.settings = settings
        #: Seconds to wait for another process that holds the store (``--wait``).
        self.wait = wait
        #: Show tracebacks of failures (``--debug``).
        self.debug = debug


def _version(value: bool) -> None:
    if value:
        typer.echo(f"metforward {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", envvar="METFORWARD_DB", help="The DuckDB store file (default ./metforward.duckdb)."),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            envvar="METFORWARD_WAIT",
            min=0,
            help="Seconds to wait while another metforward process holds the store (0: stop at once).",
        ),
    ] = DEFAULT_WAIT,
    debug: Annotated[bool, typer.Option("--debug", help="Show the Python traceback when a command fails.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Global options."""
    if verbose:
        from metforward.log import enable

        enable(logging.DEBUG if verbose > 1 else logging.INFO)
    ctx.obj = State(Settings.from_env(db), wait=wait, debug=debug)


def _register() -> None:
    from metforward.cli import (
        allocate,
        compare,
        confidence,
        counts,
        exceptions,
        fetch,
        formats,
        harm,
        indicators,
        ingest,
        maps,
        outcomes,
        places,
        refresh,
        report,
        searches,
        serve,
        sources,
        status,
        targets,
        upgrade,
    )

    for module in (
        ingest,
        fetch,
        sources,
        refresh,
        formats,
        status,
        counts,
        compare,
        harm,
        allocate,
        targets,
        exceptions,
        places,
        maps,
        indicators,
        confidence,
        outcomes,
        searches,
        report,
        serve,
        upgrade,
    ):
        module.register(app)


_register()


def main() -> None:
    """Console entry point."""
    app()
