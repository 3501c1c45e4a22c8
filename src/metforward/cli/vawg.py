"""``metforward vawg``: violence against women and girls (MPS VAWG dashboard), with verdicts; and the table
printer the strand commands share (:func:`print_strand`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.cli.compare import num, pval
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.answer import Answer
from metforward.questions.vawg import BY, MEASURES, Query, ask

#: Columns the Rich table leaves out (they are in --json and --csv).
_HIDDEN = {"months_before", "months_after", "dispersion", "ratio_method", "ratio_p", "rate_low", "rate_high", "method"}


def _cell(key: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if key in ("population", "of_group"):
            return f"{value:,.0f}"
        if key in ("p_value", "q_value"):
            return pval(value)
        if key in ("share", "positive_rate", "positive_low", "positive_high", "share_low", "share_high"):
            return f"{100 * value:.1f}%"
        return num(value, 2)
    return str(value)


def print_strand(answer: Answer, title: str) -> None:
    """A strand's answer as a Rich table: what it rests on above, the notes, the rows, the attribution below."""
    console = wide_console()
    meta = answer.meta
    periods = f"{meta['before']} against {meta['after']}" if "after" in meta else str(meta.get("period", ""))
    console.print(f"[bold]{title}[/], {meta.get('area', 'London')}: {periods}")
    if meta.get("method"):
        console.print(f"[dim]{meta['method']}[/]")
    for note in answer.notes:
        console.print(f"[yellow]{note}[/]")
    shown = [c for c in answer.columns if c not in _HIDDEN]
    table = Table(caption=ATTRIBUTION, caption_justify="left")
    for c in shown:
        table.add_column(c.replace("_", " "), justify="left" if c in answer.columns[:2] else "right")
    for row in answer.to_rows():
        table.add_row(*[_cell(c, row.get(c)) for c in shown])
    console.print(table)


def vawg_command(
    ctx: typer.Context,
    measure: Annotated[str, typer.Option(help=f"{' or '.join(MEASURES)}.")] = Query.measure,
    by: Annotated[
        str, typer.Option(help=f"{', '.join(BY)} (type: offences; age, ethnicity: victims; ward: with --area).")
    ] = Query.by,
    area: Annotated[str | None, typer.Option(help="London (default) or a borough: name or GSS code.")] = None,
    before: Annotated[str | None, typer.Option(help="YYYY-MM:YYYY-MM (default: the 12 months before --after).")] = None,
    after: Annotated[str | None, typer.Option(help="YYYY-MM:YYYY-MM (default: the last 12 months with data).")] = None,
    method: Annotated[
        str, typer.Option(help="quasi (allows for month-to-month variation; default) or poisson (exact).")
    ] = Query.method,
    alpha: Annotated[float, typer.Option(help="Significance level of the verdicts (with BH q values).")] = Query.alpha,
    confidence: Annotated[float, typer.Option(help="Confidence level of the rates' intervals.")] = Query.confidence,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Violence against women and girls: offences and victims by borough, ward, type, age and ethnic appearance, with verdicts."""
    query = Query(measure, by, area, before, after, method, alpha, confidence)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_strand(answer, f"violence against women and girls, {query.measure} by {query.by}")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("vawg")(vawg_command)
