"""``metforward exceptions``: performance by exception across every borough and category."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.exceptions import ExceptionsReport
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.questions.exceptions import Query, ask


def print_report(report: ExceptionsReport, source: str) -> None:
    """The flags as a Rich table, with what was tested and the summary above and the attribution below."""
    alpha = report.alpha
    console = wide_console()
    tested = ", ".join(f"{name} {n:,} cells" for name, n in report.tests.items())
    console.print(
        f"[bold]{source}[/]{f' ({report.kind})' if report.kind else ''}: recent {report.recent} against "
        f"{report.baseline}; latest month {month_text(report.latest)}; tested: {tested}"
    )
    for note in report.notes:
        console.print(f"[yellow]{note}[/]")
    console.print(report.summary())
    if not report.flags:
        console.print(f"No exceptions: nothing is unusual at a false discovery rate of {alpha:.0%} in any screen.")
        console.print(ATTRIBUTION)
        return
    table = Table(
        caption=f"Each screen controls the false discovery rate at {alpha:.0%} across its cells; ranked by how far "
        "outside expectation (z: standard deviations of the screen's own model).\n" + ATTRIBUTION,
        caption_justify="left",
    )
    for name in ("#", "borough", "category", "screen", "direction", "change", "z", "q", "reason"):
        table.add_column(name, overflow="fold")
    for rank, f in enumerate(report.flags, start=1):
        table.add_row(
            str(rank),
            f.area_name,
            f.category,
            f.test,
            f.direction,
            f"{f.change_pct:+.0f}%",
            f"{f.z:+.1f}",
            f"{f.q_value:.4f}",
            f.reason,
        )
    console.print(table)


def exceptions_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Option(help="police-uk | datastore")] = Query.source,
    by: Annotated[
        str | None, typer.Option(help="Categories: police-uk 'category'; datastore 'major' or 'minor'.")
    ] = None,
    latest: Annotated[
        str | None, typer.Option(help="The latest month to judge, YYYY-MM (default: the last loaded).")
    ] = None,
    months: Annotated[
        int, typer.Option(help="Months in the recent period (and in the baseline before it).")
    ] = Query.months,
    baseline_months: Annotated[
        int, typer.Option(help="Months of each series the SPC limits are drawn from.")
    ] = Query.baseline_months,
    force: Annotated[str | None, typer.Option(help="police.uk: only this force's rows.")] = None,
    alpha: Annotated[float, typer.Option(help="False discovery rate for each screen.")] = Query.alpha,
    min_change: Annotated[
        float,
        typer.Option(
            min=0,
            max=1000,
            help="Smallest change from the expectation worth flagging, in % (default 10: about the median "
            "year-on-year change of a borough x category cell).",
        ),
    ] = Query.min_change,
    method: Annotated[
        str, typer.Option(help="Trend screen: quasi (allows for month-to-month variation) | poisson (exact test).")
    ] = Query.method,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Flag borough x category cells that are unusual: a significant rise on their own baseline, a rate
    outside the funnel of London's, or a latest month outside their own control limits."""
    query = Query(source, by, latest, months, baseline_months, force, alpha, min_change, method)
    query.latest_month()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_report(answer.result, source)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("exceptions")(exceptions_command)
