"""``metforward fetch``: download police.uk data for a force and months from data.police.uk, then ingest it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from metforward.cli.ingest import MaxFileMb, MaxRows, limits, print_summary
from metforward.cli.safety import writer
from metforward.domain.periods import parse_month
from metforward.errors import Interrupted
from metforward.ingest.fetch import DEFAULT_BASE_URL, DEFAULT_CACHE, KINDS, FetchSummary, fetch
from metforward.ingest.pipeline import FileResult
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import InputFile


class _Amount(ProgressColumn):
    """Bytes for a download task, a file count for the ingest task."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes = DownloadColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            return self._bytes.render(task)
        return Text(f"{int(task.completed)} files", style="progress.download")


class _Speed(TransferSpeedColumn):
    """Transfer speed, for download tasks only."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("unit") == "bytes" else Text("")


class _Bars:
    """Rich progress bars for :func:`metforward.ingest.fetch.fetch` (one per archive, then the ingest)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.ingest: TaskID | None = None

    def transfer(self, name: str, done: int, total: int | None) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=total, unit="bytes")
        self.progress.update(self.tasks[name], completed=done, total=total)

    def ingested(self, source: InputFile, result: FileResult) -> None:
        if self.ingest is None:
            self.ingest = self.progress.add_task("ingest", total=None, unit="files")
        self.progress.update(self.ingest, advance=1, description=f"ingest {source.name}")


def _month(value: str, option: str) -> None:
    try:
        parse_month(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("fetch")
    def fetch_command(
        ctx: typer.Context,
        force: Annotated[str, typer.Option(help="police.uk force id, e.g. metropolitan or city-of-london.")],
        first: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
        last: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM (inclusive).")],
        kind: Annotated[
            list[str] | None,
            typer.Option(help="street, outcomes or stop-and-search; repeat for several (default: all three)."),
        ] = None,
        base_url: Annotated[str, typer.Option(help="Where data.police.uk is.")] = DEFAULT_BASE_URL,
        cache: Annotated[
            Path, typer.Option(help="Folder for downloaded archives, partial downloads and their manifest.")
        ] = DEFAULT_CACHE,
        max_file_mb: MaxFileMb = None,
        max_rows: MaxRows = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    ) -> None:
        """Download a force's police.uk files for a range of months from data.police.uk, then ingest them.

        The months are checked against the data.police.uk API; the archive(s) holding them
        (each /data/archive/YYYY-MM.zip holds 36 months of every force) are downloaded into the
        cache folder, resuming a partial download, checked (size, SHA-256, zip checksums) and
        not downloaded again while the server's copy is unchanged. Only the asked force, kinds
        and months are loaded. Exit code 0 when every file loaded, 1 when a download failed or
        any file could not be loaded, 2 for usage errors.
        """
        _month(first, "--from")
        _month(last, "--to")
        start, end = parse_month(first), parse_month(last)
        if end < start:
            raise typer.BadParameter(f"--from {first} is after --to {last}", param_hint="--from/--to")
        kinds = tuple(dict.fromkeys(kind or KINDS))
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise typer.BadParameter(f"{', '.join(bad)} (expected {', '.join(KINDS)})", param_hint="--kind")

        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            _Amount(),
            _Speed(),
            TimeElapsedColumn(),
        )
        summary: FetchSummary
        try:
            with (
                Progress(*columns, console=Console(stderr=True), disable=as_json, transient=True) as progress,
                writer(ctx) as db,
            ):
                summary = fetch(
                    db,
                    base_url,
                    force,
                    start,
                    end,
                    kinds,
                    cache,
                    _Bars(progress),
                    options=ReadOptions(limits=limits(max_file_mb, max_rows)),
                    built_in_reference=True,
                )
        except KeyboardInterrupt as exc:
            raise Interrupted(
                f"interrupted: run the same command again to resume (partial downloads are in {cache})"
            ) from exc

        if as_json:
            typer.echo(json.dumps(summary.as_dict(), indent=2))
        else:
            console = Console()
            for d in summary.downloads:
                state = (
                    "unchanged on the server, not downloaded again"
                    if d.from_cache
                    else f"downloaded {d.transferred:,} bytes" + (", resumed" if d.resumed else "")
                )
                console.print(
                    f"{d.url} -> {d.path} ({d.size:,} bytes; {state}) sha256 {d.sha256}",
                    highlight=False,
                    soft_wrap=True,
                )
            print_summary(summary, console)
        if not summary.ok:
            raise typer.Exit(1)
