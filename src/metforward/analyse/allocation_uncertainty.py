"""The uncertainty of a resource allocation: Monte Carlo over the indicators' own uncertainty and the formula's
weight ranges, every draw run through the whole pipeline of :mod:`metforward.analyse.allocation` at once
(arrays shaped ``(draws, areas, indicators)``), and the year-to-year movement that noise alone would cause.

A count indicator is drawn from a gamma distribution with its observed value as mean and variance
``phi * value``, ``phi`` the over-dispersion measured on its monthly counts (McCullagh and Nelder 1989, §4.5;
the quasi-Poisson variance); other indicators normal with the relative standard error published or stated
in the formula file (kept above zero); weights uniform over the ranges the file gives. With no uncertainty
every draw is the point, so the range collapses to it. The noise of a year-to-year change is the spread of
the difference between two independent draws of the counts (weights and other indicators held).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metforward.analyse.allocation import Floats, Formula, Ints, Setup, effective, need_shares, run
from metforward.errors import InvalidValueError

#: How the uncertainty of an indicator is drawn.
UNCERTAINTY_KINDS: tuple[str, ...] = ("count", "relative", "none")
#: The points of the range (a 95% interval).
RANGE = (2.5, 97.5)


@dataclass(frozen=True)
class Noise:
    """How each indicator column is drawn: ``kind`` (:data:`UNCERTAINTY_KINDS`), the dispersion ``phi`` of a
    count and the relative standard error of the others."""

    kind: tuple[str, ...]
    phi: Floats
    relative_se: Floats

    @property
    def none(self) -> bool:
        """Whether nothing is uncertain."""
        return all(
            k == "none" or (k == "relative" and r == 0) for k, r in zip(self.kind, self.relative_se, strict=True)
        )


def draw_values(
    values: Floats, noise: Noise, draws: int, rng: np.random.Generator, *, counts_only: bool = False
) -> Floats:
    """``draws`` sets of indicator values ``(draws, areas, indicators)`` around ``values (areas, indicators)``:
    counts from a gamma with mean the value and variance ``phi * value``; others normal with their relative
    standard error (kept above zero); ``counts_only``: the others held at their values."""
    by_indicator = np.ascontiguousarray(values.T)
    out = np.broadcast_to(by_indicator, (draws, *by_indicator.shape)).copy()  # (draws, indicators, areas)
    for j, kind in enumerate(noise.kind):
        v = by_indicator[j]
        if kind == "count" and noise.phi[j] > 0:
            phi = float(noise.phi[j])
            shape = np.where(v > 0, v / phi, 1.0)
            out[:, j, :] = np.where(v > 0, rng.gamma(shape, phi, size=(draws, len(v))), 0.0)
        elif kind == "relative" and noise.relative_se[j] > 0 and not counts_only:
            z = rng.standard_normal((draws, len(v)))
            out[:, j, :] = np.maximum(v * (1.0 + noise.relative_se[j] * z), v * 1e-3)
    return out.transpose(0, 2, 1)


def draw_weights(formula: Formula, draws: int, rng: np.random.Generator) -> Floats:
    """Effective term weights ``(draws, terms)`` with each component and term weight uniform over its range."""
    comp = np.array(
        [
            rng.uniform(*c.weight_range, size=draws) if c.weight_range else np.full(draws, c.weight)
            for c in formula.components
        ]
    ).T
    terms = np.array(
        [
            rng.uniform(*t.weight_range, size=draws) if t.weight_range else np.full(draws, t.weight)
            for _, t in formula.terms
        ]
    ).T
    return effective(comp.reshape(draws, -1), terms.reshape(draws, -1), formula.component_of_terms())


@dataclass(frozen=True)
class Simulation:
    """The Monte Carlo ranges: 2.5% and 97.5% points by area of the whole allocation, the need share and the
    formula officers; and the year-to-year noise (97.5% point of the absolute difference of the formula
    officers between two independent draws of the counts)."""

    draws: int
    allocation_low: Ints
    allocation_high: Ints
    need_low: Floats
    need_high: Floats
    formula_low: Floats
    formula_high: Floats
    noise_change: Floats
    weights_varied: bool
    seed: int


def simulate(
    setup: Setup, values: Floats, noise: Noise, *, draws: int = 2000, seed: int = 1, chunk: int = 5000
) -> Simulation:
    """Monte Carlo over the indicators' uncertainty and the formula's weight ranges (see the module)."""
    if draws < 1:
        raise InvalidValueError(f"draws: give at least 1, not {draws}")
    rng = np.random.default_rng(seed)
    f = setup.formula
    varied = any(c.weight_range for c in f.components) or any(t.weight_range for _, t in f.terms)
    allocation, need, formula = [], [], []
    for start in range(0, draws, chunk):
        size = min(chunk, draws - start)
        drawn = (
            draw_values(values, noise, size, rng) if not noise.none else np.broadcast_to(values, (size, *values.shape))
        )
        weights = draw_weights(f, size, rng) if varied else None
        r = run(setup, np.asarray(drawn), weights, detail=False)
        allocation.append(r.allocation)
        need.append(r.need)
        formula.append(r.formula)
    a, nd, fm = np.concatenate(allocation), np.concatenate(need), np.concatenate(formula)
    q = np.array(RANGE) / 100
    pairs = max(draws // 2, 1)
    first = need_shares(setup, draw_values(values, noise, pairs, rng, counts_only=True))[0] * setup.shared
    second = need_shares(setup, draw_values(values, noise, pairs, rng, counts_only=True))[0] * setup.shared
    a_range, n_range, f_range = (np.quantile(x, q, axis=0) for x in (a, nd, fm))
    return Simulation(
        draws=draws,
        allocation_low=np.floor(a_range[0]).astype(np.int64),
        allocation_high=np.ceil(a_range[1]).astype(np.int64),
        need_low=n_range[0],
        need_high=n_range[1],
        formula_low=f_range[0],
        formula_high=f_range[1],
        noise_change=np.quantile(np.abs(first - second), 0.95, axis=0),
        weights_varied=varied,
        seed=seed,
    )


def movement(change: Floats, noise: Floats) -> list[str]:
    """The verdict on each area's year-to-year change of formula officers against the noise alone: "up" or
    "down" beyond it, "can't tell" within it."""
    return ["up" if c > n else "down" if c < -n else "can't tell" for c, n in zip(change, noise, strict=True)]


__all__ = ["RANGE", "UNCERTAINTY_KINDS", "Noise", "Simulation", "draw_values", "draw_weights", "movement", "simulate"]
