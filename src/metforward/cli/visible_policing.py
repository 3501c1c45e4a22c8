"""``metforward visible-policing``: residents' distance to the nearest open front counter before and after 2013."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.answer import Answer
from metforward.questions.visible_policing import Query, ask


def _km(metres: object) -> str:
    return "-" if metres is None else f"{float(metres) / 1000:.2f}"  # type: ignore[arg-type]


def _pct(share: object) -> str:
    return "-" if share is None else f"{100 * float(share):.1f}%"  # type: ignore[arg-type]


def print_access(answer: Answer) -> None:
    """The strand as a Rich table (boroughs or LSOAs), what it rests on above, the attribution below."""
    console = wide_console()
    meta = answer.meta
    km = meta["threshold_m"] / 1000
    console.print(
        f"[bold]Front counters open before the 2013 closures: {meta['counters_before']}; after: "
        f"{meta['counters_after']}[/]. Residents: ONS LSOA estimates, mid-{', '.join(map(str, meta['population_years']))}."
    )
    for note in answer.notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(
        caption=f"Straight-line distance (km, British National Grid) from each LSOA's point to the nearest open "
        f"front counter; residents beyond {km:g} km. Exact sums over LSOAs: no sampling error.\n{ATTRIBUTION}",
        caption_justify="left",
    )
    names: tuple[str, ...]
    if answer.query["level"] == "lsoa":
        names = ("LSOA", "borough", "residents", "km before", "km after", "nearest before", "nearest after")
        for name in names:
            out.add_column(name, justify="right" if name.startswith(("km", "res")) else "left")
        for r in answer.items:
            out.add_row(
                f"{r['lsoa_name']} ({r['lsoa_code']})",
                r["borough_name"],
                f"{r['population']:,}",
                _km(r["distance_before_m"]),
                _km(r["distance_after_m"]),
                r["nearest_before"],
                r["nearest_after"],
            )
    else:
        names = ("area", "residents", "counters", "mean km before", "mean km after", f"beyond {km:g} km before",
                 f"beyond {km:g} km after", "newly beyond")  # fmt: skip
        for name in names:
            out.add_column(name, justify="left" if name == "area" else "right")
        for r in answer.items:
            out.add_row(
                r["area_name"],
                f"{r['population']:,}",
                f"{r['counters_before']} -> {r['counters_after']}",
                _km(r["mean_before_m"]),
                _km(r["mean_after_m"]),
                _pct(r["share_beyond_before"]),
                _pct(r["share_beyond_after"]),
                f"{r['newly_beyond']:,}",
            )
    console.print(out)


def visible_policing_command(
    ctx: typer.Context,
    area: Annotated[str | None, typer.Option(help="A borough (name or GSS code); default: London.")] = None,
    level: Annotated[str, typer.Option(help="borough: London and each borough; lsoa: each LSOA.")] = Query.level,
    year: Annotated[int, typer.Option(help="Residents of this year (ONS LSOA mid-year estimates).")] = Query.year,
    threshold_km: Annotated[
        float, typer.Option(help="Residents further than this from a counter.")
    ] = Query.threshold_km,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Visible policing: distance to the nearest open front counter before and after 2013, share beyond 2 km."""
    query = Query(area, level, year, threshold_km)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_access(answer)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("visible-policing")(visible_policing_command)
