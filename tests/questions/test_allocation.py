"""The allocation question on the bundled sample: sums, population share against an independent largest
remainder, damping and adjustments, BCUs, zero uncertainty, the explanation, missing indicators, and the
shipped formulas (the examples are the same files)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import BadRequest, NoData, NotFound
from metforward.questions.allocation import BOROUGHS, Query, allocate, ask
from metforward.questions.allocation_formula import BUILT_IN, formula_path
from metforward.store import cubes
from metforward.store.database import Database
from tests.conftest import REPO

DRAWS = 200


@pytest.fixture(scope="module")
def db(web_store: Path) -> Iterator[Database]:
    with Database(web_store, read_only=True) as database:
        yield database


def largest_remainder(values: list[float], total: int) -> list[int]:
    """Hamilton's method in exact fractions, written out independently of the kernel."""
    whole = sum(Fraction(v) for v in values)
    quotas = [Fraction(v) * total / whole for v in values]
    seats = [math.floor(q) for q in quotas]
    for i in sorted(range(len(values)), key=lambda i: (-(quotas[i] - seats[i]), i))[: total - sum(seats)]:
        seats[i] += 1
    return seats


def test_population_weight_alone_is_the_largest_remainder_of_population_shares(db: Database) -> None:
    answer = ask(db, Query(weights="population=1", total=20000, year=2022, draws=DRAWS))
    people = cubes.population(db, level="borough", year=2022)
    expected = largest_remainder([people[c] for c in BOROUGHS], 20000)
    assert [r["area_code"] for r in answer.items] == list(BOROUGHS)
    assert [r["allocation"] for r in answer.items] == expected
    assert sum(expected) == 20000
    # no uncertainty stated for the population: the range collapses to the point
    assert all(r["low"] == r["allocation"] == r["high"] for r in answer.items)
    assert answer.meta["method"] == "hamilton" and "largest remainder" in answer.meta["method_note"]


@pytest.mark.parametrize(
    "query",
    [
        Query(formula="demand-share", draws=DRAWS),
        Query(formula="demand-share", method="webster", total=12345, draws=DRAWS),
        Query(formula="mpa", draws=DRAWS),
        Query(formula="mpa", level="bcu", draws=DRAWS),
        Query(formula="mpa", total=18000, draws=DRAWS, set=("need.weight=0.7", "demand.crime.weight=2")),
    ],
    ids=["demand", "webster", "mpa", "bcu", "falling-total"],
)
def test_allocations_are_whole_officers_summing_to_the_total(db: Database, query: Query) -> None:
    answer = ask(db, query)
    total = answer.meta["total"]
    assert sum(r["allocation"] for r in answer.items) == total
    assert all(isinstance(r["allocation"], int) and r["low"] <= r["high"] for r in answer.items)
    assert sum(r["need_share"] for r in answer.items) == pytest.approx(1.0, abs=1e-4)
    assert len(answer.items) == (12 if query.level == "bcu" else 32)
    for r in answer.items:  # the components' contributions make up the formula's officers
        parts = sum(v for k, v in r.items() if k.startswith("contribution_"))
        assert parts == pytest.approx(r["formula"], abs=0.05)


def test_mpa_damping_no_losers_cap_and_the_brent_adjustment(db: Database) -> None:
    answer = ask(db, Query(formula="mpa", draws=DRAWS))
    rows = {r["area_name"]: r for r in answer.items}
    brent = rows["Brent"]
    assert brent["adjustment"] == 25 and "homicides" in brent["adjustment_reason"]
    assert answer.meta["formula"]["adjustments"][0]["area_name"] == "Brent"
    for r in answer.items:
        formula_part, baseline = r["allocation"] - r["adjustment"], r["current"] - r["adjustment"]
        assert formula_part >= baseline, r  # no losers (the total grew)
        assert formula_part <= math.ceil(baseline * 1.02), r  # gains within the 2% cap
    assert {r["damping_rule"] for r in answer.items} >= {"cap", "no losers"}
    assert any(r["damping"] for r in answer.items)
    assert "previous" not in answer.notes and "indicators of" in answer.meta["baseline"]


def test_when_the_total_falls_below_the_baseline_no_losers_is_stated(db: Database) -> None:
    answer = ask(db, Query(formula="mpa", total=18000, draws=DRAWS))
    assert any("no losers cannot hold" in n for n in answer.notes)
    assert sum(r["allocation"] for r in answer.items) == 18000


def test_bcu_level_groups_the_boroughs(db: Database) -> None:
    boroughs = ask(db, Query(formula="demand-share", draws=DRAWS))
    bcus = ask(db, Query(formula="demand-share", level="bcu", draws=DRAWS))
    by_code = {r["area_code"]: r for r in bcus.items}
    assert by_code["AW"]["area_name"] == "Central West"
    shares = {r["area_code"]: r["need_share"] for r in boroughs.items}
    west = shares["E09000033"] + shares["E09000020"] + shares["E09000013"]
    assert by_code["AW"]["need_share"] == pytest.approx(west, abs=1e-5)
    mpa = ask(db, Query(formula="mpa", level="bcu", draws=DRAWS))
    assert {r["area_code"]: r["adjustment"] for r in mpa.items}["NW"] == 25  # Brent is in North West


def test_explain_says_why_in_words_and_figures(db: Database) -> None:
    answer = ask(db, Query(formula="mpa", explain="Waltham Forest", draws=DRAWS))
    e = answer.meta["explain"]
    row = next(r for r in answer.items if r["area_name"] == "Waltham Forest")
    assert e["allocation"] == row["allocation"] and e["area_code"] == "E09000031"
    assert e["words"][0].startswith(f"Waltham Forest gets {row['allocation']:,} of the 19,565 officers")
    assert any(w.startswith("Lifting it") or w.startswith("Lowering it") for w in e["words"])
    assert any("Damping" in w for w in e["words"])
    terms = {i["term"] for i in e["indicators"]}
    assert terms == set(answer.meta["formula"]["effective_weights"])
    assert sum(i["officers"] for i in e["indicators"]) == pytest.approx(row["formula"], abs=0.05)
    marginal = {m["weight"]: m for m in e["marginal"]}
    assert set(marginal) >= {"need", "demand", "need.population"}
    # two components: ten points more for one is ten points fewer for the other
    assert marginal["need"]["formula_officers_per_10_points"] == pytest.approx(
        -marginal["demand"]["formula_officers_per_10_points"], abs=0.01
    )
    with pytest.raises(NotFound, match="not one of the 32 areas"):
        ask(db, Query(formula="mpa", explain="Narnia", draws=DRAWS))


def test_stability_compares_the_years_movement_with_noise(db: Database) -> None:
    answer = ask(db, Query(formula="demand-share", draws=DRAWS))
    for r in answer.items:
        assert r["noise_change"] > 0
        expected = (
            "up"
            if r["year_change"] > r["noise_change"]
            else "down"
            if r["year_change"] < -r["noise_change"]
            else "can't tell"
        )
        assert r["movement"] == expected


def test_an_indicator_the_store_lacks_is_named_with_what_to_load(db: Database) -> None:
    with pytest.raises(NoData, match=r"indicator asb .*\(0 of 32 boroughs\): load street"):
        ask(db, Query(weights="asb=1,crime=1", total=1000, draws=DRAWS))


def test_options_are_checked_before_the_store_is_read() -> None:
    for query, field in [
        (Query(), "formula"),
        (Query(weights="population=1"), "total"),
        (Query(formula="mpa", level="ward"), "level"),
        (Query(formula="mpa", method="dhondt"), "method"),
        (Query(formula="mpa", set=("need.colour=red",)), "set"),
        (Query(formula="mpa", set=("need.weight",)), "set"),
        (Query(formula="mpa", set=("demand.population.weight=1",)), "set"),
        (Query(weights="population=x", total=10), "weights"),
        (Query(weights="dragons=1", total=10), "weights"),
        (Query(formula="mpa", draws=0), "draws"),
    ]:
        with pytest.raises(BadRequest) as caught:
            query.check()
        assert caught.value.field == field, (query, caught.value)


def test_the_examples_are_the_formulas_shipped() -> None:
    for name, file in BUILT_IN.items():
        example = REPO / "examples" / f"allocation-{name}.yaml"
        assert example.read_text(encoding="utf-8") == formula_path(name).read_text(encoding="utf-8"), file  # type: ignore[union-attr]
        assert Query(formula=str(example)).check().title == Query(formula=name).check().title


def test_the_allocation_keeps_what_the_faces_draw(db: Database) -> None:
    made = allocate(db, Query(formula="mpa", draws=DRAWS))
    assert made.components == ["need", "demand"] and made.year == 2025
    assert made.point.allocation.sum() == 19565
    assert set(LONDON_BOROUGHS) - set(made.areas.codes) == {"E09000001"}


def test_floors_and_a_baseline_of_given_values(db: Database, tmp_path: Path) -> None:
    values = "\n".join(f"    {code}: {550 if code != 'E09000033' else 900}" for code in BOROUGHS)
    text = (
        "version: 1\ntotal: 20000\ncomponents:\n  demand:\n    weight: 1\n    indicators: {crime: 1}\n"
        f"baseline:\n  from: values\n  source: a test's own figures\n  values:\n{values}\n"
        "damping:\n  no_losers: true\n  floors: {Westminster: 1800}\n"
    )
    path = tmp_path / "floors.yaml"
    path.write_text(text, encoding="utf-8")
    answer = ask(db, Query(formula=str(path), draws=DRAWS))
    rows = {r["area_code"]: r for r in answer.items}
    assert rows["E09000033"]["allocation"] >= 1800 and rows["E09000033"]["damping_rule"] == "floor"
    assert rows["E09000033"]["current"] == 900 and answer.meta["baseline"] == "a test's own figures"
    assert all(r["allocation"] >= r["current"] for r in answer.items)  # no losers against the values given
    assert sum(r["allocation"] for r in answer.items) == 20000
