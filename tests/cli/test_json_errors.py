"""Every command given ``--json`` reports an expected failure as a JSON error object on standard output.

The commands are found in the Typer app itself, so a new command with ``--json`` is covered at once:
it fails :func:`test_every_command_with_json_has_failing_arguments` until it has a row in
:data:`FAILURES`. Each row provokes an expected failure (a malformed period, an unknown area or
measure, a missing file, a missing store ...) and names the exit status the handler documents
(:mod:`metforward.cli.safety`): 2 for a usage error, 1 for any other failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from metforward.cli import app
from tests.conftest import SampleStores

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
PERIODS = ["--before", "2023-01:2023-06", "--after", "2024-01:2024-06"]
WESTMINSTER = ["--area", "Westminster", "--period", "2024-01:2024-06"]

#: command -> [(arguments after the command name, exit status)]; ``{tmp}`` is a fresh folder and
#: ``{missing}`` a store that does not exist (the rest run on the bundled sample).
FAILURES: dict[str, list[tuple[list[str], int]]] = {
    "compare": [
        (["--before", "2023-13:2023-06", "--after", "2024-01:2024-06"], 2),
        ([*PERIODS, "--area", "Gotham"], 1),
    ],
    "counts": [(["--db", "{missing}"], 1)],
    "allocate": [(["--formula", "no-such-formula"], 2), (["--level", "ward"], 2)],
    "records alerts": [([], 1)],  # no records database beside the store: one line saying to create it
    "users list": [([], 1)],
    "youth-violence": [(["--before", "2023-13:2023-06", "--after", "2024-01:2024-06"], 2)],
    "visible-policing": [(["--level", "ward"], 2)],
    "confidence": [(["--area", "Atlantis"], 2), (["--to", "June"], 2), (["--measure", "no such measure"], 1)],
    "exceptions": [(["--latest", "2024-13"], 2)],
    "fetch": [(["--force", "metropolitan", "--from", "2024-13", "--to", "2024-02"], 2)],
    "formats": [(["--no-such-option"], 2)],
    "refresh": [(["--db", "{missing}"], 1), (["--db", "{missing}", "--dry-run"], 1), (["--max-rows", "0"], 2)],
    "sources": [(["--area", "paris"], 2)],
    "harm": [([*PERIODS, "--scheme", "nope"], 1), (["--before", "2023-01"], 2)],
    "hotspots": [([*WESTMINSTER, "--cell-size", "-5"], 1), (["--area", "Atlantis", "--period", "2024-01:2024-06"], 1)],
    "hotstreets": [(["--area", "Westminster", "--period", "2024-13:2024-14"], 2)],
    "indicators list": [(["--db", "{missing}"], 1)],
    "indicators load": [(["{tmp}/no-such-file.csv"], 1)],
    "indicators show": [(["Nothing"], 1), (["Nothing", "--from", "June"], 2)],
    "ingest": [(["{tmp}"], 1)],  # an empty folder: nothing to load
    "map": [(["--area", "Atlantis", "--period", "2024-01:2024-06"], 1), ([*WESTMINSTER, "--layer", "county"], 1)],
    "near-repeat": [([*WESTMINSTER, "--permutations", "0"], 1)],
    "outcomes": [
        (["--period", "2023-01:2023-12", "--source", "nope"], 2),
        (["--period", "2023-01:2023-12", "--source", "dashboard"], 2),
        (["--period", "2023-01:2023-12", "--by", "colour"], 1),
    ],
    "report bulletin": [(["--month", "June"], 2)],
    "report jem": [(["--borough", "Atlantis", "--out", "{tmp}/x.pdf"], 1), (["--all"], 2)],
    "repeats": [(["--area", "Atlantis"], 1), (["--area", "Westminster", "--end", "2024-13"], 2)],
    "searches": [(["--rates", "--disproportionality"], 2), (["--by", "colour"], 1)],
    "status": [(["--db", "{missing}"], 1), (["--kind", "bicycles"], 2)],
    "targets check": [(["{tmp}/no-such-targets.yaml"], 2)],
    "vawg": [(["--by", "colour"], 2), (["--area", "Atlantis"], 1)],
    "business-crime": [(["--after", "2024-13:2025-01"], 2), (["--db", "{missing}"], 1)],
    "fairness": [(["--disposal", "Sent home"], 2), (["--by", "disposal", "--disposal", "Prosecution"], 2)],
}


def commands_with_json() -> list[str]:
    """Every command of the app (``group sub`` for a group's) that takes ``--json``."""
    found: list[str] = []

    def walk(group: object, prefix: str) -> None:
        for name, cmd in sorted(getattr(group, "commands", {}).items()):
            full = f"{prefix} {name}".strip()
            if hasattr(cmd, "commands"):
                walk(cmd, full)
            elif any("--json" in getattr(p, "opts", ()) for p in cmd.params):
                found.append(full)

    walk(typer.main.get_command(app), "")
    return found


CASES = [(name, i) for name in commands_with_json() for i in range(max(1, len(FAILURES.get(name, []))))]


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Path:
    return sample_stores.copy(name="json")  # the sample ingested through the CLI


def test_every_command_with_json_has_failing_arguments() -> None:
    assert commands_with_json(), "no command with --json found: the walk over the app is broken"
    untested = [name for name in commands_with_json() if name not in FAILURES]
    assert not untested, f"add failing arguments for {untested} to FAILURES"
    assert set(FAILURES) <= set(commands_with_json()), "FAILURES names a command without --json"


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_a_failure_with_json_prints_a_json_error_object(name: str, case: int, store: Path, tmp_path: Path) -> None:
    assert name in FAILURES, f"add failing arguments for {name!r} to FAILURES"
    args, status = FAILURES[name][case]
    args = [a.replace("{tmp}", str(tmp_path)).replace("{missing}", str(tmp_path / "missing.duckdb")) for a in args]
    db = ["--db", str(store)] if "--db" not in args else []
    if "--db" in args:  # a global option: before the command
        at = args.index("--db")
        db, args = args[at : at + 2], args[:at] + args[at + 2 :]
    result = runner.invoke(app, [*db, *name.split(), *args, "--json"])
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code == status, (result.stdout, result.stderr)
    error = json.loads(result.stdout)["error"]
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert "\n" not in error["message"]
    # without --json: the same exit status, and no traceback either
    plain = runner.invoke(app, [*db, *name.split(), *args])
    assert plain.exit_code == status
    assert "Traceback" not in plain.stderr


# --- ingest with nothing to load -----------------------------------------------------------------


def test_ingest_of_an_empty_folder_says_nothing_was_loaded_and_creates_no_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "ingest", str(empty)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"Error: nothing was loaded from {empty}: no files found there; give the files or folders to load "
        "(run 'metforward formats' to list the formats metforward reads and how each is recognised)"
    ]
    assert not db.exists()


def test_ingest_of_month_folders_linked_from_outside_says_why_nothing_was_loaded(sample: Path, tmp_path: Path) -> None:
    """Month folders that are symbolic links out of the tree are skipped: the one line gives the reasons."""
    tree = tmp_path / "tree"
    tree.mkdir()
    months = sorted(p for p in (sample / "policeuk").iterdir() if p.is_dir())
    assert months, "the sample has no police.uk month folders"
    for month in months:
        (tree / month.name).symlink_to(month.resolve(), target_is_directory=True)
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "ingest", str(tree), "--json"])
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "nothing_to_load"
    assert error["message"].startswith(
        f"nothing was loaded from {tree}: every entry found was skipped ({tree / months[0].name}: "
    )
    assert not db.exists()


def test_ingest_with_a_file_not_loaded_gives_the_summary_and_an_error_object(tmp_path: Path) -> None:
    bad = tmp_path / "2024-01-city-of-london-street.csv"
    bad.write_text("not,a,known,header\n1,2,3,4\n")
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "ingest", str(bad), "--json"])
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["files"][0]["error"]
    assert out["error"]["code"] == "files_not_loaded"
    assert out["error"]["message"].startswith(f"1 of 1 files not loaded: {bad}: ")
