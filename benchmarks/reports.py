"""Benchmark: the Local Policing Summary for all 33 London boroughs, HTML and PDF, on the bundled sample;
then the London bulletin and the JEM data pack (for ``--jem`` boroughs, default 6; ``--jem 33`` for all).

Stages per borough, timed separately in the same run: assembling the data (the analysis
functions over the store), rendering the HTML (Jinja2, Altair + vl-convert charts, SVG maps) and
writing the PDF (WeasyPrint). Baseline, named and measured in the same run: WeasyPrint on a fixed
minimal one-page A4 document (the floor cost of any PDF). The ratio printed is a borough's
median PDF time over the baseline's.

The sample's police.uk street and outcomes rows cover Westminster, Camden, Hackney and the City
only, so the other boroughs' hot-street, hot-spot and outcomes sections degrade (they say what is
missing): those reports are shorter than a real store's. Target: all 33 PDFs in under a minute.

Usage: ``python benchmarks/reports.py [--sample PATH] [--year 2024] [--month 2025-06] [--jem N] [--json]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from metforward.analyse.bulletin import bulletin_data
from metforward.analyse.jem import jem_data
from metforward.analyse.reports import bulletin_inputs, jem_inputs, loads_used, summary_data
from metforward.analyse.targets import TargetResult, parse_targets
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import parse_month
from metforward.ingest.pipeline import ingest_paths
from metforward.present.content import load_content
from metforward.present.report import render_bulletin, render_jem, render_summary, write_pdf
from metforward.store.database import Database

REPO = Path(__file__).resolve().parents[1]
MINIMAL = (
    "<!DOCTYPE html><html><head><style>@page { size: A4; margin: 20mm }</style></head>"
    "<body><h1>Baseline</h1><p>A fixed minimal page.</p></body></html>"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=REPO / "sample")
    parser.add_argument("--year", default="2024")
    parser.add_argument("--month", default="2025-06", help="the bulletin's month")
    parser.add_argument("--jem", type=int, default=6, help="boroughs to build a JEM pack for (33: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    targets_path = REPO / "examples" / "targets-2010-11.yaml"
    targets = parse_targets(yaml.safe_load(targets_path.read_text(encoding="utf-8")), str(targets_path))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        db = Database(out / "sample.duckdb")
        ingest_paths(db, [args.sample])
        base = []
        for _ in range(5):
            t = time.perf_counter()
            write_pdf(MINIMAL, out / "minimal.pdf")
            base.append(time.perf_counter() - t)
        baseline = statistics.median(base)
        london: dict[str, TargetResult] = {}
        rows = []
        start = time.perf_counter()
        for code in sorted(LONDON_BOROUGHS):
            t0 = time.perf_counter()
            data = summary_data(db, code, args.year, targets, london)
            t1 = time.perf_counter()
            content = load_content(REPO / "content" / "boroughs", code, "")
            html = render_summary(data, content, targets_name=targets_path.name)
            t2 = time.perf_counter()
            write_pdf(html, out / f"{code}.pdf")
            t3 = time.perf_counter()
            rows.append(
                {"code": code, "data": t1 - t0, "html": t2 - t1, "pdf": t3 - t2, "street": data.streets is not None}
            )
        total = time.perf_counter() - start
        others = _bulletin_and_jem(db, out, args.month, args.jem)
        db.close()
    med = {k: statistics.median(r[k] for r in rows) for k in ("data", "html", "pdf")}  # type: ignore[misc]
    result = {
        "boroughs": len(rows),
        "total_seconds_all_pdfs": round(total, 2),
        "median_seconds": {k: round(v, 3) for k, v in med.items()},
        "max_seconds_per_borough": round(max(r["data"] + r["html"] + r["pdf"] for r in rows), 3),  # type: ignore[operator]
        "baseline_minimal_pdf_seconds": round(baseline, 4),
        "pdf_over_baseline": round(med["pdf"] / baseline, 1),
        "boroughs_with_street_data": sum(1 for r in rows if r["street"]),
        "target": "all 33 PDFs in under 60 s",
        "met": total < 60,
        **others,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(rows)} borough summaries (year {args.year}): {total:.1f} s for data + HTML + PDF of all")
    print(f"  median per borough: data {med['data']:.3f} s, HTML {med['html']:.3f} s, PDF {med['pdf']:.3f} s")
    print(
        f"  baseline (WeasyPrint, fixed minimal page): {baseline:.4f} s; median PDF / baseline = {med['pdf'] / baseline:.1f}x"
    )
    print(
        f"  {result['boroughs_with_street_data']} boroughs have police.uk street data in the sample; the rest degrade"
    )
    print(f"  target: all 33 PDFs in under 60 s: {'met' if total < 60 else 'NOT met'}")
    b = others["bulletin_seconds"]
    print(f"London bulletin ({args.month}): data {b['data']:.3f} s, HTML {b['html']:.3f} s, PDF {b['pdf']:.3f} s")
    j = others["jem_median_seconds"]
    print(
        f"JEM data pack, {others['jem_boroughs']} boroughs in {others['jem_total_seconds']:.1f} s; median per borough: "
        f"data {j['data']:.3f} s, HTML {j['html']:.3f} s, PDF {j['pdf']:.3f} s ({j['pdf'] / baseline:.1f}x baseline)"
    )


def _bulletin_and_jem(db: Database, out: Path, month: str, jem_count: int) -> dict[str, Any]:
    """Time the bulletin once and the JEM pack for the first ``jem_count`` boroughs (street-data ones first)."""
    t0 = time.perf_counter()
    data = bulletin_data(db, parse_month(month))
    t1 = time.perf_counter()
    html = render_bulletin(data, loads_used(db, data.before.first, data.after.last), inputs=bulletin_inputs(data))
    t2 = time.perf_counter()
    write_pdf(html, out / "bulletin.pdf")
    t3 = time.perf_counter()
    bulletin = {"data": t1 - t0, "html": t2 - t1, "pdf": t3 - t2}
    street_first = ["E09000033", "E09000007", "E09000012", "E09000001"]
    codes = street_first + [c for c in sorted(LONDON_BOROUGHS) if c not in street_first]
    loads = loads_used(db, dt.date.min, dt.date.max)
    rows = []
    start = time.perf_counter()
    for code in codes[:jem_count]:
        t0 = time.perf_counter()
        pack = jem_data(db, code)
        t1 = time.perf_counter()
        html = render_jem(pack, loads, inputs=jem_inputs(pack))
        t2 = time.perf_counter()
        write_pdf(html, out / f"jem-{code}.pdf")
        rows.append({"data": t1 - t0, "html": t2 - t1, "pdf": time.perf_counter() - t2})
    return {
        "bulletin_seconds": {k: round(v, 3) for k, v in bulletin.items()},
        "jem_boroughs": len(rows),
        "jem_total_seconds": round(time.perf_counter() - start, 2),
        "jem_median_seconds": {k: round(statistics.median(r[k] for r in rows), 3) for k in ("data", "html", "pdf")},
    }


if __name__ == "__main__":
    main()
