"""Funnel plots: each unit's rate against a common target, with control limits and over-dispersion.

Unit i (a borough, a ward) has ``O_i`` crimes and a denominator ``n_i`` (residents, or an expected
count); its rate is ``y_i = O_i / n_i``, compared with a target rate ``theta0`` (by default the
pooled rate, ``sum(O) / sum(n)``, e.g. London's). Under the null hypothesis that every unit has the
target rate, ``O_i ~ Poisson(theta0 n_i)``: control limits at 95% and 99.8% around ``theta0`` narrow
as ``n_i`` grows, and a unit outside them is "performing by exception" (Spiegelhalter 2005a).

Counts of crime vary between areas far more than Poisson chance allows (different places have
different underlying rates for reasons nobody is accountable for), so plain Poisson limits flag
most units. Spiegelhalter (2005b) estimates that over-dispersion from z-scores winsorised at 10%
at each end, and either inflates the variance by a factor ``phi`` (multiplicative) or adds a
between-unit variance ``tau^2`` (additive random effects). The additive model is the default
here, as Spiegelhalter recommends ("a stronger conceptual foundation"; adopted by the Healthcare
Commission for its star ratings): the same between-unit variance is added for every unit, so the
limits widen proportionally most for the largest units, whose differences from the target are
least likely to be Poisson chance yet still partly reflect the spread of true rates among
comparable places.

References
----------
Spiegelhalter, D. J. (2005a). Funnel plots for comparing institutional performance. Statistics in
    Medicine 24:1185-1202.
Spiegelhalter, D. J. (2005b). Handling over-dispersion of performance indicators. Quality and
    Safety in Health Care 14:347-351.
DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical Trials
    7:177-188 (the moment estimator of tau^2 that 2005b adapts).

Over 400 lines on purpose: the exact Poisson limits, the normal approximation and the
over-dispersion adjustment (Spiegelhalter 2005) are one funnel method with one result type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from metforward.analyse import lazy

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")


Floats = NDArray[np.float64]
Method = Literal["additive", "multiplicative"]
Transform = Literal["none", "sqrt"]

WITHIN = "within"
#: How :attr:`FunnelResult.limits_method` names the limits used.
EXACT, ADDITIVE, MULTIPLICATIVE = "exact Poisson", "additive random effects", "multiplicative"


def _percent(level: float) -> str:
    return f"{round(level * 100, 6):g}%"


def above(level: float) -> str:
    """The flag of a unit above the ``level`` limit, e.g. ``above 99.8%``."""
    return f"above {_percent(level)}"


def below(level: float) -> str:
    """The flag of a unit below the ``level`` limit, e.g. ``below 95%``."""
    return f"below {_percent(level)}"


class FunnelLimits(NamedTuple):
    """Lower and upper control limits at one level, one element per denominator (rate scale)."""

    lower: Floats
    upper: Floats


@dataclass(frozen=True)
class FunnelResult:
    """The funnel of :func:`funnel`: per-unit arrays, the over-dispersion estimates and the flags.

    Attributes
    ----------
    observed, denominator, rate : numpy.ndarray
        ``O_i``, ``n_i`` and ``y_i = O_i / n_i``.
    target : float
        ``theta0``.
    z : numpy.ndarray
        Unadjusted z-scores under Poisson variation (on the square-root scale when
        ``transform="sqrt"``).
    z_adjusted : numpy.ndarray
        z-scores allowing for the over-dispersion in use (equal to ``z`` when none is).
    p_value : numpy.ndarray
        Two-sided p value of each unit against the target, under the model that sets the limits:
        ``2 P(Z > |z_adjusted|)`` when over-dispersion is allowed for, otherwise the doubled
        smaller Poisson tail of ``O_i`` under ``Poisson(theta0 n_i)`` (capped at 1).
    limits : dict of float to FunnelLimits
        For each level (e.g. ``limits[0.998].upper``), at each unit's denominator.
    flag : list of str
        Per unit: ``above 99.8%``, ``above 95%``, ``within``, ``below 95%``, ``below 99.8%`` (the
        most extreme limit crossed, with the levels asked for).
    phi : float
        Over-dispersion factor: mean square of the winsorised z-scores (NaN with fewer than 3 units).
    tau2 : float
        Between-unit variance of the additive random-effects model (0 when ``I phi <= I - 1``;
        NaN with fewer than 3 units).
    dispersion_p_value : float
        Test of no over-dispersion, ``P(chi2 >= I phi)`` with ``I - 1`` degrees of freedom when
        the target is estimated from the data (``I`` when it is given); conservative, since
        winsorising shrinks ``phi``.
    overdispersed : bool
        Whether the limits allow for over-dispersion (``limits_method`` is not exact Poisson).
    limits_method : str
        ``exact Poisson``, ``additive random effects`` or ``multiplicative``.
    transform : str
        ``none`` or ``sqrt``.
    winsor : float
        Share winsorised at each end when estimating ``phi``.
    """

    observed: Floats
    denominator: Floats
    rate: Floats
    target: float
    z: Floats
    z_adjusted: Floats
    p_value: Floats
    limits: dict[float, FunnelLimits]
    flag: list[str]
    phi: float
    tau2: float
    dispersion_p_value: float
    overdispersed: bool
    limits_method: str
    transform: Transform
    winsor: float

    def curve(self, denominators: ArrayLike) -> dict[float, FunnelLimits]:
        """The same limits over a grid of denominators, for drawing the funnel."""
        return funnel_curve(
            self.target,
            tuple(self.limits),
            denominators,
            phi=self.phi if self.limits_method == MULTIPLICATIVE else None,
            tau2=self.tau2 if self.limits_method == ADDITIVE else None,
            transform=self.transform,
        )


def poisson_limits(mean: ArrayLike, level: float) -> tuple[Floats, Floats]:
    """Exact Poisson control limits for a count with the given mean, interpolated to be smooth.

    Spiegelhalter (2005a, appendix A): for the ``q`` quantile, with ``r`` the smallest count
    such that ``P(Y <= r) >= q``, the limit is ``r - a`` where ``a = (P(Y <= r) - q) / P(Y = r)``;
    it lies between ``r - 1`` and ``r`` and moves continuously with the mean, so the limits are
    smooth curves rather than steps. The lower limit stops at 0.

    Parameters
    ----------
    mean : array_like
        Poisson means (above 0), e.g. ``theta0 * n``.
    level : float
        Coverage, e.g. 0.95: the limits are the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

    Returns
    -------
    (lower, upper) : tuple of numpy.ndarray
        On the count scale.

    References
    ----------
    Spiegelhalter, D. J. (2005a). Statistics in Medicine 24:1185-1202, appendix A.
    """
    mu = np.asarray(mean, dtype=np.float64)
    if not (np.all(np.isfinite(mu)) and np.all(mu > 0)):
        raise ValueError("Poisson means must be finite and above 0")
    if not 0 < level < 1:
        raise ValueError("level must lie strictly between 0 and 1")
    tail = (1 - level) / 2

    def quantile(q: float) -> Floats:
        r = np.asarray(stats.poisson.ppf(q, mu), dtype=np.float64)
        a = (stats.poisson.cdf(r, mu) - q) / stats.poisson.pmf(r, mu)
        return np.asarray(r - a, dtype=np.float64)

    return np.asarray(np.maximum(quantile(tail), 0.0), dtype=np.float64), quantile(1 - tail)


def _normal_limits(
    target: float, n: Floats, level: float, extra: Floats | float, transform: Transform, scale: float
) -> tuple[Floats, Floats]:
    """``target +/- z_p sqrt(scale s^2 + extra)`` on the transformed scale, back on the rate scale."""
    zp = float(stats.norm.ppf(1 - (1 - level) / 2))
    if transform == "sqrt":
        half = zp * np.sqrt(scale / (4 * n) + extra)
        centre = np.sqrt(target)
        return np.maximum(centre - half, 0.0) ** 2, (centre + half) ** 2
    half = zp * np.sqrt(scale * target / n + extra)
    return np.maximum(target - half, 0.0), target + half


def _check_levels(levels: tuple[float, ...]) -> tuple[float, ...]:
    out = tuple(sorted(float(level) for level in levels))
    if not out or any(not 0 < level < 1 for level in out) or len(set(out)) != len(out):
        raise ValueError("levels must be distinct numbers strictly between 0 and 1, e.g. (0.95, 0.998)")
    return out


def funnel_curve(
    target: float,
    levels: tuple[float, ...],
    denominators_grid: ArrayLike,
    *,
    phi: float | None = None,
    tau2: float | None = None,
    transform: Transform = "none",
) -> dict[float, FunnelLimits]:
    """Control limits around ``target`` over a grid of denominators, for plotting a funnel.

    With neither ``phi`` nor ``tau2`` (or ``phi <= 1``, ``tau2 <= 0``) the limits are the exact
    Poisson ones, interpolated to be smooth (Spiegelhalter 2005a, appendix A). With
    ``tau2 > 0``: ``target +/- z_p sqrt(s^2 + tau2)`` (additive random effects); with ``phi > 1``:
    ``target +/- z_p sqrt(phi) s`` (multiplicative), where ``s^2 = target / n`` (or ``1 / (4 n)`` on
    the square-root scale, the limits then squared back). Lower limits stop at 0.

    Parameters
    ----------
    target : float
        The target rate ``theta0``, above 0 (per unit of denominator).
    levels : tuple of float
        Coverage of each pair of limits, e.g. ``(0.95, 0.998)``.
    denominators_grid : array_like
        Denominators (above 0) at which to compute the limits.
    phi, tau2 : float, optional
        Over-dispersion to allow for (at most one of them), e.g. from :func:`funnel`.
    transform : {"none", "sqrt"}, optional
        Scale of the normal approximation when over-dispersion is allowed for.

    Returns
    -------
    dict of float to FunnelLimits
        ``(lower, upper)`` on the rate scale for each level, in increasing order of level.

    References
    ----------
    Spiegelhalter (2005a), appendix A; Spiegelhalter (2005b).
    """
    if phi is not None and tau2 is not None:
        raise ValueError("give phi (multiplicative) or tau2 (additive), not both")
    if not (np.isfinite(target) and target > 0):
        raise ValueError("the target rate must be above 0")
    if transform not in ("none", "sqrt"):
        raise ValueError("transform must be 'none' or 'sqrt'")
    n = np.asarray(denominators_grid, dtype=np.float64)
    if not (np.all(np.isfinite(n)) and np.all(n > 0)):
        raise ValueError("denominators must be finite and above 0")
    out: dict[float, FunnelLimits] = {}
    for level in _check_levels(levels):
        if tau2 is not None and np.isfinite(tau2) and tau2 > 0:
            lower, upper = _normal_limits(target, n, level, tau2, transform, 1.0)
        elif phi is not None and np.isfinite(phi) and phi > 1:
            lower, upper = _normal_limits(target, n, level, 0.0, transform, phi)
        else:
            low_count, high_count = poisson_limits(target * n, level)
            lower, upper = low_count / n, high_count / n
        out[level] = FunnelLimits(np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64))
    return out


def funnel(
    observed: ArrayLike,
    denominator: ArrayLike,
    *,
    target: float | None = None,
    levels: tuple[float, ...] = (0.95, 0.998),
    overdispersion: bool | Method = True,
    winsor: float = 0.10,
    transform: Transform = "none",
    consistent: bool = False,
) -> FunnelResult:
    """Compare units' rates with a target, allowing for over-dispersion (Spiegelhalter 2005a, b).

    Steps (Spiegelhalter 2005b):

    1. z-scores under Poisson variation: ``z_i = (y_i - theta0) / s_i`` with ``s_i^2 = theta0 / n_i``
       (Spiegelhalter 2005a); with ``transform="sqrt"`` the variance-stabilised
       ``z_i = (sqrt(y_i) - sqrt(theta0)) / s_i`` with ``s_i^2 = 1 / (4 n_i)``, i.e.
       ``2 (sqrt(O_i) - sqrt(theta0 n_i))``, which behaves better for small counts.
    2. Winsorise: z-scores beyond the ``winsor`` and ``1 - winsor`` quantiles (linear
       interpolation) are set to those quantiles, so the outliers being looked for do not inflate
       the estimate of the background spread.
    3. ``phi = mean(z_w^2)`` over the I units.
    4. Additive (default, ``overdispersion=True`` or ``"additive"``):
       ``tau^2 = (I phi - (I - 1)) / (sum w_i - sum w_i^2 / sum w_i)`` with ``w_i = 1 / s_i^2``,
       0 when ``I phi <= I - 1``; limits ``theta0 +/- z_p sqrt(s_i^2 + tau^2)``.
       Multiplicative (``"multiplicative"``): limits ``theta0 +/- z_p sqrt(phi) s_i`` when
       ``phi > 1``.
    5. Where no over-dispersion is allowed for (``overdispersion=False``, or the estimate is nil:
       ``tau^2 = 0`` or ``phi <= 1``) the limits are the exact Poisson ones, interpolated
       (2005a, appendix A).

    ``phi``, ``tau2`` and the over-dispersion test are reported whatever ``overdispersion`` says.

    Parameters
    ----------
    observed : array_like
        Counts ``O_i`` (0 or more).
    denominator : array_like
        Denominators ``n_i`` (above 0): residents, households, or expected counts (then the
        target is 1 and rates are observed / expected ratios).
    target : float, optional
        ``theta0``; default the pooled rate ``sum(O) / sum(n)``.
    levels : tuple of float, optional
        Coverage of the limits, default ``(0.95, 0.998)`` (about 2 and 3 standard errors).
    overdispersion : bool or {"additive", "multiplicative"}, optional
        Which over-dispersion model sets the limits; ``True`` means additive, ``False`` none.
    winsor : float, optional
        Share of z-scores winsorised at each end when estimating ``phi``, default 0.10; in [0, 0.5).
    transform : {"none", "sqrt"}, optional
        Scale of the z-scores and of the over-dispersed limits.
    consistent : bool, optional
        Divide the winsorised ``phi`` by its expectation for normal z-scores,
        ``E[min(Z^2, a^2)] = (2 Phi(a) - 1) - 2 a phi(a) + 2 a^2 (1 - Phi(a))`` with ``a`` the
        ``1 - winsor`` normal quantile (0.679 at 10%), so that with no outliers ``phi`` and
        ``tau^2`` are not biased low. Spiegelhalter (2005b) leaves the winsorised estimate as it
        is, which by simulation puts about 10% of units outside the 95% limits of 32 units drawn
        from the random-effects model itself; corrected, about 5%. Default False (the published
        method, whose worked examples the tests reproduce).

    Returns
    -------
    FunnelResult

    References
    ----------
    Spiegelhalter, D. J. (2005a). Statistics in Medicine 24:1185-1202.
    Spiegelhalter, D. J. (2005b). Quality and Safety in Health Care 14:347-351.
    """
    o, n = np.broadcast_arrays(np.asarray(observed, dtype=np.float64), np.asarray(denominator, dtype=np.float64))
    o, n = o.ravel().copy(), n.ravel().copy()
    if o.size == 0:
        raise ValueError("a funnel needs at least one unit")
    if not (np.all(np.isfinite(o)) and np.all(o >= 0)):
        raise ValueError("observed counts must be finite and 0 or more")
    if not (np.all(np.isfinite(n)) and np.all(n > 0)):
        raise ValueError("denominators must be finite and above 0")
    if not 0 <= winsor < 0.5:
        raise ValueError("winsor must lie in [0, 0.5)")
    if transform not in ("none", "sqrt"):
        raise ValueError("transform must be 'none' or 'sqrt'")
    if overdispersion is True:
        method: Method | None = "additive"
    elif overdispersion is False:
        method = None
    elif overdispersion in ("additive", "multiplicative"):
        method = overdispersion
    else:
        raise ValueError("overdispersion must be True, False, 'additive' or 'multiplicative'")
    estimated = target is None
    theta0 = float(o.sum() / n.sum()) if target is None else float(target)
    if not (np.isfinite(theta0) and theta0 > 0):
        raise ValueError("the target rate must be above 0 (no events at all gives nothing to compare)")
    levels = _check_levels(levels)

    rate = o / n
    if transform == "sqrt":
        s2 = 1 / (4 * n)
        z = (np.sqrt(rate) - np.sqrt(theta0)) / np.sqrt(s2)
    else:
        s2 = theta0 / n
        z = (rate - theta0) / np.sqrt(s2)

    units = z.size
    if units >= 3:
        z_w = np.clip(z, np.quantile(z, winsor), np.quantile(z, 1 - winsor)) if winsor > 0 else z
        phi = float(np.mean(z_w**2))
        if consistent and winsor > 0:
            a = float(stats.norm.isf(winsor))
            phi /= float((2 * stats.norm.cdf(a) - 1) - 2 * a * stats.norm.pdf(a) + 2 * a * a * winsor)
        w = 1 / s2
        excess = units * phi - (units - 1)
        tau2 = max(0.0, float(excess / (w.sum() - (w**2).sum() / w.sum()))) if excess > 0 else 0.0
        dispersion_p = float(stats.chi2.sf(units * phi, units - 1 if estimated else units))
    else:
        phi, tau2, dispersion_p = float("nan"), float("nan"), float("nan")

    if method == "additive" and tau2 > 0:
        limits_method = ADDITIVE
        z_adjusted = z * np.sqrt(s2) / np.sqrt(s2 + tau2)
        limits = funnel_curve(theta0, levels, n, tau2=tau2, transform=transform)
        p_value = 2 * stats.norm.sf(np.abs(z_adjusted))
    elif method == "multiplicative" and phi > 1:
        limits_method = MULTIPLICATIVE
        z_adjusted = z / np.sqrt(phi)
        limits = funnel_curve(theta0, levels, n, phi=phi, transform=transform)
        p_value = 2 * stats.norm.sf(np.abs(z_adjusted))
    else:
        limits_method = EXACT
        z_adjusted = z.copy()
        limits = funnel_curve(theta0, levels, n, transform=transform)
        mu = theta0 * n
        p_value = np.minimum(
            1.0, 2 * np.minimum(stats.poisson.sf(np.ceil(o) - 1, mu), stats.poisson.cdf(np.floor(o), mu))
        )

    flags = np.full(units, WITHIN, dtype=object)
    for level, lim in limits.items():  # increasing level: a wider limit crossed overwrites a narrower one
        flags[rate > lim.upper] = above(level)
        flags[rate < lim.lower] = below(level)

    return FunnelResult(
        observed=o,
        denominator=n,
        rate=rate,
        target=theta0,
        z=z,
        z_adjusted=np.asarray(z_adjusted, dtype=np.float64),
        p_value=np.asarray(p_value, dtype=np.float64),
        limits=limits,
        flag=[str(f) for f in flags],
        phi=phi,
        tau2=tau2,
        dispersion_p_value=dispersion_p,
        overdispersed=limits_method != EXACT,
        limits_method=limits_method,
        transform=transform,
        winsor=winsor,
    )
