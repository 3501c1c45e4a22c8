"""Place commands: ``hotstreets``, ``repeats``, ``hotspots`` and ``near-repeat``.

Each builds its question's Query (the defaults are the Query's), asks it, and writes the answer:
``--json`` the envelope (:mod:`metforward.cli.output`), ``--geojson FILE`` a map layer
(:mod:`metforward.present.maps`), otherwise a Rich table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.crime_map import HotSpotMap
from metforward.analyse.near_repeat import KnoxResult
from metforward.analyse.streets import HotStreets
from metforward.cli.compare import num, pval
from metforward.cli.output import JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.present import maps
from metforward.questions import hotspots, hotstreets, near_repeat, repeats
from metforward.questions.answer import Answer

AreaOpt = Annotated[str, typer.Option(help="The area: a borough, ward or LSOA name or GSS code (e.g. Westminster).")]
PeriodOpt = Annotated[str, typer.Option(help="Months YYYY-MM:YYYY-MM (e.g. 2024-01:2024-12).")]
CategoryOpt = Annotated[
    list[str] | None, typer.Option("--category", help="police.uk crime type (repeat for several; default all).")
]
ForceOpt = Annotated[str | None, typer.Option(help="Only this force's rows (default: the force policing the area).")]
NoSuppressOpt = Annotated[bool, typer.Option(help="In the GeoJSON, publish counts of 1 and 2 too.")]
_STYLE = {"up": "red", "down": "green", "can't tell": "dim", "hot": "red", "cold": "blue", "none": "dim"}


def write_layer(layer: dict[str, Any], path: Path) -> None:
    """Write a GeoJSON layer to ``path`` and say so on standard error."""
    path.write_text(json.dumps(layer, separators=(",", ":")), encoding="utf-8")
    typer.echo(f"wrote {path} ({len(layer['features'])} features, WGS84)", err=True)


def suppression(no_suppress: bool) -> int:
    """The counts a layer hides: below :data:`~metforward.present.maps.SUPPRESS_BELOW`, or none."""
    return 0 if no_suppress else maps.SUPPRESS_BELOW


# --- hotstreets ------------------------------------------------------------------------------------


def print_streets(answer: Answer, top: int) -> None:
    """Hot streets as a Rich table: the concentration above, the method and attribution below."""
    result: HotStreets = answer.result
    meta = answer.meta
    console = wide_console()
    share = 100 * result.streets_for_half / result.street_count if result.street_count else 0
    console.print(
        f"[bold]{meta['area_name']}[/] ({meta['area_level']} {meta['area_code']}), {meta['period']}: "
        f"{result.total:,} crimes with a location on {result.street_count:,} streets; "
        f"[bold]{result.streets_for_half:,} streets ({share:.1f}%) hold half[/]. "
        f"{meta['months_with_data']} of {meta['months_asked']} months have data."
    )
    for note in answer.notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(
        caption=(
            f"Street = police.uk Location text within a ward (best-fit ward of its LSOA). Change: against "
            f"{result.previous_period} per month of data, q across all {result.street_count} "
            f"streets. Harm: ONS Crime Severity Score weights.\n{result.method_note}\n{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    for name in ("#", "street", "ward", "points", "count", "share", "cum.", "harm", "before", "change", "q", "verdict"):
        out.add_column(name, justify="left" if name in {"street", "ward", "verdict"} else "right")
    for s in result.streets[:top]:
        out.add_row(
            str(s.rank),
            s.location,
            s.ward_name or "-",
            str(s.snap_points),
            f"{s.count:,}",
            f"{100 * s.share:.1f}%",
            f"{100 * s.cumulative_share:.1f}%",
            num(s.harm, 0),
            f"{s.previous:,}",
            "-" if s.change_pct is None else f"{s.change_pct:+.0f}%",
            pval(s.q_value),
            f"[{_STYLE[s.verdict]}]{s.verdict}[/]",
        )
    console.print(out)


def hotstreets_command(
    ctx: typer.Context,
    area: AreaOpt,
    period: PeriodOpt,
    category: CategoryOpt = None,
    rank_by: Annotated[str, typer.Option(help="count | harm")] = hotstreets.Query.rank_by,
    method: Annotated[
        str,
        typer.Option(
            help="Change on the previous period: quasi (allows for the month-to-month variation of each street's "
            "counts, the default) | poisson (the exact Poisson test)."
        ),
    ] = hotstreets.Query.method,
    top: Annotated[int, typer.Option(help="Streets to show in the table (JSON has all).")] = 20,
    force: ForceOpt = None,
    as_json: JsonOpt = False,
    geojson: Annotated[Path | None, typer.Option(help="Also write the streets as a GeoJSON layer.")] = None,
    no_suppress: NoSuppressOpt = False,
) -> None:
    """Streets ranked by count or harm, with change on the previous period and the concentration of crime."""
    query = hotstreets.Query(area, period, category=category, rank_by=rank_by, force=force, method=method)
    with reader(ctx) as db:
        answer = hotstreets.ask(db, query)
    if geojson:
        layer = maps.street_layer(answer.result, suppress_below=suppression(no_suppress))
        write_layer({**layer, "metforward": {**maps.about_answer(answer), **layer["metforward"]}}, geojson)
    if not emit(answer, as_json=as_json, as_csv=False):
        print_streets(answer, top)


# --- repeats ---------------------------------------------------------------------------------------


def print_repeats(answer: Answer) -> None:
    """Repeat locations as a Rich table."""
    meta = answer.meta
    console = wide_console()
    console.print(
        f"[bold]{meta['area_name']}[/]: {len(answer.items)} snap points with crime in at least {meta['min_months']} "
        f"of the {meta['months']} months to {meta['end']} ({meta['months_with_data']} of {meta['months_asked']} "
        "months have data)"
    )
    out = Table(caption=f"Locations are police.uk snap points (anonymised).\n{ATTRIBUTION}", caption_justify="left")
    for name in ("location", "ward", "months", "count", "categories"):
        out.add_column(name, justify="right" if name == "count" else "left")
    for r in answer.items:
        cats = ", ".join(f"{c} {n}" for c, n in list(r["categories"].items())[:3])
        months = r["months"]
        out.add_row(r["location"], r["ward_name"] or "-", f"{len(months)}: {' '.join(months)}", f"{r['count']:,}", cats)
    console.print(out)


def repeats_command(
    ctx: typer.Context,
    area: AreaOpt,
    end: Annotated[
        str | None, typer.Option(help="Last month YYYY-MM (default: the latest the area's force published).")
    ] = None,
    months: Annotated[int, typer.Option(help="Months to look back over (n).")] = repeats.Query.months,
    min_months: Annotated[int, typer.Option(help="Months with crime needed (k).")] = repeats.Query.min_months,
    category: CategoryOpt = None,
    force: ForceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Repeat locations: snap points with crime in at least k of the last n months."""
    query = repeats.Query(area, end, months, min_months, category, force)
    with reader(ctx) as db:
        answer = repeats.ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=False):
        print_repeats(answer)


# --- hotspots --------------------------------------------------------------------------------------


def print_spots(answer: Answer) -> None:
    """Hot and cold spots as a Rich table (the flagged units, strongest first)."""
    result: HotSpotMap = answer.result
    meta, query = answer.meta, answer.query
    console = wide_console()
    grid = query["units"] == "grid"
    console.print(
        f"[bold]{meta['area_name']}[/], {meta['period']}: {len(answer.items)} {'cells' if grid else 'LSOAs'}, "
        f"{meta['crimes']:,} crimes; [red]{meta['hot']} hot[/], [blue]{meta['cold']} cold[/] at FDR {query['alpha']}"
        + (
            f" ({query['permutations']} permutations, seed {query['seed']})"
            if query["permutations"]
            else " (analytical z)"
        )
        + f"; {meta['months_with_data']} of {meta['months_asked']} months have data"
    )
    for note in result.notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(caption=f"Gi* (Getis and Ord 1992, Ord and Getis 1995), binary weights.\n{ATTRIBUTION}")
    key = ("x", "y") if grid else ("lsoa_code", "lsoa_name")
    for name in (*key, "count", "z", "p", "q", "class"):
        out.add_column(name, justify="left" if name in {"lsoa_code", "lsoa_name", "class"} else "right")
    flagged = sorted((r for r in answer.items if r["class"] != "none"), key=lambda r: -abs(float(r["z"] or 0)))
    for r in flagged:
        out.add_row(
            *(str(r[k]) for k in key),
            f"{r['count']:,}",
            num(r["z"]),
            pval(r["p_value"]),
            pval(r["q_value"]),
            f"[{_STYLE[str(r['class'])]}]{r['class']}[/]",
        )
    console.print(out if flagged else "[dim]No unit is a hot or cold spot at this false discovery rate.[/]")


def hotspots_command(
    ctx: typer.Context,
    area: AreaOpt,
    period: PeriodOpt,
    category: CategoryOpt = None,
    units: Annotated[str, typer.Option(help="grid | lsoa")] = hotspots.Query.units,
    cell_size: Annotated[
        float, typer.Option(help="Grid cell size in metres (British National Grid).")
    ] = hotspots.Query.cell_size,
    band: Annotated[
        float | None, typer.Option(help="Distance band in metres (default: queen, cell size x sqrt 2).")
    ] = None,
    permutations: Annotated[
        int, typer.Option(help="Permutations for pseudo p values (0: analytical).")
    ] = hotspots.Query.permutations,
    seed: Annotated[int | None, typer.Option(help="Seed for the permutations.")] = None,
    alpha: Annotated[float, typer.Option(help="False discovery rate for hot/cold.")] = hotspots.Query.alpha,
    force: ForceOpt = None,
    as_json: JsonOpt = False,
    geojson: Annotated[Path | None, typer.Option(help="Write the layer as GeoJSON (WGS84).")] = None,
    no_suppress: NoSuppressOpt = False,
) -> None:
    """Getis-Ord Gi* hot and cold spots on a grid or on LSOAs, with Benjamini-Hochberg control across units."""
    query = hotspots.Query(
        area,
        period,
        category=category,
        units=units,
        cell_size=cell_size,
        band=band,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        force=force,
    )
    with reader(ctx) as db:
        answer = hotspots.ask(db, query)
    if geojson:
        layer = maps.hotspot_layer(answer.result, suppress_below=suppression(no_suppress))
        write_layer({**layer, "metforward": {**maps.about_answer(answer), **layer["metforward"]}}, geojson)
    if not emit(answer, as_json=as_json, as_csv=False):
        print_spots(answer)


# --- near-repeat -----------------------------------------------------------------------------------


def print_knox(answer: Answer) -> None:
    """The Knox table: distance bands down, time bands across, ratio with * where significant."""
    result: KnoxResult = answer.result
    meta = answer.meta
    console = wide_console()
    console.print(
        f"[bold]{meta['area_name']}[/], {meta['period']}, {', '.join(meta['categories'])}: {result.n_events:,} "
        f"crimes, {result.n_pairs:,} pairs, {result.permutations} permutations (seed {result.seed}); "
        f"{meta['months_with_data']} of {meta['months_asked']} months have data"
    )
    for note in answer.notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(
        caption=(
            "Each cell: Knox ratio = pairs observed / pairs expected if times were unrelated to places "
            "(mean of the permutations); * = q < 0.05 (Benjamini-Hochberg across cells) and ratio > 1.\n"
            f"{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    out.add_column("distance")
    for label in result.time_bands:
        out.add_column(label, justify="right")
    for i, label in enumerate(result.space_bands):
        cells = []
        for j in range(len(result.time_bands)):
            ratio, q = result.ratio[i, j], result.q_value[i, j]
            flag = "*" if q < 0.05 and ratio > 1 else ""
            cells.append("-" if not np.isfinite(ratio) else f"{ratio:.2f}{flag}")
        out.add_row(label, *cells)
    console.print(out)


def near_repeat_command(
    ctx: typer.Context,
    area: AreaOpt,
    period: PeriodOpt,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="police.uk crime type (default Burglary).")
    ] = None,
    space_bandwidth: Annotated[
        float, typer.Option(help="Width of each distance band, metres.")
    ] = near_repeat.Query.space_bandwidth,
    space_bands: Annotated[int, typer.Option(help="Number of distance bands.")] = near_repeat.Query.space_bands,
    time_bands: Annotated[
        int, typer.Option(help="Number of time bands (months at police.uk resolution).")
    ] = near_repeat.Query.time_bands,
    permutations: Annotated[
        int, typer.Option(help="Monte Carlo permutations of the event times.")
    ] = near_repeat.Query.permutations,
    seed: Annotated[int | None, typer.Option(help="Seed for the permutations.")] = near_repeat.Query.seed,
    force: ForceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Knox near-repeat test (Near Repeat Calculator bands) on the crimes of an area, at month resolution."""
    query = near_repeat.Query(
        area,
        period,
        category=category,
        space_bandwidth=space_bandwidth,
        space_bands=space_bands,
        time_bands=time_bands,
        permutations=permutations,
        seed=seed,
        force=force,
    )
    with reader(ctx) as db:
        answer = near_repeat.ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=False):
        print_knox(answer)


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""
    app.command("hotstreets")(hotstreets_command)
    app.command("repeats")(repeats_command)
    app.command("hotspots")(hotspots_command)
    app.command("near-repeat")(near_repeat_command)
