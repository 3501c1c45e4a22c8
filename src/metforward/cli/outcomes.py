"""``metforward outcomes``: sanction detection rates, from police.uk outcomes or the MPS dashboard."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.compare import CompareError, Period
from metforward.analyse.outcomes import (
    BY,
    DASHBOARD_BY,
    DashboardResult,
    OutcomesResult,
    area_of,
    dashboard_rates,
    sanction_rates,
)
from metforward.cli.compare import num, write_rows
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.outcomes import SANCTION_CLASSES
from metforward.errors import OptionError

_SHORT = {
    "charge_summons": "charge",
    "caution": "caution",
    "penalty_notice": "PND",
    "drugs_warning": "drugs warn.",
    "community_resolution": "comm. res.",
}


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("outcomes")
    def outcomes_command(
        ctx: typer.Context,
        period: Annotated[str, typer.Option(help="Months the crimes were recorded in, YYYY-MM:YYYY-MM.")],
        area: Annotated[
            str,
            typer.Option(help="London, or a borough, ward or LSOA name or GSS code (dashboard: London or a borough)."),
        ] = "London",
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
        ] = "police-uk",
        crime_type: Annotated[
            str | None, typer.Option(help="Dashboard crime type, e.g. 'Knife Crime' (with --source dashboard).")
        ] = None,
        crime_subtype: Annotated[
            str | None, typer.Option(help="Dashboard crime subtype (default: the crime type's own total).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Write JSON.")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="Write the rows as CSV.")] = False,
    ) -> None:
        """Sanction detection rates with Wilson intervals, time to a sanction, and what is still under investigation."""
        try:
            spell = Period.parse(period)
        except CompareError as exc:
            raise OptionError(str(exc)) from exc
        if source not in ("police-uk", "dashboard"):
            raise OptionError("--source must be police-uk or dashboard")
        if source == "dashboard" and not crime_type:
            raise OptionError("--source dashboard needs --crime-type (e.g. 'Knife Crime')")
        with reader(ctx) as db:
            place = area_of(db, area)
            if source == "dashboard":
                if place is not None and place.level != "borough":
                    raise OptionError("the dashboard is read at borough level: give London or a borough")
                dash = dashboard_rates(
                    db,
                    None if place is None else place.code,
                    spell,
                    crime_type=crime_type or "",  # checked above: given with --source dashboard
                    crime_subtype=crime_subtype,
                    by=by or (),
                )
            else:
                result = sanction_rates(db, place, spell, by=by or (), categories=category, force=force)
        if source == "dashboard":
            _show_dashboard(dash, as_json=as_json, as_csv=as_csv)
        else:
            _show(result, as_json=as_json, as_csv=as_csv)


def _show(result: OutcomesResult, *, as_json: bool, as_csv: bool) -> None:
    rows = [r.as_dict() for r in result.rows] if result.by else [result.total.as_dict()]
    if as_csv:
        write_rows(rows, (), as_csv=True)
        return
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "area_code": result.area_code,
                    "area_name": result.area_name,
                    "period": str(result.period),
                    "forces": result.forces,
                    "by": list(result.by),
                    "outcome_months": [f"{m:%Y-%m}" for m in result.outcome_months] if result.outcome_months else None,
                    "loads": [
                        {
                            "kind": x.kind,
                            "force": x.force,
                            "first_month": f"{x.first_month:%Y-%m}",
                            "last_month": f"{x.last_month:%Y-%m}",
                            "files": x.files,
                            "loaded_first": x.loaded_first.isoformat(timespec="seconds"),
                            "loaded_last": x.loaded_last.isoformat(timespec="seconds"),
                        }
                        for x in result.loads
                    ],
                    "notes": result.notes,
                    "total": result.total.as_dict(),
                    "rows": rows,
                    "attribution": ATTRIBUTION,
                },
                indent=2,
            )
        )
        return
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
    key_names = [k for k in (rows[0] if rows else {}) if k in ("borough_name", "ward_name", "category", "month")]
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


def _show_dashboard(result: DashboardResult, *, as_json: bool, as_csv: bool) -> None:
    rows = [r.as_dict() for r in result.rows] if result.rows else [result.total.as_dict()]
    if as_csv:
        write_rows(rows, (), as_csv=True)
        return
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "area_code": result.area_code,
                    "area_name": result.area_name,
                    "period": str(result.period),
                    "source": "MPS Monthly Crime Dashboard",
                    "crime_type": result.crime_type,
                    "crime_subtype": result.crime_subtype,
                    "months_with_data": len(result.months_present),
                    "months_asked": result.period.months,
                    "refresh_dates": [f"{d:%Y-%m-%d}" for d in result.refresh_dates if d],
                    "notes": result.notes,
                    "total": result.total.as_dict(),
                    "rows": rows,
                    "attribution": ATTRIBUTION,
                },
                indent=2,
            )
        )
        return
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
    key_names = [k for k in rows[0] if k in ("borough_name", "month")]
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
