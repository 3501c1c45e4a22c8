"""``/strands`` and ``/strands/{slug}``: the plan's strands, the web faces of ``metforward vawg``,
``business-crime``, ``fairness``, ``youth-violence`` and ``visible-policing``.

The index lists :data:`metforward.questions.strands.STRANDS`. Each strand page is a GET form (every choice
in the URL), the strand's monthly chart with its numbers in a table beside it, a chart of the table's ratios,
and the table itself: the answer of the strand's question (:func:`metforward.web.answers.answer`, cached by
load version), so it equals the command's ``--json`` and the API's body.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.present.charts import ratio_chart, series_chart
from metforward.questions import business_crime, fairness, vawg, visible_policing, youth_violence
from metforward.questions.answer import Answer
from metforward.questions.strands import STRANDS, Strand, strand
from metforward.web.answers import answer
from metforward.web.pages.overview import CITY_OF_LONDON, page

router = APIRouter()

#: Rows drawn in a ratio chart at most (the table has them all).
CHART_ROWS = 40
#: Columns the page's table leaves out (the JSON, the CSV and the command have them).
HIDDEN = frozenset({"months_before", "months_after", "dispersion", "ratio_p", "ratio_method", "area_code", "p_value"})
Text = Annotated[str | None, Query(max_length=100)]
Level = Annotated[float, Query(gt=0, lt=1)]


@dataclass(frozen=True)
class Control:
    """One field of a strand's form: a select (``choices``) or a text input."""

    name: str
    label: str
    value: str
    choices: tuple[str, ...] = ()
    hint: str = ""


def _form(query: Any, controls: Sequence[Control]) -> str:
    """The query string of the form's choices (for the page's own link and the API's)."""
    return urlencode([(c.name, getattr(query, c.name)) for c in controls if getattr(query, c.name) not in (None, "")])


def _ratio_rows(items: list[dict[str, Any]], label: Sequence[str]) -> list[dict[str, Any]]:
    """Trend rows as the ratio chart draws them (its category is the row's key)."""
    return [
        {**r, "category": " ".join(str(r[k]) for k in label if r.get(k) is not None) or "-"}
        for r in items[:CHART_ROWS]
        if r.get("rate_ratio") is not None
    ]


def _monthly_table(found: Answer) -> list[tuple[str, int]]:
    monthly = getattr(found.result, "monthly", {})
    series: dict[str, int] = next(iter(monthly.values()), {})
    return sorted(series.items())


@router.get("/strands", response_class=HTMLResponse)
def strands_index(request: Request) -> HTMLResponse:
    """The plan's strands, each with what its view shows."""
    return page(request, "strands.html", title="Strands of the plan", active="/strands", strands=STRANDS)


def _command(name: str, query: Any, controls: Sequence[Control]) -> str:
    parts = [f"metforward {name}"]
    for c in controls:
        value = getattr(query, c.name)
        if value not in (None, "", getattr(type(query), c.name, None)):
            text = f"{value}"
            shown = f'"{text}"' if " " in text else text
            parts.append(f"--{c.name.replace('_', '-')} {shown}")
    return " ".join(parts)


@router.get("/strands/vawg", response_class=HTMLResponse)
def vawg_page(
    request: Request,
    measure: Annotated[str, Query(max_length=20)] = vawg.Query.measure,
    by: Annotated[str, Query(max_length=20)] = vawg.Query.by,
    area: Text = None,
    before: Text = None,
    after: Text = None,
    alpha: Level = vawg.Query.alpha,
) -> HTMLResponse:
    """Violence against women and girls: the table asked for, the monthly chart and the ratios."""
    query = vawg.Query(measure, by, area or None, before or None, after or None, alpha=alpha)
    found = answer(request, vawg.QUESTION, query)
    series = answer(
        request,
        vawg.QUESTION,
        dataclasses.replace(query, by="month", area=None if by in vawg.LONDON_ONLY else query.area),
    )
    controls = (
        Control("measure", "Measure", query.measure, vawg.MEASURES),
        Control("by", "Table by", query.by, vawg.BY, "type: offences; age and ethnicity: victims; ward: with an area"),
        Control("area", "Area", query.area or "", hint="London, or a borough"),
        Control("before", "Before", query.before or "", hint="YYYY-MM:YYYY-MM"),
        Control("after", "After", query.after or "", hint="YYYY-MM:YYYY-MM; empty: the last 12 months"),
    )
    key = vawg.KEY.get(query.by, ())
    return _trend_page(request, strand("vawg"), found, series, controls, query, key, query.measure)


@router.get("/strands/business-crime", response_class=HTMLResponse)
def business_crime_page(
    request: Request,
    by: Annotated[str, Query(max_length=20)] = business_crime.Query.by,
    area: Text = None,
    before: Text = None,
    after: Text = None,
    alpha: Level = business_crime.Query.alpha,
) -> HTMLResponse:
    """Business crime: the table asked for, the monthly chart and the ratios."""
    query = business_crime.Query(by, area or None, before or None, after or None, alpha=alpha)
    found = answer(request, business_crime.QUESTION, query)
    series = answer(request, business_crime.QUESTION, dataclasses.replace(query, by="month"))
    controls = (
        Control("by", "Table by", query.by, business_crime.BY),
        Control("area", "Area", query.area or "", hint="London, or a borough"),
        Control("before", "Before", query.before or "", hint="YYYY-MM:YYYY-MM"),
        Control("after", "After", query.after or "", hint="YYYY-MM:YYYY-MM; empty: the last 12 months"),
    )
    key = business_crime.KEY.get(query.by, ())
    return _trend_page(request, strand("business-crime"), found, series, controls, query, key, "offences")


def _trend_page(
    request: Request,
    s: Strand,
    found: Answer,
    series: Answer,
    controls: Sequence[Control],
    query: Any,
    key: Sequence[str],
    unit: str,
) -> HTMLResponse:
    monthly = _monthly_table(series)
    label = next(iter(getattr(series.result, "monthly", {}) or {"counts": {}}))
    chart = (
        series_chart(getattr(series.result, "monthly", {}), title=f"{label} by month", unit=unit)
        if monthly
        else Markup("")
    )
    rows = (
        _ratio_rows(found.items, [k for k in key if k != "area_code"])
        if found.items and "rate_ratio" in found.columns
        else []
    )
    ratios = ratio_chart(rows, title="Rate ratio, after against before") if rows else Markup("")
    return page(
        request,
        "strand.html",
        title=s.title,
        active="/strands",
        s=s,
        a=found,
        shown=[c for c in found.columns if c not in HIDDEN],
        controls=controls,
        query=_form(query, controls),
        chart=chart,
        chart_caption=f"{label} by month recorded, {series.meta.get('before')} and {series.meta.get('after')}: "
        "the numbers are in the table beside the chart.",
        monthly=monthly,
        ratios=ratios,
        ratios_caption="Rate ratio (after over before, per month of data) with its interval allowing for the "
        "month-to-month variation, log scale; the dashed line is no change. Triangles up: up; down: down; circles: "
        "can't tell."
        + (
            f" The chart shows the first {CHART_ROWS} rows; the table has them all."
            if len(found.items) > CHART_ROWS
            else ""
        ),
        command=_command(s.question, query, controls),
        api=f"/api/v1/strands/{s.slug}",
    )


@router.get("/strands/fairness", response_class=HTMLResponse)
def fairness_page(
    request: Request,
    by: Annotated[str, Query(max_length=20)] = fairness.Query.by,
    period: Text = None,
    disposal: Text = None,
    age_group: Text = None,
    offence_group: Text = None,
) -> HTMLResponse:
    """Fairness in outcomes: custody disposals by ethnicity against the population, beside stop and search."""
    query = fairness.Query(by, period or None, disposal or None, age_group or None, offence_group or None)
    found = answer(request, fairness.QUESTION, query)
    controls = (
        Control("by", "Table by", query.by, fairness.BY),
        Control("period", "Period", query.period or "", hint="YYYY-MM:YYYY-MM; empty: the last 12 months"),
        Control("disposal", "Disposal", query.disposal or "", hint="e.g. No Further Action; empty: every one"),
        Control("age_group", "Age group", query.age_group or "", hint="Adult or Child; empty: both"),
    )
    rows: list[dict[str, Any]] = []
    if query.by == "ethnicity":
        for r in found.items:
            for what, ratio, low, high in (
                ("custody", "ratio", "ci_low", "ci_high"),
                ("stop and search", "search_ratio", "search_low", "search_high"),
            ):
                if r.get(low) is not None and r.get(high) is not None:
                    side = "up" if r[low] > 1 else "down" if r[high] < 1 else "can't tell"
                    rows.append(
                        {
                            "category": f"{r['group']}: {what}",
                            "rate_ratio": r[ratio],
                            "ci_low": r[low],
                            "ci_high": r[high],
                            "verdict": side,
                        }
                    )
    ratios = ratio_chart(rows, title=f"Ratio to {query.reference} per 1,000 residents") if rows else Markup("")
    return page(
        request,
        "strand.html",
        title=strand("fairness").title,
        active="/strands",
        s=strand("fairness"),
        a=found,
        shown=[c for c in found.columns if c not in HIDDEN],
        controls=controls,
        query=_form(query, controls),
        chart=Markup(""),
        chart_caption="",
        monthly=[],
        ratios=ratios,
        ratios_caption=f"Each group's rate per 1,000 residents over {query.reference}'s, with its 95% interval, log "
        "scale; custody and stop and search one above the other. Triangles up: the interval lies above 1; down: "
        "below 1; circles: it holds 1. The numbers are in the table below.",
        command=_command("fairness", query, controls),
        api="/api/v1/strands/fairness",
    )


def _boroughs() -> list[tuple[str, str]]:
    return sorted(((c, n) for c, n in LONDON_BOROUGHS.items() if c != CITY_OF_LONDON), key=lambda cn: cn[1])


@router.get("/strands/youth-violence", response_class=HTMLResponse)
def youth_violence_page(
    request: Request,
    area: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Youth violence for London or a borough: the same rows as ``metforward youth-violence --json``."""
    query = youth_violence.Query(area or None, "force", before or None, after or None)
    found: Answer = answer(request, youth_violence.QUESTION, query)
    return page(
        request,
        "strand_youth.html",
        title="Youth violence",
        active="/strands/youth-violence",
        a=found,
        made=found.result,
        area=area or "",
        boroughs=_boroughs(),
        strand=strand("youth-violence"),
    )


@router.get("/strands/visible-policing", response_class=HTMLResponse)
def visible_policing_page(
    request: Request,
    area: Annotated[str | None, Query(max_length=100)] = None,
    year: Annotated[int, Query(ge=1990, le=2100)] = visible_policing.Query.year,
    threshold_km: Annotated[float, Query(gt=0, le=50)] = visible_policing.Query.threshold_km,
) -> HTMLResponse:
    """Distance to the nearest open front counter by borough (and by LSOA for a borough)."""
    boroughs = answer(request, visible_policing.QUESTION, visible_policing.Query(None, "borough", year, threshold_km))
    lsoas = None
    if area:
        lsoas = answer(request, visible_policing.QUESTION, visible_policing.Query(area, "lsoa", year, threshold_km))
    return page(
        request,
        "strand_access.html",
        title="Visible and accessible policing",
        active="/strands/visible-policing",
        a=boroughs,
        lsoas=lsoas,
        area=area or "",
        year=year,
        threshold_km=threshold_km,
        boroughs=_boroughs(),
        strand=strand("visible-policing"),
    )
