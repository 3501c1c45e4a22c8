"""``metforward youth-violence``: knife-injury victims aged 1-24 and homicide victims under 25, two periods compared."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.cli.compare import AroundOpt, num, pval
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.youth_violence import Query, Youth, ask

STYLE = {"up": "red", "down": "green", "can't tell": "dim"}


def print_youth(made: Youth) -> None:
    """The strand as a Rich table: each line's counts with their exact intervals, the comparison, the verdict."""
    table = made.table
    console = wide_console()
    console.print(
        f"[bold]{table.title}[/], {'London' if table.level == 'force' else 'by borough'}: "
        f"before {table.before}, after {table.after}"
    )
    for note in table.notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(
        caption=(
            f"Counts with their exact (Garwood) {100 * (1 - table.alpha):.0f}% intervals; rate ratio = after/before "
            f"per month of data; q = Benjamini-Hochberg across this table; verdict at q < {table.alpha}.\n"
            f"{table.method_note}\n{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    columns = ("area", "line", "before", "after", "rate ratio", "interval", "q", "test", "verdict")
    for name in columns:
        out.add_column(name, justify="left" if name in {"area", "line", "test", "verdict"} else "right")
    for r in made.rows:
        before = (
            f"{r['before']:,} ({num(r['before_low'], 1)}-{num(r['before_high'], 1)})" if r["months_before"] else "-"
        )
        after = f"{r['after']:,} ({num(r['after_low'], 1)}-{num(r['after_high'], 1)})" if r["months_after"] else "-"
        interval = "-" if r["ci_low"] is None else f"{num(r['ci_low'])} to {num(r['ci_high'])}"
        out.add_row(
            r["area_name"],
            r["category"],
            before,
            after,
            num(r["rate_ratio"]),
            interval,
            pval(r["q_value"]),
            "exact" if r["method"] == "poisson" else r["method"],
            f"[{STYLE[r['verdict']]}]{r['verdict']}[/]",
        )
    console.print(out)
    for info in table.lines:
        console.print(f"[dim]{info.title}: {info.source}. {info.caveat}[/]")


def youth_violence_command(
    ctx: typer.Context,
    area: Annotated[str | None, typer.Option(help="A borough (name or GSS code); default: London.")] = None,
    level: Annotated[str, typer.Option(help="force (London) | borough (every borough).")] = Query.level,
    before: Annotated[str | None, typer.Option(help="First period, YYYY-MM:YYYY-MM.")] = None,
    after: Annotated[str | None, typer.Option(help="Second period, YYYY-MM:YYYY-MM.")] = None,
    around: AroundOpt = None,
    window: Annotated[int, typer.Option(help="With --around: months on each side.")] = Query.window,
    alpha: Annotated[float, typer.Option(help="Significance level for the verdict (on q values).")] = Query.alpha,
    method: Annotated[
        str,
        typer.Option(
            help="auto: the exact Poisson test where the months show no extra-Poisson variation, quasi-Poisson "
            "where they do (default); quasi; poisson."
        ),
    ] = Query.method,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Youth violence: knife-injury victims 1-24 and homicide victims under 25, with exact intervals for small counts."""
    query = Query(area, level, before, after, around, window, alpha, method)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_youth(answer.result)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("youth-violence")(youth_violence_command)
