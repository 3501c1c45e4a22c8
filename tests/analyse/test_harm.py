"""Harm-weighted totals: the shipped weights, a hand computation, and the weights' rebuild from their inputs."""

from __future__ import annotations

import csv
import gzip
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from metforward.analyse.harm import SCHEMES, TAXONOMIES, HarmResult, Weight, harm_total, load_weights
from metforward.domain.categories import CRIME_TYPES

REPO = Path(__file__).resolve().parents[2]
WEIGHTS_CSV = REPO / "src" / "metforward" / "domain" / "harm_weights.csv"
SOURCES = REPO / "src" / "metforward" / "domain" / "harm_sources"

#: police.uk crime types with no published weight, and why: documented in docs/methods/harm.md.
POLICEUK_EXCEPTIONS = {"Anti-social behaviour": "not a notifiable crime: no ONS Crime Severity Score weight"}


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_harm_weights", REPO / "scripts" / "build_harm_weights.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _weight(category: str, value: float) -> Weight:
    return Weight("test", "test", category, value, "CSS weight", "hand-made for the test", "this test")


# --- the shipped weights ------------------------------------------------------------------------


def test_every_policeuk_category_has_a_weight_but_the_documented_exceptions() -> None:
    weights = load_weights("ons-css", "police-uk")
    missing = {name for name in CRIME_TYPES if name not in weights}
    assert missing == set(POLICEUK_EXCEPTIONS)
    assert set(weights) <= set(CRIME_TYPES)


@pytest.mark.parametrize("taxonomy", TAXONOMIES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_weights_are_positive_and_carry_their_provenance(scheme: str, taxonomy: str) -> None:
    weights = load_weights(scheme, taxonomy)
    assert weights, f"no weights for {scheme} / {taxonomy}"
    for name, weight in weights.items():
        assert weight.category == name and weight.scheme == scheme and weight.taxonomy == taxonomy
        assert weight.weight > 0, name
        assert weight.unit == "CSS weight"
        assert weight.basis and weight.source, name


def test_weights_are_unique_per_scheme_taxonomy_and_category() -> None:
    with WEIGHTS_CSV.open(encoding="utf-8", newline="") as handle:
        keys = [(row["scheme"], row["taxonomy"], row["category"]) for row in csv.DictReader(handle)]
    assert len(keys) == len(set(keys))


def test_known_values_follow_from_the_ons_weights() -> None:
    """Single-code categories carry the ONS weight of their code unchanged (harm_sources/ons_css_weights.csv)."""
    police = load_weights("ons-css", "police-uk")
    assert police["Shoplifting"].weight == pytest.approx(11.855539046217315, abs=5e-5)  # HO 46
    assert police["Theft from the person"].weight == pytest.approx(80.40515969951247, abs=5e-5)  # HO 39
    assert police["Robbery"].weight == pytest.approx(799.6288702314769, abs=5e-5)  # HO 34A and 34B
    current = load_weights("ons-css", "datastore-current")
    assert current["HOMICIDE"].weight == pytest.approx(7973.393423328133, abs=5e-5)
    # more severe categories weigh more, as sentencing would have it
    assert current["RAPE"].weight > current["VIOLENCE WITH INJURY"].weight > current["VIOLENCE WITHOUT INJURY"].weight


def test_datastore_mapping_lists_every_minor_once_and_weights_each_mapped_one() -> None:
    with (SOURCES / "datastore_category_codes.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for taxonomy in ("datastore-2008", "datastore-current"):
        weights = load_weights("ons-css", taxonomy)
        minors = [row for row in rows if row["taxonomy"] == taxonomy]
        assert len({row["minor"] for row in minors}) == len(minors)
        for row in minors:
            if row["ho_codes"]:
                assert row["minor"] in weights, row["minor"]
            else:  # left out, with the reason recorded
                assert row["minor"] not in weights and row["note"].startswith("not weighted"), row["minor"]


def test_unknown_scheme_or_taxonomy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown harm scheme"):
        load_weights("cchi", "police-uk")
    with pytest.raises(ValueError, match="unknown category taxonomy"):
        load_weights("ons-css", "police.uk")


# --- harm_total ---------------------------------------------------------------------------------


def test_hand_computed_total() -> None:
    weights = {"Robbery": _weight("Robbery", 800.0), "Shoplifting": _weight("Shoplifting", 12.0)}
    result = harm_total({"Robbery": 3, "Shoplifting": 10}, weights)
    # 3 x 800 + 10 x 12 = 2400 + 120 = 2520
    assert result.total == 2520.0
    assert dict(result.by_category) == {"Robbery": 2400.0, "Shoplifting": 120.0}
    assert dict(result.unweighted) == {}
    assert (result.weighted_count, result.total_count, result.coverage) == (13, 13, 1.0)
    assert result.unit == "CSS weight"


def test_hand_computed_total_with_the_shipped_weights() -> None:
    weights = load_weights("ons-css", "police-uk")
    counts = {"Burglary": 12, "Robbery": 5, "Bicycle theft": 7}
    expected = 12 * weights["Burglary"].weight + 5 * weights["Robbery"].weight + 7 * weights["Bicycle theft"].weight
    # with the file's values: 12 x 394.4397 + 5 x 799.6289 + 7 x 15.1757 = 4733.2764 + 3998.1445 + 106.2299
    assert expected == pytest.approx(8837.6508, abs=1e-4)
    assert harm_total(counts, weights).total == pytest.approx(expected)


def test_by_category_harms_sum_to_the_total() -> None:
    weights = load_weights("ons-css", "datastore-current")
    counts = {name: (i * 37) % 101 for i, name in enumerate(sorted(weights))}
    result = harm_total(counts, weights)
    assert sum(result.by_category.values()) == pytest.approx(result.total, rel=1e-12)
    assert set(result.by_category) == set(counts)


def test_categories_without_a_weight_are_reported_with_their_counts() -> None:
    weights = load_weights("ons-css", "police-uk")
    counts = {"Anti-social behaviour": 40, "Shoplifting": 10, "Not a category": 0, "Violent crime": 5}
    result = harm_total(counts, weights)
    assert dict(result.unweighted) == {"Anti-social behaviour": 40, "Not a category": 0, "Violent crime": 5}
    assert set(result.by_category) == {"Shoplifting"}
    assert result.total == pytest.approx(10 * weights["Shoplifting"].weight)
    assert (result.weighted_count, result.total_count) == (10, 55)
    assert result.coverage == pytest.approx(10 / 55)


def test_empty_counts() -> None:
    result = harm_total({}, load_weights("ons-css", "police-uk"))
    assert result == HarmResult(0.0, {}, {}, 0, 0, None, "CSS weight")


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_counts_must_be_whole_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        harm_total({"Robbery": bad}, load_weights("ons-css", "police-uk"))  # type: ignore[dict-item]


def test_numpy_integers_are_counts() -> None:
    np = pytest.importorskip("numpy")
    result = harm_total({"Robbery": np.int64(2)}, {"Robbery": _weight("Robbery", 5.0)})
    assert result.total == 10.0 and result.total_count == 2


def test_weights_of_different_units_are_refused() -> None:
    other = Weight("x", "x", "Shoplifting", 1.0, "days of custody", "b", "s")
    with pytest.raises(ValueError, match="mix units"):
        harm_total({"Robbery": 1}, {"Robbery": _weight("Robbery", 5.0), "Shoplifting": other})


# --- the weights rebuild from their inputs ------------------------------------------------------


def test_ons_transcription_has_one_weight_per_code() -> None:
    weights = _builder().ons_weights()
    assert weights["1/4.1/4.10/4.2"] == pytest.approx(7973.393423328133)
    assert weights["92E"] == pytest.approx(1.7706234781993522)  # the lowest: possession of cannabis
    assert min(weights.values()) == weights["92E"]
    assert max(weights.values()) == weights["1/4.1/4.10/4.2"]


@pytest.mark.corpus
def test_csv_rebuilds_identically_from_the_scripts_inputs(corpus: Path, tmp_path: Path) -> None:
    out = _builder().build(corpus, tmp_path / "harm_weights.csv")
    assert out.read_bytes() == WEIGHTS_CSV.read_bytes(), (
        "src/metforward/domain/harm_weights.csv is out of date: run python scripts/build_harm_weights.py"
    )


@pytest.mark.corpus
def test_datastore_mapping_covers_every_category_in_the_data(corpus: Path) -> None:
    with (SOURCES / "datastore_category_codes.csv").open(encoding="utf-8", newline="") as handle:
        mapped = {(row["taxonomy"], row["major"], row["minor"]) for row in csv.DictReader(handle)}
    with (corpus / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv").open(encoding="utf-8") as handle:
        old = {("datastore-2008", row[1], row[2]) for row in list(csv.reader(handle))[1:]}
    with gzip.open(
        corpus / "datastore" / "fenneh_recorded-crime-borough-historical.csv.gz", "rt", encoding="utf-8"
    ) as f:
        current = {("datastore-current", row[0], row[1]) for row in list(csv.reader(f))[1:]}
    assert old | current == mapped
