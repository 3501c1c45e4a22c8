"""``metforward outcomes``: sanction detection rates, from police.uk outcomes or the MPS dashboard."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.outcomes import BY, DASHBOARD_BY, DashboardResult, OutcomesResult
from metforward.analyse.outcomes import key_names as key_columns
from metforward.cli.compare import num
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.outcomes import SANCTION_CLASSES
from metforward.questions.outcomes import Query, ask

_SHORT = {
    "charge_summons": "charge",
    "caution": "caution",
    "penalty_notice": "PND",
    "drugs_warning": "drugs warn.",
    "community_resolution": "comm. res.",
}


def outcomes_command(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="Months the crimes were recorded in, YYYY-MM:YYYY-MM.")],
    area: Annotated[
        str,
        typer.Option(help="London, or a borough, ward or LSOA name or GSS code (dashboard: London or a borough)."),
    ] = Query.area,
    by: Annotated[
        list[str] | None,
        typer.Option(help=f"Group by (repeat): {', '.join(BY)} (dashboard: {', '.join(DASHBOARD_BY)})."),
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="police.uk crime type (repeat; default all).")
    ] = None,
    force: Annotated[str | None, typer.Option(help="Only this force's crimes (default: the area's force).")] = None,
    source: Annotated[
        str, typer.Option(help="police-uk (outcomes joined to crimes) or dashboard (MPS Monthly Crime Dashboard).")
    ] = Query.source,
    crime_type: Annotated[
        str | None, typer.Option(help="Dashboard crime type, e.g. 'Knife Crime' (with --source dashboard).")
    ] = None,
    crime_subtype: Annotated[
        str | None, typer.Option(help="Dashboard crime subtype (default: the crime type's own total).")
    ] = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Sanction detection rates with Wilson intervals, time to a sanction, and what is still under investigation."""
    query = Query(period, area, tuple(by or ()), tuple(category or ()), force, source, crime_type, crime_subtype)
    query.checked()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if emit(answer, as_json=as_json, as_csv=as_csv):
        return
    if isinstance(answer.result, DashboardResult):
        print_dashboard(answer.result)
    else:
        print_sanctions(answer.result)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("outcomes")(outcomes_command)


def print_sanctions(result: OutcomesResult) -> None:
    """Sanction detection as a Rich table, with what it rests on above and the attribution below."""
    console = wide_console()
    t = result.total
    console.print(
        f"[bold]{result.area_name}[/], crimes recorded {result.period} ({', '.join(result.forces)}): "
        f"[bold]{num(t.rate)}%[/] with a sanction outcome ({t.sanctioned:,} of {t.crimes:,}; 95% interval "
        f"{num(t.ci_low)} to {num(t.ci_high)}); street files' last outcome: {num(t.street_rate)}%"
    )
    for load in result.loads:
        console.print(
            f"  {load.kind} files of {load.force}: {load.files} months {load.first_month:%Y-%m} to "
            f"{load.last_month:%Y-%m}, loaded {load.loaded_first:%Y-%m-%d %H:%M} to {load.loaded_last:%Y-%m-%d %H:%M}"
        )
    for note in result.notes:
        console.print(f"[yellow]{note}[/]")
    table = Table(
        caption="Sanction outcome: charge or summons (court results included), caution, penalty notice (PND), drugs "
        "warning, community resolution (docs/methods/outcomes.md). Rate: Wilson 95% interval. Months: crime month "
        f"to first sanction outcome month (quartiles).\n{ATTRIBUTION}",
        caption_justify="left",
    )
    key_names = [k for k in key_columns(result.by) if k in ("borough_name", "ward_name", "category", "month")]
    for name in [
        *key_names,
        "crimes",
        "sanctioned",
        "rate %",
        "95% interval",
        *(_SHORT[c] for c in SANCTION_CLASSES),
        "under inv.",
        "outcome missing",
        "street rate %",
        "months (q1/med/q3)",
    ]:
        table.add_column(name, justify="left" if name in key_names else "right")
    for r in result.rows if result.by else [result.total]:
        quart = r.months_to_sanction
        table.add_row(
            *[str(r.keys.get(k) or "-") for k in key_names],
            f"{r.crimes:,}",
            f"{r.sanctioned:,}",
            num(r.rate),
            f"{num(r.ci_low)} to {num(r.ci_high)}",
            *(f"{r.by_class[c]:,}" for c in SANCTION_CLASSES),
            f"{r.under_investigation:,}",
            f"{r.outcome_missing:,}",
            num(r.street_rate),
            "/".join(f"{q:g}" for q in quart) if quart else "-",
        )
    console.print(table)


def print_dashboard(result: DashboardResult) -> None:
    """The dashboard's positive outcome rates as a Rich table."""
    console = wide_console()
    t = result.total
    console.print(
        f"[bold]{result.area_name}[/], {result.crime_type} / {result.crime_subtype}, {result.period} "
        f"({len(result.months_present)} of {result.period.months} months with data; MPS Monthly Crime Dashboard "
        f"refreshed {', '.join(f'{d:%Y-%m-%d}' for d in result.refresh_dates if d)}): [bold]{num(t.rate)}[/] positive "
        f"outcomes per 100 offences ({t.positive_outcomes:,} / {t.offences:,}; 95% interval {num(t.ci_low)} to "
        f"{num(t.ci_high)})"
    )
    for note in result.notes:
        console.print(f"[yellow]{note}[/]")
    if not result.rows:
        return
    table = Table(
        caption="Positive outcomes counted in the month recorded, offences in the month recorded: a ratio of flows, "
        f"not a cohort rate. Wilson 95% interval.\n{ATTRIBUTION}",
        caption_justify="left",
    )
    key_names = [k for k in result.rows[0].keys if k in ("borough_name", "month")]
    for name in [*key_names, "offences", "positive outcomes", "per 100", "95% interval"]:
        table.add_column(name, justify="left" if name in key_names else "right")
    for r in result.rows:
        table.add_row(
            *[str(r.keys.get(k) or "-") for k in key_names],
            f"{r.offences:,}",
            f"{r.positive_outcomes:,}",
            num(r.rate),
            f"{num(r.ci_low)} to {num(r.ci_high)}",
        )
    console.print(table)
