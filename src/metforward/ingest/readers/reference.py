"""Reference data: ONS/GLA boundaries and ONS LSOA lookups.

Sources (all Open Government Licence v3.0):

* boundaries: ONS Open Geography Portal (local authority districts, electoral wards, LSOA 2021;
  generalised, clipped) and the GLA's Statistical GIS Boundary Files for London, as GeoJSON or
  GeoPackage; stored in WGS84 (EPSG:4326) with the area in km² measured in British National Grid;
* lookups: ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Exact Fit Lookup"
  and "LSOA (2021) to Electoral Ward (2024/2025) to LAD Best Fit Lookup" (and London
  output-area lookups that carry the same columns).

Population estimates are read in :mod:`.population`; what these readers share, in :mod:`.gss`.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.errors import InputFileError
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.gss import GSS, LEVEL_BY_PREFIX, area_load, csv_rejects, gss_codes
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

#: Code columns of ONS boundary files; where a file has several (a ward file may also carry its
#: local authority), the finest level is the feature's own code.
_CODE_COLUMN = re.compile(r"^(LSOA|MSOA|WD|LAD)(\d{2})CD$", re.IGNORECASE)
_FINEST_FIRST = ("LSOA", "MSOA", "WD", "LAD")
_SQLITE = b"SQLite format 3\x00"
_BOM = b"\xef\xbb\xbf"


# --- boundaries -------------------------------------------------------------------------------


class GeoReader:
    """Boundaries as GeoJSON or GeoPackage, recognised from the first bytes.

    One ``areas`` row per feature: the level comes from the code's prefix (E09 borough, E05
    ward, E01 LSOA, E02 MSOA, ...), the vintage from the code column (``LAD24CD``: 2024; the
    GLA's ``GSS_CODE`` files: ``gla``). A new load of a level and vintage replaces the old set.
    """

    kind = "boundaries"
    description = (
        "boundaries: GeoJSON or GeoPackage with a GSS code column (LADnnCD, WDnnCD, LSOAnnCD, MSOAnnCD or GSS_CODE)"
    )

    def sniff(self, data: bytes) -> bool:
        """GeoPackage (SQLite) or a JSON object (GeoJSON)."""
        return data.startswith(_SQLITE) or data[:4096].removeprefix(_BOM).lstrip()[:1] == b"{"

    def matches(self, header: list[str]) -> bool:
        """Never chosen by a CSV header."""
        return False

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One ``areas`` row per feature; a feature without a good code or polygon is rejected.

        Rejects name the feature (line = its 1-based index in the file), the field (the code
        column or ``geometry``) and the reason.
        """
        import geopandas as gpd
        import shapely

        try:
            with warnings.catch_warnings():
                # GDAL notes that bytes read from memory have no .gpkg extension: not a problem here
                warnings.filterwarnings("ignore", message=".*non conformant file extension.*")
                frame = gpd.read_file(io.BytesIO(inp.data))
        except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; name the file and move on
            detail = re.sub(r"'?/vsimem/\S+'?", "the file", str(exc))
            raise InputFileError(inp.source.display, f"not a readable GeoJSON or GeoPackage file ({detail})") from exc
        code_column, vintage = self._code_column([str(c) for c in frame.columns], inp)
        name_column = self._name_column([str(c) for c in frame.columns], code_column)
        if frame.crs is None:
            frame = frame.set_crs(4326)  # RFC 7946: GeoJSON is WGS84

        n = len(frame)
        codes = np.array(_texts(frame[code_column]), dtype=object)
        geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
        field = np.full(n, None, dtype=object)
        value = np.full(n, None, dtype=object)
        reason = np.full(n, None, dtype=object)
        rejected = np.zeros(n, dtype=bool)

        def fail(failed: np.ndarray, column: str, shown: np.ndarray | None, why: np.ndarray | str) -> None:
            """Record the first fault of each feature in ``failed`` not already rejected."""
            new = failed & ~rejected
            field[new] = column
            value[new] = None if shown is None else shown[new]
            reason[new] = why[new] if isinstance(why, np.ndarray) else why
            rejected[new] = True

        present = np.array([c is not None for c in codes], dtype=bool)
        fail(~present, code_column, None, f"no area code in {code_column}; every feature needs one")
        good_code = np.array([c is not None and re.match(GSS, c) is not None for c in codes], dtype=bool)
        fail(~good_code, code_column, codes, f"bad GSS code in {code_column} (expected e.g. E09000001)")
        levels = np.array([LEVEL_BY_PREFIX.get((c or "")[:3]) for c in codes], dtype=object)
        fail(
            np.array([level is None for level in levels], dtype=bool),
            code_column,
            codes,
            "not a code of a known area level (E09/E06/E07/E08/W06 local authority, E05/W05 ward, "
            "E01/W01 LSOA, E02/W02 MSOA, E12 region, E92 country)",
        )
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        fail(missing, "geometry", None, "no geometry (missing or empty)")
        types = shapely.get_type_id(geoms)
        polygonal = (types == 3) | (types == 6)  # Polygon, MultiPolygon
        invalid = ~missing & polygonal & ~shapely.is_valid(geoms)
        shown = np.full(n, None, dtype=object)  # the faulty geometry as WKT, cut short like any shown value
        bad_shape = ~missing & (~polygonal | invalid)
        shown[bad_shape] = [w[:200] for w in shapely.to_wkt(geoms[bad_shape], rounding_precision=6)]
        fail(~missing & ~polygonal, "geometry", shown, "not a polygon (a boundary must be a Polygon or MultiPolygon)")
        why = np.full(n, None, dtype=object)
        why[invalid] = [f"invalid polygon: {r}" for r in shapely.is_valid_reason(geoms[invalid])]
        fail(invalid, "geometry", shown, why)

        index = np.flatnonzero(rejected)
        rejects = pa.table(
            {
                "line": pa.array(index + 1, pa.int64()),
                "field": pa.array(field[index].tolist(), pa.string()),
                "value": pa.array(value[index].tolist(), pa.string()),
                "reason": pa.array(reason[index].tolist(), pa.string()),
            }
        )
        keep = ~rejected
        kept_levels = sorted(set(levels[keep].tolist()))
        if len(kept_levels) > 1:
            raise InputFileError(
                inp.source.display, f"mixes area levels ({', '.join(kept_levels)}); give one level per file"
            )
        good = frame[keep]
        wgs84 = good.to_crs(4326)
        if len(wgs84):
            west, south, east, north = (float(b) for b in wgs84.total_bounds)
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                raise InputFileError(
                    inp.source.display,
                    f"coordinates are not longitude and latitude after reprojection from {frame.crs} "
                    f"(bounds {west:.0f}, {south:.0f}, {east:.0f}, {north:.0f}): the file's coordinate "
                    "reference system is missing or wrong",
                )
        km2 = good.to_crs(27700).area.to_numpy() / 1e6
        names = _texts(good[name_column]) if name_column else [None] * len(good)
        rows = pa.table(
            {
                "level": pa.array(levels[keep].tolist(), pa.string()),
                "code": pa.array(codes[keep].tolist(), pa.string()),
                "name": pa.array(names, pa.string()),
                "vintage": pa.array([vintage] * len(good), pa.string()),
                "area_km2": pa.array(km2, pa.float64()),
                "geometry": pa.array(shapely.to_wkb(wgs84.geometry.to_numpy()), pa.binary()),
            }
        )
        return area_load(self.kind, inp, n, [Batch("areas", rows, ("level", "vintage"))], rejects)

    @staticmethod
    def _code_column(columns: list[str], inp: InputData) -> tuple[str, str]:
        """The column holding each feature's own code (the finest level present) and the vintage."""
        found = [(m[1].upper(), m[2], c) for c in columns if (m := _CODE_COLUMN.match(c))]
        if found:
            prefix, digits, column = min(found, key=lambda f: _FINEST_FIRST.index(f[0]))
            return column, f"20{digits}"
        if "GSS_CODE" in columns:
            return "GSS_CODE", "gla"
        shown = ", ".join(c for c in columns if c != "geometry") or "none"
        raise InputFileError(
            inp.source.display,
            "no area code column: a boundary file needs one of LADnnCD, WDnnCD, LSOAnnCD, MSOAnnCD "
            f"(e.g. LAD24CD, ONS) or GSS_CODE (GLA); its columns are: {shown}",
        )

    @staticmethod
    def _name_column(columns: list[str], code_column: str) -> str | None:
        """``LAD24NM`` beside ``LAD24CD`` (any case), else the GLA's ``NAME``."""
        if code_column.upper().endswith("CD"):
            wanted = code_column[:-2].upper() + "NM"
            found = next((c for c in columns if c.upper() == wanted), None)
            if found:
                return found
        return "NAME" if "NAME" in columns else None


def _texts(column: Any) -> list[str | None]:
    """A property column (a pandas Series) as trimmed text; missing or blank values are None."""
    values = pc.utf8_trim_whitespace(pa.array(column.astype("string"), pa.string()))
    return list(pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values).to_pylist())


# --- lookups ----------------------------------------------------------------------------------


def _find(header: list[str], pattern: str) -> str | None:
    """The first column whose name matches ``pattern`` (ONS names, case as published)."""
    regex = re.compile(pattern)
    return next((h for h in header if regex.match(h)), None)


class LsoaLookupReader:
    """ONS LSOA 2011 -> LSOA 2021 (-> LAD) lookups; London OA lookups with a ward column also give wards."""

    kind = "lookup-lsoa"
    description = "ONS lookup with LSOA11CD and LSOA21CD (and LADnnCD, optionally WDnnCD)"

    def matches(self, header: list[str]) -> bool:
        """Both LSOA vintages present."""
        return "LSOA11CD" in header and "LSOA21CD" in header

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Validate codes, then keep one row per (LSOA 2011, LSOA 2021) pair."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        lsoa11 = gss_codes(checks, "LSOA11CD")
        lsoa21 = gss_codes(checks, "LSOA21CD")
        lad = _find(header, r"^LAD\d{2}CD$")
        lad_code = gss_codes(checks, lad) if lad else None
        ward = _find(header, r"^WD\d{2}CD$")
        ward_code = gss_codes(checks, ward) if ward else None
        n = parsed.table.num_rows
        columns = {
            "lsoa11_code": lsoa11,
            "lsoa21_code": lsoa21,
            "lsoa21_name": _optional(checks, "LSOA21NM", n),
            "change": _optional(checks, "CHGIND", n),
            "lad_code": lad_code if lad_code is not None else pa.nulls(n, pa.string()),
            "lad_name": _optional(checks, lad[:-2] + "NM" if lad else "", n),
        }
        if ward_code is not None and ward:
            columns.update(ward_code=ward_code, ward_name=_optional(checks, ward[:-2] + "NM", n))
        kept = checks.keep(columns)
        pairs = _distinct(kept, ["lsoa11_code", "lsoa21_code"])
        batches = [Batch("lsoa_lookup", pairs, ("lsoa11_code",))]
        if ward_code is not None and ward:
            wards = _distinct(kept, ["lsoa21_code"])
            wards = wards.append_column("vintage", pa.array([f"20{ward[2:4]}"] * wards.num_rows, pa.string()))
            batches.append(Batch("lsoa_wards", wards, ("vintage", "lsoa21_code")))
        return area_load(self.kind, inp, parsed.rows_read, batches, csv_rejects(parsed, checks))


class WardLookupReader:
    """ONS LSOA 2021 -> electoral ward -> LAD best-fit lookups."""

    kind = "lookup-ward"
    description = "ONS lookup with LSOA21CD, WDnnCD and LADnnCD"

    def matches(self, header: list[str]) -> bool:
        """LSOA 2021, a ward and a LAD column, and no LSOA 2011 column."""
        return (
            "LSOA21CD" in header
            and "LSOA11CD" not in header
            and bool(_find(header, r"^WD\d{2}CD$") and _find(header, r"^LAD\d{2}CD$"))
        )

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One row per LSOA 2021 with its ward and local authority."""
        ward = _find(header, r"^WD\d{2}CD$")
        lad = _find(header, r"^LAD\d{2}CD$")
        assert ward and lad
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        n = parsed.table.num_rows
        columns = {
            "lsoa21_code": gss_codes(checks, "LSOA21CD"),
            "lsoa21_name": _optional(checks, "LSOA21NM", n),
            "ward_code": gss_codes(checks, ward),
            "ward_name": _optional(checks, ward[:-2] + "NM", n),
            "lad_code": gss_codes(checks, lad),
            "lad_name": _optional(checks, lad[:-2] + "NM", n),
        }
        kept = _distinct(checks.keep(columns), ["lsoa21_code"])
        kept = kept.append_column("vintage", pa.array([f"20{ward[2:4]}"] * kept.num_rows, pa.string()))
        return area_load(
            self.kind,
            inp,
            parsed.rows_read,
            [Batch("lsoa_wards", kept, ("vintage", "lsoa21_code"))],
            csv_rejects(parsed, checks),
        )


def _optional(checks: RowChecks, column: str, n: int) -> pa.ChunkedArray | pa.Array:
    return checks.text(column) if column in checks.table.column_names else pa.nulls(n, pa.string())


def _distinct(table: pa.Table, keys: list[str]) -> pa.Table:
    """The first row of each distinct key (in input order)."""
    index = pa.array(np.arange(table.num_rows))
    first = table.append_column("__i", index).group_by(keys, use_threads=False).aggregate([("__i", "min")])
    return table.take(pa.array(np.sort(first.column("__i_min").to_numpy())))
