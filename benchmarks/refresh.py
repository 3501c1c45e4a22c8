"""Benchmark: adding one Met month to a loaded store while it is served, against a full rebuild.

Every load is the real ``metforward ingest`` in a subprocess; its wall time and its peak memory
(``ru_maxrss`` of that child, from ``os.wait4``) are measured from outside. In the same run:

* **base**: a fresh store of the whole scope except the month held back (the newest month of
  ``policeuk/metropolitan/street-burglary-only`` that also has an ``outcomes-burglary-only`` file);
* **rebuild** (the baseline): a fresh store of the whole scope, the held-back month included: what
  loading the new month costs without incremental loading;
* **add, served**: ``metforward serve`` runs on a copy of the base store and ``ingest`` adds the
  held-back month (street and outcomes). Readers hold the store, so the writer copies it to
  ``<store>.next-<pid>``, writes the copy and renames it over the store; the server switches to
  the new version between requests;
* **add, not served**: the same month added to another copy of the base store with no reader, so
  written in place (how much of the served time is the copy).

Latency of the borough page (``--page``, default ``/boroughs/westminster``), ``--clients``
concurrent clients on loopback, standard library only: first with no load running (the baseline,
``--requests`` requests after a warm-up), then from the start of the served ingest until the server
answers with the new load version (``meta.load_version`` of ``/api/v1/status``) and ``--settle``
seconds more. The page cache is kept per load version, so the first requests after the switch
compute the page afresh: they are part of the "during" figures, as they are for a real user.

Scopes (``--scope``, each a list of folders of the corpus):

* ``full`` (default; what issue 16 asks): ``policeuk/metropolitan``, ``policeuk/city-of-london`` and
  ``datastore`` (the police.uk Met and City files and the London Datastore files the product uses);
* ``policeuk``: the two police.uk folders only;
* ``burglary``: ``policeuk/metropolitan/street-burglary-only`` and ``outcomes-burglary-only`` (the
  two kinds the added month belongs to), for a quick run.

London's lookups and boundaries come built into metforward and are loaded by every ingest that
finds none in the store, so every store here has them.

Usage: ``python benchmarks/refresh.py [--corpus PATH] [--scope full|policeuk|burglary] [--workers 2]
[--clients 4] [--requests 200] [--json]``. The corpus is ``--corpus``, else ``$METFORWARD_CORPUS``,
else ``../shared/data`` beside the repository; where a folder of the scope is absent the script says
``SKIPPED`` and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCOPES = {
    "full": ["policeuk/metropolitan", "policeuk/city-of-london", "datastore"],
    "policeuk": ["policeuk/metropolitan", "policeuk/city-of-london"],
    "burglary": ["policeuk/metropolitan/street-burglary-only", "policeuk/metropolitan/outcomes-burglary-only"],
}
STREET = "policeuk/metropolitan/street-burglary-only"
OUTCOMES = "policeuk/metropolitan/outcomes-burglary-only"
SUFFIXES = (".csv", ".csv.gz", ".geojson", ".gpkg", ".zip")


def metforward_command() -> list[str]:
    return [sys.executable, "-m", "metforward"]


def child_env() -> dict[str, str]:
    src = str(REPO / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def ingest(store: Path, paths: list[Path], log: Path) -> dict[str, Any]:
    """``metforward ingest paths`` into ``store`` in a child process: its wall time, peak memory and rows."""
    with log.open("w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*metforward_command(), "--db", str(store), "--wait", "600", "ingest", *map(str, paths), "--json"],
            stdout=subprocess.PIPE,
            stderr=err,
            env=child_env(),
            cwd=REPO,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()  # read before waiting: a full pipe would stall the child
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    try:
        summary = json.loads(out)
    except ValueError:
        summary = {}
    failed = [f"{f['path']}: {f['error']}" for f in summary.get("files", []) if f.get("error")]
    if code != 0 and (not summary or len(failed) == len(paths)):
        raise SystemExit(f"metforward ingest failed ({code}) into {store}:\n{log.read_text()[-3000:]}")
    # exit 1 with some files loaded: files no reader understands; every load of the same files meets them
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,  # kB on Linux
        "rows": int(summary.get("rows_loaded", 0)),
        "files": len(paths),
        "failed": failed,
    }


def scope_files(corpus: Path, folders: list[str]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        found += (p for p in (corpus / folder).rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    return sorted(found)


def held_back_month(corpus: Path) -> str:
    street = {p.name for p in (corpus / STREET).iterdir() if p.is_dir()}
    outcomes = {p.name for p in (corpus / OUTCOMES).iterdir() if p.is_dir()}
    return max(street & outcomes)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 120) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def load_version(base: str) -> str:
    return str(json.loads(get(f"{base}/api/v1/status?limit=1")[1])["meta"]["load_version"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Clients:
    """``count`` threads asking ``url`` one request after another until stopped; latencies in ms."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(count)]

    def run(self) -> None:
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                status, _ = get(self.url)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding here
                self.failures.append(repr(exc))
                continue
            if status != 200:
                self.failures.append(f"HTTP {status}")
            self.latencies.append((time.perf_counter() - start) * 1000)

    def __enter__(self) -> Clients:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def summary(latencies: list[float], failures: list[str]) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "failures": len(failures),
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
    }


def serve_and_add(
    store: Path, month_files: list[Path], tmp: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Serve ``store``, measure the page idle, then while ``month_files`` are ingested: (idle, during, ingest)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "serve.log"
    server = subprocess.Popen(
        [*metforward_command(), "--db", str(store), "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),  # a file: a pipe nobody reads fills with the request log and stalls the server
        env=child_env(),
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"serve did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        page = base + args.page
        for _ in range(3 * args.workers * args.clients):  # every process has the page in its cache
            get(page)
        with Clients(page, args.clients) as idle:
            while len(idle.latencies) < args.requests and not idle.failures:
                time.sleep(0.05)
        idle_figures = summary(idle.latencies[: args.requests], idle.failures)
        old = load_version(base)
        with Clients(page, args.clients) as during:
            added = ingest(store, month_files, tmp / "add-served.log")
            deadline = time.monotonic() + 60
            while load_version(base) == old and time.monotonic() < deadline:
                time.sleep(0.1)
            switched = load_version(base) != old
            time.sleep(args.settle)
        during_figures = summary(during.latencies, during.failures)
        during_figures["switched"] = switched
        leftovers = [p.name for p in store.parent.glob(f"{store.name}.next-*")]
        during_figures["copies_left"] = leftovers
        return idle_figures, during_figures, added
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def report(figures: dict[str, Any]) -> str:
    rebuild, served, alone = figures["rebuild"], figures["add_served"], figures["add_not_served"]
    idle, during = figures["page_idle"], figures["page_during"]
    lines = [
        f"scope {figures['scope']}: {figures['files']} files; month added: {figures['month']} "
        f"(street burglary + outcomes, {served['rows']:,} rows); server {figures['workers']} processes, "
        f"{figures['clients']} clients",
        f"base store (scope minus the month): {figures['base']['seconds']:.1f} s, peak "
        f"{figures['base']['peak_mb']:.0f} MB, {figures['base']['rows']:,} rows, {figures['store_mb']:.0f} MB on disk",
        "",
        f"{'measurement':<46} {'value':>10} {'baseline':>10} {'ratio':>7}  baseline is",
    ]

    def row(name: str, value: float, base: float, unit: str, what: str) -> None:
        lines.append(f"{name:<46} {value:>8.1f}{unit} {base:>8.1f}{unit} {value / base:>7.3f}  {what}")

    row("add one month, served (copy + rename): time", served["seconds"], rebuild["seconds"], " s", "full rebuild")
    row("add one month, served: peak memory", served["peak_mb"], rebuild["peak_mb"], "MB", "full rebuild")
    row("add one month, not served (in place): time", alone["seconds"], rebuild["seconds"], " s", "full rebuild")
    row("add one month, not served: peak memory", alone["peak_mb"], rebuild["peak_mb"], "MB", "full rebuild")
    row("borough page during the switch: p50", during["p50_ms"], idle["p50_ms"], "ms", "same page, no load")
    row("borough page during the switch: p95", during["p95_ms"], idle["p95_ms"], "ms", "same page, no load")
    row("borough page during the switch: max", during["max_ms"], idle["max_ms"], "ms", "same page, no load")
    lines += [
        "",
        f"requests: {idle['requests']} with no load ({idle['failures']} failed), {during['requests']} during the "
        f"switch ({during['failures']} failed); server switched to the new version: {during['switched']}; "
        f"copies left behind: {during['copies_left'] or 'none'}",
    ]
    failed = sorted({f for load in (figures["base"], rebuild, served, alone) for f in load["failed"]})
    if failed:
        lines.append(f"NOT LOADED by any of the loads ({len(failed)} files, the same in each):")
        lines += [f"  {f}" for f in failed]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    default_corpus = os.environ.get("METFORWARD_CORPUS") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--corpus", type=Path, default=Path(default_corpus), help=f"default: {default_corpus}")
    parser.add_argument("--scope", choices=sorted(SCOPES), default="full")
    parser.add_argument("--page", default="/boroughs/westminster")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients asking the page")
    parser.add_argument("--requests", type=int, default=200, help="requests of the no-load baseline")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds measured after the switch")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()
    folders = SCOPES[args.scope]
    missing = [f for f in [*folders, STREET, OUTCOMES] if not (args.corpus / f).is_dir()]
    if missing:
        print(f"SKIPPED: corpus not found: no {args.corpus / missing[0]} (pass --corpus or set METFORWARD_CORPUS)")
        if args.json:
            print(json.dumps({"skipped": True, "reason": f"corpus not found: {args.corpus / missing[0]}"}))
        return
    month = held_back_month(args.corpus)
    held = {args.corpus / STREET / month, args.corpus / OUTCOMES / month}
    everything = scope_files(args.corpus, folders)
    month_files = [p for p in everything if any(h in p.parents for h in held)]
    base_files = [p for p in everything if p not in month_files]
    figures: dict[str, Any] = {
        "scope": args.scope,
        "files": len(everything),
        "month": month,
        "workers": args.workers,
        "clients": args.clients,
    }
    with tempfile.TemporaryDirectory(prefix="metforward-bench-refresh-") as name:
        tmp = Path(name)
        base = tmp / "base.duckdb"
        figures["base"] = ingest(base, base_files, tmp / "base.log")
        figures["store_mb"] = base.stat().st_size / 2**20
        figures["rebuild"] = ingest(tmp / "rebuild.duckdb", everything, tmp / "rebuild.log")
        (tmp / "rebuild.duckdb").unlink()
        alone = tmp / "alone.duckdb"
        shutil.copyfile(base, alone)
        figures["add_not_served"] = ingest(alone, month_files, tmp / "add-alone.log")
        alone.unlink()
        served = tmp / "served.duckdb"
        shutil.copyfile(base, served)
        figures["page_idle"], figures["page_during"], figures["add_served"] = serve_and_add(
            served, month_files, tmp, args
        )
    print(report(figures))
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
