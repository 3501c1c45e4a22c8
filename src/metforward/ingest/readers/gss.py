"""What the ONS and GLA readers share: GSS area codes, the area level a code's prefix gives, and their loads.

Used by the boundary and lookup readers (:mod:`.reference`), the population estimates
(:mod:`.population`) and the Census tables (:mod:`.census`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import ParsedCsv
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

#: A GSS code: a country letter and eight digits (``E09000001``).
GSS = r"^[EWSN]\d{8}$"
#: The area level of a GSS code, by its first three characters.
LEVEL_BY_PREFIX = {
    "E09": "borough",
    "E06": "borough",
    "E07": "borough",
    "E08": "borough",
    "W06": "borough",
    "E05": "ward",
    "W05": "ward",
    "E01": "lsoa",
    "W01": "lsoa",
    "E02": "msoa",
    "W02": "msoa",
    "E12": "region",
    "E92": "country",
}


def area_load(kind: str, inp: InputData, rows_read: int, batches: list[Batch], rejects: pa.Table) -> Load:
    """The load of one ONS or GLA file: its rows in ``batches``, its provenance from ``inp``."""
    return Load(
        kind=kind,
        source_path=str(inp.source.path),
        member=inp.source.member,
        sha256=inp.sha256,
        bytes=inp.stored_bytes,
        rows_read=rows_read,
        batches=batches,
        rejects=rejects,
    )


def csv_rejects(parsed: ParsedCsv, checks: RowChecks) -> pa.Table:
    """The rows the CSV parser could not split and the rows ``checks`` rejected, in line order."""
    return pa.concat_tables([parsed.malformed, checks.rejects()]).sort_by("line")


def gss_codes(checks: RowChecks, column: str) -> pa.ChunkedArray:
    """The required ``column`` as text; a value that is not a GSS code rejects its row."""
    values = checks.text(column, required=True)
    good = pc.fill_null(pc.match_substring_regex(values, GSS), True).to_numpy(zero_copy_only=False)
    checks.reject(~np.asarray(good, dtype=bool), column, values, f"bad GSS code in {column} (expected e.g. E01000001)")
    return values
