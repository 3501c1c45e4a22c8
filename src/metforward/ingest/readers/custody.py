"""MPS custody disposals (London Datastore): what became of people brought into custody, by ethnicity.

Source: Metropolitan Police Service, "MPS Custody: arrests, disposals, strip searches" on the London
Datastore (dataset 2r7po), Open Government Licence v3.0. The disposals sheet, read in long form as the
mirror fenneh/london-crime-data exports it (the ``sheet`` column may be left out)::

    current_disposal_year,current_disposal_month,current_disposal_month_name,gender,age_group,ethnicity_4+1,
        offence_group,current_disposal,offence_count,sheet
    2021,1,January,Female,Adult,Asian,Assault,No Further Action,56,Disposals

London-wide (no borough): one count per month, sex, age group (Adult, Child), ethnicity in four groups
plus not recorded ("4+1": White, Black, Asian, Other, Not Recorded), offence group and disposal (No Further
Action, Prosecution, Out of Court, Released Under Investigation, Police Bail, To Court, Other Disposals).
Each row is loaded or rejected with its first bad cell: a year or month that is not one (or is after the
current month), a month name that disagrees with the month number, an empty group, a count that is not a
whole number. A later load replaces the months it holds.
"""

from __future__ import annotations

import calendar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.mps_common import columns, dashboard_load, mask, not_future
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Load

EXPECTED = (
    "currentdisposalyear",
    "currentdisposalmonth",
    "currentdisposalmonthname",
    "gender",
    "agegroup",
    "ethnicity41",
    "offencegroup",
    "currentdisposal",
    "offencecount",
)


class CustodyDisposalsReader:
    """MPS custody disposals by month, sex, age group, ethnicity (4+1), offence group and disposal."""

    kind = "custody-disposals"
    description = (
        "MPS custody disposals (current_disposal_year, current_disposal_month, current_disposal_month_name, "
        "gender, age_group, ethnicity_4+1, offence_group, current_disposal, offence_count[, sheet])"
    )

    def matches(self, header: list[str]) -> bool:
        """The disposals sheet's columns (any case and punctuation, any order), each once; ``sheet`` optional."""
        return columns(header, EXPECTED, ("sheet",)) is not None

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row, dated the first of its month."""
        named = columns(header, EXPECTED, ("sheet",))
        assert named is not None
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        year_column, month_column = named["currentdisposalyear"], named["currentdisposalmonth"]
        year = pc.utf8_trim_whitespace(checks.column(year_column))
        checks.reject(
            ~mask(pc.match_substring_regex(year, r"^(19|20)\d{2}$")), year_column, year, f"bad year in {year_column}"
        )
        number = pc.utf8_trim_whitespace(checks.column(month_column))
        checks.reject(
            ~mask(pc.match_substring_regex(number, r"^(0?[1-9]|1[0-2])$")),
            month_column,
            number,
            f"bad month in {month_column} (expected 1 to 12)",
        )
        good = pa.array(~checks.rejected)
        text = pc.binary_join_element_wise(
            pc.if_else(good, year, "1970"), pc.utf8_lpad(pc.if_else(good, number, "1"), 2, "0"), "01", "-"
        )
        months = pc.cast(pc.strptime(text, "%Y-%m-%d", "s"), pa.date32())
        not_future(checks, year_column, months, options)
        name_column = named["currentdisposalmonthname"]
        names = pc.utf8_trim_whitespace(checks.column(name_column))
        month_numbers = np.asarray(pc.month(months).to_numpy(zero_copy_only=False), dtype=np.int64)
        expected_names = pa.array([calendar.month_name[m] for m in month_numbers], pa.string())
        checks.reject(
            ~mask(pc.equal(pc.utf8_lower(names), pc.utf8_lower(expected_names))),
            name_column,
            names,
            f"{name_column} does not name the month in {month_column}",
        )
        text_columns = {k: checks.text(named[k], required=True) for k in EXPECTED[3:8]}
        counts = checks.count(named["offencecount"])
        rows = checks.keep(
            {
                "month": months,
                "gender": text_columns["gender"],
                "age_group": text_columns["agegroup"],
                "ethnicity": text_columns["ethnicity41"],
                "offence_group": text_columns["offencegroup"],
                "disposal": text_columns["currentdisposal"],
                "count": pa.array(counts),
            }
        )
        return dashboard_load(self.kind, inp, parsed, checks, "custody_disposals", rows, ("month",))
