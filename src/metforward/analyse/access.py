"""Visible and accessible policing: how far residents live from the nearest open police front counter.

For each LSOA (its residents placed at one point, see below) the straight-line distance, in metres in
British National Grid (EPSG:27700), to the nearest front counter open before a change (MOPAC's 2013
closures: counters whose ``current`` opening was not ``CLOSED``) and after it (``proposed`` not
``CLOSED``); for each borough and for London, the residents' mean distance (weighted by population) and
the share of residents beyond a threshold (2 km by default), before and after, with the residents who
crossed it each way. Nothing here is sampled: the figures are exact sums over LSOAs, so they carry no
interval; what they rest on (one point per LSOA, straight lines, not travel time) is said with them.

The point of an LSOA is its population-weighted centroid where one is given (ONS publishes them for
LSOA 2021 as a separate file), otherwise the centroid of its polygon, or a point on its surface where
the centroid falls outside (a crescent-shaped LSOA): London LSOAs are small (a median of about 0.2
km2), so the point moves a distance by far less than the 2 km threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

#: The default threshold: residents more than this far from an open front counter (metres).
THRESHOLD_M = 2000.0

Floats = NDArray[np.float64]


def representative_point(shape: shapely.Geometry) -> shapely.Geometry:
    """The centroid of ``shape`` when it lies inside it, otherwise a point on its surface."""
    centroid = shapely.centroid(shape)
    return centroid if shapely.contains(shape, centroid) else shapely.point_on_surface(shape)


def nearest(points: Floats, sites: Floats) -> tuple[Floats, NDArray[np.int64]]:
    """The distance from each point (n x 2, metres) to the nearest site (m x 2) and that site's index.

    Every site when there are none: infinite distance and index -1.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    sts = np.asarray(sites, dtype=np.float64).reshape(-1, 2)
    if not len(sts):
        return np.full(len(pts), np.inf), np.full(len(pts), -1, dtype=np.int64)
    out = np.empty(len(pts))
    index = np.empty(len(pts), dtype=np.int64)
    for start in range(0, len(pts), 2048):  # chunks keep the distance matrix small
        block = pts[start : start + 2048]
        d = np.hypot(block[:, None, 0] - sts[None, :, 0], block[:, None, 1] - sts[None, :, 1])
        index[start : start + len(block)] = np.argmin(d, axis=1)
        out[start : start + len(block)] = d[np.arange(len(block)), index[start : start + len(block)]]
    return out, index


@dataclass(frozen=True)
class LsoaAccess:
    """One LSOA: its residents, its point (BNG) and the nearest open counter before and after."""

    lsoa_code: str
    lsoa_name: str
    borough_code: str
    borough_name: str
    population: float
    x: float
    y: float
    distance_before_m: float
    distance_after_m: float
    nearest_before: str
    nearest_after: str
    beyond_before: bool
    beyond_after: bool

    def as_dict(self) -> dict[str, object]:
        """The JSON form (distances rounded to the metre)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("x", "y")}
        out["distance_before_m"] = round(self.distance_before_m)
        out["distance_after_m"] = round(self.distance_after_m)
        out["population"] = round(self.population)
        return out


@dataclass(frozen=True)
class AreaAccess:
    """A borough (or London): residents, their mean distance before and after, and those beyond the threshold."""

    area_code: str
    area_name: str
    lsoas: int
    population: float
    counters_before: int
    counters_after: int
    mean_before_m: float
    mean_after_m: float
    beyond_before: float
    beyond_after: float
    share_beyond_before: float
    share_beyond_after: float
    newly_beyond: float
    no_longer_beyond: float

    def as_dict(self) -> dict[str, object]:
        """The JSON form (people rounded to whole residents, distances to the metre, shares to 4 places)."""
        out: dict[str, object] = {}
        for k in self.__dataclass_fields__:
            v = getattr(self, k)
            if isinstance(v, float) and not np.isfinite(v):
                v = None
            elif k.startswith("share"):
                v = round(v, 4)
            elif isinstance(v, float):
                v = round(v)
            out[k] = v
        return out


@dataclass(frozen=True)
class Access:
    """Every LSOA, every borough and London as a whole."""

    threshold_m: float
    lsoas: list[LsoaAccess]
    boroughs: list[AreaAccess]
    london: AreaAccess


def measure_access(
    lsoas: Sequence[tuple[str, str, str, str, float, float, float]],
    counters: Sequence[tuple[str, str | None, float, float, bool, bool]],
    *,
    threshold_m: float = THRESHOLD_M,
) -> Access:
    """Distances and shares for ``lsoas`` (code, name, borough code, borough name, population, x, y in BNG)
    and ``counters`` (name, borough code, x, y, open before, open after)."""
    points = np.array([[r[5], r[6]] for r in lsoas], dtype=np.float64).reshape(-1, 2)
    names = [c[0] for c in counters]
    sites = np.array([[c[2], c[3]] for c in counters], dtype=np.float64).reshape(-1, 2)
    before_mask = np.array([c[4] for c in counters], dtype=bool)
    after_mask = np.array([c[5] for c in counters], dtype=bool)
    d_before, i_before = nearest(points, sites[before_mask])
    d_after, i_after = nearest(points, sites[after_mask])
    before_names = [n for n, m in zip(names, before_mask.tolist(), strict=True) if m]
    after_names = [n for n, m in zip(names, after_mask.tolist(), strict=True) if m]
    rows = [
        LsoaAccess(
            code,
            name,
            borough,
            borough_name,
            float(pop),
            float(x),
            float(y),
            float(d_before[i]),
            float(d_after[i]),
            before_names[i_before[i]] if i_before[i] >= 0 else "",
            after_names[i_after[i]] if i_after[i] >= 0 else "",
            bool(d_before[i] > threshold_m),
            bool(d_after[i] > threshold_m),
        )
        for i, (code, name, borough, borough_name, pop, x, y) in enumerate(lsoas)
    ]
    by_borough: dict[str, list[LsoaAccess]] = {}
    for row in rows:
        by_borough.setdefault(row.borough_code, []).append(row)
    before_in = {c[1] for c, m in zip(counters, before_mask.tolist(), strict=True) if m}
    counts = {
        code: (
            sum(1 for c, m in zip(counters, before_mask.tolist(), strict=True) if m and c[1] == code),
            sum(1 for c, m in zip(counters, after_mask.tolist(), strict=True) if m and c[1] == code),
        )
        for code in set(by_borough) | before_in
        if code
    }
    boroughs = [
        summarise(code, members[0].borough_name, members, counts.get(code, (0, 0)))
        for code, members in sorted(by_borough.items(), key=lambda kv: kv[1][0].borough_name)
    ]
    london = summarise("london", "London", rows, (int(before_mask.sum()), int(after_mask.sum())))
    return Access(threshold_m, rows, boroughs, london)


def summarise(code: str, name: str, rows: Sequence[LsoaAccess], counters: tuple[int, int]) -> AreaAccess:
    """One area's figures from its LSOAs (population-weighted means; residents beyond the threshold)."""
    pop = np.array([r.population for r in rows], dtype=np.float64)
    total = float(pop.sum())
    d_b = np.array([r.distance_before_m for r in rows], dtype=np.float64)
    d_a = np.array([r.distance_after_m for r in rows], dtype=np.float64)
    b_b = np.array([r.beyond_before for r in rows], dtype=bool)
    b_a = np.array([r.beyond_after for r in rows], dtype=bool)

    def mean(d: Floats) -> float:
        return float(np.sum(pop * d) / total) if total else float("nan")

    beyond_b, beyond_a = float(pop[b_b].sum()), float(pop[b_a].sum())
    return AreaAccess(
        area_code=code,
        area_name=name,
        lsoas=len(rows),
        population=total,
        counters_before=counters[0],
        counters_after=counters[1],
        mean_before_m=mean(d_b),
        mean_after_m=mean(d_a),
        beyond_before=beyond_b,
        beyond_after=beyond_a,
        share_beyond_before=beyond_b / total if total else float("nan"),
        share_beyond_after=beyond_a / total if total else float("nan"),
        newly_beyond=float(pop[b_a & ~b_b].sum()),
        no_longer_beyond=float(pop[b_b & ~b_a].sum()),
    )


__all__ = [
    "THRESHOLD_M",
    "Access",
    "AreaAccess",
    "LsoaAccess",
    "measure_access",
    "nearest",
    "representative_point",
    "summarise",
]
