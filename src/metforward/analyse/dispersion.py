"""Comparing two periods of counts allowing for extra-Poisson variation: the quasi-Poisson test.

Monthly crime counts vary more than Poisson chance allows (repeat victimisation, series of linked
offences, weather, operations, recording batches): on the London Datastore 2008-2016 borough file
the variance of a cell's monthly counts is a median 2.7 times their mean. A Poisson test of two
period totals then calls chance changes real. This module estimates that extra variation from the
months of the two periods themselves and widens the interval and the test by it.

The model (McCullagh and Nelder 1989, sections 4.5 and 9.2): the count ``y`` of each month with
data is a quasi-Poisson variable with mean ``mu_p`` (one mean for every month of period ``p``,
before or after) and variance ``phi * mu_p``; ``log mu = b0 + b1 * [after]``. The maximum
quasi-likelihood estimates are the period means, so the rate ratio is ``exp(b1) = (A / t_a) /
(B / t_b)`` (``A``, ``B`` the period totals, ``t`` their months of data) exactly as in the Poisson
comparison, and its log has variance ``phi * (1 / A + 1 / B)``. The dispersion ``phi`` is Pearson's
``X2 / (n - 2)`` over the ``n = t_b + t_a`` months, with residuals from each period's own mean:

    ``X2 = sum over months (y - ybar_p)**2 / ybar_p = sum over periods (t_p * S_p / Y_p - Y_p)``

where ``Y_p`` and ``S_p`` are the period's total and sum of squared monthly counts, so only those
two moments of each period are needed (a month with no crimes adds nothing to either, but counts in
``t_p``). The interval is ``exp(b1 -/+ t_(n-2) * se)`` and the p value that of ``b1 / se`` against
Student's t with ``n - 2`` degrees of freedom: the rate ratio, interval and p value equal those of
``statsmodels`` ``GLM(y, X, family=Poisson()).fit(scale="X2", use_t=True)`` on the same monthly
counts. (Student's t, not the normal, because ``phi`` is estimated from a handful of months:
McCullagh and Nelder 1989, section 9.2.4; with 24 months the two differ little.)

Fallbacks, in order, for each row:

* ``own``: the row's own months, when they give at least :data:`MIN_DF` degrees of freedom
  (``t_b + t_a - 2 >= 4``, e.g. three months against three);
* ``pooled``: otherwise, the pooled estimate ``sum X2 / sum df`` over the rows of the same table
  that have at least one degree of freedom (the common-dispersion estimate of McCullagh and
  Nelder 1989, section 4.5.2), with t on the pooled degrees of freedom, when those reach
  :data:`MIN_DF`;
* ``too few months``: otherwise no test at all (``can't tell``): one month against one month cannot
  say how much a month varies by chance.

In every case the dispersion used is at least 1 (:data:`FLOOR`): an estimate below 1 from a few
months is far more often chance than genuinely under-dispersed crime, and Poisson is the least
variation counts of independent events can have.

A period with no crimes at all has no log rate ratio; there the p value is the quasi score test
(``(A - n pi0) / sqrt(phi n pi0 (1 - pi0))`` with ``n = A + B`` and ``pi0 = t_a / (t_a + t_b)``)
and the interval is the Wilson interval of ``A / n`` on the effective size ``n / phi`` (Kish's
design effect), turned into a rate ratio (0 at one end or infinite at the other).

References
----------
McCullagh, P. and Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., Chapman and Hall:
    section 4.5 (the dispersion parameter, Pearson's estimator), section 9.2 (quasi-likelihood:
    estimates and their variance; the F and t reference distributions).
Cameron, A. C. and Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed., Cambridge
    University Press, section 3.2 (quasi-Poisson / NB1 variance ``phi * mu``).
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA
    22:209-212. Kish, L. (1965). Survey Sampling, Wiley (the design effect).
Benjamini, Y. and Hochberg, Y. (1995). JRSS B 57:289-300 (q values across a table).

Over 400 lines on purpose: estimating the dispersion, pooling it, the quasi-Poisson comparison and
the judging of a table that chooses between it and the exact test are one method (Wedderburn 1974;
McCullagh and Nelder ch. 4), tested as one against placebo data; the split would cut the method in two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from metforward.analyse import lazy
from metforward.analyse.poisson import CANT_TELL, bh_qvalues, compare_poisson, verdicts
from metforward.errors import InvalidValueError

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")

Floats = NDArray[np.float64]
Method = Literal["quasi", "poisson"]

#: The methods a comparison can use: ``quasi`` (the default) and the exact ``poisson`` test.
METHODS: tuple[str, str] = ("quasi", "poisson")
#: Fewest degrees of freedom (months - 2) for a row's own dispersion, and for a pooled one.
MIN_DF = 4
#: The smallest dispersion used: never narrower than Poisson.
FLOOR = 1.0
OWN, POOLED, TOO_FEW, NONE = "own", "pooled", "too few months", "none"

#: How each method is named under tables and in reports.
METHOD_NAMES = {
    "quasi": "quasi-Poisson (dispersion from the monthly counts; McCullagh and Nelder 1989)",
    "poisson": "exact conditional Poisson test (no allowance for extra-Poisson variation)",
}


def pearson_x2(total: ArrayLike, squares: ArrayLike, months: ArrayLike) -> Floats:
    """Pearson's X2 of one period's monthly counts about their mean: ``t * S / Y - Y`` (0 when ``Y = 0``).

    Parameters
    ----------
    total, squares, months : array_like
        Per row: the period's total ``Y``, the sum of its squared monthly counts ``S`` and its
        months of data ``t`` (months with no crimes count in ``t`` and add 0 to ``Y`` and ``S``).

    Returns
    -------
    numpy.ndarray
        ``sum over months (y - Y / t)**2 / (Y / t)``, never below 0.
    """
    y, s, t = np.broadcast_arrays(
        np.asarray(total, dtype=np.float64), np.asarray(squares, dtype=np.float64), np.asarray(months, dtype=np.float64)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = np.where(y > 0, t * s / np.where(y > 0, y, 1.0) - y, 0.0)
    return np.asarray(np.maximum(x2, 0.0), dtype=np.float64)


@dataclass(frozen=True)
class Dispersion:
    """The dispersion each row's test uses, and what it rests on (NumPy arrays, one element per row).

    Attributes
    ----------
    phi : numpy.ndarray of float64
        The dispersion used (at least :data:`FLOOR`); NaN where there is no test.
    raw : numpy.ndarray of float64
        The estimate before the floor (the row's own ``X2 / df`` or the pooled one).
    df : numpy.ndarray of float64
        Degrees of freedom of the estimate (months - 2, summed over the rows pooled); 0 for no test.
    months : numpy.ndarray of int64
        Months of data behind the estimate (the row's own, or all the pooled rows').
    basis : list of str
        ``own``, ``pooled`` or ``too few months``.
    """

    phi: Floats
    raw: Floats
    df: Floats
    months: NDArray[np.int64]
    basis: list[str]


def estimate_dispersion(
    before: ArrayLike,
    after: ArrayLike,
    squares_before: ArrayLike,
    squares_after: ArrayLike,
    months_before: ArrayLike,
    months_after: ArrayLike,
    *,
    min_df: int = MIN_DF,
    floor: float = FLOOR,
    pool: bool = True,
) -> Dispersion:
    """Pearson dispersion of each row from its monthly counts, with the pooled fallback (see the module).

    Rows with no months in a period are left out of the pool and get no estimate.
    """
    b, a, sb, sa, tb, ta = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (before, after, squares_before, squares_after)),
        np.asarray(months_before, dtype=np.float64),
        np.asarray(months_after, dtype=np.float64),
    )
    x2 = pearson_x2(b, sb, tb) + pearson_x2(a, sa, ta)
    return pool_dispersion(x2, tb, ta, min_df=min_df, floor=floor, pool=pool)


def pool_dispersion(
    x2: ArrayLike,
    months_before: ArrayLike,
    months_after: ArrayLike,
    *,
    min_df: int = MIN_DF,
    floor: float = FLOOR,
    pool: bool = True,
) -> Dispersion:
    """The dispersion of each row from its Pearson ``x2`` on ``months_before + months_after - 2`` df.

    The row's own ``x2 / df`` where ``df >= min_df``; else the pooled ``sum x2 / sum df`` over the
    rows with ``df >= 1`` when that reaches ``min_df``; else none (too few months). Never below
    ``floor``.
    """
    x2, tb, ta = np.broadcast_arrays(
        np.asarray(x2, dtype=np.float64),
        np.asarray(months_before, dtype=np.float64),
        np.asarray(months_after, dtype=np.float64),
    )
    live = (tb > 0) & (ta > 0)
    df = np.where(live, tb + ta - 2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        own_raw = np.where(df > 0, x2 / np.where(df > 0, df, 1.0), np.nan)
    own = live & (df >= min_df)
    poolable = live & (df > 0)
    pooled_df = float(df[poolable].sum()) if pool else 0.0
    pooled = pool and pooled_df >= min_df
    pooled_raw = float(x2[poolable].sum() / pooled_df) if pooled else np.nan
    use_pool = live & ~own & pooled
    raw = np.where(own, own_raw, np.where(use_pool, pooled_raw, np.nan))
    phi = np.where(np.isnan(raw), np.nan, np.maximum(raw, floor))
    pooled_months = int((tb[poolable] + ta[poolable]).sum()) if pooled else 0
    months = np.where(use_pool, pooled_months, tb + ta).astype(np.int64)
    basis = [
        OWN if o else POOLED if u else TOO_FEW if lv else NONE
        for o, u, lv in zip(own.ravel().tolist(), use_pool.ravel().tolist(), live.ravel().tolist(), strict=True)
    ]
    return Dispersion(
        phi=np.asarray(phi, dtype=np.float64),
        raw=np.asarray(raw, dtype=np.float64),
        df=np.asarray(np.where(own, df, np.where(use_pool, pooled_df, 0.0)), dtype=np.float64),
        months=months,
        basis=basis,
    )


@dataclass(frozen=True)
class QuasiComparison:
    """Row-wise results of :func:`compare_quasi`, as :class:`~metforward.analyse.poisson.PoissonComparison`."""

    before: NDArray[np.int64]
    after: NDArray[np.int64]
    exposure_before: Floats
    exposure_after: Floats
    change: NDArray[np.int64]
    change_pct: Floats
    rate_ratio: Floats
    ci_low: Floats
    ci_high: Floats
    p_value: Floats
    dispersion: Floats
    df: Floats
    confidence: float


def compare_quasi(
    before: ArrayLike,
    after: ArrayLike,
    exposure_before: ArrayLike,
    exposure_after: ArrayLike,
    dispersion: ArrayLike,
    df: ArrayLike,
    *,
    confidence: float = 0.95,
) -> QuasiComparison:
    """Quasi-Poisson comparison of two period totals given a dispersion and its degrees of freedom.

    Rate ratio ``(A / t_a) / (B / t_b)``; Wald interval and p value on the log scale with variance
    ``phi (1 / A + 1 / B)`` against Student's t on ``df`` (equal to statsmodels' quasi-Poisson GLM,
    see the module); where one total is 0, the quasi score test and the Wilson interval on ``n /
    phi``. Rows whose ``dispersion`` is NaN or ``df`` below 1 get NaN figures (no test); rows with
    no crimes in either period get a NaN ratio and p value 1, as in the Poisson comparison.
    """
    if not 0 < confidence < 1:
        raise InvalidValueError("confidence must lie strictly between 0 and 1")
    b, a, tb, ta, phi, dof = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (before, after, exposure_before, exposure_after, dispersion, df))
    )
    if np.any(b < 0) or np.any(a < 0) or np.any(b != np.floor(b)) or np.any(a != np.floor(a)):
        raise ValueError("counts must be whole numbers of 0 or more")
    if not (np.all(tb > 0) and np.all(ta > 0)):
        raise ValueError("exposures must be above 0")
    ok = np.isfinite(phi) & (phi > 0) & (dof >= 1)
    safe_phi, safe_df = np.where(ok, phi, 1.0), np.where(ok, dof, 1.0)
    crit = stats.t.ppf(0.5 + confidence / 2, safe_df)
    n = a + b
    both = ok & (a > 0) & (b > 0)
    one = ok & (n > 0) & ~both
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(n > 0, (a / ta) / (b / tb), np.nan)
        log_r = np.log(np.where(both, ratio, 1.0))
        se = np.sqrt(safe_phi * (1 / np.where(both, a, 1.0) + 1 / np.where(both, b, 1.0)))
        wald_p = 2 * stats.t.sf(np.abs(log_r / se), safe_df)
        # one period with no crimes: quasi score test and Wilson interval on n / phi
        pi0 = ta / (ta + tb)
        n_safe = np.where(n > 0, n, 1.0)
        score = (a - n_safe * pi0) / np.sqrt(safe_phi * n_safe * pi0 * (1 - pi0))
        score_p = 2 * stats.t.sf(np.abs(score), safe_df)
        m = n_safe / safe_phi
        share = a / n_safe
        centre = (share + crit**2 / (2 * m)) / (1 + crit**2 / m)
        half = crit / (1 + crit**2 / m) * np.sqrt(share * (1 - share) / m + crit**2 / (4 * m**2))
        pi_low, pi_high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
        pi_low = np.where(a == 0, 0.0, pi_low)
        pi_high = np.where(b == 0, 1.0, pi_high)
        w_low = np.where(pi_low >= 1, np.inf, pi_low / (1 - pi_low)) * tb / ta
        w_high = np.where(pi_high >= 1, np.inf, pi_high / (1 - pi_high)) * tb / ta
    low = np.where(both, np.exp(log_r - crit * se), np.where(one, w_low, np.nan))
    high = np.where(both, np.exp(log_r + crit * se), np.where(one, w_high, np.nan))
    p = np.where(both, wald_p, np.where(one, score_p, np.where(ok, 1.0, np.nan)))
    ratio = np.where(ok, ratio, np.nan)
    return QuasiComparison(
        before=b.astype(np.int64),
        after=a.astype(np.int64),
        exposure_before=np.array(tb, dtype=np.float64),
        exposure_after=np.array(ta, dtype=np.float64),
        change=(a - b).astype(np.int64),
        change_pct=np.asarray((ratio - 1) * 100, dtype=np.float64),
        rate_ratio=np.asarray(ratio, dtype=np.float64),
        ci_low=np.asarray(low, dtype=np.float64),
        ci_high=np.asarray(high, dtype=np.float64),
        p_value=np.asarray(p, dtype=np.float64),
        dispersion=np.asarray(np.where(ok, phi, np.nan), dtype=np.float64),
        df=np.asarray(np.where(ok, dof, 0.0), dtype=np.float64),
        confidence=confidence,
    )


@dataclass(frozen=True)
class Judged:
    """A whole table judged: per-row figures (NumPy arrays, lists), the method and the dispersion used.

    ``dispersion`` is 1 and ``dispersion_basis`` ``none`` for every row under ``method="poisson"``.
    """

    method: str
    change_pct: Floats
    rate_ratio: Floats
    ci_low: Floats
    ci_high: Floats
    p_value: Floats
    q_value: Floats
    verdict: list[str]
    dispersion: Floats
    dispersion_months: NDArray[np.int64]
    dispersion_basis: list[str]

    def row(self, i: int) -> tuple[float, float, float, float, float, float, str]:
        """Row ``i`` as ``judge_table`` gives it: ``(change_pct, rate_ratio, ci_low, ci_high, p, q, verdict)``."""
        return (
            float(self.change_pct[i]),
            float(self.rate_ratio[i]),
            float(self.ci_low[i]),
            float(self.ci_high[i]),
            float(self.p_value[i]),
            float(self.q_value[i]),
            self.verdict[i],
        )

    def summary(self) -> str:
        """One line naming the method and the dispersion used, for under a table."""
        return dispersion_line(self.method, self.dispersion, self.dispersion_basis)


def dispersion_line(method: str, dispersion: ArrayLike, basis: list[str]) -> str:
    """``method: ...; dispersion median 2.7 (1.0 to 9.3) ...`` for under a table."""
    if method == "poisson":
        return f"method: {METHOD_NAMES['poisson']}"
    phi = np.asarray(dispersion, dtype=np.float64)
    live = phi[np.isfinite(phi)]
    text = f"method: {METHOD_NAMES['quasi']}"
    if live.size:
        text += (
            f"; dispersion median {np.median(live):.2f} (range {live.min():.2f} to {live.max():.2f}; "
            f"1 = Poisson, floor 1)"
        )
    pooled = basis.count(POOLED)
    if pooled:
        text += f"; {pooled} row{'s' if pooled != 1 else ''} with under {MIN_DF + 2} months used the table's pooled dispersion"
    few = basis.count(TOO_FEW)
    if few:
        text += f"; {few} row{'s' if few != 1 else ''} with too few months to estimate it: can't tell"
    return text


def judge(
    before: ArrayLike,
    after: ArrayLike,
    exposure_before: ArrayLike,
    exposure_after: ArrayLike,
    *,
    squares_before: ArrayLike | None = None,
    squares_after: ArrayLike | None = None,
    method: str = "quasi",
    alpha: float = 0.05,
    pool: bool = True,
    min_df: int = MIN_DF,
) -> Judged:
    """Every row of a comparison table judged by ``method``, q values across the rows, verdicts at ``alpha``.

    ``quasi`` needs the sums of squared monthly counts of each period (``squares_*``) and whole
    months as exposures; ``poisson`` is :func:`metforward.analyse.poisson.compare_poisson`. A row
    with no exposure in either period has no test (NaN, ``can't tell``) and does not count in the
    q values; nor does a row with too few months for a dispersion.
    """
    if method not in METHODS:
        raise InvalidValueError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
    b = np.asarray(before, dtype=np.float64).ravel()
    a = np.asarray(after, dtype=np.float64).ravel()
    tb, ta = (
        np.broadcast_to(np.asarray(t, dtype=np.float64), b.shape).ravel() for t in (exposure_before, exposure_after)
    )
    live = (tb > 0) & (ta > 0)
    safe_b, safe_a = np.where(live, tb, 1.0), np.where(live, ta, 1.0)
    nan = np.full(b.shape, np.nan)
    if method == "poisson":
        r = compare_poisson(b, a, safe_b, safe_a, confidence=1 - alpha)
        phi = np.where(live, 1.0, np.nan)
        months = (tb + ta).astype(np.int64)
        basis = [NONE] * b.size
        figures = [
            np.where(live, getattr(r, k), nan) for k in ("change_pct", "rate_ratio", "ci_low", "ci_high", "p_value")
        ]
    else:
        if squares_before is None or squares_after is None:
            raise ValueError("the quasi-Poisson method needs the sums of squared monthly counts")
        sb = np.broadcast_to(np.asarray(squares_before, dtype=np.float64), b.shape).ravel()
        sa = np.broadcast_to(np.asarray(squares_after, dtype=np.float64), b.shape).ravel()
        d = estimate_dispersion(b, a, sb, sa, tb, ta, pool=pool, min_df=min_df)
        q = compare_quasi(b, a, safe_b, safe_a, d.phi, d.df, confidence=1 - alpha)
        phi, months, basis = q.dispersion, d.months, d.basis
        figures = [
            np.where(live, getattr(q, k), nan) for k in ("change_pct", "rate_ratio", "ci_low", "ci_high", "p_value")
        ]
        # the rate ratio and % change are facts of the counts even where no test can be made
        with np.errstate(divide="ignore", invalid="ignore"):
            figures[1] = np.where(live & (a + b > 0), (a / safe_a) / (b / safe_b), nan)
        figures[0] = (figures[1] - 1) * 100
    qv = bh_qvalues(figures[4])
    verdict = verdicts(figures[1], qv, alpha)
    verdict = [v if np.isfinite(p) else CANT_TELL for v, p in zip(verdict, figures[4].tolist(), strict=True)]
    return Judged(
        method=method,
        change_pct=np.asarray(figures[0], dtype=np.float64),
        rate_ratio=np.asarray(figures[1], dtype=np.float64),
        ci_low=np.asarray(figures[2], dtype=np.float64),
        ci_high=np.asarray(figures[3], dtype=np.float64),
        p_value=np.asarray(figures[4], dtype=np.float64),
        q_value=qv,
        verdict=verdict,
        dispersion=np.asarray(phi, dtype=np.float64),
        dispersion_months=np.asarray(months, dtype=np.int64),
        dispersion_basis=basis,
    )


def moments(series: ArrayLike) -> tuple[Floats, Floats, Floats]:
    """``(total, sum of squares, months)`` of each row of a months matrix, NaN marking months with no data."""
    values = np.atleast_2d(np.asarray(series, dtype=np.float64))
    have = ~np.isnan(values)
    filled = np.where(have, values, 0.0)
    return filled.sum(axis=1), (filled**2).sum(axis=1), have.sum(axis=1).astype(np.float64)
