"""``metforward fairness``: custody disposals by ethnicity per 1,000 residents, ratios to White, beside stop and search."""

from __future__ import annotations

from typing import Annotated

import typer

from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.vawg import print_strand
from metforward.questions.fairness import BY, GROUPS, Query, ask


def fairness_command(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option(help=f"{' or '.join(BY)} (each group's disposals by outcome, against White's).")
    ] = Query.by,
    period: Annotated[
        str | None, typer.Option(help="YYYY-MM:YYYY-MM (default: the last 12 months of custody data).")
    ] = None,
    disposal: Annotated[
        str | None, typer.Option(help="Only this disposal, e.g. 'No Further Action' (default: every one).")
    ] = None,
    age_group: Annotated[str | None, typer.Option(help="Adult or Child (default: both).")] = None,
    offence_group: Annotated[str | None, typer.Option(help="Only this offence group, e.g. Robbery.")] = None,
    reference: Annotated[str, typer.Option(help=f"The group ratios are to: {', '.join(GROUPS)}.")] = Query.reference,
    confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = Query.confidence,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Custody disposals by ethnicity per 1,000 residents, ratios to White with intervals, beside stop and search."""
    query = Query(by, period, disposal, age_group, offence_group, reference, confidence)
    query.check()
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_strand(answer, f"fairness in outcomes: custody disposals by {query.by}")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("fairness")(fairness_command)
