"""Benchmark: the records side under 20 concurrent users, SQLite and PostgreSQL side by side.

For each backend, a fresh records database holding ``--users`` accounts (role ``borough``, Westminster)
and 20 Westminster contacts, behind a real ``metforward serve --workers 2`` on loopback (an empty store:
only the records side is measured). wrk (Debian's ``wrk``) opens ``--users`` connections for
``--duration`` seconds per target, cycling through the users:

* **sign-in**: ``POST /login`` with email, password and CSRF token: the Argon2id verification (19 MiB,
  2 iterations, 1 lane: records/passwords.py), the rate-limit look-ups, a new session, the sign-in
  attempt and its audit row, all in one transaction; a 303 is a success, anything >= 400 an error;
* **audited read**: ``GET /records/E09000033/contacts/{id}`` with a signed-in user's session cookie:
  the session look-up, the one access rule, the read through records/service.py and its audit row
  (appended under a lock of the chain's head: every read is a write);
* baseline, named and measured in the same run on the same server: ``/healthz`` (one trivial query
  of the store, no records database): the floor of the stack.

p50/p95/p99 latency come from wrk's histogram (Lua ``done`` hook); throughput is requests per second.
PostgreSQL is a throwaway cluster started as the records tests start theirs
(``tests/records_backends.PostgresServer``), on a unix socket, with fsync and synchronous commits on
(``durable``), as SQLite keeps its defaults (WAL, synchronous FULL). After each run the audit chain is
verified and its rows counted.

Usage: ``python benchmarks/records.py [--duration 15] [--users 20] [--workers 2] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.records_backends: the throwaway PostgreSQL cluster

from metforward.records import accounts, audit, contacts, migrate  # noqa: E402
from metforward.records.access import operator  # noqa: E402
from metforward.records.db import Database  # noqa: E402
from metforward.records.keys import Keys, load  # noqa: E402
from metforward.store.database import Database as Store  # noqa: E402

PASSWORD = "violet harbour lantern 42"
WESTMINSTER = "E09000033"
LUA = """
local requests = {}
for line in io.lines(os.getenv("REQUESTS_FILE")) do
  local method, path, cookie, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$")
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if method == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
end
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
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


def free_port() -> int:
    import socket

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


def run_wrk(url: str, lines: list[str], duration: int, connections: int, tmp: Path) -> dict[str, Any]:
    script, listing = tmp / "requests.lua", tmp / "requests.txt"
    script.write_text(LUA)
    listing.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "REQUESTS_FILE": str(listing)},
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    result["req_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def prepare(url: str, keys: Keys, users: int) -> tuple[list[str], list[str], list[str]]:
    """Migrate the records database and fill it; the request lines of the three targets."""
    by = operator("bench", "localhost")
    emails = [f"user{n:02d}@bench.example" for n in range(users)]
    with Database(url) as database:
        migrate.upgrade(database)
        for email in emails:
            accounts.add_user(database, by, email, "borough", ["Westminster"], PASSWORD)
        ids = [
            contacts.add_contact(database, by, WESTMINSTER, {"name": f"Contact {n}", "organisation": "Bench"}).id
            for n in range(20)
        ]
        cookies = [
            f"mf_session={accounts.password_sign_in(database, keys, email, PASSWORD, address='127.0.0.1')[0]}"
            for email in emails
        ]
    binding = secrets.token_urlsafe(32)  # the pre-sign-in CSRF cookie, and its token under the records key
    form = {"csrf_token": keys.sign("csrf", binding), "password": PASSWORD, "next": "/account"}
    sign_in = [
        f"POST\t/login\tmf_csrf={binding}\t{urllib.parse.urlencode(form | {'email': email})}" for email in emails
    ]
    reads = [
        f"GET\t/records/{WESTMINSTER}/contacts/{ids[n % len(ids)]}\t{cookie}\t" for n, cookie in enumerate(cookies)
    ]
    return sign_in, reads, ["GET\t/healthz\t\t"]


def measure(backend: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, dict[str, Any]]:
    folder = tmp / backend
    folder.mkdir()
    store = folder / "store.duckdb"
    Store(store).close()
    secret = secrets.token_urlsafe(32)  # the records key, shared by the server's processes and the benchmark
    keys = load(folder / "unused.key", {"METFORWARD_RECORDS_KEY": secret})
    sign_in, reads, healthz = prepare(url, keys, args.users)
    port = free_port()
    server_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "METFORWARD_RECORDS_KEY": secret}
    server = subprocess.Popen(
        [sys.executable, "-m", "metforward", "--db", str(store), "--records", url,
         "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    try:
        wait_ready(server_url)
        for label, lines in (("healthz (baseline)", healthz), ("sign-in", sign_in), ("audited read", reads)):
            run_wrk(server_url, lines, 2, args.users, tmp)  # warm: every worker has served each kind
            results[label] = run_wrk(server_url, lines, args.duration, args.users, tmp)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with Database(url) as database, database.reading() as session:
        verdict = audit.verify(session)
        results["audit"] = {"rows": verdict.rows, "intact": verdict.ok}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per target")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (wrk connections)")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append", help="default: both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make system installs it)")
    from tests.records_backends import PostgresServer, postgres_bin

    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for backend in args.backend or ["sqlite", "postgresql"]:
            if backend == "sqlite":
                results[backend] = measure(backend, f"sqlite:///{tmp / 'bench.records.sqlite'}", args, tmp)
                continue
            bin_dir = postgres_bin()
            if bin_dir is None:
                print("SKIPPED postgresql: not installed (apt-get install postgresql)", file=sys.stderr)
                continue
            server = PostgresServer(bin_dir, durable=True)
            try:
                server.admin("CREATE DATABASE bench")
                results[backend] = measure(backend, server.url("bench"), args, tmp)
            finally:
                server.stop()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"wrk (1 thread), {args.users} connections (one user each), {args.duration} s per target, loopback, "
        f"metforward serve --workers {args.workers}"
    )
    print(
        f"{'backend':11} {'target':19} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'non-2xx':>8} {'p95 / healthz':>14} {'req/s / healthz':>16}"
    )
    for backend, found in results.items():
        base = found["healthz (baseline)"]
        for label in ("healthz (baseline)", "sign-in", "audited read"):
            r = found[label]
            print(
                f"{backend:11} {label:19} {r['req_per_s']:8.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
                f"{r['p99_ms']:8.1f} {r['errors']:7d} {r['non_2xx']:8d} {r['p95_ms'] / base['p95_ms']:14.1f} "
                f"{r['req_per_s'] / base['req_per_s']:16.3f}"
            )
        print(f"{backend:11} audit chain after the run: {found['audit']['rows']} rows, "
              f"{'intact' if found['audit']['intact'] else 'BROKEN'}")  # fmt: skip


if __name__ == "__main__":
    main()
