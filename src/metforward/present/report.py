"""Published reports: self-contained, accessible, reproducible HTML and PDF.

One Jinja2 environment over the package's templates (``base.html`` holds the A4 print CSS and the
footer every report shares: the loads it was built from, the metforward version, the method
notes and the Open Government Licence attribution), one :func:`render_html`, one
:func:`write_pdf` (WeasyPrint). Charts are Vega-Lite specs rendered to SVG by vl-convert, with no
browser; maps are SVG paths drawn here from the shapes. Nothing is fetched: the CSS is inlined
and every chart and map is inline SVG. Colours are the Okabe-Ito colour-blind-safe palette
(Okabe and Ito 2008), and every colour comes with its word (achieved / missed / can't tell).
The same context always gives the same bytes: no clock is read, iteration is sorted.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import frontmatter
import shapely
from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from metforward import ATTRIBUTION, __version__
from metforward.errors import MetforwardError
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

CONTENT_KEYS = ("chair_message", "commander_message", "initiatives", "have_your_say", "contacts")
CONTENT_TITLES = {
    "chair_message": "A message from the chair",
    "commander_message": "The borough commander's message",
    "initiatives": "Local initiatives",
    "have_your_say": "How to have your say",
    "contacts": "Useful contacts",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment over ``metforward/present/templates`` (autoescaped, strict undefined)."""
    from jinja2 import StrictUndefined

    env = Environment(
        loader=PackageLoader("metforward.present", "templates"),
        autoescape=select_autoescape(["html", "css"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = num
    env.filters["pct"] = pct
    env.filters["signed"] = signed
    env.filters["groupby_kind"] = group_loads
    env.globals["verdict_colour"] = lambda v: VERDICT_COLOURS.get(str(v), OKABE_ITO["grey"])
    return env


def render_html(template: str, context: Mapping[str, Any]) -> str:
    """Render a report template; the footer context (version, attribution, css) is added here."""
    env = environment()
    css = env.loader.get_source(env, "report.css")[0] if env.loader else ""
    full = {"version": __version__, "attribution": ATTRIBUTION, "css": Markup(css), **context}
    return env.get_template(template).render(full)


def pdf_bytes(html_text: str) -> bytes:
    """``html_text`` as a PDF with WeasyPrint: no base URL and a fetcher that refuses every URL.

    A reference to anything outside the HTML (an image, a stylesheet, a font; ``http:``, ``file:``,
    ``data:`` alike) is left out of the PDF with a WeasyPrint warning, and no request is made.
    """
    import weasyprint  # type: ignore[import-untyped]

    document = weasyprint.HTML(string=html_text, base_url=None, url_fetcher=refusing_fetcher()).render()
    document.metadata.created = None
    document.metadata.modified = None
    data: bytes = document.write_pdf()
    return data


def write_pdf(html_text: str, path: Path) -> None:
    """Write ``html_text`` as a PDF file (see :func:`pdf_bytes`)."""
    path.write_bytes(pdf_bytes(html_text))


def refusing_fetcher() -> Any:
    """A WeasyPrint ``URLFetcher`` whose every fetch fails before any request (the resource is skipped)."""
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class RefusingFetcher(URLFetcher):  # type: ignore[misc]
        """``fetch`` (which ``open`` and ``__call__`` go through) raises; ``fail_on_errors`` stays off."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url: str, headers: object = None) -> Any:
            raise ValueError(f"reports fetch nothing; refused {url}")

    return RefusingFetcher()


def group_loads(loads: Iterable[Any]) -> list[tuple[tuple[str, str | None], list[Any]]]:
    """Loads grouped by (kind, force), in the order given (the store's sorted order)."""
    groups: dict[tuple[str, str | None], list[Any]] = {}
    for load in loads:
        groups.setdefault((load.kind, load.force), []).append(load)
    return list(groups.items())


# --- number formats ---------------------------------------------------------------------------------


def num(value: object, digits: int = 0) -> str:
    """A number with thousands separators; "-" for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int) and digits == 0:
        return f"{value:,}"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def pct(value: object, digits: int = 1, scale: float = 1.0) -> str:
    """A percentage (``scale=100`` for proportions)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{float(value) * scale:.{digits}f}%"  # type: ignore[arg-type]


def signed(value: object, digits: int = 1) -> str:
    """A signed number (a change)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{float(value):+.{digits}f}"  # type: ignore[arg-type]


# --- content files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """The words people write for a borough's report: messages, initiatives, contacts, priorities."""

    path: str
    is_default: bool
    example: bool
    sections: dict[str, Markup]
    priorities: list[str] = field(default_factory=list)
    digest: str = ""


class ContentError(MetforwardError, ValueError):
    """A content file that cannot be used; the message names the file (and line) and what to do."""

    code = "content_file"


#: Renders content Markdown: raw HTML is escaped, and images are not even parsed (``![x](u)`` stays text).
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
#: Parses content Markdown only to find what :func:`check_markdown` refuses (raw HTML, images).
_CHECK = MarkdownIt("commonmark", {"html": True, "linkify": False})


def check_markdown(text: str, path: Path | str, first_line: int = 1) -> None:
    """Refuse raw HTML and images in content Markdown, naming ``path`` and the line (``text`` starts at ``first_line``).

    A report loads nothing: an image (remote or local) or an HTML tag (``<img>``, ``<script>``,
    ``<iframe>``, ``<style>``, a comment) would either fetch from the network or be shown as
    literal text, so the author is told to remove it instead. Hyperlinks (``[text](https://...)``
    and ``<https://...>``) are fine: a link loads nothing until a reader follows it.
    """
    for token in _CHECK.parse(text):
        start = (token.map[0] if token.map else 0) + first_line
        if token.type == "html_block":
            _refuse(path, start, "raw HTML", token.content.strip().splitlines()[0])
        breaks = 0
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                breaks += 1
            elif child.type == "html_inline":
                _refuse(path, start + breaks, "raw HTML", child.content)
            elif child.type == "image":
                shown = f"![{child.content}]({child.attrs.get('src', '')})"
                _refuse(path, start + breaks, "an image", shown)


def _refuse(path: Path | str, line: int, what: str, shown: str) -> None:
    shown = " ".join(shown.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise ContentError(
        f"{path}:{line}: {what} is not allowed in a content file ({shown}): reports load nothing and pass "
        "no HTML through; remove it (write a web address as a link, [text](https://...), if readers need it)"
    )


def load_content(directory: Path, code: str, slug: str) -> Content:
    """``<directory>/<code>.md`` or ``<slug>.md``, else ``_default.md``: YAML front matter plus ``## sections``.

    Front matter keys: ``example`` (true for a sample file), ``priorities`` (a list). Body: one
    ``## `` heading per section (Chair's message, Borough commander's message, Local initiatives,
    How to have your say, Useful contacts); text before the first heading is ignored. A section
    with raw HTML or an image is refused (:class:`ContentError`, see :func:`check_markdown`).
    """
    import hashlib

    for name in (f"{code}.md", f"{slug}.md", "_default.md"):
        path = directory / name
        if path.is_file():
            break
    else:
        raise FileNotFoundError(f"no content file for {slug} in {directory} (and no _default.md there)")
    text = path.read_text(encoding="utf-8")
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # the YAML parser's errors name the line
        raise ContentError(f"{path}: the front matter is not valid YAML: {exc}") from exc
    # python-frontmatter strips the file, then the body: the body ends where the stripped file ends
    end = len(text.rstrip())
    body_line = text[: end - len(post.content)].count("\n") if text[:end].endswith(post.content) else 0
    sections: dict[str, Markup] = {}
    for title, body, line in _split(post.content):
        key = _section_key(title)
        if key is None:
            raise ContentError(
                f"{path}:{body_line + line}: unknown section '## {title}' "
                f"(expected: {', '.join(CONTENT_TITLES.values())})"
            )
        check_markdown(body, path, body_line + line)
        sections[key] = Markup(_MD.render(body.strip()))  # checked above; html off and images off besides
    priorities = post.metadata.get("priorities") or []
    if not isinstance(priorities, list) or not all(isinstance(p, str) for p in priorities):
        raise ContentError(f"{path}: front matter 'priorities' must be a list of sentences")
    return Content(
        path=path.name,
        is_default=path.name == "_default.md",
        example=bool(post.metadata.get("example", False)),
        sections=sections,
        priorities=list(priorities),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
    )


def _split(body: str) -> Iterable[tuple[str, str, int]]:
    """Each ``## title`` of ``body`` with its text and the heading's line (1 for the first line of ``body``)."""
    headings = list(re.finditer(r"^## +(.+?)[ \t]*$", body, flags=re.MULTILINE))
    for i, match in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(body)
        yield match[1], body[match.end() : end], body.count("\n", 0, match.start()) + 1


def _section_key(title: str) -> str | None:
    t = title.lower().replace("’", "'")
    for key, words in (
        ("chair_message", "chair"),
        ("commander_message", "commander"),
        ("initiatives", "initiative"),
        ("have_your_say", "your say"),
        ("contacts", "contact"),
    ):
        if words in t:
            return key
    return None


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


# --- the Local Policing Summary ---------------------------------------------------------------------


def render_summary(data: Any, content: Content, *, targets_name: str | None = None) -> str:
    """The Local Policing Summary (``data``: :class:`metforward.analyse.reports.SummaryData`) as HTML."""
    trend_svg = (
        trend_chart(data.trend.months, data.trend.this_year, data.trend.previous_year, data.borough_name)
        if data.trend is not None
        else None
    )
    map_markup = (
        map_svg(
            data.map.outline,
            data.map.cells,
            title=f"Hot spots of crime in {data.borough_name}, {data.year.period}",
            wards=data.map.wards,
        )
        if data.map is not None
        else None
    )
    streets = data.streets.streets[:10] if data.streets is not None else []
    from metforward.analyse.reports import summary_inputs

    return render_html(
        "summary.html",
        {
            "d": data,
            "loads": data.loads,
            "content": content,
            "titles": CONTENT_TITLES,
            "trend_svg": trend_svg,
            "map_svg": map_markup,
            "streets": streets,
            "inputs": summary_inputs(data),
            "targets_name": targets_name,
            "report_title": f"Local Policing Summary: {data.borough_name}, {data.year.label}",
        },
    )


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
            {"mark": {"type": "rule", "color": "#555555", "strokeDash": [3, 2]}, "encoding": {"x": {"datum": 1}}},
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


def series_chart(monthly: Mapping[str, Mapping[str, int]], *, title: str, top: int = 8) -> Markup:
    """Monthly counts of the ``top`` largest categories as lines (Okabe-Ito colours, legend in words)."""
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
            "y": {"field": "crimes", "type": "quantitative", "title": "recorded crimes per month"},
            "color": {"field": "category", "type": "nominal", "title": None, "sort": totals, "scale": {"domain": totals, "range": _LINE_COLOURS[: len(totals)]}},
        },
    }  # fmt: skip
    description = (
        f"Line chart of recorded crimes per month from {months[0] if months else '-'} to "
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


# --- the London bulletin and the JEM data pack ---------------------------------------------------------


def render_bulletin(data: Any, loads: list[Any], *, inputs: Mapping[str, str]) -> str:
    """The London monthly bulletin (``data``: :class:`metforward.analyse.bulletin.BulletinData`) as HTML."""
    results = [r.as_dict() for r in data.results]
    chart = ratio_chart(results, title=f"Results so far, {data.financial_year}: rate ratios") if results else None
    return render_html(
        "bulletin.html",
        {
            "b": data,
            "results": results,
            "chart": chart,
            "loads": loads,
            "inputs": inputs,
            "report_title": f"London bulletin: results so far to {data.month:%B %Y}",
        },
    )


def yearly_totals(
    monthly: Mapping[str, Mapping[str, int]], top: int = 5
) -> tuple[list[str], list[tuple[str, int, int, list[int | None]]]]:
    """A year-by-row table from ``{category: {YYYY-MM: n}}``: the ``top`` largest categories as columns.

    Returns (the categories shown, [(year, months with data, all categories, [count per shown category])]).
    """
    shown = sorted(monthly, key=lambda c: (-sum(monthly[c].values()), c))[:top]
    years = sorted({m[:4] for months in monthly.values() for m in months})
    rows = []
    for year in years:
        months = {m for months in monthly.values() for m in months if m.startswith(year)}
        total = sum(n for months in monthly.values() for m, n in months.items() if m.startswith(year))
        per: list[int | None] = []
        for c in shown:
            values = [n for m, n in monthly[c].items() if m.startswith(year)]
            per.append(sum(values) if values else None)
        rows.append((year, len(months), total, per))
    return shown, rows


def render_jem(data: Any, loads: list[Any], *, inputs: Mapping[str, str]) -> str:
    """The Joint Engagement Meeting data pack (``data``: :class:`metforward.analyse.jem.JemData`) as HTML."""
    trends = data.trends.data
    chart = (
        series_chart(trends["monthly"], title=f"Recorded crime by month and category, {data.borough_name}")
        if data.trends.available
        else None
    )
    years, yearly = yearly_totals(trends["monthly"]) if data.trends.available else ([], [])
    lsoa_map = None
    if data.lsoa_rates.available and data.lsoa_shapes:
        areas = [
            (a["code"], a["name"], data.lsoa_shapes[a["code"]], a["rate_per_1000"])
            for a in data.lsoa_rates.data["areas"]
            if a["code"] in data.lsoa_shapes
        ]
        lsoa_map = choropleth_svg(
            data.outline,
            areas,
            title=f"Crime per 1,000 residents by LSOA, {data.borough_name}, {data.lsoa_rates.data['period']}",
            unit="crimes per 1,000 residents",
        )
    lsoa_top = sorted(
        (a for a in data.lsoa_rates.data.get("areas", []) if a["rate_per_1000"] is not None),
        key=lambda a: (-a["rate_per_1000"], a["code"]),
    )[:15]
    return render_html(
        "jem.html",
        {
            "j": data,
            "chart": chart,
            "years": years,
            "yearly": yearly,
            "lsoa_map": lsoa_map,
            "lsoa_top": lsoa_top,
            "loads": loads,
            "inputs": inputs,
            "report_title": f"Joint Engagement Meeting data pack: {data.borough_name}",
        },
    )
