"""Benchmark: the all-borough x all-category comparison with significance and q values.

Contenders, in the same run:

* ``metforward``: :func:`metforward.analyse.compare.compare` on a warm store (cubes built, the
  connection open), police.uk street data and the London Datastore borough file, with the default
  quasi-Poisson method (the dispersion of every row from its monthly counts) and, for reference,
  the exact Poisson test;
* ``pandas`` (the baseline: what an analyst's script does today): read the same raw files with
  pandas, place rows in boroughs through the ONS lookup, group by borough x category x period,
  with no significance at all; for the Datastore, the wide borough file melted and summed by borough x
  minor category x period (the same rows metforward's comparison gives).

Then the store is grown to 50 million street rows by repeating the real rows over synthetic
earlier years (said so in the output), the cubes are rebuilt, and the same comparison is timed.

Usage: ``python benchmarks/compare.py [--corpus PATH] [--rows 50000000] [--repeat 7] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from metforward.analyse.compare import CompareSpec, Period, compare
from metforward.ingest.pipeline import ingest_paths
from metforward.store.cubes import refresh_cubes
from metforward.store.database import Database

REPO = Path(__file__).resolve().parents[1]
BEFORE, AFTER = Period.parse("2023-01:2023-12"), Period.parse("2024-01:2024-12")
DS_BEFORE, DS_AFTER = Period.around("2013-04", 21)


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median seconds of ``repeat`` calls (after one warm-up call), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def pandas_route(corpus: Path) -> pd.DataFrame:
    """Read every street CSV and the lookup, place rows in boroughs, count by borough x type x period."""
    frames = []
    for path in sorted((corpus / "policeuk").rglob("*street*.csv*")):
        frame = pd.read_csv(path, usecols=lambda c: c in {"Month", "LSOA code", "Crime type"}, dtype=str)
        frames.append(frame)
    crimes = pd.concat(frames, ignore_index=True)
    lookup = pd.read_csv(
        corpus / "lookups/LSOA11_to_LSOA21_to_LAD22_exact_fit_lookup_EW_v3.csv.gz",
        usecols=["LSOA11CD", "LSOA21CD", "LAD22CD"],
        dtype=str,
    )
    codes = pd.concat(
        [
            lookup[["LSOA21CD", "LAD22CD"]].rename(columns={"LSOA21CD": "code"}),
            lookup[["LSOA11CD", "LAD22CD"]].rename(columns={"LSOA11CD": "code"}),
        ]
    ).drop_duplicates("code")
    crimes = crimes.merge(codes, left_on="LSOA code", right_on="code", how="left")
    period = pd.Series(pd.NA, index=crimes.index, dtype="string")
    period[crimes["Month"].between(str(BEFORE.first)[:7], str(BEFORE.last)[:7])] = "before"
    period[crimes["Month"].between(str(AFTER.first)[:7], str(AFTER.last)[:7])] = "after"
    crimes["period"] = period
    return crimes.dropna(subset=["period"]).groupby(["LAD22CD", "Crime type", "period"]).size().unstack(fill_value=0)


def pandas_datastore(corpus: Path) -> tuple[pd.DataFrame, int]:
    """The Datastore wide file: melt and sum by borough x minor category x period; and the cells read."""
    wide = pd.read_csv(corpus / "datastore/MPS_Borough_Level_Crime_Historic_2008-2016.csv")
    long = wide.melt(id_vars=["Borough", "Major Category", "Minor Category"], var_name="month", value_name="n")
    month = long["month"].astype(int)
    before = month.between(int(f"{DS_BEFORE.first:%Y%m}"), int(f"{DS_BEFORE.last:%Y%m}"))
    after = month.between(int(f"{DS_AFTER.first:%Y%m}"), int(f"{DS_AFTER.last:%Y%m}"))
    long["period"] = None
    long.loc[before, "period"] = "before"
    long.loc[after, "period"] = "after"
    grouped = long.dropna(subset=["period"]).groupby(["Borough", "Minor Category", "period"])["n"].sum().unstack()
    return grouped[(grouped > 0).any(axis=1)], len(long)


def grow(db: Database, target_rows: int) -> int:
    """Repeat the real street rows over synthetic earlier years until the table holds ``target_rows``."""
    real = int(db.scalar("SELECT count(*) FROM crimes"))
    copies = max(0, -(-target_rows // real) - 1)
    with db.transaction():
        db.run(
            "INSERT INTO crimes SELECT load_id, line, crime_id, month - INTERVAL (c * 12) MONTH, force, reported_by, "
            "falls_within, longitude, latitude, location, lsoa_code, lsoa_name, crime_type, last_outcome, context "
            f"FROM crimes, range(1, {copies + 1}) r(c)"
        )
    return int(db.scalar("SELECT count(*) FROM crimes"))


def main() -> None:
    """Run the benchmark and print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("METFORWARD_CORPUS") or REPO.parent / "shared" / "data")
    )
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.corpus / "policeuk").is_dir():
        print(f"SKIPPED: corpus not found at {args.corpus} (set METFORWARD_CORPUS)")
        return
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.duckdb")
        ingest_paths(
            db,
            [
                args.corpus / "policeuk",
                args.corpus / "lookups",
                args.corpus / "datastore/MPS_Borough_Level_Crime_Historic_2008-2016.csv",
            ],
        )
        refresh_cubes(db)
        street_rows = int(db.scalar("SELECT count(*) FROM crimes"))
        datastore_rows = int(db.scalar("SELECT count(*) FROM area_counts WHERE kind = 'datastore-borough-2008'"))
        police = CompareSpec(BEFORE, AFTER, level="borough")
        datastore = CompareSpec(DS_BEFORE, DS_AFTER, source="datastore", level="borough", by="minor")
        ours, table = timed(lambda: compare(db, police), args.repeat)
        ours_ds, table_ds = timed(lambda: compare(db, datastore), args.repeat)
        exact = CompareSpec(DS_BEFORE, DS_AFTER, source="datastore", level="borough", by="minor", method="poisson")
        ours_exact, _ = timed(lambda: compare(db, exact), args.repeat)
        theirs, frame = timed(lambda: pandas_route(args.corpus), max(1, args.repeat // 3))
        theirs_ds, (frame_ds, ds_cells) = timed(lambda: pandas_datastore(args.corpus), max(1, args.repeat // 3))  # type: ignore[misc]
        start = time.perf_counter()
        grown = grow(db, args.rows)
        grow_s = time.perf_counter() - start
        start = time.perf_counter()
        refresh_cubes(db)
        cube_s = time.perf_counter() - start
        big, table_big = timed(lambda: compare(db, police), args.repeat)
        db.close()
    rows = [
        ("metforward compare (quasi), police.uk street, borough x type", street_rows, len(table.rows), ours),  # type: ignore[attr-defined]
        ("pandas read + group-by, same files (baseline)", street_rows, len(frame), theirs),  # type: ignore[arg-type]
        ("metforward compare (quasi), Datastore borough x minor", datastore_rows, len(table_ds.rows), ours_ds),  # type: ignore[attr-defined]
        (
            "metforward compare (exact Poisson), Datastore borough x minor",
            datastore_rows,
            len(table_ds.rows),
            ours_exact,
        ),  # type: ignore[attr-defined]
        ("pandas melt + group-by, Datastore file (baseline; cells read)", ds_cells, len(frame_ds), theirs_ds),
        (f"metforward compare on {grown:,} street rows (synthetic extra years)", grown, len(table_big.rows), big),  # type: ignore[attr-defined]
    ]
    print(f"{'contender':72} {'rows in store':>14} {'result rows':>11} {'median ms':>10}")
    for name, n, k, seconds in rows:
        print(f"{name:72} {n:>14,} {k:>11,} {seconds * 1000:>10.1f}")
    print(
        f"\nratio pandas / metforward (police.uk): {theirs / ours:,.0f}x faster (target >= 10x); "
        f"warm compare {ours * 1000:.1f} ms (target < 100 ms)"
    )
    print(
        f"ratio pandas / metforward (Datastore): {theirs_ds / ours_ds:,.1f}x faster (target >= 10x); warm quasi "
        f"compare {ours_ds * 1000:.1f} ms (target < 100 ms); exact Poisson {ours_exact * 1000:.1f} ms"
    )
    print(
        f"grown store: {grown:,} street rows ({grow_s:.1f} s to add the synthetic years, {cube_s:.1f} s to rebuild "
        f"the cubes); compare {big * 1000:.1f} ms (target < 1,000 ms)"
    )
    figures.update(
        compare_ms=ours * 1000,
        pandas_ms=theirs * 1000,
        ratio=theirs / ours,
        datastore_ms=ours_ds * 1000,
        datastore_exact_ms=ours_exact * 1000,
        datastore_rows=len(table_ds.rows),  # type: ignore[attr-defined]
        pandas_datastore_rows=len(frame_ds),
        pandas_datastore_ms=theirs_ds * 1000,
        ratio_datastore=theirs_ds / ours_ds,
        grown_rows=grown,
        grown_compare_ms=big * 1000,
        cube_rebuild_s=cube_s,
    )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
