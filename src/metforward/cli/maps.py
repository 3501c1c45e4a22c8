"""Crime mapping commands: ``hotstreets``, ``repeats``, ``hotspots`` and ``map`` (GeoJSON layers)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse import crime_map
from metforward.analyse.compare import CompareError, Period
from metforward.analyse.near_repeat import knox_test
from metforward.cli.compare import num, pval
from metforward.cli.safety import open_for_reading
from metforward.cli.status import wide_console
from metforward.domain.periods import parse_month
from metforward.errors import OptionError
from metforward.present import maps
from metforward.store.database import Database
from metforward.store.places import Place, resolve_place

AreaArg = Annotated[str, typer.Option(help="The area: a borough, ward or LSOA name or GSS code (e.g. Westminster).")]
PeriodArg = Annotated[str, typer.Option(help="Months YYYY-MM:YYYY-MM (e.g. 2024-01:2024-12).")]
CategoryOpt = Annotated[
    list[str] | None, typer.Option("--category", help="police.uk crime type (repeat for several; default all).")
]
ForceOpt = Annotated[str | None, typer.Option(help="Only this force's rows (default: the force policing the area).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON.")]
_STYLE = {"up": "red", "down": "green", "can't tell": "dim", "hot": "red", "cold": "blue", "none": "dim"}


def _open(ctx: typer.Context, area: str) -> tuple[Database, Place]:
    db = open_for_reading(ctx)
    try:
        return db, resolve_place(db, area)
    except BaseException:
        db.close()
        raise


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except CompareError as exc:
        raise OptionError(str(exc)) from exc


def _month(text: str | None, option: str) -> dt.date | None:
    try:
        return None if text is None else parse_month(text)
    except ValueError as exc:
        raise OptionError(f"{option}: {exc}") from exc


def _write(layer: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(layer, separators=(",", ":")), encoding="utf-8")
    typer.echo(f"wrote {path} ({len(layer['features'])} features, WGS84)", err=True)


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""

    @app.command("hotstreets")
    def hotstreets_command(
        ctx: typer.Context,
        area: AreaArg,
        period: PeriodArg,
        category: CategoryOpt = None,
        rank_by: Annotated[str, typer.Option(help="count | harm")] = "count",
        method: Annotated[
            str,
            typer.Option(
                help="Change on the previous period: quasi (allows for the month-to-month variation of each street's "
                "counts, the default) | poisson (the exact Poisson test)."
            ),
        ] = "quasi",
        top: Annotated[int, typer.Option(help="Streets to show in the table (JSON has all).")] = 20,
        force: ForceOpt = None,
        as_json: JsonOpt = False,
        geojson: Annotated[Path | None, typer.Option(help="Also write the streets as a GeoJSON layer.")] = None,
        no_suppress: Annotated[bool, typer.Option(help="In the GeoJSON, publish counts of 1 and 2 too.")] = False,
    ) -> None:
        """Streets ranked by count or harm, with change on the previous period and the concentration of crime."""
        spell = _period(period)
        db, place = _open(ctx, area)
        try:
            result = crime_map.hot_streets(
                db, place, spell, categories=category, rank_by=rank_by, force=force, method=method
            )
        finally:
            db.close()
        if geojson:
            _write(maps.street_layer(result, suppress_below=0 if no_suppress else maps.SUPPRESS_BELOW), geojson)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "area_code": place.code,
                        "area_name": place.name,
                        "period": str(spell),
                        "previous_period": str(result.previous_period),
                        "total": result.total,
                        "streets": result.street_count,
                        "streets_for_half": result.streets_for_half,
                        "months_with_data": len(result.coverage.present),
                        "months_asked": result.coverage.asked,
                        "notes": result.notes,
                        "method": result.streets[0].method if result.streets else "quasi",
                        "method_note": result.method_note,
                        "rows": [s.__dict__ for s in result.streets],
                    },
                    indent=2,
                )
            )
            return
        console = wide_console()
        share = 100 * result.streets_for_half / result.street_count if result.street_count else 0
        console.print(
            f"[bold]{place.name}[/] ({place.level} {place.code}), {spell}: {result.total:,} crimes with a location "
            f"on {result.street_count:,} streets; [bold]{result.streets_for_half:,} streets ({share:.1f}%) hold half[/]. "
            f"{len(result.coverage.present)} of {result.coverage.asked} months have data."
        )
        for note in result.notes:
            console.print(f"[yellow]{note}[/]")
        out = Table(
            caption=(
                f"Street = police.uk Location text within a ward (best-fit ward of its LSOA). Change: against "
                f"{result.previous_period} per month of data, q across all {result.street_count} "
                f"streets. Harm: ONS Crime Severity Score weights.\n{result.method_note}\n{ATTRIBUTION}"
            ),
            caption_justify="left",
        )
        for name in (
            "#",
            "street",
            "ward",
            "points",
            "count",
            "share",
            "cum.",
            "harm",
            "before",
            "change",
            "q",
            "verdict",
        ):
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

    @app.command("repeats")
    def repeats_command(
        ctx: typer.Context,
        area: AreaArg,
        end: Annotated[
            str | None, typer.Option(help="Last month YYYY-MM (default: the latest the area's force published).")
        ] = None,
        months: Annotated[int, typer.Option(help="Months to look back over (n).")] = 6,
        min_months: Annotated[int, typer.Option(help="Months with crime needed (k).")] = 3,
        category: CategoryOpt = None,
        force: ForceOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Repeat locations: snap points with crime in at least k of the last n months."""
        last = _month(end, "--end")
        db, place = _open(ctx, area)
        try:
            last = last or crime_map.latest_month(db, place, categories=category, force=force)
            if last is None:
                raise crime_map.MapError("no police.uk street data is loaded")
            found, cov = crime_map.repeat_locations(
                db, place, end=last, months=months, min_months=min_months, categories=category, force=force
            )
        finally:
            db.close()
        if as_json:
            typer.echo(json.dumps([r.__dict__ for r in found], indent=2))
            return
        console = wide_console()
        console.print(
            f"[bold]{place.name}[/]: {len(found)} snap points with crime in at least {min_months} of the "
            f"{months} months to {last:%Y-%m} ({len(cov.present)} of {cov.asked} months have data)"
        )
        out = Table(caption=f"Locations are police.uk snap points (anonymised).\n{ATTRIBUTION}", caption_justify="left")
        for name in ("location", "ward", "months", "count", "categories"):
            out.add_column(name, justify="right" if name == "count" else "left")
        for r in found:
            cats = ", ".join(f"{c} {n}" for c, n in list(r.categories.items())[:3])
            out.add_row(r.location, r.ward_name or "-", f"{len(r.months)}: {' '.join(r.months)}", f"{r.count:,}", cats)
        console.print(out)

    @app.command("hotspots")
    def hotspots_command(
        ctx: typer.Context,
        area: AreaArg,
        period: PeriodArg,
        category: CategoryOpt = None,
        units: Annotated[str, typer.Option(help="grid | lsoa")] = "grid",
        cell_size: Annotated[float, typer.Option(help="Grid cell size in metres (British National Grid).")] = 250.0,
        band: Annotated[
            float | None, typer.Option(help="Distance band in metres (default: queen, cell size x sqrt 2).")
        ] = None,
        permutations: Annotated[int, typer.Option(help="Permutations for pseudo p values (0: analytical).")] = 0,
        seed: Annotated[int | None, typer.Option(help="Seed for the permutations.")] = None,
        alpha: Annotated[float, typer.Option(help="False discovery rate for hot/cold.")] = 0.05,
        force: ForceOpt = None,
        as_json: JsonOpt = False,
        geojson: Annotated[Path | None, typer.Option(help="Write the layer as GeoJSON (WGS84).")] = None,
        no_suppress: Annotated[bool, typer.Option(help="In the GeoJSON, publish counts of 1 and 2 too.")] = False,
    ) -> None:
        """Getis-Ord Gi* hot and cold spots on a grid or on LSOAs, with Benjamini-Hochberg control across units."""
        spell = _period(period)
        db, place = _open(ctx, area)
        try:
            result = crime_map.hot_spots(
                db,
                place,
                spell,
                units=units,
                cell_size=cell_size,
                band=band,
                categories=category,
                permutations=permutations,
                seed=seed,
                alpha=alpha,
                force=force,
            )
        finally:
            db.close()
        if geojson:
            _write(maps.hotspot_layer(result, suppress_below=0 if no_suppress else maps.SUPPRESS_BELOW), geojson)
        records = crime_map.cell_records(result)
        if as_json:
            typer.echo(json.dumps(records, indent=2))
            return
        console = wide_console()
        classes = result.result.classes
        console.print(
            f"[bold]{place.name}[/], {spell}: {len(records)} {'cells' if units == 'grid' else 'LSOAs'}, "
            f"{int(result.result.counts.sum()):,} crimes; [red]{classes.count('hot')} hot[/], "
            f"[blue]{classes.count('cold')} cold[/] at FDR {alpha}"
            + (f" ({permutations} permutations, seed {seed})" if permutations else " (analytical z)")
            + f"; {len(result.coverage.present)} of {result.coverage.asked} months have data"
        )
        for note in result.notes:
            console.print(f"[yellow]{note}[/]")
        out = Table(caption=f"Gi* (Getis and Ord 1992, Ord and Getis 1995), binary weights.\n{ATTRIBUTION}")
        key = ("x", "y") if units == "grid" else ("lsoa_code", "lsoa_name")
        for name in (*key, "count", "z", "p", "q", "class"):
            out.add_column(name, justify="left" if name in {"lsoa_code", "lsoa_name", "class"} else "right")
        flagged = sorted((r for r in records if r["class"] != "none"), key=lambda r: -abs(float(r["z"] or 0)))  # type: ignore[arg-type]
        for r in flagged:
            out.add_row(
                *(str(r[k]) for k in key),
                f"{r['count']:,}",
                num(r["z"]),  # type: ignore[arg-type]
                pval(r["p_value"]),  # type: ignore[arg-type]
                pval(r["q_value"]),  # type: ignore[arg-type]
                f"[{_STYLE[str(r['class'])]}]{r['class']}[/]",
            )
        console.print(out if flagged else "[dim]No unit is a hot or cold spot at this false discovery rate.[/]")

    @app.command("map")
    def map_command(
        ctx: typer.Context,
        area: AreaArg,
        period: PeriodArg,
        out: Annotated[Path, typer.Option(help="The GeoJSON file to write (WGS84).")],
        layer: Annotated[str, typer.Option(help="lsoa | ward | hotspots | streets")] = "lsoa",
        category: CategoryOpt = None,
        force: ForceOpt = None,
        no_suppress: Annotated[bool, typer.Option(help="Publish counts of 1 and 2 too.")] = False,
    ) -> None:
        """Write a GeoJSON map layer: LSOA or ward choropleth (count, rate, harm), hot-spot cells or hot streets."""
        spell = _period(period)
        suppress = 0 if no_suppress else maps.SUPPRESS_BELOW
        db, place = _open(ctx, area)
        try:
            if layer in ("lsoa", "ward"):
                figures, cov = crime_map.area_figures(db, place, spell, level=layer, categories=category, force=force)
                about = {
                    "area": place.name,
                    "area_code": place.code,
                    "period": str(spell),
                    "categories": category or "all",
                    "months_with_data": len(cov.present),
                    "months_asked": cov.asked,
                    "rate": "crimes per 1,000 residents per year",
                    "harm": "ONS Crime Severity Score weights (docs/methods/harm.md)",
                }
                data = maps.area_layer(figures, level=layer, about=about, suppress_below=suppress)
            elif layer == "hotspots":
                data = maps.hotspot_layer(
                    crime_map.hot_spots(db, place, spell, categories=category, force=force), suppress_below=suppress
                )
            elif layer == "streets":
                data = maps.street_layer(
                    crime_map.hot_streets(db, place, spell, categories=category, force=force), suppress_below=suppress
                )
            else:
                raise crime_map.MapError(f"layers are lsoa, ward, hotspots or streets, not {layer!r}")
        finally:
            db.close()
        _write(data, out)


def register_near_repeat(app: typer.Typer) -> None:
    """Add ``near-repeat`` to ``app``."""

    @app.command("near-repeat")
    def near_repeat_command(
        ctx: typer.Context,
        area: AreaArg,
        period: PeriodArg,
        category: Annotated[
            list[str] | None, typer.Option("--category", help="police.uk crime type (default Burglary).")
        ] = None,
        space_bandwidth: Annotated[float, typer.Option(help="Width of each distance band, metres.")] = 100.0,
        space_bands: Annotated[int, typer.Option(help="Number of distance bands.")] = 5,
        time_bands: Annotated[int, typer.Option(help="Number of time bands (months at police.uk resolution).")] = 5,
        permutations: Annotated[int, typer.Option(help="Monte Carlo permutations of the event times.")] = 999,
        seed: Annotated[int | None, typer.Option(help="Seed for the permutations.")] = 1,
        force: ForceOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Knox near-repeat test (Near Repeat Calculator bands) on the crimes of an area, at month resolution."""
        spell = _period(period)
        db, place = _open(ctx, area)
        types = category or ["Burglary"]
        try:
            x, y, t = crime_map.events(db, place, spell, categories=types, force=force)
            cov = crime_map.coverage_of(db, place, spell, types, force)
            if len(x) < 2:
                raise crime_map.MapError(f"fewer than two {', '.join(types)} crimes with a location in {place.name}")
            result = knox_test(
                x,
                y,
                t,
                space_bandwidth=space_bandwidth,
                space_bands=space_bands,
                time_bandwidth=1,
                time_bands=time_bands,
                permutations=permutations,
                seed=seed,
                time_unit="month",
            )
        finally:
            db.close()
        caveat = (
            "police.uk gives months, not days, so the time bands are months (same month, 1 month apart, ...): "
            "the 1-2 week near-repeat window of the literature is inside the 'same month' band. "
            "'Same location' means the same anonymised snap point."
        )
        if as_json:
            payload = {
                "area_code": place.code,
                "area_name": place.name,
                "period": str(spell),
                "categories": types,
                "events": result.n_events,
                "pairs": result.n_pairs,
                "permutations": result.permutations,
                "seed": result.seed,
                "time_unit": result.time_unit,
                "months_with_data": len(cov.present),
                "months_asked": cov.asked,
                "note": caveat,
                "cells": result.cells(),
            }
            typer.echo(json.dumps(payload, indent=2))
            return
        console = wide_console()
        console.print(
            f"[bold]{place.name}[/], {spell}, {', '.join(types)}: {result.n_events:,} crimes, {result.n_pairs:,} pairs, "
            f"{result.permutations} permutations (seed {result.seed}); {len(cov.present)} of {cov.asked} months have data"
        )
        console.print(f"[yellow]{caveat}[/]")
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
