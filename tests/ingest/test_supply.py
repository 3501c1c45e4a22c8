"""``fetch SOURCE...``, ``fetch --all``, any force and ``refresh``, against a real HTTP server on 127.0.0.1.

The server (tests/ingest/loopback.py) serves real corpus files under the catalogue's own paths:
four small sources (MPS borough counts and MOPAC public perception and force strength from the
London Datastore, through its API; ONS borough boundaries as a plain URL) and a data.police.uk
archive with City of London street files for 2024-01 .. 2024-05. A fetch then a refresh must load
exactly what a direct ``ingest`` of the same files loads, and a second refresh must download nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import metforward.ingest.download as download_module
from metforward.cli import app
from metforward.errors import FetchError
from metforward.ingest import builtin
from metforward.ingest.catalogue import BASE_URL_ENV, catalogue, source
from metforward.ingest.fetch import plan_fetch
from metforward.ingest.forcelist import FORCES_FILE, resolve_force
from metforward.store.catalog import reference_held
from metforward.store.database import Database
from tests.ingest.loopback import Archive, Server, catalogue_path, serve_source
from tests.ingest.test_fetch import policeuk_archive

pytestmark = pytest.mark.corpus

#: Catalogue source -> corpus file served as it.
FILES = {
    "datastore-borough": "datastore/fenneh_recorded-crime-borough.csv.gz",
    "survey-perception": "survey/MOPAC_public_perception_London_quarterly.csv",
    "mopac-strength": "workforce/MOPAC_Police_Force_Strength_monthly.csv",
    "boundaries-boroughs": "boundaries/boroughs/ons_LAD_May2024_BGC_london_33_WGS84.geojson",
}
#: The next version of the borough counts the Datastore publishes (a real file of the same format and kind).
NEXT_BOROUGH = "datastore/fenneh_recorded-crime-borough-historical.csv.gz"


@pytest.fixture(scope="module")
def archive(corpus: Path) -> Archive:
    return policeuk_archive(corpus)


@pytest.fixture
def server(corpus: Path, archive: Archive, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setattr(download_module, "BACKOFF_SECONDS", 0.0)  # retry at once: the tests need no back-off
    s = Server(archive, listed=[f"2024-0{m}" for m in (1, 2, 3)])  # data.police.uk has published to 2024-03
    s.publish("/data/archive/2024-03.zip", archive.data)
    for name, path in FILES.items():
        serve_source(s, name, (corpus / path).read_bytes())
    yield s
    s.close()


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def fetch_json(db: Path, server: Server, cache: Path, *args: str) -> dict[str, object]:
    result = run("--db", str(db), "fetch", *args, "--base-url", server.url, "--cache", str(cache), "--json")
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


def loads_of(db: Path) -> list[tuple[object, ...]]:
    with Database(db, read_only=True) as store:
        return store.execute(
            """SELECT kind, "force", list_sort(months), sha256, rows_read, rows_loaded, rows_rejected,
            replaced_by IS NULL FROM loads ORDER BY ALL"""
        )


def table_counts(db: Path) -> dict[str, int]:
    with Database(db, read_only=True) as store:
        tables = [
            t
            for (t,) in store.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
            if t not in ("loads", "schema_migrations", "cube_builds")
        ]
        return {t: int(store.scalar(f'SELECT count(*) FROM "{t}"')) for t in sorted(tables)}  # noqa: S608


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_fetch_downloads_checks_and_ingests_named_sources(server: Server, corpus: Path, tmp_path: Path) -> None:
    db, cache = tmp_path / "f.duckdb", tmp_path / "cache"
    borough = catalogue_path(source("datastore-borough").urls[0])
    server.fail[borough] = [503]  # the Datastore answers 503 once
    perception = catalogue_path(source("survey-perception").urls[0])
    server.cut_after, server.cut_path = 5000, perception  # and drops the connection mid-file once
    out = fetch_json(db, server, cache, *FILES)
    states = {r["source"]: r["state"] for r in out["sources"]}  # type: ignore[union-attr,index]
    assert states == dict.fromkeys(FILES, "downloaded")
    assert [g.status for g in server.gets(borough)] == [503, 200]
    assert [(g.status, g.headers.get("range")) for g in server.gets(perception)] == [(200, None), (206, "bytes=5000-")]
    with Database(db, read_only=True) as store:
        loaded = set(store.execute("SELECT kind, sha256 FROM loads WHERE NOT starts_with(source_path, 'built-in:')"))
    expected = {
        ("datastore-borough", sha((corpus / FILES["datastore-borough"]).read_bytes())),
        ("survey-london-perception", sha((corpus / FILES["survey-perception"]).read_bytes())),
        ("mopac-strength", sha((corpus / FILES["mopac-strength"]).read_bytes())),
        ("boundaries", sha((corpus / FILES["boundaries-boroughs"]).read_bytes())),
    }
    assert loaded == expected
    # the store had no lookups and no ward or LSOA boundaries: the built-in ones came after the sources
    assert [f["path"] for f in out["built_in"]] == [  # type: ignore[union-attr,index]
        "built-in:london_lsoa11_lsoa21_lad22.csv.gz",
        "built-in:london_lsoa21_ward24_lad24.csv.gz",
        "built-in:london_ward24_boundaries.geojson.gz",
        "built-in:london_lsoa21_boundaries.geojson.gz",
    ]
    for name in FILES:  # each file is kept in the cache under its source's folder
        s = source(name)
        assert (cache / s.id / (s.file or "")).read_bytes() == (corpus / FILES[name]).read_bytes()


def test_fetch_reports_each_failure_and_loads_the_rest(server: Server, corpus: Path, tmp_path: Path) -> None:
    db, cache = tmp_path / "f.duckdb", tmp_path / "cache"
    # the Datastore now lists a file that is not the public perception table for that source
    serve_source(server, "survey-perception", (corpus / FILES["mopac-strength"]).read_bytes(), path="/download/x/y.csv")
    del server.documents[catalogue_path(source("datastore-borough").api_url or "")]  # and its API fails for this one
    result = run("--db", str(db), "fetch", *FILES, "--base-url", server.url, "--cache", str(cache))
    assert result.exit_code == 1
    assert "failed survey-perception: survey-perception: the file" in result.stdout
    assert "is not survey-london-perception (it reads as mopac-strength)" in " ".join(result.stdout.split())
    assert not (cache / "survey-perception" / "public-perception-data.csv").exists()  # a wrong file is not kept
    # the Datastore API did not answer for the borough file: the catalogue's link was used, with a warning
    assert "datastore-borough: the London Datastore API did not answer" in " ".join(result.stdout.split())
    with Database(db, read_only=True) as store:
        fetched = store.execute("SELECT DISTINCT kind FROM loads WHERE NOT starts_with(source_path, 'built-in:')")
    assert {kind for (kind,) in fetched} == {"datastore-borough", "mopac-strength", "boundaries"}
    # progress went to standard error as plain lines (not a terminal)
    assert "download datastore-borough:" in result.stderr and "loaded " in result.stderr


def test_fetch_usage_errors(server: Server, tmp_path: Path) -> None:
    db = str(tmp_path / "f.duckdb")
    assert run("--db", db, "fetch").exit_code == 2
    assert run("--db", db, "fetch", "datastore-borough", "--all").exit_code == 2
    assert run("--db", db, "fetch", "datastore-borough", "--area", "london").exit_code == 2
    assert run("--db", db, "fetch", "--force", "metropolitan").exit_code == 2  # no months
    unknown = run("--db", db, "fetch", "datastore-boro")
    assert unknown.exit_code == 2 and "did you mean datastore-borough" in unknown.stderr
    manual = run("--db", db, "fetch", "survey-pas-borough", "--base-url", server.url)
    assert manual.exit_code == 1
    assert "https://data.london.gov.uk/dataset/mopac-surveys" in manual.stderr
    assert not (tmp_path / "f.duckdb").exists()  # nothing was opened


def test_fetch_all_takes_the_areas_sources_and_forces(server: Server, tmp_path: Path) -> None:
    db, cache = tmp_path / "f.duckdb", tmp_path / "cache"
    result = run(
        "--db", str(db), "fetch", "--all", "--area", "london", "--cache", str(cache), "--json",
        env={BASE_URL_ENV: server.url},
    )  # fmt: skip
    assert result.exit_code == 1  # the server has only some of London's sources
    out = json.loads(result.stdout)
    states = {r["source"]: r["state"] for r in out["sources"]}
    london = {s.id for s in catalogue() if "london" in s.areas}
    assert set(states) == (london - {"policeuk"}) | {"policeuk:metropolitan", "policeuk:city-of-london", "policeuk:btp"}
    assert {k for k, v in states.items() if v == "downloaded"} >= set(FILES) | {"policeuk:metropolitan"}
    assert states["datastore-lsoa"] == "failed" and states["survey-pas-borough"] == "manual"
    assert "boundaries-lad-ew" not in states  # England and Wales only
    # police.uk: the newest month published (2024-03) of the area's forces
    assert {(p["force"], tuple(p["months"])) for p in out["plans"]} == {
        (f, ("2024-03",)) for f in ("metropolitan", "city-of-london", "btp")
    }
    assert len(server.gets("/data/archive/2024-03.zip")) == 3  # downloaded once, then 304 Not Modified twice
    assert [g.status for g in server.gets("/data/archive/2024-03.zip")] == [200, 304, 304]
    # what the server lacked of London's reference data came built in: the store lacks none of it
    with Database(db, read_only=True) as store:
        assert builtin.missing(reference_held(store)) == []
    assert out["built_in"], "the run loaded none of the built-in reference data"


def test_any_force_by_id_name_or_slug_with_the_list_cached(server: Server, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert resolve_force("british-transport-police", server.url, cache) == "btp"
    assert resolve_force("Metropolitan Police Service", server.url, cache) == "metropolitan"
    assert resolve_force("city-of-london", server.url, cache) == "city-of-london"
    assert len(server.gets("/api/forces")) == 1  # the list was read once and cached
    plan = plan_fetch(server.url, "British Transport Police", dt.date(2024, 1, 1), dt.date(2024, 1, 1), cache_dir=cache)
    assert plan.force == "btp"
    with pytest.raises(
        FetchError, match=r"no force 'metropolitian'; did you mean metropolitan\?.*/api/forces, read just now\)"
    ):
        resolve_force("metropolitian", server.url, cache)
    assert len(server.gets("/api/forces")) == 2  # a name not in the cached list asks the API once more
    # the API does not list British Transport Police, whose files are in the archives
    body = json.loads((cache / FORCES_FILE).read_text())
    body["forces"].pop("btp")
    (cache / FORCES_FILE).write_text(json.dumps(body))
    assert resolve_force("btp", server.url, cache) == "btp"
    # a list older than a week is read again
    body["fetched_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).isoformat()
    (cache / FORCES_FILE).write_text(json.dumps(body))
    assert resolve_force("metropolitan", server.url, cache) == "metropolitan"
    assert len(server.gets("/api/forces")) == 3


def _direct_ingest(db: Path, corpus: Path, archive: Archive, tmp_path: Path, months: list[str], *extra: Path) -> None:
    """``ingest`` of the same files a fetch loads: the sources' files, then City of London street files."""
    folder = tmp_path / f"policeuk-{months[0]}"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        for m in months:
            name = f"{m}/{m}-city-of-london-street.csv"
            (folder / m).mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(opened.read(name))
    result = run("--db", str(db), "ingest", *map(str, extra), str(folder))
    assert result.exit_code == 0, result.output


def test_fetch_then_refresh_loads_what_ingest_loads_and_a_second_refresh_downloads_nothing(
    server: Server, corpus: Path, archive: Archive, tmp_path: Path
) -> None:
    db, cache = tmp_path / "fetched.duckdb", tmp_path / "cache"
    fetch_json(db, server, cache, *FILES)
    fetch_json(
        db, server, cache, "--force", "city-of-london", "--from", "2024-01", "--to", "2024-03", "--kind", "street"
    )

    # a month later: data.police.uk publishes 2024-04 and 2024-05; the Datastore a new borough file
    server.listed = [f"2024-0{m}" for m in range(1, 6)]
    next_borough = (corpus / NEXT_BOROUGH).read_bytes()
    new_path = serve_source(server, "datastore-borough", next_borough, path="/download/exy3m/q2w/MPS Borough.csv")
    server.cut_after, server.cut_path = len(next_borough) // 2, new_path  # its download drops half-way once

    dry = run("--db", str(db), "refresh", "--dry-run", "--json", "--base-url", server.url, "--cache", str(cache))
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)
    assert plan["police"] == [
        {"force": "city-of-london", "kinds": ["street"], "months": ["2024-04", "2024-05"], "since": "2024-03"}
    ]
    findings = {f["source"]: f["finding"] for f in plan["files"]}
    assert findings == {
        "datastore-borough": "changed",
        "survey-perception": "unchanged",
        "mopac-strength": "unchanged",
        "boundaries-boroughs": "unchanged",
    }
    assert plan["changes"] is True
    assert (
        server.gets(new_path) == [] and server.gets("/data/archive/2024-05.zip") == []
    )  # the dry run downloaded nothing

    first = run("--db", str(db), "refresh", "--json", "--base-url", server.url, "--cache", str(cache))
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    states = {r["source"]: r["state"] for r in out["sources"]}
    assert states == {
        "datastore-borough": "downloaded",
        "survey-perception": "unchanged",
        "mopac-strength": "unchanged",
        "boundaries-boroughs": "unchanged",
        "policeuk:city-of-london": "downloaded",
    }
    assert out["bytes_downloaded"] == len(next_borough) + len(archive.data)
    assert [(g.status, g.headers.get("range")) for g in server.gets(new_path)] == [
        (200, None),
        (206, f"bytes={len(next_borough) // 2}-"),
    ]

    # a direct ingest of the same files, in the same order, loads exactly the same
    direct = tmp_path / "direct.duckdb"
    _direct_ingest(
        direct, corpus, archive, tmp_path, ["2024-01", "2024-02", "2024-03"], *(corpus / f for f in FILES.values())
    )
    _direct_ingest(direct, corpus, archive, tmp_path, ["2024-04", "2024-05"], corpus / NEXT_BOROUGH)
    assert loads_of(db) == loads_of(direct)
    assert table_counts(db) == table_counts(direct)

    # a second refresh downloads nothing: no new month, and every file answers 304 Not Modified
    before = len(server.requests)
    again = run("--db", str(db), "refresh", "--json", "--base-url", server.url, "--cache", str(cache))
    assert again.exit_code == 0, again.output
    out = json.loads(again.stdout)
    assert out["bytes_downloaded"] == 0 and out["files"] == [] and out["plan"]["police"] == []
    assert {r["state"] for r in out["sources"]} == {"unchanged"}
    file_gets = [r for r in server.requests[before:] if r.method == "GET" and "/api/" not in r.path]
    assert file_gets and {r.status for r in file_gets} == {304}
    assert loads_of(db) == loads_of(direct)
    quiet = run("--db", str(db), "refresh", "--dry-run", "--base-url", server.url, "--cache", str(cache))
    assert quiet.exit_code == 0 and "nothing new" in quiet.stdout


def test_refresh_keeps_files_loaded_by_hand_current_and_names_what_it_cannot(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    db, cache = tmp_path / "hand.duckdb", tmp_path / "cache"
    pas = corpus / "survey" / "PAS_Dashboard_MPS_total_2014Q4-2023Q4.csv"
    assert run("--db", str(db), "ingest", str(corpus / FILES["mopac-strength"]), str(pas)).exit_code == 0
    dry = run("--db", str(db), "refresh", "--dry-run", "--base-url", server.url, "--cache", str(cache))
    assert dry.exit_code == 0, dry.output
    assert "mopac-strength (keeps mopac-strength current): no cached copy or validator" in " ".join(dry.stdout.split())
    result = run("--db", str(db), "refresh", "--base-url", server.url, "--cache", str(cache))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "not refreshed survey-pas-dashboard (1 load)" in text
    assert "unchanged mopac-strength: the file loaded is current" in text  # same checksum: not loaded again
    with Database(db, read_only=True) as store:  # the two files (ingest added the built-in reference data too)
        assert store.scalar("SELECT count(*) FROM loads WHERE NOT starts_with(source_path, 'built-in:')") == 2


def test_refresh_exits_1_when_a_server_fails_and_loads_the_rest(server: Server, corpus: Path, tmp_path: Path) -> None:
    db, cache = tmp_path / "f.duckdb", tmp_path / "cache"
    fetch_json(db, server, cache, "mopac-strength", "boundaries-boroughs")
    fetch_json(
        db, server, cache, "--force", "city-of-london", "--from", "2024-03", "--to", "2024-03", "--kind", "street"
    )
    server.listed = [f"2024-0{m}" for m in range(1, 6)]
    boundaries = catalogue_path(source("boundaries-boroughs").urls[0])
    server.fail[boundaries] = [503] * 4  # more than the retries
    result = run("--db", str(db), "refresh", "--base-url", server.url, "--cache", str(cache))
    assert result.exit_code == 1
    assert "failed boundaries-boroughs" in result.stdout and "HTTP 503" in result.stdout
    with Database(db, read_only=True) as store:  # the new police.uk months were still loaded
        months = store.execute("SELECT DISTINCT strftime(month, '%Y-%m') FROM crimes ORDER BY 1")
    assert months == [("2024-03",), ("2024-04",), ("2024-05",)]
    assert "refresh" in run("refresh", "--help").stdout and "Exit codes" in run("refresh", "--help").stdout
