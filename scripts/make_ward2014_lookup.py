"""Rebuild ``src/metforward/domain/lookups/london_ward2014_borough.csv``: the borough of each 2014-vintage
London ward (the wards of TfL's PTAL by ward file), from two GLA files in the shared corpus.

* GLA ward profiles 2015 (``need-indicators/GLA_ward_profiles_2015_excel_version.csv``): a ward row's old
  ONS code starts with its borough's old code (``00ABFX`` is in ``00AB``, Barking and Dagenham);
* GLA London wards 2018 boundaries (``boundaries/wards/london_wards_2018_London_Ward_CityMerged_WGS84.geojson``):
  each ward's ``LAGSSCODE``.

The two agree wherever both list a ward; their union covers every ward of the PTAL file.

Usage: ``python scripts/make_ward2014_lookup.py [--corpus ../shared/data]``
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "src" / "metforward" / "domain" / "lookups" / "london_ward2014_borough.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    profiles = args.corpus / "need-indicators" / "GLA_ward_profiles_2015_excel_version.csv"
    with profiles.open(encoding="latin-1", newline="") as f:
        rows = list(csv.reader(f))
    old = {r[1]: r[2] for r in rows[1:] if r[2].startswith("E09")}
    names = {r[2]: r[0].split(" - ", 1)[-1] for r in rows[1:] if r[2].startswith("E05")}
    found = {r[2]: old[r[1][:4]] for r in rows[1:] if r[2].startswith("E05")}
    wards = args.corpus / "boundaries" / "wards" / "london_wards_2018_London_Ward_CityMerged_WGS84.geojson"
    for feature in json.loads(wards.read_text(encoding="utf-8"))["features"]:
        p = feature["properties"]
        if p["GSS_CODE"].startswith("E05"):
            if found.get(p["GSS_CODE"], p["LAGSSCODE"]) != p["LAGSSCODE"]:
                raise SystemExit(f"the two sources disagree on {p['GSS_CODE']}")
            found[p["GSS_CODE"]] = p["LAGSSCODE"]
            names.setdefault(p["GSS_CODE"], p["NAME"])
    with TARGET.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["ward_code", "ward_name", "borough_code"])
        for code in sorted(found):
            out.writerow([code, names[code], found[code]])
    print(f"{len(found)} wards written to {TARGET.relative_to(REPO)}")


if __name__ == "__main__":
    main()
