"""The allocation kernels: apportionment against independent implementations (largest remainder, Sainte-Laguë's
highest averages), the quota rule, damping (no losers, the cap, floors, a falling total stated), adjustments,
and monotonicity before damping; Hypothesis over random indicators, weights and damping."""

from __future__ import annotations

import heapq
import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metforward.analyse.allocation import (
    Adjustment,
    Component,
    Damping,
    Formula,
    Setup,
    Term,
    apportion,
    damping_bounds,
    hamilton,
    integer_bounds,
    point,
    run,
    webster,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- independent references ------------------------------------------------------------------------------


def largest_remainder(values: list[float], total: int) -> list[int]:
    """Hamilton's method written out with exact fractions: quotas, floors, the rest to the largest remainders."""
    whole = sum(Fraction(v) for v in values)
    quotas = [Fraction(v) * total / whole for v in values]
    seats = [math.floor(q) for q in quotas]
    order = sorted(range(len(values)), key=lambda i: (-(quotas[i] - seats[i]), i))
    for i in order[: total - sum(seats)]:
        seats[i] += 1
    return seats


def sainte_lague(values: list[float], total: int) -> list[int]:
    """Webster by highest averages: each officer in turn to the largest ``value / (seats + 0.5)``."""
    seats = [0] * len(values)
    heap = [(-v / 0.5, i) for i, v in enumerate(values)]
    heapq.heapify(heap)
    for _ in range(total):
        _, i = heapq.heappop(heap)
        seats[i] += 1
        heapq.heappush(heap, (-values[i] / (seats[i] + 0.5), i))
    return seats


weights_lists = st.lists(st.floats(0.01, 1000.0, allow_nan=False, allow_infinity=False), min_size=2, max_size=33)


def quotas_of(values: list[float], total: int) -> np.ndarray:
    v = np.array(values, dtype=np.float64)
    return v / v.sum() * total


# --- apportionment ----------------------------------------------------------------------------------------


@SETTINGS
@given(values=weights_lists, total=st.integers(1, 30000))
def test_hamilton_sums_to_the_total_keeps_the_quota_rule_and_equals_largest_remainder(
    values: list[float], total: int
) -> None:
    q = quotas_of(values, total)
    seats = hamilton(q[None, :], total)[0]
    assert seats.sum() == total
    assert ((seats >= np.floor(q - 1e-9)) & (seats <= np.ceil(q + 1e-9))).all()  # the quota rule
    reference = largest_remainder(values, total)
    # the same, except where two remainders tie to float precision
    differ = np.flatnonzero(seats != np.array(reference))
    assert len(differ) == 0 or np.ptp((q - np.floor(q))[differ]) < 1e-6


@SETTINGS
@given(values=weights_lists, total=st.integers(1, 3000))
def test_webster_equals_highest_averages(values: list[float], total: int) -> None:
    q = quotas_of(values, total)
    seats = webster(q[None, :], total)[0]
    assert seats.sum() == total
    reference = np.array(sainte_lague(values, total))
    if (seats != reference).any():  # only a tie of two averages may differ
        priorities = sorted(
            values[i] / (reference[i] - 0.5) for i in np.flatnonzero(seats != reference) if reference[i] > 0
        )
        assert len(priorities) >= 1 and np.ptp(priorities) / max(priorities) < 1e-9


@SETTINGS
@given(
    values=weights_lists,
    total=st.integers(50, 5000),
    method=st.sampled_from(["hamilton", "webster"]),
    data=st.data(),
)
def test_bounded_apportionment_keeps_its_bounds_and_the_total(
    values: list[float], total: int, method: str, data: st.DataObject
) -> None:
    n = len(values)
    q = quotas_of(values, total)
    low = np.array(data.draw(st.lists(st.integers(0, total // n), min_size=n, max_size=n)), dtype=np.int64)
    high = low + np.array(data.draw(st.lists(st.integers(0, total), min_size=n, max_size=n)), dtype=np.int64)
    if low.sum() > total or high.sum() < total:
        return
    seats = apportion(q[None, :], total, method, low, high)[0]
    assert seats.sum() == total
    assert (seats >= low).all() and (seats <= high).all()


def test_apportionment_across_draws_is_row_by_row() -> None:
    rng = np.random.default_rng(4)
    q = rng.dirichlet(np.ones(12), size=50) * 997
    for method in ("hamilton", "webster"):
        together = apportion(q, 997, method)
        one_by_one = np.vstack([apportion(q[i : i + 1], 997, method) for i in range(50)])
        assert (together == one_by_one).all() and (together.sum(axis=1) == 997).all()


# --- a formula ---------------------------------------------------------------------------------------------


def two_component(total: int = 1000, **kwargs: object) -> Formula:
    return Formula(
        "test",
        total,
        (
            Component("need", 0.4, (Term("population", 0.6), Term("deprivation", 0.4, "population_weighted"))),
            Component("demand", 0.6, (Term("crime", 1.0),)),
        ),
        **kwargs,  # type: ignore[arg-type]
    )


COLUMNS = {"population": 0, "deprivation": 1, "crime": 2}


def values_for(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(1.5e5, 4e5, n), rng.uniform(10, 40, n), rng.uniform(8e3, 4e4, n)])


def setup(formula: Formula, n: int, baseline: np.ndarray | None = None, adjust: np.ndarray | None = None) -> Setup:
    return Setup(formula, COLUMNS, 0, baseline, None, np.zeros(n, dtype=np.int64) if adjust is None else adjust)


def test_the_need_share_is_the_weighted_sum_of_the_indicator_shares() -> None:
    v = values_for(5)
    r = point(setup(two_component(), 5), v)
    pop = v[:, 0] / v[:, 0].sum()
    dep = v[:, 1] * v[:, 0] / (v[:, 1] * v[:, 0]).sum()
    crime = v[:, 2] / v[:, 2].sum()
    assert r.need[0] == pytest.approx(0.4 * (0.6 * pop + 0.4 * dep) + 0.6 * crime)
    assert r.contributions[0].sum(axis=0) == pytest.approx(r.formula[0])
    assert r.allocation.sum() == 1000


def test_a_single_indicator_is_its_largest_remainder_apportionment() -> None:
    v = values_for(32)
    f = Formula("pop", 31234, (Component("all", 1.0, (Term("population", 1.0),)),))
    r = point(Setup(f, {"population": 0}, 0, None, None, np.zeros(32, dtype=np.int64)), v[:, :1])
    assert r.allocation[0].tolist() == largest_remainder(v[:, 0].tolist(), 31234)


def test_no_losers_and_the_cap_hold_when_the_total_grows() -> None:
    v = values_for(32)
    baseline = np.round(np.random.default_rng(2).dirichlet(np.ones(32) * 5) * 19500)
    total = int(baseline.sum() * 1.015)  # 1.5% more: room for gains under the 2% cap
    f = two_component(total, damping=Damping(no_losers=True, cap=0.02))
    r = point(setup(f, 32, baseline), v)
    alloc = r.allocation[0]
    assert alloc.sum() == total
    assert (alloc >= baseline).all()  # no losers
    assert (alloc <= np.floor(baseline * 1.02 + 1e-9)).all()  # gains never above the cap
    assert r.bounds.notes == ()
    undamped = r.undamped[0]
    assert (undamped < baseline).any() and (undamped > baseline * 1.02).any(), "the test needs losers and big gainers"
    # more growth than the cap allows: the cap is loosened, and the answer says so
    grown = point(setup(replace(f, total=int(baseline.sum() * 1.05)), 32, baseline), v)
    assert grown.allocation.sum() == int(baseline.sum() * 1.05) and "cap is loosened" in grown.bounds.notes[0]


def test_when_the_total_falls_no_losers_cannot_hold_and_says_so() -> None:
    v = values_for(32)
    baseline = np.full(32, 700.0)  # 22,400 against 20,000
    f = two_component(20000, damping=Damping(no_losers=True))
    r = point(setup(f, 32, baseline), v)
    assert r.allocation.sum() == 20000
    assert r.bounds.kept == pytest.approx(20000 / 22400)
    assert "no losers cannot hold" in r.bounds.notes[0]
    assert (r.allocation[0] >= np.floor(700 * 20000 / 22400)).all()


def test_floors_and_relaxed_caps() -> None:
    b = damping_bounds(Damping(cap=0.0), np.array([10.0, 10.0]), None, 30.0)
    assert b.upper.sum() == pytest.approx(30.0) and "cap is loosened" in b.notes[0]
    b = damping_bounds(Damping(floors=(("a", 1),)), None, np.array([25.0, 10.0]), 30.0)
    assert b.lower.sum() == pytest.approx(30.0) and "floors" in b.notes[0]
    low, high = integer_bounds(np.array([2.5, 3.5]), np.array([np.inf, 4.2]), 8)
    assert low.tolist() == [3, 4] and high.tolist() == [8, 4]


def test_adjustments_are_top_sliced_and_added_to_their_area() -> None:
    v = values_for(6)
    adjust = np.array([0, 25, 0, 0, 0, 0], dtype=np.int64)
    f = two_component(1000, adjustments=(Adjustment("b", 25, "homicides"),))
    r = point(setup(f, 6, adjust=adjust), v)
    plain = point(setup(two_component(975), 6), v)
    assert r.allocation.sum() == 1000
    assert (r.allocation[0] - adjust == plain.allocation[0]).all()


@SETTINGS
@given(
    data=st.data(),
    n=st.integers(2, 33),
    method=st.sampled_from(["hamilton", "webster"]),
    weights=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.01, 1.0)),
)
def test_raising_an_areas_indicator_never_lowers_its_allocation_before_damping(
    data: st.DataObject, n: int, method: str, weights: tuple[float, float, float]
) -> None:
    values = np.array(
        data.draw(st.lists(st.tuples(*[st.floats(1.0, 1e6)] * 3), min_size=n, max_size=n)), dtype=np.float64
    )
    f = Formula(
        "random",
        data.draw(st.integers(1, 40000)),
        (
            Component(
                "need",
                weights[0] + 0.01,
                (Term("population", 1.0), Term("deprivation", weights[1] + 0.01, "per_capita")),
            ),
            Component("demand", weights[2], (Term("crime", 1.0, data.draw(st.sampled_from(["share", "log"]))),)),
        ),
        method=method,
    )
    s = setup(f, n)
    area = data.draw(st.integers(0, n - 1))
    column = data.draw(st.sampled_from([1, 2]))  # an indicator other than the population the rates divide by
    before = point(s, values)
    raised = values.copy()
    raised[area, column] *= data.draw(st.floats(1.0, 10.0))
    after = point(s, raised)
    assert after.need[0, area] >= before.need[0, area] - 1e-12
    assert after.undamped[0, area] >= before.undamped[0, area]


def test_run_detail_off_gives_the_same_allocation() -> None:
    v = np.broadcast_to(values_for(8), (3, 8, 3))
    s = setup(two_component(500, damping=Damping(no_losers=True)), 8, np.full(8, 60.0))
    assert (run(s, v).allocation == run(s, v, detail=False).allocation).all()


@SETTINGS
@given(
    data=st.data(),
    n=st.integers(2, 33),
    method=st.sampled_from(["hamilton", "webster"]),
    no_losers=st.booleans(),
    cap=st.one_of(st.none(), st.floats(0.0, 0.2)),
    growth=st.floats(-0.1, 0.1),
)
def test_any_formula_gives_whole_officers_summing_to_the_total_within_its_damping(
    data: st.DataObject, n: int, method: str, no_losers: bool, cap: float | None, growth: float
) -> None:
    values = np.array(
        data.draw(st.lists(st.tuples(*[st.floats(1.0, 1e6)] * 3), min_size=n, max_size=n)), dtype=np.float64
    )
    weights = data.draw(st.tuples(st.floats(0.01, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0)))
    baseline = np.array(data.draw(st.lists(st.integers(1, 2000), min_size=n, max_size=n)), dtype=np.float64)
    total = max(int(baseline.sum() * (1 + growth)), 1)
    f = Formula(
        "random",
        total,
        (
            Component(
                "need", weights[0], (Term("population", 1.0), Term("deprivation", weights[1], "population_weighted"))
            ),
            Component("demand", weights[2] + 0.01, (Term("crime", 1.0),)),
        ),
        method=method,
        damping=Damping(no_losers=no_losers, cap=cap),
    )
    r = point(setup(f, n, baseline), values)
    alloc = r.allocation[0]
    assert alloc.sum() == total and (alloc >= 0).all()
    if no_losers and total >= baseline.sum():
        assert (alloc >= baseline).all()
    if cap is not None and not r.bounds.notes:
        assert (alloc <= np.floor(baseline * (1 + cap) + 1e-9)).all()
    if r.bounds.notes:  # a rule that could not hold is stated
        assert any("cannot hold" in x or "loosened" in x or "scaled" in x for x in r.bounds.notes)
