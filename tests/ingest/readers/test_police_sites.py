"""The MOPAC 2013 front-counter list (classic-Mac line endings) and police station positions."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from metforward.ingest.csvtable import decode_header
from metforward.ingest.pipeline import ingest_paths
from metforward.store.database import Database

COUNTERS = "MOPAC_2013_police_front_counters_keep_cut.csv"
STATIONS = "london_police_stations_sample.csv"


def test_a_header_with_classic_mac_line_endings_is_read() -> None:
    assert decode_header(b"name,status\rA,keep\rB,cut\r") == ["name", "status"]
    assert decode_header(b"name,status\r\nA,keep\r\n") == ["name", "status"]


@pytest.mark.corpus
def test_every_counter_is_loaded_with_its_borough_and_opening(corpus: Path, db: Database) -> None:
    path = corpus / "other" / COUNTERS
    (result,) = ingest_paths(db, [path]).files
    raw = pd.read_csv(io.BytesIO(path.read_bytes().replace(b"\r", b"\n")), dtype=str)
    assert result.kind == "front-counters"
    assert result.rows_read == len(raw) == result.rows_loaded + result.rows_rejected == 137
    by_borough = raw.groupby(["local authority", "status"]).size().to_dict()
    stored = {
        (b, s): int(n)
        for b, s, n in db.execute("SELECT borough_name, status, count(*) FROM front_counters GROUP BY ALL")
    }
    assert stored == by_borough
    assert db.scalar("SELECT count(*) FROM front_counters WHERE borough_code IS NULL") == 0
    assert db.scalar("SELECT count(DISTINCT borough_code) FROM front_counters") == 32
    # open before the closures (current not CLOSED) and after (proposed not CLOSED), as in the file
    assert db.scalar("SELECT count(*) FROM front_counters WHERE current <> 'CLOSED'") == (raw.current != "CLOSED").sum()
    assert (
        db.scalar("SELECT count(*) FROM front_counters WHERE proposed <> 'CLOSED'") == (raw.proposed != "CLOSED").sum()
    )
    first = raw.iloc[0]
    assert db.execute("SELECT name, longitude, latitude FROM front_counters WHERE line = 2") == [
        (first["name"], float(first.longitude), float(first.latitude))
    ]


@pytest.mark.corpus
def test_stations_are_loaded_with_their_positions(corpus: Path, db: Database) -> None:
    path = corpus / "other" / STATIONS
    (result,) = ingest_paths(db, [path]).files
    raw = pd.read_csv(path, encoding="utf-8-sig")
    assert (result.kind, result.rows_read, result.rows_loaded) == ("police-stations", len(raw), len(raw))
    stored = {n: (lon, lat) for n, lon, lat in db.execute("SELECT name, longitude, latitude FROM police_stations")}
    assert stored == {n.strip(): (lon, lat) for n, lat, lon in raw.itertuples(index=False)}


def test_counters_without_a_place_or_with_an_unknown_status_are_rejected(tmp_path: Path, db: Database) -> None:
    lines = [
        "name,local authority,longitude,latitude,status,current,proposed",
        "A,CAMDEN,-0.14,51.55,keep,24HR,24HR",
        "B,CAMDEN,,,cut,DAY TIME,CLOSED",
        "C,CAMDEN,-0.14,51.55,maybe,DAY TIME,CLOSED",
        "D,CAMDEN,40.0,51.55,cut,DAY TIME,CLOSED",
    ]
    path = tmp_path / "counters.csv"
    path.write_bytes("\r".join(lines).encode())
    (result,) = ingest_paths(db, [path]).files
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    rejects = dict(db.execute("SELECT line, field FROM rejects"))
    assert rejects == {3: "longitude,latitude", 4: "status", 5: "longitude,latitude"}
    assert db.execute("SELECT name, borough_code, status, current FROM front_counters") == [
        ("A", "E09000007", "keep", "24HR")
    ]
