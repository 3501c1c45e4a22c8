"""``metforward allocate``: the table, the explanation, --list-indicators, --csv, and a bad formula file as one
line naming its place (exit status 2)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from metforward.cli import app

runner = CliRunner()


def allocate(store: Path, *args: str) -> tuple[int, str]:
    done = runner.invoke(app, ["--db", str(store), "allocate", *args], env={"COLUMNS": "200"})
    return done.exit_code, done.stdout


def test_the_table_and_the_explanation(web_store: Path) -> None:
    code, out = allocate(web_store, "--formula", "mpa", "--explain", "Waltham Forest", "--draws", "100")
    assert code == 0, out
    assert "MPA-style formula" in out and "Waltham Forest" in out and "19,565" in out
    assert "Why Waltham Forest gets" in out and "Officers per 10-point rise in a weight" in out
    assert "Open Government Licence" in out


def test_csv_has_a_column_per_component(web_store: Path) -> None:
    code, out = allocate(web_store, "--formula", "mpa", "--level", "bcu", "--draws", "100", "--csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12 and {"contribution_need", "contribution_demand", "allocation", "low", "high"} <= set(rows[0])
    assert sum(int(r["allocation"]) for r in rows) == 19565


def test_list_indicators_shows_coverage(web_store: Path) -> None:
    code, out = allocate(web_store, "--list-indicators", "--year", "2024")
    assert code == 0, out
    for name in ("population", "deprivation", "crime", "harm", "stop_search", "asb"):
        assert name in out
    code, out = allocate(web_store, "--list-indicators", "--year", "2024", "--json")
    rows = {r["indicator"]: r for r in json.loads(out)["items"]}
    assert rows["stop_search"]["months_present"] == 3 and rows["stop_search"]["areas"] == 32
    assert rows["asb"]["areas"] == 0


def test_a_bad_formula_file_is_one_line_naming_its_place(web_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntotal: 100\ncomponents:\n  need:\n    weight: x\n    indicators: {population: 1}\n")
    code, out = allocate(web_store, "--formula", str(bad))
    done = runner.invoke(app, ["--db", str(web_store), "allocate", "--formula", str(bad)])
    assert done.exit_code == 2
    assert f"{bad}:5: components.need.weight: must be a number" in done.output
    assert "Traceback" not in done.output and len(done.output.strip().splitlines()) == 1
    code, out = allocate(web_store, "--formula", str(bad), "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "formula_file"
