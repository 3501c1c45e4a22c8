"""fetch against a real HTTP server on loopback serving an archive built from the bundled sample."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.cli import app
from metforward.errors import FetchError
from metforward.ingest.fetch import download, fetch, plan_fetch
from metforward.store.database import Database

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def build_archive(sample: Path) -> tuple[bytes, dict[tuple[str, str, str], int]]:
    """A data.police.uk-style archive from the sample, and its data rows per (force, kind, month)."""
    buffer = io.BytesIO()
    rows: dict[tuple[str, str, str], int] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((sample / "policeuk").rglob("2024-*.csv.gz")):
            name = path.name.removesuffix(".gz")
            text = gzip.decompress(path.read_bytes())
            archive.writestr(f"{name[:7]}/{name}", text)
            month, rest = name[:7], name[8:].removesuffix(".csv")
            force, kind = (
                ("city-of-london", rest[len("city-of-london-") :])
                if rest.startswith("city")
                else ("metropolitan", rest[len("metropolitan-") :])
            )
            rows[(force, kind, month)] = text.count(b"\n") - 1
    return buffer.getvalue(), rows


class Server:
    """data.police.uk's API and archive on 127.0.0.1, with switches to misbehave."""

    def __init__(self, archive: bytes) -> None:
        self.archive = archive
        self.etag = '"' + hashlib.sha256(archive).hexdigest()[:16] + '"'
        self.cut_after: int | None = None  # drop the connection after this many bytes (once)
        self.ignore_range = False
        self.corrupt = False
        self.requests: list[tuple[str, str, str | None]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_HEAD(self) -> None:  # noqa: N802
                owner.requests.append(("HEAD", self.path, None))
                if not self.path.startswith("/data/archive/"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(owner.archive)))
                self.send_header("ETag", owner.etag)
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                owner.requests.append(("GET", self.path, self.headers.get("Range")))
                if self.path == "/api/forces":
                    self._json(
                        [
                            {"id": "metropolitan", "name": "Metropolitan Police Service"},
                            {"id": "city-of-london", "name": "City of London Police"},
                        ]
                    )
                elif self.path == "/api/crimes-street-dates":
                    self._json([{"date": m, "stop-and-search": ["metropolitan"]} for m in reversed(MONTHS)])
                elif self.path == "/data/archive/2024-12.zip":
                    self._archive()
                else:
                    self.send_error(404)

            def _archive(self) -> None:
                body = owner.archive
                if owner.corrupt:
                    middle = len(body) // 2
                    body = body[:middle] + bytes(b ^ 0xFF for b in body[middle : middle + 64]) + body[middle + 64 :]
                start = 0
                wanted = self.headers.get("Range")
                if wanted and not owner.ignore_range and self.headers.get("If-Range") in (None, owner.etag):
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("ETag", owner.etag)
                self.end_headers()
                chunk = body[start:]
                if owner.cut_after is not None:
                    self.wfile.write(chunk[: owner.cut_after])
                    self.wfile.flush()
                    owner.cut_after = None
                    self.connection.close()
                    return
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def archive(sample: Path) -> tuple[bytes, dict[tuple[str, str, str], int]]:
    return build_archive(sample)


@pytest.fixture
def server(archive: tuple[bytes, dict[tuple[str, str, str], int]]) -> Iterator[Server]:
    s = Server(archive[0])
    yield s
    s.close()


def test_fetch_loads_only_the_force_kinds_and_months_asked(
    server: Server, archive: tuple[bytes, dict[tuple[str, str, str], int]], db: Database, tmp_path: Path
) -> None:
    plan, downloads, summary = fetch(
        db,
        force="metropolitan",
        first=dt.date(2024, 2, 1),
        last=dt.date(2024, 3, 1),
        kinds=("stop-and-search",),
        base_url=server.url,
        cache_dir=tmp_path / "cache",
    )
    assert [a.month for a in plan.archives] == ["2024-12"]
    assert summary.ok and len(summary.files) == 2
    assert downloads[0].sha256 == hashlib.sha256(archive[0]).hexdigest()
    expected = {m: archive[1][("metropolitan", "stop-and-search", m)] for m in ("2024-02", "2024-03")}
    got = dict(db.execute("SELECT strftime(month, '%Y-%m'), count(*) FROM searches GROUP BY 1"))
    assert got == expected
    assert db.scalar("SELECT count(*) FROM crimes") == 0  # the archive's street files were not asked for


def test_an_interrupted_download_resumes_with_a_range_request(
    server: Server, archive: tuple[bytes, dict[tuple[str, str, str], int]], tmp_path: Path
) -> None:
    server.cut_after = len(archive[0]) // 3
    got = download(f"{server.url}/data/archive/2024-12.zip", tmp_path / "2024-12.zip")
    assert got.resumed
    assert got.sha256 == hashlib.sha256(archive[0]).hexdigest()
    ranges = [r for method, path, r in server.requests if method == "GET" and path.endswith(".zip")]
    assert ranges == [None, f"bytes={len(archive[0]) // 3}-"]


def test_a_server_that_ignores_range_gets_a_clean_restart(
    server: Server, archive: tuple[bytes, dict[tuple[str, str, str], int]], tmp_path: Path
) -> None:
    server.cut_after = 1000
    server.ignore_range = True
    got = download(f"{server.url}/data/archive/2024-12.zip", tmp_path / "2024-12.zip")
    assert not got.resumed
    assert got.sha256 == hashlib.sha256(archive[0]).hexdigest()


def test_a_second_fetch_does_not_download_again(server: Server, tmp_path: Path) -> None:
    url = f"{server.url}/data/archive/2024-12.zip"
    first = download(url, tmp_path / "2024-12.zip")
    again = download(url, tmp_path / "2024-12.zip")
    assert first.downloaded > 0 and again.downloaded == 0
    assert [m for m, p, _ in server.requests if p.endswith(".zip")] == ["HEAD", "GET", "HEAD"]


def test_a_corrupt_download_is_an_error_and_the_store_is_unchanged(
    server: Server, db: Database, tmp_path: Path
) -> None:
    server.corrupt = True
    with pytest.raises(FetchError, match="corrupt|not a readable zip"):
        fetch(
            db,
            force="metropolitan",
            first=dt.date(2024, 1, 1),
            last=dt.date(2024, 1, 1),
            base_url=server.url,
            cache_dir=tmp_path,
        )
    assert db.scalar("SELECT count(*) FROM loads") == 0
    assert not (tmp_path / "2024-12.zip").exists()


def test_unknown_force_and_unavailable_months_are_clear_errors(server: Server) -> None:
    with pytest.raises(FetchError, match="no force 'gotham'"):
        plan_fetch(server.url, "gotham", dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    with pytest.raises(
        FetchError, match=r"months not available on data.police.uk: 2025-01 \(available: 2024-01 to 2024-12\)"
    ):
        plan_fetch(server.url, "metropolitan", dt.date(2024, 12, 1), dt.date(2025, 1, 1))


def test_the_cli_fetches_and_ingests(
    server: Server, archive: tuple[bytes, dict[tuple[str, str, str], int]], tmp_path: Path
) -> None:
    db = str(tmp_path / "f.duckdb")
    args = [
        "--db",
        db,
        "fetch",
        "--force",
        "city-of-london",
        "--from",
        "2024-05",
        "--to",
        "2024-06",
        "--kind",
        "street",
        "--base-url",
        server.url,
        "--cache",
        str(tmp_path / "cache"),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (
        out["rows_loaded"]
        == archive[1][("city-of-london", "street", "2024-05")] + archive[1][("city-of-london", "street", "2024-06")]
    )
    assert out["downloads"][0]["sha256"] == hashlib.sha256(archive[0]).hexdigest()
    usage = CliRunner().invoke(app, ["--db", db, "fetch", "--force", "x", "--from", "2024-06", "--to", "2024-05"])
    assert usage.exit_code == 2
    offline = CliRunner().invoke(
        app,
        [
            "--db",
            db,
            "fetch",
            "--force",
            "metropolitan",
            "--from",
            "2024-01",
            "--to",
            "2024-01",
            "--base-url",
            "http://127.0.0.1:9",
        ],
    )
    assert offline.exit_code == 1 and "cannot read" in offline.output
