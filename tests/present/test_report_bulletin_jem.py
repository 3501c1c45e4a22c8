"""The London bulletin and the JEM data pack on the bundled sample: golden HTML, PDF pages, numbers = CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from metforward.cli import app
from metforward.cli.report import bulletin_html, jem_html
from metforward.present.charts import VERDICT_COLOURS
from tests.conftest import SampleStores

runner = CliRunner()
GOLDEN = Path(__file__).parent / "golden"
CODE = "E09000033"
MONTH = "2025-06"


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Path:
    return sample_stores.copy(name="reports2")  # the sample ingested through the CLI


def _bulletin(store: Path) -> str:
    from metforward.store.database import Database

    with Database(store) as db:
        return bulletin_html(db, MONTH)


def _jem(store: Path) -> str:
    from metforward.store.database import Database

    with Database(store) as db:
        return jem_html(db, "Westminster")


@pytest.fixture(scope="module")
def bulletin(store: Path) -> str:
    return _bulletin(store)


@pytest.fixture(scope="module")
def jem(store: Path) -> str:
    return _jem(store)


def cli_json(store: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--db", str(store), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _golden(name: str, html: str) -> None:
    path = GOLDEN / name
    if os.environ.get("METFORWARD_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8"), "set METFORWARD_UPDATE_GOLDEN=1 to rewrite the golden file"


def test_bulletin_golden_and_byte_identical(store: Path, bulletin: str) -> None:
    assert _bulletin(store) == bulletin
    _golden("bulletin_2025-06.html", bulletin)


def test_jem_golden_and_byte_identical(store: Path, jem: str) -> None:
    assert _jem(store) == jem
    _golden("jem_westminster.html", jem)


@pytest.mark.parametrize("which", ["bulletin", "jem"])
def test_self_contained_and_accessible(which: str, request: pytest.FixtureRequest) -> None:
    html: str = request.getfixturevalue(which)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert "<link" not in html and "<script" not in html and "<img" not in html
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
    # the bulletin's notable-changes table is empty on the sample since the quasi-Poisson default
    assert len(tables) >= 3 and all('<th scope="col"' in t for t in tables)
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert svgs and all('aria-label="' in s and 'role="img"' in s for s in svgs)
    assert "Open Government Licence" in html and "metforward 0.1.0" in html
    assert re.search(r"datastore-borough.*?<code>[0-9a-f]{12}</code>", html, flags=re.S)  # the loads in the footer
    # every verdict in words beside its colour, the colour the one for that word
    spans = re.findall(r'<span class="verdict[^>]*>[^<]*</span>', html)
    verdicts = re.findall(r'<span class="verdict[^"]*" style="background: (#[0-9A-F]{6})">([^<]+)</span>', html)
    assert spans and len(verdicts) == len(spans), spans  # every verdict span has a colour and a word
    for colour, word in verdicts:
        assert word in ("up", "down", "can&#39;t tell", "achieved", "missed")
        assert colour == VERDICT_COLOURS[word.replace("&#39;", "'")], (colour, word)


def test_bulletin_numbers_equal_the_cli(store: Path, bulletin: str) -> None:
    common = ["--source", "datastore", "--by", "major", "--datastore-kind", "datastore-borough",
              "--before", "2024-04:2024-06", "--after", "2025-04:2025-06"]  # fmt: skip
    force = cli_json(store, "compare", "--level", "force", *common)["items"]
    assert isinstance(force, list) and len(force) == 13
    for r in force:
        row = (
            f'<th scope="row">{r["category"]}</th><td class="n">{r["before"]:,}</td><td class="n">{r["after"]:,}</td>'
            f'<td class="n">{r["change_pct"]:+.1f}%</td><td class="n">{r["rate_ratio"]:,.3f} '
            f"({r['ci_low']:,.3f} to {r['ci_high']:,.3f})</td>"
        )
        assert row in bulletin, row
    boroughs = cli_json(store, "compare", "--level", "borough", *common)["items"]
    assert isinstance(boroughs, list)
    notable = [r for r in boroughs if r["q_value"] is not None and r["q_value"] < 0.05]
    # three months against three: with the quasi-Poisson default no borough change is told from chance here
    assert {r["method"] for r in boroughs} == {"quasi"} and not notable
    assert "No borough and category change had q &lt; 0.05." in bulletin
    assert "method: quasi-Poisson (dispersion from the monthly counts" in bulletin
    flags = cli_json(store, "exceptions", "--source", "datastore", "--latest", MONTH, "--months", "12")
    assert isinstance(flags, dict) and flags["items"]
    assert f"{len(flags['items'])} flags, furthest outside expectation first" in bulletin
    for f in flags["items"][:40]:
        assert f"<td>{escape(f['reason'])}</td>" in bulletin


def test_jem_numbers_equal_the_cli(store: Path, jem: str) -> None:
    # trends: the last 12 months against the 12 before
    before = re.search(r"<caption>(\d{4}-\d\d:\d{4}-\d\d) against (\d{4}-\d\d:\d{4}-\d\d): rate ratio", jem)
    assert before is not None
    rows = cli_json(store, "compare", "--source", "datastore", "--level", "borough", "--area", CODE, "--by", "major",
                    "--datastore-kind", "datastore-borough", "--before", before[1], "--after", before[2])["items"]  # fmt: skip
    assert isinstance(rows, list) and rows
    for r in rows:
        assert (
            f'<th scope="row">{r["category"]}</th><td class="n">{r["before"]:,}</td><td class="n">{r["after"]:,}</td>'
            in jem
        )
    # hot streets and repeat locations
    streets = cli_json(store, "hotstreets", "--area", CODE, "--period", "2024-01:2024-12")
    assert isinstance(streets, dict)
    assert (
        f"{streets['meta']['crimes']:,} crimes located on {streets['meta']['streets']:,} streets in 2024-01:2024-12"
        in jem
    )
    for s in streets["items"][:20]:
        assert f'<td class="n">{s["rank"]}</td><th scope="row">{escape(s["location"])}</th>' in jem
    repeats = cli_json(store, "repeats", "--area", CODE, "--end", "2024-12")["items"]
    assert isinstance(repeats, list) and repeats
    assert len(repeats) > 25  # the sample has more than the table shows: the note must say so
    assert f'<p class="note">25 of {len(repeats)} repeat locations are shown.</p>' in jem
    for loc in repeats[:25]:
        row = (
            f'<tr><th scope="row">{escape(loc["location"])}</th><td>{escape(loc["ward_name"] or "-")}</td>'
            f'<td class="n">{len(loc["months"])}</td><td class="n">{loc["count"]:,}</td>'
        )
        assert row in jem, row
    shown = re.search(r"<h3>Repeat locations</h3>.*?</table>", jem, flags=re.S)
    assert shown is not None and shown[0].count('<tr><th scope="row">') == 25
    # LSOA rates: the map command's GeoJSON
    out = Path(str(store) + ".lsoa.geojson")
    result = runner.invoke(app, ["--db", str(store), "map", "--area", CODE, "--period", "2024-01:2024-12",
                                 "--layer", "lsoa", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    best = max((p for p in props if p["rate_per_1000"] is not None), key=lambda p: p["rate_per_1000"])
    assert f'{best["name"]} ({best["code"]})</th><td class="n">{best["count"]:,}</td>' in jem
    assert f'<td class="n">{best["rate_per_1000"]:,.1f}</td>' in jem
    assert jem.count("<path d=") >= len(props)  # every LSOA drawn
    # outcomes and searches
    o = cli_json(store, "outcomes", "--area", CODE, "--period", "2024-01:2024-12")
    assert isinstance(o, dict)
    assert f"{o['meta']['total_row']['rate']:.1f}%</strong> of {o['meta']['total_row']['crimes']:,} crimes" in jem
    s = cli_json(store, "searches", "--area", CODE, "--to", "2024-12", "--rates")
    assert isinstance(s, dict)
    assert f"Arrest rate <strong>{100 * s['items'][0]['arrest_rate']:.1f}%</strong>" in jem
    # similar boroughs are listed with the method
    assert "Camden" in jem and "docs/methods/similar_boroughs.md" in jem


def test_jem_degrades_honestly(store: Path) -> None:
    from metforward.present.report import render_jem
    from metforward.questions.jem import jem_data
    from metforward.store.database import Database

    with Database(store) as db:
        data = jem_data(db, "Bromley")  # no police.uk rows for Bromley in the sample
    html = render_jem(
        data,
        [],
        inputs=dict.fromkeys(("compare", "dashboard", "hotstreets", "repeats", "lsoa", "outcomes", "searches"), "x"),
    )
    assert not data.hot_streets.available and "Not shown: hot streets cannot be built from the store." in html
    assert data.trends.available  # the Datastore covers every borough
    with Database(store) as db:
        city = jem_data(db, "City of London")  # police.uk rows, but no Datastore rows at all
    html = render_jem(
        city,
        [],
        inputs=dict.fromkeys(("compare", "dashboard", "hotstreets", "repeats", "lsoa", "outcomes", "searches"), "x"),
    )
    assert not city.trends.available and city.hot_streets.available
    assert "Not shown: long trends by category cannot be built from the store." in html


@pytest.mark.parametrize("which", ["bulletin", "jem"])
def test_pdf_pages_and_text(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from PIL import Image

    from metforward.present.report import write_pdf

    html: str = request.getfixturevalue(which)
    pdf = tmp_path / f"{which}.pdf"
    write_pdf(html, pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    with Image.open(pages[0]) as im:
        lo, hi = im.convert("L").getextrema()
    assert lo < 100 < hi
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout.split()
    )
    if which == "bulletin":
        for heading in (
            "Results so far",
            "Performance by exception",
            "Notable changes by borough",
            "VIOLENCE AGAINST THE PERSON",
        ):
            assert heading in text
    else:
        for heading in ("Westminster", "Long trends by category", "Violence and youth-violence proxies", "Repeat locations",
                        "LSOA rates", "most similar boroughs", "Outcomes (sanction detection)", "Stop and search"):  # fmt: skip
            assert heading in text
    assert "can't tell" in text and "Open Government Licence" in text


def test_cli_bulletin_and_jem(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.html"
    result = runner.invoke(app, ["--db", str(store), "report", "bulletin", "--month", MONTH, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Results so far" in out.read_text(encoding="utf-8")
    bad = runner.invoke(
        app, ["--db", str(store), "report", "jem", "--borough", "Atlantis", "--out", str(tmp_path / "x.pdf")]
    )
    assert bad.exit_code == 1 and "not a London borough" in bad.output
    both = runner.invoke(app, ["--db", str(store), "report", "jem", "--borough", "Camden", "--all"])
    assert both.exit_code == 2
    month = runner.invoke(app, ["--db", str(store), "report", "bulletin", "--month", "June", "--out", str(out)])
    assert month.exit_code == 2 and "--month: not a month: 'June'" in month.output  # a usage error
