"""Targets files: validation with every problem named, honest verdicts, the example on the sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.analyse.targets import ACHIEVED, CANT_TELL, MISSED, judge
from metforward.cli import app
from metforward.questions.targets_file import TargetsFileError, parse_targets
from tests.conftest import SampleStores

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "targets-2010-11.yaml"
runner = CliRunner()


@pytest.mark.parametrize(
    ("value", "low", "high", "direction", "threshold", "verdict"),
    [
        (-5.0, -8.0, -2.0, "at_most", -1.0, ACHIEVED),
        (-1.5, -4.0, 1.0, "at_most", -1.0, CANT_TELL),
        (3.0, 0.5, 5.5, "at_most", -1.0, MISSED),
        (55.0, 52.0, 58.0, "at_least", 51.4, ACHIEVED),
        (52.0, 50.0, 54.0, "at_least", 51.4, CANT_TELL),
        (48.0, 46.0, 50.0, "at_least", 51.4, MISSED),
    ],
)
def test_the_verdict_follows_the_interval_not_the_point(
    value: float, low: float, high: float, direction: str, threshold: float, verdict: str
) -> None:
    got, margin = judge(value, low, high, direction, threshold)
    assert got == verdict
    assert margin == pytest.approx(threshold - value if direction == "at_most" else value - threshold)


def test_every_problem_is_named_with_its_place() -> None:
    with pytest.raises(TargetsFileError) as caught:
        parse_targets(
            {
                "version": 1,
                "targets": [
                    {
                        "id": "a",
                        "type": "reduction",
                        "at_most": -1,
                        "baseline": "2009-13:2010-03",
                        "measure": {"category": "Robbery"},
                    },
                    {"id": "b", "type": "level", "at_least": 51.4, "observed": {"successes": 600, "n": 400}},
                    {"id": "c", "type": "speed", "at_most": 3},
                    {"id": "d", "type": "gap", "at_most": 3.8, "at_least": 1, "observed": {}},
                    {"id": "e", "type": "rate", "at_least": 20, "area": "Gotham", "observed": {"successes": 1, "n": 9}},
                ],
            }
        )
    problems = "\n".join(caught.value.problems)
    assert "targets[0] (a): 'baseline': not a month: '2009-13'" in problems
    assert "targets[0] (a): 'period' is required" in problems
    assert "targets[1] (b) observed: observed counts need 'successes' and 'n'" in problems
    assert "targets[2] (c): 'type' must be one of reduction, level, rate, gap" in problems
    assert "targets[3] (d): give exactly one of 'at_most' or 'at_least'" in problems
    assert "targets[4] (e): 'area' must be London or a London borough" in problems


def test_a_composite_names_its_members() -> None:
    parsed = parse_targets(
        {
            "version": 1,
            "composites": {"sac": ["Burglary in a Dwelling", "Personal Property"]},
            "targets": [
                {
                    "id": "x",
                    "type": "reduction",
                    "at_most": -1,
                    "baseline": "2009-04:2010-03",
                    "period": "2010-04:2011-03",
                    "measure": {"category": "sac"},
                }
            ],
        }
    )
    measure = parsed.targets[0].measure
    assert measure is not None and measure.members == ("Burglary in a Dwelling", "Personal Property")


def test_the_example_runs_on_the_sample(sample_stores: SampleStores) -> None:
    db = str(sample_stores.copy())  # the sample ingested through the CLI (asserted to exit 0)
    result = runner.invoke(app, ["--db", db, "targets", "check", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)["items"]}
    assert set(rows) == {
        "sac-london",
        "sac-westminster",
        "burglary-westminster",
        "satisfaction-gap",
        "informed-local",
        "trust-london",
        "fair-treatment-gap-pas",
        "knife-sdr-westminster",
        "knife-sdr-london",
        "burglary-sdr-westminster",
        "sns-arrest-rate-london",
        "sns-find-rate-westminster",
        "sns-disproportionality-black-london",
        "specials-2012",
        "specials-2015",
        "officers-2015-16",
    }
    for r in rows.values():
        assert r["verdict"] in (ACHIEVED, MISSED, CANT_TELL)
        if r["observed"] is not None:
            assert r["ci_low"] <= r["observed"] <= r["ci_high"]
        assert "cannot compute" not in r["basis"], r
    assert rows["satisfaction-gap"]["verdict"] == CANT_TELL  # 5.2 (3.3 to 7.1) straddles 3.8
    # the store-backed figures equal the counts the file used to quote by hand
    assert rows["knife-sdr-westminster"]["observed"] == pytest.approx(100 * 78 / 823, abs=1e-3)
    assert rows["knife-sdr-westminster"]["verdict"] == MISSED  # 78/823 = 9.5%, far below 15%
    assert rows["knife-sdr-london"]["observed"] == pytest.approx(100 * 1985 / 13135, abs=1e-3)
    assert rows["informed-local"]["observed"] == pytest.approx(100 * 517 / 1046, abs=1e-3)
    # one of each source has a verdict other than can't tell
    assert rows["burglary-sdr-westminster"]["verdict"] == MISSED
    assert rows["sns-disproportionality-black-london"]["verdict"] == MISSED
    assert rows["sns-find-rate-westminster"]["verdict"] == CANT_TELL
    assert rows["trust-london"]["verdict"] == ACHIEVED
    assert rows["fair-treatment-gap-pas"]["verdict"] == MISSED
    assert rows["specials-2015"]["observed"] == 3659 and rows["specials-2015"]["verdict"] == MISSED
    assert rows["specials-2012"]["verdict"] == CANT_TELL
    assert "no counts found" not in rows["sac-london"]["basis"]


def test_a_store_measure_without_its_data_is_cant_tell(sample_stores: SampleStores) -> None:
    db = str(sample_stores.copy("datastore"))  # ingested through the CLI (asserted to exit 0)
    result = runner.invoke(app, ["--db", db, "targets", "check", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)["items"]}
    assert rows["burglary-sdr-westminster"]["verdict"] == CANT_TELL
    # the built-in London lookups load with the Datastore files (issue 16): what is missing is the street data
    assert "load police.uk street files first" in rows["burglary-sdr-westminster"]["basis"]
    assert rows["knife-sdr-westminster"]["verdict"] == MISSED  # the dashboard is in sample/datastore


def test_the_sac_count_equals_an_independent_sum_of_the_file(tmp_path: Path, sample: Path) -> None:
    import csv
    import gzip
    import io

    db = str(tmp_path / "t.duckdb")
    runner.invoke(
        app, ["--db", db, "ingest", str(sample / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv.gz")]
    )
    result = json.loads(runner.invoke(app, ["--db", db, "targets", "check", str(EXAMPLE), "--json"]).stdout)["items"]
    sac = {
        "Burglary in a Dwelling",
        "Business Property",
        "Personal Property",
        "Theft From Motor Vehicle",
        "Theft/Taking Of Motor Vehicle",
        "Motor Vehicle Interference & Tampering",
    }
    text = gzip.decompress((sample / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv.gz").read_bytes())
    before = after = 0
    for row in csv.DictReader(io.StringIO(text.decode())):
        if row["Minor Category"] in sac and row["Borough"] == "Westminster":
            before += sum(
                int(row[f"{y}{m:02d}"]) for y, m in [(2009, m) for m in range(4, 13)] + [(2010, m) for m in range(1, 4)]
            )
            after += sum(
                int(row[f"{y}{m:02d}"]) for y, m in [(2010, m) for m in range(4, 13)] + [(2011, m) for m in range(1, 4)]
            )
    westminster = next(r for r in result if r["id"] == "sac-westminster")
    assert f"{before:,} in 2009-04:2010-03" in westminster["basis"]
    assert f"{after:,} in 2010-04:2011-03" in westminster["basis"]
    assert westminster["observed"] == pytest.approx((after / before - 1) * 100, abs=1e-3)


def test_a_bad_file_exits_2_and_lists_problems(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("version: 1\ntargets:\n  - id: x\n    type: level: x\n    at_least: 1\n")
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), "targets", "check", str(bad)])
    assert result.exit_code == 2
    assert "line 4, column 16: not valid YAML (mapping values are not allowed here)" in result.output
