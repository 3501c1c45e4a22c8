"""``metforward audit ...``: check the audit log's hash chain, and export it for an oversight review."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, TextIO

import typer

from metforward.cli.records import needs, opened
from metforward.errors import OptionError
from metforward.present.csv import write_csv
from metforward.records import audit
from metforward.records.access import Action

app = typer.Typer(help="The audit log: verify its hash chain, export it (docs/records.md).")


def _day(text: str | None, option: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise OptionError(f"{option} {text!r}: give a date as YYYY-MM-DD", field=option.lstrip("-")) from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@app.command(name="verify")
@needs(Action.ADMIN)
def verify(ctx: typer.Context) -> None:
    """Check the hash chain: exit 0 when intact, 1 naming the first broken row (changed, removed or moved)."""
    with opened(ctx).database.reading() as session:
        verdict = audit.verify(session)
    if verdict.ok:
        typer.echo(f"audit log intact: {verdict.rows} rows, head {verdict.head}")
        return
    typer.echo(f"audit log broken at row {verdict.broken}: {verdict.problem}", err=True)
    raise typer.Exit(1)


def _write(stream: TextIO, rows: list[dict[str, object]], fmt: str) -> None:
    if fmt == "json":
        json.dump(rows, stream, indent=1, ensure_ascii=False)
        stream.write("\n")
    else:
        write_csv(stream, rows, audit.AuditRow.columns())


@app.command(name="export")
@needs(Action.ADMIN)
def export(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, UTC), inclusive.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD, UTC), inclusive.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
) -> None:
    """Export the audit rows of a period (every field, with the hashes, so the chain can be re-checked)."""
    if fmt not in ("csv", "json"):
        raise OptionError(f"--format {fmt!r}: csv or json", field="format")
    first, last = _day(start, "--from"), _day(end, "--to")
    if first and last and last < first:
        raise OptionError("--to is before --from", field="to")
    work = opened(ctx)
    with work.database.transaction() as session:
        rows = [
            asdict(row) for row in audit.rows_between(session, first, last + dt.timedelta(days=1) if last else None)
        ]
        audit.append(
            session, work.principal, "audit_export", detail=f"{start or 'start'} to {end or 'end'}: {len(rows)} rows"
        )
    if out is None:
        _write(sys.stdout, rows, fmt)
    else:
        with out.open("w", encoding="utf-8", newline="") as stream:
            _write(stream, rows, fmt)
    if out:
        typer.echo(f"{out}: {len(rows)} audit rows", err=True)


def register(root: typer.Typer) -> None:
    """Add the command group to ``root``."""
    root.add_typer(app, name="audit")
