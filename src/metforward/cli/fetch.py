"""``metforward fetch``: download police.uk data for a force and months from data.police.uk, then ingest it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from metforward.cli.ingest import print_summary
from metforward.domain.periods import parse_month
from metforward.errors import FetchError
from metforward.ingest.fetch import DEFAULT_BASE_URL, KINDS, ArchivePlan, fetch
from metforward.store.database import Database


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("fetch")
    def fetch_command(
        ctx: typer.Context,
        force: Annotated[str, typer.Option(help="police.uk force id, e.g. metropolitan or city-of-london.")],
        first: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
        last: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")],
        kind: Annotated[
            list[str] | None, typer.Option(help="street, outcomes or stop-and-search (repeat; default all three).")
        ] = None,
        base_url: Annotated[str, typer.Option(help="Where data.police.uk is.")] = DEFAULT_BASE_URL,
        cache: Annotated[Path, typer.Option(help="Folder for downloaded archives.")] = Path(".metforward-cache"),
        as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    ) -> None:
        """Download a force's police.uk files for a range of months (resumable, checksummed), then ingest them."""
        try:
            start, end = parse_month(first), parse_month(last)
        except ValueError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if end < start:
            typer.echo("Error: --from must not be after --to", err=True)
            raise typer.Exit(2)
        kinds = tuple(kind or KINDS)
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            typer.echo(f"Error: unknown --kind {', '.join(bad)} (expected {', '.join(KINDS)})", err=True)
            raise typer.Exit(2)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            disable=as_json,
            transient=True,
        ) as bar:

            def progress(archive: ArchivePlan):  # type: ignore[no-untyped-def]
                task = bar.add_task(f"{archive.month}.zip", total=None)

                def update(done: int, total: int | None) -> None:
                    bar.update(task, completed=done, total=total)

                return update

            try:
                with Database(ctx.obj.settings.db_path) as db:
                    plan, downloads, summary = fetch(
                        db,
                        force=force,
                        first=start,
                        last=end,
                        kinds=kinds,
                        base_url=base_url,
                        cache_dir=cache,
                        progress=progress,
                    )
            except FetchError as exc:
                typer.echo(f"Error: {exc}", err=True)
                raise typer.Exit(1) from exc
        if as_json:
            out = summary.as_dict()
            out["downloads"] = [
                {
                    "path": str(d.path),
                    "sha256": d.sha256,
                    "size": d.size,
                    "downloaded": d.downloaded,
                    "resumed": d.resumed,
                }
                for d in downloads
            ]
            typer.echo(json.dumps(out, indent=2))
        else:
            console = Console()
            for d in downloads:
                state = "cached, unchanged" if d.downloaded == 0 else ("resumed" if d.resumed else "downloaded")
                console.print(f"{d.path} ({d.size:,} bytes, {state}) sha256 {d.sha256}")
            print_summary(summary, console)
        if not summary.ok:
            raise typer.Exit(1)
