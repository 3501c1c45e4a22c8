"""``metforward searches``: stop and search counts, arrest and find rates, and ethnic disproportionality."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.searches import (
    BY,
    Coverage,
    SearchError,
    Selection,
    coverage,
    disproportionality,
    search_counts,
    search_rates,
    selection,
)
from metforward.cli.compare import num, pval, write_rows
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.errors import OptionError


def _context(console: Console, sel: Selection, cov: Coverage, notes: list[str]) -> None:
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


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("searches")
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
        ] = "self-defined",
        confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
        as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV (the rows only).")] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Write JSON: {rows, coverage, notes, attribution}.")
        ] = False,
    ) -> None:
        """Stop and search by month, area, ethnicity, object, outcome...; rates; disproportionality."""
        if rates and dispro:
            raise OptionError("give --rates or --disproportionality, not both")
        with reader(ctx) as db:
            sel = selection(db, area=area, first=first, last=last, force=force)
            cov = coverage(db, sel)
            notes: list[str] = []
            extra: dict[str, object] = {}
            if dispro:
                if by:
                    raise SearchError("--disproportionality is by ethnic group: leave out --by")
                result = disproportionality(db, sel, field=ethnicity, confidence=confidence)
                rows = result.rows
                notes = [f"denominator: {result.denominator}", *result.notes]
                extra = result.as_dict()
            elif rates:
                rows, notes = search_rates(db, sel, by or [], confidence=confidence)
            else:
                rows = search_counts(db, sel, by or [])
        if as_csv:
            write_rows(rows, tuple(rows[0]) if rows else ("count",), as_csv=True)
            return
        if as_json:
            out = {
                "area": sel.describe(),
                "rows": rows,
                "coverage": cov.as_dict(),
                "notes": notes,
                **{k: v for k, v in extra.items() if k not in ("notes", "area")},
                "attribution": ATTRIBUTION,
            }
            typer.echo(json.dumps(out, indent=2, default=str))
            return
        console = wide_console()
        _context(console, sel, cov, notes)
        if dispro:
            caption = (
                f"Rate = searches per 1,000 residents over the months selected; ratio to {result.reference} with "
                f"exact conditional {confidence:.0%} interval and p value (two Poisson counts, populations as "
                f"exposures).\n{ATTRIBUTION}"
            )
            table = Table(caption=caption, caption_justify="left")
            for name in ("group", "searches", "residents", "per 1,000", "per 1,000 a year", "ratio", "interval", "p"):
                table.add_column(name, justify="left" if name == "group" else "right")
            for r in rows:
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
        elif rates:
            keys = [k for k in (rows[0] if rows else {}) if not k.startswith(("arrest", "find", "positive", "count"))]
            table = Table(
                caption=f"Rates with Wilson {confidence:.0%} intervals. Arrest: outcome Arrest or Suspect arrested. "
                "Find: outcome linked to the object of search and not no-further-action. Positive: any outcome "
                f"other than no further action.\n{ATTRIBUTION}",
                caption_justify="left",
            )
            for name in [*keys, "searches", "arrest rate", "find rate", "positive-outcome rate"]:
                table.add_column(name, justify="left" if name in keys else "right")
            for r in rows:
                table.add_row(
                    *[_cell(r[k]) for k in keys],
                    _cell(r["count"]),
                    _pct(r["arrest_rate"], r["arrest_low"], r["arrest_high"]),
                    _pct(r["find_rate"], r["find_low"], r["find_high"]),
                    _pct(r["positive_rate"], r["positive_low"], r["positive_high"]),
                )
        else:
            keys = [k for k in (rows[0] if rows else {}) if k != "count"]
            table = Table()
            for name in [*keys, "count"]:
                table.add_column(name, justify="left" if name in keys else "right")
            for r in rows:
                table.add_row(*[_cell(r[k]) for k in keys], _cell(r["count"]))
        console.print(table)
        if not table.caption:  # a narrow counts table: the attribution goes below it, full width
            console.print(ATTRIBUTION)
