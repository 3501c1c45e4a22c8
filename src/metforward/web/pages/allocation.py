"""``/allocation``: the what-if page of the resource allocation formula, the web face of ``metforward allocate``.

Every choice is a GET parameter: the formula (one shipped with metforward), the level, the year, the total,
the method, an area to explain, and each weight as an input named as the command line's ``--set`` key
(``need.weight``, ``demand.crime.weight``). So the page works without JavaScript and its URL is the
shareable record of the what-if. Only the weights that differ from the formula's are passed on as
changes (a weight left as it is keeps its Monte Carlo range). The table, the map of change against the
current strength and the CSV are the answer of the allocation question (the numbers of
``metforward allocate --json`` and ``/api/v1/allocation``).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import shapely
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from metforward.analyse.allocation import METHODS, Formula
from metforward.domain.bcu import bcus
from metforward.errors import BadRequest, MetforwardError
from metforward.present.charts import OKABE_ITO, svg_path
from metforward.questions import allocation as question
from metforward.questions.allocation_formula import BUILT_IN, load_formula
from metforward.questions.answer import Answer
from metforward.web.answers import answer
from metforward.web.pages.downloads import csv_response
from metforward.web.pages.overview import borough_shapes, page, swatch

router = APIRouter()

#: A weight input's name: ``COMPONENT.weight`` or ``COMPONENT.INDICATOR.weight``.
WEIGHT = re.compile(r"^[A-Za-z0-9_-]{1,40}(\.[A-Za-z0-9_-]{1,40})?\.weight$")
#: Classes of the map: change against current strength, % of current (blue fewer, vermillion more).
CHANGE_CLASSES = (
    (-math.inf, -2.0, OKABE_ITO["blue"], "2% or more fewer"),
    (-2.0, -0.5, "#9DC3E6", "0.5% to 2% fewer"),
    (-0.5, 0.5, "#F2F2F2", "within 0.5%"),
    (0.5, 2.0, "#F4B183", "0.5% to 2% more"),
    (2.0, math.inf, OKABE_ITO["vermillion"], "2% or more more"),
)
NO_VALUE = "#FFFFFF"


@dataclass(frozen=True)
class Choice:
    """The form's choices as given: formula, level, year, total, method, area to explain, and the weights."""

    formula: str = "mpa"
    level: str = "borough"
    year: str = ""
    total: str = ""
    method: str = ""
    explain: str = ""
    weights: dict[str, str] = field(default_factory=dict)

    def number(self, name: str) -> int | None:
        """The whole number given for ``name`` (None when empty); :class:`BadRequest` for anything else."""
        text = getattr(self, name).strip()
        if not text:
            return None
        if not text.isdigit():
            raise BadRequest(f"{name}: give a whole number, not {text!r}", field=name)
        return int(text)

    def formula_file(self) -> Formula:
        """The chosen built-in formula as shipped."""
        if self.formula not in BUILT_IN:
            raise BadRequest(f"formula: choose one of {', '.join(BUILT_IN)}", field="formula")
        return load_formula(self.formula, list(question.INDICATORS))

    def changes(self, formula: Formula) -> tuple[str, ...]:
        """The ``--set`` changes: the weights given that differ from the formula's own."""
        own = {f"{c.name}.weight": c.weight for c in formula.components}
        own |= {f"{c.name}.{t.indicator}.weight": t.weight for c, t in formula.terms}
        out = []
        for key, text in sorted(self.weights.items()):
            if key not in own:
                raise BadRequest(f"{key}: the formula has no such weight", field=key)
            try:
                value = float(text)
            except ValueError:
                raise BadRequest(f"{key}: {text!r} is not a number", field=key) from None
            if not math.isclose(value, own[key], rel_tol=1e-9, abs_tol=1e-12):
                out.append(f"{key}={text.strip()}")
        return tuple(out)

    def query(self) -> question.Query:
        """The allocation question's query for these choices."""
        formula = self.formula_file()
        return question.Query(
            formula=self.formula,
            total=self.number("total"),
            year=self.number("year"),
            level=self.level,
            set=self.changes(formula),
            method=self.method or None,
            explain=self.explain.strip() or None,
        )

    def url(self) -> str:
        """The query string that reproduces this page."""
        pairs = [("formula", self.formula), ("level", self.level)]
        pairs += [(k, v) for k in ("year", "total", "method", "explain") if (v := getattr(self, k).strip())]
        pairs += sorted(self.weights.items())
        return urlencode(pairs)


def choice_of(request: Request) -> Choice:
    """The choices in the request's query string (unknown parameters are ignored, as on every page)."""
    p = request.query_params
    weights = {k: v for k, v in p.items() if WEIGHT.match(k) and v.strip()}
    return Choice(
        formula=p.get("formula", "mpa"),
        level=p.get("level", "borough"),
        year=p.get("year", ""),
        total=p.get("total", ""),
        method=p.get("method", ""),
        explain=p.get("explain", ""),
        weights=weights,
    )


def _shapes(request: Request, level: str) -> dict[str, shapely.Geometry]:
    boroughs = borough_shapes(request)
    if level != "bcu":
        return boroughs
    return {
        u.code: shapely.union_all([boroughs[b] for b in u.boroughs if b in boroughs])
        for u in bcus()
        if any(b in boroughs for b in u.boroughs)
    }


def _class(value: float | None) -> tuple[str, str]:
    if value is None:
        return NO_VALUE, "no current strength"
    for low, high, colour, label in CHANGE_CLASSES:
        if low <= value < high:
            return colour, label
    return CHANGE_CLASSES[-1][2], CHANGE_CLASSES[-1][3]


def change_map(rows: list[dict[str, Any]], shapes: dict[str, shapely.Geometry], *, width: int = 600) -> Markup:
    """The areas coloured by their change against current strength (% of current), each with a tooltip."""
    drawn = [r for r in rows if r["area_code"] in shapes]
    if not drawn:
        return Markup("")
    x0, y0, x1, y1 = shapely.total_bounds([shapes[r["area_code"]] for r in drawn])
    k = width / max(x1 - x0, 1.0)
    height = math.ceil((y1 - y0) * k)
    description = (
        f"Map of {len(drawn)} areas coloured by the change of their officers against current strength, as a "
        "percentage of current: blue fewer, vermillion more. Each area's figures are in the table."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(description)}" '
        f'viewBox="0 0 {width} {height}" class="mf-choropleth">',
        "<title>Officers: change against current strength</title>",
    ]
    for r in drawn:
        pct = percent_change(r)
        colour, _ = _class(pct)
        shown = "no current strength" if pct is None else f"{r['change']:+,} officers ({pct:+.1f}%)"
        out.append(
            f'<path d="{svg_path(shapes[r["area_code"]], x0, y1, k)}" fill="{colour}" stroke="#0b0c0c" '
            f'stroke-width="0.6"><title>{html.escape(r["area_name"])}: {r["allocation"]:,}, {html.escape(shown)}</title></path>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def percent_change(row: dict[str, Any]) -> float | None:
    """An area's change as a percentage of its current strength (None without one)."""
    if row.get("current") in (None, 0):
        return None
    return float(100.0 * row["change"] / row["current"])


def _weights(formula: Formula, choice: Choice) -> list[dict[str, Any]]:
    """The weight inputs of the form, one fieldset per component, each shown as chosen (or the formula's)."""
    out = []
    for c in formula.components:
        key = f"{c.name}.weight"
        terms = [
            {
                "key": f"{c.name}.{t.indicator}.weight",
                "label": question.INDICATORS[t.indicator].label,
                "name": t.indicator,
                "value": choice.weights.get(f"{c.name}.{t.indicator}.weight", f"{t.weight:g}"),
                "transform": t.transform,
            }
            for t in c.terms
        ]
        out.append({"name": c.name, "key": key, "value": choice.weights.get(key, f"{c.weight:g}"), "terms": terms})
    return out


def allocated(request: Request, choice: Choice) -> Answer:
    """The allocation question's answer for the choices (typed errors pass through)."""
    return answer(request, question.QUESTION, choice.query())


@router.get("/allocation", response_class=HTMLResponse)
def allocation_page(request: Request) -> HTMLResponse:
    """The what-if page: the formula's weights as inputs, the table, the map and the downloads."""
    choice = choice_of(request)
    error, status, made, formula = None, 200, None, None
    try:
        formula = choice.formula_file()
        made = allocated(request, choice)
    except MetforwardError as exc:
        error, status = str(exc), exc.http_status
    rows = made.items if made else []
    legend = [(colour, label) for *_, colour, label in CHANGE_CLASSES]
    if rows and all(r["current"] is None for r in rows):
        legend = [(NO_VALUE, "no current strength: the formula has no baseline")]
    areas = question.areas_at(choice.level if choice.level in question.LEVELS else "borough")
    return page(
        request,
        "allocation.html",
        status_code=status,
        title="Resource allocation: what if the weights changed?",
        active="/allocation",
        c=choice,
        error=error,
        a=made,
        rows=rows,
        formula=made.result.formula if made else formula,
        weights=_weights(formula, choice) if formula else [],
        formulas=list(BUILT_IN),
        levels=question.LEVELS,
        methods=METHODS,
        areas=list(zip(areas.codes, areas.names, strict=True)),
        map_svg=change_map(rows, _shapes(request, choice.level)) if rows else Markup(""),
        legend=legend,
        swatch=swatch,
        percent_change=percent_change,
        query=choice.url(),
        api_query=api_query(made),
    )


def api_query(made: Answer | None) -> str:
    """The ``/api/v1/allocation`` query string of the same allocation (its options as answered)."""
    if made is None:
        return ""
    q = made.query
    pairs = [(k, str(q[k])) for k in ("formula", "total", "year", "level", "method") if q.get(k) is not None]
    pairs += [("set", s) for s in q["set"]] + ([("explain", q["explain"])] if q.get("explain") else [])
    return urlencode(pairs)


@router.get("/allocation.csv")
def allocation_csv(request: Request) -> Response:
    """The page's table as CSV (the rows of ``metforward allocate --csv``)."""
    choice = choice_of(request)
    made = allocated(request, choice)
    return csv_response(
        made.to_rows(), f"allocation-{choice.formula}-{made.query['year']}-{choice.level}.csv", list(made.columns)
    )
