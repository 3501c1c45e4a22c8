"""``metforward map``: a map layer as a GeoJSON file (RFC 7946, WGS84), or its answer as JSON.

The area layers (``--layer borough | ward | lsoa``) are the ``map`` question's figures
(:mod:`metforward.questions.maps`, the same as the web map's); ``hotspots`` and ``streets`` are the
``hotspots`` and ``hotstreets`` questions' answers drawn as layers. ``--out FILE`` writes the
GeoJSON layer (its ``metforward`` member names the question and the query it draws); ``--json``
writes the answer's envelope to standard output, as every command's ``--json`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.crime_map import MapError
from metforward.cli.output import JsonOpt, emit
from metforward.cli.places import CategoryOpt, ForceOpt, print_spots, print_streets, suppression, write_layer
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.present import maps
from metforward.questions import hotspots, hotstreets
from metforward.questions import maps as question
from metforward.questions.answer import Answer

#: The layers the command draws: the map question's levels, and two other questions' answers.
LAYERS = (*question.LEVELS, "hotspots", "streets")
MEASURES = ("count", "rate", "harm")


def print_areas(answer: Answer, measure: str, top: int = 20) -> None:
    """The areas with the highest ``measure`` as a Rich table (counts of 1 and 2 not listed)."""
    meta = answer.meta
    key = {"count": "count", "rate": "rate_per_1000", "harm": "harm"}[measure]
    shown = [r for r in answer.items if r[key] is not None and r["count"] >= maps.SUPPRESS_BELOW]
    console = wide_console()
    console.print(
        f"[bold]{meta['area_name']}[/], {meta['period']}: {len(answer.items)} {meta['level']} areas, "
        f"{sum(r['count'] for r in answer.items):,} crimes; {len(meta['months_present'])} of "
        f"{meta['months_asked']} months have data"
    )
    out = Table(
        caption=f"Rate: {meta['rate']}. Interval: {meta['interval']}. Harm: {meta['harm']}.\n{ATTRIBUTION}",
        caption_justify="left",
    )
    for name in ("area", "code", "count", "95% interval", "rate per 1,000", "harm"):
        out.add_column(name, justify="left" if name in {"area", "code"} else "right")
    for r in sorted(shown, key=lambda r: -float(r[key]))[:top]:
        rate = "-" if r["rate_per_1000"] is None else f"{r['rate_per_1000']:,.1f}"
        out.add_row(
            r["name"], r["code"], f"{r['count']:,}", f"{r['count_low']:,.0f} to {r['count_high']:,.0f}", rate,
            f"{r['harm']:,.0f}",
        )  # fmt: skip
    console.print(out)


def map_command(
    ctx: typer.Context,
    area: Annotated[
        str | None,
        typer.Option(help="The area: a borough, ward or LSOA name or GSS code (default: London, by borough)."),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Months YYYY-MM:YYYY-MM (default: the latest month loaded).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="The GeoJSON file to write (WGS84).")] = None,
    layer: Annotated[
        str | None,
        typer.Option(help="borough | ward | lsoa | hotspots | streets (default: lsoa of an area, boroughs of London)"),
    ] = None,
    measure: Annotated[str, typer.Option(help="What the area layers' classes shade: count | rate | harm")] = "count",
    category: CategoryOpt = None,
    force: ForceOpt = None,
    no_suppress: Annotated[bool, typer.Option(help="Publish counts of 1 and 2 too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a GeoJSON map layer: borough, ward or LSOA choropleth (count, rate, harm), hot-spot cells or hot streets."""
    if layer is not None and layer not in LAYERS:
        raise MapError(f"layers are {', '.join(LAYERS)}, not {layer!r}", field="layer")
    if measure not in MEASURES:
        raise MapError(f"the measure is {', '.join(MEASURES)}, not {measure!r}", field="measure")
    suppress = suppression(no_suppress)
    if layer in ("hotspots", "streets"):
        if area is None:
            raise MapError(f"the {layer} layer is of one area: give --area", field="area")
        if layer == "hotspots":
            spots = hotspots.Query(area, period, category=category, force=force)
            with reader(ctx) as db:
                answer = hotspots.ask(db, spots)
            data = maps.hotspot_layer(answer.result, suppress_below=suppress)
        else:
            streets = hotstreets.Query(area, period, category=category, force=force)
            with reader(ctx) as db:
                answer = hotstreets.ask(db, streets)
            data = maps.street_layer(answer.result, suppress_below=suppress)
        about = {**maps.about_answer(answer), **data["metforward"]}
    else:
        query = question.Query(area, period, level=layer, category=category, force=force)
        with reader(ctx) as db:
            answer = question.ask(db, query, shapes=out is not None)
        meta = answer.meta
        about = {
            **maps.about_answer(answer),
            "area": meta["area_name"],
            "area_code": meta["area_code"],
            "period": meta["period"],
            "categories": meta["categories"],
            "months_with_data": len(meta["months_present"]),
            "months_asked": meta["months_asked"],
            "rate": meta["rate"],
            "interval": meta["interval"],
            "harm": meta["harm"],
        }
        data = maps.area_layer(
            answer.result.figures, about={"layer": f"crime by {meta['level']}", **about}, measure=measure,
            suppress_below=suppress,
        )  # fmt: skip
        about = data["metforward"]
    if out is not None:
        write_layer({**data, "metforward": about}, out)
    if emit(answer, as_json=as_json, as_csv=False) or out is not None:
        return
    if answer.question == "hotspots":
        print_spots(answer)
    elif answer.question == "hotstreets":
        print_streets(answer, 20)
    else:
        print_areas(answer, measure)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("map")(map_command)
