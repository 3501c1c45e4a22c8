"""Formula files: the shipped formulas parse, every fault names the file, the line and the field, and the
command line's --set and --weights change what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from metforward.errors import BadRequest
from metforward.questions.allocation import INDICATORS
from metforward.questions.allocation_formula import (
    FormulaFileError,
    load_formula,
    parse_formula,
    parse_weights,
    weights_formula,
    with_settings,
    with_weights,
)

KNOWN = list(INDICATORS)
GOOD = """\
version: 1
title: test
total: 1000
components:
  need:
    weight: 0.4
    indicators:
      population: 0.5
      deprivation: {weight: 0.5, transform: population_weighted}
  demand:
    weight: 0.6
    range: [0.5, 0.7]
    indicators:
      crime: 1
baseline: previous-year
damping:
  no_losers: true
  cap: 0.02
adjustments:
  - area: Brent
    officers: 25
    reason: homicides
"""


def test_the_shipped_formulas_parse() -> None:
    mpa = load_formula("mpa", KNOWN)
    assert mpa.total == 19565 and [c.name for c in mpa.components] == ["need", "demand"]
    assert mpa.damping.no_losers and mpa.damping.cap == 0.02 and mpa.baseline == "previous-year"
    assert mpa.baseline_total == 19276
    assert mpa.adjustments[0].area == "E09000005" and mpa.adjustments[0].officers == 25
    assert dict(mpa.uncertainty) == {"population": 0.02}
    assert load_formula("demand-share", KNOWN).effective_weights().sum() == pytest.approx(1.0)


def test_a_good_file_and_its_weights() -> None:
    f = parse_formula(GOOD, "f.yaml", KNOWN)
    assert f.effective_weights() == pytest.approx([0.2, 0.2, 0.6])
    assert f.components[1].weight_range == (0.5, 0.7)
    assert f.components[0].terms[1].transform == "population_weighted"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "says"),
    [
        ("    weight: 0.4\n", "    weight: lots\n", 6, "components.need.weight", "must be a number"),
        (
            "      population: 0.5\n",
            "      population: -1\n",
            8,
            "components.need.indicators.population.weight",
            "from 0",
        ),
        ("      crime: 1\n", "      dragons: 1\n", 14, "components.demand.indicators.dragons", "not an indicator"),
        (
            "{weight: 0.5, transform: population_weighted}",
            "{weight: 0.5, transform: squared}",
            9,
            "components.need.indicators.deprivation.transform",
            "not a transform",
        ),
        ("    range: [0.5, 0.7]\n", "    range: [0.7, 0.5]\n", 12, "components.demand.range", "above the high end"),
        ("  cap: 0.02\n", "  cap: 0.02\n  colour: red\n", 19, "damping.colour", "unknown key"),
        ("  - area: Brent\n", "  - area: Gotham\n", 20, "adjustments.0.area", "not one of the Met's 32"),
        ("    reason: homicides\n", "    reason: ''\n", 22, "adjustments.0.reason", "give the reason"),
        ("total: 1000\n", "total: 10.5\n", 3, "total", "whole number"),
        ("baseline: previous-year\n", "baseline: last-year\n", 15, "baseline", "must be none, previous-year"),
        ("    weight: 0.4\n", "    weight: 0.4\n    weight: [\n", 9, "(file)", "not valid YAML"),
    ],
)
def test_every_fault_names_the_file_line_and_field(old: str, new: str, line: int, field: str, says: str) -> None:
    assert old in GOOD
    with pytest.raises(FormulaFileError) as caught:
        parse_formula(GOOD.replace(old, new, 1), "f.yaml", KNOWN)
    error = caught.value
    assert str(error).startswith(f"f.yaml:{line}: {field}: "), str(error)
    assert says in str(error) and error.line == line and error.exit_status == 2


def test_structural_faults() -> None:
    with pytest.raises(FormulaFileError, match="no 'total'"):
        parse_formula(GOOD.replace("total: 1000\n", ""), "f.yaml", KNOWN)
    with pytest.raises(FormulaFileError, match=r"f.yaml:16: damping: no losers and a cap on gains need a baseline"):
        parse_formula(GOOD.replace("baseline: previous-year\n", "baseline: none\n"), "f.yaml", KNOWN)
    with pytest.raises(FormulaFileError, match="take 1000 of the 1000 officers"):
        parse_formula(GOOD.replace("officers: 25", "officers: 1000"), "f.yaml", KNOWN)
    values = "baseline: {from: values, values: {Brent: 700}}\n"
    with pytest.raises(FormulaFileError, match="no baseline for Barking and Dagenham"):
        parse_formula(GOOD.replace("baseline: previous-year\n", values), "f.yaml", KNOWN)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FormulaFileError, match="cannot read the file"):
        load_formula(str(tmp_path / "none.yaml"), KNOWN)
    path = tmp_path / "f.yaml"
    path.write_text(GOOD.replace("total: 1000", "total: 0"), encoding="utf-8")
    with pytest.raises(FormulaFileError, match=rf"{path}:3: total"):
        load_formula(str(path), KNOWN)


def test_set_and_weights_change_the_formula() -> None:
    f = parse_formula(GOOD, "f.yaml", KNOWN)
    changed = with_settings(
        f,
        {
            "need.weight": "0.6",
            "demand.crime.weight": "2",
            "need.deprivation.transform": "per_capita",
            "damping.cap": "0.05",
            "method": "webster",
            "total": "900",
        },
    )
    assert changed.components[0].weight == 0.6 and changed.components[1].weight_range == (0.5, 0.7)
    assert changed.components[1].terms[0].weight == 2.0 and changed.components[0].terms[1].transform == "per_capita"
    assert changed.damping.cap == 0.05 and changed.method == "webster" and changed.total == 900
    assert with_settings(f, {"demand.weight": "1"}).components[1].weight_range is None  # a weight set is fixed
    with pytest.raises(BadRequest, match="the component weights sum to 0"):
        with_settings(f, {"need.weight": "0", "demand.weight": "0"})
    weighted = with_weights(f, {"population": 3.0})
    assert weighted.components[0].terms[0].weight == 3.0
    with pytest.raises(BadRequest, match="not an indicator of this formula"):
        with_weights(f, {"harm": 1.0})
    alone = weights_formula(parse_weights("population=1, crime=1"), 500, KNOWN)
    assert alone.total == 500 and [t.indicator for t in alone.components[0].terms] == ["population", "crime"]
    with pytest.raises(BadRequest, match="not NAME=VALUE"):
        parse_weights("population")
