"""Exceptions that are exceptions: the screens allow for the variation counts really show.

Synthetic London Datastore files with a known truth (seasonal, over-dispersed counts), the
``--min-change`` threshold, the ranking by distance from expectation, and placebo checks of the
SPC screen on the real Datastore 2008-2016 borough file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from metforward.analyse.funnel import funnel
from metforward.analyse.spc import latest_outside, latest_seasonal_xmr, seasonal_factors
from metforward.cli import app
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.ingest.pipeline import ingest_paths
from metforward.questions.exceptions import exceptions
from metforward.store.database import Database

BOROUGHS = [(code, name) for code, name in LONDON_BOROUGHS.items() if code != "E09000001"]
MONTHS = [f"{y}{m:02d}" for y in range(2019, 2025) for m in range(1, 13)]  # six years, latest 2024-12
CATEGORIES = {"BURGLARY": 0.5, "ROBBERY": 0.25, "THEFT": 2.0}  # per 1,000 residents a month
#: a strong season: December 40% above an average month, the summer low
SEASON = np.array([1.0, 0.9, 0.95, 0.95, 1.0, 0.9, 0.85, 0.85, 1.0, 1.05, 1.15, 1.4])
SEASON = SEASON / np.exp(np.log(SEASON).mean())


def write_store(tmp_path: Path, *, seed: int, dispersion: float = 2.5, plant_small_rise: bool = False) -> Database:
    """32 boroughs x 3 categories, negative binomial months with variance ``dispersion`` x mean, seasonal."""
    rng = np.random.default_rng(seed)
    people = {code: rng.uniform(150_000, 400_000) for code, _ in BOROUGHS}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["MajorText", "MinorText", "BoroughName", *MONTHS])
    for code, name in BOROUGHS:
        for category, rate in CATEGORIES.items():
            mean = rate * people[code] / 1000 * SEASON[np.arange(len(MONTHS)) % 12]
            if plant_small_rise and (name, category) == ("Croydon", "THEFT"):
                mean = np.full(
                    len(MONTHS), rate * people[code] / 1000 * 40
                )  # huge, steady: a 6% rise is sure but small
                mean[-12:] *= 1.06
                counts = rng.poisson(mean)
            else:
                # negative binomial with variance dispersion x mean: gamma-Poisson mixture
                counts = rng.poisson(rng.gamma(mean / (dispersion - 1), dispersion - 1))
            writer.writerow([category, category, name, *counts])
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_seasonal_peak_in_overdispersed_counts_is_not_an_exception(tmp_path: Path, seed: int) -> None:
    """December is always high and months vary 2.5 times Poisson: nothing is unusual, so nothing is flagged.

    The former screen (Poisson-floored XmR on the raw months, no season) flagged the December peak.
    """
    with write_store(tmp_path, seed=seed) as db:
        report = exceptions(db, source="datastore", by="major")
    assert report.tests["spc"] == 96
    assert [f for f in report.flags if f.test in ("spc", "trend")] == []


def test_seasonal_factors_recover_a_known_season_despite_a_trend() -> None:
    months = np.arange(60)
    totals = 5000 * SEASON[months % 12] * np.exp(0.01 * months)  # rising 1% a month
    season = seasonal_factors(totals, months % 12 + 1)
    assert season is not None
    np.testing.assert_allclose(season.factors, SEASON, rtol=1e-9)
    assert seasonal_factors(totals[:12], months[:12] % 12 + 1) is None  # a year cannot tell a season from noise


def test_min_change_keeps_sure_but_small_changes_out(tmp_path: Path) -> None:
    store = write_store(tmp_path, seed=5, plant_small_rise=True)
    store.close()
    path = str(tmp_path / "x.duckdb")
    runner = CliRunner()

    def flags(*extra: str) -> dict[str, object]:
        result = runner.invoke(app, ["--db", path, "exceptions", "--source", "datastore", "--json", *extra])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    default = flags()
    assert default["meta"]["min_change"] == 0.1  # type: ignore[index]
    assert not any(f["area_name"] == "Croydon" and f["test"] == "trend" for f in default["items"])  # type: ignore[attr-defined,index]
    everything = flags("--min-change", "0")
    rise = [f for f in everything["items"] if f["area_name"] == "Croydon" and f["test"] == "trend"]  # type: ignore[attr-defined,index]
    assert len(rise) == 1 and 3 < rise[0]["change_pct"] < 10 and rise[0]["expected"] > 0
    # what was tested and what chance alone would give are stated
    meta = default["meta"]
    assert meta["tested"] == sum(meta["tests"].values())  # type: ignore[index]
    assert meta["by_chance"] == pytest.approx(0.05 * meta["tested"], abs=0.01)  # type: ignore[index]
    assert "cells tested" in str(meta["summary"]) and "chance alone" in str(meta["summary"])  # type: ignore[index]
    bad = runner.invoke(app, ["--db", path, "exceptions", "--source", "datastore", "--min-change", "-5"])
    assert bad.exit_code == 2 and "--min-change" in bad.output


def test_flags_are_ranked_by_distance_from_expectation(tmp_path: Path) -> None:
    with write_store(tmp_path, seed=5, plant_small_rise=True) as db:
        report = exceptions(db, source="datastore", by="major", min_change=0.0)
    assert report.flags
    distances = [abs(f.z) for f in report.flags]
    assert distances == sorted(distances, reverse=True)
    for f in report.flags:
        assert (f.change_pct > 0) == (f.direction == "up") and (f.z > 0) == (f.direction == "up")


# --- placebo checks on the real corpus --------------------------------------------------------------


@pytest.fixture(scope="module")
def borough_major(corpus: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Borough x major-category monthly counts of the Datastore 2008-2016 file, their categories, month of year."""
    wide = pd.read_csv(corpus / "datastore" / "MPS_Borough_Level_Crime_Historic_2008-2016.csv")
    grouped = wide.drop(columns=["Minor Category"]).groupby(["Borough", "Major Category"]).sum()
    values = grouped.to_numpy(dtype=np.float64)
    keep = values.sum(axis=1) > 0
    categories = grouped.index.get_level_values(1).to_numpy()[keep]
    return values[keep], categories, np.array([int(str(c)[-2:]) for c in grouped.columns])


def spc_p_values(values: np.ndarray, categories: np.ndarray, moy: np.ndarray, *, shuffle: int | None) -> np.ndarray:
    """p values of the SPC screen for every series and every other latest month with five years before it.

    With ``shuffle``, the 61 months of each window are put in a random order (the same for every
    series, so London totals stay totals): the latest month is then a month like any other.
    """
    rng = np.random.default_rng(shuffle)
    out = []
    for last in range(60, values.shape[1], 2):
        idx = np.arange(last - 60, last + 1)
        if shuffle is not None:
            idx = idx[rng.permutation(idx.size)]
        window, months = values[:, idx], moy[np.arange(last - 60, last + 1)]
        for category in np.unique(categories):
            rows = window[categories == category]
            season = seasonal_factors(rows.sum(axis=0)[:-1], months[:-1])
            assert season is not None
            for series in rows:
                if series[-25:-1].sum() == 0:
                    continue
                result = latest_seasonal_xmr(
                    series[-25:],
                    season.factors[months[-25:] - 1],
                    factor_log_variance=float(season.log_variance[months[-1] - 1]),
                )
                out.append(result.p_value)
    return np.array(out)


def test_spc_screen_is_calibrated_on_shuffled_real_months(borough_major: tuple[np.ndarray, ...]) -> None:
    """Months shuffled within five-year windows: the latest month is not unusual, so about 5% have p < 0.05."""
    values, categories, moy = borough_major
    p = np.concatenate([spc_p_values(values, categories, moy, shuffle=seed) for seed in (1, 2)])
    assert p.size > 10_000
    assert 0.025 <= (p < 0.05).mean() <= 0.065, (p < 0.05).mean()
    # beyond 3 sd: real months have heavier tails than the normal (a riot, a recording batch), and one such
    # month dealt last in a window flags its whole category; measured 0.3-1.1% against the normal 0.27%
    assert (p < 0.0027).mean() <= 0.015


def test_spc_screen_on_real_months_in_order(borough_major: tuple[np.ndarray, ...]) -> None:
    """Real months in order (real changes included): far fewer cells beyond expectation than the former screen."""
    values, categories, moy = borough_major
    p = spc_p_values(values, categories, moy, shuffle=None)
    former = np.array(
        [
            latest_outside(values[i, last - 24 : last + 1]).p_value
            for last in range(60, values.shape[1], 2)
            for i in range(values.shape[0])
            if values[i, last - 24 : last].sum() > 0
        ]
    )
    assert (p < 0.05).mean() < 0.12 and (former < 0.05).mean() > 0.2
    assert (p < 0.0027).mean() < 0.02 < (former < 0.0027).mean()


def test_funnel_allows_for_overdispersion_and_is_calibrated() -> None:
    """Boroughs whose true rates spread around London's (random effects), months 2.5 times Poisson: about 5% fall
    outside the 95% limits, about 0.2% outside 99.8%, once the winsorised over-dispersion is made consistent."""
    rng = np.random.default_rng(14)
    people = rng.uniform(150, 400, size=32)  # thousands of residents
    outside95 = outside998 = units = raw95 = 0
    for _ in range(400):
        true_rate = np.maximum(rng.normal(6.0, 0.8, size=32), 0.5)  # crimes per 1,000 a year
        mean = true_rate * people
        observed = rng.poisson(rng.gamma(mean / 1.5, 1.5))
        fitted = funnel(observed, people, consistent=True)  # as the exceptions screen calls it
        raw = funnel(observed, people)
        raw95 += sum(flag != "within" for flag in raw.flag)
        assert fitted.limits_method == "additive random effects" and fitted.tau2 > 0
        outside95 += sum(flag != "within" for flag in fitted.flag)
        outside998 += sum("99.8" in flag for flag in fitted.flag)
        units += 32
    assert 0.03 <= outside95 / units <= 0.08, outside95 / units
    assert outside998 / units <= 0.008, outside998 / units
    assert raw95 / units > 0.08  # the winsorised estimate uncorrected (Spiegelhalter 2005b) runs about twice nominal
