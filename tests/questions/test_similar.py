"""Most similar boroughs on the real sample: the distances' properties and the neighbours found."""

from __future__ import annotations

import numpy as np
import pytest

from metforward.analyse.similar import SimilarError
from metforward.questions.similar import most_similar, similarity
from metforward.store.database import Database
from tests.conftest import SampleStores

CAMDEN, WESTMINSTER, BROMLEY, CITY = "E09000007", "E09000033", "E09000006", "E09000001"
#: ONS "Outer London" boroughs (the statistical definition).
OUTER = {
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Croydon", "Ealing", "Enfield", "Haringey",
    "Harrow", "Havering", "Hillingdon", "Hounslow", "Kingston upon Thames", "Merton", "Newham", "Redbridge",
    "Richmond upon Thames", "Sutton", "Waltham Forest",
}  # fmt: skip


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Database:
    return Database(sample_stores.copy(name="similar"))  # the whole sample, ingested


def test_real_sample_distances(store: Database) -> None:
    sim = similarity(store)
    codes = [p.code for p in sim.profiles]
    assert len(codes) == 32 and CITY not in codes  # the Datastore covers the Met's 32 boroughs
    assert any("City of London left out" in n for n in sim.notes)
    d = sim.distances
    assert np.allclose(d, d.T) and np.allclose(np.diag(d), 0.0) and (d[~np.eye(len(d), dtype=bool)] > 0).all()
    assert sim.distance(CAMDEN, WESTMINSTER) == sim.distance(WESTMINSTER, CAMDEN)
    for p in sim.profiles:
        assert sum(p.shares.values()) == pytest.approx(1.0, abs=1e-5)
        assert p.density == pytest.approx(p.population / p.area_km2, rel=1e-3)
    for v in sim.variables:
        column = np.array([p.z[v] for p in sim.profiles])
        assert column.mean() == pytest.approx(0.0, abs=1e-3) and column.std() == pytest.approx(1.0, abs=1e-3)
    nearest, again = most_similar(store, CAMDEN, k=5)
    assert CAMDEN not in [n.code for n in nearest] and len(nearest) == 5
    assert [n.distance for n in nearest] == sorted(n.distance for n in nearest)
    assert nearest == again.nearest(CAMDEN, 5) == similarity(store).nearest(CAMDEN, 5)  # deterministic
    # verified on the sample (Datastore 2025-03..2026-02, LSOA population 2022, 2024 boundaries):
    # central boroughs pair with central boroughs, outer with outer
    assert {n.name for n in nearest[:3]} == {"Westminster", "Islington", "Hackney"}
    assert sim.nearest(WESTMINSTER, 1)[0].name == "Camden"
    assert {n.name for n in sim.nearest(BROMLEY, 5)} <= OUTER
    with pytest.raises(SimilarError, match="City of London has no similarity profile"):
        sim.nearest(CITY)


def test_no_datastore_is_a_clear_error(db: Database) -> None:
    with pytest.raises(SimilarError, match="ingest the MPS borough-level"):
        similarity(db)
