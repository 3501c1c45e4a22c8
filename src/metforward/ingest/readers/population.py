"""Population estimates: GLA borough mid-year estimates and ONS mid-year LSOA 2021 estimates.

Sources (Open Government Licence v3.0): GLA borough mid-year estimates (``GSS.Code, Borough,
1981, ...``) and ONS mid-year small-area population estimates for LSOA 2021 (``LSOA 2021 Code,
..., Mid-2011: Population``). One ``population`` row per area and year.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.gss import LEVEL_BY_PREFIX, area_load, csv_rejects, gss_codes
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load


def _population_rows(
    checks: RowChecks,
    code_column: str,
    name_column: str | None,
    year_columns: dict[str, int],
    level: str,
    source: str,
    clean: Callable[[pa.ChunkedArray], pa.ChunkedArray],
) -> pa.Table:
    codes = gss_codes(checks, code_column)
    names = checks.text(name_column) if name_column else pa.nulls(len(codes), pa.string())
    levels = pa.array([LEVEL_BY_PREFIX.get((c or "")[:3], level) for c in codes.to_pylist()], pa.string())
    values = {}
    for column in year_columns:
        raw = clean(checks.column(column))
        good = pc.fill_null(pc.match_substring_regex(raw, r"^\d+(\.\d+)?$"), False).to_numpy(zero_copy_only=False)
        checks.reject(
            ~np.asarray(good, dtype=bool),
            column,
            checks.column(column),
            f"bad number in {column} (expected a population count)",
        )
        values[column] = pc.cast(pc.if_else(pa.array(good), raw, "0"), pa.float64())
    keep = pa.array(~checks.rejected)
    kept_codes, kept_names, kept_levels = codes.filter(keep), names.filter(keep), levels.filter(keep)
    parts = []
    for column, year in year_columns.items():
        n = len(kept_codes)
        parts.append(
            pa.table(
                {
                    "level": kept_levels,
                    "area_code": kept_codes,
                    "area_name": kept_names,
                    "year": pa.array([year] * n, pa.int32()),
                    "population": values[column].filter(keep),
                    "source": pa.array([source] * n, pa.string()),
                }
            )
        )
    return pa.concat_tables(parts) if parts else pa.table({})


class BoroughPopulationReader:
    """GLA borough mid-year population estimates: ``GSS.Code, Borough, 1981, 1982, ...``."""

    kind = "population-borough"
    description = "GLA borough mid-year estimates (GSS.Code, Borough, YYYY...)"
    source = "GLA borough mid-year estimates"

    def matches(self, header: list[str]) -> bool:
        """A GSS code column, a borough name, then years."""
        return (
            len(header) > 2
            and header[0] in ("GSS.Code", "GSS_Code", "Code")
            and header[1] == "Borough"
            and all(re.fullmatch(r"\d{4}", h) for h in header[2:])
        )

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One row per borough and year."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        years = {h: int(h) for h in header[2:]}
        rows = _population_rows(
            checks, header[0], "Borough", years, "borough", self.source, lambda c: pc.utf8_trim_whitespace(c)
        )
        return area_load(
            self.kind,
            inp,
            parsed.rows_read,
            [Batch("population", rows, ("source", "level", "area_code", "year"))],
            csv_rejects(parsed, checks),
        )


class LsoaPopulationReader:
    """ONS mid-year small-area estimates, LSOA 2021: ``LSOA 2021 Code, LSOA 2021 Name, ..., Mid-2011: Population, ...``."""

    kind = "population-lsoa"
    description = "ONS LSOA 2021 mid-year estimates (LSOA 2021 Code, LSOA 2021 Name, Mid-YYYY: Population...)"
    source = "ONS mid-year LSOA estimates"

    def matches(self, header: list[str]) -> bool:
        """An LSOA 2021 code column and at least one ``Mid-YYYY: Population`` column."""
        return "LSOA 2021 Code" in header and any(re.fullmatch(r"Mid-\d{4}: Population", h) for h in header)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One row per LSOA and year; thousands separators are removed."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        years = {h: int(h[4:8]) for h in header if re.fullmatch(r"Mid-\d{4}: Population", h)}
        name = "LSOA 2021 Name" if "LSOA 2021 Name" in header else None

        def clean(column: pa.ChunkedArray) -> pa.ChunkedArray:
            return pc.replace_substring(pc.utf8_trim_whitespace(column), ",", "")

        rows = _population_rows(checks, "LSOA 2021 Code", name, years, "lsoa", self.source, clean)
        return area_load(
            self.kind,
            inp,
            parsed.rows_read,
            [Batch("population", rows, ("source", "level", "area_code", "year"))],
            csv_rejects(parsed, checks),
        )
