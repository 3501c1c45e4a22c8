"""``metforward fetch``: download catalogue sources, or police.uk files of a force and months, then ingest them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from metforward.cli.ingest import MaxFileMb, MaxRows, limits, print_summary
from metforward.cli.progress import progress
from metforward.cli.safety import writer
from metforward.domain.periods import parse_month
from metforward.errors import FetchError, Interrupted, OptionError
from metforward.ingest.catalogue import AREAS, BASE_URL_ENV, source
from metforward.ingest.download import Download
from metforward.ingest.fetch import DEFAULT_BASE_URL, DEFAULT_CACHE, KINDS, fetch
from metforward.ingest.readers import ReadOptions
from metforward.ingest.supply import DEFAULT_AREA, SupplySummary, complete, fetch_all, fetch_police, fetch_sources

#: ``--base-url``, shared by ``fetch`` and ``refresh``.
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar=BASE_URL_ENV,
        show_default=False,
        help="Fetch every source from this server instead of its publisher: its scheme and host replace each "
        f"URL's, the path is kept: a mirror, or a test server (default: each publisher; police.uk at {DEFAULT_BASE_URL}).",
    ),
]
#: ``--cache``, shared by ``fetch`` and ``refresh``.
Cache = Annotated[
    Path,
    typer.Option(
        "--cache",
        envvar="METFORWARD_CACHE",
        help="Folder for downloaded files, partial downloads, their manifests and the police.uk force list.",
    ),
]


def _month(value: str, option: str) -> None:
    try:
        parse_month(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def download_line(d: Download) -> str:
    """One line for a download: where from, where to, size, what happened and its checksum."""
    state = (
        "unchanged on the server, not downloaded again"
        if d.from_cache
        else f"downloaded {d.transferred:,} bytes" + (", resumed" if d.resumed else "")
    )
    return f"{d.url} -> {d.path} ({d.size:,} bytes; {state}) sha256 {d.sha256}"


def print_supply(summary: SupplySummary, console: Console) -> None:
    """Each source's fate and each download, then the ingest summary."""
    colour = {"failed": "red", "manual": "yellow"}
    for r in summary.sources:
        text = f"[{colour.get(r.state, 'green')}]{r.state}[/] {escape(r.source)}"
        if r.message:
            text += f": {escape(r.message)}"
        console.print(text, soft_wrap=True, highlight=False)
    for d in summary.downloads:
        console.print(download_line(d), highlight=False, soft_wrap=True, markup=False)
    if summary.files or summary.skipped or summary.warnings:
        print_summary(summary, console)
    else:
        console.print("nothing new to load")
    console.print(f"{summary.transferred:,} bytes downloaded")


def _check(
    sources: list[str], all_sources: bool, area: str | None, force: str | None, first: str | None, last: str | None
) -> None:
    """The options' own rules, checked before anything is opened or downloaded."""
    if all_sources and sources:
        raise OptionError("give source names or --all, not both", field="sources")
    if area is not None and not all_sources:
        raise OptionError("--area goes with --all", field="area")
    if area is not None and area not in AREAS:
        raise OptionError(f"--area {area!r} is not one of {', '.join(AREAS)}", field="area")
    if not (sources or all_sources or force):
        raise OptionError(
            "name the sources to fetch (listed by metforward sources), or --all, or --force FORCE --from "
            "YYYY-MM --to YYYY-MM for police.uk files",
            field="sources",
        )
    if (first is None) != (last is None):
        raise typer.BadParameter("give both --from and --to", param_hint="--from/--to")
    if first is not None and last is not None:
        _month(first, "--from")
        _month(last, "--to")
        if parse_month(last) < parse_month(first):
            raise typer.BadParameter(f"--from {first} is after --to {last}", param_hint="--from/--to")
    if force and first is None and not all_sources:
        raise typer.BadParameter("--force needs --from and --to (the months to fetch)", param_hint="--from/--to")
    if first is not None and not force and not all_sources:
        raise OptionError("--from/--to are police.uk months: they go with --force or --all", field="from")
    if "policeuk" in sources and not force:
        raise OptionError("police.uk is fetched by force and months: --force FORCE --from YYYY-MM --to YYYY-MM")


def fetch_command(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Catalogue sources to fetch by id ('metforward sources' lists them).", show_default=False),
    ] = None,
    all_sources: Annotated[
        bool, typer.Option("--all", help="Every source of --area, and police.uk for the area's forces.")
    ] = False,
    area: Annotated[
        str | None,
        typer.Option(help=f"With --all: {' or '.join(AREAS)} (default: {DEFAULT_AREA}).", show_default=False),
    ] = None,
    force: Annotated[
        str | None,
        typer.Option(
            help="police.uk force: an id (metropolitan, city-of-london, btp), a name, or its slug "
            "(british-transport-police); checked against data.police.uk's force list (cached).",
            show_default=False,
        ),
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First police.uk month, YYYY-MM.", show_default=False)
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last police.uk month, YYYY-MM (inclusive).", show_default=False)
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="street, outcomes or stop-and-search; repeat for several (default: all three)."),
    ] = None,
    base_url: BaseUrl = None,
    cache: Cache = DEFAULT_CACHE,
    max_file_mb: MaxFileMb = None,
    max_rows: MaxRows = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Download sources from their publishers into the cache folder, check them, then ingest them.

    Sources are named by their catalogue id (metforward sources), or all of an area's with
    --all (police.uk included: the area's forces, --from/--to or else the newest month
    published). police.uk files of one force come with --force FORCE --from YYYY-MM --to
    YYYY-MM: the months are checked against the data.police.uk API and the archive(s)
    holding them (each /data/archive/YYYY-MM.zip holds 36 months of every force) are
    downloaded; only that force, those kinds and months are loaded.

    Every download resumes a partial one, is checked (size, SHA-256, zip checksums, the
    format the catalogue expects) and is not downloaded again while the server's copy is
    unchanged (a conditional GET). Each file's checksum is recorded in the store's loads.
    Exit code 0 when every file loaded, 1 when a download failed or any file could not be
    loaded, 2 for usage errors.
    """
    names = list(dict.fromkeys(sources or []))
    _check(names, all_sources, area, force, first, last)
    kinds = tuple(dict.fromkeys(kind or KINDS))
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise typer.BadParameter(f"{', '.join(bad)} (expected {', '.join(KINDS)})", param_hint="--kind")
    chosen = [source(n) for n in names if n != "policeuk"]
    manual = [s for s in chosen if s.method == "manual"]
    if manual:
        s = manual[0]
        raise FetchError(f"{s.id} cannot be downloaded as a file metforward reads: {s.note} (see {s.landing})")
    months = (parse_month(first), parse_month(last)) if first and last else None
    options = ReadOptions(limits=limits(max_file_mb, max_rows))
    police = (base_url or DEFAULT_BASE_URL).rstrip("/")
    try:
        with progress(not as_json) as shown, writer(ctx) as db:
            if force and not names and not all_sources and months is not None:
                only = fetch(db, police, force, *months, kinds, cache, shown, options=options, built_in_reference=True)
                summary = SupplySummary()
                summary.add(only)
                police_only = True
            else:
                police_only = False
                if all_sources:
                    summary = fetch_all(
                        db,
                        area or DEFAULT_AREA,
                        base_url=base_url,
                        cache_dir=cache,
                        months=months,
                        kinds=kinds,
                        progress=shown,
                        options=options,
                        built_in_reference=True,
                    )
                else:
                    alone = not (force and months is not None)  # else built-ins come after police.uk's files
                    summary = fetch_sources(
                        db,
                        chosen,
                        base_url=base_url,
                        cache_dir=cache,
                        progress=shown,
                        options=options,
                        built_in_reference=alone,
                    )
                if force and months is not None and not all_sources:
                    fetch_police(
                        db,
                        [force],
                        *months,
                        kinds,
                        base_url=base_url,
                        cache_dir=cache,
                        progress=shown,
                        options=options,
                        summary=summary,
                    )
                    complete(db, summary, built_in_reference=True)
    except KeyboardInterrupt as exc:
        raise Interrupted(
            f"interrupted: run the same command again to resume (partial downloads are in {cache})"
        ) from exc

    if police_only:
        _print_police(summary, as_json)
    elif as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        print_supply(summary, Console())
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("fetch")(fetch_command)


def _print_police(summary: SupplySummary, as_json: bool) -> None:
    """What ``fetch --force`` has always printed: the plan and downloads with the ingest summary."""
    if as_json:
        out = {**summary.as_dict()}
        for key in ("sources", "plans", "bytes_downloaded"):
            out.pop(key, None)
        out["plan"] = summary.plans[0].as_dict() if summary.plans else None
        typer.echo(json.dumps(out, indent=2))
        return
    console = Console()
    for d in summary.downloads:
        console.print(download_line(d), highlight=False, soft_wrap=True)
    print_summary(summary, console)
