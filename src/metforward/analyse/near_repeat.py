"""The Knox near-repeat test: do events close in space also happen close in time more often than chance?

Every pair of events is put in one cell of a contingency table of (space band, time band), the way
Ratcliffe's Near Repeat Calculator does it (Ratcliffe 2009; Johnson et al. 2007). The observed
count of pairs in each cell is compared with the counts the same events would give if *when* an
event happened had nothing to do with *where*: the null of no space-time interaction (Knox 1964).
That null distribution is built by Monte Carlo permutation. The locations stay fixed and the event
times are shuffled among the events, ``permutations`` times: permutation k (k = 1, 2, ...) applies
``rng.permutation(n)`` drawn in order from ``numpy.random.default_rng(seed)``, so that the times
become ``t[perm]``.

Band edges (the calculator's convention)
----------------------------------------
Space, with width ``w = space_bandwidth`` metres and ``S = space_bands`` bands: band 0 is "same
location", a distance of exactly 0; band k (1 <= k <= S) holds distances d in ((k-1) w, k w], that
is band ``ceil(d / w)``, labelled "1-100 m", "101-200 m", ... for w = 100; pairs further apart than
S w fall in the last band, "beyond 500 m". Distances are Euclidean, ``sqrt(dx**2 + dy**2)``.

Time, with width ``w = time_bandwidth`` units and ``T = time_bands`` bands, on the absolute
difference ``dt = |t_i - t_j|`` of integer times:

* ``time_unit="day"``: band 0 covers [0, w] and band k >= 1 covers (k w, (k+1) w], i.e. for w = 7
  the bands "0-7 days", "8-14 days", ..., "29-35 days", then "beyond 35 days" -- exactly the
  calculator's labels (its first band takes w + 1 integer values, the others w).
* ``time_unit="month"``: police.uk publishes only the month of a crime, so the caller passes a
  month index (e.g. ``12 * year + month``) and ``time_bandwidth=1``. Band 0 is then "same month"
  (dt = 0) and band k >= 1 covers ((k-1) w, k w] months -- with w = 1 the bands are "same month",
  "1 month", "2 months", ... and "beyond 4 months". (The day convention would fold "same month"
  and "1 month" into one band.) At month resolution every band is in months.

There are ``T`` finite time bands (0 .. T-1) and one "beyond" band.

Inference
---------
For each cell: the expected count is the mean of the permuted counts; the Knox ratio is
observed / expected (NaN where the expected count is 0); the p value is one-sided, for "more pairs
than chance", ``(1 + #{permuted >= observed}) / (permutations + 1)`` as in the calculator; q values
are Benjamini-Hochberg adjusted across all cells of the table
(``scipy.stats.false_discovery_control``).

Computation
-----------
The n (n - 1) / 2 pairs are never enumerated. ``scipy.spatial.cKDTree.query_pairs`` finds the
pairs no further apart than S w; only they can fill the finite space bands, and their space band
never changes. The "beyond" space row is every pair's count minus the near pairs', per time band.
The number of pairs of *all* events whose time difference is dt, for every dt, is the
autocorrelation of the histogram of event times (``np.correlate``, or an FFT for long time spans),
and it does not change when times are shuffled among the events (the multiset of times is the
same). So the beyond-space row needs no pair enumeration, and its expected counts are exact:
only the near pairs' time differences are recomputed per permutation, vectorised over chunks of
permutations with one ``np.bincount`` on a combined (permutation, cell) index.

Coordinates must be in metres in a projected CRS: British National Grid (EPSG:27700) or any other
metric CRS. Nothing here transforms coordinates.

References
----------
Knox, E. G. (1964). The detection of space-time interactions. Journal of the Royal Statistical
    Society, Series C (Applied Statistics) 13(1):25-29.
Johnson, S. D., Bernasco, W., Bowers, K. J., Elffers, H., Ratcliffe, J., Rengert, G. and
    Townsley, M. (2007). Space-time patterns of risk: a cross national assessment of residential
    burglary victimization. Journal of Quantitative Criminology 23(3):201-219.
Ratcliffe, J. H. (2009). Near Repeat Calculator (version 1.3) user guide. Temple University,
    Philadelphia, and the National Institute of Justice, Washington, DC.
Ratcliffe, J. H. and Rengert, G. F. (2008). Near-repeat patterns in Philadelphia shootings.
    Security Journal 21(1-2):58-76.
Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57:289-300.

Over 400 lines on purpose: the band conventions, the pair counting, the permutation null and the
report of one Knox test are one method (Ratcliffe's calculator), checked as one against its published
outputs; the split would scatter one citation.
"""

from __future__ import annotations

import math
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from metforward.analyse import lazy
from metforward.errors import InvalidValueError

if TYPE_CHECKING:
    from scipy import signal, spatial, stats
else:
    signal = lazy.module("scipy.signal")
    spatial = lazy.module("scipy.spatial")
    stats = lazy.module("scipy.stats")

TimeUnit = Literal["day", "month"]

_TIME_UNITS: tuple[str, ...] = ("day", "month")
# Autocorrelate the time histogram directly below this many distinct time values, by FFT above.
_FFT_THRESHOLD = 4096
# Elements of the (permutations x near pairs) working arrays per chunk.
_CHUNK_ELEMENTS = 2_000_000
# Longest supported time span, in time units (about 27,000 years of days): bounds the lookup tables.
_MAX_TIME_SPAN = 10_000_000


@dataclass(frozen=True)
class KnoxResult:
    """The Knox table of a set of events: observed and expected pair counts per (space, time) band.

    All 2-D arrays have shape ``(len(space_bands), len(time_bands))``: rows are space bands,
    columns time bands.

    Attributes
    ----------
    space_bands : tuple of str
        Row labels: "same location", "1-100 m", ..., "beyond 500 m".
    time_bands : tuple of str
        Column labels: "0-7 days", ..., "beyond 35 days", or "same month", "1 month", ...,
        "beyond 4 months" at month resolution.
    observed : numpy.ndarray of int64
        Number of pairs of events in each cell; they sum to ``n_pairs``.
    expected : numpy.ndarray of float64
        Mean count over the permutations (times shuffled among events, locations fixed).
    ratio : numpy.ndarray of float64
        Knox ratio observed / expected; NaN where the expected count is 0.
    p_value : numpy.ndarray of float64
        One-sided Monte Carlo p value for more pairs than chance,
        ``(1 + #{permuted >= observed}) / (permutations + 1)``.
    q_value : numpy.ndarray of float64
        Benjamini-Hochberg q value across all cells of the table.
    n_events : int
        Number of events.
    n_pairs : int
        Number of pairs, ``n_events * (n_events - 1) // 2``.
    permutations : int
        Number of Monte Carlo permutations.
    seed : int or None
        Seed of ``numpy.random.default_rng`` used for the permutations.
    time_unit : str
        "day" or "month": the unit of the event times and of the time bands.
    space_bandwidth : float
        Width of each finite space band, metres.
    time_bandwidth : int
        Width of each finite time band, in ``time_unit``.
    """

    space_bands: tuple[str, ...]
    time_bands: tuple[str, ...]
    observed: NDArray[np.int64]
    expected: NDArray[np.float64]
    ratio: NDArray[np.float64]
    p_value: NDArray[np.float64]
    q_value: NDArray[np.float64]
    n_events: int
    n_pairs: int
    permutations: int
    seed: int | None
    time_unit: str
    space_bandwidth: float
    time_bandwidth: int

    def cells(self) -> list[dict[str, str | int | float | None]]:
        """Every cell of the table as a dict, row by row, ready for JSON.

        Returns
        -------
        list of dict
            Keys ``space_band``, ``time_band``, ``observed``, ``expected``, ``ratio``, ``p_value``,
            ``q_value``; a NaN (the ratio where nothing is expected) becomes ``None``.
        """
        out: list[dict[str, str | int | float | None]] = []
        for i, space in enumerate(self.space_bands):
            for j, time in enumerate(self.time_bands):
                out.append(
                    {
                        "space_band": space,
                        "time_band": time,
                        "observed": int(self.observed[i, j]),
                        "expected": _json_float(self.expected[i, j]),
                        "ratio": _json_float(self.ratio[i, j]),
                        "p_value": _json_float(self.p_value[i, j]),
                        "q_value": _json_float(self.q_value[i, j]),
                    }
                )
        return out

    def significant(self, alpha: float = 0.05) -> list[dict[str, str | int | float | None]]:
        """The cells with more pairs than chance: q value below ``alpha`` and Knox ratio above 1.

        Parameters
        ----------
        alpha : float
            False discovery rate, in (0, 1).

        Returns
        -------
        list of dict
            The matching cells, in the format of :meth:`cells`.
        """
        if not 0.0 < alpha < 1.0:
            raise InvalidValueError(f"alpha must be in (0, 1), got {alpha}")
        return [
            cell
            for cell, q, r in zip(self.cells(), self.q_value.ravel(), self.ratio.ravel(), strict=True)
            if q < alpha and r > 1.0
        ]


def knox_test(
    x: ArrayLike,
    y: ArrayLike,
    t: ArrayLike,
    *,
    space_bandwidth: float = 100.0,
    space_bands: int = 5,
    time_bandwidth: int = 7,
    time_bands: int = 5,
    permutations: int = 999,
    seed: int | None = None,
    time_unit: TimeUnit = "day",
    workers: int | None = None,
) -> KnoxResult:
    """Knox test for near repeats, with the Near Repeat Calculator's bands and Monte Carlo inference.

    Parameters
    ----------
    x, y : array_like
        Event coordinates in metres in a projected CRS (British National Grid, EPSG:27700, or any
        metric CRS); never transformed.
    t : array_like of int
        Event times as integers in ``time_unit``: a day number, or a month index at month
        resolution (police.uk).
    space_bandwidth : float
        Width of each finite space band, metres (default 100).
    space_bands : int
        Number of finite space bands after "same location" (default 5: 1-100 ... 401-500 m).
    time_bandwidth : int
        Width of each finite time band in ``time_unit`` (default 7; use 1 with months).
    time_bands : int
        Number of finite time bands before "beyond" (default 5: 0-7 ... 29-35 days).
    permutations : int
        Number of Monte Carlo permutations of the times (default 999).
    seed : int or None
        Seed for ``numpy.random.default_rng``; the same seed gives the same result.
    time_unit : {"day", "month"}
        Unit of ``t``; sets the labels and, for "month", makes "same month" a band of its own (see
        the module docstring).
    workers : int or None
        Threads for the permutations (default: up to 2, by CPU count). Results do not depend on it.

    Returns
    -------
    KnoxResult
        The observed, expected, ratio, p and q tables, space bands x time bands.

    Raises
    ------
    ValueError
        Unequal lengths, fewer than 2 events, non-finite or non-integer values, non-positive band
        widths or counts, fewer than 1 permutation, an unknown time unit, or times spanning more
        than 10 million units.
    """
    xs, ys, ts = _validate(
        x, y, t, space_bandwidth, space_bands, time_bandwidth, time_bands, permutations, time_unit, workers
    )
    n = xs.size
    n_pairs = n * (n - 1) // 2
    n_time = time_bands + 1  # T finite bands, beyond

    # Integer time offsets from the first event, and the band of every possible time difference.
    t0 = ts - ts.min()
    span = int(t0.max()) + 1
    if span > _MAX_TIME_SPAN:
        raise ValueError(
            f"t spans {span} time units; at most {_MAX_TIME_SPAN} are supported (pass days or months, not seconds)"
        )
    time_dtype = np.int16 if span <= np.iinfo(np.int16).max else np.int32
    t0 = t0.astype(time_dtype)
    lut = _time_band_lut(span, time_bandwidth, time_bands, time_unit)

    # Pairs of all events by time difference -> all pairs per time band (invariant under shuffling).
    lag_counts = _pair_lag_counts(np.bincount(t0.astype(np.intp), minlength=span))
    all_by_time = np.zeros(n_time, dtype=np.int64)
    np.add.at(all_by_time, lut[:span].astype(np.intp), lag_counts)

    # Near pairs and their (fixed) space band.
    i, j, space_band = _near_pairs(xs, ys, space_bandwidth, space_bands)
    n_finite_cells = (space_bands + 1) * n_time
    rng = np.random.default_rng(seed)
    chunk = max(1, min(permutations, _CHUNK_ELEMENTS // max(1, i.size, n)))
    base = (space_band.astype(np.intp) * n_time)[np.newaxis, :] + (np.arange(chunk, dtype=np.intp) * n_finite_cells)[
        :, np.newaxis
    ]

    def table(finite_counts: NDArray[np.int64]) -> NDArray[np.int64]:
        """Full (..., S + 2, T + 1) tables from the finite-row counts (..., n_finite_cells)."""
        finite = finite_counts.reshape(*finite_counts.shape[:-1], space_bands + 1, n_time)
        beyond = all_by_time - finite.sum(axis=-2)
        return np.concatenate([finite, beyond[..., np.newaxis, :]], axis=-2)

    identity = np.arange(n, dtype=np.int32)[np.newaxis, :]
    observed = table(_count_cells(t0, identity, i, j, base, lut, n_finite_cells))[0]

    # Permutations: drawn in order in this thread (reproducible), counted in chunks on worker threads.
    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    permuted = np.empty((permutations, n_finite_cells), dtype=np.int64)
    pending: deque[tuple[int, int, Future[NDArray[np.int64]]]] = deque()
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for start in range(0, permutations, chunk):
            stop = min(permutations, start + chunk)
            perms = np.stack([rng.permutation(n).astype(np.int32) for _ in range(start, stop)])
            pending.append((start, stop, pool.submit(_count_cells, t0, perms, i, j, base, lut, n_finite_cells)))
            while len(pending) > 2 * n_workers:  # bound the memory held by chunks in flight
                done_start, done_stop, future = pending.popleft()
                permuted[done_start:done_stop] = future.result()
        for done_start, done_stop, future in pending:
            permuted[done_start:done_stop] = future.result()
    null = table(permuted)

    expected = null.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1.0), np.nan)
    exceed = (null >= observed[np.newaxis, :, :]).sum(axis=0)
    p_value = (1.0 + exceed) / (permutations + 1.0)
    q_value = np.asarray(stats.false_discovery_control(p_value.ravel(), method="bh"), dtype=np.float64)

    return KnoxResult(
        space_bands=_space_labels(space_bandwidth, space_bands),
        time_bands=_time_labels(time_bandwidth, time_bands, time_unit),
        observed=observed.astype(np.int64),
        expected=expected.astype(np.float64),
        ratio=ratio.astype(np.float64),
        p_value=p_value.astype(np.float64),
        q_value=q_value.reshape(observed.shape),
        n_events=n,
        n_pairs=n_pairs,
        permutations=permutations,
        seed=seed,
        time_unit=time_unit,
        space_bandwidth=float(space_bandwidth),
        time_bandwidth=int(time_bandwidth),
    )


def _validate(
    x: ArrayLike,
    y: ArrayLike,
    t: ArrayLike,
    space_bandwidth: float,
    space_bands: int,
    time_bandwidth: int,
    time_bands: int,
    permutations: int,
    time_unit: str,
    workers: int | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Check the inputs and return x, y as float64 and t as int64 arrays."""
    arrays: dict[str, NDArray[np.float64]] = {}
    for name, values in (("x", x), ("y", y), ("t", t)):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from exc
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} non-finite value(s) (NaN or infinite)")
        arrays[name] = arr
    lengths = {name: arr.size for name, arr in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"x, y and t must have equal lengths, got {lengths}")
    if lengths["x"] < 2:
        raise InvalidValueError(f"at least 2 events are needed, got {lengths['x']}")
    t_float = arrays["t"]
    if not np.array_equal(t_float, np.round(t_float)):
        raise ValueError("t must hold integer time units (day numbers, or month indices at month resolution)")
    if not (
        isinstance(space_bandwidth, int | float | np.integer | np.floating)
        and not isinstance(space_bandwidth, bool)
        and math.isfinite(space_bandwidth)
        and space_bandwidth > 0
    ):
        raise InvalidValueError(f"space_bandwidth must be a positive number of metres, got {space_bandwidth!r}")
    for name, value in (("space_bands", space_bands), ("time_bandwidth", time_bandwidth), ("time_bands", time_bands)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) or permutations < 1:
        raise InvalidValueError(f"permutations must be an integer >= 1, got {permutations!r}")
    if time_unit not in _TIME_UNITS:
        raise InvalidValueError(f"time_unit must be one of {_TIME_UNITS}, got {time_unit!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    return arrays["x"], arrays["y"], t_float.astype(np.int64)


def _space_band(distance: NDArray[np.float64], bandwidth: float, bands: int) -> NDArray[np.int64]:
    """Space band of each distance: 0 for exactly 0, ceil(d / w) up to ``bands``, ``bands + 1`` beyond."""
    band = np.ceil(distance / bandwidth).astype(np.int64)
    return np.minimum(band, bands + 1)


def _time_band(lag: NDArray[np.int64], bandwidth: int, bands: int, time_unit: str) -> NDArray[np.int64]:
    """Time band of each absolute time difference (see the module docstring); ``bands`` is beyond."""
    if time_unit == "day":
        band = np.where(lag <= bandwidth, 0, (lag - 1) // bandwidth)
    else:
        band = np.where(lag == 0, 0, (lag - 1) // bandwidth + 1)
    return np.minimum(band, bands).astype(np.int64)


def _time_band_lut(span: int, bandwidth: int, bands: int, time_unit: str) -> NDArray[np.integer]:
    """Time band of every signed time difference -(span - 1) .. span - 1, as a lookup table.

    Entries 0 .. span - 1 hold differences 0 .. span - 1; entries span .. 2 span - 2 hold the
    differences -(span - 1) .. -1, so that indexing with a negative difference (which wraps round
    from the end) finds the band of its absolute value.
    """
    dtype = np.int8 if bands <= np.iinfo(np.int8).max else np.int32
    bands_by_lag = _time_band(np.arange(span, dtype=np.int64), bandwidth, bands, time_unit).astype(dtype)
    return np.concatenate([bands_by_lag, bands_by_lag[1:][::-1]])


def _pair_lag_counts(
    hist: NDArray[np.int64], *, method: Literal["auto", "direct", "fft"] = "auto"
) -> NDArray[np.int64]:
    """Number of unordered pairs of events at each time difference 0 .. len(hist) - 1.

    ``c[d] = sum_k h[k] h[k + d]`` for d >= 1 and ``c[0] = sum_k h[k] (h[k] - 1) / 2``: the
    autocorrelation of the time histogram ``h``, exact in integers directly, or by FFT (rounded)
    when the histogram is long.
    """
    h = np.asarray(hist, dtype=np.int64)
    span = h.size
    if method == "direct" or (method == "auto" and span <= _FFT_THRESHOLD):
        corr = np.correlate(h, h, mode="full")[span - 1 :].astype(np.int64)
    else:
        hf = h.astype(np.float64)
        corr = np.rint(signal.fftconvolve(hf, hf[::-1], mode="full")[span - 1 :]).astype(np.int64)
    corr[0] = (corr[0] - int(h.sum())) // 2
    return corr


def _near_pairs(
    x: NDArray[np.float64], y: NDArray[np.float64], bandwidth: float, bands: int
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32]]:
    """Pairs (i < j) in the finite space bands (distance <= bands * bandwidth) and their space band."""
    radius = bands * bandwidth
    tree = spatial.cKDTree(np.column_stack([x, y]))
    # A hair wider than the radius, so rounding in the tree never drops a pair on the edge; the
    # band is then decided by the same formula everywhere, and pairs beyond it are dropped.
    pairs = tree.query_pairs(radius * (1 + 1e-9) + 1e-9, output_type="ndarray")
    i = pairs[:, 0].astype(np.int32)
    j = pairs[:, 1].astype(np.int32)
    band = _space_band(np.hypot(x[i] - x[j], y[i] - y[j]), bandwidth, bands)
    keep = band <= bands
    return i[keep], j[keep], band[keep].astype(np.int32)


def _count_cells(
    t0: NDArray[np.integer],
    perms: NDArray[np.integer],
    i: NDArray[np.int32],
    j: NDArray[np.int32],
    base: NDArray[np.intp],
    lut: NDArray[np.integer],
    n_cells: int,
) -> NDArray[np.int64]:
    """Counts of near pairs per finite-row cell for each permutation of the times: shape (k, n_cells).

    ``base[p, q]`` is ``p * n_cells + space_band[q] * n_time`` (at least ``k`` rows), and ``lut`` maps
    a signed time difference (negative ones wrap to the end of the table) to its time band, so the
    combined index is one lookup and one addition, already in the integer type ``np.bincount`` uses.
    """
    k = perms.shape[0]
    times = t0[perms]  # (k, n): the time each event gets under each permutation
    cell = lut[times[:, i] - times[:, j]]
    cell = np.add(cell, base[:k], dtype=np.intp)
    counts = np.bincount(cell.ravel(), minlength=k * n_cells)
    return counts.reshape(k, n_cells).astype(np.int64)


def _space_labels(bandwidth: float, bands: int) -> tuple[str, ...]:
    whole = float(bandwidth).is_integer()
    labels = ["same location"]
    for k in range(1, bands + 1):
        low, high = (k - 1) * bandwidth, k * bandwidth
        labels.append(f"{low + 1:g}-{high:g} m" if whole else f"{low:g}-{high:g} m")
    labels.append(f"beyond {bands * bandwidth:g} m")
    return tuple(labels)


def _time_labels(bandwidth: int, bands: int, time_unit: str) -> tuple[str, ...]:
    labels: list[str] = []
    if time_unit == "day":
        for k in range(bands):
            low = 0 if k == 0 else k * bandwidth + 1
            high = (k + 1) * bandwidth
            labels.append(f"{low}-{high} days")
        labels.append(f"beyond {bands * bandwidth} days")
        return tuple(labels)
    labels.append("same month")
    for k in range(1, bands):
        low, high = (k - 1) * bandwidth + 1, k * bandwidth
        labels.append(_months(high) if low == high else f"{low}-{high} months")
    labels.append(f"beyond {_months((bands - 1) * bandwidth)}" if bands > 1 else "different month")
    return tuple(labels)


def _months(m: int) -> str:
    return f"{m} month" if m == 1 else f"{m} months"


def _json_float(value: float | np.floating) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v
