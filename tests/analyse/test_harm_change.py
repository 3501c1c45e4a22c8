"""Harm change between periods: the delta-method interval against known truth, and totals from the raw files."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from metforward.analyse.compare import CompareSpec, Period
from metforward.analyse.harm import load_weights
from metforward.analyse.harm_change import COLUMNS, compare_harm, harm_ratio
from metforward.analyse.poisson import compare_poisson
from metforward.cli import app
from metforward.store.database import Database
from tests.conftest import SampleStores

runner = CliRunner()


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Database:
    # policeuk, datastore, lookups and population, through ingest_paths
    return Database(sample_stores.copy("policeuk", "datastore", "lookups", "population", cli=False, name="harm"))


# --- the statistics -------------------------------------------------------------------------------


def test_one_category_gives_the_count_rate_ratio_and_nearly_the_exact_interval() -> None:
    before, after = np.array([[900], [40]]), np.array([[810], [55]])
    h_b, h_a, ratio, low, high, p = harm_ratio(before, after, 12, 12, [394.4])
    exact = compare_poisson(before[:, 0], after[:, 0], np.full(2, 12.0), np.full(2, 12.0))
    assert ratio == pytest.approx(exact.rate_ratio)
    assert h_b == pytest.approx(before[:, 0] * 394.4 / 12)
    # with 900 crimes the normal approximation is within 0.5% of the exact limits; with 40, within 5%
    assert low[0] == pytest.approx(exact.ci_low[0], rel=5e-3) and high[0] == pytest.approx(exact.ci_high[0], rel=5e-3)
    assert low[1] == pytest.approx(exact.ci_low[1], rel=5e-2) and high[1] == pytest.approx(exact.ci_high[1], rel=5e-2)
    assert p[0] == pytest.approx(exact.p_value[0], rel=0.1)


def test_interval_covers_the_true_harm_ratio_95_percent_of_the_time() -> None:
    """Known truth: Poisson counts drawn from set rates; the true ratio is sum(w*mu_after)/sum(w*mu_before)."""
    rng = np.random.default_rng(20261123)
    weights = np.array([799.6, 394.4, 283.4, 48.3, 11.9])
    mu_before = np.array([60.0, 150.0, 400.0, 900.0, 500.0])
    mu_after = mu_before * np.array([1.3, 0.8, 1.1, 0.9, 1.0])
    t_before, t_after = 12.0, 9.0
    truth = (weights @ (mu_after / t_after)) / (weights @ (mu_before / t_before))
    n = 20_000
    before = rng.poisson(mu_before, size=(n, 5))
    after = rng.poisson(mu_after, size=(n, 5))
    _, _, ratio, low, high, _ = harm_ratio(before, after, t_before, t_after, weights)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.94 <= coverage <= 0.96, coverage
    # the estimator is nearly unbiased on the log scale
    assert np.exp(np.mean(np.log(ratio))) == pytest.approx(truth, rel=0.01)


def test_p_values_are_uniform_when_nothing_changed() -> None:
    rng = np.random.default_rng(7)
    weights = np.array([799.6, 283.4, 11.9])
    mu = np.array([80.0, 300.0, 600.0])
    before, after = rng.poisson(mu, size=(20_000, 3)), rng.poisson(mu, size=(20_000, 3))
    p = harm_ratio(before, after, 12, 12, weights)[5]
    assert np.mean(p < 0.05) == pytest.approx(0.05, abs=0.008)
    assert np.mean(p < 0.5) == pytest.approx(0.5, abs=0.02)


def test_swapping_periods_inverts_the_ratio_and_its_interval() -> None:
    before, after, w = np.array([[30, 200, 11]]), np.array([[45, 180, 9]]), np.array([800.0, 50.0, 10.0])
    _, _, r1, lo1, hi1, p1 = harm_ratio(before, after, 10, 12, w)
    _, _, r2, lo2, hi2, p2 = harm_ratio(after, before, 12, 10, w)
    assert r1 * r2 == pytest.approx(1)
    assert lo1 * hi2 == pytest.approx(1) and hi1 * lo2 == pytest.approx(1)
    assert p1 == pytest.approx(p2)


def test_no_harm_in_a_period_has_no_ratio_and_months_without_data_are_left_out() -> None:
    _, _, ratio, low, _, p = harm_ratio([[0, 0]], [[3, 4]], 12, 12, [10.0, 20.0])
    assert np.isnan(ratio[0]) and np.isnan(low[0]) and np.isnan(p[0])
    # the second category has no months of data after: it is left out of both periods
    h_b, h_a, ratio, *_ = harm_ratio([[12, 500]], [[24, 0]], [[12, 12]], [[12, 0]], [10.0, 20.0])
    assert (h_b[0], h_a[0], ratio[0]) == pytest.approx((10.0, 20.0, 2.0))


# --- on the data ------------------------------------------------------------------------------------


def test_datastore_harm_equals_an_independent_weighted_sum_of_the_file(store: Database, sample: Path) -> None:
    first, second = Period.around("2010-03", 21)
    table = compare_harm(store, CompareSpec(first, second, source="datastore", level="borough", by="major"))
    assert table.taxonomy == "datastore-2008" and table.counts.spec.by == "minor"
    weights = {k: w.weight for k, w in load_weights("ons-css", "datastore-2008").items()}
    before_cols = [f"{y}{m:02d}" for y in (2008, 2009, 2010) for m in range(1, 13) if 200806 <= y * 100 + m <= 201002]
    after_cols = [f"{y}{m:02d}" for y in (2010, 2011) for m in range(1, 13) if 201003 <= y * 100 + m <= 201111]
    text = gzip.decompress((sample / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv.gz").read_bytes())
    harm: dict[str, list[float]] = {}
    crimes: dict[str, list[int]] = {}
    weighed: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(text.decode())):
        b, a = sum(int(row[c]) for c in before_cols), sum(int(row[c]) for c in after_cols)
        name, minor = row["Borough"], row["Minor Category"]
        crimes.setdefault(name, [0, 0])
        crimes[name][0] += b
        crimes[name][1] += a
        if minor in weights:
            harm.setdefault(name, [0.0, 0.0])
            harm[name][0] += weights[minor] * b
            harm[name][1] += weights[minor] * a
            weighed[name] = weighed.get(name, 0) + a + b
    assert len(table.rows) == len(harm) == 32
    for r in table.rows:
        assert (r.crimes_before, r.crimes_after) == tuple(crimes[r.area_name])
        assert r.harm_before == pytest.approx(harm[r.area_name][0], abs=0.06)
        assert r.harm_after == pytest.approx(harm[r.area_name][1], abs=0.06)
        # equal 21-month windows: the ratio is the ratio of the totals
        assert r.harm_ratio == pytest.approx(harm[r.area_name][1] / harm[r.area_name][0], rel=1e-6)
        assert r.coverage == pytest.approx(weighed[r.area_name] / sum(crimes[r.area_name]), abs=1e-4)
        assert "Counted per Victim" in r.unweighted and r.one_period_only == []
        assert r.ci_low < r.harm_ratio < r.ci_high
        assert (r.verdict == "can't tell") == (r.q_value >= 0.05)


def test_policeuk_harm_leaves_out_antisocial_behaviour_and_one_period_categories(store: Database) -> None:
    table = compare_harm(store, CompareSpec(Period.parse("2023-01:2023-12"), Period.parse("2024-01:2024-12")))
    rows = {r.area_name: r for r in table.rows}
    westminster, city = rows["Westminster"], rows["City of London"]
    # the sample's Met rows carry no anti-social behaviour; its City rows do, and it has no weight
    assert westminster.unweighted == [] and westminster.coverage == 1 and westminster.harm_per_1000_after is not None
    assert city.unweighted == ["Anti-social behaviour"]
    # the sample holds City of London street data for 2024 only: nothing to compare, and it says so
    assert city.crimes_before == 0 and city.harm_ratio is None and city.verdict == "can't tell"
    assert "Burglary" in city.one_period_only and city.coverage == 0


def test_cli_harm_json_and_table(sample_stores: SampleStores) -> None:
    db = str(sample_stores.copy("datastore"))  # ingested through the CLI (asserted to exit 0)
    out = runner.invoke(app, ["--db", db, "harm", "--source", "datastore", "--around", "2010-03", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == 32 and all(list(r) == list(COLUMNS) for r in rows)
    table = runner.invoke(
        app, ["--db", db, "harm", "--source", "datastore", "--around", "2010-03", "--area", "Westminster"]
    )
    assert table.exit_code == 0, table.output
    assert "Westminster" in table.stdout and "Open Government Licence" in table.stdout
    assert "Counted per Victim" in table.stdout
    bad = runner.invoke(app, ["--db", db, "harm", "--around", "2010-03", "--scheme", "nope", "--source", "datastore"])
    assert bad.exit_code == 1 and "unknown harm scheme" in bad.output
