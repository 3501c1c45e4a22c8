"""``metforward indicators``: load any monthly CSV as named indicators, list them, show a series."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.indicators import IndicatorInfo, Series, area_name
from metforward.cli.output import CsvOpt, emit
from metforward.cli.output import JsonOpt as EnvelopeJsonOpt
from metforward.cli.safety import reader, writer
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.ingest.readers.indicators import IndicatorOptions, load_indicator_file
from metforward.questions.indicators import Query, ask

JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON instead of a table.")]
AreaOpt = Annotated[
    str | None,
    typer.Option(help="Area: a police force (metropolitan, city-of-london), a London borough or a GSS code."),
]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def load_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A monthly CSV (or .csv.gz): wide (date + columns) or long.")],
    name: Annotated[str | None, typer.Option(help="Name of the indicator (wide file, one value column).")] = None,
    columns: Annotated[
        str | None, typer.Option(help="Wide file: the value columns to read, comma-separated (default: all).")
    ] = None,
    date_column: Annotated[str | None, typer.Option(help="The date column (default: found by name).")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of the values, e.g. FTE, headcount, hours.")] = None,
    area: AreaOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load a monthly CSV as named indicators; reloading an indicator replaces its earlier rows.

    Dates: YYYY-MM, YYYY-MM-DD, DD/MM/YYYY, Mon-YY or Mon-YYYY (one form per file). Every row is
    loaded or rejected with its line, field and reason (see the store's rejects table).
    """
    options = IndicatorOptions(
        name=name,
        columns=tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else (),
        date_column=date_column,
        unit=unit,
        area=area,
    )
    with writer(ctx) as db:
        load_id, load = load_indicator_file(db, file, options)
        names = sorted({str(n) for n in load.batches[0].rows.column("name").to_pylist()})
        rejects = load.rejects.to_pylist()
    summary = {
        "file": str(file),
        "load_id": load_id,
        "rows_read": load.rows_read,
        "rows_loaded": load.rows_loaded,
        "rows_rejected": load.rejects.num_rows,
        "indicators": names,
        "rejects": rejects,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    console = wide_console()
    console.print(
        f"{file}: {load.rows_read} rows read, {load.rows_loaded} loaded, {load.rejects.num_rows} rejected; "
        f"indicators: {', '.join(names) or 'none'}"
    )
    for r in rejects[:20]:
        console.print(f"[yellow]line {r['line']}, {r['field']}: {r['reason']} ({r['value']!r})[/]")
    if len(rejects) > 20:
        console.print(f"[yellow]... and {len(rejects) - 20} more in the store's rejects table[/]")


def list_command(
    ctx: typer.Context, area: AreaOpt = None, as_json: EnvelopeJsonOpt = False, as_csv: CsvOpt = False
) -> None:
    """The indicators in the store (of one area, if given): area, unit, months with data and missing."""
    query = Query(area=area)
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_list(answer.result)


def print_list(found: list[IndicatorInfo]) -> None:
    """The indicators as a Rich table."""
    table = Table(
        caption="kind: count (a census figure, no sampling error) or share (numerator of n, Wilson interval)."
        f"\n{ATTRIBUTION}",
        caption_justify="left",
    )
    for column in ("name", "area", "unit", "kind", "first", "last", "months", "missing", "source"):
        table.add_column(column, justify="right" if column in ("months", "missing") else "left")
    for i in found:
        d = i.as_dict()
        table.add_row(
            i.name, str(d["area_name"]), i.unit or "-", str(d["kind"]), str(d["first"]), str(d["last"]),
            str(i.months), str(i.missing), i.source or "-",
        )  # fmt: skip
    wide_console().print(table)


def show_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The indicator's name (see `metforward indicators list`).")],
    area: AreaOpt = None,
    first: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    as_json: EnvelopeJsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """One indicator's series: months with data, months missing, and the change over 12 months."""
    query = Query(name, area, first, last)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_series(answer.result)


def print_series(result: Series) -> None:
    """One indicator's series as a Rich table, with months missing and the 12-month change above."""
    console = wide_console()
    unit = result.info.unit or ("%" if result.info.share else "count")
    console.print(
        f"[bold]{result.info.name}[/], {area_name(result.info.area_code)} ({unit}): {len(result.points)} months with a figure"
        + (f"; [red]missing: {', '.join(month_text(m) for m in result.missing[:12])}"
           f"{' ...' if len(result.missing) > 12 else ''}[/]" if result.missing else "")
    )  # fmt: skip
    if result.trend is not None:
        t = result.trend
        pct = f" ({t.change_pct:+.1f}%)" if t.change_pct is not None else ""
        console.print(
            f"12-month change: {_fmt(t.earlier_value)} in {month_text(t.earlier)} -> {_fmt(t.latest_value)} in "
            f"{month_text(t.latest)}: {t.change:+,.2f}{pct}"
        )
    for note in result.notes:
        console.print(f"[yellow]{note}[/]")
    table = Table(
        caption=("Share: numerator of n, Wilson 95% interval (Wilson 1927). " if result.info.share else "")
        + f"Source: {result.info.source or '-'}\n{ATTRIBUTION}",
        caption_justify="left",
        min_width=100,
    )
    table.add_column("month")
    table.add_column("value", justify="right")
    if result.info.share:
        for column in ("numerator", "n", "ci_low", "ci_high"):
            table.add_column(column, justify="right")
    for p in result.points:
        cells = [month_text(p.month), _fmt(p.value)]
        if result.info.share:
            cells += [_fmt(p.numerator), _fmt(p.n), _fmt(p.low), _fmt(p.high)]
        table.add_row(*cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``indicators`` command group to ``app``."""
    group = typer.Typer(
        name="indicators",
        help="Named monthly indicators (police strength, Special Constables, ...) loaded from any monthly CSV.",
        no_args_is_help=True,
    )
    app.add_typer(group)
    group.command("load")(load_command)
    group.command("list")(list_command)
    group.command("show")(show_command)
