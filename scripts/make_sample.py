"""Rebuild ``sample/`` from the shared real-data corpus: real rows only, filtered, never edited.

Usage: ``python scripts/make_sample.py [--corpus ../shared/data] [--out sample]``

What goes in (see sample/README.md): City of London street data for 2024; Met burglary street
and outcomes rows for four boroughs (Westminster, Camden, Hackney, City) plus the rows with no
location, 2023-2024; three months of Met stop and search; the London Datastore borough files
and the latest ward file; borough, ward and (four-borough) LSOA boundaries; the ONS lookups;
borough and (London) LSOA population; the MPS dashboards of the strands (VAWG and business crime
for three boroughs and the London-wide sheets, custody whole). Files are written gzipped with a fixed timestamp, so
the same corpus gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOROUGHS = ("Westminster", "Camden", "Hackney", "City of London")
BOROUGH_CODES = ("E09000033", "E09000007", "E09000012", "E09000001")
MONTHS_BURGLARY = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
MONTHS_CITY = [f"2024-{m:02d}" for m in range(1, 13)]
MONTHS_SEARCH = ["2024-01", "2024-02", "2024-03"]


def read_lines(path: Path) -> list[str]:
    """The file's lines (decompressed), line endings kept."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8").splitlines(keepends=True)


def write_gz(path: Path, lines: Iterable[str]) -> None:
    """Write lines gzipped with mtime 0 (reproducible bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        gz.write("".join(lines).encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def filtered(path: Path, keep: Callable[[str], bool]) -> list[str]:
    """The header and the lines that ``keep`` accepts."""
    lines = read_lines(path)
    return [lines[0], *[line for line in lines[1:] if keep(line)]]


def in_sample_boroughs(line: str) -> bool:
    """A police.uk row whose LSOA name is in a sample borough, or that has no LSOA at all."""
    fields = line.split(",")
    return any(f",{b} " in line for b in BOROUGHS) or (len(fields) > 8 and fields[7] == "")


def build(corpus: Path, out: Path) -> None:
    """Write the whole sample."""
    readme = out / "README.md"
    kept = readme.read_bytes() if readme.exists() else None  # the README is written by hand: keep it
    if out.exists():
        shutil.rmtree(out)
    if kept is not None:
        out.mkdir(parents=True)
        readme.write_bytes(kept)
    police = corpus / "policeuk"
    for month in MONTHS_CITY:
        src = police / "city-of-london/street" / month / f"{month}-city-of-london-street.csv"
        write_gz(out / f"policeuk/{month}/{month}-city-of-london-street.csv.gz", read_lines(src))
    for month in MONTHS_BURGLARY:
        for kind, folder in (("street", "street-burglary-only"), ("outcomes", "outcomes-burglary-only")):
            src = police / "metropolitan" / folder / month / f"{month}-metropolitan-{kind}.csv.gz"
            write_gz(
                out / f"policeuk/{month}/{month}-metropolitan-{kind}.csv.gz",
                filtered(src, in_sample_boroughs),
            )
    for month in MONTHS_SEARCH:
        src = police / "metropolitan/stop-and-search" / month / f"{month}-metropolitan-stop-and-search.csv.gz"
        write_gz(out / f"policeuk/{month}/{month}-metropolitan-stop-and-search.csv.gz", read_lines(src))

    datastore = corpus / "datastore"
    for name in (
        "MPS_Borough_Level_Crime_Historic_2008-2016.csv",
        "fenneh_recorded-crime-borough-historical.csv.gz",
        "fenneh_recorded-crime-borough.csv.gz",
        "MPS_Ward_Level_Crime_most_recent_24_months_202403-202603.csv.gz",
        "MPS_Homicides_2003-2023_victims.csv",
    ):
        write_gz(
            out / "datastore" / (name.removesuffix(".gz").removesuffix(".csv") + ".csv.gz"),
            read_lines(datastore / name),
        )

    boundaries = corpus / "boundaries"
    (out / "boundaries").mkdir(parents=True)
    shutil.copyfile(
        boundaries / "boroughs/ons_LAD_May2024_BGC_london_33_WGS84.geojson",
        out / "boundaries" / "boroughs_2024.geojson",
    )
    shutil.copyfile(
        boundaries / "wards/ons_Wards_Dec2024_BGC_london_684_WGS84.geojson",
        out / "boundaries" / "wards_2024.geojson",
    )
    lsoa = json.loads((boundaries / "lsoa2021/ons_LSOA_Dec2021_BGC_london_4994_WGS84.geojson").read_text())
    lsoa["features"] = [
        f for f in lsoa["features"] if any(f["properties"]["LSOA21NM"].startswith(b + " ") for b in BOROUGHS)
    ]
    (out / "boundaries" / "lsoa_2021_four_boroughs.geojson").write_text(json.dumps(lsoa, separators=(",", ":")))

    lookups = corpus / "lookups"
    for name in (
        "LSOA11_to_LSOA21_to_LAD22_exact_fit_lookup_EW_v3.csv.gz",
        "LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz",
    ):
        write_gz(out / "lookups" / name, read_lines(lookups / name))

    population = corpus / "population"
    write_gz(
        out / "population/GLA_Borough-MYE-1981-2015.csv.gz",
        read_lines(population / "GLA_Borough-MYE-1981-2015.csv"),
    )
    london = filtered(population / "ons_SAPE_LSOA21_population_density_mid2011-mid2022_EW.csv.gz", _london_lsoa)
    write_gz(out / "population/ons_SAPE_LSOA21_london.csv.gz", london)
    census_ethnic_group(corpus, out)
    workforce_sample(corpus, out)
    survey_sample(corpus, out)
    dashboard_sample(corpus, out)
    strands_sample(corpus, out)
    police_sites_sample(corpus, out)
    allocation_sample(corpus, out)


def strands_sample(corpus: Path, out: Path) -> None:
    """The MPS dashboards of the strands: VAWG offences and victims recorded from 2022-01 (the rows of three sample
    boroughs and the London-wide sheets), business crime offences and outcomes of the same three boroughs, and
    the custody disposals file whole (London-wide)."""
    import csv

    def rows_where(name: str, keep: Callable[[list[str]], bool]) -> list[str]:
        lines = read_lines(corpus / "datastore" / name)
        return [lines[0], *[line for line in lines[1:] if keep(next(csv.reader([line])))]]

    three = BOROUGHS[:3]
    for name in ("fenneh_vawg-offences.csv.gz", "fenneh_vawg-victims.csv.gz"):
        kept = rows_where(name, lambda f: f[3] >= "2022-01-01" and f[1] in (*three, ""))
        write_gz(out / "strands" / name.removeprefix("fenneh_").replace("vawg", "MPS_vawg"), kept)
    for name in ("fenneh_business-crime-offences.csv.gz", "fenneh_business-crime-outcomes.csv.gz"):
        kept = rows_where(name, lambda f: f[2] in three)
        write_gz(out / "strands" / name.removeprefix("fenneh_").replace("business", "MPS_business"), kept)
    write_gz(
        out / "strands" / "MPS_custody-disposals.csv.gz", read_lines(corpus / "datastore" / "fenneh_custody.csv.gz")
    )


def police_sites_sample(corpus: Path, out: Path) -> None:
    """MOPAC's 2013 front-counter list (classic-Mac line endings kept) and the police stations list, whole."""
    for name in ("MOPAC_2013_police_front_counters_keep_cut.csv", "london_police_stations_sample.csv"):
        write_gz(out / "other" / (name + ".gz"), read_lines(corpus / "other" / name))


def allocation_sample(corpus: Path, out: Path) -> None:
    """The yearly area measures of the allocation formula, whole, gzipped: IMD 2019 borough summaries, GLA
    housing density by borough and year, TfL PTAI by 2014 ward."""
    for folder, name in (
        ("deprivation", "GLA_ID2019_for_London__sheet_Borough_summary_measures.csv"),
        ("population", "GLA_housing-density-borough_1999-2050.csv"),
        ("other", "Ward2014_AvPTAI2015_PTAL.csv"),
    ):
        write_gz(out / folder / (name + ".gz"), read_lines(corpus / folder / name))


def dashboard_sample(corpus: Path, out: Path) -> None:
    """The MPS Monthly Crime Dashboard: the borough rows of both extracts (the SNT rows are left out).

    Named by their months so that the newer refresh (knife crime to 2026-02) sorts, and so loads,
    after the older, fuller one: for the months both hold, the file loaded last wins.
    """
    for name, months in (
        ("fenneh_monthly-crime-dashboard_fuller_2021-08_2025-07.csv.gz", "2021-08_2025-07"),
        ("fenneh_monthly-crime-dashboard.csv.gz", "2022-03_2026-02"),
    ):
        rows = filtered(corpus / "datastore" / name, lambda line: line.split(",", 2)[1] == "Borough")
        write_gz(out / "datastore" / f"MPS_monthly_crime_dashboard_{months}_boroughs.csv.gz", rows)


def survey_sample(corpus: Path, out: Path) -> None:
    """The MOPAC Public Attitude Survey files, whole, gzipped (bytes otherwise unchanged)."""
    for src in sorted((corpus / "survey").glob("*.csv")):
        write_gz(out / "survey" / (src.name + ".gz"), read_lines(src))


def workforce_sample(corpus: Path, out: Path) -> None:
    """MOPAC monthly police strength and the Home Office workforce extract (DERIVED), whole, gzipped."""
    for name in (
        "MOPAC_Police_Force_Strength_monthly.csv",
        "DERIVED_homeoffice_workforce_Met_London_extract_2014-2019.csv",
    ):
        write_gz(out / "workforce" / (name + ".gz"), read_lines(corpus / "workforce" / name))


def census_ethnic_group(corpus: Path, out: Path) -> None:
    """Census 2021 ethnic group (8 categories) by upper-tier local authority: the London boroughs' rows."""
    src = corpus / "census/census2021_TS021_ethnic_group_8cat_by_UTLA_EW_ons_custom.csv"
    write_gz(
        out / "population/census2021_TS021_ethnic_group_london.csv.gz", filtered(src, lambda line: line[:3] == "E09")
    )


def _london_lsoa(line: str) -> bool:
    """London LSOA 2021 names start with a borough name (the SAPE file has no borough column)."""
    from metforward.domain.areas import LONDON_BOROUGHS

    name = line.split(",", 2)[1]
    return any(name.startswith(b + " ") for b in LONDON_BOROUGHS.values())


def main() -> None:
    """Parse arguments and build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("METFORWARD_CORPUS", REPO.parent / "shared" / "data")),
    )
    parser.add_argument("--out", type=Path, default=REPO / "sample")
    args = parser.parse_args()
    build(args.corpus, args.out)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
