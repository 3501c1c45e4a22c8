"""Benchmark: Getis-Ord Gi* over all London at 250 m, metforward against PySAL esda, like for like.

Data: the derived all-crime police.uk points for London in the shared corpus
(``policeuk/london-all-crime-points-derived/``, Met + City, 2025-09 .. 2025-11), moved to British
National Grid with pyproj and counted on a 250 m grid over the GLA boundary of the 33 boroughs
(every cell overlapping London, and every cell holding a point).

Both contenders get the same counts and the same binary queen weights (self included):

* analytical z: ``metforward.analyse.hotspots.getis_ord_star(y, w)`` against esda's
  ``G_Local(y, w, star=True, transform="B", permutations=0)``;
* permutation inference: both with 999 permutations.

The esda weights object is built once, outside the timings. Each timing is the median of
``--repeat`` runs (permutations: of fewer runs). Memory: the peak of Python-tracked allocations
(``tracemalloc``, which sees NumPy's buffers) during one call. The run checks the z scores are
equal (to 1e-6) and the permutation p values agree within Monte Carlo error, and prints ratios.

Usage: ``python benchmarks/hotspots.py [--corpus PATH] [--cell-size 250] [--repeat 7] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow.csv as pacsv
import shapely

from metforward.analyse.geo import to_bng
from metforward.analyse.hotspots import band_weights, getis_ord_star, grid_over

REPO = Path(__file__).resolve().parents[1]


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median seconds over ``repeat`` calls (after a warm-up), peak traced MB of one call, last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 1e6, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("METFORWARD_CORPUS", REPO.parent / "shared" / "data"))
    )
    parser.add_argument("--cell-size", type=float, default=250.0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    points_dir = args.corpus / "policeuk" / "london-all-crime-points-derived"
    boroughs = args.corpus / "boundaries" / "boroughs" / "london_boroughs_33_BNG_EPSG27700.geojson"
    if not points_dir.is_dir() or not boroughs.is_file():
        print(f"SKIPPED: the shared corpus is not at {args.corpus} (set METFORWARD_CORPUS)")
        return 0
    try:
        import esda
        import libpysal
    except ImportError:
        print("SKIPPED: esda/libpysal are not installed (pip install -e '.[dev]')")
        return 0

    lon, lat = [], []
    for path in sorted(points_dir.glob("*.csv.gz")):
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(include_columns=["Longitude", "Latitude"]))
        lon.append(table["Longitude"].to_numpy(zero_copy_only=False))
        lat.append(table["Latitude"].to_numpy(zero_copy_only=False))
    lon_all, lat_all = np.concatenate(lon), np.concatenate(lat)
    located = np.isfinite(lon_all) & np.isfinite(lat_all)
    x, y = to_bng(lon_all[located], lat_all[located])
    london = shapely.union_all(gpd.read_file(boroughs).to_crs(27700).geometry.to_numpy())
    inside = shapely.contains_xy(london, x, y)
    x, y = x[inside], y[inside]
    grid = grid_over(args.cell_size, area=london, x=x, y=y)
    counts, _ = grid.counts(x, y)
    start = time.perf_counter()
    w = band_weights(grid)
    weights_s = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        w_esda = libpysal.weights.WSP(w.tocsr()).to_W(silence_warnings=True)
        esda_weights_s = time.perf_counter() - start

        def ours(p: int) -> Any:
            return getis_ord_star(counts, w, permutations=p, seed=1)

        def theirs(p: int) -> Any:
            return esda.getisord.G_Local(counts, w_esda, transform="B", star=True, permutations=p, seed=2)

        a_ours, m_a_ours, r_ours = measure(lambda: ours(0), args.repeat)
        a_esda, m_a_esda, r_esda = measure(lambda: theirs(0), args.repeat)
        perm_repeat = max(1, min(3, args.repeat))
        p_ours, m_p_ours, rp_ours = measure(lambda: ours(args.permutations), perm_repeat)
        p_esda, m_p_esda, rp_esda = measure(lambda: theirs(args.permutations), perm_repeat)
    z_diff = float(np.nanmax(np.abs(r_ours.z - r_esda.Zs)))
    p_theirs = np.minimum(1.0, 2 * rp_esda.p_sim)
    p_diff = np.abs(rp_ours.p_sim - p_theirs)
    figures = {
        "points": int(len(x)),
        "cells": grid.n,
        "cell_size": args.cell_size,
        "weights_build_s": weights_s,
        "esda_weights_from_sparse_s": esda_weights_s,
        "analytical_s": {"metforward": a_ours, "esda": a_esda},
        "analytical_speedup": a_esda / a_ours,
        "analytical_peak_mb": {"metforward": m_a_ours, "esda": m_a_esda},
        "permutations": args.permutations,
        "permutation_s": {"metforward": p_ours, "esda": p_esda},
        "permutation_speedup": p_esda / p_ours,
        "permutation_peak_mb": {"metforward": m_p_ours, "esda": m_p_esda},
        "max_abs_z_difference": z_diff,
        "p_sim_mean_abs_difference": float(p_diff.mean()),
        "p_sim_99th_percentile_difference": float(np.quantile(p_diff, 0.99)),
        "esda": esda.__version__,
        "numba": "numba" in sys.modules,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"Gi* over London: {figures['points']:,} located crimes (2025-09..11, Met + City), {grid.n:,} cells of {args.cell_size:.0f} m, queen weights"
    )
    print(
        f"weights: metforward builds them in {weights_s * 1000:.1f} ms; converting them for esda takes {esda_weights_s:.2f} s (not timed below)"
    )
    print(f"{'':28}{'metforward':>12}{'esda ' + esda.__version__:>14}{'ratio':>10}")
    print(f"{'analytical z, seconds':28}{a_ours:12.4f}{a_esda:14.4f}{a_esda / a_ours:9.0f}x   (target >= 100x)")
    print(f"{'analytical z, peak MB':28}{m_a_ours:12.1f}{m_a_esda:14.1f}{m_a_esda / max(m_a_ours, 1e-9):9.1f}x")
    print(
        f"{str(args.permutations) + ' permutations, seconds':28}{p_ours:12.3f}{p_esda:14.3f}{p_esda / p_ours:9.1f}x   (target >= 3x)"
    )
    print(
        f"{str(args.permutations) + ' permutations, peak MB':28}{m_p_ours:12.1f}{m_p_esda:14.1f}{m_p_esda / max(m_p_ours, 1e-9):9.1f}x"
    )
    print(
        f"equal answers: max |z difference| {z_diff:.2e} (must be < 1e-6); permutation p values (two-sided) differ by "
        f"{p_diff.mean():.4f} on average, {np.quantile(p_diff, 0.99):.3f} at the 99th percentile (Monte Carlo error)"
    )
    print(f"esda ran without numba (not installed): {not figures['numba']}")
    return 0 if z_diff < 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
