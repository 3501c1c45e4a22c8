"""harm: totals from the raw files, the categories left out, and the command's JSON and table."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.analyse.compare import CompareSpec, Period
from metforward.analyse.harm import load_weights
from metforward.analyse.harm_change import COLUMNS
from metforward.cli import app
from metforward.questions.harm import compare_harm
from metforward.store.database import Database
from tests.conftest import SampleStores

runner = CliRunner()


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Database:
    # policeuk, datastore, lookups and population, through ingest_paths
    return Database(sample_stores.copy("policeuk", "datastore", "lookups", "population", cli=False, name="harm"))


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
    rows = json.loads(out.stdout)["items"]
    assert len(rows) == 32 and all(list(r) == list(COLUMNS) for r in rows)
    table = runner.invoke(
        app, ["--db", db, "harm", "--source", "datastore", "--around", "2010-03", "--area", "Westminster"]
    )
    assert table.exit_code == 0, table.output
    assert "Westminster" in table.stdout and "Open Government Licence" in table.stdout
    assert "Counted per Victim" in table.stdout
    bad = runner.invoke(app, ["--db", db, "harm", "--around", "2010-03", "--scheme", "nope", "--source", "datastore"])
    assert bad.exit_code == 1 and "unknown harm scheme" in bad.output
