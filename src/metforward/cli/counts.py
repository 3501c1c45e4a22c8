"""``metforward counts``: police.uk street-level counts by borough and crime type."""

from __future__ import annotations

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.answer import Answer
from metforward.questions.counts import Query, ask


def print_counts(answer: Answer) -> None:
    """The counts as a Rich table: boroughs by total, crime types by count within each."""
    console = wide_console()
    first, last = answer.meta["first_month"], answer.meta["last_month"]
    if not answer.items or first is None or last is None:
        console.print("No police.uk street data loaded yet. Try: metforward ingest PATH")
        return
    table = Table(
        title=f"police.uk street-level crimes by borough, {first} to {last}",
        caption=ATTRIBUTION,
        caption_justify="left",
    )
    for name in ("borough", "code", "crime type", "count", "share of borough"):
        table.add_column(name, justify="right" if name in {"count", "share of borough"} else "left")
    boroughs: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for row in answer.items:
        boroughs.setdefault((row["borough"], row["borough_code"]), []).append((row["crime_type"], row["count"]))
    for (name, code), types in sorted(boroughs.items(), key=lambda kv: -sum(k for _, k in kv[1])):
        total = sum(k for _, k in types)
        for i, (crime_type, count) in enumerate(sorted(types, key=lambda t: -t[1])):
            table.add_row(
                name if i == 0 else "",
                code if i == 0 else "",
                crime_type,
                f"{count:,}",
                f"{100 * count / total:.1f}%",
            )
        table.add_row("", "", "[bold]all types[/]", f"[bold]{total:,}[/]", "", end_section=True)
    console.print(table)


def counts_command(ctx: typer.Context, as_csv: CsvOpt = False, as_json: JsonOpt = False) -> None:
    """Count police.uk street-level crimes by borough (from each row's LSOA) and crime type, all loaded months."""
    with reader(ctx) as db:
        answer = ask(db, Query())
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_counts(answer)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("counts")(counts_command)
