"""``metforward ingest PATH...``: load files, folders and zips into the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from metforward.cli.safety import writer
from metforward.ingest.pipeline import IngestSummary, after_ingest, collect, ingest_file
from metforward.ingest.readers import ReadOptions
from metforward.store.database import Database


def run_ingest(db: Database, paths: list[Path], options: ReadOptions, *, show_progress: bool) -> IngestSummary:
    """Ingest with a Rich progress bar on standard error (quiet when ``show_progress`` is false)."""
    inputs, skipped, missing = collect(paths)
    summary = IngestSummary(files=list(missing), skipped=skipped)
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(inputs))
        for source in inputs:
            progress.update(task, description=source.name)
            summary.files.append(ingest_file(db, source, options))
            progress.advance(task)
        progress.update(task, description="placing searches")
        after_ingest(db, summary)
    return summary


def print_summary(summary: IngestSummary, console: Console) -> None:
    """A table of files with their counts and errors, then the totals."""
    table = Table(title="Ingest", show_lines=False)
    for column in ("file", "kind", "read", "loaded", "rejected", "error"):
        table.add_column(column, justify="right" if column in {"read", "loaded", "rejected"} else "left")
    for f in summary.files:
        table.add_row(
            f.path,
            f.kind or "-",
            f"{f.rows_read:,}",
            f"{f.rows_loaded:,}",
            f"{f.rows_rejected:,}",
            f"[red]{f.error}[/]" if f.error else "",
        )
    console.print(table)
    for path, reason in summary.skipped:
        console.print(f"[yellow]skipped[/] {path}: {reason}")
    for warning in summary.warnings:
        console.print(f"[yellow]warning[/] {warning}")
    failed = sum(1 for f in summary.files if f.error)
    console.print(
        f"{len(summary.files)} files, {summary.rows_read:,} rows read, {summary.rows_loaded:,} loaded, "
        f"{summary.rows_rejected:,} rejected" + (f", [red]{failed} files not loaded[/]" if failed else "")
    )
    if summary.rows_rejected:
        console.print("Rejected rows and their reasons are in the store's 'rejects' table.")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command()
    def ingest(
        ctx: typer.Context,
        paths: Annotated[list[Path], typer.Argument(help="Files (.csv, .csv.gz, .geojson, .gpkg), folders or zips.")],
        force: Annotated[
            str | None,
            typer.Option(help="police.uk force id for files that do not say (e.g. metropolitan)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    ) -> None:
        """Load police.uk, London Datastore, boundary, lookup and population files.

        Each file is one transaction: it is loaded whole or not at all. Every row is loaded or
        recorded in the rejects table with file, line, field and reason. Loading a police.uk
        (kind, force, month) again replaces the earlier load. Exit code 0 when every file
        loaded, 1 when any file could not be loaded.
        """
        with writer(ctx) as db:
            summary = run_ingest(db, paths, ReadOptions(force=force), show_progress=not as_json)
        if as_json:
            typer.echo(json.dumps(summary.as_dict(), indent=2))
        else:
            print_summary(summary, Console())
        if not summary.ok:
            raise typer.Exit(1)
