"""Property: after any sequence of loads, reloads, stray-month variants and killed loads of real month
files, each (kind, force, month) holds exactly the rows of its last complete load, and a step
changes no rows of any other (kind, force, month).

The files are small real ones from the bundled sample. A stray variant is a file with one row's
Month set to another month: that row is rejected, and the other month is untouched. A killed load
runs ``metforward ingest`` in a subprocess and SIGKILLs it at a random moment: it either committed
(its load is recorded, and counts as complete) or left the store as it was.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database
from tests.conftest import SAMPLE

BIN = Path(sys.executable).parent / "metforward"
#: (kind, table, sample file) of each month file used.
FILES = [
    ("street", "crimes", "2024-01/2024-01-city-of-london-street.csv.gz"),
    ("street", "crimes", "2024-02/2024-02-city-of-london-street.csv.gz"),
    ("street", "crimes", "2024-03/2024-03-city-of-london-street.csv.gz"),
    ("outcomes", "outcomes", "2024-01/2024-01-metropolitan-outcomes.csv.gz"),
    ("outcomes", "outcomes", "2024-02/2024-02-metropolitan-outcomes.csv.gz"),
]
MONTHS = ["2024-01", "2024-02", "2024-03"]

Unit = tuple[str, str, str]  # kind, force, YYYY-MM


@dataclass(frozen=True)
class Step:
    """One load: which file, whether one row's Month is changed (to which month, at which row), whether killed."""

    file: int
    stray_month: str | None
    stray_row: int
    killed: bool
    kill_after: float


steps = st.builds(
    Step,
    file=st.integers(0, len(FILES) - 1),
    stray_month=st.one_of(st.none(), st.sampled_from(MONTHS)),
    stray_row=st.integers(0, 10_000),
    killed=st.booleans(),
    kill_after=st.floats(0.3, 3.0),
)


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(gzip.decompress(path.read_bytes()).decode("utf-8-sig")))
    header = next(reader)
    return header, [r for r in reader if r]


def write_variant(folder: Path, step: Step) -> tuple[Path, Unit, int]:
    """The step's file (a stray variant where asked); its unit; the rows its complete load keeps."""
    kind, _, name = FILES[step.file]
    source = SAMPLE / "policeuk" / name
    header, rows = _rows(source)
    month, force = source.name[:7], source.name[8:].rsplit(f"-{kind}", 1)[0]
    keep = len(rows)
    if step.stray_month is not None and step.stray_month != month:
        rows[step.stray_row % len(rows)][header.index("Month")] = step.stray_month
        keep -= 1  # the stray row is rejected: it is not this file's month
    folder.mkdir(parents=True)
    path = folder / source.name.removesuffix(".gz")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, (kind, force, month), keep


def snapshot(store: Path) -> dict[Unit, tuple[int, int]]:
    """(rows, a checksum of their load and line) per (kind, force, month)."""
    with Database(store) as db:
        got = db.execute(
            "SELECT 'street', force, strftime(month, '%Y-%m'), count(*), bit_xor(hash(load_id, line)) FROM crimes "
            "GROUP BY ALL UNION ALL "
            "SELECT 'outcomes', force, strftime(month, '%Y-%m'), count(*), bit_xor(hash(load_id, line)) FROM outcomes "
            "GROUP BY ALL"
        )
    return {(k, f, m): (int(n), int(h)) for k, f, m, n, h in got}


def loads_of(store: Path, path: Path) -> int:
    with Database(store) as db:
        return int(db.scalar("SELECT count(*) FROM loads WHERE source_path = ?", [str(path)]))


def killed_ingest(store: Path, path: Path, after: float) -> None:
    proc = subprocess.Popen(
        [str(BIN), "--db", str(store), "ingest", "--json", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(after)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(steps, min_size=1, max_size=5))
def test_each_month_holds_its_last_complete_load_and_no_other_month_changes(sequence: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store.duckdb"
        expected: dict[Unit, int] = {}
        before = snapshot(store)
        for i, step in enumerate(sequence):
            path, unit, keep = write_variant(Path(folder) / f"step{i}", step)
            if step.killed:
                killed_ingest(store, path, step.kill_after)
                complete = loads_of(store, path) == 1  # committed before the kill
            else:
                with Database(store) as db:
                    (result,) = ingest_paths(db, [path]).files
                assert result.rows_read == result.rows_loaded + result.rows_rejected
                assert result.rows_loaded == keep
                complete = True
            if complete:
                expected[unit] = keep
            after = snapshot(store)
            assert {u: n for u, (n, _) in after.items()} == expected, f"step {i}: {step}"
            for other, value in before.items():
                if other != unit or not complete:
                    assert after.get(other) == value, f"step {i} changed {other}: {step}"
            before = after
