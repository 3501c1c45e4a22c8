"""Benchmark: a pan-London name search of the orders register over 100,000 synthetic subjects, with the
personal fields encrypted (AES-256-GCM) and found through the keyed blind index, against the same search
with encryption off (the name and date of birth kept in plain text, found through an ordinary index on
the normalised name and date of birth), measured in the same run on the same database.

Two figures per side, each over the same ``--searches`` people (nine in ten held, one in ten not):

* **search**: the whole of :func:`metforward.records.orders.search` as a user runs it: checking the
  input, the lookup, the orders' summaries and the audit row with the reason (a write transaction);
  the baseline does the same with the plain-text lookup;
* **lookup**: the lookup alone (a reading transaction: find the subject's orders).

Subjects are obviously fictional: first names and surnames made by a seeded RNG from small invented
lists, dates of birth 1950-2008, each with one to three orders in random boroughs. Target: p95 of the
encrypted search under 100 ms.

Usage: ``python benchmarks/registers.py [--subjects 100000] [--searches 1000] [--records URL] [--json]``
(default: a temporary SQLite file; give a PostgreSQL URL to run there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, MetaData, String, Table, insert, select

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.records import audit, migrate, orders
from metforward.records.access import operator
from metforward.records.db import Database
from metforward.records.models import Order, OrderSubject
from metforward.records.personal import KeyRing, PersonalKey, normalise_name

FIRST = [
    "Ardelia",
    "Bramwell",
    "Corvina",
    "Dunstable",
    "Elowen",
    "Fenwick",
    "Galloway",
    "Hester",
    "Isembard",
    "Jessamy",
    "Kestrel",
    "Lorcan",
    "Marigold",
    "Nettleby",
    "Ottoline",
    "Perpetua",
    "Quillon",
    "Rosamund",
    "Saffron",
    "Tarquin",
    "Ulrica",
    "Vesper",
    "Wendeline",
    "Xanthe",
    "Yardley",
    "Zephyrine",
    "Anselm",
    "Brisbane",
    "Cressida",
    "Drusilla",
    "Ebbert",
    "Florimel",
    "Gideonne",
    "Hollis",
    "Imber",
    "Juniper",
]
SURNAME_HEAD = [
    "Quill",
    "Marrow",
    "Oak",
    "Fenni",
    "Sparrow",
    "Gallow",
    "Tindle",
    "Corrow",
    "Whit",
    "Bramble",
    "Thorn",
    "Ash",
    "Hollow",
    "Nettle",
    "Pike",
    "Wren",
]
SURNAME_TAIL = [
    "barrow",
    "dyke",
    "mere",
    "gate",
    "hampshaw",
    "bury",
    "more",
    "wick",
    "field",
    "stead",
    "combe",
    "ley",
    "ford",
    "thwaite",
    "holt",
    "marsh",
]
REASON = "benchmark: pan-London search"
plain_meta = MetaData()
PLAIN_SUBJECTS = Table(
    "bench_plain_subjects",
    plain_meta,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Index("ix_bench_plain_person", "name_key", "date_of_birth"),
)
PLAIN_ORDERS = Table(
    "bench_plain_orders",
    plain_meta,
    Column("id", Integer, primary_key=True),
    Column("subject_id", Integer, ForeignKey("bench_plain_subjects.id"), index=True),
    Column("borough_code", String(9), nullable=False),
    Column("order_type", String(20), nullable=False),
    Column("officer_name", String(200), nullable=False),
    Column("officer_email", String(320), nullable=False),
    Column("expires_on", Date),
)


def people(count: int, seed: int) -> list[tuple[str, dt.date]]:
    """``count`` distinct fictional (name, date of birth) pairs."""
    rng = random.Random(seed)
    seen: set[tuple[str, dt.date]] = set()
    out: list[tuple[str, dt.date]] = []
    start = dt.date(1950, 1, 1).toordinal()
    while len(out) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(SURNAME_HEAD)}{rng.choice(SURNAME_TAIL)}"
        born = dt.date.fromordinal(start + rng.randrange(58 * 365))
        if (name, born) not in seen:
            seen.add((name, born))
            out.append((name, born))
    return out


def fill(database: Database, ring: KeyRing, subjects: list[tuple[str, dt.date]], seed: int) -> int:
    """The register's tables (encrypted) and the plain-text tables, with the same subjects and orders."""
    rng = random.Random(seed + 1)
    codes = sorted(LONDON_BOROUGHS)
    types = list(orders.TYPES)
    moment = dt.datetime.now(dt.UTC)
    subject_rows, plain_rows, order_rows, plain_orders = [], [], [], []
    next_order = 1
    for number, (name, born) in enumerate(subjects, 1):
        subject_rows.append(
            {
                "id": number,
                "name": name,
                "date_of_birth": born,
                "photo_ref": None,
                "person_index": ring.index(name, born),
                "created_at": moment,
                "created_by": "benchmark",
            }
        )
        plain_rows.append({"id": number, "name": name, "name_key": normalise_name(name), "date_of_birth": born})
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            borough, kind = rng.choice(codes), rng.choice(types)
            made = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))
            expires = made + dt.timedelta(days=rng.choice((365, 730, 1095)))
            common = {"id": next_order, "subject_id": number, "borough_code": borough, "order_type": kind}
            order_rows.append(
                {
                    **common,
                    "issued_by": "Synthetic Magistrates' Court",
                    "reference": f"SYN/{next_order}",
                    "made_on": made,
                    "expires_on": expires,
                    "conditions": "Not to enter the exclusion zone; not to act in an anti-social manner.",
                    "officer_name": "PC Synthetic Officer",
                    "officer_email": "asb@borough.example.org",
                    "officer_phone": "",
                    "created_at": moment,
                    "created_by": "benchmark",
                    "updated_at": moment,
                    "updated_by": "benchmark",
                }
            )
            plain_orders.append(
                {
                    **common,
                    "officer_name": "PC Synthetic Officer",
                    "officer_email": "asb@borough.example.org",
                    "expires_on": expires,
                }
            )
            next_order += 1
    plain_meta.create_all(database.engine)
    with database.transaction() as session:
        for model, rows in ((OrderSubject, subject_rows), (Order, order_rows)):
            for start in range(0, len(rows), 10_000):
                session.execute(insert(model), rows[start : start + 10_000])
        for table, rows in ((PLAIN_SUBJECTS, plain_rows), (PLAIN_ORDERS, plain_orders)):
            for start in range(0, len(rows), 10_000):
                session.execute(insert(table), rows[start : start + 10_000])
    return len(order_rows)


def plain_search(database: Database, who: Any, name: str, born: str) -> list[tuple[Any, ...]]:
    """The same search with encryption off: the input checked alike, a plain-text lookup, the audit row."""
    person, dob = orders.clean_name(name), orders.date_of_birth(born)
    with database.transaction() as session:
        found = session.execute(
            select(PLAIN_ORDERS)
            .join(PLAIN_SUBJECTS, PLAIN_ORDERS.c.subject_id == PLAIN_SUBJECTS.c.id)
            .where(PLAIN_SUBJECTS.c.name_key == normalise_name(person), PLAIN_SUBJECTS.c.date_of_birth == dob)
            .order_by(PLAIN_ORDERS.c.id)
        ).all()
        audit.append(session, who, "search", record_type="order", detail=f"found {len(found)}; reason: {REASON}")
        return [tuple(row) for row in found]


def encrypted_lookup(database: Database, ring: KeyRing, name: str, born: dt.date) -> int:
    with database.reading() as session:
        return len(
            session.scalars(
                select(Order.id)
                .join(OrderSubject, Order.subject_id == OrderSubject.id)
                .where(OrderSubject.person_index == ring.index(name, born))
            ).all()
        )


def plain_lookup(database: Database, name: str, born: dt.date) -> int:
    with database.reading() as session:
        return len(
            session.scalars(
                select(PLAIN_ORDERS.c.id)
                .join(PLAIN_SUBJECTS, PLAIN_ORDERS.c.subject_id == PLAIN_SUBJECTS.c.id)
                .where(PLAIN_SUBJECTS.c.name_key == normalise_name(name), PLAIN_SUBJECTS.c.date_of_birth == born)
            ).all()
        )


def timed(run: Callable[[], object], repeat: int) -> tuple[list[float], list[object]]:
    times, answers = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        answers.append(run())
        times.append((time.perf_counter() - start) * 1000)
    return times, answers


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000)
    parser.add_argument("--records", help="a records database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mf-bench-registers-"))
    url = args.records or f"sqlite:///{folder / 'bench.records.sqlite'}"
    ring = KeyRing(PersonalKey.from_secret(b"benchmark personal data key, 32+ bytes"))
    who = operator("benchmark", "localhost")
    with Database(url) as database:
        migrate.upgrade(database)
        database.personal = ring
        subjects = people(args.subjects, args.seed)
        started = time.perf_counter()
        order_count = fill(database, ring, subjects, args.seed)
        load_s = time.perf_counter() - started
        rng = random.Random(args.seed + 2)
        absent = people(args.subjects + args.searches, args.seed + 99)[-args.searches :]
        asked = [rng.choice(subjects) if rng.random() < 0.9 else rng.choice(absent) for _ in range(args.searches)]
        # typed as a user would: other case and spacing (the blind index and the plain key both normalise)
        typed = [(f"  {name.upper()} ", born) for name, born in asked]
        # warm both paths alike, then alternate blocks so drift on a shared machine hits both sides
        for name, born in typed[:50]:
            orders.search(database, who, name, born.isoformat(), REASON)
            plain_search(database, who, name, born.isoformat())
        found_enc: list[object] = []
        found_plain: list[object] = []
        times: dict[str, list[float]] = {"search_enc": [], "search_plain": [], "lookup_enc": [], "lookup_plain": []}
        for block in range(0, args.searches, 100):
            chunk = typed[block : block + 100]
            for name, born in chunk:
                t, a = timed(lambda n=name, b=born: orders.search(database, who, n, b.isoformat(), REASON), 1)
                times["search_enc"] += t
                found_enc.append(len(a[0]))  # type: ignore[arg-type]
            for name, born in chunk:
                t, a = timed(lambda n=name, b=born: plain_search(database, who, n, b.isoformat()), 1)
                times["search_plain"] += t
                found_plain.append(len(a[0]))  # type: ignore[arg-type]
            for name, born in chunk:
                times["lookup_enc"] += timed(lambda n=name, b=born: encrypted_lookup(database, ring, n, b), 1)[0]
            for name, born in chunk:
                times["lookup_plain"] += timed(lambda n=name, b=born: plain_lookup(database, n, b), 1)[0]
        assert found_enc == found_plain, "the encrypted and plain searches found different orders"
        result: dict[str, Any] = {
            "backend": database.backend,
            "subjects": args.subjects,
            "orders": order_count,
            "searches": args.searches,
            "held": sum(1 for n in found_enc if n),
            "load_seconds": round(load_s, 1),
            **{name: summary(values) for name, values in times.items()},
        }
    result["search_p95_ratio"] = round(result["search_enc"]["p95_ms"] / result["search_plain"]["p95_ms"], 2)
    result["lookup_p95_ratio"] = round(result["lookup_enc"]["p95_ms"] / result["lookup_plain"]["p95_ms"], 2)
    result["target_met"] = result["search_enc"]["p95_ms"] < 100
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{result['subjects']:,} subjects, {result['orders']:,} orders on {result['backend']} (loaded in "
        f"{result['load_seconds']} s); {result['searches']:,} searches, {result['held']} of them of people held"
    )
    for kind in ("search", "lookup"):
        enc, plain = result[f"{kind}_enc"], result[f"{kind}_plain"]
        print(
            f"{kind:7} encrypted (blind index): p50 {enc['p50_ms']:.2f} ms, p95 {enc['p95_ms']:.2f} ms, p99 {enc['p99_ms']:.2f} ms"
            f" | plain text: p50 {plain['p50_ms']:.2f} ms, p95 {plain['p95_ms']:.2f} ms, p99 {plain['p99_ms']:.2f} ms"
            f" | p95 ratio {result[f'{kind}_p95_ratio']}"
        )
    print(f"target p95 < 100 ms for the encrypted search: {'met' if result['target_met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
