"""The ``metforward`` command: a thin Typer app over the library (the only package that prints)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from metforward import __version__
from metforward.settings import Settings

app = typer.Typer(
    name="metforward",
    help="Open policing-accountability figures: police.uk and London Datastore data, "
    "with significance, completeness and provenance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class State:
    """Options of the whole command, handed to each subcommand through the context."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


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
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Global options."""
    if verbose:
        from metforward.log import enable

        enable(logging.DEBUG if verbose > 1 else logging.INFO)
    ctx.obj = State(Settings.from_env(db))


def _register() -> None:
    from metforward.cli import (
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
        report,
        searches,
        serve,
        status,
        targets,
    )

    for module in (
        ingest,
        fetch,
        formats,
        status,
        counts,
        compare,
        harm,
        targets,
        exceptions,
        maps,
        indicators,
        confidence,
        outcomes,
        searches,
        report,
        serve,
    ):
        module.register(app)
    maps.register_near_repeat(app)


_register()


def main() -> None:
    """Console entry point."""
    app()
