"""Downloads linked from the pages: CSV of each table, GeoJSON of the borough map, the summary PDF.

Each download is built by the same function as the page it comes from, so its numbers are the
page's. CSV bodies have one header row and carry the attribution in an ``X-Attribution`` header
(ASCII, so ``(c)`` for the copyright sign; a comment line would break CSV readers); GeoJSON carries it in its ``metforward`` member; the PDF
in its footer. The PDF is rendered on demand with :mod:`metforward.present.report`, as
``metforward report summary`` does.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from metforward import ATTRIBUTION
from metforward.analyse.reports import SummaryData
from metforward.present.content import Content, ContentError, load_content
from metforward.present.csv import csv_text
from metforward.present.report import pdf_bytes, render_bulletin, render_jem, render_summary
from metforward.questions import bulletin, jem
from metforward.web.answers import answer
from metforward.web.errors import WebError
from metforward.web.pages.boroughs import borough_summary
from metforward.web.pages.compare import CompareChoice, chosen, compared
from metforward.web.pages.overview import MEASURES, app_basket, borough_boundaries, invalid, overview_data, slug

router = APIRouter()

#: Where ``metforward report`` looks for borough content files (relative to the working directory).
CONTENT_DIR = Path("content/boroughs")
#: The tables of the borough page that can be downloaded as CSV.
TABLES = ("targets", "compare", "trend", "streets", "outcomes", "searches", "confidence")


def csv_response(rows: list[dict[str, Any]], filename: str, columns: list[str] | None = None) -> Response:
    """Rows as a CSV attachment, written by the one CSV writer (lists joined with "; ", as the CLI's ``--csv``)."""
    return Response(
        csv_text(rows, columns or ()),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "x-attribution": ATTRIBUTION.replace("©", "(c)"),  # HTTP headers are ASCII
        },
    )


def _plain(item: Any) -> dict[str, Any]:
    if hasattr(item, "as_dict"):
        out: dict[str, Any] = item.as_dict()
        return out
    if is_dataclass(item) and not isinstance(item, type):
        return {k: v for k, v in asdict(item).items() if not isinstance(v, dict | list) or k == "categories"}
    return dict(item)


def summary_table(data: SummaryData, table: str) -> list[dict[str, Any]]:
    """One table of the borough page as rows of plain values."""
    if table == "targets":
        return [r.as_dict() for r in data.targets]
    if table == "compare":
        return [r.as_dict() for r in data.compare.rows] if data.compare else []
    if table == "trend":
        t = data.trend
        if t is None:
            return []
        return [
            {"month": m, "this_year": t.this_year[i], "year_before": t.previous_year[i], "kind": t.kind}
            for i, m in enumerate(t.months)
        ]
    if table == "streets":
        if data.streets is None:
            return []
        return [
            {"borough": data.borough_name, "period": str(data.streets.period), **_plain(s)}
            for s in data.streets.streets
        ]
    if table == "outcomes":
        if data.outcomes is None:
            return []
        return [
            {**r.as_dict(), "period": str(data.outcomes.period)} for r in [*data.outcomes.rows, data.outcomes.total]
        ]
    if table == "searches":
        return [_plain(r) for r in data.dispro.rows] if data.dispro else []
    return [f.as_dict() for f in data.confidence]


@router.get("/boroughs/{borough}/summary.csv")
def summary_csv(
    request: Request,
    borough: str,
    year: Annotated[str | None, Query()] = None,
    table: Annotated[str, Query(description=" | ".join(TABLES))] = "compare",
) -> Response:
    """One table of the borough page as CSV."""
    if table not in TABLES:
        raise invalid("table", f"{table!r}: give one of {', '.join(TABLES)}")
    data, _name = borough_summary(request, borough, year)
    name = f"{slug(data.borough_name)}-{data.year.label.replace('/', '-')}-{table}.csv"
    return csv_response(summary_table(data, table), name)


def _content(code: str, name: str) -> Content:
    """The borough's content file from ``content/boroughs`` (or its ``_default.md``), else no words at all."""
    if CONTENT_DIR.is_dir():
        try:
            return load_content(CONTENT_DIR, code, slug(name))
        except FileNotFoundError:
            pass
        except ContentError as exc:  # the server's own content file is at fault, not the request
            raise WebError(500, "bad_content", f"{exc}; the report cannot be built until it is mended") from exc
    return Content(path="(no content folder)", is_default=True, example=False, sections={})


@router.get("/boroughs/{borough}/summary.pdf")
def summary_pdf(
    request: Request,
    borough: str,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """The borough's Local Policing Summary as PDF, built on demand (as ``metforward report summary``)."""
    data, targets_name = borough_summary(request, borough, year)
    html_text = render_summary(data, _content(data.borough_code, data.borough_name), targets_name=targets_name)
    name = f"summary-{slug(data.borough_name)}-{data.year.label.replace('/', '-')}.pdf"
    return pdf_response(pdf_bytes(html_text), name)


def pdf_response(body: bytes, name: str) -> Response:
    """A PDF shown in the browser, saved as ``name``."""
    return Response(body, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'})


@router.get("/boroughs/{borough}/jem.pdf")
def jem_pdf(request: Request, borough: str) -> Response:
    """The borough's Joint Engagement Meeting data pack as PDF (as ``metforward report jem``)."""
    made: jem.Jem = answer(request, jem.QUESTION, jem.Query(borough)).result
    html_text = render_jem(made.data, made.loads, inputs=made.inputs)
    return pdf_response(pdf_bytes(html_text), f"jem-{slug(made.data.borough_name)}.pdf")


@router.get("/bulletin.pdf")
def bulletin_pdf(request: Request, month: Annotated[str | None, Query()] = None) -> Response:
    """The London bulletin for ``month`` (default: the latest Datastore month) as PDF (as ``metforward report bulletin``)."""
    made: bulletin.Bulletin = answer(
        request, bulletin.QUESTION, bulletin.Query(month, basket=app_basket(request))
    ).result
    html_text = render_bulletin(made.data, made.loads, inputs=made.inputs)
    return pdf_response(pdf_bytes(html_text), f"bulletin-{made.data.month:%Y-%m}.pdf")


@router.get("/compare.csv")
def compare_csv(request: Request, choice: Annotated[CompareChoice, Depends(chosen)]) -> Response:
    """The compare table as CSV: the rows of ``metforward compare --json`` for the same choices."""
    _table, rows, filled = compared(request, choice)
    name = f"compare-{slug(filled.area or filled.level)}-{filled.before}-{filled.after}.csv".replace(":", "_")
    return csv_response([r.as_dict() for r in rows], name)


@router.get("/results.csv")
def results_csv(
    request: Request,
    month: Annotated[str | None, Query()] = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = bulletin.Query.alpha,
) -> Response:
    """The overview's "Results so far" table as CSV."""
    values = overview_data(request, month, "change", None, alpha)
    return csv_response([r.as_dict() for r in values["b"].results], f"results-so-far-{values['month_text']}.csv")


@router.get("/boroughs.geojson")
def boroughs_geojson(
    request: Request,
    month: Annotated[str | None, Query()] = None,
    measure: Annotated[str, Query(description=" | ".join(MEASURES))] = "change",
    category: Annotated[str | None, Query()] = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = bulletin.Query.alpha,
) -> JSONResponse:
    """Borough boundaries (WGS84, RFC 7946) with the overview's measure and comparison row for each borough."""
    values = overview_data(request, month, measure, category, alpha)
    table, b = values["boroughs"], values["b"]
    shapes = borough_boundaries(request)
    features = []
    for v in table.values:
        if v.code not in shapes:
            continue
        geometry = shapely.geometry.mapping(shapely.set_precision(shapely.from_wkb(shapes[v.code][1]), 1e-6))
        props: dict[str, Any] = {"code": v.code, "name": v.name, "value": v.value, "class": v.label}
        props.update(v.row.as_dict() if v.row else {})
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    body = {
        "type": "FeatureCollection",
        "metforward": {
            "layer": "boroughs",
            "measure": measure,
            "measure_label": MEASURES[measure],
            "category": table.category,
            "before": str(b.before),
            "after": str(b.after),
            "source": f"London Datastore ({b.results_kind or 'datastore-borough'}), major categories",
            "crs": "WGS84 longitude/latitude (EPSG:4326, RFC 7946)",
            "suppression": "none: borough counts are published by the source",
            "attribution": ATTRIBUTION,
            "licence": "Open Government Licence v3.0",
            "notes": list(b.notes) + list(table.notes),
        },
        "features": features,
    }
    name = f"boroughs-{values['month_text']}-{measure}.geojson"
    return JSONResponse(
        body,
        media_type="application/geo+json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
