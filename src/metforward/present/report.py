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

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from metforward import ATTRIBUTION, __version__
from metforward.present.charts import (
    OKABE_ITO,
    VERDICT_COLOURS,
    choropleth_svg,
    map_svg,
    ratio_chart,
    series_chart,
    trend_chart,
)
from metforward.present.content import CONTENT_TITLES, Content


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
