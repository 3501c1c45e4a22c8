"""``metforward formats``, the one-line unknown-format error, and the ingest table in an 80-column terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from metforward.cli import app
from metforward.cli.ingest import print_summary
from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.readers import CSV_READERS, SNIFF_READERS
from metforward.ingest.readers.policeuk import STREET
from metforward.store.database import Database

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
ROW = "abc1,2024-01,City of London Police,City of London Police,-0.106220,51.518275,On or near B500,E01000916,Camden 027B,Other theft,,"


def deep(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads" / "data.police.uk" / "archive-2024" / "2024-01"
    folder.mkdir(parents=True)
    return folder


def test_formats_lists_every_reader_with_kind_description_and_how_it_is_recognised() -> None:
    result = runner.invoke(app, ["formats", "--json"])
    assert result.exit_code == 0, result.output
    formats = json.loads(result.stdout)
    readers = [*CSV_READERS, *SNIFF_READERS]
    assert [f["kind"] for f in formats] == [r.kind for r in readers]
    assert [f["description"] for f in formats] == [r.description for r in readers]
    for f in formats:
        assert set(f) == {"kind", "description", "input", "recognised_by"}
        assert f["recognised_by"].strip(), f
    assert {f["input"] for f in formats} == {"CSV header", "first bytes"}
    text = runner.invoke(app, ["formats"], env={"COLUMNS": "80"})
    assert text.exit_code == 0
    for r in readers:
        assert r.kind in text.stdout


def test_an_unknown_header_is_one_line_that_points_to_the_formats_command(tmp_path: Path, db: Database) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b,c,d,e,f,g,h,i,j\n1,2,3,4,5,6,7,8,9,10\n")
    (result,) = ingest_paths(db, [bad]).files
    assert result.error is not None
    assert "\n" not in result.error
    assert "unknown header 'a,b,c,d,e,f,g,h,...'" in result.error
    assert "metforward formats" in result.error
    assert len(result.error) < 200


def _first_column(text: str) -> str:
    """The text of a Rich table's first column, its folded lines joined (the header row is drawn with ┃)."""
    return "".join(line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│"))


def test_the_ingest_table_shows_the_whole_file_name_in_80_columns(tmp_path: Path, db: Database) -> None:
    folder = deep(tmp_path)
    good = folder / "2024-01-city-of-london-street.csv"
    good.write_text(",".join(STREET) + "\n" + ROW + "\n")
    summary = ingest_paths(db, [good])
    console = Console(width=80, record=True, color_system=None)
    print_summary(summary, console)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    assert _first_column(text.split("\n\n")[0]) == str(good)


def test_ingest_at_80_columns_shows_the_file_name_and_one_line_of_error(tmp_path: Path) -> None:
    folder = deep(tmp_path)
    bad = folder / "2024-01-city-of-london-something-else.csv"
    bad.write_text(",".join(f"column number {i}" for i in range(30)) + "\n" + ",".join("1" * 30) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "metforward", "--db", str(tmp_path / "s.duckdb"), "ingest", str(bad)],
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) < 15, done.stdout  # was 150 lines: every format in one cell
    assert "…" not in done.stdout
    assert "police.uk street-level crime" not in done.stdout
    assert "metforward formats" in done.stdout
    errors = [line for line in lines if "unknown header" in line]
    assert len(errors) == 1 and f"{bad}: unknown header" in errors[0]  # the whole path, on one line


def test_the_formats_command_named_in_the_error_exists() -> None:
    assert runner.invoke(app, ["formats", "--help"]).exit_code == 0
