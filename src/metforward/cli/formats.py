"""``metforward formats``: the formats ``ingest`` reads, and how it recognises each."""

from __future__ import annotations

import json
import textwrap
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from metforward.ingest.pipeline import formats


def formats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the file formats ingest and fetch read: each reader's kind, what it holds, and how it is recognised.

    A file's format is chosen from its content, never its name: GeoJSON and GeoPackage by
    their first bytes, every other format by its CSV header row, tried in the order listed.
    """
    found = formats()
    if as_json:
        typer.echo(json.dumps([f.as_dict() for f in found], indent=2))
        return
    console = Console()
    for f in found:
        console.print(f"[bold]{escape(f.kind)}[/]  [dim]({f.input})[/]")
        for line in (f.description, f"recognised by: {f.recognised_by}"):
            wrapped = textwrap.fill(line, width=console.width, initial_indent="  ", subsequent_indent="    ")
            console.print(wrapped, markup=False, highlight=False)
    console.print(f"{len(found)} formats. A file whose header matches none is not loaded.")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("formats")(formats_command)
