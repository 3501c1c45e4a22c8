"""``metforward status``: what is in the store, with a coverage grid by source, force and month."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.domain.periods import month_text
from metforward.questions.status import KINDS, Query, Status, ask

_PRESENT, _MISSING = "█", "·"


def grid_row(months: tuple[dt.date, ...], year: int) -> str:
    """Twelve characters for one year: a block for each month present, a dot for each missing inside the range."""
    have = {(m.year, m.month) for m in months}
    first, last = months[0], months[-1]
    cells = []
    for month in range(1, 13):
        day = dt.date(year, month, 1)
        if (year, month) in have:
            cells.append(_PRESENT)
        elif first <= day <= last:
            cells.append(_MISSING)
        else:
            cells.append(" ")
    return "".join(cells)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def print_status(status: Status, console: Console) -> None:
    """Coverage tables and grid for every source in the store."""
    rows = status.police
    all_series = status.series
    if not rows:
        console.print("No police.uk data loaded yet. Try: metforward ingest PATH")
    else:
        table = Table(
            title="police.uk data by source and force",
            caption="not placed: street and outcomes rows without an LSOA code; stop-and-search rows outside every "
            "borough boundary loaded or without coordinates (searches are placed from their coordinates); "
            "pending: searches with coordinates not yet placed against the current boundaries",
            caption_justify="left",
        )
        for name in (
            "kind",
            "force",
            "first",
            "last",
            "months",
            "missing",
            "rows",
            "rejected",
            "not placed",
            "no coords",
            "pending",
        ):
            table.add_column(name, justify="left" if name in {"kind", "force", "first", "last"} else "right")
        for s in all_series:
            mine = [r for r in rows if (r.kind, r.force) == (s.kind, s.force)]
            n = sum(r.rows for r in mine)
            table.add_row(
                s.kind,
                s.force,
                month_text(s.months[0]),
                month_text(s.months[-1]),
                str(len(s.months)),
                str(len(s.missing)) if not s.missing else f"[red]{len(s.missing)}[/]",
                f"{n:,}",
                f"{sum(r.rejected for r in mine):,}",
                _pct(sum(r.no_lsoa for r in mine), n),
                _pct(sum(r.no_coordinates for r in mine), n),
                f"[red]{pending:,}[/]" if (pending := sum(r.pending for r in mine)) else "",
            )
        console.print(table)
        pending = status.pending
        if pending:
            console.print(
                f"[red]{pending:,} searches with coordinates are not yet placed[/] against the current boundaries "
                "(a run was stopped, or an older metforward made the store): the next `metforward ingest` or "
                "`metforward fetch` places them."
            )
        grid = Table(title=f"Coverage ({_PRESENT} month loaded, {_MISSING} month missing)")
        grid.add_column("kind / force")
        grid.add_column("year")
        grid.add_column("JFMAMJJASOND", no_wrap=True)
        for s in all_series:
            years = range(s.months[0].year, s.months[-1].year + 1)
            for i, year in enumerate(years):
                grid.add_row(
                    f"{s.kind} / {s.force}" if i == 0 else "",
                    str(year),
                    grid_row(s.months, year),
                    end_section=year == years[-1],
                )
        console.print(grid)
    datastore = status.datastore
    if datastore:
        table = Table(title="London Datastore counts")
        for name in (
            "kind",
            "level",
            "areas",
            "first",
            "last",
            "months",
            "missing",
            "total count",
            "cells without area",
        ):
            table.add_column(name)
        for d in datastore:
            missing = d["missing_months"]
            assert isinstance(missing, list)
            table.add_row(
                str(d["kind"]),
                str(d["level"]),
                str(d["areas"]),
                str(d["first"]),
                str(d["last"]),
                str(d["months"]),
                str(len(missing)),
                f"{d['total_count']:,}",
                f"{d['cells_without_area']:,}",
            )
        console.print(table)
    reference = status.reference
    if reference:
        table = Table(title="Reference data")
        for name in ("table", "what", "rows", "source"):
            table.add_column(name)
        for r in reference:
            table.add_row(str(r["table"]), str(r["what"]), f"{r['rows']:,}", str(r["source"]))
        console.print(table)


def wide_console() -> Console:
    """A console for tables: the terminal's width, or 150 columns when writing to a pipe or file."""
    console = Console()
    return console if console.is_terminal else Console(width=150)


def status_command(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="Only this police.uk kind: " + " | ".join(KINDS) + ".")] = None,
    force: Annotated[str | None, typer.Option(help="Only this police.uk force (e.g. metropolitan).")] = None,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Show what is in the store: rows, rejects, completeness and missing months by source, force and month."""
    query = Query(kind, force)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_status(answer.result, wide_console())


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("status")(status_command)
