"""MPS homicide proceedings (London Datastore): people charged or summonsed for homicide, by month.

Source: Metropolitan Police Service, "MPS Homicide Dashboard data" on the London Datastore (dataset
2l1w8, ``Homicide ppa.csv``: persons proceeded against), Open Government Licence v3.0::

    count_of_ppa,borough,gender,age_group,self_classified_ethnicity,offence_type,charged_summonsed,proceedings_date
    1,Westminster,Male,40 to 44,SCE Not Recorded,Murder,Charge or Summons,Jan-03

One row per person proceeded against (``count_of_ppa`` is 1), from April 2003. ``proceedings_date`` is a
month, ``Mon-YY`` (``Jan-03``: January 2003), or ``YYYY-MM``. Each row is loaded or rejected with its first
bad cell (a month that is not one, or after the current month; an empty group; a count that is not a whole
number). Borough names become GSS codes (``Barking & Dagenham``); ``Heathrow`` is kept with none. Values
are trimmed (the file writes ``Black `` with a space). A later load replaces the months it holds.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.mps_common import borough_codes, columns, dashboard_load, mask, not_future
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Load

EXPECTED = (
    "countofppa",
    "borough",
    "gender",
    "agegroup",
    "selfclassifiedethnicity",
    "offencetype",
    "chargedsummonsed",
    "proceedingsdate",
)
_MON_YY = r"^(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-\d{2}$"
_YYYY_MM = r"^\d{4}-(?:0[1-9]|1[0-2])$"


class HomicideProceedingsReader:
    """MPS homicide proceedings: persons charged or summonsed, by month, borough, sex, age, ethnicity, offence."""

    kind = "homicide-proceedings"
    description = (
        "MPS homicide dashboard, persons proceeded against (count_of_ppa, borough, gender, age_group, "
        "self_classified_ethnicity, offence_type, charged_summonsed, proceedings_date)"
    )

    def matches(self, header: list[str]) -> bool:
        """The file's columns (any case and punctuation, any order), each once."""
        return columns(header, EXPECTED) is not None

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row, dated the first of its month."""
        named = columns(header, EXPECTED)
        assert named is not None
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        column = named["proceedingsdate"]
        raw = pc.utf8_trim_whitespace(checks.column(column))
        short = mask(pc.match_substring_regex(raw, _MON_YY))
        iso = mask(pc.match_substring_regex(raw, _YYYY_MM))
        checks.reject(~short & ~iso, column, raw, f"bad month in {column} (expected Mon-YY, e.g. Jan-03, or YYYY-MM)")
        from_short = pc.strptime(pc.if_else(pa.array(short), pc.utf8_capitalize(raw), "Jan-70"), "%b-%y", "s")
        from_iso = pc.strptime(
            pc.binary_join_element_wise(pc.if_else(pa.array(iso), raw, "1970-01"), "01", "-"), "%Y-%m-%d", "s"
        )
        months = pc.cast(pc.if_else(pa.array(short), from_short, from_iso), pa.date32())
        not_future(checks, column, months, options)
        borough = checks.text(named["borough"], required=True)
        text = {k: checks.text(named[k], required=True) for k in EXPECTED[2:7]}
        counts = checks.count(named["countofppa"])
        rows = checks.keep(
            {
                "month": months,
                "borough_code": borough_codes(borough),
                "borough_name": borough,
                "gender": text["gender"],
                "age_group": text["agegroup"],
                "ethnicity": text["selfclassifiedethnicity"],
                "offence_type": text["offencetype"],
                "charged_summonsed": text["chargedsummonsed"],
                "count": pa.array(counts),
            }
        )
        return dashboard_load(self.kind, inp, parsed, checks, "homicide_proceedings", rows, ("month",))
