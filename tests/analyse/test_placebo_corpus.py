"""Placebo tests on the rest of the real corpus: Datastore ward files, police.uk street months, and the store.

As in ``test_placebo.py`` (the Datastore borough file): the months of two periods of each real
series are dealt at random into a "before" and an "after" period (many seeds), so the periods
differ only by chance while the real month-to-month variation is kept. An honest test gives
p < 0.05 in about 5% of the rows and almost no up/down verdict after the q values.

The shuffles are vectorised: a seed is a 0/1 mask over the 2n months, and each row's period
totals and sums of squares for every seed are two matrix products, so one call of
:func:`~metforward.analyse.dispersion.judge` tests every row under every seed (no row has under
6 months, so the table-wide pooled fallback never applies and stacking the seeds changes
nothing); the q values are then taken seed by seed, one table at a time, as ``compare`` does.

Monte Carlo band. The rows of one shuffle share its permutation (a hot summer dealt to "after"
moves every ward at once), so they are not independent; the seeds are. The Monte Carlo standard
error of the share of p < 0.05 is therefore taken from the spread of the per-seed shares,
``se = sd(share per seed) / sqrt(seeds)``, and "within Monte Carlo error" means within
``3 se`` (a 0.3% chance of a false failure per assertion when the test is exact).

What the measurements show (figures in docs/methods/compare.md):

* police.uk street months, Met burglary by borough: calibrated, 5% within the band.
* Datastore wards: never more than 5%, but conservative (3.8-3.9% with 12 + 12 months, 2.5%
  with 6 + 6, 0.5% with 3 + 3). Ward cells are small (36-42% average under 3 crimes a month),
  the dispersion estimate of 16% (12 + 12) to 44% (3 + 3) of rows falls below 1, and the floor
  of 1 then widens their test. Without the floor the same shuffles give about 5%; see
  ``test_ward_conservatism_comes_from_the_floor_of_one``. Verdicts are not wrong, only fewer.
* No ward or street row falls to the ``pooled`` or ``too few months`` fallback: the files are
  complete grids, a month with no crimes counts as a month of 0, so every row has its own 2n
  months. Rows with no crime in any of the 2n months are left out (no rate, nothing to test).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metforward.analyse.dispersion import OWN, compare_quasi, estimate_dispersion, judge
from metforward.analyse.poisson import bh_qvalues
from metforward.ingest.pipeline import ingest_paths
from metforward.questions.compare import Query, compare
from metforward.store.database import Database

WARD_RECENT = "MPS_Ward_Level_Crime_most_recent_24_months_202403-202603.csv.gz"
WARD_HISTORICAL = "fenneh_recorded-crime-ward-historical.csv.gz"
WARD_SEEDS = 100
STREET_SEEDS = 1000

Series = tuple[np.ndarray, list[str]]


@dataclass(frozen=True)
class Placebo:
    """What the shuffles gave: shares of the rows tested over all seeds."""

    p05: float  # share of rows with p < 0.05
    se: float  # Monte Carlo standard error of p05, from the per-seed shares
    verdicts: float  # share with an up/down verdict after the q values of its own table (seed)
    tested: int  # rows tested over all seeds
    rows: int  # rows of the table (with any crime in the 2n months)
    left_out: float  # share of the file's rows with no crime in the 2n months
    own: float  # share of the rows tested whose dispersion is their own (not pooled, not too few)
    zero_period: float  # share of the rows tested with no crime in one of the periods (score test)


def window(series: np.ndarray, months: list[str], first: str, n: int) -> tuple[np.ndarray, float]:
    """The ``n`` months from ``first`` and the ``n`` a year later, rows with any crime in them; the share left out."""
    start = months.index(first)
    y = series[:, np.r_[start : start + n, start + 12 : start + 12 + n]]
    keep = y.sum(axis=1) > 0
    return y[keep], float(1 - keep.mean())


def shuffled_periods(y: np.ndarray, seeds: int) -> tuple[np.ndarray, ...]:
    """Per seed and row: totals and sums of squares of a random half of the months ("before") and the rest."""
    n2 = y.shape[1]
    rng = np.random.default_rng(14)
    before = (np.argsort(rng.random((seeds, n2)), axis=1) < n2 // 2).astype(np.float64).T  # months x seeds
    b, sb = (y @ before).T, ((y**2) @ before).T
    a, sa = y.sum(axis=1) - b, (y**2).sum(axis=1) - sb
    return b, a, sb, sa


def placebo(series: np.ndarray, months: list[str], first: str, n: int, seeds: int, method: str = "quasi") -> Placebo:
    """Shuffle the months of two ``n``-month periods a year apart ``seeds`` times and judge every row."""
    y, left_out = window(series, months, first, n)
    b, a, sb, sa = shuffled_periods(y, seeds)
    j = judge(b.ravel(), a.ravel(), n, n, squares_before=sb.ravel(), squares_after=sa.ravel(), method=method)
    p, ratio = j.p_value.reshape(seeds, -1), j.rate_ratio.reshape(seeds, -1)
    live = np.isfinite(p)
    q = np.vstack([bh_qvalues(row) for row in p])  # q values within each seed's table, as compare does
    flagged = (q < 0.05) & np.isfinite(ratio) & (ratio != 1)
    share = (p < 0.05).sum(axis=1) / live.sum(axis=1)
    return Placebo(
        p05=float((p < 0.05).sum() / live.sum()),
        se=float(share.std(ddof=1) / np.sqrt(seeds)),
        verdicts=float(flagged.sum() / live.sum()),
        tested=int(live.sum()),
        rows=y.shape[0],
        left_out=left_out,
        own=float(np.mean([basis == OWN for basis in j.dispersion_basis])) if method == "quasi" else 0.0,
        zero_period=float(((b == 0) | (a == 0))[live].mean()),
    )


def ward_major(path: Path) -> Series:
    """Ward x major category (rows) by month from a Datastore ward file (wide, one column per YYYYMM)."""
    header = pd.read_csv(path, nrows=0).columns
    months = [c for c in header if c.isdigit()]
    ward, major = (next(c for c in header if c.lower() == k) for k in ("wardcode", "majortext"))
    wide = pd.read_csv(path, usecols=[ward, major, *months], dtype=dict.fromkeys(months, np.int64))
    return wide.groupby([ward, major]).sum().to_numpy(np.float64), months


@pytest.fixture(scope="module")
def ward_recent(corpus: Path) -> Series:
    """The newest Datastore ward file: 2022 wards, 2024-03 .. 2026-03."""
    return ward_major(corpus / "datastore" / WARD_RECENT)


@pytest.fixture(scope="module")
def ward_historical(corpus: Path) -> Series:
    """The historical Datastore ward file (2022 wards back-cast): 2010-04 .. 2024-02."""
    return ward_major(corpus / "datastore" / WARD_HISTORICAL)


def london_boroughs(corpus: Path) -> set[str]:
    """The 33 London local authority names, from the corpus's output area -> LSOA -> ward -> LAD lookup."""
    path = corpus / "lookups" / "london_OA21_LSOA21_LSOA11_MSOA21_WD24_LAD22_lookup.csv.gz"
    return set(pd.read_csv(path, usecols=["LAD22NM"])["LAD22NM"])


def street_borough_type(folder: Path, boroughs: set[str]) -> Series:
    """Borough (the LSOA name less its ``001A`` suffix) x crime type (rows) by month from police.uk street files."""
    frames = []
    for path in sorted(folder.glob("*/*-street.csv*")):
        frame = pd.read_csv(path, usecols=["LSOA name", "Crime type"], dtype=str)
        frames.append(frame.assign(month=path.parent.name))
    rows = pd.concat(frames, ignore_index=True)
    rows["borough"] = rows["LSOA name"].str.rsplit(" ", n=1).str[0]
    rows = rows[rows["borough"].isin(boroughs)]  # crimes with no location, or placed outside London, drop out
    wide = rows.groupby(["borough", "Crime type", "month"]).size().unstack("month", fill_value=0)
    return wide.to_numpy(np.float64), [str(c) for c in wide.columns]


@pytest.fixture(scope="module")
def met_burglary(corpus: Path) -> Series:
    """Met street files 2019-01 .. 2024-12 (burglary rows only in this corpus): 33 boroughs x burglary."""
    series, months = street_borough_type(
        corpus / "policeuk" / "metropolitan" / "street-burglary-only", london_boroughs(corpus)
    )
    assert len(months) >= 72 and series.shape[0] >= 32
    return series, months


@pytest.fixture(scope="module")
def city_types(corpus: Path) -> Series:
    """City of London Police complete street files 2023-01 .. 2025-09: the City x all 14 crime types.

    The City force's few crimes placed in neighbouring boroughs' LSOAs are left out (a handful a
    year per type: not a borough series).
    """
    series, months = street_borough_type(corpus / "policeuk" / "city-of-london" / "street", {"City of London"})
    assert len(months) >= 24 and series.shape[0] == 14
    return series, months


# --- Datastore wards -------------------------------------------------------------------------

WARD_CASES = [
    # (file, first month, months per period, lowest share of p < 0.05 measured less a margin)
    ("recent", "202403", 12, 0.030),
    ("historical", "201401", 12, 0.030),
    ("historical", "201104", 6, 0.020),
    ("historical", "201404", 3, 0.003),
]


@pytest.mark.parametrize(("which", "first", "n", "lowest"), WARD_CASES)
def test_ward_placebo_calls_no_more_chance_changes_real_than_chance(
    ward_recent: Series, ward_historical: Series, which: str, first: str, n: int, lowest: float
) -> None:
    """Ward x major category, ~7,500 rows a seed: p < 0.05 at most 5% (+ 3 se), verdicts at most 2%.

    The lower bound pins the known conservatism (the floor of 1 on small cells, see the module)
    so that a change making the test far more cautious fails here too.
    """
    series, months = ward_recent if which == "recent" else ward_historical
    r = placebo(series, months, first, n, WARD_SEEDS)
    assert r.rows >= 7000 and r.tested == r.rows * WARD_SEEDS
    assert r.p05 <= 0.05 + 3 * r.se, r
    assert r.p05 >= lowest, r
    assert r.verdicts <= 0.02, r
    # every row tested on its own months: no pooled or "too few months" fallback on a complete grid
    assert r.own == 1.0 and r.left_out < 0.15, r


def test_ward_conservatism_comes_from_the_floor_of_one(ward_recent: Series) -> None:
    """Same shuffles, dispersion not floored at 1: the share of p < 0.05 comes back to about 5%.

    Half the smallest ward cells (under a crime a month) estimate a dispersion below 1; flooring
    it at 1 widens their test. This is the documented, deliberate choice (Poisson is the least
    variation counts of independent events can have), and it costs power, not correctness.
    """
    n, seeds = 12, WARD_SEEDS
    y, _ = window(*ward_recent, "202403", n)
    b, a, sb, sa = (v.ravel() for v in shuffled_periods(y, seeds))
    shares = {}
    for floor in (1.0, 1e-9):
        d = estimate_dispersion(b, a, sb, sa, n, n, floor=floor)
        shares[floor] = float(np.mean(compare_quasi(b, a, n, n, d.phi, d.df).p_value < 0.05))
    floored, unfloored = shares[1.0], shares[1e-9]
    assert floored < unfloored
    assert abs(unfloored - 0.05) < abs(floored - 0.05) and 0.04 <= unfloored <= 0.06, shares


# --- police.uk street months -----------------------------------------------------------------

STREET_CASES = [
    # (series, first month, months per period, whether the share must lie within 3 se of 5% both ways)
    ("met", "2019-01", 12, True),  # 2019 v 2020: the first lockdown is in the months shuffled
    ("met", "2023-01", 12, True),
    ("met", "2021-04", 6, False),  # 4.6%: slightly cautious, as on the borough file
    ("met", "2022-04", 3, False),  # Student's t on 4 df and the floor: cautious
    ("city", "2023-01", 12, False),  # 4.2%: 14 rows, some small, slightly cautious
    ("city", "2024-04", 6, True),
]


@pytest.mark.parametrize(("which", "first", "n", "two_sided"), STREET_CASES)
def test_street_placebo_is_calibrated(
    met_burglary: Series, city_types: Series, which: str, first: str, n: int, two_sided: bool
) -> None:
    """Borough x crime type from police.uk street months: p < 0.05 in 5% within Monte Carlo error."""
    series, months = met_burglary if which == "met" else city_types
    r = placebo(series, months, first, n, STREET_SEEDS)
    assert r.p05 <= 0.05 + 3 * r.se, r
    if two_sided:
        assert r.p05 >= 0.05 - 3 * r.se, r
    else:
        assert r.p05 >= 0.02, r
    assert r.verdicts <= 0.02, r
    assert r.own == 1.0, r


def test_street_exact_poisson_fails_the_same_placebo(met_burglary: Series) -> None:
    """Borough burglary counts vary far more than Poisson: the exact test calls chance real in a quarter of rows."""
    r = placebo(*met_burglary, "2023-01", 12, STREET_SEEDS, method="poisson")
    assert r.p05 > 0.2 and r.verdicts > 0.1, r


# --- through the store -----------------------------------------------------------------------

STORE_SEEDS = 3
FIGURES = ("before", "after", "p_value", "dispersion")


def test_store_compare_on_shuffled_ward_months_equals_the_kernel(
    corpus: Path, ward_recent: Series, tmp_path: Path
) -> None:
    """The real path: a Datastore ward file of shuffled months ingested into a store, ``compare`` as the CLI calls it.

    The 24 months 2024-03 .. 2026-02 of the real ward file are shuffled ``STORE_SEEDS`` times.
    Shuffle ``k`` is written as the two years 2000 + 2k (before) and 2001 + 2k (after) of one
    wide file (the store refuses months in the future, and one file keeps it to one ingest), so
    each seed is one ``compare --source datastore --level ward --by major`` on the same store.
    Each row's p value, verdict and dispersion must equal the kernel's on the same shuffled
    months, so the kernel placebo above speaks for the store path too; and the store path itself
    gives no more p < 0.05 than chance over the seeds (about 22,000 rows; the Monte Carlo band
    over 3 seeds is wide, the kernel tests carry the precision).
    """
    real = corpus / "datastore" / WARD_RECENT
    kernel_series, kernel_months = ward_recent
    months = kernel_months[:24]  # 202403 .. 202602
    frame = pd.read_csv(real, dtype=str)
    ids = ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"]
    values = frame[months].to_numpy(np.int64)
    rng = np.random.default_rng(14)
    orders = [rng.permutation(24) for _ in range(STORE_SEEDS)]
    columns = {c: frame[c] for c in ids}
    for k, order in enumerate(orders):
        for i, j in enumerate(order):
            columns[f"{2000 + 2 * k + i // 12}{i % 12 + 1:02d}"] = values[:, j]
    placebo_file = tmp_path / "MPS_Ward_Level_Crime_placebo.csv"
    pd.DataFrame(columns).to_csv(placebo_file, index=False)
    db = Database(tmp_path / "placebo.duckdb")
    try:
        summary = ingest_paths(db, [placebo_file])
        assert [(f.kind, f.error) for f in summary.files] == [("datastore-ward", None)]
        y = kernel_series[:, [kernel_months.index(m) for m in months]]
        keys = pd.read_csv(real, usecols=["WardCode", "MajorText"]).groupby(["WardCode", "MajorText"]).size().index
        significant = tested = 0
        for k, order in enumerate(orders):
            spec = Query(
                before=f"{2000 + 2 * k}-01:{2000 + 2 * k}-12",
                after=f"{2001 + 2 * k}-01:{2001 + 2 * k}-12",
                level="ward",
                source="datastore",
                by="major",
            ).spec()
            table = compare(db, spec)
            shuffled = y[:, order]
            b, a = shuffled[:, :12], shuffled[:, 12:]
            kernel = judge(b.sum(1), a.sum(1), 12, 12, squares_before=(b**2).sum(1), squares_after=(a**2).sum(1))
            index = {key: i for i, key in enumerate(keys)}
            assert len(table.rows) == len(keys)
            at = np.array([index[(row.area_code, row.category)] for row in table.rows])
            got = {k: np.array([getattr(row, k) for row in table.rows], dtype=float) for k in FIGURES}
            assert (got["before"] == b.sum(1)[at]).all() and (got["after"] == a.sum(1)[at]).all()
            np.testing.assert_allclose(got["p_value"], kernel.p_value[at], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(got["dispersion"], np.round(kernel.dispersion[at], 4))
            assert [row.verdict for row in table.rows] == [kernel.verdict[i] for i in at]
            p = got["p_value"][got["before"] + got["after"] > 0]
            significant += int((p < 0.05).sum())
            tested += p.size
            assert sum(r.verdict != "can't tell" for r in table.rows) <= 0.02 * len(table.rows)
        assert tested > 21_000 and significant / tested <= 0.06, (significant, tested)
    finally:
        db.close()
