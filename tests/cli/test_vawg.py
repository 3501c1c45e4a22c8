"""``metforward vawg``, ``business-crime`` and ``fairness``: the Rich tables (what they rest on, the rows, the
attribution), the CSV, and a bad option as a usage error before the store is opened."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from metforward import ATTRIBUTION
from metforward.cli import app

runner = CliRunner()


def test_the_strand_commands_print_tables_with_the_attribution(web_store: Path) -> None:
    for args, words in (
        (["vawg", "--by", "type"], ["Rape", "verdict", "quasi-Poisson"]),
        (["business-crime", "--area", "Hackney", "--by", "section"], ["THEFT", "positive", "outcomes"]),
        (["fairness", "--period", "2024-01:2024-03"], ["Black", "search", "Census 2021"]),
    ):
        result = runner.invoke(app, ["--db", str(web_store), *args], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        text = " ".join(result.stdout.split())
        assert ATTRIBUTION in text
        for word in words:
            assert word in text, (args, word)


def test_csv_and_a_usage_error(web_store: Path, tmp_path: Path) -> None:
    csv = runner.invoke(app, ["--db", str(web_store), "fairness", "--by", "disposal", "--csv"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("disposal,group,count,of_group,share")
    missing = tmp_path / "none.duckdb"
    bad = runner.invoke(app, ["--db", str(missing), "vawg", "--measure", "victims", "--by", "type"])
    assert bad.exit_code == 2 and "by type is for offences" in " ".join(bad.output.split())
    assert not missing.exists()  # refused before the store was opened
