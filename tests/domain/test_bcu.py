"""The Met's 12 BCUs group its 32 boroughs, each once; the 2014 ward lookup places TfL's wards."""

from __future__ import annotations

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.bcu import bcu_named, bcu_of_borough, bcus, ward2014_borough


def test_twelve_bcus_hold_the_32_boroughs_once_each() -> None:
    units = bcus()
    assert len(units) == 12 and all(2 <= len(u.boroughs) <= 4 for u in units)
    every = [b for u in units for b in u.boroughs]
    assert sorted(every) == sorted(set(LONDON_BOROUGHS) - {"E09000001"})
    assert bcu_of_borough()["E09000031"].name == "North East"  # Waltham Forest, with Newham
    assert bcu_named("central west") == bcu_named("AW") and bcu_named("Narnia") is None


def test_the_2014_ward_lookup() -> None:
    wards = ward2014_borough()
    assert wards["E05000405"] == "E09000021"  # Chessington South, Kingston upon Thames
    assert set(wards.values()) <= set(LONDON_BOROUGHS)
