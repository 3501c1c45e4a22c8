"""Wilson and Newcombe intervals against statsmodels, an independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from metforward.analyse.proportions import newcombe_difference, wilson


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 20_000), data=st.data(), confidence=st.sampled_from([0.9, 0.95, 0.99]))
def test_wilson_equals_statsmodels(n: int, data: st.DataObject, confidence: float) -> None:
    k = data.draw(st.integers(0, n))
    est = wilson(k, n, confidence=confidence)
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert est.low == pytest.approx(low, abs=1e-12)
    assert est.high == pytest.approx(high, abs=1e-12)
    assert est.low <= est.value <= est.high


@settings(max_examples=300, deadline=None)
@given(na=st.integers(1, 5_000), nb=st.integers(1, 5_000), data=st.data())
def test_newcombe_equals_statsmodels(na: int, nb: int, data: st.DataObject) -> None:
    ka, kb = data.draw(st.integers(0, na)), data.draw(st.integers(0, nb))
    est = newcombe_difference(ka, na, kb, nb)
    low, high = confint_proportions_2indep(ka, na, kb, nb, method="newcomb", compare="diff")
    assert est.low == pytest.approx(low, abs=1e-9)
    assert est.high == pytest.approx(high, abs=1e-9)


def test_newcombe_published_example() -> None:
    # Newcombe (1998), Table II example (a): 56/70 vs 48/80, difference 0.2000, method 10: 0.0524 to 0.3339
    est = newcombe_difference(56, 70, 48, 80)
    assert est.value == pytest.approx(0.2)
    assert est.low == pytest.approx(0.0524, abs=5e-5)
    assert est.high == pytest.approx(0.3339, abs=5e-5)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="denominator"):
        wilson(1, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson(5, 4)
