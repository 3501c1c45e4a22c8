"""``metforward harm``: harm-weighted totals by area in two periods, beside the counts, with significance."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.harm import SCHEMES
from metforward.analyse.harm_change import HarmTable
from metforward.cli.compare import (
    AfterOpt,
    AlphaOpt,
    AreaOpt,
    AroundOpt,
    BeforeOpt,
    ForceOpt,
    KindOpt,
    LevelOpt,
    MethodOpt,
    SourceOpt,
    WindowOpt,
    num,
    print_context,
    pval,
)
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.harm import Query, ask

_STYLE = {"up": "red", "down": "green", "can't tell": "dim"}


def print_harm(table: HarmTable) -> None:
    """The harm comparison as a Rich table, with what it rests on above and the attribution below."""
    console = wide_console()
    print_context(console, table.counts)
    spec = table.counts.spec
    per_1000 = any(r.harm_per_1000_after is not None for r in table.rows)
    out = Table(
        caption=(
            f"Harm = crimes x {table.scheme} weight ({table.unit}; taxonomy {table.taxonomy}; see docs/methods/harm.md). "
            f"Ratio = harm per month of data after/before, {100 * (1 - spec.alpha):.0f}% interval and p value from "
            "the normal approximation on the log ratio (delta method; Breslow and Day 1987)"
            + (", variance times the dispersion of the monthly harm, Student's t" if spec.method == "quasi" else "")
            + "; q = Benjamini-Hochberg across this table. Coverage = share of the crimes that carry a weight."
            + (" Harm per 1,000 residents per year." if per_1000 else "")
            + f"\n{table.method_note}\n{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    names = ["area", "crimes before", "crimes after", "harm before", "harm after", "change", "ratio", "interval"]
    names += ["p", "q", "verdict", "coverage"] + (["per 1,000 after"] if per_1000 else [])
    for name in names:
        out.add_column(name, justify="left" if name in {"area", "verdict"} else "right")
    for r in table.rows:
        interval = "-" if r.ci_low is None else f"{num(r.ci_low)} to {num(r.ci_high)}"
        cells = [
            r.area_name,
            f"{r.crimes_before:,}",
            f"{r.crimes_after:,}",
            f"{r.harm_before:,.0f}",
            f"{r.harm_after:,.0f}",
            "-" if r.change_pct is None else f"{r.change_pct:+.1f}%",
            num(r.harm_ratio),
            interval,
            pval(r.p_value),
            pval(r.q_value),
            f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
            "-" if r.coverage is None else f"{100 * r.coverage:.1f}%",
        ]
        if per_1000:
            cells.append(num(r.harm_per_1000_after, 1))
        out.add_row(*cells)
    console.print(out)
    no_weight = sorted({c for r in table.rows for c in r.unweighted})
    if no_weight:
        console.print(f"[yellow]No {table.scheme} weight, counted but not weighed: {', '.join(no_weight)}[/]")
    partial = [f"{r.area_name} ({', '.join(r.one_period_only)})" for r in table.rows if r.one_period_only]
    if partial:
        console.print(f"[yellow]Data in one period only, left out of the ratio: {'; '.join(partial)}[/]")


SchemeOpt = Annotated[str, typer.Option(help=f"Severity weights: {' | '.join(SCHEMES)}.")]


def harm_command(
    ctx: typer.Context,
    before: BeforeOpt = None,
    after: AfterOpt = None,
    around: AroundOpt = None,
    window: WindowOpt = Query.window,
    level: LevelOpt = Query.level,
    area: AreaOpt = None,
    source: SourceOpt = Query.source,
    force: ForceOpt = None,
    kind: KindOpt = None,
    scheme: SchemeOpt = Query.scheme,
    alpha: AlphaOpt = Query.alpha,
    method: MethodOpt = Query.method,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Harm-weighted totals by area in two periods: crimes, harm, harm ratio with interval, p and q, verdict."""
    query = Query(before, after, around, window, level, area, source, force, kind, scheme, alpha, method)
    query.spec()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_harm(answer.result)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("harm")(harm_command)
