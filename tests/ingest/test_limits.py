"""Hostile inputs: decompression bombs, files with too many rows, named pipes and symbolic links."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from metforward.ingest.pipeline import ingest_paths
from metforward.ingest.readers import ReadOptions
from metforward.ingest.readers.policeuk import STREET
from metforward.ingest.sources import Limits
from metforward.store.database import Database

REPO = Path(__file__).resolve().parents[2]
ROW = "abc{i},2024-01,City of London Police,City of London Police,-0.106220,51.518275,On or near B500,E01000916,Camden 027B,Other theft,,"
NAME = "2024-01-city-of-london-street.csv"


def street_text(rows: int) -> str:
    return ",".join(STREET) + "\n" + "".join(ROW.format(i=i) + "\n" for i in range(rows))


def crimes(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM crimes") or 0)


# --- size and row limits --------------------------------------------------------------------------------


def test_the_default_limits_are_far_above_every_real_file(corpus: Path) -> None:
    limits = Limits()
    biggest_bytes = biggest_rows = biggest_police_rows = 0
    for path in corpus.rglob("*.csv.gz"):
        with gzip.open(path) as f:
            data = f.read()
        biggest_bytes, biggest_rows = max(biggest_bytes, len(data)), max(biggest_rows, data.count(b"\n"))
        if path.is_relative_to(corpus / "policeuk"):
            biggest_police_rows = max(biggest_police_rows, data.count(b"\n"))
    assert biggest_bytes * 1.8 < limits.max_bytes  # the largest (a London Datastore table) is 107 MB
    assert biggest_rows * 2 < limits.max_rows
    assert biggest_police_rows * 10 < limits.max_rows


def test_a_gzip_bomb_is_stopped_while_decompressing_without_expanding_it_in_memory(
    tmp_path: Path, db: Database
) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(street_text(1).encode())
        block = ("x" * 1023 + "\n").encode() * 1024  # 1 MB
        for _ in range(60):
            out.write(block)
    assert bomb.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        summary = ingest_paths(db, [bomb], ReadOptions(limits=Limits(max_bytes=5_000_000)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (result,) = summary.files
    assert result.error is not None
    assert "more than the limit of 5 MB" in result.error
    assert "--max-file-mb" in result.error and "METFORWARD_MAX_FILE_MB" in result.error
    assert peak < 20_000_000
    assert crimes(db) == 0


def test_a_zip_member_too_large_by_its_declared_size_is_refused_before_it_is_decompressed(
    tmp_path: Path, db: Database
) -> None:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(f"2024-01/{NAME}", street_text(30_000))
    # corrupt the compressed data: decompressing it would fail with a different error
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(f"2024-01/{NAME}")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 100 : start + 200] = b"\xff" * 100
    archive.write_bytes(bytes(raw))
    (result,) = ingest_paths(db, [archive], ReadOptions(limits=Limits(max_bytes=1_000_000))).files
    assert result.error is not None
    assert result.path == f"{archive}!2024-01/{NAME}"
    assert "declares" in result.error and "more than the limit of 1 MB" in result.error


def test_a_zip_member_is_read_with_a_cap_whatever_its_header_says(tmp_path: Path, db: Database) -> None:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(NAME, street_text(30_000))
    (ok,) = ingest_paths(db, [archive]).files
    assert ok.error is None and ok.rows_loaded == 30_000
    (capped,) = ingest_paths(db, [archive], ReadOptions(limits=Limits(max_bytes=2_000_000))).files
    assert capped.error is not None and "more than the limit of 2 MB" in capped.error


def test_a_file_with_more_rows_than_the_limit_is_refused_with_the_limit_and_how_to_raise_it(
    tmp_path: Path, db: Database
) -> None:
    path = tmp_path / NAME
    path.write_text(street_text(1_001))
    (result,) = ingest_paths(db, [path], ReadOptions(limits=Limits(max_rows=1_000))).files
    assert result.error is not None
    assert "1,001 rows" in result.error and "limit of 1,000 rows" in result.error
    assert "--max-rows" in result.error and "METFORWARD_MAX_ROWS" in result.error
    assert crimes(db) == 0
    (at_limit,) = ingest_paths(db, [path], ReadOptions(limits=Limits(max_rows=1_001))).files
    assert at_limit.error is None and crimes(db) == 1_001


def test_the_limits_are_options_and_environment_variables_of_ingest(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text(street_text(50))
    base = [sys.executable, "-m", "metforward", "--db", str(tmp_path / "s.duckdb"), "ingest", str(path), "--json"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}

    def run(extra: list[str], **more: str) -> tuple[int, str]:
        done = subprocess.run([*base, *extra], env={**env, **more}, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout + done.stderr

    code, out = run(["--max-rows", "10"])
    assert code == 1 and "limit of 10 rows" in out
    code, out = run([], METFORWARD_MAX_ROWS="20")
    assert code == 1 and "limit of 20 rows" in out
    code, out = run(["--max-rows", "100"], METFORWARD_MAX_ROWS="20")  # the option wins
    assert code == 0, out
    code, out = run(["--max-file-mb", "0"])
    assert code == 2


def test_fetch_takes_the_same_limit_options() -> None:
    from typer.testing import CliRunner

    from metforward.cli import app

    text = CliRunner().invoke(app, ["fetch", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--max-file-mb" in text and "--max-rows" in text


# --- named pipes, sockets and symbolic links ----------------------------------------------------------------


@pytest.mark.timeout(30)
def test_a_named_pipe_given_as_input_is_refused_without_opening_it(tmp_path: Path, db: Database) -> None:
    pipe = tmp_path / "2024-01-city-of-london-street.csv"
    os.mkfifo(pipe)
    summary = ingest_paths(db, [pipe])
    (result,) = summary.files
    assert not summary.ok
    assert result.path == str(pipe)
    assert result.error is not None and "named pipe" in result.error


@pytest.mark.timeout(30)
def test_pipes_and_sockets_in_a_folder_are_skipped_and_reported(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree" / "2024-01"
    tree.mkdir(parents=True)
    (tree / NAME).write_text(street_text(3))
    os.mkfifo(tree / "2024-01-city-of-london-outcomes.csv")
    sock = socket.socket(socket.AF_UNIX)
    try:
        monkeypatch.chdir(tree)  # a socket's path must be short: bind it by its relative name
        sock.bind("s.csv")
        summary = ingest_paths(db, [tmp_path / "tree"])
    finally:
        sock.close()
    assert summary.ok and crimes(db) == 3
    reasons = dict(summary.skipped)
    assert "named pipe" in reasons[str(tree / "2024-01-city-of-london-outcomes.csv")]
    assert "socket" in reasons[str(tree / "s.csv")]


@pytest.mark.timeout(60)
def test_a_named_pipe_given_to_the_cli_exits_1_with_one_line(tmp_path: Path) -> None:
    pipe = tmp_path / "input.csv"
    os.mkfifo(pipe)
    done = subprocess.run(
        [sys.executable, "-m", "metforward", "--db", str(tmp_path / "s.duckdb"), "ingest", str(pipe), "--json"],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert done.returncode == 1
    assert "named pipe" in done.stdout


@pytest.mark.timeout(60)
def test_month_folders_that_are_symbolic_links_inside_the_tree_are_followed(tmp_path: Path, db: Database) -> None:
    root = tmp_path / "download"
    real = root / "store" / "january"
    real.mkdir(parents=True)
    (real / NAME).write_text(street_text(4))
    tree = root / "months"
    tree.mkdir()
    (tree / "2024-01").symlink_to(real, target_is_directory=True)
    summary = ingest_paths(db, [tree.parent])
    assert summary.ok
    assert [f.rows_loaded for f in summary.files] == [4]  # the same file through the link is not loaded twice
    assert any("same file as" in reason for _, reason in summary.skipped)


@pytest.mark.timeout(60)
def test_symbolic_links_out_of_the_tree_and_loops_are_skipped_and_reported(tmp_path: Path, db: Database) -> None:
    outside = tmp_path / "elsewhere" / "2024-01"
    outside.mkdir(parents=True)
    (outside / NAME).write_text(street_text(2))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "2024-01").symlink_to(outside, target_is_directory=True)
    (tree / "loop").symlink_to(tree, target_is_directory=True)
    (tree / "a").symlink_to(tree / "b")
    (tree / "b").symlink_to(tree / "a")
    (tree / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    summary = ingest_paths(db, [tree])
    assert summary.files == []
    reasons = dict(summary.skipped)
    assert "outside" in reasons[str(tree / "2024-01")] and str(outside) in reasons[str(tree / "2024-01")]
    assert "loop" in reasons[str(tree / "loop")] or "already" in reasons[str(tree / "loop")]
    assert "loop" in reasons[str(tree / "a")]
    assert "broken" in reasons[str(tree / "dangling.csv")]
    # a month folder that is a link out of the tree: the CLI says so (no silent exit 0 with 0 files)
    from typer.testing import CliRunner

    from metforward.cli import app

    out = CliRunner().invoke(app, ["--db", str(tmp_path / "c.duckdb"), "ingest", str(tree)], env={"COLUMNS": "80"})
    assert out.exit_code == 1  # nothing was loaded: a failure, with the reason, and no store made
    assert "outside" in out.stderr and "nothing" in out.stderr.lower()
    assert not (tmp_path / "c.duckdb").exists()


def test_a_symbolic_link_given_as_the_input_itself_is_followed(tmp_path: Path, db: Database) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / NAME).write_text(street_text(2))
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert ingest_paths(db, [link]).ok and crimes(db) == 2


def test_read_input_streams_a_zip_member(tmp_path: Path) -> None:
    """Reading a member through the capped stream gives the same bytes as zipfile's own read."""
    from metforward.ingest.sources import InputFile, read_input

    text = street_text(100).encode()
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("x/" + NAME, text)
        out.writestr("x/" + NAME + ".gz", gzip.compress(text))
    assert read_input(InputFile(archive, "x/" + NAME)).data == text
    assert read_input(InputFile(archive, "x/" + NAME + ".gz")).data == text
