"""Performance by exception on synthetic London Datastore files with a known truth."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.ingest.pipeline import ingest_paths
from metforward.questions.exceptions import exceptions
from metforward.store.database import Database

BOROUGHS = [(code, name) for code, name in LONDON_BOROUGHS.items() if code != "E09000001"]  # the Met's 32
MONTHS = [f"{y}{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
CATEGORIES = ["BURGLARY", "ROBBERY", "THEFT"]
RATES = {"BURGLARY": 0.5, "ROBBERY": 0.25, "THEFT": 2.0}  # per 1,000 residents a month


def write_store(tmp_path: Path, *, plant: bool) -> Database:
    rng = np.random.default_rng(7 if plant else 11)
    people = {code: rng.uniform(150_000, 400_000) for code, _ in BOROUGHS}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["MajorText", "MinorText", "BoroughName", *MONTHS])
    for code, name in BOROUGHS:
        for category in CATEGORIES:
            mean = np.full(len(MONTHS), RATES[category] * people[code] / 1000)
            if plant and (name, category) == ("Lambeth", "ROBBERY"):
                mean[-12:] *= 1.6  # a real rise over the last year
            if plant and (name, category) == ("Sutton", "THEFT"):
                mean *= 2.0  # a rate far above London's, all along
            if plant and (name, category) == ("Hackney", "BURGLARY"):
                mean[-1] *= 3.0  # one extraordinary month
            writer.writerow([category, category, name, *rng.poisson(mean)])
    (tmp_path / "counts.csv").write_text(out.getvalue())
    pop = io.StringIO()
    w = csv.writer(pop)
    w.writerow(["GSS.Code", "Borough", "2024"])
    for code, name in BOROUGHS:
        w.writerow([code, name, f"{people[code]:.0f}"])
    (tmp_path / "population.csv").write_text(pop.getvalue())
    db = Database(tmp_path / "x.duckdb")
    assert ingest_paths(db, [tmp_path / "counts.csv", tmp_path / "population.csv"]).ok
    return db


def test_nothing_is_flagged_when_nothing_is_unusual(tmp_path: Path) -> None:
    report = exceptions(write_store(tmp_path, plant=False), source="datastore", by="major")
    assert report.tests == {"trend": 96, "funnel": 96, "spc": 96}
    assert report.flags == []


def test_planted_anomalies_are_found_by_the_right_screen(tmp_path: Path) -> None:
    report = exceptions(write_store(tmp_path, plant=True), source="datastore", by="major")
    found = {(f.area_name, f.category, f.test, f.direction) for f in report.flags}
    assert ("Lambeth", "ROBBERY", "trend", "up") in found
    assert ("Sutton", "THEFT", "funnel", "up") in found
    assert ("Hackney", "BURGLARY", "spc", "up") in found
    planted = {("Lambeth", "ROBBERY"), ("Sutton", "THEFT"), ("Hackney", "BURGLARY")}
    assert {(a, c) for a, c, _, _ in found} <= planted, "a cell with no planted change was flagged"
    assert report.flags[0].direction == "up"
    assert all(f.q_value < 0.05 for f in report.flags)


@pytest.mark.parametrize("months", [6, 12])
def test_periods_follow_the_latest_month(tmp_path: Path, months: int) -> None:
    report = exceptions(write_store(tmp_path, plant=False), source="datastore", by="major", months=months)
    assert str(report.recent).endswith("2024-12") and report.recent.months == months
    assert report.baseline.months == months
