"""``metforward ingest PATH...``: load files, folders and zips into the store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from metforward.cli.safety import writer
from metforward.ingest.pipeline import (
    FileResult,
    IngestSummary,
    Interrupts,
    after_ingest,
    collect,
    ingest_file,
    nothing_to_load,
)
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import (
    DEFAULT_MAX_FILE_MB,
    DEFAULT_MAX_ROWS,
    MAX_FILE_MB_ENV,
    MAX_ROWS_ENV,
    InputFile,
    Limits,
)
from metforward.store.database import Database

#: ``--max-file-mb``, shared by ``ingest`` and ``fetch``.
MaxFileMb = Annotated[
    int | None,
    typer.Option(
        "--max-file-mb",
        min=1,
        envvar=MAX_FILE_MB_ENV,
        show_default=False,
        help=f"Largest uncompressed size of one input file (zip member or gzip), in MB [default: {DEFAULT_MAX_FILE_MB}].",
    ),
]
#: ``--max-rows``, shared by ``ingest`` and ``fetch``.
MaxRows = Annotated[
    int | None,
    typer.Option(
        "--max-rows",
        min=1,
        envvar=MAX_ROWS_ENV,
        show_default=False,
        help=f"Most rows one input file may hold [default: {DEFAULT_MAX_ROWS:,}].",
    ),
]


def limits(max_file_mb: int | None, max_rows: int | None) -> Limits:
    """The limits of a run from the options (which typer also takes from their environment variables)."""
    return Limits.from_env(max_file_mb, max_rows)


Found = tuple[list[InputFile], list[tuple[str, str]], list[FileResult]]


def run_ingest(
    db: Database, paths: list[Path], options: ReadOptions, *, show_progress: bool, found: Found | None = None
) -> IngestSummary:
    """Ingest with a Rich progress bar on standard error (quiet when ``show_progress`` is false).

    ``found`` is what :func:`~metforward.ingest.pipeline.collect` found in ``paths``, when the caller
    has already looked.
    """
    inputs, skipped, missing = found or collect(paths)
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
        with Interrupts() as interrupts:
            for source in inputs:
                progress.update(task, description=source.name)
                result = ingest_file(db, source, options)
                interrupts.check()
                summary.files.append(result)
                progress.advance(task)
            progress.update(task, description="built-in reference data, placing searches")
            after_ingest(db, summary, built_in_reference=True)
    return summary


def _shown(path: str) -> str:
    """A file's name as the summary shows it: relative to the working folder when it is inside it."""
    here = str(Path.cwd()) + os.sep
    return path.removeprefix(here) if path.startswith(here) else path


def print_summary(summary: IngestSummary, console: Console) -> None:
    """A table of files with their counts, then one line per error, skipped file and warning, then the totals.

    The file names fold onto more lines in a narrow terminal rather than being cut short; errors
    go below the table, each on one (soft-wrapped) line with the file's full name.
    """
    table = Table(title="Ingest", show_lines=False)
    table.add_column("file", overflow="fold", ratio=3)
    table.add_column("kind", overflow="fold", ratio=1)
    for column in ("read", "loaded", "rejected"):
        table.add_column(column, justify="right", no_wrap=True)
    for f in summary.files:
        table.add_row(
            escape(_shown(f.path)),
            escape(f.kind or "-") if f.error is None else "[red]not loaded[/]",
            f"{f.rows_read:,}",
            f"{f.rows_loaded:,}",
            f"{f.rows_rejected:,}",
        )
    console.print(table)
    for f in summary.files:
        if f.error:
            console.print(f"[red]error[/] {escape(f.path)}: {escape(f.error)}", soft_wrap=True, highlight=False)
    for path, reason in summary.skipped:
        console.print(f"[yellow]skipped[/] {escape(path)}: {escape(reason)}", soft_wrap=True, highlight=False)
    for warning in summary.warnings:
        console.print(f"[yellow]warning[/] {escape(warning)}", soft_wrap=True, highlight=False)
    for f in summary.built_in:
        if f.error:
            console.print(f"[red]error[/] {escape(f.path)}: {escape(f.error)}", soft_wrap=True, highlight=False)
    loaded = [f for f in summary.built_in if f.error is None]
    if loaded:
        console.print(
            f"loaded metforward's built-in London reference data, as the store had none: "
            f"{', '.join(escape(f.path) for f in loaded)} "
            f"({sum(f.rows_loaded for f in loaded):,} rows; 'status' lists them; files you load replace them)",
            soft_wrap=True,
            highlight=False,
        )
    failed = sum(1 for f in [*summary.files, *summary.built_in] if f.error)
    console.print(
        f"{len(summary.files)} files, {summary.rows_read:,} rows read, {summary.rows_loaded:,} loaded, "
        f"{summary.rows_rejected:,} rejected" + (f", [red]{failed} files not loaded[/]" if failed else "")
    )
    if summary.rows_rejected:
        console.print("Rejected rows and their reasons are in the store's 'rejects' table.")


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files (.csv, .csv.gz, .geojson, .gpkg), folders or zips.")],
    force: Annotated[
        str | None,
        typer.Option(help="police.uk force id for files that do not say (e.g. metropolitan)."),
    ] = None,
    max_file_mb: MaxFileMb = None,
    max_rows: MaxRows = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Load police.uk, London Datastore, boundary, lookup and population files.

    Each file is one transaction: it is loaded whole or not at all. Every row is loaded or
    recorded in the rejects table with file, line, field and reason. Loading a police.uk
    (kind, force, month) again replaces the earlier load. Exit code 0 when every file
    loaded, 1 when any file could not be loaded or nothing at all was found to load.

    Each file is read whole into memory, so each has limits: its size uncompressed (checked
    while decompressing, so a zip or gzip bomb stops early) and its rows. A file over a limit
    is not loaded and its error names the limit; raise it with --max-file-mb / --max-rows.
    Only regular files are read (a named pipe or device is refused). Symbolic links in a
    folder are followed while they stay inside it; others are skipped and listed.

    A run that loaded a file ends by loading London's lookups and boundaries built into
    metforward wherever the store has none of their kind (source 'built-in' in status);
    files of the same kind loaded later replace them.
    """
    found = collect(paths)
    inputs, skipped, missing = found
    if not inputs and not missing:  # before the store is opened: nothing is created or changed
        raise nothing_to_load(paths, skipped)
    options = ReadOptions(force=force, limits=limits(max_file_mb, max_rows))
    with writer(ctx) as db:
        summary = run_ingest(db, paths, options, show_progress=not as_json, found=found)
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        print_summary(summary, Console())
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command()(ingest)
