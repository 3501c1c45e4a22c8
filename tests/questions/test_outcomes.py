"""Sanction detection rates: against an independent join of the raw police.uk files, statsmodels'
Wilson interval and the raw MPS dashboard; the outcome mapping; targets and the CLI."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from metforward.analyse.compare import Period
from metforward.cli import app
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.outcomes import OUTCOME_CLASS, SANCTION_CLASSES, is_sanction, outcome_class
from metforward.ingest.pipeline import ingest_paths
from metforward.questions.outcomes import dashboard_rates, sanction_rates
from metforward.questions.targets import check_targets
from metforward.questions.targets_file import parse_targets
from metforward.store.database import Database
from metforward.store.places import resolve_area

runner = CliRunner()
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
PERIOD = Period.parse("2024-01:2024-06")


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def burglary(corpus: Path, sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, Path]:
    met = corpus / "policeuk" / "metropolitan"
    folders = [met / "street-burglary-only" / m for m in MONTHS] + [met / "outcomes-burglary-only" / m for m in MONTHS]
    db = Database(tmp_path_factory.mktemp("outcomes") / "o.duckdb")
    summary = ingest_paths(db, [*folders, sample / "lookups"])
    assert not [f for f in summary.files if f.error], summary.files
    return db, met


def test_sanction_rates_equal_an_independent_join_of_the_raw_files(burglary: tuple[Database, Path]) -> None:
    db, met = burglary
    outcomes: dict[str, list[str]] = defaultdict(list)
    for m in MONTHS:
        for path in sorted((met / "outcomes-burglary-only" / m).iterdir()):
            for row in read_csv(path):
                outcomes[row["Crime ID"]].append(row["Outcome type"])
    crimes: Counter[str] = Counter()
    sanctioned: Counter[str] = Counter()
    under: Counter[str] = Counter()
    for m in MONTHS[:6]:
        for path in sorted((met / "street-burglary-only" / m).iterdir()):
            for row in read_csv(path):
                if not row["Crime ID"] or not row["LSOA name"]:
                    continue
                borough = row["LSOA name"].rsplit(" ", 1)[0]  # "Westminster 018A" -> "Westminster"
                crimes[borough] += 1
                types = outcomes.get(row["Crime ID"], [])
                sanctioned[borough] += any(is_sanction(t) for t in types)
                under[borough] += not types and row["Last outcome category"] in ("", "Under investigation")
    result = sanction_rates(db, None, PERIOD, by=["borough"], categories=["Burglary"], force="metropolitan")
    london = set(LONDON_BOROUGHS.values())
    crimes = Counter({b: n for b, n in crimes.items() if b in london})  # the Met also records a few outside London
    ours = {r.keys["borough_name"]: r for r in result.rows}
    assert set(ours) == set(crimes)
    assert {b: r.crimes for b, r in ours.items()} == dict(crimes)
    assert {b: r.sanctioned for b, r in ours.items()} == {b: sanctioned[b] for b in ours}
    assert {b: r.under_investigation for b, r in ours.items()} == {b: under[b] for b in ours}
    assert sum(r.sanctioned for r in ours.values()) == sum(sanctioned[b] for b in ours) > 100
    assert result.total.crimes == sum(crimes.values())
    westminster = ours["Westminster"]
    low, high = proportion_confint(westminster.sanctioned, westminster.crimes, alpha=0.05, method="wilson")
    assert westminster.ci_low == pytest.approx(100 * low, abs=1e-4)
    assert westminster.ci_high == pytest.approx(100 * high, abs=1e-4)
    assert westminster.rate == pytest.approx(100 * westminster.sanctioned / westminster.crimes, abs=1e-4)


def test_every_outcome_type_in_the_corpus_is_mapped(burglary: tuple[Database, Path]) -> None:
    db, _ = burglary
    types = {r[0] for r in db.execute("SELECT DISTINCT outcome_type FROM outcomes")}
    types |= {r[0] for r in db.execute("SELECT DISTINCT last_outcome FROM crimes WHERE last_outcome IS NOT NULL")}
    assert types <= set(OUTCOME_CLASS), types - set(OUTCOME_CLASS)
    assert outcome_class("Something new") == "unrecognised"
    assert outcome_class("") == "none"
    assert {outcome_class(t) for t in ("Suspect charged", "Offender sent to prison", "Defendant found not guilty")} == {
        "charge_summons"
    }
    assert [is_sanction(t) for t in ("Local resolution", "Unable to prosecute suspect", "Under investigation")] == [
        True,
        False,
        False,
    ]
    assert set(SANCTION_CLASSES) <= set(OUTCOME_CLASS.values())


def test_loads_and_completeness_are_reported(burglary: tuple[Database, Path]) -> None:
    db, _ = burglary
    result = sanction_rates(db, resolve_area(db, "Camden"), PERIOD, by=["month"])
    assert [r.keys["month"] for r in result.rows] == [f"2024-{m:02d}" for m in range(1, 7)]
    assert {(x.kind, x.files) for x in result.loads} == {("street", 6), ("outcomes", 12)}
    assert result.outcome_months is not None and f"{result.outcome_months[1]:%Y-%m}" == "2024-12"
    t = result.total
    assert t.crimes == t.with_outcome + t.under_investigation + t.outcome_missing
    # the corpus copies of the outcomes files hold only outcomes of the same month's crimes: flagged
    assert t.outcome_missing > 0 and any("no row in the outcomes files" in n for n in result.notes)


def test_dashboard_rates_equal_the_raw_file(corpus: Path, tmp_path: Path) -> None:
    path = corpus / "datastore" / "fenneh_monthly-crime-dashboard.csv.gz"
    db = Database(tmp_path / "d.duckdb")
    summary = ingest_paths(db, [path])
    assert [(f.rows_read, f.rows_rejected) for f in summary.files] == [(len(read_csv(path)), 0)]
    offences: Counter[str] = Counter()
    positive: Counter[str] = Counter()
    for row in read_csv(path):
        if (
            row["area_type"] == "Borough"
            and row["crime_subtype"] == "Knife Crime"
            and "2022-04-01" <= row["month_year"] <= "2023-03-01"
        ):
            target = offences if row["measure"] == "Offences" else positive
            target[row["area_code"]] += int(row["count"])
    result = dashboard_rates(db, None, Period.parse("2022-04:2023-03"), crime_type="Knife Crime", by=["borough"])
    ours = {r.keys["borough_code"]: r for r in result.rows}
    assert {k: r.offences for k, r in ours.items() if k} == {k: v for k, v in offences.items() if k.startswith("E09")}
    assert {k: r.positive_outcomes for k, r in ours.items() if k} == {
        k: v for k, v in positive.items() if k.startswith("E09")
    }
    assert (result.total.offences, result.total.positive_outcomes) == (sum(offences.values()), sum(positive.values()))
    assert len(result.months_present) == 12 and not result.notes


def test_outcomes_targets_and_cli(sample: Path, tmp_path: Path) -> None:
    path = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["--db", path, "ingest", str(sample / "policeuk"), str(sample / "lookups")])
    assert result.exit_code == 0, result.output
    out = runner.invoke(
        app,
        ["--db", path, "outcomes", "--period", "2024-01:2024-12", "--area", "Westminster", "--by", "month", "--json"],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["items"]) == 12 and {"month", "crimes", "sanctioned", "rate", "ci_low", "ci_high"} <= set(
        data["items"][0]
    )
    assert sum(r["crimes"] for r in data["items"]) == data["meta"]["total_row"]["crimes"]
    assert {x["kind"] for x in data["meta"]["loads"]} == {"street", "outcomes"} and data["attribution"]
    with Database(path) as db:
        targets = parse_targets(
            {
                "version": 1,
                "targets": [
                    {
                        "id": "burglary-sdr",
                        "type": "rate",
                        "area": "Westminster",
                        "at_least": 10,
                        "measure": {"source": "outcomes", "period": "2024-01:2024-12", "category": "Burglary"},
                    }
                ],
            }
        )
        (checked,) = check_targets(db, targets)
        total = sanction_rates(
            db, resolve_area(db, "Westminster"), Period.parse("2024-01:2024-12"), categories=["Burglary"]
        )
    assert checked.observed == pytest.approx(total.total.rate, abs=1e-3)
    assert checked.verdict == "missed" and "crimes recorded in 2024-01:2024-12" in checked.basis
    bad = runner.invoke(app, ["--db", path, "outcomes", "--period", "2024-01:2024-12", "--by", "colour"])
    assert bad.exit_code == 1 and "cannot group by colour" in bad.output


def test_mps_means_london_in_every_face(web_store: Path, client: TestClient) -> None:
    """The one area resolver: ``--area MPS`` (which the command used to reject) is London, as in the API."""
    args = ["--db", str(web_store), "outcomes", "--period", "2024-01:2024-06", "--by", "borough", "--json"]
    london = runner.invoke(app, [*args, "--area", "London"])
    mps = runner.invoke(app, [*args, "--area", "MPS"])
    assert mps.exit_code == 0, mps.output
    assert json.loads(mps.stdout)["items"] == json.loads(london.stdout)["items"]
    assert json.loads(mps.stdout)["meta"]["area_name"] == "London"
    body = client.get("/api/v1/outcomes", params={"period": "2024-01:2024-06", "by": "borough", "area": "mps"}).json()
    assert body["items"] == json.loads(london.stdout)["items"]
