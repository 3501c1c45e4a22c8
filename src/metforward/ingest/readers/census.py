"""Census 2021 population by ethnic group: ONS custom-dataset downloads, long layout.

Source: Office for National Statistics, Census 2021, TS021 "Ethnic group", downloaded from the
ONS "create a custom dataset" service (Open Government Licence v3.0). Layout::

    Upper tier local authorities Code,Upper tier local authorities,Ethnic group (8 categories) Code,Ethnic group,Observation
    E09000001,City of London,-8,Does not apply,0
    E09000001,City of London,1,Asian,1445
    ...

One ``population_groups`` row per area and category, the category's code and name as published
(the 8-category file names both category 5, White: Irish, and 6, White: Other White, "White
Other"; the code keeps them apart). Rows of the "Does not apply" category (code -8, always 0
usual residents) are rejected with that reason, as is any row whose count is not a whole number.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.gss import LEVEL_BY_PREFIX, area_load, csv_rejects, gss_codes
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

_GROUP_CODE = re.compile(r"^Ethnic group \((\d+) categories\) Code$")
SOURCE = "ONS Census 2021 TS021 ethnic group"
YEAR = 2021


class CensusEthnicGroupReader:
    """ONS Census 2021 ethnic group by area, long layout (``<area> Code, <area>, Ethnic group (N categories) Code, Ethnic group, Observation``)."""

    kind = "population-census-ethnicity"
    description = "ONS Census 2021 ethnic group, long (AREA Code, AREA, Ethnic group (N categories) Code, Ethnic group, Observation)"

    def matches(self, header: list[str]) -> bool:
        """Five columns: an area code and name, the ethnic group code and name, the observation."""
        return (
            len(header) == 5
            and header[0].endswith(" Code")
            and header[1] == header[0].removesuffix(" Code")
            and _GROUP_CODE.match(header[2]) is not None
            and header[3] == "Ethnic group"
            and header[4] == "Observation"
        )

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One row per area and category; "Does not apply" and bad counts are rejected with their line."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        codes = gss_codes(checks, header[0])
        names = checks.text(header[1])
        group_codes = checks.text(header[2], required=True)
        group_names = checks.text(header[3], required=True)
        not_applicable = np.asarray(pc.fill_null(pc.equal(group_codes, "-8"), False).to_numpy(zero_copy_only=False))
        checks.reject(
            not_applicable,
            header[3],
            group_names,
            'ONS "Does not apply" category (code -8): not an ethnic group (it counts no usual residents)',
        )
        counts = checks.count(header[4])
        n = parsed.table.num_rows
        levels = pa.array([LEVEL_BY_PREFIX.get((c or "")[:3], "utla") for c in codes.to_pylist()], pa.string())
        rows = checks.keep(
            {
                "level": levels,
                "area_code": codes,
                "area_name": names,
                "year": pa.array([YEAR] * n, pa.int32()),
                "group_code": group_codes,
                "group_name": group_names,
                "population": pa.array(counts.astype(np.float64)),
                "source": pa.array([SOURCE] * n, pa.string()),
            }
        )
        return area_load(
            self.kind,
            inp,
            parsed.rows_read,
            [Batch("population_groups", rows, ("source", "level", "area_code", "year"))],
            csv_rejects(parsed, checks),
        )
