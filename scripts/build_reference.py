"""Build the reference data shipped in the package (``src/metforward/ingest/reference_data/``) from the corpus.

Usage: ``python scripts/build_reference.py [--corpus ../shared/data] [--tolerance 10]``

What it writes (see the README.md it writes beside them), for London's 33 local authorities only:

* ``london_lsoa11_lsoa21_lad22.csv.gz``: the London rows of the ONS LSOA (2011) -> LSOA (2021) -> LAD
  (2022) exact-fit lookup, so police.uk rows coded in either LSOA vintage find their 2021 LSOA;
* ``london_lsoa21_ward24_lad24.csv.gz``: the London rows of the ONS LSOA (2021) -> electoral ward
  (2024) -> LAD (2024) best-fit lookup;
* ``london_lsoa21_boundaries.geojson.gz``: the 4,994 LSOA 2021 polygons (ONS BGC, Dec 2021);
* ``london_ward24_boundaries.geojson.gz``: the 684 electoral ward polygons (ONS BGC, Dec 2024);
* ``london_lad24_boundaries.geojson.gz``: the 33 borough polygons, each the union of its LSOAs.

Generalisation: each polygon set is simplified as a *coverage* (``shapely.coverage_simplify``, the
form of ``shapely.simplify`` for polygons that share edges: each shared edge is simplified once, so
neighbours keep one common edge, with no gaps and no overlaps, which ``shapely.simplify`` run
polygon by polygon cannot promise) at ``--tolerance`` metres (default 10) in British National Grid
(EPSG:27700); the largest move of any boundary is measured and printed. The polygons are then
moved to WGS84 and written with 7 decimal places (about 1 cm: at 6, a few police.uk snap points
lying on an LSOA edge change sides), with only the code and name of each area. Borough outlines
are the union of their simplified LSOAs (LSOA 2021 nest exactly in local authorities, whose London
boundaries did not change from 2021 to 2024), so a point's borough and its LSOA always agree. The
ONS BGC sources are already generalised (to about 20 m), so the simplification removes few
vertices: it is a bound on the shapes, not a reshaping.

Files are gzipped with a fixed timestamp, features and rows are in code order, so the same corpus
and tolerance give the same bytes. Every polygon is checked valid and each set a valid coverage
before anything is written. ``README.md`` (sources, licence, sizes) is written with them.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "metforward" / "ingest" / "reference_data"
DEFAULT_TOLERANCE_M = 10.0
DECIMALS = 7

LSOA_LOOKUP = "lookups/LSOA11_to_LSOA21_to_LAD22_exact_fit_lookup_EW_v3.csv.gz"
WARD_LOOKUP = "lookups/LSOA21_to_Ward24_to_LAD24_best_fit_lookup_EW.csv.gz"
LSOA_BOUNDARIES = "boundaries/lsoa2021/ons_LSOA_Dec2021_BGC_london_4994.gpkg"
WARD_BOUNDARIES = "boundaries/wards/ons_Wards_Dec2024_BGC_london_684.gpkg"

_TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


def is_london(code: str) -> bool:
    """A London borough's GSS code (E09000001 .. E09000033)."""
    return code.startswith("E09")


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzipped with mtime 0 and no file name (reproducible bytes)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buffer.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a (gzipped) CSV as dicts; a byte-order mark on the header is dropped."""
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    """``rows`` (only ``columns``) as a gzipped CSV, LF line endings."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    path.write_bytes(gzip_bytes(text.getvalue().encode("utf-8")))


def to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """Polygons in British National Grid moved to WGS84 longitude/latitude, rounded to :data:`DECIMALS`."""

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), DECIMALS)

    return np.asarray(shapely.transform(geoms, move))


def write_geojson(path: Path, code_column: str, name_column: str, areas: list[tuple[str, str, object]]) -> None:
    """A compact GeoJSON FeatureCollection (WGS84, RFC 7946) of (code, name, geometry), gzipped."""
    features = [
        {
            "type": "Feature",
            "properties": {code_column: code, name_column: name},
            "geometry": json.loads(shapely.to_geojson(geometry)),
        }
        for code, name, geometry in areas
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    path.write_bytes(gzip_bytes(text.encode("utf-8")))


def check(label: str, bng: np.ndarray, wgs84: np.ndarray) -> None:
    """Stop if any polygon is invalid (in either CRS) or the set is not a valid coverage."""
    if not shapely.is_valid(bng).all() or not shapely.is_valid(wgs84).all():
        sys.exit(f"{label}: an invalid polygon after simplification; try a smaller --tolerance")
    if not shapely.coverage_is_valid(bng):
        sys.exit(f"{label}: the polygons overlap or leave slivers after simplification")


def simplified(
    path: Path, code_column: str, name_column: str, tolerance: float
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Codes, names, original and coverage-simplified polygons (EPSG:27700) of a boundary file, by code."""
    import geopandas as gpd

    frame = gpd.read_file(path)
    if frame.crs is None or frame.crs.to_epsg() != 27700:
        frame = frame.to_crs(27700)
    frame = frame.sort_values(code_column)
    original = np.asarray(frame.geometry.to_numpy(), dtype=object)
    simple = np.asarray(shapely.coverage_simplify(original, tolerance)) if tolerance > 0 else original
    return list(frame[code_column]), list(frame[name_column]), original, simple


def build(corpus: Path, out: Path, tolerance: float) -> list[tuple[str, int, str]]:
    """Write every file; return (file name, bytes, what) for each."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, int, str]] = []

    def note(name: str, what: str) -> None:
        written.append((name, (out / name).stat().st_size, what))

    lsoa_rows = [r for r in read_csv(corpus / LSOA_LOOKUP) if is_london(r["LAD22CD"])]
    lsoa_rows.sort(key=lambda r: (r["LSOA11CD"], r["LSOA21CD"]))
    name = "london_lsoa11_lsoa21_lad22.csv.gz"
    write_csv(out / name, ["LSOA11CD", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD22CD", "LAD22NM"], lsoa_rows)
    note(name, f"{len(lsoa_rows):,} rows")

    ward_rows = [r for r in read_csv(corpus / WARD_LOOKUP) if is_london(r["LAD24CD"])]
    ward_rows.sort(key=lambda r: r["LSOA21CD"])
    name = "london_lsoa21_ward24_lad24.csv.gz"
    write_csv(out / name, ["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM"], ward_rows)
    note(name, f"{len(ward_rows):,} rows")

    codes, names, original, simple = simplified(corpus / LSOA_BOUNDARIES, "LSOA21CD", "LSOA21NM", tolerance)
    lsoa84 = to_wgs84(simple)
    check("LSOA 2021", simple, lsoa84)
    shift = float(shapely.hausdorff_distance(original, simple).max())
    name = "london_lsoa21_boundaries.geojson.gz"
    write_geojson(out / name, "LSOA21CD", "LSOA21NM", list(zip(codes, names, lsoa84, strict=True)))
    note(
        name,
        f"{len(codes):,} polygons, {int(shapely.get_num_coordinates(simple).sum()):,} vertices, moved at most {shift:.1f} m",
    )

    borough_of = {r["LSOA21CD"]: (r["LAD24CD"], r["LAD24NM"]) for r in ward_rows}
    missing = [c for c in codes if c not in borough_of]
    if missing:
        sys.exit(f"LSOAs with no borough in the ward lookup: {missing[:5]}")
    boroughs = sorted({borough_of[c] for c in codes})
    parts = {code: [] for code, _ in boroughs}
    for code, geometry in zip(codes, simple, strict=True):
        parts[borough_of[code][0]].append(geometry)
    outlines = np.array(
        [shapely.coverage_union_all(np.array(parts[code], dtype=object)) for code, _ in boroughs], dtype=object
    )
    boroughs84 = to_wgs84(outlines)
    check("boroughs", outlines, boroughs84)
    name = "london_lad24_boundaries.geojson.gz"
    write_geojson(out / name, "LAD24CD", "LAD24NM", [(c, n, g) for (c, n), g in zip(boroughs, boroughs84, strict=True)])
    note(
        name,
        f"{len(boroughs)} polygons (unions of their LSOAs), {int(shapely.get_num_coordinates(outlines).sum()):,} vertices",
    )

    codes, names, original, simple = simplified(corpus / WARD_BOUNDARIES, "WD24CD", "WD24NM", tolerance)
    wards84 = to_wgs84(simple)
    check("wards", simple, wards84)
    shift = float(shapely.hausdorff_distance(original, simple).max())
    name = "london_ward24_boundaries.geojson.gz"
    write_geojson(out / name, "WD24CD", "WD24NM", list(zip(codes, names, wards84, strict=True)))
    note(
        name,
        f"{len(codes):,} polygons, {int(shapely.get_num_coordinates(simple).sum()):,} vertices, moved at most {shift:.1f} m",
    )
    write_readme(out, written, tolerance)
    return written


SOURCES = {
    "london_lsoa11_lsoa21_lad22.csv.gz": 'ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Exact Fit Lookup for EW (V3)"',
    "london_lsoa21_ward24_lad24.csv.gz": 'ONS "LSOA (2021) to Electoral Ward (2024) to LAD (2024) Best Fit Lookup in EW"',
    "london_lsoa21_boundaries.geojson.gz": 'ONS "Lower layer Super Output Areas (December 2021) Boundaries EW BGC"',
    "london_lad24_boundaries.geojson.gz": "the LSOA boundaries above, dissolved by the ward lookup's LAD24CD",
    "london_ward24_boundaries.geojson.gz": 'ONS "Wards (December 2024) Boundaries UK BGC"',
}

README = """# Built-in reference data: London

Made by `scripts/build_reference.py` from the shared corpus (`lookups/`, `boundaries/`; see its
`SOURCES.md`), London's 33 local authorities only. metforward loads these files into a store that
has none of their kind at the end of `metforward ingest` or `fetch` (see
`src/metforward/ingest/builtin.py`); `metforward status` lists them with source `built-in`, and a
real file of the same kind loaded later replaces them. Other regions' reference data: load the ONS
files (or fetch them).

| file | from | bytes | what |
|---|---|---:|---|
{rows}
| total | | {total:,} | |

Boundaries: each set simplified as a coverage (`shapely.coverage_simplify`: shared edges simplified
once, no gaps or overlaps) at a tolerance of {tolerance:g} m in British National Grid (EPSG:27700),
then stored in WGS84 (RFC 7946 GeoJSON, 7 decimal places, about 1 cm) with only each area's code and
name. Borough outlines are the union of their LSOAs, so boroughs, LSOAs and the lookups agree. On
the Met's stop-and-search file of 2024-01 (8,686 searches with a location) these boundaries place
every search in the same LSOA and borough as the unsimplified ONS LSOA 2021 file of the corpus
(`tests/ingest/test_builtin.py`).

## Licence and attribution

Open Government Licence v3.0. Contains public sector information licensed under the Open
Government Licence v3.0. Source: Office for National Statistics licensed under the Open Government
Licence v3.0. Contains OS data © Crown copyright and database right 2021 and 2024.
"""


def write_readme(out: Path, written: list[tuple[str, int, str]], tolerance: float) -> None:
    """``README.md``: sources, sizes, generalisation and the attribution the data needs."""
    rows = "\n".join(f"| `{name}` | {SOURCES[name]} | {size:,} | {what} |" for name, size, what in written)
    total = sum(size for _, size, _ in written)
    (out / "README.md").write_text(README.format(rows=rows, total=total, tolerance=tolerance), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = os.environ.get("METFORWARD_CORPUS") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--corpus", type=Path, default=Path(default_corpus), help="the shared corpus folder")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the files")
    parser.add_argument(
        "--tolerance", type=float, default=DEFAULT_TOLERANCE_M, help="coverage simplification tolerance, metres (BNG)"
    )
    args = parser.parse_args()
    written = build(args.corpus, args.out, args.tolerance)
    for name, size, what in written:
        print(f"{name:40} {size:>9,} bytes  {what}")
    print(f"{'total':40} {sum(s for _, s, _ in written):>9,} bytes (tolerance {args.tolerance:g} m)")


if __name__ == "__main__":
    main()
