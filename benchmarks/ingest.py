"""Benchmark: ingesting all of <corpus>/policeuk, against the floor cost of storing the same files.

Contenders, each run in a fresh Python subprocess of its own (so that its peak memory, the
resident-set high-water mark ``VmHWM`` read from inside the child, is its own), in the same run:

* ``metforward``: ``ingest_paths`` into a fresh DuckDB file: parse, check every row, standardise,
  record rejects and provenance, one transaction per file;
* ``baseline`` (the floor cost of storing): plain DuckDB. For each file,
  ``INSERT INTO <one table per header layout> SELECT * FROM read_csv(path, header=true,
  all_varchar=false)`` into a fresh DuckDB file, one transaction per file, with no checks, no
  rejects and no provenance. The table of a layout is made (``CREATE TABLE IF NOT EXISTS``) when
  the first file of that layout comes; the layout is the file's header line. Issuing the
  ``CREATE`` before every file would make DuckDB sniff every file twice and about double the
  baseline's time, flattering metforward.

Both read the same files in the same (path) order. With ``--repeat N`` each contender runs N
times, alternately; the fastest run counts, and the highest peak.

Then both on the first 25% and 50% of the files (in path order), and metforward on all of them
twice over (the second pass replacing the first), to show whether peak memory follows the number of
files or the largest file. The metforward child also reports the peak of Arrow's memory pool (the
parsed and checked columns of one file at a time), apart from DuckDB's own memory.

Usage: ``python benchmarks/ingest.py [--corpus PATH] [--repeat N] [--json]``. The corpus is
``--corpus``, else ``$METFORWARD_CORPUS``, else ``../shared/data`` beside the repository; where
``<corpus>/policeuk`` is absent the script says ``SKIPPED`` and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.5
SHARES = (0.25, 0.5, 1.0, 2.0)  # of the files; 2.0 is every file twice (the second pass replaces the first)


# --- inside a child process ---------------------------------------------------------------------


def _memory_mb(key: str) -> float:
    """``VmRSS`` or ``VmHWM`` of this process in MB (Linux); elsewhere the peak from getrusage."""
    try:
        match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    except OSError:
        match = None
    if match:
        return int(match[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, kB on Linux


def _cpu_seconds() -> float:
    """CPU time of this process so far, all threads, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_metforward(store: Path, files: list[Path]) -> dict[str, Any]:
    import pyarrow as pa

    from metforward.ingest.pipeline import ingest_paths
    from metforward.store.database import Database

    start_mb = _memory_mb("VmRSS")
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    with Database(store) as db:
        summary = ingest_paths(db, files)
    seconds, cpu_seconds = time.perf_counter() - start, _cpu_seconds() - start_cpu
    failed = [f.path for f in summary.files if f.error]
    if failed:
        raise SystemExit(f"metforward could not load {len(failed)} files, e.g. {failed[0]}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows": summary.rows_read,
        "rows_rejected": summary.rows_rejected,
        "start_mb": start_mb,
        "peak_mb": _memory_mb("VmHWM"),
        "arrow_peak_mb": pa.default_memory_pool().max_memory() / 2**20,
    }


def _header_line(path: Path) -> bytes:
    with gzip.open(path) if path.name.endswith(".gz") else path.open("rb") as stream:
        return stream.readline().removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")


def _child_baseline(store: Path, files: list[Path]) -> dict[str, Any]:
    import duckdb

    start_mb = _memory_mb("VmRSS")
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    con = duckdb.connect(str(store))
    tables: dict[bytes, str] = {}
    rows = 0
    for path in files:
        layout = _header_line(path)
        source = "read_csv(?, header=true, all_varchar=false)"
        if layout not in tables:
            tables[layout] = f"layout_{len(tables)}"
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {tables[layout]} AS SELECT * FROM {source} LIMIT 0", [str(path)]
            ).fetchall()
        inserted = con.execute(f"INSERT INTO {tables[layout]} SELECT * FROM {source}", [str(path)]).fetchone()
        rows += int(inserted[0]) if inserted else 0
    con.close()
    seconds, cpu_seconds = time.perf_counter() - start, _cpu_seconds() - start_cpu
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows": rows,
        "rows_rejected": 0,
        "start_mb": start_mb,
        "peak_mb": _memory_mb("VmHWM"),
    }


def child(contender: str, store: Path, listing: Path) -> None:
    """Run one contender over the files in ``listing`` (JSON) into ``store``; print its figures as JSON."""
    files = [Path(p) for p in json.loads(listing.read_text())]
    run_it = _child_metforward if contender == "metforward" else _child_baseline
    print(json.dumps(run_it(store, files)))


# --- in the parent ------------------------------------------------------------------------------


def measure(contender: str, files: list[Path], tmp: Path) -> dict[str, Any]:
    """Run one contender over ``files`` in a fresh Python process; return its figures."""
    listing = tmp / "files.json"
    listing.write_text(json.dumps([str(f) for f in files]))
    store = tmp / f"{contender}.duckdb"
    for leftover in (store, store.with_name(store.name + ".wal")):
        leftover.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", contender, str(store), str(listing)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {contender} run failed:\n{done.stderr or done.stdout}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["files"] = len(files)
    figures["rows_per_s"] = figures["rows"] / figures["seconds"]
    store.unlink(missing_ok=True)
    return figures


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of several runs, with the highest peak memory of any of them."""
    fastest = dict(min(runs, key=lambda r: r["seconds"]))
    fastest["peak_mb"] = max(r["peak_mb"] for r in runs)
    fastest["all_seconds"] = [round(r["seconds"], 3) for r in runs]
    return fastest


def report(ours: dict[str, Any], floor: dict[str, Any], growth: dict[str, dict[float, dict[str, Any]]]) -> str:
    """The figures as small text tables."""
    lines = [
        f"{'contender':<42} {'files':>5} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'CPU s':>6} {'peak MB':>8} "
        f"{'at start':>8}"
    ]
    for name, r in (
        ("metforward (checks, rejects, provenance)", ours),
        ("baseline (duckdb read_csv -> tables)", floor),
    ):
        lines.append(
            f"{name:<42} {r['files']:>5} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows_per_s']:>9,.0f} "
            f"{r['cpu_seconds']:>6.1f} {r['peak_mb']:>8.0f} {r['start_mb']:>8.0f}"
        )
    ratio = ours["rows_per_s"] / floor["rows_per_s"]
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    lines += [
        "",
        f"speed ratio metforward / baseline (rows/s): {ratio:.2f} ({verdict} the target of at least {TARGET_RATIO})",
        f"peak memory ratio metforward / baseline: {ours['peak_mb'] / floor['peak_mb']:.2f} "
        f"(of which at start, after imports: {ours['start_mb']:.0f} MB and {floor['start_mb']:.0f} MB)",
    ]
    if ours["rows"] != floor["rows"]:
        lines.append(f"WARNING: the contenders read different row counts ({ours['rows']:,} and {floor['rows']:,})")
    ours_by, floor_by = growth["metforward"], growth["baseline"]
    lines += [
        "",
        "peak memory by number of files loaded (first files in path order; 200% = every file twice, the second "
        "pass replacing the first):",
        f"{'share':>6} {'files':>6} {'rows':>10} {'metforward s':>12} {'peak MB':>8} {'Arrow peak MB':>13} "
        f"{'baseline peak MB':>16}",
    ]
    for share, r in sorted(ours_by.items()):
        base = f"{floor_by[share]['peak_mb']:.0f}" if share in floor_by else "-"
        lines.append(
            f"{share:>6.0%} {r['files']:>6} {r['rows']:>10,} {r['seconds']:>12.2f} {r['peak_mb']:>8.0f} "
            f"{r['arrow_peak_mb']:>13.0f} {base:>16}"
        )
    low = min(ours_by)
    lines.append(
        f"from {low:.0%} to 100% of the files the peak grows {ours_by[1.0]['peak_mb'] / ours_by[low]['peak_mb']:.2f}x "
        f"for metforward and {floor_by[1.0]['peak_mb'] / floor_by[low]['peak_mb']:.2f}x for the baseline "
        f"(flat is 1.00); Arrow's own peak (parsed and checked columns) stays at the largest file's"
    )
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print the table (and the figures as JSON with --json)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    default_corpus = os.environ.get("METFORWARD_CORPUS") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--corpus", type=Path, default=Path(default_corpus), help=f"default: {default_corpus}")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender; the fastest counts")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument("--child", nargs=3, metavar=("CONTENDER", "STORE", "LISTING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        contender, store, listing = args.child
        child(contender, Path(store), Path(listing))
        return
    root = args.corpus / "policeuk"
    if not root.is_dir():
        print(f"SKIPPED: corpus not found: no {root} (pass --corpus or set METFORWARD_CORPUS)")
        if args.json:
            print(json.dumps({"skipped": True, "reason": f"corpus not found: {root}"}))
        return
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith((".csv", ".csv.gz")))
    with tempfile.TemporaryDirectory(prefix="metforward-bench-") as tmp_name:
        tmp = Path(tmp_name)
        runs: dict[str, list[dict[str, Any]]] = {"metforward": [], "baseline": []}
        for _ in range(max(1, args.repeat)):
            for contender, found in runs.items():
                found.append(measure(contender, files, tmp))
        ours, floor = best(runs["metforward"]), best(runs["baseline"])
        growth: dict[str, dict[float, dict[str, Any]]] = {"metforward": {1.0: ours}, "baseline": {1.0: floor}}
        for share in SHARES:
            if share < 1:
                chosen = files[: max(1, round(len(files) * share))]
                growth["metforward"][share] = measure("metforward", chosen, tmp)
                growth["baseline"][share] = measure("baseline", chosen, tmp)
            elif share > 1:  # the baseline has no replacement: loading every file twice would double its rows
                growth["metforward"][share] = measure("metforward", files * round(share), tmp)
    print(report(ours, floor, growth))
    if args.json:
        print(
            json.dumps(
                {
                    "files": len(files),
                    "metforward": ours,
                    "baseline": floor,
                    "ratio": ours["rows_per_s"] / floor["rows_per_s"],
                    "memory_ratio": ours["peak_mb"] / floor["peak_mb"],
                    "growth": {
                        contender: {f"{share:.0%}": r for share, r in sorted(by_share.items())}
                        for contender, by_share in growth.items()
                    },
                }
            )
        )


if __name__ == "__main__":
    main()
