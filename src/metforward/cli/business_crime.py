"""``metforward business-crime``: offences against businesses with verdicts, and positive outcome rates."""

from __future__ import annotations

from typing import Annotated

import typer

from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.vawg import print_strand
from metforward.questions.business_crime import BY, Query, ask


def business_crime_command(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help=f"{', '.join(BY)}.")] = Query.by,
    area: Annotated[str | None, typer.Option(help="London (default) or a borough: name or GSS code.")] = None,
    before: Annotated[str | None, typer.Option(help="YYYY-MM:YYYY-MM (default: the 12 months before --after).")] = None,
    after: Annotated[
        str | None, typer.Option(help="YYYY-MM:YYYY-MM (default: the last 12 months of offences).")
    ] = None,
    method: Annotated[
        str, typer.Option(help="quasi (allows for month-to-month variation; default) or poisson (exact).")
    ] = Query.method,
    alpha: Annotated[float, typer.Option(help="Significance level of the verdicts (with BH q values).")] = Query.alpha,
    confidence: Annotated[
        float, typer.Option(help="Confidence level of the outcome rates' intervals.")
    ] = Query.confidence,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Business crime by borough, section or group, with verdicts, and positive outcome rates with intervals."""
    query = Query(by, area, before, after, method, alpha, confidence)
    query.check()
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_strand(answer, f"business crime by {query.by}")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("business-crime")(business_crime_command)
