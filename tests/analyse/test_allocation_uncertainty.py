"""The allocation Monte Carlo: no uncertainty collapses the range to the point, uncertainty widens it around the
point, the seed fixes it, and on a simulated formula with known truth the 95% range covers the truth about 95%
of the time."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from metforward.analyse.allocation import Damping, point
from metforward.analyse.allocation_uncertainty import Noise, movement, simulate
from tests.analyse.test_allocation import setup, two_component, values_for


def test_with_no_uncertainty_the_range_collapses_to_the_point() -> None:
    v = values_for(32)
    baseline = np.round(v[:, 0] / v[:, 0].sum() * 990)
    s = setup(two_component(1000, damping=Damping(no_losers=True, cap=0.02)), 32, baseline)
    noise = Noise(("relative", "relative", "count"), np.array([0.0, 0.0, 0.0]), np.zeros(3))
    sim = simulate(s, v, noise, draws=200)
    p = point(s, v)
    assert (sim.allocation_low == p.allocation[0]).all() and (sim.allocation_high == p.allocation[0]).all()
    assert sim.need_low == pytest.approx(p.need[0]) and sim.need_high == pytest.approx(p.need[0])
    assert (sim.noise_change == 0).all()
    assert movement(np.array([0.5, -0.5]), np.array([0.0, 1.0])) == ["up", "can't tell"]


def test_uncertainty_widens_the_range_around_the_point() -> None:
    v = values_for(32)
    s = setup(two_component(20000), 32)
    noise = Noise(("relative", "none", "count"), np.array([0.0, 0.0, 3.0]), np.array([0.02, 0.0, 0.0]))
    sim = simulate(s, v, noise, draws=2000, seed=3)
    p = point(s, v)
    assert (sim.allocation_low <= p.allocation[0]).all() and (sim.allocation_high >= p.allocation[0]).all()
    assert (sim.allocation_high - sim.allocation_low).mean() > 5
    again = simulate(s, v, noise, draws=2000, seed=3)
    assert (again.allocation_low == sim.allocation_low).all()  # the seed fixes the draws
    varied = replace(
        s,
        formula=replace(
            s.formula, components=(replace(s.formula.components[0], weight_range=(0.2, 0.6)), s.formula.components[1])
        ),
    )
    wide = simulate(varied, v, Noise(("none", "none", "none"), np.zeros(3), np.zeros(3)), draws=2000)
    assert wide.weights_varied and (wide.allocation_high - wide.allocation_low).max() > 10


def test_the_range_covers_the_truth_on_a_simulated_formula() -> None:
    """Known truth: crime counts drawn with variance phi * mean around true means; the 95% range of the
    formula officers (run from each observed draw) should hold the true formula officers about 95% of
    the time, area by area."""
    rng = np.random.default_rng(2024)
    n, phi, reps = 32, 3.0, 100
    truth_values = values_for(n, seed=7)
    s = setup(two_component(20000), n)
    noise = Noise(("none", "none", "count"), np.array([0.0, 0.0, phi]), np.zeros(3))
    truth = point(s, truth_values).formula[0]
    covered = np.zeros(n)
    for _ in range(reps):
        observed = truth_values.copy()
        mean = truth_values[:, 2]
        observed[:, 2] = rng.gamma(mean / phi, phi)
        sim = simulate(s, observed, noise, draws=500, seed=int(rng.integers(1 << 30)))
        covered += (sim.formula_low <= truth) & (truth <= sim.formula_high)
    coverage = covered.sum() / (reps * n)
    assert 0.92 <= coverage <= 0.98, coverage
