"""compare: the 'Results so far' table form, completeness, direction, JSON/CSV keys."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.analyse.compare import CompareSpec, Period
from metforward.cli import app
from metforward.domain.periods import add_months
from metforward.questions.compare import Query, compare, with_default_periods
from metforward.store import cubes
from metforward.store.database import Database
from tests.conftest import SampleStores

runner = CliRunner()
KEYS = {
    "area_code",
    "area_name",
    "category",
    "before",
    "after",
    "change_pct",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "verdict",
    "months_before",
    "months_after",
    "completeness",
}


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Database:
    parts = ("policeuk", "datastore", "lookups", "population")  # through ingest_paths
    summary = sample_stores.summary(*parts)
    assert all(f.error is None for f in summary.files if f.kind in ("street", "datastore-borough-2008"))
    return Database(sample_stores.copy(*parts, cli=False, name="compare"))


def month_columns(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    (y, m), out = first, []
    while (y, m) <= last:
        out.append(f"{y}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_results_so_far_form_equals_an_independent_sum(store: Database, sample: Path) -> None:
    """Met Forward newsletter, March 2010: crime type, 21 months before, 21 months after, % change."""
    before_period, after_period = Period.around("2010-03", 21)
    assert (str(before_period), str(after_period)) == ("2008-06:2010-02", "2010-03:2011-11")
    table = compare(store, CompareSpec(before_period, after_period, source="datastore", level="force", by="major"))
    assert table.kind == "datastore-borough-2008"
    text = gzip.decompress((sample / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv.gz").read_bytes())
    before, after = Counter[str](), Counter[str]()
    for row in csv.DictReader(io.StringIO(text.decode())):
        before[row["Major Category"]] += sum(int(row[c]) for c in month_columns((2008, 6), (2010, 2)))
        after[row["Major Category"]] += sum(int(row[c]) for c in month_columns((2010, 3), (2011, 11)))
    assert {r.category: r.before for r in table.rows} == dict(before)
    assert {r.category: r.after for r in table.rows} == dict(after)
    for r in table.rows:
        assert r.months_before == r.months_after == 21 and r.completeness == 1
        assert r.change_pct == pytest.approx((r.after / r.before - 1) * 100)
        assert r.ci_low < r.rate_ratio < r.ci_high
        assert r.verdict in ("up", "down", "can't tell")
        assert (r.verdict == "can't tell") == (r.q_value >= 0.05)


def test_missing_months_lower_the_exposure_and_the_completeness(store: Database) -> None:
    # police.uk Met burglary in the sample covers 2023-01 .. 2024-12; ask for 2022-07 .. 2023-06 vs 2023-07 .. 2024-06
    spec = CompareSpec(
        Period.parse("2022-07:2023-06"), Period.parse("2023-07:2024-06"), force="metropolitan", area="Westminster"
    )
    table = compare(store, spec)
    (burglary,) = [r for r in table.rows if r.category == "Burglary"]
    assert (burglary.months_before, burglary.months_asked_before, burglary.months_after) == (6, 12, 12)
    assert burglary.completeness == pytest.approx(18 / 24, abs=1e-4)
    # the rate ratio is per month of data: (after / 12) / (before / 6)
    assert burglary.rate_ratio == pytest.approx((burglary.after / 12) / (burglary.before / 6))
    assert [str(m)[:7] for m in table.missing_months] == [f"2022-{m:02d}" for m in range(7, 13)]


def test_swapping_the_periods_inverts_the_ratio(store: Database) -> None:
    a, b = Period.parse("2023-01:2023-12"), Period.parse("2024-01:2024-12")
    forward = compare(store, CompareSpec(a, b, level="borough"))
    backward = compare(store, CompareSpec(b, a, level="borough"))
    pairs = {(r.area_code, r.category): r for r in backward.rows}
    for r in forward.rows:
        s = pairs[(r.area_code, r.category)]
        if r.rate_ratio and s.rate_ratio:
            assert r.rate_ratio * s.rate_ratio == pytest.approx(1)
            assert r.p_value == pytest.approx(s.p_value)


def test_rates_per_1000_residents_where_population_is_loaded(store: Database) -> None:
    table = compare(
        store,
        CompareSpec(
            Period.parse("2009-04:2010-03"),
            Period.parse("2010-04:2011-03"),
            source="datastore",
            level="borough",
            area="Westminster",
            by="major",
        ),
    )
    assert table.population_year is not None
    assert all(r.rate_before_per_1000 is not None and r.rate_before_per_1000 > 0 for r in table.rows if r.before)


def test_cli_json_and_csv_carry_the_documented_keys(sample_stores: SampleStores) -> None:
    db = str(sample_stores.copy("policeuk", "datastore"))  # ingested through the CLI (asserted to exit 0)
    out = runner.invoke(
        app,
        [
            "--db",
            db,
            "compare",
            "--before",
            "2023-01:2023-12",
            "--after",
            "2024-01:2024-12",
            "--level",
            "force",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["items"]
    assert rows and all(set(r) >= KEYS for r in rows)
    as_csv = runner.invoke(
        app, ["--db", db, "compare", "--around", "2010-03", "--source", "datastore", "--level", "force", "--csv"]
    )
    assert set(next(csv.reader(io.StringIO(as_csv.stdout)))) >= KEYS
    shown = runner.invoke(
        app, ["--db", db, "compare", "--around", "2010-03", "--source", "datastore", "--level", "force"]
    )
    assert shown.exit_code == 0
    assert "Open Government Licence" in shown.stdout
    assert "2008-06:2010-02 (21 of 21 months present)" in shown.stdout
    bad = runner.invoke(app, ["--db", db, "compare", "--before", "2023-13:2023-12", "--after", "2024-01"])
    assert bad.exit_code == 2 and "not a month" in bad.output
    unknown = runner.invoke(
        app,
        [
            "--db",
            db,
            "compare",
            "--source",
            "datastore",
            "--before",
            "2010-01",
            "--after",
            "2011-01",
            "--area",
            "Gotham",
        ],
    )
    assert unknown.exit_code == 1 and "no borough called 'Gotham'" in unknown.output


def test_default_periods_are_the_latest_year_against_the_one_before(store: Database) -> None:
    """The web page's comparison without periods: the latest 12 months of the source against the 12 before."""
    latest = cubes.latest_month(store, source="datastore")
    assert latest is not None
    filled = with_default_periods(store, Query(source="datastore", area="Westminster"))
    spec = filled.spec()
    assert spec.after == Period(add_months(latest, -11), latest)
    assert spec.before == Period(add_months(latest, -23), add_months(latest, -12))
    # given periods, or a month to compare around, are kept; only a missing one is filled in
    given = Query(before="2010-01:2010-03", after="2011-01:2011-03", source="datastore")
    assert with_default_periods(store, given) == given
    around = Query(around="2010-03", source="datastore")
    assert with_default_periods(store, around) == around
    half = with_default_periods(store, Query(before="2009-01:2009-12", source="datastore"))
    assert (half.before, half.after) == ("2009-01:2009-12", str(spec.after))
