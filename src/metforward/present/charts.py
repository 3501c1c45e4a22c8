"""Charts and maps for the reports and pages: Vega-Lite specs drawn to inline SVG by vl-convert (no
browser), and SVG maps drawn from shapes. Colours are the Okabe-Ito colour-blind-safe palette (Okabe
and Ito 2008), and every colour comes with its word (achieved / missed / can't tell); choropleth classes
come from the one class rule (:func:`metforward.present.maps.class_breaks`)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

import shapely
from markupsafe import Markup

from metforward.present.maps import class_breaks

#: Okabe-Ito palette (Okabe and Ito 2008), colour-blind safe.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
#: Verdict words and their colours (the word is always printed beside the colour).
VERDICT_COLOURS = {
    "achieved": OKABE_ITO["bluish green"],
    "missed": OKABE_ITO["vermillion"],
    "can't tell": OKABE_ITO["grey"],
    "up": OKABE_ITO["vermillion"],
    "down": OKABE_ITO["blue"],
}
HOTSPOT_COLOURS = {"hot": OKABE_ITO["vermillion"], "cold": OKABE_ITO["blue"], "none": "#F2F2F2"}


# --- charts and maps --------------------------------------------------------------------------------

_SVG_ID = re.compile(r'\b(id|clip-path)="[^"]*"')


def chart_svg(spec: dict[str, Any], *, title: str, description: str) -> Markup:
    """A Vega-Lite spec as inline SVG (vl-convert, no browser), with ``<title>``, role and aria-label."""
    import json

    import vl_convert

    svg = vl_convert.vegalite_to_svg(json.dumps(spec, sort_keys=True))
    svg = re.sub(r"^<svg ", f'<svg role="img" aria-label="{html.escape(description)}" ', svg, count=1)
    svg = svg.replace(">", f"><title>{html.escape(title)}</title>", 1)
    return Markup(svg)


def trend_chart(months: list[str], this_year: list[int | None], previous: list[int | None], label: str) -> Markup:
    """Recorded crime by month, this year and the year before: a line chart in two Okabe-Ito colours."""
    values = []
    for i, m in enumerate(months):
        for series, data in (("this year", this_year), ("year before", previous)):
            if data[i] is not None:
                values.append({"month": m, "order": i, "series": series, "crimes": data[i]})
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 560,
        "height": 220,
        "data": {"values": values},
        "config": {"font": "DejaVu Sans", "view": {"stroke": None}},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "sort": months, "title": None, "axis": {"labelAngle": -40}},
            "y": {"field": "crimes", "type": "quantitative", "title": "recorded crimes", "scale": {"zero": False}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": ["this year", "year before"],
                    "range": [OKABE_ITO["blue"], OKABE_ITO["orange"]],
                },
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": ["this year", "year before"], "range": [[1, 0], [5, 3]]},
            },
        },
    }
    total_now = sum(v for v in this_year if v is not None)
    total_before = sum(v for v in previous if v is not None)
    description = (
        f"Line chart of recorded crimes by month in {label}: this year (solid blue) {total_now:,} in total, "
        f"the year before (dashed orange) {total_before:,}. The numbers are in the table below the chart."
    )
    return chart_svg(spec, title=f"Recorded crime by month, {label}", description=description)


def svg_path(geometry: shapely.Geometry, x0: float, y1: float, k: float) -> str:
    """A (multi)polygon as SVG path data: ``(x - x0) * k`` across, ``(y1 - y) * k`` down (north up)."""
    parts: list[str] = []
    polygons = getattr(geometry, "geoms", [geometry])
    for poly in polygons:
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            coords = [(round((x - x0) * k, 1), round((y1 - y) * k, 1)) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in coords) + "Z")
    return "".join(parts)


def map_svg(
    outline: shapely.Geometry | None,
    cells: list[tuple[shapely.Geometry, str, int]],
    *,
    title: str,
    wards: list[tuple[str, shapely.Geometry]] | None = None,
    width: int = 560,
) -> Markup:
    """An SVG map (British National Grid, north up): cells coloured by class, ward lines, outline, legend."""
    shapes = [c[0] for c in cells] + ([outline] if outline is not None else [])
    if not shapes:
        return Markup("")
    x0, y0, x1, y1 = shapely.total_bounds(shapes)
    k = width / max(x1 - x0, 1.0)
    height = math.ceil((y1 - y0) * k)
    counts = {c: sum(1 for _, cls, _ in cells if cls == c) for c in HOTSPOT_COLOURS}
    description = (
        f"{title}: {counts['hot']} hot-spot cells (vermillion, marked H), {counts['cold']} cold-spot cells "
        f"(blue, marked C) and {counts['none']} cells with no significant clustering (light grey); "
        f"{len(wards or [])} ward boundaries dashed, the borough boundary in black."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(description)}" '
        f'width="{width}" height="{height + 40}" viewBox="0 0 {width} {height + 40}">',
        f"<title>{html.escape(title)}</title>",
    ]
    for shape, cls, _n in cells:
        out.append(
            f'<path d="{svg_path(shape, x0, y1, k)}" fill="{HOTSPOT_COLOURS[cls]}" stroke="#ffffff" stroke-width="0.3"/>'
        )
    for shape, cls, _n in cells:
        if cls in ("hot", "cold"):
            c = shape.centroid
            out.append(
                f'<text x="{(c.x - x0) * k:.1f}" y="{(y1 - c.y) * k + 3:.1f}" font-size="7" text-anchor="middle" '
                f'fill="#ffffff">{"H" if cls == "hot" else "C"}</text>'
            )
    for name, shape in wards or []:
        out.append(
            f'<path d="{svg_path(shape, x0, y1, k)}" fill="none" stroke="#555555" stroke-width="0.5" '
            f'stroke-dasharray="2,1.5"><title>{html.escape(name)} ward</title></path>'
        )
    if outline is not None:
        out.append(f'<path d="{svg_path(outline, x0, y1, k)}" fill="none" stroke="#000000" stroke-width="1.2"/>')
    y = height + 14
    legend = [("hot", "H hot spot (Gi*, q < 0.05)"), ("cold", "C cold spot"), ("none", "no significant clustering")]
    x = 0
    for cls, label in legend:
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{HOTSPOT_COLOURS[cls]}" stroke="#666666"/>')
        out.append(f'<text x="{x + 16}" y="{y + 10}" font-size="10">{html.escape(label)}</text>')
        x += 190
    out.append("</svg>")
    return Markup("".join(out))


# --- charts and maps for the bulletin and the JEM pack -------------------------------------------------

_LINE_COLOURS = [OKABE_ITO[k] for k in ("blue", "orange", "bluish green", "vermillion", "reddish purple", "sky blue", "black", "yellow")]  # fmt: skip


def ratio_chart(rows: list[dict[str, Any]], *, title: str) -> Markup:
    """Rate ratios with their intervals, one line per category (a forest plot, log scale), verdict as shape."""
    values = [
        {
            "category": r["category"],
            "ratio": r["rate_ratio"],
            "low": r["ci_low"],
            "high": r["ci_high"],
            "verdict": r["verdict"],
        }
        for r in rows
        if r.get("rate_ratio") is not None and r.get("ci_low") and r.get("ci_high")
    ]
    order = [v["category"] for v in values]
    domain = ["up", "down", "can't tell"]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 380,
        "height": {"step": 16},
        "data": {"values": values},
        "config": {"font": "DejaVu Sans", "view": {"stroke": None}},
        "layer": [
            {"mark": {"type": "rule", "color": "#555555", "strokeDash": [3, 2], "aria": False}, "encoding": {"x": {"datum": 1}}},
            {
                "mark": {"type": "rule", "strokeWidth": 1.5},
                "encoding": {
                    "y": {"field": "category", "type": "nominal", "sort": order, "title": None},
                    "x": {"field": "low", "type": "quantitative", "scale": {"type": "log"}, "title": "rate ratio (log scale), 95% interval"},
                    "x2": {"field": "high"},
                    "color": {"field": "verdict", "type": "nominal", "scale": {"domain": domain, "range": [VERDICT_COLOURS[d] for d in domain]}, "legend": None},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 50},
                "encoding": {
                    "y": {"field": "category", "type": "nominal", "sort": order, "title": None},
                    "x": {"field": "ratio", "type": "quantitative"},
                    "color": {"field": "verdict", "type": "nominal", "title": "verdict", "scale": {"domain": domain, "range": [VERDICT_COLOURS[d] for d in domain]}},
                    "shape": {"field": "verdict", "type": "nominal", "title": "verdict", "scale": {"domain": domain, "range": ["triangle-up", "triangle-down", "circle"]}},
                },
            },
        ],
    }  # fmt: skip
    ups = sum(1 for v in values if v["verdict"] == "up")
    downs = sum(1 for v in values if v["verdict"] == "down")
    description = (
        f"Dot-and-interval chart of the rate ratio for {len(values)} categories on a log scale, with a line at 1 "
        f"(no change): {ups} up (vermillion triangles), {downs} down (blue triangles pointing down), "
        f"{len(values) - ups - downs} can't tell (grey circles). The numbers are in the table."
    )
    return chart_svg(spec, title=title, description=description)


def series_chart(
    monthly: Mapping[str, Mapping[str, int]], *, title: str, top: int = 8, unit: str = "recorded crimes"
) -> Markup:
    """Monthly counts (of ``unit``) of the ``top`` largest categories as lines (Okabe-Ito colours, legend in words)."""
    totals = sorted(monthly, key=lambda c: (-sum(monthly[c].values()), c))[:top]
    months = sorted({m for c in totals for m in monthly[c]})
    values = [{"month": m, "category": c, "crimes": monthly[c][m]} for c in totals for m in months if m in monthly[c]]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 560,
        "height": 240,
        "data": {"values": values},
        "config": {"font": "DejaVu Sans", "view": {"stroke": None}, "legend": {"labelLimit": 260, "orient": "bottom", "columns": 2}},
        "mark": {"type": "line", "strokeWidth": 1.4},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "crimes", "type": "quantitative", "title": f"{unit} per month"},
            "color": {"field": "category", "type": "nominal", "title": None, "sort": totals, "scale": {"domain": totals, "range": _LINE_COLOURS[: len(totals)]}},
        },
    }  # fmt: skip
    description = (
        f"Line chart of {unit} per month from {months[0] if months else '-'} to "
        f"{months[-1] if months else '-'} for the {len(totals)} largest categories: {', '.join(totals)}. "
        "Yearly totals are in the table below the chart."
    )
    return chart_svg(spec, title=title, description=description)


def choropleth_svg(
    outline: shapely.Geometry | None,
    areas: list[tuple[str, str, shapely.Geometry, float | None]],
    *,
    title: str,
    unit: str,
    width: int = 560,
) -> Markup:
    """An SVG choropleth (British National Grid, north up): the map's classes
    (:func:`metforward.present.maps.class_breaks`, as the web map's), viridis ramp, legend in words."""
    shapes = [a[2] for a in areas] + ([outline] if outline is not None else [])
    if not shapes:
        return Markup("")
    x0, y0, x1, y1 = shapely.total_bounds(shapes)
    k = width / max(x1 - x0, 1.0)
    height = math.ceil((y1 - y0) * k)
    classes = class_breaks(v for *_, v in areas)
    ramp = classes.colours

    def colour(value: float | None) -> str:
        return classes.colour(value, missing="#FFFFFF")

    labels = classes.labels()
    description = (
        f"{title}: {len(areas)} areas shaded in {len(ramp)} quantile classes from dark purple (lowest) to yellow "
        f"(highest) {unit}: " + "; ".join(labels) + ". White: no rate. The figures are in the table."
    )
    rows = math.ceil(len(labels) / 3) if labels else 0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(description)}" '
        f'width="{width}" height="{height + 18 * rows + 24}" viewBox="0 0 {width} {height + 18 * rows + 24}">',
        f"<title>{html.escape(title)}</title>",
    ]
    for code, name, shape, value in areas:
        label = f"{name} ({code}): " + ("no rate" if value is None else f"{value:,.1f} {unit}")
        out.append(
            f'<path d="{svg_path(shape, x0, y1, k)}" fill="{colour(value)}" stroke="#ffffff" stroke-width="0.4">'
            f"<title>{html.escape(label)}</title></path>"
        )
    if outline is not None:
        out.append(f'<path d="{svg_path(outline, x0, y1, k)}" fill="none" stroke="#000000" stroke-width="1.2"/>')
    y = height + 14
    out.append(f'<text x="0" y="{y}" font-size="10">{html.escape(unit)}:</text>')
    for i, label in enumerate(labels):
        lx, ly = (i % 3) * 186, y + 6 + (i // 3) * 18
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{ramp[i]}" stroke="#666666"/>')
        out.append(f'<text x="{lx + 16}" y="{ly + 10}" font-size="10">{html.escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
