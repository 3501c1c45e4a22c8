"""One writer, many readers, and no tracebacks: how commands open the store and how they fail.

Everything here runs against real DuckDB files, and the concurrency tests against real processes:
a Python process holding a connection, a real ``metforward serve`` on a loopback port, a real
``metforward ingest`` interrupted with SIGINT, a real tmpfs that fills up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import metforward
from metforward.cli import app
from tests.conftest import SampleStores

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
ROW = "a{n},2024-01,City of London Police,City of London Police,-0.106220,51.518275,On or near B500,E01000916,Camden 027B,Other theft,,"

#: Every command that only reads the store, with arguments that succeed on the bundled sample.
READS: dict[str, list[str]] = {
    "status": ["status"],
    "counts": ["counts"],
    "compare": ["compare", "--before", "2023-01:2023-06", "--after", "2024-01:2024-06"],
    "harm": ["harm", "--before", "2023-01:2023-06", "--after", "2024-01:2024-06"],
    "targets": ["targets", "check", str(ROOT / "examples" / "targets-2010-11.yaml")],
    "exceptions": ["exceptions"],
    "hotstreets": ["hotstreets", "--area", "Westminster", "--period", "2024-01:2024-06"],
    "repeats": ["repeats", "--area", "Westminster"],
    "hotspots": ["hotspots", "--area", "Westminster", "--period", "2024-01:2024-06"],
    "map": ["map", "--area", "Westminster", "--period", "2024-01:2024-06", "--out", "{tmp}/m.geojson"],
    "near-repeat": ["near-repeat", "--area", "Westminster", "--period", "2024-01:2024-06"],
    "outcomes": ["outcomes", "--period", "2023-01:2023-12"],
    "searches": ["searches"],
    "confidence": ["confidence"],
    "indicators list": ["indicators", "list"],
    "report bulletin": ["report", "bulletin", "--month", "2024-12", "--out", "{tmp}/b.html"],
}


def _args(name: str, tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in READS[name]]


def _env() -> dict[str, str]:
    src = str(Path(metforward.__file__).resolve().parents[1])  # the package under test, in the subprocess too
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""), "COLUMNS": "200"}


def _cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run ``metforward`` in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "metforward", *args], capture_output=True, text=True, env=_env(), timeout=600, **kwargs
    )  # type: ignore[call-overload, no-any-return]


def _one_line_error(stderr: str) -> str:
    """The single error line a failed command printed (and nothing that looks like a traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.fixture(scope="module")
def sample_store(sample_stores: SampleStores) -> Path:
    """The bundled sample, loaded once (a copy of the session's template); the tests only read it (or copy it)."""
    return sample_stores.copy(name="safe")


def _hold(path: Path, *, read_only: bool, seconds: float = 120) -> subprocess.Popen[str]:
    """Another process holding a connection to ``path`` (until killed or ``seconds`` pass)."""
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "print('held', flush=True)\n"
        f"time.sleep({seconds})\n"
        "con.close()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def held_read_only(sample_store: Path) -> Iterator[subprocess.Popen[str]]:
    proc = _hold(sample_store, read_only=True)
    yield proc
    proc.kill()
    proc.wait()


# --- readers open read-only --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(READS))
def test_a_read_command_on_a_missing_store_says_so_and_creates_nothing(name: str, tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "x.duckdb"
    result = runner.invoke(app, ["--db", str(missing), *_args(name, tmp_path)])
    assert result.exit_code == 1, result.output
    assert f"{missing}: no store there" in result.output
    assert "metforward --db" in result.output and "ingest PATH" in result.output
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("name", list(READS))
def test_read_commands_work_while_another_process_reads(
    name: str, sample_store: Path, held_read_only: subprocess.Popen[str], tmp_path: Path
) -> None:
    """A process holding a read-only connection (as every serve worker does) shuts out writers only."""
    result = runner.invoke(app, ["--db", str(sample_store), "--wait", "0", *_args(name, tmp_path)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def read_only_mount(sample_store: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the sample store on a read-only bind mount (chmod does not stop root, a read-only mount does)."""
    src, mnt = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    mnt.mkdir()
    (src / "s.duckdb").write_bytes(sample_store.read_bytes())
    mounted = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here ({mounted.stderr.strip()}): needs root in a container")
    try:
        remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(mnt)], capture_output=True, text=True)
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only ({remount.stderr.strip()})")
        yield mnt / "s.duckdb"
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("name", ["status", "counts", "hotstreets", "report bulletin"])
def test_read_commands_work_on_a_read_only_file_system(name: str, read_only_mount: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(read_only_mount), *_args(name, tmp_path)])
    assert result.exit_code == 0, result.output


def test_a_stale_store_on_a_read_only_file_system_says_what_to_run(sample_store: Path, tmp_path: Path) -> None:
    """A load stopped before it built the cubes: a reader that cannot write names the command to run."""
    src, mnt = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    mnt.mkdir()
    stale = src / "s.duckdb"
    stale.write_bytes(sample_store.read_bytes())
    con = duckdb.connect(str(stale))
    con.execute("UPDATE cube_builds SET fingerprint = 'old'")
    con.close()
    if subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only bind mount here: needs root in a container")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mnt)], check=True)
        result = runner.invoke(app, ["--db", str(mnt / "s.duckdb"), "status"])
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    assert result.exit_code == 1, result.output
    assert "out of date" in result.output and f"metforward --db {mnt / 's.duckdb'} upgrade" in result.output
    # where it can write, a reader brings the store up to date itself, and upgrade has nothing left to do
    assert runner.invoke(app, ["--db", str(stale), "status"]).exit_code == 0
    again = runner.invoke(app, ["--db", str(stale), "upgrade"])
    assert again.exit_code == 0 and "already up to date" in again.output


# --- one writer --------------------------------------------------------------------------------


def _street_file(tmp_path: Path, rows: int = 3) -> Path:
    path = tmp_path / "2024-01-city-of-london-street.csv"
    path.write_text(HEADER + "\n" + "\n".join(ROW.format(n=n) for n in range(rows)) + "\n")
    return path


def test_a_second_writer_stops_at_once_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    holder = _hold(db, read_only=False)
    try:
        result = _cli("--db", str(db), "--wait", "0", "ingest", str(_street_file(tmp_path)))
    finally:
        holder.kill()
        holder.wait()
    line = _one_line_error(result.stderr)
    assert result.returncode == 1
    assert f"the store {db} is in use by process {holder.pid} ({Path(sys.executable).name} -c import duckdb" in line
    assert "wait for it to finish" in line and "--wait SECONDS" in line


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    holder = _hold(db, read_only=False)
    writer = subprocess.Popen(
        [sys.executable, "-m", "metforward", "--db", str(db), "--wait", "60", "ingest", str(_street_file(tmp_path)),
         "--json"],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert writer.stderr is not None
    told = writer.stderr.readline()  # the writer says it waits, and for whom; then the first writer finishes
    holder.kill()
    holder.wait()
    out, _ = writer.communicate(timeout=120)
    assert writer.returncode == 0
    assert f"waiting up to 60 s for process {holder.pid} ({Path(sys.executable).name} -c import duckdb" in told
    assert json.loads(out)["rows_loaded"] == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=[1, 2], ids=["one-process", "two-workers"])
def server(sample_store: Path, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    """A real ``metforward serve`` on a loopback port, over the sample store (with 2 workers, the lock is
    held by multiprocessing children, and the message must still name the server the user started)."""
    port = _free_port()
    workers = str(request.param)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "metforward",
            "--db",
            str(sample_store),
            "serve",
            "--port",
            str(port),
            "--workers",
            workers,
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"serve did not start: {proc.communicate()[1]}") from None
            time.sleep(0.3)
    yield proc
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_ingest_while_serve_runs_loads_beside_it_and_status_still_works(
    server: subprocess.Popen[str], sample_store: Path, tmp_path: Path
) -> None:
    """The server holds the store; a load no longer waits for it or fails: it writes the next version
    beside the store and moves it into place (issue 16: loading while serving)."""
    before = _cli("--db", str(sample_store), "status", "--json")
    assert before.returncode == 0, before.stderr
    result = _cli("--db", str(sample_store), "--wait", "0", "ingest", str(_street_file(tmp_path)), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows_loaded"] == 3
    status = _cli("--db", str(sample_store), "--wait", "0", "status", "--json")
    assert status.returncode == 0, status.stderr
    rows = {(r["kind"], r["force"], r["month"]): r["rows"] for r in json.loads(status.stdout)["items"]}
    assert rows[("street", "city-of-london", "2024-01")] == 3
    assert not list(sample_store.parent.glob(f"{sample_store.name}.next-*")), "the copy was left behind"


# --- no tracebacks -----------------------------------------------------------------------------


def _failures(tmp_path: Path, sample_store: Path) -> dict[str, tuple[list[str], str, str]]:
    """name -> (arguments, the error code, a part of the message)."""
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("not a database\n")
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    out_dir = tmp_path / "out.html"
    out_dir.mkdir()
    full = tmp_path / "full.html"
    full.symlink_to("/dev/full")  # every write to /dev/full fails with ENOSPC: a disk that is full
    return {
        "not a DuckDB file": (["--db", str(not_duckdb), "status"], "store", f"{not_duckdb} is not a metforward store"),
        "a folder as --db, reading": (["--db", str(folder), "status"], "store", f"{folder} is a folder"),
        "a folder as --db, writing": (
            ["--db", str(folder), "ingest", str(_street_file(tmp_path))],
            "store",
            f"{folder} is a folder",
        ),
        "an output path that is a folder": (
            ["--db", str(sample_store), "report", "bulletin", "--month", "2024-12", "--out", str(out_dir)],
            "eisdir",
            f"{out_dir}: is a folder",
        ),
        "an output file on a full disk": (
            ["--db", str(sample_store), "report", "bulletin", "--month", "2024-12", "--out", str(full)],
            "disk_full",
            "the disk is full",
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "not a DuckDB file",
        "a folder as --db, reading",
        "a folder as --db, writing",
        "an output path that is a folder",
        "an output file on a full disk",
    ],
)
def test_expected_failures_print_one_line_or_a_json_error(name: str, tmp_path: Path, sample_store: Path) -> None:
    args, code, text = _failures(tmp_path, sample_store)[name]
    plain = _cli(*args)
    assert plain.returncode == 1
    assert text in _one_line_error(plain.stderr)
    as_json = _cli(*args, "--json") if "report" not in args else None
    if as_json is not None:  # report has no --json; every other command's failure is a JSON object
        assert as_json.returncode == 1
        assert "Traceback" not in as_json.stderr
        error = json.loads(as_json.stdout)["error"]
        assert error["code"] == code and text in error["message"]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    result = _cli("--debug", "--db", str(folder), "status")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "is a folder" in result.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: the store outgrows it. Skipped, saying why, where this process may not mount."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"SKIPPED the disk-full test: cannot mount a tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_ingest_into_a_full_disk_prints_one_line(small_disk: Path, sample: Path) -> None:
    db = small_disk / "s.duckdb"
    result = _cli("--db", str(db), "ingest", str(sample / "policeuk"), "--json")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Traceback" not in result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "disk_full" and str(db) in error["message"]


# --- Ctrl-C ------------------------------------------------------------------------------------


def _interrupt(args: list[str], after: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "metforward", *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _interrupt_after_loads(args: list[str], loads: int, delay: float) -> subprocess.CompletedProcess[str]:
    """Run ``metforward -v ARGS``, and send Ctrl-C ``delay`` s after its ``loads``-th file is reported loaded.

    Keyed to the command's own progress (its log line per stored file), not to the clock, so the
    signal lands after a commit and in the middle of the next file however busy the machine is.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "metforward", "-v", *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen, lines = 0, []
    while seen < loads:
        line = proc.stderr.readline()
        assert line, "the command ended before loading enough files: " + "".join(lines)[-2000:]
        lines.append(line)
        seen += " loaded " in line and "as load" in line
    time.sleep(delay)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(lines) + err)


# the signal lands in different files and statements: just after a commit, and during the next file
@pytest.mark.parametrize(("loads", "delay"), [(1, 0.0), (2, 0.3), (3, 0.05)])
def test_ctrl_c_during_ingest_keeps_every_file_whole(tmp_path: Path, sample: Path, loads: int, delay: float) -> None:
    db = tmp_path / "s.duckdb"
    result = _interrupt_after_loads(["--db", str(db), "ingest", str(sample)], loads, delay)
    assert result.returncode == 130
    assert "interrupted" in _one_line_error(result.stderr)
    con = duckdb.connect(str(db), read_only=True)
    try:
        loads = con.execute("SELECT load_id, kind, rows_loaded FROM loads WHERE replaced_by IS NULL").fetchall()
        assert loads, "no file was loaded before the interrupt: interrupt later"
        tables = {"street": "crimes", "outcomes": "outcomes", "stop-and-search": "searches"}
        for load_id, kind, rows_loaded in loads:
            if kind in tables:
                n = con.execute(f"SELECT count(*) FROM {tables[kind]} WHERE load_id = ?", [load_id]).fetchone()
                assert n is not None and n[0] == rows_loaded, (load_id, kind)
        ids = {load_id for load_id, *_ in con.execute("SELECT load_id FROM loads").fetchall()}
        for table in tables.values():
            orphans = con.execute(f"SELECT DISTINCT load_id FROM {table}").fetchall()
            assert {o for (o,) in orphans} <= ids, f"{table} holds rows of a load that was rolled back"
    finally:
        con.close()
    # the next command finds the store whole and builds what the interrupted run did not
    status = _cli("--db", str(db), "status", "--json")
    assert status.returncode == 0, status.stderr


def test_ctrl_c_during_report_all_prints_one_line(sample_store: Path, tmp_path: Path) -> None:
    args = ["--db", str(sample_store), "report", "jem", "--all", "--out-dir", str(tmp_path), "--format", "html"]
    result = _interrupt(args, after=10)
    assert result.returncode == 130
    assert "interrupted" in _one_line_error(result.stderr)
