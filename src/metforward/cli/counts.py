"""``metforward counts``: police.uk street-level counts by borough and crime type."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.domain.periods import month_text
from metforward.store import catalog
from metforward.store.database import Database


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command()
    def counts(
        ctx: typer.Context,
        as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV (borough_code, borough, crime_type, count).")] = False,
    ) -> None:
        """Count police.uk street-level crimes by borough (from each row's LSOA) and crime type, all loaded months."""
        with Database(ctx.obj.settings.db_path) as db:
            rows = catalog.police_counts_by_borough(db)
            first, last = catalog.police_months(db)
        if as_csv:
            writer = csv.writer(sys.stdout)
            writer.writerow(["borough_code", "borough", "crime_type", "count"])
            writer.writerows(rows)
            return
        console = Console()
        if not rows or first is None or last is None:
            console.print("No police.uk street data loaded yet. Try: metforward ingest PATH")
            return
        types = sorted({t for _, _, t, _ in rows})
        boroughs = sorted({(n, c) for c, n, _, _ in rows})
        cell = {(c, t): k for c, _, t, k in rows}
        table = Table(title=f"police.uk street-level crimes by borough, {month_text(first)} to {month_text(last)}",
                      caption=ATTRIBUTION, caption_justify="left")
        table.add_column("borough")
        for t in types:
            table.add_column(t, justify="right")
        table.add_column("total", justify="right", style="bold")
        for name, code in boroughs:
            values = [cell.get((code, t), 0) for t in types]
            table.add_row(name, *[f"{v:,}" if v else "" for v in values], f"{sum(values):,}")
        console.print(table)
