"""``metforward sources``: the catalogue of sources metforward fetches and reads."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.errors import OptionError
from metforward.ingest.catalogue import AREAS, catalogue

#: How each method reads in the table.
HOW = {
    "policeuk": "fetch --force",
    "datastore": "fetch",
    "http": "fetch",
    "manual": "by hand, then ingest",
}
AREA_LABEL = {"london": "London", "england-wales": "E&W"}


def sources_command(
    area: Annotated[
        str | None, typer.Option(help=f"Only the sources of {' or '.join(AREAS)}.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every field of every source as JSON.")] = False,
) -> None:
    """List the sources metforward fetches and reads, and how each is fetched and kept current.

    For each source: what it is, how it is fetched, the reader that reads it, its area, how
    often it changes and how a new version is told. --json adds the publisher, landing page, download URLs, licence and attribution of each. Sources marked
    'by hand' publish no file metforward reads as it is (a workbook, an interactive export): their
    note says what to save before 'metforward ingest'.
    """
    if area is not None and area not in AREAS:
        raise OptionError(f"--area {area!r} is not one of {', '.join(AREAS)}", field="area")
    found = [s for s in catalogue() if area is None or area in s.areas]
    if as_json:
        typer.echo(json.dumps({"sources": [s.as_dict() for s in found], "attribution": ATTRIBUTION}, indent=2))
        return
    table = Table(title="Sources", expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("what", overflow="fold", ratio=4)
    for name, ratio in (("fetched", 2), ("read as", 3), ("areas", 2), ("updated", 2), ("new version", 2)):
        table.add_column(name, overflow="fold", ratio=ratio)
    for s in found:
        table.add_row(
            escape(s.id),
            escape(s.title),
            HOW[s.method],
            escape(", ".join(s.formats)),
            escape(", ".join(AREA_LABEL[a] for a in s.areas)),
            escape(s.cadence),
            escape(s.version),
        )
    console = Console()
    console.print(table)
    console.print(
        f"{len(found)} sources; licences and attribution: metforward sources --json. {ATTRIBUTION}",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("sources")(sources_command)
