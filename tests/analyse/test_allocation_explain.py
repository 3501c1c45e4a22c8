"""The explanation of an allocation: the marginal effect of a weight, the words, and the shares they rest on."""

from __future__ import annotations

import numpy as np
import pytest

from metforward.analyse.allocation import Damping, point
from metforward.analyse.allocation_explain import Label, explain, with_weight
from metforward.analyse.allocation_uncertainty import Noise, simulate
from tests.analyse.test_allocation import setup, two_component, values_for


def test_marginal_weight_changes_move_the_weight_and_keep_the_rest_in_proportion() -> None:
    f = two_component()
    up = with_weight(f, "need", 10)
    assert [c.weight for c in up.components] == pytest.approx([0.5, 0.5])
    inner = with_weight(f, "need.population", 10)
    assert [t.weight for t in inner.components[0].terms] == pytest.approx([0.7, 0.3])


def test_explain_in_words_and_figures() -> None:
    v = values_for(6)
    baseline = np.round(v[:, 0] / v[:, 0].sum() * 990)
    s = setup(two_component(1000, damping=Damping(no_losers=True, cap=0.02)), 6, baseline)
    r = point(s, v)
    sim = simulate(s, v, Noise(("none", "none", "none"), np.zeros(3), np.zeros(3)), draws=10)
    labels = {
        "population": Label("Residents", "2022"),
        "deprivation": Label("IMD score", "2019", False),
        "crime": Label("Crime", "2024"),
    }
    names = [f"Area {i}" for i in range(6)]
    e = explain(
        s, v, r, sim, 2, codes=[f"A{i}" for i in range(6)], names=names, labels=labels, current=r.allocation[0] - 1
    )
    assert e["allocation"] == int(r.allocation[0, 2]) and e["words"][0].startswith(
        f"Area 2 gets {e['allocation']:,} of the 1,000"
    )
    shares = {i["term"]: i["share"] for i in e["indicators"]}
    assert shares["demand.crime"] == pytest.approx(v[2, 2] / v[:, 2].sum(), abs=1e-6)
    assert {i["term"]: i["london"] for i in e["indicators"]}["need.deprivation"] is None  # a score does not sum
    assert sum(i["officers"] for i in e["indicators"]) == pytest.approx(e["formula"], abs=0.05)
    assert any("Against its current" in w and "+1" in w for w in e["words"])
    for name in e["lifted_by"]:
        assert shares[name] > e["need_share"]
    for name in e["lowered_by"]:
        assert shares[name] < e["need_share"]
    assert {m["weight"] for m in e["marginal"]} == {"need", "demand", "need.population", "need.deprivation"}
