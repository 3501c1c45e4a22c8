"""The command line: JSON shapes, exit codes, status and counts, on the bundled sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from metforward.cli import app
from tests.conftest import SampleStores

runner = CliRunner()
GOOD = "abc1,2024-01,City of London Police,City of London Police,-0.106220,51.518275,On or near B500,E01000916,Camden 027B,Other theft,,"
HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"


def test_ingest_json_has_the_documented_keys_and_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-city-of-london-street.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{GOOD.replace('2024-01', 'bad')}\n")
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "ingest", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= {"files", "rows_read", "rows_loaded", "rows_rejected"}
    assert set(out["files"][0]) == {"path", "kind", "rows_read", "rows_loaded", "rows_rejected", "error"}
    assert (out["rows_read"], out["rows_loaded"], out["rows_rejected"]) == (2, 1, 1)
    assert out["files"][0]["kind"] == "street"


def test_ingest_exit_1_when_a_file_cannot_be_loaded(tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "ingest", str(bad), "--json"])
    assert result.exit_code == 1
    assert "unknown header" in json.loads(result.stdout)["files"][0]["error"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "ingest"]).exit_code == 2
    assert runner.invoke(app, ["ingest", "--no-such-option", "x"]).exit_code == 2


def test_status_and_counts_on_the_sample(sample_stores: SampleStores) -> None:
    db = str(sample_stores.copy("policeuk", "datastore"))  # ingested through the CLI (asserted to exit 0)
    status = json.loads(runner.invoke(app, ["--db", db, "status", "--json"]).stdout)
    series = {(s["kind"], s["force"]): s for s in status["meta"]["series"]}
    assert series[("street", "city-of-london")]["months"] == 12
    assert series[("street", "metropolitan")]["first"] == "2023-01"
    assert series[("street", "metropolitan")]["missing_months"] == []
    assert series[("stop-and-search", "metropolitan")]["months"] == 3
    assert {d["kind"] for d in status["meta"]["datastore"]} == {
        "datastore-borough-2008",
        "datastore-borough",
        "datastore-ward",
    }
    month = next(m for m in status["items"] if m["kind"] == "street" and m["force"] == "metropolitan")
    assert 0 < month["no_lsoa_share"] < 1
    table = runner.invoke(app, ["--db", db, "status"])
    assert table.exit_code == 0
    assert "█" in table.stdout
    counts = runner.invoke(app, ["--db", db, "counts", "--csv"])
    lines = counts.stdout.splitlines()
    assert lines[0] == "borough_code,borough,crime_type,count"
    total = sum(int(line.rsplit(",", 1)[1]) for line in lines[1:])
    assert total == sum(m["rows"] for m in status["items"] if m["kind"] == "street")


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "metforward", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("metforward ")
