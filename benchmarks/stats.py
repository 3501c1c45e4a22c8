"""Micro-benchmark: the vectorised exact binomial test against a loop of ``scipy.stats.binomtest``.

A compare table of about 1,500 rows (32 boroughs x ~47 police.uk and Datastore categories) needs one
exact two-sided test per row. Contenders, in the same run, on the same synthetic rows:

* ``vectorised``: :func:`metforward.analyse.poisson.binom_test_two_sided` on all rows at once;
* ``loop`` (the baseline): ``scipy.stats.binomtest(k, n, p).pvalue`` called row by row;
* ``table``: everything the compare table computes, :func:`compare_poisson` (test and exact
  interval) + :func:`bh_qvalues` + :func:`verdicts`.

It also checks that the two p-value routes agree. No data is read; the counts are drawn with a
fixed seed to look like borough x category counts over twelve months (a few to tens of thousands).

Usage: ``python benchmarks/stats.py [--rows 1500] [--repeat 15] [--json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import stats

from metforward.analyse.poisson import bh_qvalues, binom_test_two_sided, compare_poisson, verdicts


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rows(count: int, seed: int = 2018) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Before/after counts and months of data, like a borough x category table over a year."""
    rng = np.random.default_rng(seed)
    level = rng.lognormal(mean=5.0, sigma=1.6, size=count)  # median ~150 a year, some ~20,000
    before = rng.poisson(level)
    after = rng.poisson(level * rng.lognormal(0.0, 0.15, size=count))
    t_before = np.where(rng.random(count) < 0.1, 11.0, 12.0)  # a month missing here and there
    t_after = np.full(count, 12.0)
    return before, after, t_before, t_after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()

    before, after, t_before, t_after = rows(args.rows)
    k, n, p = after, before + after, t_after / (t_before + t_after)

    def vectorised() -> np.ndarray:
        return binom_test_two_sided(k, n, p)

    def loop() -> list[float]:
        return [
            1.0 if ni == 0 else float(stats.binomtest(int(ki), int(ni), float(pi)).pvalue)
            for ki, ni, pi in zip(k, n, p, strict=True)
        ]

    def table() -> list[str]:
        result = compare_poisson(before, after, t_before, t_after)
        return verdicts(result.rate_ratio, bh_qvalues(result.p_value))

    fast, slow = np.asarray(vectorised()), np.asarray(loop())
    max_rel = float(np.max(np.abs(fast - slow) / slow))
    identical = float(np.mean(fast == slow))

    t_vec = timed(vectorised, args.repeat)
    t_loop = timed(loop, max(3, args.repeat // 5))
    t_table = timed(table, args.repeat)
    figures = {
        "rows": args.rows,
        "max_n": int(n.max()),
        "vectorised_ms": round(t_vec * 1000, 2),
        "scipy_loop_ms": round(t_loop * 1000, 1),
        "speedup": round(t_loop / t_vec, 1),
        "table_ms": round(t_table * 1000, 2),
        "max_relative_difference": max_rel,
        "identical_share": identical,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{args.rows:,} rows (largest n = before + after: {figures['max_n']:,})")
    print(f"  vectorised binom_test_two_sided : {figures['vectorised_ms']:8.2f} ms")
    print(f"  loop of scipy.stats.binomtest   : {figures['scipy_loop_ms']:8.1f} ms")
    print(f"  ratio (loop / vectorised)       : {figures['speedup']:8.1f}x")
    print(f"  whole table (test, exact interval, q values, verdicts): {figures['table_ms']:.2f} ms")
    print(f"  agreement: max relative difference {max_rel:.1e}; bit-identical share {identical:.3f}")


if __name__ == "__main__":
    main()
