"""``/compare``: two periods, any area level, any source; the web face of ``metforward compare``.

Every choice is a GET parameter (level, area, before, after, source, by, category, alpha), so the
URL is the shareable record of the comparison. The rows are the answer of the compare question
(:mod:`metforward.questions.compare`, the same numbers as ``metforward compare --json``); without
periods the page compares the latest 12 months against the 12 before
(:func:`~metforward.questions.compare.with_default_periods`). Choosing categories only hides rows:
q values stay adjusted across the whole table, as in the CLI.
The chart is a Vega-Lite spec drawn to SVG by vl-convert (the report's :func:`chart_svg`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from metforward.analyse.compare import LEVELS, SOURCES, CompareRow, CompareTable
from metforward.domain.periods import month_text
from metforward.errors import MetforwardError
from metforward.present.charts import OKABE_ITO, VERDICT_COLOURS, chart_svg
from metforward.questions import compare as question
from metforward.web.answers import answer
from metforward.web.api.common import borrowed
from metforward.web.pages.overview import page

router = APIRouter()

#: Rows drawn in the chart at most (the table always has them all).
CHART_ROWS = 40


@dataclass(frozen=True)
class CompareChoice:
    """The choices of the compare form, as given (``None``: the default)."""

    level: str
    area: str
    before: str | None
    after: str | None
    source: str
    by: str | None
    category: list[str]
    alpha: float

    def query(self) -> str:
        """The query string that reproduces this comparison."""
        from urllib.parse import urlencode

        pairs: list[tuple[str, str]] = [("level", self.level), ("area", self.area), ("source", self.source)]
        pairs += [(k, v) for k, v in (("before", self.before), ("after", self.after), ("by", self.by)) if v]
        pairs += [("category", c) for c in self.category]
        if self.alpha != 0.05:
            pairs.append(("alpha", str(self.alpha)))
        return urlencode(pairs)


def compared(request: Request, choice: CompareChoice) -> tuple[CompareTable, list[CompareRow], CompareChoice]:
    """The comparison the choices ask for (the compare question's answer), the rows of the chosen categories,
    and the choices filled in; the question's typed errors (a bad period, an unknown area) pass through."""
    query = question.Query(
        before=choice.before,
        after=choice.after,
        level=choice.level,
        area=choice.area.strip() or None,
        source=choice.source,
        by=choice.by,
        alpha=choice.alpha,
    )
    with borrowed(request).connection() as db:  # returned before the answer borrows one (on a cache miss)
        query = question.with_default_periods(db, query)
    table: CompareTable = answer(request, question.QUESTION, query).result
    wanted = set(choice.category)
    rows = [r for r in table.rows if not wanted or r.category in wanted]
    spec = table.spec
    filled = CompareChoice(
        choice.level,
        choice.area,
        str(spec.before),
        str(spec.after),
        choice.source,
        spec.by,
        choice.category,
        choice.alpha,
    )
    return table, rows, filled


def rate_ratio_chart(rows: list[CompareRow], alpha: float) -> Markup:
    """Rate ratios with their intervals, one line per row, on a log scale; 1 (no change) marked."""
    drawn = [r for r in rows if r.rate_ratio is not None and r.ci_low is not None and r.ci_high is not None]
    drawn = drawn[:CHART_ROWS]
    if not drawn:
        return Markup("")
    values = [
        {
            "row": f"{r.area_name}: {r.category}" if len({x.area_code for x in drawn}) > 1 else r.category,
            "rr": r.rate_ratio,
            "lo": max(r.ci_low or 0.0, 1e-3),
            "hi": r.ci_high,
            "verdict": r.verdict,
        }
        for r in drawn
    ]
    verdicts = ["up", "down", "can't tell"]
    low = min(0.5, min(max(r.ci_low or 0.0, 1e-3) for r in drawn) / 1.1)
    high = max(2.0, max(r.ci_high or 0.0 for r in drawn) * 1.1)
    x_scale = {"type": "log", "domain": [low, high]}
    y = {"field": "row", "type": "nominal", "sort": None, "title": None}
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 420,
        "height": {"step": 18},
        "config": {"font": "DejaVu Sans", "view": {"stroke": None}},
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": OKABE_ITO["black"]},
                "data": {"values": [{"one": 1}]},
                "encoding": {"x": {"field": "one", "type": "quantitative", "scale": x_scale}},
            },
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "y": y,
                    "x": {"field": "lo", "type": "quantitative", "scale": x_scale, "title": "rate ratio"},
                    "x2": {"field": "hi"},
                    "color": {
                        "field": "verdict",
                        "type": "nominal",
                        "scale": {"domain": verdicts, "range": [VERDICT_COLOURS[v] for v in verdicts]},
                    },
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 50},
                "encoding": {
                    "y": y,
                    "x": {"field": "rr", "type": "quantitative", "scale": x_scale},
                    "shape": {
                        "field": "verdict",
                        "type": "nominal",
                        "scale": {"domain": verdicts, "range": ["triangle-up", "triangle-down", "circle"]},
                    },
                    "color": {"field": "verdict", "type": "nominal"},
                },
            },
        ],
    }
    ups = sum(1 for r in drawn if r.verdict == "up")
    downs = sum(1 for r in drawn if r.verdict == "down")
    level = f"{100 * (1 - alpha):.0f}%"
    description = (
        f"Rate ratios (after over before) with exact {level} intervals on a log scale for {len(drawn)} rows: "
        f"{ups} up, {downs} down, {len(drawn) - ups - downs} can't tell. The numbers are in the table."
    )
    return chart_svg(spec, title="Rate ratio, after against before", description=description)


Level = Annotated[str, Query(description="force | borough | ward | lsoa")]
Area = Annotated[str, Query(description="A name or GSS code; empty: every area")]
Before = Annotated[str | None, Query(description="YYYY-MM:YYYY-MM")]
After = Annotated[str | None, Query(description="YYYY-MM:YYYY-MM")]
Source = Annotated[str, Query(description="police-uk | datastore")]
By = Annotated[str | None, Query(description="police-uk: category; datastore: major or minor")]
Category = Annotated[list[str] | None, Query(description="Show only these categories")]
Alpha = Annotated[float, Query(gt=0, lt=1)]


def chosen(
    level: Level = "borough",
    area: Area = "Westminster",
    before: Before = None,
    after: After = None,
    source: Source = "datastore",
    by: By = None,
    category: Category = None,
    alpha: Alpha = 0.05,
) -> CompareChoice:
    """FastAPI dependency: the compare form's query parameters (shared by the page and its CSV)."""
    return CompareChoice(level, area, before or None, after or None, source, by or None, list(category or []), alpha)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, choice: Annotated[CompareChoice, Depends(chosen)]) -> HTMLResponse:
    """Compare two periods: the table, the chart, and a shareable URL; a comparison that cannot be made shows
    why, with the form kept and the error's own status."""
    error, status = None, 200
    try:
        table, rows, filled = compared(request, choice)
    except MetforwardError as exc:
        table, rows, filled, error, status = None, [], choice, str(exc), exc.http_status
    categories = sorted({r.category for r in table.rows}) if table else []
    return page(
        request,
        "compare.html",
        status_code=status,
        title="Compare two periods",
        active="/compare",
        c=filled,
        table=table,
        rows=rows,
        error=error,
        categories=categories,
        levels=LEVELS,
        sources=SOURCES,
        missing=[month_text(m) for m in table.missing_months] if table else [],
        chart=rate_ratio_chart(rows, choice.alpha) if rows else Markup(""),
        chart_rows=CHART_ROWS,
        query=filled.query(),
    )
