"""``metforward compare``: two periods, any area level, any source, with significance and completeness."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.basket import BasketTable
from metforward.analyse.compare import CompareTable
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.present.csv import write_csv
from metforward.questions.basket_file import resolve_basket
from metforward.questions.compare import Query, ask

_STYLE = {"up": "red", "down": "green", "can't tell": "dim"}


def num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def pval(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def print_context(console: Console, table: CompareTable) -> None:
    """What a comparison rests on: source, level, periods, months present and missing, notes."""
    spec = table.spec
    source = spec.source + (f" ({table.kind})" if table.kind else "") + (f", force {spec.force}" if spec.force else "")
    missing = table.missing_months
    console.print(
        f"[bold]{source}[/], {spec.level} level: before {spec.before} ({len(table.months_present_before)} of "
        f"{spec.before.months} months present), after {spec.after} ({len(table.months_present_after)} of "
        f"{spec.after.months} months present)"
        + (
            f"; [red]missing: {', '.join(month_text(m) for m in missing[:12])}{' ...' if len(missing) > 12 else ''}[/]"
            if missing
            else ""
        )
    )
    for note in table.notes:
        console.print(f"[yellow]{note}[/]")


def interval_words(method: str) -> str:
    """How the interval and p value of ``method`` are made, for table captions."""
    if method == "poisson":
        return "exact {level} interval and p value (conditional test of two Poisson counts)"
    return "{level} interval and p value allowing for the month-to-month variation (quasi-Poisson)"


def print_table(table: CompareTable) -> None:
    """The comparison as a Rich table, with what it rests on above and the attribution below."""
    spec = table.spec
    console = wide_console()
    print_context(console, table)
    out = Table(
        caption=(
            "Rate ratio = after/before per month of data, "
            + interval_words(spec.method).format(level=f"{100 * (1 - spec.alpha):.0f}%")
            + f"; q = Benjamini-Hochberg across this table; verdict at q < {spec.alpha}. "
            f'"can\'t tell": the data cannot distinguish the change from chance.\n{table.method_note}\n{ATTRIBUTION}'
        ),
        caption_justify="left",
    )
    for name in ("area", "category", "before", "after", "change", "rate ratio", "95% interval", "p", "q", "verdict"):
        out.add_column(name, justify="left" if name in {"area", "category", "verdict"} else "right")
    for r in table.rows:
        change = "-" if r.change_pct is None else f"{r.change_pct:+.1f}%"
        interval = "-" if r.ci_low is None and r.ci_high is None else f"{num(r.ci_low)} to {num(r.ci_high)}"
        out.add_row(
            r.area_name,
            r.category,
            f"{r.before:,}",
            f"{r.after:,}",
            change,
            num(r.rate_ratio),
            interval,
            pval(r.p_value),
            pval(r.q_value),
            f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
        )
    console.print(out)


BeforeOpt = Annotated[str | None, typer.Option(help="First period, YYYY-MM:YYYY-MM.")]
AfterOpt = Annotated[str | None, typer.Option(help="Second period, YYYY-MM:YYYY-MM.")]
AroundOpt = Annotated[str | None, typer.Option(help="Instead of --before/--after: a month YYYY-MM to compare around.")]
WindowOpt = Annotated[int, typer.Option(help="With --around: months on each side.")]
LevelOpt = Annotated[str, typer.Option(help="force | borough | ward | lsoa")]
AreaOpt = Annotated[str | None, typer.Option(help="One area: a name or GSS code (e.g. Westminster, E09000033).")]
SourceOpt = Annotated[str, typer.Option(help="police-uk | datastore")]
ForceOpt = Annotated[str | None, typer.Option(help="police.uk: only this force's rows (e.g. metropolitan).")]
KindOpt = Annotated[
    str | None,
    typer.Option(
        "--kind", "--datastore-kind", help="Datastore file kind (default: the best one covering the periods)."
    ),
]
AlphaOpt = Annotated[float, typer.Option(help="Significance level for the verdict (on q values).")]
MethodOpt = Annotated[
    str,
    typer.Option(
        help="quasi: allow for the month-to-month variation of the counts (default); "
        "poisson: the exact conditional Poisson test."
    ),
]


def print_basket(table: BasketTable) -> None:
    """A basket comparison as a Rich table: each line with its source, the caveats below, the attribution."""
    console = wide_console()
    missing = [i.title for i in table.lines if not i.months_before or not i.months_after]
    console.print(
        f"[bold]{table.title}[/] ({table.origin}), {'London' if table.level == 'force' else 'by borough'}: "
        f"before {table.before}, after {table.after}"
    )
    for note in table.notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(
        caption=(
            "Rate ratio = after/before per month of data (months where every source of the line has data), "
            + interval_words("poisson" if table.method == "poisson" else "quasi").format(
                level=f"{100 * (1 - table.alpha):.0f}%"
            )
            + f"; q = Benjamini-Hochberg across this table; verdict at q < {table.alpha}."
            + (f" No data in one period: {', '.join(missing)}." if missing else "")
            + f"\n{table.method_note}\n{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    names = (
        "area",
        "line",
        "before",
        "after",
        "months",
        "change",
        "rate ratio",
        "95% interval",
        "q",
        "verdict",
        "source",
    )
    for name in names:
        out.add_column(name, justify="left" if name in {"area", "line", "verdict", "source"} else "right")
    for r in table.rows:
        info = table.info(r.category)
        change = "-" if r.change_pct is None else f"{r.change_pct:+.1f}%"
        interval = "-" if r.ci_low is None and r.ci_high is None else f"{num(r.ci_low)} to {num(r.ci_high)}"
        out.add_row(
            r.area_name,
            r.category,
            f"{r.before:,}",
            f"{r.after:,}",
            f"{r.months_before}+{r.months_after}",
            change,
            num(r.rate_ratio),
            interval,
            pval(r.q_value),
            f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
            info.source if info else "",
        )
    console.print(out)
    for info in table.lines:
        if info.caveat:
            console.print(f"[dim]{info.title}: {info.caveat}[/]")


BasketOpt = Annotated[
    str | None,
    typer.Option(
        help="Compare the lines of a headline basket instead of categories: a basket file (docs/baskets.md) "
        "or a built-in name (results-so-far, youth-violence). With --level force: London.",
    ),
]


def compare_command(
    ctx: typer.Context,
    before: BeforeOpt = None,
    after: AfterOpt = None,
    around: AroundOpt = None,
    window: WindowOpt = Query.window,
    level: LevelOpt = Query.level,
    area: AreaOpt = None,
    source: SourceOpt = Query.source,
    by: Annotated[
        str | None, typer.Option(help="Categories: police-uk 'category'; datastore 'major' or 'minor'.")
    ] = None,
    force: ForceOpt = None,
    kind: KindOpt = None,
    alpha: AlphaOpt = Query.alpha,
    method: MethodOpt = Query.method,
    basket: BasketOpt = None,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare counts in two periods by area and category: rate ratio, interval, p and q values, verdict."""
    query = Query(before, after, around, window, level, area, source, by, force, kind, alpha, method, basket)
    query.spec()  # a bad option is a usage error before the store is opened
    if basket:
        resolve_basket(basket)  # and so is a basket file that is not valid
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        if isinstance(answer.result, BasketTable):
            print_basket(answer.result)
        else:
            print_table(answer.result)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("compare")(compare_command)


def write_rows(rows: list[dict[str, object]], columns: tuple[str, ...], *, as_csv: bool) -> None:
    """Transitional (for commands not yet answering through questions): rows as CSV or a JSON list."""
    if not as_csv:
        typer.echo(json.dumps(rows, indent=2))
        return
    write_csv(sys.stdout, rows, columns)
