"""``fetch`` against a real HTTP server on 127.0.0.1 serving a data.police.uk-style archive of real corpus files.

The archive ``2024-05.zip`` is laid out as data.police.uk lays its archives out
(``YYYY-MM/YYYY-MM-<force>-<kind>.csv``) and holds, from the shared corpus, City of London street
files and Metropolitan stop-and-search files for 2024-01 .. 2024-05, plus Metropolitan street and
outcomes files (burglary rows) for 2024-03. Rows are counted independently with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import metforward.ingest.download as download_module
import metforward.ingest.fetch as fetch_module
from metforward.cli import app
from metforward.domain.periods import add_months, month_text
from metforward.errors import FetchError
from metforward.ingest.download import download, read_manifest
from metforward.ingest.fetch import choose_archives, fetch, plan_fetch
from metforward.ingest.pipeline import FileResult
from metforward.ingest.sources import InputFile
from metforward.store.database import Database
from tests.ingest.loopback import ARCHIVE_MONTH, Archive, Server, build_archive, text_of

pytestmark = pytest.mark.corpus

MONTHS = [f"2024-{m:02d}" for m in range(1, 6)]
CORRUPT_MEMBER = "2024-03/2024-03-metropolitan-stop-and-search.csv"
TABLE = {"street": "crimes", "outcomes": "outcomes", "stop-and-search": "searches"}


def _count_rows(data: bytes) -> int:
    text = data.decode("utf-8-sig")
    return sum(1 for r in csv.DictReader(io.StringIO(text, newline="")) if any(v for v in r.values()))


def policeuk_archive(corpus: Path) -> Archive:
    """City of London street and Met stop-and-search files for 2024-01 .. 2024-05, Met street and outcomes
    (burglary rows) for 2024-03, laid out as data.police.uk lays out its archives."""
    policeuk = corpus / "policeuk"
    sources: list[tuple[str, str, str, Path]] = []
    for month in MONTHS:
        sources.append(("city-of-london", "street", month, policeuk / "city-of-london" / "street" / month))
        sources.append(
            ("metropolitan", "stop-and-search", month, policeuk / "metropolitan" / "stop-and-search" / month)
        )
    sources.append(
        ("metropolitan", "street", "2024-03", policeuk / "metropolitan" / "street-burglary-only" / "2024-03")
    )
    sources.append(
        ("metropolitan", "outcomes", "2024-03", policeuk / "metropolitan" / "outcomes-burglary-only" / "2024-03")
    )
    members: dict[str, bytes] = {}
    rows: dict[tuple[str, str, str], int] = {}
    for force, kind, month, folder in sources:
        (path,) = [p for p in folder.iterdir() if p.name.endswith((".csv", ".csv.gz"))]
        data = text_of(path)
        members[f"{month}/{month}-{force}-{kind}.csv"] = data
        rows[(force, kind, month)] = _count_rows(data)
    return build_archive(members, rows)


@pytest.fixture(scope="module")
def archive(corpus: Path) -> Archive:
    return policeuk_archive(corpus)


@pytest.fixture
def server(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setattr(download_module, "BACKOFF_SECONDS", 0.0)  # retry at once: the tests need no back-off
    s = Server(archive, corrupt_member=CORRUPT_MEMBER)
    yield s
    s.close()


class Recorder:
    """A :class:`FetchProgress` that remembers what it was told."""

    def __init__(self) -> None:
        self.bytes: list[tuple[str, int, int | None]] = []
        self.files: list[str] = []

    def transfer(self, name: str, done: int, total: int | None) -> None:
        self.bytes.append((name, done, total))

    def ingested(self, source: InputFile, result: FileResult) -> None:
        self.files.append(source.name)


def _stored(db: Database, kind: str) -> dict[tuple[str, str], int]:
    """Rows stored per (force, month) of a police.uk kind, with the rows each load rejected."""
    table = TABLE[kind]
    got: dict[tuple[str, str], int] = {}
    for force, month, n in db.execute(
        f"SELECT force, strftime(month, '%Y-%m'), count(*) FROM {table} GROUP BY ALL"  # noqa: S608
    ):
        got[(force, month)] = n
    for force, months, rejected in db.execute(
        "SELECT force, months, rows_rejected FROM loads WHERE kind = ? AND replaced_by IS NULL", [kind]
    ):
        if rejected:
            key = (force, f"{months[0]:%Y-%m}")
            got[key] = got.get(key, 0) + rejected
    return got


def test_fetch_loads_only_the_force_kinds_and_months_asked(
    server: Server, archive: Archive, db: Database, tmp_path: Path
) -> None:
    recorder = Recorder()
    summary = fetch(
        db,
        server.url,
        "metropolitan",
        dt.date(2024, 2, 1),
        dt.date(2024, 4, 1),
        ("stop-and-search",),
        tmp_path / "cache",
        recorder,
    )
    assert summary.ok, summary.as_dict()
    assert summary.plan is not None and [a.month for a in summary.plan.archives] == [ARCHIVE_MONTH]
    assert summary.downloads[0].sha256 == archive.sha256
    assert (tmp_path / "cache" / f"{ARCHIVE_MONTH}.zip").read_bytes() == archive.data
    asked = ["2024-02", "2024-03", "2024-04"]
    assert sorted(recorder.files) == [f"{m}-metropolitan-stop-and-search.csv" for m in asked]
    assert recorder.bytes[-1] == (f"{ARCHIVE_MONTH}.zip", len(archive.data), len(archive.data))
    # every row of the asked files is in the store (or in rejects), and nothing else is
    expected = {("metropolitan", m): archive.rows[("metropolitan", "stop-and-search", m)] for m in asked}
    assert _stored(db, "stop-and-search") == expected
    assert summary.rows_read == sum(expected.values())
    assert db.scalar("SELECT count(*) FROM crimes") == 0  # street files of both forces were in the archive
    assert db.scalar("SELECT count(*) FROM outcomes") == 0
    assert db.execute("SELECT DISTINCT force, kind FROM loads") == [("metropolitan", "stop-and-search")]
    assert any("no stop-and-search data of metropolitan for 2024-04" in w for w in summary.warnings)


def test_several_kinds_and_a_missing_file_are_reported(
    server: Server, archive: Archive, db: Database, tmp_path: Path
) -> None:
    summary = fetch(
        db, server.url, "metropolitan", dt.date(2024, 3, 1), dt.date(2024, 4, 1), cache_dir=tmp_path / "cache"
    )
    assert summary.ok
    assert _stored(db, "street") == {("metropolitan", "2024-03"): archive.rows[("metropolitan", "street", "2024-03")]}
    assert _stored(db, "outcomes") == {
        ("metropolitan", "2024-03"): archive.rows[("metropolitan", "outcomes", "2024-03")]
    }
    assert f"{ARCHIVE_MONTH}.zip holds no street file of metropolitan for 2024-04" in summary.warnings
    assert f"{ARCHIVE_MONTH}.zip holds no outcomes file of metropolitan for 2024-04" in summary.warnings


def test_an_interrupted_download_resumes_with_a_range_request(server: Server, archive: Archive, tmp_path: Path) -> None:
    cut = len(archive.data) // 3
    server.cut_after = cut
    got = download(server.archive_url, tmp_path / "a.zip")
    assert got.resumed and not got.from_cache
    assert got.sha256 == archive.sha256 == hashlib.sha256((tmp_path / "a.zip").read_bytes()).hexdigest()
    assert got.transferred == len(archive.data)  # nothing was downloaded twice
    gets = server.archive_gets()
    assert [(g.headers.get("range"), g.status) for g in gets] == [(None, 200), (f"bytes={cut}-", 206)]
    assert gets[1].headers.get("if-range") == server.etag
    entry = read_manifest(tmp_path)["a.zip"]
    assert (entry["url"], entry["size"], entry["sha256"], entry["etag"]) == (
        server.archive_url,
        len(archive.data),
        archive.sha256,
        server.etag,
    )
    assert entry["last_modified"] == server.modified and entry["fetched_at"]
    assert not (tmp_path / "a.zip.part").exists() and not (tmp_path / "a.zip.part.json").exists()


def test_a_download_that_runs_out_of_retries_keeps_the_part_for_the_next_run(
    server: Server, archive: Archive, tmp_path: Path
) -> None:
    cut = len(archive.data) // 2
    server.cut_after = cut
    with pytest.raises(FetchError, match=rf"{cut:,} bytes kept in .*a\.zip\.part, run again to resume"):
        download(server.archive_url, tmp_path / "a.zip", retries=0)
    assert (tmp_path / "a.zip.part").stat().st_size == cut
    assert json.loads((tmp_path / "a.zip.part.json").read_text())["etag"] == server.etag
    assert not (tmp_path / "a.zip").exists()
    got = download(server.archive_url, tmp_path / "a.zip", retries=0)  # the next run
    assert got.resumed and got.transferred == len(archive.data) - cut and got.sha256 == archive.sha256


def test_a_server_that_ignores_range_restarts_from_zero(server: Server, archive: Archive, tmp_path: Path) -> None:
    server.cut_after = 1000
    server.ignore_range = True
    got = download(server.archive_url, tmp_path / "a.zip")
    assert not got.resumed
    assert got.sha256 == archive.sha256
    gets = server.archive_gets()
    assert [(g.headers.get("range"), g.status) for g in gets] == [(None, 200), ("bytes=1000-", 200)]


def test_a_second_fetch_does_not_download_again(server: Server, archive: Archive, db: Database, tmp_path: Path) -> None:
    def run() -> fetch_module.FetchSummary:
        return fetch(
            db, server.url, "city-of-london", dt.date(2024, 1, 1), dt.date(2024, 2, 1), ("street",), tmp_path / "c"
        )

    first = run()
    again = run()
    assert first.downloads[0].transferred == len(archive.data)
    assert again.downloads[0].from_cache and again.downloads[0].transferred == 0
    assert again.downloads[0].sha256 == archive.sha256
    gets = server.archive_gets()
    assert [(g.headers.get("if-none-match"), g.status, g.sent) for g in gets] == [
        (None, 200, len(archive.data)),
        (server.etag, 304, 0),
    ]
    # loading the same months again replaces the earlier load: no row is stored twice
    expected = {("city-of-london", m): archive.rows[("city-of-london", "street", m)] for m in ("2024-01", "2024-02")}
    assert _stored(db, "street") == expected


def test_a_corrupt_download_is_an_error_and_the_store_is_unchanged(
    server: Server, db: Database, tmp_path: Path
) -> None:
    before = db.scalar("SELECT count(*) FROM loads")
    server.corrupt = True
    with pytest.raises(FetchError, match="corrupt"):
        fetch(db, server.url, "metropolitan", dt.date(2024, 2, 1), dt.date(2024, 4, 1), cache_dir=tmp_path)
    assert db.scalar("SELECT count(*) FROM loads") == before == 0
    assert db.scalar("SELECT count(*) FROM searches") == 0
    assert not (tmp_path / f"{ARCHIVE_MONTH}.zip").exists()
    assert not (tmp_path / f"{ARCHIVE_MONTH}.zip.part").exists()  # bad bytes are not kept for resuming
    assert read_manifest(tmp_path) == {}


def test_a_checksum_mismatch_is_an_error(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="does not match the expected"):
        download(server.archive_url, tmp_path / "a.zip", expected_sha256="0" * 64)
    assert not (tmp_path / "a.zip").exists()


def test_unknown_force_and_unavailable_months_are_clear_errors(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"no force 'metropolitian'; did you mean metropolitan\?"):
        plan_fetch(server.url, "metropolitian", dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    with pytest.raises(
        FetchError,
        match=r"months not available on data.police.uk: 2024-06 to 2024-07 \(available: 2021-06 to 2024-05\)",
    ):
        plan_fetch(server.url, "metropolitan", dt.date(2024, 5, 1), dt.date(2024, 7, 1))
    # months older than the API's 36 come from an older archive; the server has none here
    plan = plan_fetch(server.url, "metropolitan", dt.date(2019, 1, 1), dt.date(2019, 2, 1))
    assert [a.month for a in plan.archives] == ["2021-12"] and "older than" in plan.notes[0]
    with pytest.raises(FetchError, match=r"2021-12\.zip: not found"):
        download(plan.archives[0].url, tmp_path / "2021-12.zip")


def test_archives_are_the_fewest_and_the_newest_that_hold_the_months() -> None:
    def chosen(first: str, last: str, newest: str) -> list[tuple[str, str, str]]:
        start, end = dt.date.fromisoformat(f"{first}-01"), dt.date.fromisoformat(f"{last}-01")
        months = []
        while start <= end:
            months.append(month_text(start))
            start = add_months(start, 1)
        return [(a.month, a.months[0], a.months[-1]) for a in choose_archives("https://x", months, newest)]

    assert chosen("2024-02", "2024-04", "2024-05") == [("2024-05", "2024-02", "2024-04")]
    assert chosen("2022-01", "2022-03", "2025-09") == [("2024-12", "2022-01", "2022-03")]
    assert chosen("2019-01", "2024-12", "2025-09") == [
        ("2021-12", "2019-01", "2021-12"),
        ("2024-12", "2022-01", "2024-12"),
    ]
    assert chosen("2020-01", "2025-06", "2025-09") == [
        ("2022-12", "2020-01", "2022-09"),
        ("2025-09", "2022-10", "2025-06"),
    ]


def test_the_cli_fetches_and_ingests(server: Server, archive: Archive, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "f.duckdb")
    args = ["--db", db, "fetch", "--force", "city-of-london", "--from", "2024-02", "--to", "2024-04"]
    args += ["--kind", "street", "--base-url", server.url, "--cache", str(tmp_path / "cache")]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    asked = ["2024-02", "2024-03", "2024-04"]
    assert out["rows_read"] == sum(archive.rows[("city-of-london", "street", m)] for m in asked)
    assert out["rows_loaded"] + out["rows_rejected"] == out["rows_read"]
    assert sorted(f["path"].rsplit("!", 1)[1] for f in out["files"]) == [
        f"{m}/{m}-city-of-london-street.csv" for m in asked
    ]
    assert out["downloads"][0]["sha256"] == archive.sha256
    with Database(db, read_only=True) as store:
        assert _stored(store, "street") == {
            ("city-of-london", m): archive.rows[("city-of-london", "street", m)] for m in asked
        }
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "not downloaded again" in again.stdout and "rows read" in again.stdout


def test_cli_usage_and_network_errors(server: Server, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "f.duckdb")
    base = ["--db", db, "fetch", "--force", "metropolitan", "--base-url", server.url, "--cache", str(tmp_path)]
    assert runner.invoke(app, [*base, "--from", "2024-13", "--to", "2024-02"]).exit_code == 2
    assert runner.invoke(app, [*base, "--from", "2024-03", "--to", "2024-02"]).exit_code == 2
    assert runner.invoke(app, [*base, "--from", "2024-01", "--to", "2024-02", "--kind", "crimes"]).exit_code == 2
    missing = runner.invoke(app, [*base, "--from", "2024-05", "--to", "2024-06"])
    assert missing.exit_code == 1
    assert missing.stderr.strip().splitlines() == [
        "Error: months not available on data.police.uk: 2024-06 (available: 2021-06 to 2024-05)"
    ]
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    offline = runner.invoke(
        app,
        ["--db", db, "fetch", "--force", "metropolitan", "--from", "2024-01", "--to", "2024-01"]
        + ["--base-url", f"http://127.0.0.1:{port}", "--cache", str(tmp_path)],
    )
    assert offline.exit_code == 1
    lines = offline.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot reach http://127.0.0.1:{port}/api/forces")


def test_a_part_of_a_file_that_changed_on_the_server_is_not_continued(
    server: Server, archive: Archive, tmp_path: Path
) -> None:
    server.cut_after = 5000
    with pytest.raises(FetchError, match="run again to resume"):
        download(server.archive_url, tmp_path / "a.zip", retries=0)
    server.etag = '"republished"'  # data.police.uk republished the archive in between
    got = download(server.archive_url, tmp_path / "a.zip")
    assert not got.resumed and got.sha256 == archive.sha256
    last = server.archive_gets()[-1]
    assert (last.headers.get("range"), last.headers.get("if-range"), last.status) == (
        "bytes=5000-",
        '"' + archive.sha256[:20] + '"',
        200,
    )
    assert read_manifest(tmp_path)["a.zip"]["etag"] == '"republished"'
