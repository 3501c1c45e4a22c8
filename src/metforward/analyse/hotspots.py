"""Hot spots: the Getis-Ord Gi* statistic on a regular grid or on areas, with FDR control.

For each unit i (a grid cell or an LSOA) with count x_i, Gi* compares the sum of the counts of i
and its neighbours with what it would be if counts were spread at random over the study area:

    G*_i = sum_j w_ij x_j / sum_j x_j,      E[G*_i] = W_i / n,
    Var[G*_i] = W_i (n - W_i) / (n - 1) / n**2 * s**2 / xbar**2

with binary weights w_ij (1 for every unit within the distance band of i, i itself included,
0 otherwise), W_i = sum_j w_ij, xbar and s**2 the mean and variance (divided by n) of the counts;
z_i = (G*_i - E) / sqrt(Var) (Getis and Ord 1992; Ord and Getis 1995). This is the statistic of
PySAL esda's ``G_Local(y, w, star=True, transform="B")`` and of ArcGIS's Hot Spot Analysis, and a
test holds metforward's z scores to esda's to 1e-6.

Analytical p values are two-sided from the normal distribution. Optional permutation inference
is conditional randomisation (Anselin 1995): i's own count stays in place and its neighbours'
counts are drawn at random, without replacement, from the other n - 1 units, ``permutations``
times with a seed; like esda, one set of random draws serves every unit. The pseudo p value is
esda's "directed" one, ``(min(#{G >= G_obs}, P - #{G >= G_obs}) + 1) / (P + 1)``, doubled for a
two-sided test. q values (Benjamini-Hochberg) run across every unit of the study area, and a unit
is ``hot`` (z > 0) or ``cold`` (z < 0) when its q value is below alpha, otherwise ``none``.

The normal approximation wants more than a handful of crimes per neighbourhood; on sparse counts
(many cells with 0) prefer permutation inference.

Every function here expects British National Grid coordinates (EPSG:27700, metres).

References
----------
Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of distance
    statistics. Geographical Analysis 24(3):189-206.
Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues
    and an application. Geographical Analysis 27(4):286-306.
Anselin, L. (1995). Local indicators of spatial association: LISA. Geographical Analysis
    27(2):93-115.
Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57:289-300.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from metforward.analyse import lazy
from metforward.analyse.poisson import bh_qvalues
from metforward.errors import InvalidValueError

if TYPE_CHECKING:
    from scipy import sparse, special
else:
    sparse = lazy.module("scipy.sparse")
    special = lazy.module("scipy.special")

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

#: The classes a unit can get.
CLASSES = ("hot", "cold", "none")


@dataclass(frozen=True)
class Grid:
    """Square cells of ``cell_size`` metres in British National Grid (EPSG:27700).

    Cell k has its lower-left corner at ``(x[k], y[k])``; ``col`` and ``row`` count cells from the
    grid's origin ``(x0, y0)``, which is a multiple of the cell size.
    """

    cell_size: float
    x0: float
    y0: float
    col: Ints
    row: Ints

    @property
    def n(self) -> int:
        """Number of cells."""
        return len(self.col)

    @property
    def x(self) -> Floats:
        """Easting of each cell's lower-left corner (EPSG:27700, metres)."""
        return np.asarray(self.x0 + self.col * self.cell_size, dtype=np.float64)

    @property
    def y(self) -> Floats:
        """Northing of each cell's lower-left corner (EPSG:27700, metres)."""
        return np.asarray(self.y0 + self.row * self.cell_size, dtype=np.float64)

    def polygons(self) -> NDArray[np.object_]:
        """Each cell as a shapely box (EPSG:27700)."""
        return np.asarray(shapely.box(self.x, self.y, self.x + self.cell_size, self.y + self.cell_size), dtype=object)

    def locate(self, x: ArrayLike, y: ArrayLike) -> Ints:
        """The cell index of each point (EPSG:27700), or -1 for points outside every cell.

        A point on an edge belongs to the cell above and to the right of it.
        """
        px, py = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        c = np.floor((px - self.x0) / self.cell_size).astype(np.int64)
        r = np.floor((py - self.y0) / self.cell_size).astype(np.int64)
        width = int(self.col.max()) + 1 if self.n else 1
        keys = self.row * width + self.col
        order = np.argsort(keys)
        wanted = np.where((c >= 0) & (c < width) & (r >= 0), r * width + c, -1)
        pos = np.searchsorted(keys[order], wanted)
        pos = np.clip(pos, 0, max(self.n - 1, 0))
        found = (wanted >= 0) & (keys[order][pos] == wanted) if self.n else np.zeros(len(px), bool)
        return np.where(found, order[pos], -1)

    def counts(self, x: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None) -> tuple[Floats, int]:
        """Points (EPSG:27700) counted per cell, optionally weighted; and how many fell outside the grid."""
        cell = self.locate(x, y)
        inside = cell >= 0
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[inside]
        out = np.bincount(cell[inside], weights=w, minlength=self.n).astype(np.float64)
        return out, int((~inside).sum())


def grid_over(
    cell_size: float,
    *,
    area: shapely.Geometry | None = None,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
) -> Grid:
    """The cells of ``cell_size`` metres that cover a study area (EPSG:27700).

    With ``area`` (a polygon in EPSG:27700): every cell that overlaps it (touching at an edge is
    not overlapping), and every cell holding one of the points ``x``, ``y`` if given (points are
    placed in an area by their LSOA, which a generalised boundary can leave outside: their cells
    are part of the study area all the same). Without ``area``: every cell of the bounding box of
    the points. Origins are multiples of the cell size, so grids of one size line up across areas.
    """
    if not cell_size > 0 or not math.isfinite(cell_size):
        raise InvalidValueError(f"the cell size must be a positive number of metres, not {cell_size!r}")
    px = np.asarray([] if x is None else x, dtype=np.float64)
    py = np.asarray([] if y is None else y, dtype=np.float64)
    bounds = []
    if area is not None:
        bounds.append(area.bounds)
    if px.size:
        bounds.append((px.min(), py.min(), px.max(), py.max()))
    if not bounds:
        raise InvalidValueError("a grid needs a study area or at least one point")
    minx, miny = min(b[0] for b in bounds), min(b[1] for b in bounds)
    maxx, maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
    x0, y0 = math.floor(minx / cell_size) * cell_size, math.floor(miny / cell_size) * cell_size
    ncol = max(1, math.floor((maxx - x0) / cell_size) + 1)
    nrow = max(1, math.floor((maxy - y0) / cell_size) + 1)
    rows, cols = np.divmod(np.arange(ncol * nrow, dtype=np.int64), ncol)
    grid = Grid(float(cell_size), float(x0), float(y0), cols, rows)
    if area is None:
        return grid
    shapely.prepare(area)
    cells = grid.polygons()
    keep = shapely.intersects(area, cells) & ~shapely.touches(area, cells)
    if px.size:
        keep[grid.locate(px, py)] = True
    return Grid(float(cell_size), float(x0), float(y0), cols[keep], rows[keep])


def band_weights(grid: Grid, band: float | None = None) -> sparse.csr_array:
    """Binary distance-band weights between the cells of ``grid``, each cell its own neighbour.

    w_ij = 1 when the centres of cells i and j are at most ``band`` metres apart (i = j included);
    ``band`` defaults to the queen neighbourhood (the eight cells around, at ``cell_size * sqrt 2``).
    A small tolerance (1e-6 of the cell size) keeps exact band edges in.
    """
    size = grid.cell_size
    reach = size * math.sqrt(2) if band is None else float(band)
    if not reach >= 0:
        raise InvalidValueError(f"the distance band must be 0 or more metres, not {band!r}")
    k = int(math.floor(reach / size + 1e-9))
    dc, dr = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1))
    close = np.hypot(dc, dr) * size <= reach + 1e-6 * size
    offsets = np.column_stack([dc[close], dr[close]])
    width = int(grid.col.max()) + 2 * k + 1 if grid.n else 1
    keys = (grid.row + k) * width + (grid.col + k)
    order = np.argsort(keys)
    sorted_keys = keys[order]
    rows_out, cols_out = [], []
    for dcol, drow in offsets:
        target = (grid.row + drow + k) * width + (grid.col + dcol + k)
        pos = np.clip(np.searchsorted(sorted_keys, target), 0, max(grid.n - 1, 0))
        hit = sorted_keys[pos] == target
        rows_out.append(np.nonzero(hit)[0])
        cols_out.append(order[pos[hit]])
    i = np.concatenate(rows_out) if rows_out else np.zeros(0, np.int64)
    j = np.concatenate(cols_out) if cols_out else np.zeros(0, np.int64)
    return sparse.csr_array((np.ones(len(i)), (i, j)), shape=(grid.n, grid.n))


def contiguity_weights(shapes: Sequence[shapely.Geometry]) -> sparse.csr_array:
    """Binary queen-contiguity weights between areas (sharing any boundary point), each its own neighbour."""
    geoms = np.asarray(shapes, dtype=object)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    n = len(geoms)
    return sparse.csr_array((np.ones(len(i)), (i, j)), shape=(n, n))


@dataclass(frozen=True)
class GiStar:
    """Gi* for every unit: statistic, expectation, variance, z, p value (two-sided), and, with
    permutations, the pseudo p value (two-sided) and its count of permutations."""

    g: Floats
    expected: Floats
    variance: Floats
    z: Floats
    p_value: Floats
    p_sim: Floats | None
    permutations: int


def getis_ord_star(y: ArrayLike, w: sparse.csr_array, *, permutations: int = 0, seed: int | None = None) -> GiStar:
    """Getis-Ord Gi* of counts ``y`` under binary weights ``w`` (self-neighbours included).

    Equals esda's ``G_Local(y, w, star=True, transform="B")`` (its ``Gs``, ``EGs``, ``VGs``, ``Zs``);
    see the module docstring for the formulas and the permutation scheme.
    """
    values = np.asarray(y, dtype=np.float64).ravel()
    n = len(values)
    if w.shape != (n, n):
        raise ValueError(f"the weights are {w.shape[0]} x {w.shape[1]} but there are {n} units")
    if n < 2:
        raise InvalidValueError("Gi* needs at least two units")
    total = values.sum()
    lag = w @ values
    cardinality = w @ np.ones(n)  # row sums (W_i), faster than .sum(axis=1) on a sparse array
    mean = total / n
    variance_y = (values**2).sum() / n - mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        g = lag / total
        expected = cardinality / n
        variance = cardinality * (n - cardinality) / (n - 1) / n**2 * variance_y / mean**2
        z = (g - expected) / np.sqrt(variance)
    z = np.where(np.isfinite(z), z, np.nan)
    p = 2 * special.ndtr(-np.abs(z))  # the normal upper tail, as stats.norm.sf computes it
    p_sim = None
    if permutations:
        p_sim = np.minimum(1.0, 2 * _directed_pseudo_p(values, w, lag, permutations, seed))
    return GiStar(g, expected, variance, z, p, p_sim, permutations)


def random_draws(n: int, k: int, permutations: int, seed: int | None) -> Ints:
    """``permutations`` rows of ``k`` distinct ids drawn from 0 .. n - 2 (the units other than the focal one)."""
    if k > n - 1:
        raise ValueError(f"cannot draw {k} neighbours from {n - 1} other units")
    rng = np.random.default_rng(seed)
    ids = np.empty((permutations, k), dtype=np.int64)
    for p in range(permutations):
        ids[p] = rng.choice(n - 1, size=k, replace=False)
    return ids


def _directed_pseudo_p(values: Floats, w: sparse.csr_array, lag: Floats, permutations: int, seed: int | None) -> Floats:
    """esda's directed pseudo p values of conditional randomisation, computed without a loop over units.

    One matrix of random draws ``ids`` (permutations x k_max, distinct ids in 0..n-2) serves every
    unit. For unit i the draw id r stands for unit r + (r >= i), i.e. the other units with i left
    out. The random neighbour sum of unit i with k_i neighbours in permutation p is then
    ``sum_{c < k_i} v[ids[p, c]] + sum_{c < k_i, ids[p, c] >= i} (v[ids[p, c] + 1] - v[ids[p, c]])``:
    the first term is one number per permutation, the second a suffix sum over i, built by scatter
    and cumulative sum in O(n) per permutation.
    """
    n = len(values)
    off = w.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    card = np.diff(off.indptr).astype(np.int64)
    k_max = int(card.max()) if n else 0
    observed_other = lag - values * w.diagonal()
    larger = np.zeros(n, dtype=np.int64)
    if k_max == 0:
        return np.ones(n)
    ids = random_draws(n, k_max, permutations, seed)
    padded = np.append(values, 0.0)
    step = padded[ids + 1] - padded[ids]  # v[r + 1] - v[r] for each draw
    base = padded[ids]
    chunk = max(1, int(4_000_000 // max(n, 1)))
    for k in np.unique(card):
        if k == 0:
            continue
        units = np.nonzero(card == k)[0]
        target = observed_other[units]
        direct = len(units) * k < n  # few units: sum their k draws directly; many: one prefix sum per permutation
        for start in range(0, permutations, chunk):
            stop = min(permutations, start + chunk)
            rows = stop - start
            first = base[start:stop, :k].sum(axis=1)
            if direct:
                above = ids[start:stop, None, :k] >= units[None, :, None]
                sums = first[:, None] + (step[start:stop, None, :k] * above).sum(axis=2)
            else:
                # prefix[p, i] = sum of step over draws with id < i; the suffix (id >= i) is the rest
                scatter = np.zeros((rows, n + 1))
                scatter[np.arange(rows)[:, None], ids[start:stop, :k] + 1] = step[start:stop, :k]  # distinct ids
                prefix = np.cumsum(scatter, axis=1, out=scatter)
                sums = (first + prefix[:, -1])[:, None] - prefix[:, units]
            larger[units] += (sums >= target).sum(axis=0)
    low = (permutations - larger) < larger
    larger = np.where(low, permutations - larger, larger)
    return np.asarray((larger + 1.0) / (permutations + 1.0), dtype=np.float64)


@dataclass(frozen=True)
class HotSpots:
    """Gi* with q values and classes over every unit of a study area."""

    counts: Floats
    gi: GiStar
    q_value: Floats
    classes: list[str]
    alpha: float

    @property
    def p_used(self) -> Floats:
        """The p values the q values were made from (permutation ones when there were permutations)."""
        return self.gi.p_sim if self.gi.p_sim is not None else self.gi.p_value


def classify(
    counts: ArrayLike, w: sparse.csr_array, *, alpha: float = 0.05, permutations: int = 0, seed: int | None = None
) -> HotSpots:
    """Gi* on ``counts``, Benjamini-Hochberg q values across all units, and hot / cold / none at ``alpha``."""
    if not 0 < alpha < 1:
        raise InvalidValueError("alpha must lie between 0 and 1")
    values = np.asarray(counts, dtype=np.float64)
    gi = getis_ord_star(values, w, permutations=permutations, seed=seed)
    p = gi.p_sim if gi.p_sim is not None else gi.p_value
    q = bh_qvalues(np.where(np.isfinite(gi.z), p, np.nan))
    classes = [
        "hot" if qi < alpha and zi > 0 else "cold" if qi < alpha and zi < 0 else "none"
        for qi, zi in zip(np.nan_to_num(q, nan=1.0), np.nan_to_num(gi.z), strict=True)
    ]
    return HotSpots(values, gi, q, classes, alpha)
