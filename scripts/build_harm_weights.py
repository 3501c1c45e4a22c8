"""Rebuild ``src/metforward/domain/harm_weights.csv`` (harm weights by crime category) from its inputs.

Usage: ``python scripts/build_harm_weights.py [--corpus ../shared/data] [--out src/metforward/domain/harm_weights.csv]``

Scheme ``ons-css``: the ONS Crime Severity Score weights (ONS 2016, "Research outputs: developing
a Crime Severity Score for England and Wales using data on crimes recorded by the police"), one
weight per Home Office offence code, rolled up to crime categories.

Inputs
------
``src/metforward/domain/harm_sources/ons_css_weights.csv``
    The ONS weights by offence code: a copy of ``data/DEPRECATED-severity_codes.csv`` of the public
    GitHub repository M-O-P-D/Police-Supply-Demand (commit dbeb9bad3d7b959f8493df7215643101405f6c09,
    MIT), which holds the "List of weights" sheet of the ONS Crime Severity Score data tool
    (``cssdatatool.xls``, dataset "Crime Severity Score (experimental statistics)") joined to the
    Home Office offence codes. Columns ``code_severity`` (the ONS code), ``offence`` (the ONS title)
    and ``weight`` are the ONS's; the other columns are that project's join and are not used.
``src/metforward/domain/harm_sources/datastore_category_codes.csv``
    metforward's mapping of the London Datastore major/minor categories to Home Office codes.
``<corpus>/lookups/HO_offence_code_to_policeuk_category.csv``
    Home Office offence code -> police.uk category (crime-sim-toolkit 1.5.0, ``CrimeCatMappings.csv``).
``<corpus>/datastore/homeoffice_prc_pfa_FY2017-18_by_quarter.csv.gz``
    Home Office police recorded crime by force and offence code, 2017/18 (crime-sim-toolkit 1.5.0).

Aggregation: a category's weight is the mean of its codes' ONS weights, each code weighted by the
number of offences the Metropolitan Police recorded under it in financial year 2017/18 (all four
quarters). Codes with no ONS weight are left out of that mean, and the ``basis`` column says which
they were and what share of the category's 2017/18 volume the weighted codes cover. A category none
of whose codes has a weight (anti-social behaviour, fraud) gets no row: it has no published weight.
A Datastore major category gets a row only where every one of its minor categories has one.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOMAIN = REPO / "src" / "metforward" / "domain"
SOURCES = DOMAIN / "harm_sources"
TARGET = DOMAIN / "harm_weights.csv"

sys.path.insert(0, str(REPO / "src"))
from metforward.domain.categories import CRIME_TYPES  # noqa: E402

SCHEME = "ons-css"
UNIT = "CSS weight"
FORCE = "Metropolitan Police"
COLUMNS = ("scheme", "taxonomy", "category", "weight", "unit", "basis", "source")

LOOKUP = Path("lookups") / "HO_offence_code_to_policeuk_category.csv"
VOLUMES = Path("datastore") / "homeoffice_prc_pfa_FY2017-18_by_quarter.csv.gz"

#: The ONS list gives homicide one weight under the code group "1, 4.1/2/10" (murder 1, manslaughter
#: 4.1, infanticide 4.2, corporate manslaughter 4.10); the Home Office tables call the same group
#: "1/4.1/4.10/4.2".
CODE_ALIASES = {"1, 4.1/2/10": "1/4.1/4.10/4.2"}

WEIGHTS_SOURCE = (
    "ONS Crime Severity Score (experimental statistics) data tool cssdatatool.xls, sheet 'List of weights', "
    "via github.com/M-O-P-D/Police-Supply-Demand data/DEPRECATED-severity_codes.csv @dbeb9ba "
    "(harm_sources/ons_css_weights.csv)"
)
VOLUMES_SOURCE = (
    "volumes: Home Office police recorded crime by PFA and offence code FY2017/18, Metropolitan Police "
    "(crime-sim-toolkit 1.5.0 prc-pfa-201718_new.csv)"
)
POLICEUK_MAP_SOURCE = "code->category: crime-sim-toolkit 1.5.0 CrimeCatMappings.csv"
DATASTORE_MAP_SOURCE = "code->category: harm_sources/datastore_category_codes.csv (metforward, by name)"


def default_corpus() -> Path:
    """``METFORWARD_CORPUS`` or ``../shared/data`` beside the repository."""
    return Path(os.environ.get("METFORWARD_CORPUS") or REPO.parent / "shared" / "data")


def ons_weights(path: Path = SOURCES / "ons_css_weights.csv") -> dict[str, float]:
    """ONS weight by Home Office offence code (one weight per ONS code; the file repeats some)."""
    weights: dict[str, float] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = CODE_ALIASES.get(row["code_severity"], row["code_severity"])
            weight = float(row["weight"])
            if weights.get(code, weight) != weight:
                raise ValueError(f"{path}: ONS code {code} has two different weights")
            weights[code] = weight
    return weights


def met_volumes(corpus: Path) -> dict[str, int]:
    """Offences the Metropolitan Police recorded in 2017/18, by Home Office offence code."""
    volumes: dict[str, int] = {}
    with gzip.open(corpus / VOLUMES, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Force_Name"] == FORCE:
                code = row["Offence_Code"]
                volumes[code] = volumes.get(code, 0) + int(row["Number_of_Offences"].replace(",", ""))
    return volumes


def policeuk_codes(corpus: Path) -> dict[str, list[str]]:
    """police.uk category (as spelt in ``CRIME_TYPES``) -> its Home Office codes, in file order."""
    canonical = {name.lower(): name for name in CRIME_TYPES}
    codes: dict[str, list[str]] = {}
    with (corpus / LOOKUP).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            category = canonical[row["Police.uk_Cat"].strip().lower()]
            codes.setdefault(category, []).append(row["Offence_Code"])
    return codes


def datastore_codes(path: Path = SOURCES / "datastore_category_codes.csv") -> list[dict[str, str]]:
    """The rows of metforward's Datastore category -> Home Office codes mapping."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _aggregate(codes: Iterable[str], weights: dict[str, float], volumes: dict[str, int]) -> tuple[float, str] | None:
    """The volume-weighted mean weight of ``codes`` and the text saying how; None when none has a weight."""
    codes = list(dict.fromkeys(codes))
    weighted = [code for code in codes if code in weights and volumes.get(code, 0) > 0]
    unweighted = [code for code in codes if code not in weights]
    weighted_volume = sum(volumes[code] for code in weighted)
    if weighted_volume == 0:
        return None
    total_volume = sum(max(volumes.get(code, 0), 0) for code in codes)
    value = sum(weights[code] * volumes[code] for code in weighted) / weighted_volume
    without = [f"{code} ({volumes.get(code, 0):,})" for code in unweighted]
    basis = (
        f"mean of the ONS weights of HO codes {' '.join(codes)}, each weighted by its {FORCE} recorded offences "
        f"in 2017/18; codes with a weight cover {100 * weighted_volume / total_volume:.2f}% of the "
        f"{total_volume:,} offences; codes without an ONS weight (2017/18 offences): {', '.join(without) or 'none'}"
    )
    return value, basis


def _row(taxonomy: str, category: str, weight: float, basis: str, mapping_source: str) -> dict[str, str]:
    return {
        "scheme": SCHEME,
        "taxonomy": taxonomy,
        "category": category,
        "weight": f"{weight:.4f}",
        "unit": UNIT,
        "basis": basis,
        "source": f"{WEIGHTS_SOURCE}; {VOLUMES_SOURCE}; {mapping_source}",
    }


def build_rows(corpus: Path) -> list[dict[str, str]]:
    """Every row of ``harm_weights.csv``, in order: police.uk, then the two Datastore taxonomies."""
    weights = ons_weights()
    volumes = met_volumes(corpus)
    rows: list[dict[str, str]] = []

    by_category = policeuk_codes(corpus)
    for category in CRIME_TYPES:
        found = _aggregate(by_category.get(category, []), weights, volumes)
        if found is not None:
            rows.append(_row("police-uk", category, *found, POLICEUK_MAP_SOURCE))

    mapping = datastore_codes()
    for taxonomy in ("datastore-2008", "datastore-current"):
        entries = [entry for entry in mapping if entry["taxonomy"] == taxonomy]
        names: set[str] = set()
        majors: dict[str, list[str] | None] = {}
        for entry in entries:
            codes = entry["ho_codes"].split()
            found = _aggregate(codes, weights, volumes) if codes else None
            if found is not None:
                rows.append(
                    _row(taxonomy, entry["minor"], found[0], f"minor category; {found[1]}", DATASTORE_MAP_SOURCE)
                )
                names.add(entry["minor"])
            major = majors.setdefault(entry["major"], [])
            if found is None or major is None:
                majors[entry["major"]] = None  # a minor without a weight: the major does not map wholly
            else:
                major.extend(codes)
        for major_name, codes in majors.items():
            if codes is None:
                continue
            found = _aggregate(codes, weights, volumes)
            assert found is not None
            if major_name in names:  # a minor of the same name: it must cover the same codes
                minor_codes = next(e["ho_codes"].split() for e in entries if e["minor"] == major_name)
                if set(minor_codes) != set(codes):
                    raise ValueError(f"{taxonomy}: major and minor category {major_name!r} cover different codes")
                continue
            rows.append(
                _row(
                    taxonomy,
                    major_name,
                    found[0],
                    f"major category (all its minor categories); {found[1]}",
                    DATASTORE_MAP_SOURCE,
                )
            )
            names.add(major_name)
    return rows


def render(corpus: Path) -> str:
    """The text of ``harm_weights.csv``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(build_rows(corpus))
    return out.getvalue()


def build(corpus: Path, out: Path = TARGET) -> Path:
    """Write ``harm_weights.csv`` to ``out`` and return the path."""
    out.write_text(render(corpus), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="the shared real-data corpus")
    parser.add_argument("--out", type=Path, default=TARGET, help="where to write the CSV")
    args = parser.parse_args()
    print(f"wrote {build(args.corpus, args.out)}")


if __name__ == "__main__":
    main()
