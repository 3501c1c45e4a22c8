"""Benchmark: the allocation Monte Carlo, vectorised over draws x boroughs x indicators, against a plain pandas
loop over the same draws.

A formula of 8 indicators in two components (need: population, deprivation, density, PTAL; demand: crime,
harm, violence, robbery) over the 32 boroughs, damped (no losers, 2% cap) against a baseline, with weight
ranges on both components, 10,000 draws. Contenders, in the same run:

* ``vectorised``: :func:`metforward.analyse.allocation_uncertainty.simulate` whole: drawing the indicators (gamma for the
  counts with their over-dispersion, normal for the population), the weights, the need shares, damping by
  bisection and largest-remainder apportionment, for every draw at once, then the ranges and the noise;
* ``pipeline``: the same kernels (:func:`~metforward.analyse.allocation.run`) on the draws made beforehand;
* ``pandas loop`` (the baseline): the same draws, one at a time, as an analyst's script would do it: a
  DataFrame of the draw, shares by column, the weighted need share, damping by bisection on a Series and
  largest remainder by sorting the remainders. Its allocations are checked equal to the pipeline's.

No data is read: the values are drawn with a fixed seed at the scale of London's boroughs.

Usage: ``python benchmarks/allocation.py [--draws 10000] [--loop-draws 500] [--json]``. The pandas loop takes
about a fifth of a second a draw on this machine, so by default it is timed on the first 500 draws and scaled
to all of them (``--loop-draws 10000`` times it on every draw: about half an hour).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import pandas as pd

from metforward.analyse.allocation import Component, Damping, Formula, Setup, Term, damping_bounds, run
from metforward.analyse.allocation_uncertainty import Noise, draw_values, draw_weights, simulate

NAMES = ["population", "deprivation", "density", "ptal", "crime", "harm", "violence", "robbery"]
TRANSFORMS = {"deprivation": "population_weighted", "ptal": "population_weighted"}


def formula() -> Formula:
    need = tuple(Term(n, w, TRANSFORMS.get(n, "share")) for n, w in zip(NAMES[:4], (0.5, 0.3, 0.1, 0.1), strict=True))
    demand = tuple(Term(n, w) for n, w in zip(NAMES[4:], (0.4, 0.3, 0.2, 0.1), strict=True))
    return Formula(
        "benchmark",
        19565,
        (Component("need", 0.4, need, (0.3, 0.5)), Component("demand", 0.6, demand, (0.5, 0.7))),
        damping=Damping(no_losers=True, cap=0.02),
    )


def inputs(seed: int = 2005) -> tuple[Setup, np.ndarray, Noise]:
    """London-like values: 32 boroughs, 8 indicators, a baseline 1.5% below the total."""
    rng = np.random.default_rng(seed)
    population = rng.uniform(1.6e5, 4.0e5, 32)
    values = np.column_stack(
        [
            population,
            rng.uniform(10, 40, 32),
            rng.uniform(20, 160, 32),
            rng.uniform(5, 60, 32),
            population * rng.uniform(0.06, 0.2, 32),
            population * rng.uniform(20, 80, 32),
            population * rng.uniform(0.02, 0.05, 32),
            population * rng.uniform(0.002, 0.01, 32),
        ]
    )
    f = formula()
    share = values[:, 4] / values[:, 4].sum()
    baseline = np.round(share * 19276)
    setup = Setup(f, {n: i for i, n in enumerate(NAMES)}, 0, baseline, None, np.zeros(32, dtype=np.int64))
    kinds = ("relative", "relative", "relative", "relative", "count", "count", "count", "count")
    noise = Noise(kinds, np.array([0, 0, 0, 0, 9.0, 3000.0, 4.0, 2.0]), np.array([0.02, 0, 0, 0, 0, 0, 0, 0]))
    return setup, values, noise


def pandas_loop(setup: Setup, drawn: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The baseline: one draw at a time in pandas (shares, need, damping by bisection, largest remainder)."""
    f = setup.formula
    total = setup.shared
    bounds = damping_bounds(f.damping, setup.baseline, None, float(total))
    low_int = np.ceil(bounds.lower - 1e-9)  # whole-officer bounds (they allow the total here)
    high_int = np.floor(bounds.upper + 1e-9)
    lower = pd.Series(low_int)
    upper = pd.Series(high_int)
    terms = [(t.indicator, t.transform) for _, t in f.terms]
    out = np.empty((drawn.shape[0], drawn.shape[1]), dtype=np.int64)
    for d in range(drawn.shape[0]):
        frame = pd.DataFrame(drawn[d], columns=NAMES)
        need = pd.Series(0.0, index=frame.index)
        for (name, how), w in zip(terms, weights[d], strict=True):
            column = frame[name]
            if how == "population_weighted":
                column = column * frame["population"]
            need += w * column / column.sum()
        raw = need / need.sum() * total
        lo, hi = 0.0, max(float((upper.where(np.isfinite(upper), lower) / raw).max()), total / float(raw.min())) * 2 + 1
        for _ in range(60):
            mid = (lo + hi) / 2
            if (raw * mid).clip(lower, upper).sum() < total:
                lo = mid
            else:
                hi = mid
        damped = (raw * (lo + hi) / 2).clip(lower, upper)
        seats = np.clip(np.floor(damped + 1e-9), low_int, high_int)
        short = int(total - seats.sum())
        remainder = pd.Series(damped - seats).where(seats < high_int, -np.inf)
        order = remainder.sort_values(ascending=False, kind="stable").index[:short]
        seats[order] += 1
        out[d] = seats.astype(np.int64)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-draws", type=int, default=500, help="time the pandas loop on this many draws, scaled")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()

    setup, values, noise = inputs()
    simulate(setup, values, noise, draws=200)  # warm-up (imports, first allocations)
    start = time.perf_counter()
    result = simulate(setup, values, noise, draws=args.draws, seed=1)
    whole = time.perf_counter() - start

    rng = np.random.default_rng(7)
    drawn = draw_values(values, noise, args.draws, rng)
    weights = draw_weights(setup.formula, args.draws, rng)
    start = time.perf_counter()
    piped = run(setup, drawn, weights, detail=False).allocation
    pipeline = time.perf_counter() - start

    n_loop = min(args.loop_draws or args.draws, args.draws)
    start = time.perf_counter()
    looped = pandas_loop(setup, drawn[:n_loop], weights[:n_loop])
    loop = (time.perf_counter() - start) * args.draws / n_loop
    agree = float((looped == piped[:n_loop]).all(axis=1).mean())

    figures = {
        "draws": args.draws,
        "areas": 32,
        "indicators": len(NAMES),
        "vectorised_s": round(whole, 3),
        "pipeline_s": round(pipeline, 3),
        "pandas_loop_s": round(loop, 2),
        "pandas_loop_draws_timed": n_loop,
        "ratio_loop_to_vectorised": round(loop / whole, 1),
        "ratio_loop_to_pipeline": round(loop / pipeline, 1),
        "draws_agreeing": agree,
        "under_2s": whole < 2.0,
        "widest_range": int((result.allocation_high - result.allocation_low).max()),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"allocation Monte Carlo: {args.draws:,} draws x 32 boroughs x {len(NAMES)} indicators, damped, largest remainder"
    )
    print(
        f"  vectorised (simulate: draws, weights, pipeline, ranges, noise) {whole:8.3f} s  {'under' if whole < 2 else 'OVER'} 2 s"
    )
    print(f"  vectorised pipeline on draws made beforehand                   {pipeline:8.3f} s")
    scaled = "" if n_loop == args.draws else f" (timed on {n_loop:,} draws, scaled)"
    print(f"  pandas loop over the same draws (baseline)                     {loop:8.2f} s{scaled}")
    print(f"  ratio: baseline / vectorised {loop / whole:,.0f}x; baseline / pipeline {loop / pipeline:,.0f}x")
    print(f"  allocations equal in {100 * agree:.1f}% of the draws compared (ties of remainders aside)")
    if not math.isfinite(loop):
        raise SystemExit("the baseline did not run")


if __name__ == "__main__":
    main()
