"""``metforward refresh``: fetch and load what is new for everything the store holds (for cron)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from metforward.cli.fetch import BaseUrl, Cache, print_supply
from metforward.cli.ingest import MaxFileMb, MaxRows, limits
from metforward.cli.progress import progress
from metforward.cli.safety import reader, writer
from metforward.errors import Interrupted, StoreMissingError
from metforward.ingest.fetch import DEFAULT_CACHE
from metforward.ingest.readers import ReadOptions
from metforward.ingest.refresh import RefreshPlan, plan_refresh, run_refresh


def print_plan(plan: RefreshPlan, console: Console, *, dry_run: bool) -> None:
    """What is to be fetched (or was looked at), what cannot be refreshed, and what failed."""
    lead = "would fetch" if dry_run else "fetching"
    for step in plan.police:
        console.print(f"{lead} {escape(step.describe())}", highlight=False, soft_wrap=True)
    for f in plan.files if dry_run else []:  # a run reports each source's fate instead
        console.print(f"checked {escape(f.describe())}", highlight=False, soft_wrap=True)
    for kind, n in sorted(plan.untracked.items()):
        console.print(
            f"[yellow]not refreshed[/] {escape(kind)} ({n} load{'s' if n > 1 else ''}): loaded from files no "
            "catalogue source keeps "
            "current; load new versions with metforward ingest",
            highlight=False,
            soft_wrap=True,
        )
    for error in plan.errors:
        console.print(f"[red]error[/] {escape(error)}", highlight=False, soft_wrap=True)
    if dry_run:
        console.print("changes pending" if plan.changes else "nothing new", highlight=False)


def refresh_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List what would be fetched and loaded; download and load nothing."),
    ] = False,
    base_url: BaseUrl = None,
    cache: Cache = DEFAULT_CACHE,
    max_file_mb: MaxFileMb = None,
    max_rows: MaxRows = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Fetch and load what is new for everything already loaded (for cron or a systemd timer).

    New police.uk months of each force and kind loaded, and a new version of each catalogue
    file loaded (told by a conditional GET, else by its checksum) are fetched and loaded, and
    the figures that depend on them rebuilt. Idempotent: a second run downloads nothing.

    Files loaded by hand are refreshed from the catalogue source that keeps their kind current
    (metforward sources); other loads are listed as not refreshed. Keep --cache the same from
    run to run (METFORWARD_CACHE): the cached copies are what the server is asked about.

    Exit codes, for cron and systemd: 0 when there was nothing new or everything new loaded;
    1 when a download, a server or a file failed (whatever else was new was still loaded: run
    again later); 2 for usage errors; 130 when interrupted. With --dry-run: 0 whether or not
    changes are pending (the output says which), 1 when a server could not be asked.
    """
    path = ctx.obj.settings.db_path
    if not dry_run and str(path) != ":memory:" and not Path(path).exists():  # a mistyped --db creates nothing
        raise StoreMissingError(
            f"{path}: no store there (nothing was created): refresh fetches what is new for a store's data; "
            f"load data first with metforward --db {path} fetch or ingest, or give --db the store you meant"
        )
    if dry_run:
        with reader(ctx) as db:
            plan = plan_refresh(db, base_url=base_url, cache_dir=cache, check=True)
        if as_json:
            typer.echo(json.dumps(plan.as_dict(), indent=2))
        else:
            print_plan(plan, Console(), dry_run=True)
        if plan.errors:
            raise typer.Exit(1)
        return

    options = ReadOptions(limits=limits(max_file_mb, max_rows))
    try:
        with progress(not as_json) as shown, writer(ctx) as db:
            plan = plan_refresh(db, base_url=base_url, cache_dir=cache)
            summary = run_refresh(
                db, plan, base_url=base_url, cache_dir=cache, progress=shown, options=options, built_in_reference=True
            )
    except KeyboardInterrupt as exc:
        raise Interrupted(
            f"interrupted: run the same command again to resume (partial downloads are in {cache})"
        ) from exc
    if as_json:
        typer.echo(json.dumps({"plan": plan.as_dict(), **summary.as_dict()}, indent=2))
    else:
        console = Console()
        print_plan(plan, console, dry_run=False)
        if not plan.police and not plan.files:
            console.print("nothing loaded that refresh can fetch again", highlight=False)
        print_supply(summary, console)
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("refresh")(refresh_command)
