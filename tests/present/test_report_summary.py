"""The Local Policing Summary on the bundled sample: golden HTML, reproducibility, PDF pages, numbers = CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from metforward.analyse.reports import SummaryData, parse_year
from metforward.cli import app
from metforward.present.content import load_content
from metforward.present.report import render_summary
from metforward.questions.reports import summary_data
from metforward.questions.targets_file import parse_targets
from tests.conftest import SampleStores

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "examples" / "targets-2010-11.yaml"
CONTENT = REPO / "content" / "boroughs"
GOLDEN = Path(__file__).parent / "golden" / "summary_westminster.html"
CODE = "E09000033"


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Path:
    return sample_stores.copy(name="report")  # the sample ingested through the CLI


def _render(store: Path) -> tuple[SummaryData, str]:
    from metforward.store.database import Database

    targets = parse_targets(yaml.safe_load(TARGETS.read_text(encoding="utf-8")), str(TARGETS))
    with Database(store) as db:
        data = summary_data(db, "Westminster", "2024", targets)
    content = load_content(CONTENT, data.borough_code, "westminster")
    return data, render_summary(data, content, targets_name=TARGETS.name)


@pytest.fixture(scope="module")
def rendered(store: Path) -> tuple[SummaryData, str]:
    return _render(store)


def cli_json(store: Path, *args: str) -> object:
    result = runner.invoke(app, ["--db", str(store), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_years() -> None:
    fy = parse_year("2024/25")
    assert (str(fy.period), fy.label, str(fy.previous)) == ("2024-04:2025-03", "2024/25", "2023-04:2024-03")
    assert str(parse_year("2024").period) == "2024-01:2024-12"


def test_html_matches_the_golden_file_and_is_byte_identical(store: Path, rendered: tuple[SummaryData, str]) -> None:
    _, html = rendered
    assert _render(store)[1] == html
    if os.environ.get("METFORWARD_UPDATE_GOLDEN") == "1" or not GOLDEN.exists():
        GOLDEN.write_text(html, encoding="utf-8")
    assert html == GOLDEN.read_text(encoding="utf-8"), "set METFORWARD_UPDATE_GOLDEN=1 to rewrite the golden file"


def test_html_is_self_contained_and_accessible(rendered: tuple[SummaryData, str]) -> None:
    _, html = rendered
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert not re.search(r"url\(\s*['\"]?https?://", html)
    assert "<link" not in html and "<script" not in html and "<img" not in html
    tables = re.findall(r"<table>.*?</table>", html, flags=re.S)
    assert len(tables) >= 6
    assert all('<th scope="' in t for t in tables)
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert len(svgs) >= 2  # trend chart and hot-spot map
    assert all('aria-label="' in s and 'role="img"' in s for s in svgs)
    for verdict in ("achieved", "missed", "can&#39;t tell"):
        assert re.search(rf'class="verdict[^"]*" style="background: #[0-9A-F]{{6}}">{verdict}</span>', html)
    assert "Open Government Licence" in html and "metforward 0.1.0" in html
    assert "PAS_Dashboard_Borough_2014Q4-2023Q4.csv.gz" in html  # a load in the footer


def test_numbers_equal_the_cli(store: Path, rendered: tuple[SummaryData, str]) -> None:
    data, html = rendered
    # targets check: every London or Westminster target, same verdicts and values
    checked = {r["id"]: r for r in cli_json(store, "targets", "check", str(TARGETS))["items"]}  # type: ignore[index]
    assert data.targets and len(data.targets) + len(data.priorities) >= 10
    for r in data.targets:
        assert r.as_dict() == checked[r.id]
        assert f"{r.observed:,.2f}" in html if r.observed is not None else True
    # compare
    assert data.compare is not None and data.compare.kind == "datastore-borough"
    rows = cli_json(
        store, "compare", "--before", "2023-01:2023-12", "--after", "2024-01:2024-12", "--area", CODE,
        "--source", "datastore", "--by", "major", "--datastore-kind", "datastore-borough",
    )["items"]  # fmt: skip
    assert [r.as_dict() for r in data.compare.rows] == rows
    for r in data.compare.rows:
        assert f'<th scope="row">{r.category}</th><td class="n">{r.before:,}</td><td class="n">{r.after:,}</td>' in html
    # outcomes
    out = cli_json(store, "outcomes", "--area", CODE, "--period", "2024-01:2024-12", "--by", "category")
    assert data.outcomes is not None
    assert data.outcomes.total.as_dict() == out["meta"]["total_row"]  # type: ignore[index]
    assert f"{data.outcomes.total.rate:.1f}%</strong> of the {data.outcomes.total.crimes:,} crimes" in html
    # searches
    s = cli_json(store, "searches", "--area", CODE, "--from", "2024-01", "--to", "2024-12", "--rates")
    assert data.search_rates == s["items"]  # type: ignore[index]
    assert f"Arrest rate <strong>{100 * data.search_rates[0]['arrest_rate']:.1f}%</strong>" in html  # type: ignore[operator]
    d = cli_json(store, "searches", "--area", CODE, "--from", "2024-01", "--to", "2024-12", "--disproportionality")
    assert data.dispro is not None and data.dispro.rows == d["items"]  # type: ignore[index]
    # confidence: the latest borough figure of each measure
    assert len(data.confidence) >= 6
    for f in data.confidence:
        c = cli_json(store, "confidence", "--measure", f.measure, "--area", CODE, "--to", "2024-12")
        latest = [r for r in c["items"] if r["level"] == "borough" and r["group"] == "all"][-1]  # type: ignore[index]
        assert latest == json.loads(json.dumps(f.as_dict(), default=str))
        assert f"{100 * f.proportion:.1f}%" in html


def test_sections_degrade_honestly(store: Path) -> None:
    from metforward.store.database import Database

    with Database(store) as db:
        data = summary_data(db, "Bromley", "2024", None)
    content = load_content(CONTENT, data.borough_code, "bromley")
    html = render_summary(data, content)
    assert content.is_default and data.streets is None and data.outcomes is None
    assert data.targets_missing is not None and "--targets" in data.targets_missing.how
    assert html.count('class="missing"') >= 3
    assert "Not shown: the store has no police.uk street-level crime" in html
    assert data.compare is not None  # the Datastore covers every borough


def test_pdf_pages_and_text(rendered: tuple[SummaryData, str], tmp_path: Path) -> None:
    from metforward.present.report import write_pdf

    data, html = rendered
    pdf = tmp_path / "w.pdf"
    write_pdf(html, pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) > 1
    from PIL import Image

    with Image.open(pages[0]) as im:
        lo, hi = im.convert("L").getextrema()
    assert lo < 100 < hi  # not blank
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert "Westminster" in flat
    for r in data.targets:
        assert " ".join(r.title.split()[:3]) in flat
        assert r.verdict in flat
    write_pdf(html, tmp_path / "again.pdf")
    again = subprocess.run(["pdftotext", str(tmp_path / "again.pdf"), "-"], check=True, capture_output=True, text=True)
    assert again.stdout == text


def test_cli_writes_html_and_pdf(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.html"
    args = ["--db", str(store), "report", "summary", "--borough", "westminster", "--year", "2024", "--out", str(out)]
    result = runner.invoke(app, [*args, "--targets", str(TARGETS), "--content", str(CONTENT)])
    assert result.exit_code == 0, result.output
    assert "Local Policing Summary" in out.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["--db", str(store), "report", "summary", "--borough", "Atlantis", "--year", "2024",
                              "--out", str(tmp_path / "x.pdf")])  # fmt: skip
    assert bad.exit_code == 1 and "not a London borough" in bad.output
