"""The MPS Violence Against Women and Girls (VAWG) dashboard (London Datastore): offences and victims.

Source: Metropolitan Police Service, "MPS Violence Against Women and Girls dashboard data" on the London
Datastore (dataset 2yod5), Open Government Licence v3.0. It is published as two workbooks, offences and
victims, one sheet per breakdown; metforward reads each in long form with the sheet's name in a ``sheet``
column, as the mirror fenneh/london-crime-data exports them::

    bcu_location,borough_name,ward_name_clean_2,recorded_date_months,date_committed_from_date_months,count,sheet,
        crimsec_group,crimseccodeexpansion,crimsec_offences,vawg_offence          (offences)
        age_group,ethnic_appearance_group_group                                   (victims)

Sheets, stored as ``breakdown``: ``Offence count location`` / ``Victim count by location`` (borough and
ward by month recorded, ``location``), ``Offence count classification`` (offence group and type by month,
London, ``classification``), ``Victim count by age group`` (``age``) and ``Victim count by ethnic group``
(``ethnicity``). Every sheet counts the same offences (or victims) once, from January 2014.

Each row is loaded or rejected with its first bad cell: a month recorded that is not the first of a month
(or is after the current month), a committed month that is not a date, a count that is not a whole number,
an unknown sheet, or the cell its sheet is about left empty (the borough of a location row, the group of
a classification row, the age or ethnic group of a victims row). Borough names become GSS codes; the
publisher's ``Other`` and ``Unknown`` are kept, with no code, and count in London's total. A later load
replaces the months it holds (of offences, or of victims).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.mps_common import borough_codes, columns, dashboard_load, days, mask, not_future
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Load

_COMMON = (
    "bculocation",
    "boroughname",
    "wardnameclean2",
    "recordeddatemonths",
    "datecommittedfromdatemonths",
    "count",
    "sheet",
)
OFFENCE_COLUMNS = (*_COMMON, "crimsecgroup", "crimseccodeexpansion", "crimsecoffences", "vawgoffence")
VICTIM_COLUMNS = (*_COMMON, "agegroup", "ethnicappearancegroupgroup")
#: Each workbook's sheets -> the breakdown stored, and the column a row of that sheet must fill.
OFFENCE_SHEETS = {
    "Offence count location": ("location", "boroughname"),
    "Offence count classification": ("classification", "crimsecgroup"),
}
VICTIM_SHEETS = {
    "Victim count by location": ("location", "boroughname"),
    "Victim count by age group": ("age", "agegroup"),
    "Victim count by ethnic group": ("ethnicity", "ethnicappearancegroupgroup"),
}


class _VawgReader:
    kind: str
    measure: str
    expected: tuple[str, ...]
    sheets: dict[str, tuple[str, str]]

    def matches(self, header: list[str]) -> bool:
        """The dashboard's columns (any case and punctuation, any order), each once."""
        return columns(header, self.expected) is not None

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row, with its breakdown and the borough's GSS code."""
        named = columns(header, self.expected)
        assert named is not None
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        month_column = named["recordeddatemonths"]
        months = days(checks, month_column, first_of_month=True)
        not_future(checks, month_column, months, options)
        committed = days(checks, named["datecommittedfromdatemonths"], required=False)
        sheet = checks.choice(named["sheet"], self.sheets)
        text = {k: checks.text(named[k]) for k in self.expected if k not in ("recordeddatemonths", "count", "sheet")}
        for name, (_breakdown, needed) in self.sheets.items():
            empty = mask(pc.and_(pc.equal(sheet, name), pc.is_null(text[needed])))
            checks.reject(empty, named[needed], None, f"{named[needed]} is empty; every {name!r} row needs one")
        counts = checks.count(named["count"])
        names = list(self.sheets)
        breakdowns = pa.array([self.sheets[s][0] for s in names], pa.string())
        breakdown = pc.take(breakdowns, pc.index_in(sheet, pa.array(names, pa.string())))
        n = parsed.table.num_rows
        victims = self.measure == "victims"
        empty_text = pa.nulls(n, pa.string())
        rows = checks.keep(
            {
                "measure": pa.scalar(self.measure),
                "breakdown": breakdown,
                "month": months,
                "committed_month": committed,
                "bcu": text["bculocation"],
                "borough_code": borough_codes(text["boroughname"]),
                "borough_name": text["boroughname"],
                "ward_name": text["wardnameclean2"],
                "crime_group": empty_text if victims else text["crimsecgroup"],
                "offence_type": empty_text if victims else text["crimseccodeexpansion"],
                "offence": empty_text if victims else text["crimsecoffences"],
                "vawg_offence": empty_text if victims else text["vawgoffence"],
                "age_group": text["agegroup"] if victims else empty_text,
                "ethnic_group": text["ethnicappearancegroupgroup"] if victims else empty_text,
                "count": pa.array(counts),
            }
        )
        return dashboard_load(self.kind, inp, parsed, checks, "vawg_counts", rows, ("measure", "month"))


class VawgOffencesReader(_VawgReader):
    """MPS VAWG dashboard offences: by borough and ward, and by offence type, by month recorded."""

    kind = "vawg-offences"
    measure = "offences"
    expected = OFFENCE_COLUMNS
    sheets = OFFENCE_SHEETS
    description = (
        "MPS Violence Against Women and Girls dashboard, offences (bcu_location, borough_name, ward_name_clean_2, "
        "recorded_date_months, date_committed_from_date_months, count, sheet, crimsec_group, crimseccodeexpansion, "
        "crimsec_offences, vawg_offence)"
    )


class VawgVictimsReader(_VawgReader):
    """MPS VAWG dashboard victims: by borough and ward, age group and ethnic appearance, by month recorded."""

    kind = "vawg-victims"
    measure = "victims"
    expected = VICTIM_COLUMNS
    sheets = VICTIM_SHEETS
    description = (
        "MPS Violence Against Women and Girls dashboard, victims (bcu_location, borough_name, ward_name_clean_2, "
        "recorded_date_months, date_committed_from_date_months, count, sheet, age_group, "
        "ethnic_appearance_group_group)"
    )
