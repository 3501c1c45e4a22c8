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

    def __init__(
        self, settings: Settings, *, wait: float = DEFAULT_WAIT, debug: bool = False, acting_as: str | None = None
    ) -> None:
        self.settings = settings
        #: The account records commands act as (``--as``); None: the operator (an administrator).
        self.acting_as = acting_as
        #: What a records command opened (set by ``metforward.cli.records.needs``).
        self.records: object = None
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
    records: Annotated[
        str | None,
        typer.Option(
            "--records",
            envvar="METFORWARD_RECORDS_URL",
            help="The records database (accounts, audit), a SQLAlchemy URL: sqlite:///PATH or "
            "postgresql://USER@HOST/DB (default: a SQLite file beside the store, NAME.records.sqlite).",
        ),
    ] = None,
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="METFORWARD_AS",
            help="Run records commands as this account (its role and boroughs apply); default: the operator, "
            "an administrator.",
        ),
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
    ctx.obj = State(Settings.from_env(db, records), wait=wait, debug=debug, acting_as=acting_as)


def _register() -> None:
    from metforward.cli import (
        allocate,
        audit,
        business_crime,
        compare,
        confidence,
        counts,
        exceptions,
        fairness,
        fetch,
        formats,
        harm,
        indicators,
        ingest,
        maps,
        outcomes,
        places,
        records,
        refresh,
        report,
        searches,
        serve,
        sources,
        status,
        targets,
        upgrade,
        users,
        vawg,
        visible_policing,
        youth_violence,
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
        vawg,
        business_crime,
        fairness,
        report,
        youth_violence,
        visible_policing,
        serve,
        upgrade,
        records,
        users,
        audit,
    ):
        module.register(app)


_register()


def main() -> None:
    """Console entry point."""
    app()
