"""``metforward counts``: police.uk street-level counts by borough and crime type."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.store import catalog


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command()
    def counts(
        ctx: typer.Context,
        as_csv: Annotated[
            bool, typer.Option("--csv", help="Write CSV (borough_code, borough, crime_type, count).")
        ] = False,
    ) -> None:
        """Count police.uk street-level crimes by borough (from each row's LSOA) and crime type, all loaded months."""
        with reader(ctx) as db:
            rows = catalog.police_counts_by_borough(db)
            first, last = catalog.police_months(db)
        if as_csv:
            writer = csv.writer(sys.stdout)
            writer.writerow(["borough_code", "borough", "crime_type", "count"])
            writer.writerows(rows)
            return
        console = wide_console()
        if not rows or first is None or last is None:
            console.print("No police.uk street data loaded yet. Try: metforward ingest PATH")
            return
        table = Table(
            title=f"police.uk street-level crimes by borough, {month_text(first)} to {month_text(last)}",
            caption=ATTRIBUTION,
            caption_justify="left",
        )
        for name in ("borough", "code", "crime type", "count", "share of borough"):
            table.add_column(name, justify="right" if name in {"count", "share of borough"} else "left")
        boroughs: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for code, name, crime_type, count in rows:
            boroughs.setdefault((name, code), []).append((crime_type, count))
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
