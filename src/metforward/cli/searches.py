"""``metforward searches``: stop and search counts, arrest and find rates, and ethnic disproportionality."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.searches import Coverage
from metforward.cli.compare import num, pval
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.errors import OptionError
from metforward.questions.searches import BY, Query, Searches, Selection, ask


def _context(console: Console, sel: Selection, cov: Coverage, notes: list[str]) -> None:
    """What the searches rest on: the selection, searches, months with data, rows not placed; the notes."""
    months = f"{month_text(cov.months[0])} to {month_text(cov.months[-1])}" if cov.months else "none"
    console.print(
        f"[bold]stop and search[/], {sel.describe()}: {cov.searches:,} searches; {len(cov.months)} months with data "
        f"({months}); {cov.no_location:,} without a location; {cov.outside:,} with a location outside every borough"
    )
    for note in notes:
        console.print(f"[yellow]{note}[/]")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return num(value, 3)
    return str(value)


def _pct(rate: object, low: object, high: object) -> str:
    if not isinstance(rate, float) or not isinstance(low, float) or not isinstance(high, float):
        return "-"
    return f"{100 * rate:.1f}% ({100 * low:.1f} to {100 * high:.1f})"


def searches_command(
    ctx: typer.Context,
    by: Annotated[
        list[str] | None,
        typer.Option(help=f"Group by (repeatable): {', '.join(BY)}."),
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="A borough, ward or LSOA: name or GSS code (default: London, the Met).")
    ] = None,
    first: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    force: Annotated[
        str | None,
        typer.Option(help="Only this force's searches (default: metropolitan for London, any for an area)."),
    ] = None,
    rates: Annotated[
        bool, typer.Option("--rates", help="Arrest, find and positive-outcome rates with Wilson intervals.")
    ] = False,
    dispro: Annotated[
        bool,
        typer.Option(
            "--disproportionality",
            help="Searches per 1,000 residents by ethnic group (Census 2021) and the ratio to White.",
        ),
    ] = False,
    ethnicity: Annotated[
        str,
        typer.Option(help="With --disproportionality: self-defined (mapped to Census groups) or officer-defined."),
    ] = Query.ethnicity,
    confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = Query.confidence,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Stop and search by month, area, ethnicity, object, outcome...; rates; disproportionality."""
    if rates and dispro:
        raise OptionError("give --rates or --disproportionality, not both")
    mode = "disproportionality" if dispro else "rates" if rates else Query.mode
    query = Query(mode, tuple(by or ()), area, first, last, force, ethnicity, confidence)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_searches(query, answer.result)


def print_searches(query: Query, found: Searches) -> None:
    """The searches as a Rich table, with what they rest on above and the attribution below."""
    console = wide_console()
    _context(console, found.selection, found.coverage, found.notes)
    if found.dispro is not None:
        caption = (
            f"Rate = searches per 1,000 residents over the months selected; ratio to {found.dispro.reference} with "
            f"exact conditional {query.confidence:.0%} interval and p value (two Poisson counts, populations as "
            f"exposures).\n{ATTRIBUTION}"
        )
        table = Table(caption=caption, caption_justify="left")
        for name in ("group", "searches", "residents", "per 1,000", "per 1,000 a year", "ratio", "interval", "p"):
            table.add_column(name, justify="left" if name == "group" else "right")
        for r in found.rows:
            interval = "-" if r["ci_low"] is None else f"{_cell(r['ci_low'])} to {_cell(r['ci_high'])}"
            p = r["p_value"]
            table.add_row(
                str(r["group"]),
                _cell(r["searches"]),
                f"{r['population']:,.0f}",
                _cell(r["rate_per_1000"]),
                _cell(r["rate_per_1000_per_year"]),
                _cell(r["ratio"]),
                interval,
                pval(p if isinstance(p, float) else None),
            )
    elif query.mode == "rates":
        keys = [
            k
            for k in (found.rows[0] if found.rows else {})
            if not k.startswith(("arrest", "find", "positive", "count"))
        ]
        table = Table(
            caption=f"Rates with Wilson {query.confidence:.0%} intervals. Arrest: outcome Arrest or Suspect arrested. "
            "Find: outcome linked to the object of search and not no-further-action. Positive: any outcome "
            f"other than no further action.\n{ATTRIBUTION}",
            caption_justify="left",
        )
        for name in [*keys, "searches", "arrest rate", "find rate", "positive-outcome rate"]:
            table.add_column(name, justify="left" if name in keys else "right")
        for r in found.rows:
            table.add_row(
                *[_cell(r[k]) for k in keys],
                _cell(r["count"]),
                _pct(r["arrest_rate"], r["arrest_low"], r["arrest_high"]),
                _pct(r["find_rate"], r["find_low"], r["find_high"]),
                _pct(r["positive_rate"], r["positive_low"], r["positive_high"]),
            )
    else:
        keys = [k for k in (found.rows[0] if found.rows else {}) if k != "count"]
        table = Table()
        for name in [*keys, "count"]:
            table.add_column(name, justify="left" if name in keys else "right")
        for r in found.rows:
            table.add_row(*[_cell(r[k]) for k in keys], _cell(r["count"]))
    console.print(table)
    if not table.caption:  # a narrow counts table: the attribution goes below it, full width
        console.print(ATTRIBUTION)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("searches")(searches_command)
