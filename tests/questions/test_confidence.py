"""PAS confidence measures: Wilson and Newcombe against statsmodels, trends, targets and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.stats import false_discovery_control
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest
from typer.testing import CliRunner

from metforward.analyse.confidence import ASSUMED_BOROUGH_N, ASSUMED_CELL_N, ASSUMED_LONDON_N, ConfidenceError
from metforward.cli import app
from metforward.questions.confidence import figures, find_measure, gaps, year_on_year
from metforward.questions.targets import check_targets
from metforward.questions.targets_file import parse_targets
from metforward.store.database import Database

runner = CliRunner()
FAIR_SEARCH = "How confident are you that the police in your area use their stop and search powers fairly?"


@pytest.fixture(scope="module")
def store(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("confidence") / "c.duckdb")
    result = runner.invoke(app, ["--db", path, "ingest", str(sample / "survey")])
    assert result.exit_code == 0, result.output
    return path


def test_figures_carry_wilson_intervals_equal_to_statsmodels(store: str) -> None:
    with Database(store) as db:
        rows = figures(db, "Trust MPS", start=dt.date(2023, 12, 31), end=dt.date(2023, 12, 31))
        informed = figures(db, find_measure(db, "Q131"))
    assert len(rows) == 33  # 32 boroughs and London
    for f in rows:
        n = ASSUMED_LONDON_N if f.area_code == "London" else ASSUMED_BOROUGH_N
        assert f.n == n and "assumed" in f.n_basis
        low, high = proportion_confint(round(f.proportion * n), n, alpha=0.05, method="wilson")
        assert (f.ci_low, f.ci_high) == pytest.approx((low, high), abs=1e-9)
    london = next(f for f in rows if f.area_code == "London")
    assert london.proportion == pytest.approx(0.69)
    assert len(informed) == 34 and all("published" in f.n_basis for f in informed)
    first = informed[0]  # 2017-01: 444 fairly + 73 very of 1,046
    assert (first.n, round(first.proportion * first.n)) == (1046, 517)
    assert (first.ci_low, first.ci_high) == pytest.approx(proportion_confint(517, 1046, method="wilson"))


def test_gap_is_newcombe_difference_of_pooled_cells(store: str) -> None:
    with Database(store) as db:
        rows = gaps(db, FAIR_SEARCH, "White British", "Black", area="E09000022")
        with pytest.raises(ConfidenceError, match="no group 'Mixed'"):
            gaps(db, FAIR_SEARCH, "White British", "Mixed")
    hoods = [g for g in rows if g.neighbourhood]
    assert [g.neighbourhood for g in hoods] == ["Central", "North", "South"]
    central = hoods[0]  # Lambeth - Central: 61 White British, 43 Black, n assumed 100 each
    assert (central.p_a, central.p_b, central.n_a) == (pytest.approx(0.61), pytest.approx(0.43), ASSUMED_CELL_N)
    low, high = confint_proportions_2indep(61, 100, 43, 100, method="newcomb", compare="diff")
    assert (central.gap, central.ci_low, central.ci_high) == pytest.approx((0.18, low, high))
    pooled = next(g for g in rows if g.neighbourhood is None)
    assert pooled.n_a == 300 and pooled.p_a == pytest.approx((0.61 + 0.63 + 0.73) / 3)
    low, high = confint_proportions_2indep(197, 300, 149, 300, method="newcomb", compare="diff")
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((low, high))


def test_year_on_year_uses_non_overlapping_years_with_z_test_and_bh(store: str) -> None:
    with Database(store) as db:
        changes = year_on_year(db, "Trust MPS", dt.date(2023, 12, 31))
        with pytest.raises(ConfidenceError, match="a year earlier"):
            year_on_year(db, "Trust MPS", dt.date(2016, 6, 30))
    assert len(changes) == 32 and all(c.before_end == dt.date(2022, 12, 31) for c in changes)
    for c in changes:
        counts = np.array([c.after * ASSUMED_BOROUGH_N, c.before * ASSUMED_BOROUGH_N])
        _, p = proportions_ztest(counts, np.array([ASSUMED_BOROUGH_N] * 2))
        assert c.p_value == pytest.approx(p)
    q = false_discovery_control([c.p_value for c in changes], method="bh")
    assert [c.q_value for c in changes] == pytest.approx(list(q))


def test_survey_targets_give_all_three_verdicts(store: str) -> None:
    doc = {
        "version": 1,
        "targets": [
            {"id": "trust-london", "type": "level", "area": "London", "at_least": 60,
             "measure": {"source": "survey", "measure": "Trust MPS", "period": "2023-12"}},
            {"id": "trust-westminster", "type": "level", "area": "Westminster", "at_least": 75,
             "measure": {"source": "survey", "measure": "Trust MPS", "period": "2023-12"}},
            {"id": "search-gap", "type": "gap", "area": "London", "at_most": 5,
             "measure": {"source": "survey", "measure": "stop and search powers", "groups": ["White British", "Black"]}},
            {"id": "listen-gap", "type": "gap", "area": "Lambeth", "at_most": 5,
             "measure": {"source": "survey", "measure": "in your area listen", "groups": ["White British", "Black"]}},
        ],
    }  # fmt: skip
    with Database(store) as db:
        results = {r.id: r for r in check_targets(db, parse_targets(doc))}
    assert results["trust-london"].verdict == "achieved" and results["trust-london"].observed == pytest.approx(69.0)
    assert results["trust-westminster"].verdict == "can't tell" and results["trust-westminster"].observed == 78.0
    assert "n assumed 400" in results["trust-westminster"].basis
    assert results["search-gap"].verdict == "missed" and results["search-gap"].unit == "points"
    assert "not the victim satisfaction survey" in results["search-gap"].basis
    # Lambeth pooled over its three neighbourhoods: (67+66+69)/3 - (64+70+75)/3 = -2.3 points, -9.7 to +5.1
    assert results["listen-gap"].verdict == "can't tell" and results["listen-gap"].observed == pytest.approx(
        -2.333, abs=1e-3
    )
    assert results["listen-gap"].ci_high == pytest.approx(5.1, abs=0.05)
    with pytest.raises(Exception, match="groups"):
        parse_targets(
            {"version": 1, "targets": [{"id": "x", "type": "gap", "area": "London", "at_most": 5,
                                        "measure": {"source": "survey", "measure": "Trust MPS"}}]}
        )  # fmt: skip


def test_cli_json_lists_measures_and_shows_the_assumption(store: str) -> None:
    listed = runner.invoke(app, ["--db", store, "confidence", "--json"])
    assert listed.exit_code == 0, listed.output
    names = {r["measure"] for r in json.loads(listed.output)["items"]}
    assert json.loads(listed.output)["notes"] == [
        "every borough name in the loaded survey files matched a London borough"
    ]
    assert {"Trust MPS", "Informed local (Q131)", FAIR_SEARCH} <= names
    out = runner.invoke(app, ["--db", store, "confidence", "--measure", "trust mps", "--area", "Westminster",
                              "--from", "2023-01", "--to", "2023-12", "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert [r["period_end"] for r in doc["items"]] == ["2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31"]
    assert {"proportion", "ci_low", "ci_high", "n", "n_basis", "area_code"} <= set(doc["items"][0])
    assert any("assumed 400" in note for note in doc["notes"]) and "Open Government Licence" in doc["attribution"]
    gap = runner.invoke(app, ["--db", store, "confidence", "--measure", "stop and search", "--gap", "White British",
                              "Black", "--area", "Lambeth", "--json"])  # fmt: skip
    assert gap.exit_code == 0, gap.output
    assert len(json.loads(gap.output)["items"]) == 4
    change = runner.invoke(app, ["--db", store, "confidence", "--measure", "Trust MPS", "--change", "--json"])
    assert change.exit_code == 0 and len(json.loads(change.output)["items"]) == 32
    unknown = runner.invoke(app, ["--db", store, "confidence", "--measure", "no such thing"])
    assert unknown.exit_code == 1 and "Trust MPS" in unknown.output


@pytest.mark.parametrize(
    ("params", "args", "note"),
    [
        ({"change": True}, ["--change"], "rolling 12-month figures"),
        ({"gap": ["White British", "Black"]}, ["--gap", "White British", "Black"], "victim satisfaction survey"),
    ],
)
def test_the_api_carries_the_notes_the_cli_shows(
    web_store: Path, client: TestClient, params: dict[str, object], args: list[str], note: str
) -> None:
    """Notes belong in the answer: the API used to leave out the notes the command added."""
    measure = "Trust MPS" if "change" in params else "stop and search"
    cli = runner.invoke(app, ["--db", str(web_store), "confidence", "--measure", measure, *args, "--json"])
    assert cli.exit_code == 0, cli.output
    notes = json.loads(cli.stdout)["notes"]
    assert any(note in n for n in notes)
    body = client.get("/api/v1/confidence", params={"measure": measure, **params, "limit": 1000}).json()
    assert body["notes"] == notes


def test_an_area_without_a_measure_is_a_usage_error_in_every_face(web_store: Path, client: TestClient) -> None:
    done = runner.invoke(app, ["--db", str(web_store), "confidence", "--area", "Westminster", "--json"])
    assert done.exit_code == 2 and "give --measure" in json.loads(done.stdout)["error"]["message"]
    response = client.get("/api/v1/confidence", params={"area": "Westminster"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "query.area"
    mps = client.get("/api/v1/confidence", params={"measure": "Trust MPS", "area": "MPS", "limit": 1000}).json()
    london = client.get("/api/v1/confidence", params={"measure": "Trust MPS", "area": "London", "limit": 1000}).json()
    assert mps["items"] == london["items"] and {r["area_code"] for r in mps["items"]} == {"London"}
