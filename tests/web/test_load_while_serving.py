"""Loading while serving (issue 16): ``metforward serve`` keeps answering while ``ingest`` adds a
month. A real server on loopback, real concurrent GETs, a real ingest process: every response is a
200, responses switch from the old load version to the new one, and no response mixes the two (each
body's rows for the new month agree with the load version it reports)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import metforward
from metforward.store.access import writing

NEW = ("street", "city-of-london", "2025-09")


def _env() -> dict[str, str]:
    src = str(Path(metforward.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def served(web_store: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    store = tmp_path / "served.duckdb"
    shutil.copy(web_store, store)
    port = _port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "metforward", "--db", str(store), "serve", "--port", str(port), "--workers", "2"],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),  # a file, not a pipe: a pipe nobody reads fills with the request log and stalls it
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"serve did not start: {log.read_text()}") from None
            time.sleep(0.3)
    yield store, base
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_answers_every_request_while_ingest_adds_a_month(served: tuple[Path, str], corpus: Path) -> None:
    store, base = served
    month_file = corpus / "policeuk" / "city-of-london" / "street" / "2025-09" / "2025-09-city-of-london-street.csv"
    seen: list[tuple[int, str, int | None]] = []  # (status, load version, rows of the new month)
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status, body = _get(f"{base}/api/v1/status?limit=1000")
            except Exception as exc:  # noqa: BLE001 - every failure is a finding here
                failures.append(repr(exc))
                continue
            rows = {(r["kind"], r["force"], r["month"]): r["rows"] for r in body["items"]}  # type: ignore[union-attr, index]
            seen.append((status, str(body["meta"]["load_version"]), rows.get(NEW)))  # type: ignore[index]

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 4 and time.monotonic() < deadline:  # a few answers of the old version first
            time.sleep(0.1)
        old_count = len(seen)
        loaded = subprocess.run(
            [sys.executable, "-m", "metforward", "--db", str(store), "--wait", "0", "ingest", str(month_file), "--json"],
            env=_env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr
        new_rows = json.loads(loaded.stdout)["rows_loaded"]
        deadline = time.monotonic() + 30  # the server follows the new version at its next requests
        while time.monotonic() < deadline and not any(r == new_rows for _, _, r in seen[-8:]):
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    assert not failures, failures[:5]
    assert old_count > 0 and len(seen) > old_count
    assert {status for status, _, _ in seen} == {200}
    versions = {
        version: {rows for v, _, rows in [(x[1], 0, x[2]) for x in seen] if v == version} for _, version, _ in seen
    }
    assert len(versions) == 2, f"expected the old and the new load version, saw {sorted(versions)}"
    old, new = sorted(versions, key=lambda v: next(i for i, x in enumerate(seen) if x[1] == v))
    assert versions[old] == {None}, "a response of the old version shows the new month"
    assert versions[new] == {new_rows}, "a response of the new version lacks the new month"
    assert seen[-1][1] == new
    assert not list(store.parent.glob(f"{store.name}.next-*")), "the copy of the store was left behind"


class Reader:
    """Another process with the store open read-only across loads; ``count(table)`` asks it."""

    def __init__(self, store: Path) -> None:
        code = (
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(store)!r}, read_only=True)\n"
            "for line in sys.stdin:\n"
            "    print(con.execute(f'SELECT count(*) FROM {line.strip()}').fetchone()[0], flush=True)\n"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def count(self, table: str) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(table + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_a_load_beside_readers_leaves_them_the_old_version_and_fails_cleanly(web_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    shutil.copy(web_store, store)
    reader = Reader(store)  # a reader that stays open across the loads
    try:
        loads, rejects = reader.count("loads"), reader.count("rejects")
        assert loads > 0 and rejects > 0
        with pytest.raises(RuntimeError, match="stopped half way"), writing(store, wait=0) as db:
            assert db.path.endswith(f".next-{os.getpid()}")  # written beside the store
            db.run("DELETE FROM loads")
            raise RuntimeError("stopped half way")
        assert not list(tmp_path.glob("s.duckdb.next-*")), "a failed load left its copy behind"
        with writing(store, wait=0) as db:
            db.run("DELETE FROM rejects")
        assert (reader.count("loads"), reader.count("rejects")) == (loads, rejects)  # the old version, whole
    finally:
        reader.close()
    fresh = duckdb.connect(str(store), read_only=True)
    try:
        assert fresh.execute("SELECT count(*) FROM loads").fetchone() == (loads,)  # the failed load changed nothing
        assert fresh.execute("SELECT count(*) FROM rejects").fetchone() == (0,)  # the finished one moved in
    finally:
        fresh.close()


def test_without_readers_a_load_writes_in_place(web_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    shutil.copy(web_store, store)
    inode = store.stat().st_ino
    with writing(store, wait=0) as db:
        assert db.path == str(store)
        db.run("DELETE FROM rejects")
    assert store.stat().st_ino == inode


def test_a_load_beside_readers_keeps_what_a_crashed_writer_committed_to_the_write_ahead_log(
    web_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    shutil.copy(web_store, store)
    rejects = duckdb.connect(str(store), read_only=True).execute("SELECT count(*) FROM rejects").fetchone()
    assert rejects is not None and rejects[0] > 0
    crash = (
        "import duckdb, os\n"
        f"con = duckdb.connect({str(store)!r})\n"
        "con.execute(\"SET checkpoint_threshold = '10GB'\")\n"
        "con.execute('PRAGMA disable_checkpoint_on_shutdown')\n"
        "con.execute('DELETE FROM rejects')\n"  # committed, in the WAL only
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash], check=True)
    wal = store.with_name(store.name + ".wal")
    assert wal.exists()
    reader = Reader(store)
    try:
        assert reader.count("rejects") == 0  # readers see the committed delete
        with writing(store, wait=0) as db:
            assert db.path.endswith(f".next-{os.getpid()}")  # written beside the store
            assert db.scalar("SELECT count(*) FROM rejects") == 0  # the copy carries the log
            db.run("INSERT INTO rejects VALUES (1, 'x', 1, NULL, NULL, 'a row added by the load')")
    finally:
        reader.close()
    assert not wal.exists(), "the old version's write-ahead log was left beside the new store"
    fresh = duckdb.connect(str(store), read_only=True)
    try:
        assert fresh.execute("SELECT count(*) FROM rejects").fetchone() == (1,)
    finally:
        fresh.close()
