"""Yearly area measures the resource allocation formula reads (the ``area_measures`` table).

* **English Indices of Deprivation 2019, borough summary measures** (MHCLG, in the GLA's "ID 2019 for
  London" workbook, sheet "Borough summary measures" saved as CSV): ``Local Authority District code
  (2019), Local Authority District name (2019), IMD - Average rank, IMD - Rank of average rank, IMD -
  Average score, ...`` (the column names carry trailing spaces as published). Every numeric column is a
  measure of the year 2019.
* **Land area and population density, borough** (GLA, London Datastore): ``Code, Name, Year, Source,
  Population, Inland_Area _Hectares, Total_Area_Hectares, Population_per_hectare, Square_Kilometres,
  Population_per_square_kilometre``; ONS mid-year estimates to 2010 and GLA projections after. The
  population, inland area and persons per hectare are loaded for each area and year, with the row's
  ``Source``.
* **Public transport accessibility by ward** (TfL, London Datastore): ``Ward Code, Ward Name,
  AvPTAI2015, PTAL``: the average Public Transport Accessibility Index of each 2014-vintage ward, its
  borough from the lookup shipped in ``domain/lookups`` (a ward not in it is rejected, saying so).

All Open Government Licence v3.0. Every input row is loaded (as one row per measure) or rejected with
its line, field and reason.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.bcu import ward2014_borough
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions, same_columns
from metforward.ingest.readers.gss import LEVEL_BY_PREFIX, area_load, csv_rejects, gss_codes
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

#: Rows of a newer load replace these of an earlier one.
_KEY = ("dataset", "area_code", "year", "measure")

IMD_CODE = "Local Authority District code (2019)"
IMD_NAME = "Local Authority District name (2019)"
DENSITY_HEADER = [
    "Code",
    "Name",
    "Year",
    "Source",
    "Population",
    "Inland_Area _Hectares",
    "Total_Area_Hectares",
    "Population_per_hectare",
    "Square_Kilometres",
    "Population_per_square_kilometre",
]
#: The density file's columns loaded, with the measure name and unit each becomes.
DENSITY_MEASURES = {
    "Population": ("Population", "persons"),
    "Inland_Area _Hectares": ("Inland area", "hectares"),
    "Population_per_hectare": ("Population per hectare", "persons per hectare"),
}
_PTAI = re.compile(r"^AvPTAI(\d{4})$")
PTAL_BANDS = ("0", "1a", "1b", "2", "3", "4", "5", "6a", "6b")


def _levels(codes: pa.ChunkedArray, default: str) -> pa.Array:
    return pa.array([LEVEL_BY_PREFIX.get((c or "")[:3], default) for c in codes.to_pylist()], pa.string())


def _measure_rows(
    checks: RowChecks,
    common: dict[str, pa.ChunkedArray | pa.Array],
    measures: list[tuple[str, pa.ChunkedArray, str]],
) -> pa.Table:
    """One row per kept input row and measure with a value (``measures``: name, values, unit)."""
    parts = []
    for name, values, unit in measures:
        table = checks.keep({**common, "measure": pa.scalar(name), "value": values, "unit": pa.scalar(unit)})
        parts.append(table.filter(pc.is_valid(table.column("value"))))
    return pa.concat_tables(parts)


def _unit_of(measure: str) -> str:
    low = measure.lower()
    if "rank" in low:
        return "rank"
    if "proportion" in low or "extent" in low:
        return "proportion"
    return "score"


class DeprivationBoroughReader:
    """English Indices of Deprivation 2019, borough summary measures (the GLA workbook's sheet as CSV)."""

    kind = "deprivation-borough"
    description = (
        "English Indices of Deprivation 2019 borough summary measures (Local Authority District code (2019), "
        "Local Authority District name (2019), IMD - Average rank, ...)"
    )
    source = "MHCLG English Indices of Deprivation 2019 (GLA ID 2019 for London, borough summary measures)"

    def matches(self, header: list[str]) -> bool:
        """The district code and name of 2019, then IMD measures."""
        clean = [h.strip() for h in header]
        return len(clean) > 2 and clean[:2] == [IMD_CODE, IMD_NAME] and any(h.startswith("IMD") for h in clean[2:])

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Every numeric column, for every district, year 2019."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        codes = gss_codes(checks, header[0])
        names = checks.text(header[1])
        measures = [(h.strip(), checks.number(h), _unit_of(h)) for h in header[2:]]
        n = parsed.table.num_rows
        levels = _levels(codes, "other")
        boroughs = pc.if_else(pc.equal(levels, "borough"), codes, pa.scalar(None, pa.string()))
        common = {
            "dataset": pa.array(["deprivation-borough"] * n, pa.string()),
            "level": levels,
            "area_code": codes,
            "area_name": names,
            "borough_code": boroughs,
            "year": pa.array([2019] * n, pa.int32()),
            "source": pa.array([self.source] * n, pa.string()),
        }
        rows = _measure_rows(checks, common, measures)
        return area_load(
            self.kind, inp, parsed.rows_read, [Batch("area_measures", rows, _KEY)], csv_rejects(parsed, checks)
        )


class HousingDensityReader:
    """GLA land area and population density by borough and year (``Code, Name, Year, Source, Population, ...``)."""

    kind = "housing-density"
    description = "GLA land area and population density by borough (Code, Name, Year, Source, Population, Inland_Area _Hectares, ...)"

    def matches(self, header: list[str]) -> bool:
        """The GLA file's header exactly."""
        return same_columns(header, DENSITY_HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Population, inland area and persons per hectare of each area and year, with the row's source."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        codes = gss_codes(checks, "Code")
        names = checks.text("Name")
        year = checks.number("Year", bounds=(1800, 2200))
        whole = np.asarray(pc.fill_null(pc.equal(year, pc.floor(year)), True).to_numpy(zero_copy_only=False))
        checks.reject(~whole, "Year", checks.column("Year"), "Year must be a whole year (e.g. 2024)")
        missing_year = np.asarray(pc.is_null(year).to_numpy(zero_copy_only=False))
        checks.reject(missing_year, "Year", checks.column("Year"), "Year is empty; every row needs one")
        basis = checks.text("Source", required=True)
        measures = []
        for column, (name, unit) in DENSITY_MEASURES.items():
            values = checks.number(column, bounds=(0, 1e9))
            measures.append((name, values, unit))
        levels = _levels(codes, "other")
        source = pc.binary_join_element_wise(pa.scalar("GLA land area and population density: "), basis, "")
        common = {
            "dataset": pa.array(["housing-density"] * parsed.table.num_rows, pa.string()),
            "level": levels,
            "area_code": codes,
            "area_name": names,
            "borough_code": pc.if_else(pc.equal(levels, "borough"), codes, pa.scalar(None, pa.string())),
            "year": pc.cast(pc.fill_null(year, 0), pa.int32()),
            "source": source,
        }
        rows = _measure_rows(checks, common, measures)
        return area_load(
            self.kind, inp, parsed.rows_read, [Batch("area_measures", rows, _KEY)], csv_rejects(parsed, checks)
        )


class PtalWardReader:
    """TfL average Public Transport Accessibility Index by 2014 ward (``Ward Code, Ward Name, AvPTAIyyyy, PTAL``)."""

    kind = "ptal-ward"
    description = "TfL public transport accessibility by ward (Ward Code, Ward Name, AvPTAIyyyy, PTAL)"
    source = "TfL public transport accessibility levels by ward (London Datastore)"

    def matches(self, header: list[str]) -> bool:
        """Ward code and name, an average PTAI of a year, the PTAL band."""
        clean = [h.strip() for h in header]
        return (
            len(clean) == 4
            and clean[:2] == ["Ward Code", "Ward Name"]
            and bool(_PTAI.match(clean[2]))
            and clean[3] == "PTAL"
        )

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One row per ward (its borough from the 2014 ward lookup); an unknown ward or band is rejected."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        codes = gss_codes(checks, header[0])
        names = checks.text(header[1])
        ptai = checks.number(header[2], bounds=(0, 1e6))
        empty = np.asarray(pc.is_null(ptai).to_numpy(zero_copy_only=False))
        checks.reject(empty, header[2], checks.column(header[2]), f"{header[2]} is empty; every ward needs one")
        checks.choice(header[3], PTAL_BANDS)
        lookup = ward2014_borough()
        code_list = codes.to_pylist()
        boroughs = [c if (c or "").startswith("E09") else lookup.get(c or "") for c in code_list]
        unknown = np.array([b is None for b in boroughs]) & ~checks.rejected
        checks.reject(
            unknown,
            header[0],
            codes,
            "ward not in metforward's lookup of 2014 London wards (domain/lookups/london_ward2014_borough.csv): "
            "its borough cannot be told",
        )
        year = int(_PTAI.match(header[2].strip()).group(1))  # type: ignore[union-attr]
        n = parsed.table.num_rows
        common = {
            "dataset": pa.array(["ptal-ward"] * n, pa.string()),
            "level": _levels(codes, "ward"),
            "area_code": codes,
            "area_name": names,
            "borough_code": pa.array(boroughs, pa.string()),
            "year": pa.array([year] * n, pa.int32()),
            "source": pa.array([self.source] * n, pa.string()),
        }
        rows = _measure_rows(checks, common, [("Average PTAI", ptai, "PTAI")])
        return area_load(
            self.kind, inp, parsed.rows_read, [Batch("area_measures", rows, _KEY)], csv_rejects(parsed, checks)
        )


__all__ = ["DeprivationBoroughReader", "HousingDensityReader", "PtalWardReader"]
