"""Resource allocation: a total of officers shared among areas by a weighted formula, damped, rounded to
whole officers, with Monte Carlo ranges and an explanation of each area's number.

The formula (:class:`Formula`) is the structure the Metropolitan Police Authority's Resource Allocation
Formula papers describe (MPA Finance committee 17 Oct 2000 report 6; MPA 10 Dec 2001 report 10; CoP 19
Jul 2004 report 4; CoP 11 Feb 2005 report 4 and press release 10/05; CoP 5 Apr 2007 report 7):

1. **Shares.** Each indicator (population, deprivation, crime, ...) is turned into a value per area by
   its transform (:data:`TRANSFORMS`): ``share`` (the value as it is: a count's share of London),
   ``per_capita`` (value per resident: size-blind), ``population_weighted`` (value times residents: a
   score or a level given the weight of the people it describes) or ``log`` (``log(1 + value)``,
   which flattens extremes). The area's share of the indicator is its value over the sum of all areas'.
2. **Need.** Indicators are weighted within their component (``need``, ``demand``, ...), components
   are weighted against each other, and an area's *need share* is the weighted sum of its indicator
   shares (weights are normalised: only their ratios matter). The formula allocation is the need share
   times the total to share out (after the judgement adjustments are top-sliced, below).
3. **Damping** (:class:`Damping`), against a baseline strength: *no losers* (no area below its
   baseline; when the total is below the baseline's sum that cannot hold, and every area then keeps
   the same share of its baseline, which the answer states), a *cap* on gains (at most ``cap`` times
   the baseline more: the 2% of the 2005 formula), and *floors* (a best-strength minimum per area, as
   in 2001). The areas held at no bound share what is left in proportion to their formula allocation
   (one multiplier, found by bisection).
4. **Whole officers.** The damped allocation is apportioned to whole numbers that sum exactly to the
   total, within the bounds: by largest remainder (Hamilton, the default) or by the divisor method
   with standard rounding (Webster / Sainte-Laguë); Balinski and Young (1982), "Fair Representation".
   Unbounded, Hamilton satisfies the quota rule (each area gets its quota rounded down or up).
5. **Judgement adjustments** (:class:`Adjustment`, the "Commissioner's judgement" of the papers:
   Brent +25 in 2005/06 for homicides, gun and drug crime the formula did not capture) are top-sliced:
   the formula shares out the total less the adjustments, and each is then added to its area, so
   every allocation still sums to the total.

**Uncertainty** (:mod:`metforward.analyse.allocation_uncertainty`): Monte Carlo over the indicators' own uncertainty (a count indicator
drawn from a gamma distribution with its mean and variance ``phi * mean``, ``phi`` the over-dispersion
measured on its monthly counts, McCullagh and Nelder 1989 §4.5; other indicators normal with the
relative standard error published or stated in the formula file) and over the weight ranges the file
gives (uniform). Every draw runs the same pipeline as the point estimate, so with no uncertainty the
range collapses to the point. **Stability**: the year-to-year movement that noise alone would cause is
the spread of the difference between two independent draws of the count indicators (weights and other
indicators held), against which the formula's actual movement from last year is judged.

Everything here is NumPy over arrays shaped ``(draws, areas, indicators)``: no store, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import InvalidValueError

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

#: How an indicator's values become the values whose shares are taken (see the module's docstring).
TRANSFORMS: tuple[str, ...] = ("share", "per_capita", "population_weighted", "log")
#: Apportionment methods: largest remainder (Hamilton) and Webster / Sainte-Laguë.
METHODS: tuple[str, ...] = ("hamilton", "webster")
METHOD_NAMES = {
    "hamilton": "largest remainder (Hamilton): quotas rounded down, the officers left over to the largest "
    "remainders (Balinski and Young 1982)",
    "webster": "divisor method with standard rounding (Webster / Sainte-Laguë; Balinski and Young 1982)",
}
#: Bisection steps for the damping multiplier and Webster's divisor (float64 resolution long before).
_STEPS = 60


# --- the formula ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One indicator in one component: its weight within the component, transform and weight range."""

    indicator: str
    weight: float
    transform: str = "share"
    weight_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Component:
    """A component of need (``need``, ``demand``): its weight against the other components and its terms."""

    name: str
    weight: float
    terms: tuple[Term, ...]
    weight_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Adjustment:
    """A judgement adjustment: ``officers`` added to ``area`` (a code) outside the formula, with the reason."""

    area: str
    officers: int
    reason: str


@dataclass(frozen=True)
class Damping:
    """Damping against a baseline: no losers, a cap on gains (a share of the baseline), floors by area code."""

    no_losers: bool = False
    cap: float | None = None
    floors: tuple[tuple[str, float], ...] = ()

    @property
    def active(self) -> bool:
        """Whether any rule is set."""
        return self.no_losers or self.cap is not None or bool(self.floors)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"no_losers": self.no_losers, "cap": self.cap, "floors": dict(self.floors)}


@dataclass(frozen=True)
class Formula:
    """A resource allocation formula (the YAML file of ``docs/allocation.md``, validated)."""

    title: str
    total: int
    components: tuple[Component, ...]
    method: str = "hamilton"
    damping: Damping = field(default_factory=Damping)
    adjustments: tuple[Adjustment, ...] = ()
    #: Relative standard error by indicator (published or stated in the file); counts use their dispersion.
    uncertainty: tuple[tuple[str, float], ...] = ()
    #: ``none``, ``previous-year`` (this formula's allocation a year earlier) or ``values`` (given by area).
    baseline: str = "none"
    baseline_values: tuple[tuple[str, float], ...] = ()
    baseline_source: str = ""
    #: The total of the previous-year baseline (None: this formula's own).
    baseline_total: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InvalidValueError(f"method: {self.method!r} is not a method; give one of {', '.join(METHODS)}")
        if not self.components:
            raise InvalidValueError("a formula needs at least one component")
        for c in self.components:
            if not c.terms:
                raise InvalidValueError(f"component {c.name!r} has no indicators")
            if c.weight < 0 or any(t.weight < 0 for t in c.terms):
                raise InvalidValueError(f"component {c.name!r}: weights cannot be negative")
            for t in c.terms:
                if t.transform not in TRANSFORMS:
                    raise InvalidValueError(
                        f"{c.name}.{t.indicator}: transform {t.transform!r} is not one of {', '.join(TRANSFORMS)}"
                    )
        if sum(c.weight for c in self.components) <= 0:
            raise InvalidValueError("the component weights sum to 0: give at least one a positive weight")

    @property
    def terms(self) -> list[tuple[Component, Term]]:
        """Every term with its component, in order."""
        return [(c, t) for c in self.components for t in c.terms]

    @property
    def indicators(self) -> list[str]:
        """The distinct indicators the formula uses, in order of first use."""
        return list(dict.fromkeys(t.indicator for _, t in self.terms))

    @property
    def adjusted(self) -> int:
        """Officers top-sliced for judgement adjustments."""
        return sum(a.officers for a in self.adjustments)

    def effective_weights(self) -> Floats:
        """Each term's weight in the need share: component share times the term's share within it."""
        weights: Floats = effective(
            np.array([[c.weight for c in self.components]], dtype=np.float64),
            np.array([[t.weight for _, t in self.terms]], dtype=np.float64),
            self.component_of_terms(),
        )[0]
        return weights

    def component_of_terms(self) -> Ints:
        """The component of each term, as its index in ``components``."""
        index = {c.name: i for i, c in enumerate(self.components)}
        return np.array([index[c.name] for c, _ in self.terms], dtype=np.int64)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``meta["formula"]``)."""
        return {
            "title": self.title,
            "source": self.source,
            "total": self.total,
            "method": self.method,
            "components": [
                {
                    "name": c.name,
                    "weight": c.weight,
                    "weight_range": list(c.weight_range) if c.weight_range else None,
                    "indicators": [
                        {
                            "indicator": t.indicator,
                            "weight": t.weight,
                            "transform": t.transform,
                            "weight_range": list(t.weight_range) if t.weight_range else None,
                        }
                        for t in c.terms
                    ],
                }
                for c in self.components
            ],
            "effective_weights": {
                f"{c.name}.{t.indicator}": round(float(w), 6)
                for (c, t), w in zip(self.terms, self.effective_weights(), strict=True)
            },
            "damping": self.damping.as_dict(),
            "adjustments": [
                {
                    "area": a.area,
                    "area_name": LONDON_BOROUGHS.get(a.area, a.area),
                    "officers": a.officers,
                    "reason": a.reason,
                }
                for a in self.adjustments
            ],
            "uncertainty": dict(self.uncertainty),
            "baseline": self.baseline,
            "baseline_source": self.baseline_source,
            "baseline_total": self.baseline_total,
        }


def effective(component_weights: Floats, term_weights: Floats, component_of: Ints) -> Floats:
    """Effective term weights ``(draws, terms)`` from component ``(draws, K)`` and term weights ``(draws, terms)``."""
    k = component_weights.shape[1]
    within = np.zeros_like(component_weights)
    for j in range(k):
        within[:, j] = term_weights[:, component_of == j].sum(axis=1)
    comp = component_weights / component_weights.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        term_share = np.where(within[:, component_of] > 0, term_weights / within[:, component_of], 0.0)
    out: Floats = comp[:, component_of] * term_share
    normalised: Floats = out / out.sum(axis=1, keepdims=True)
    return normalised


# --- shares and need -------------------------------------------------------------------------------------


def transformed(values: Floats, population: Floats, transform: str) -> Floats:
    """``values`` (any shape ending in areas) put through ``transform`` (:data:`TRANSFORMS`)."""
    if transform == "share":
        return values
    if transform == "per_capita":
        return values / population
    if transform == "population_weighted":
        return values * population
    if transform == "log":
        return np.log1p(values)
    raise InvalidValueError(f"transform {transform!r} is not one of {', '.join(TRANSFORMS)}")


def term_shares(values: Floats, population: Floats, terms: Sequence[tuple[int, str]]) -> Floats:
    """Each area's share of each term: ``values (draws, areas, indicators)``, ``population (draws, areas)``,
    ``terms`` (indicator column, transform) -> ``(draws, terms, areas)``, each term's shares summing to 1."""
    by_indicator = np.ascontiguousarray(values.transpose(0, 2, 1))  # (draws, indicators, areas): areas contiguous
    out = np.empty((values.shape[0], len(terms), values.shape[1]), dtype=np.float64)
    for t, (column, how) in enumerate(terms):
        x = transformed(by_indicator[:, column, :], population, how)
        out[:, t, :] = x / x.sum(axis=1, keepdims=True)
    return out


# --- damping -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    """Lower and upper bounds of each area's formula officers, and what relaxing them took (if anything)."""

    lower: Floats
    upper: Floats
    notes: tuple[str, ...] = ()
    #: The share of its baseline each area keeps when the total falls below the baseline's sum (else None).
    kept: float | None = None


def damping_bounds(damping: Damping, baseline: Floats | None, floors: Floats | None, total: float) -> Bounds:
    """The bounds ``damping`` sets for a ``total`` shared out, against ``baseline`` (areas) and ``floors``."""
    if baseline is None and floors is None:
        return Bounds(np.zeros(0), np.zeros(0))
    n = len(baseline) if baseline is not None else len(floors)  # type: ignore[arg-type]
    lower = np.zeros(n)
    upper = np.full(n, np.inf)
    notes: list[str] = []
    kept = None
    if baseline is not None and damping.no_losers:
        whole = float(baseline.sum())
        if whole > total:
            kept = total / whole
            lower = baseline * kept
            notes.append(
                f"the total shared by the formula ({total:,.0f}) is below the baseline's sum ({whole:,.0f}): no "
                f"losers cannot hold, so every area keeps at least {100 * kept:.1f}% of its baseline"
            )
        else:
            lower = baseline.astype(np.float64).copy()
    if baseline is not None and damping.cap is not None:
        upper = baseline * (1.0 + damping.cap)
    if floors is not None:
        lower = np.maximum(lower, floors)
        if lower.sum() > total:
            scale = total / float(lower.sum())
            notes.append(
                f"the floors and the baseline ask for {lower.sum():,.0f} officers, more than the {total:,.0f} shared: "
                f"each lower bound is scaled to {100 * scale:.1f}%"
            )
            lower = lower * scale
    upper = np.maximum(upper, lower)
    if np.isfinite(upper).all() and upper.sum() < total:
        scale = total / float(upper.sum())
        notes.append(
            f"the cap on gains allows {upper.sum():,.0f} officers, fewer than the {total:,.0f} shared: the cap is "
            f"loosened so that each area may reach {100 * scale:.1f}% of its capped number"
        )
        upper = upper * scale
    return Bounds(lower, upper, tuple(notes), kept)


def damp(raw: Floats, lower: Floats, upper: Floats, total: float) -> tuple[Floats, Floats]:
    """``raw (draws, areas)`` moved within ``[lower, upper]`` keeping its sum ``total``: ``clip(m * raw)`` with
    one multiplier ``m`` per draw found by bisection. Returns the damped values and the multipliers."""
    if not (lower > 0).any() and np.isinf(upper).all():
        return raw, np.ones(raw.shape[0])
    lo = np.zeros(raw.shape[0])
    positive = np.where(raw > 0, raw, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(raw > 0, np.maximum(np.where(np.isfinite(upper), upper, 0.0), lower) / positive, 0.0)
    # at ``hi`` every capped area is at its cap and any uncapped one alone reaches the total
    hi = np.maximum(np.max(ratio, axis=1), total / np.min(positive, axis=1)) * 2.0 + 1.0
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        reached = np.clip(mid[:, None] * raw, lower, upper).sum(axis=1)
        below = reached < total
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    m = (lo + hi) / 2
    return np.clip(m[:, None] * raw, lower, upper), m


# --- whole officers ---------------------------------------------------------------------------------------


def integer_bounds(lower: Floats, upper: Floats, total: int) -> tuple[Ints, Ints]:
    """Whole-officer bounds inside the real ones where they allow the total (rounded outwards where not)."""
    low = np.ceil(lower - 1e-9).astype(np.int64)
    if low.sum() > total:
        low = np.floor(lower + 1e-9).astype(np.int64)
    high = np.where(np.isfinite(upper), np.floor(np.where(np.isfinite(upper), upper, 0) + 1e-9), total).astype(np.int64)
    if high.sum() < total:
        high = np.where(np.isfinite(upper), np.ceil(np.where(np.isfinite(upper), upper, 0) - 1e-9), total)
        high = high.astype(np.int64)
    return low, np.maximum(high, low)


def hamilton(quotas: Floats, total: int, low: Ints | None = None, high: Ints | None = None) -> Ints:
    """Largest remainder: ``quotas (draws, areas)`` (summing to ``total``) to whole numbers summing to ``total``,
    each within ``[low, high]``: quotas rounded down (into the bounds), then one more to each of the largest
    remainders until the total is reached (or one fewer from the smallest, when the bounds overshoot)."""
    q = np.atleast_2d(np.asarray(quotas, dtype=np.float64))
    n = q.shape[1]
    low = np.zeros(n, dtype=np.int64) if low is None else low
    high = np.full(n, total, dtype=np.int64) if high is None else high
    seats = np.clip(np.floor(q + 1e-9), low, high).astype(np.int64)
    for _ in range(total + 1):
        short = total - seats.sum(axis=1)
        if not short.any():
            break
        remainder = q - seats
        # areas that may take one more, largest remainder first (ties: the lower index)
        up = np.where(seats < high, remainder, -np.inf)
        down = np.where(seats > low, remainder, np.inf)
        order_up = np.argsort(-up, axis=1, kind="stable")
        order_down = np.argsort(down, axis=1, kind="stable")
        rank_up = np.argsort(order_up, axis=1, kind="stable")
        rank_down = np.argsort(order_down, axis=1, kind="stable")
        give = (rank_up < short[:, None]) & np.isfinite(up) & (short[:, None] > 0)
        take = (rank_down < -short[:, None]) & np.isfinite(down) & (short[:, None] < 0)
        if not (give.any() or take.any()):
            raise InvalidValueError(f"the bounds leave no way to share out exactly {total} officers")
        seats = seats + give.astype(np.int64) - take.astype(np.int64)
    return seats


def webster(quotas: Floats, total: int, low: Ints | None = None, high: Ints | None = None) -> Ints:
    """Webster (Sainte-Laguë): ``clip(round(quota / d), low, high)`` with one divisor ``d`` per draw making the
    total; where several areas reach a rounding point at the same divisor, the seats go in order of
    ``quota / (seats + 0.5)`` (the method's own priority)."""
    q = np.atleast_2d(np.asarray(quotas, dtype=np.float64))
    n = q.shape[1]
    low = np.zeros(n, dtype=np.int64) if low is None else low
    high = np.full(n, total, dtype=np.int64) if high is None else high

    def seats_at(d: Floats) -> Ints:
        return np.clip(np.floor(q / d[:, None] + 0.5), low, high).astype(np.int64)

    # small divisor -> many seats; find d_hi with sum <= total and d_lo with sum >= total
    d_lo = np.full(q.shape[0], 1e-9)
    d_hi = np.full(q.shape[0], max(float(q.max()), 1.0) * 4 + 4.0)
    for _ in range(_STEPS + 40):
        mid = np.sqrt(d_lo * d_hi)
        over = seats_at(mid).sum(axis=1) >= total
        d_lo = np.where(over, mid, d_lo)
        d_hi = np.where(over, d_hi, mid)
    seats = seats_at(d_hi)
    more = seats_at(d_lo)
    short = total - seats.sum(axis=1)
    if (short > 0).any():
        priority = np.where(more > seats, q / (seats + 0.5), -np.inf)
        order = np.argsort(-priority, axis=1, kind="stable")
        rank = np.argsort(order, axis=1, kind="stable")
        seats = seats + ((rank < short[:, None]) & np.isfinite(priority)).astype(np.int64)
    if (seats.sum(axis=1) != total).any():  # bounds that cannot make the total: fall back to the remainders
        return hamilton(q, total, low, high)
    return seats


def apportion(quotas: Floats, total: int, method: str, low: Ints | None = None, high: Ints | None = None) -> Ints:
    """Whole officers by ``method`` (:data:`METHODS`)."""
    if method == "hamilton":
        return hamilton(quotas, total, low, high)
    if method == "webster":
        return webster(quotas, total, low, high)
    raise InvalidValueError(f"method: {method!r} is not a method; give one of {', '.join(METHODS)}")


# --- the whole pipeline, vectorised over draws ----------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """What the pipeline needs besides the indicator values: the formula as arrays, for ``n`` areas.

    ``columns`` maps each indicator to its column in the values; ``population`` is the column of the
    residents (for the per-capita transforms); ``baseline`` and ``floors`` are per area (None: not set);
    ``adjust`` the whole officers added to each area by judgement.
    """

    formula: Formula
    columns: Mapping[str, int]
    population: int
    baseline: Floats | None
    floors: Floats | None
    adjust: Ints

    @property
    def terms(self) -> list[tuple[int, str]]:
        """Each term's (value column, transform)."""
        return [(self.columns[t.indicator], t.transform) for _, t in self.formula.terms]

    @property
    def shared(self) -> int:
        """Officers the formula shares out: the total less the judgement adjustments."""
        return self.formula.total - int(self.adjust.sum())


@dataclass(frozen=True)
class Run:
    """One pass of the pipeline over ``draws`` sets of values (arrays with a leading draws axis)."""

    need: Floats  # (draws, areas): need share
    contributions: Floats  # (draws, terms, areas): officers each term gives, before damping
    formula: Floats  # (draws, areas): need share x officers shared
    undamped: Ints  # (draws, areas): whole officers before damping
    damped: Floats  # (draws, areas)
    allocation: Ints  # (draws, areas): whole officers after damping, with the adjustments
    multiplier: Floats  # (draws,)
    bounds: Bounds


def need_shares(setup: Setup, values: Floats, weights: Floats | None = None) -> tuple[Floats, Floats, Floats]:
    """The need share ``(draws, areas)``, each term's shares ``(draws, terms, areas)`` and the effective term
    weights used ``(draws, terms)``."""
    f = setup.formula
    draws = values.shape[0]
    w = np.broadcast_to(f.effective_weights(), (draws, len(f.terms))) if weights is None else weights
    shares = term_shares(values, values[:, :, setup.population], setup.terms)  # (draws, terms, areas)
    need = np.matmul(w[:, None, :], shares)[:, 0, :]
    return need / need.sum(axis=1, keepdims=True), shares, w


def run(setup: Setup, values: Floats, weights: Floats | None = None, *, detail: bool = True) -> Run:
    """The formula on ``values (draws, areas, indicators)``; ``weights (draws, terms)`` are the effective term
    weights (None: the formula's own). Without ``detail`` (the Monte Carlo), the contributions and the whole
    officers before damping are not worked out (left empty)."""
    f = setup.formula
    draws = values.shape[0]
    need, shares, w = need_shares(setup, values, weights)
    shared = setup.shared
    formula = need * shared
    contributions = shares * w[:, :, None] * shared if detail else np.empty((draws, 0, 0))
    bounds = damping_bounds(f.damping, setup.baseline, setup.floors, float(shared))
    undamped = apportion(formula, shared, f.method) if detail else np.empty((draws, 0), dtype=np.int64)
    if f.damping.active and (setup.baseline is not None or setup.floors is not None):
        # whole-officer bounds first, so that the damped quotas respect them and the rounding keeps the quota rule
        low, high = integer_bounds(bounds.lower, bounds.upper, shared)
        upper = np.where(np.isfinite(bounds.upper), high, np.inf).astype(np.float64)
        bounds = Bounds(low.astype(np.float64), upper, bounds.notes, bounds.kept)
        damped, multiplier = damp(formula, bounds.lower, bounds.upper, float(shared))
        whole = apportion(damped, shared, f.method, low, high)
    else:
        damped, multiplier = formula, np.ones(draws)
        whole = undamped if detail else apportion(formula, shared, f.method)
    return Run(need, contributions, formula, undamped, damped, whole + setup.adjust, multiplier, bounds)


def point(setup: Setup, values: Floats) -> Run:
    """The formula on one set of values ``(areas, indicators)`` (a :class:`Run` with one draw)."""
    return run(setup, values[None, :, :])


def damping_rule(run: Run, setup: Setup, i: int) -> str:
    """Which damping bound held area ``i`` in ``run`` (one draw): ``cap``, ``floor``, ``no losers``, ``no losers
    (pro rata)`` (the total fell below the baseline's), ``scaled`` (free, sharing what the bounds left) or
    ``none``."""
    if (setup.baseline is None and setup.floors is None) or not setup.formula.damping.active:
        return "none"
    d, lower, upper = run.damped[0, i], run.bounds.lower[i], run.bounds.upper[i]
    if np.isfinite(upper) and d >= upper - 1e-6:
        return "cap"
    if d <= lower + 1e-6 and lower > 0:
        if setup.floors is not None and setup.floors[i] >= lower - 1e-6 and setup.floors[i] > 0:
            return "floor"
        return "no losers (pro rata)" if run.bounds.kept is not None else "no losers"
    return "scaled" if abs(run.multiplier[0] - 1) > 1e-9 else "none"


__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "TRANSFORMS",
    "Adjustment",
    "Bounds",
    "Component",
    "Damping",
    "Formula",
    "Run",
    "Setup",
    "Term",
    "apportion",
    "damp",
    "damping_rule",
    "effective",
    "need_shares",
    "damping_bounds",
    "hamilton",
    "integer_bounds",
    "point",
    "run",
    "term_shares",
    "transformed",
    "webster",
]
