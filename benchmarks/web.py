"""Benchmark: throughput and latency of the web app on loopback under wrk, 50 connections.

Starts ``metforward serve`` on the bundled sample (in a temporary store) and loads it with wrk
(Debian's ``wrk``) for ``--duration`` seconds per target at ``--connections`` connections:

* ``/api/v1/compare``: one borough-level comparison, the same URL every time (after the first
  request it is served from the app's per-load-version response cache);
* ``/api/v1/compare`` over distinct URLs: the 32 Met boroughs x 3 period pairs (96 URLs), cycled; each
  is asked once per server process before the run (computed, then cached), so this is the steady
  state of a public API's traffic (the City has no Datastore rows: its answer is a 400, left out);
* the borough page ``/boroughs/westminster``;
* baseline, named and measured in the same run on the same server: ``/healthz`` (one trivial
  query, no analysis): the floor of the stack (uvicorn, FastAPI, middleware, pool).

Latency percentiles (p50, p95, p99) come from wrk's own histogram through a Lua ``done`` hook.
Each target is run with 1 server process and with ``--workers`` processes (default 2, this
machine's cores). Target: p95 under 50 ms for the API, zero errors.

Usage: ``python benchmarks/web.py [--duration 30] [--connections 50] [--workers 2] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LUA = """
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
    .. '"errors": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, e.connect + e.read + e.write + e.timeout, e.status))
end
"""
BOROUGH_CODES = [f"E090000{n:02d}" for n in range(2, 34)]  # the Met's 32 (the City, E09000001, has its own force)
PERIODS = [
    ("2023-01:2023-12", "2024-01:2024-12"),
    ("2024-01:2024-03", "2024-04:2024-06"),
    ("2023-07:2023-12", "2024-07:2024-12"),
]


def compare_url(code: str, before: str, after: str) -> str:
    return f"/api/v1/compare?before={before}&after={after}&level=borough&area={code}&source=datastore&by=major"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start")


def warm(url: str, paths: list[str], rounds: int) -> None:
    """Ask every path ``rounds`` times, one at a time (so each server process has computed each)."""
    for _ in range(rounds):
        for path in paths:
            with urllib.request.urlopen(url + path, timeout=120) as r:
                r.read()


def run_wrk(url: str, paths: list[str], duration: int, connections: int, tmp: Path, threads: int = 1) -> dict[str, Any]:
    script, listing = tmp / "paths.lua", tmp / "paths.txt"
    script.write_text(LUA)
    listing.write_text("\n".join(paths) + "\n")
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PATHS_FILE": str(listing)},
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    result["req_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=REPO / "sample")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk's threads (they share the 2 cores)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make system installs it)")
    metforward = str(Path(sys.executable).with_name("metforward"))
    targets = {
        "healthz (baseline)": ["/healthz"],
        "api compare, one URL": [compare_url("E09000033", *PERIODS[0])],
        "api compare, 96 URLs": [compare_url(c, *p) for c in BOROUGH_CODES for p in PERIODS],
        "borough page": ["/boroughs/westminster"],
    }
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = tmp / "sample.duckdb"
        subprocess.run([metforward, "--db", str(db), "ingest", str(args.sample)], check=True, capture_output=True)
        for processes in sorted({1, args.workers}):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                [metforward, "--db", str(db), "serve", "--port", str(port), "--workers", str(processes),
                 "--targets", str(REPO / "examples" / "targets-2010-11.yaml")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                wait_ready(url)
                for label, paths in targets.items():
                    warm(url, paths, 3 * processes)
                    results[f"{label} [{processes} process{'es' if processes > 1 else ''}]"] = run_wrk(
                        url, paths, args.duration, args.connections, tmp, args.wrk_threads
                    )
            finally:
                server.terminate()
                server.wait(timeout=30)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"wrk ({args.wrk_threads} thread), {args.connections} connections, {args.duration} s per target, loopback, "
        "bundled sample store"
    )
    print(f"{'target':46} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'non-2xx':>8}")
    for label, r in results.items():
        print(
            f"{label:46} {r['req_per_s']:8.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['errors']:7d} {r['non_2xx']:8d}"
        )
    for processes in sorted({1, args.workers}):
        tag = f"[{processes} process{'es' if processes > 1 else ''}]"
        base = results[f"healthz (baseline) {tag}"]
        for label in ("api compare, one URL", "api compare, 96 URLs", "borough page"):
            r = results[f"{label} {tag}"]
            verdict = (
                ""
                if not label.startswith("api")
                else ("  (target p95 < 50 ms: " + ("met)" if r["p95_ms"] < 50 else "NOT met)"))
            )
            print(f"{tag} {label}: p95 {r['p95_ms'] / base['p95_ms']:.2f}x the /healthz baseline, "
                  f"throughput {r['req_per_s'] / base['req_per_s']:.2f}x{verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
