"""The MPS Business Crime dashboard (London Datastore): offences against businesses, and their outcomes.

Source: Metropolitan Police Service, "MPS Business Crime Dashboard data" on the London Datastore (dataset
2zpjy), Open Government Licence v3.0: rolling 24-month workbooks of offences and of outcomes, read in long
form as the mirror fenneh/london-crime-data exports them (the ``sheet`` column may be left out)::

    date,measure,borough,crime_section,crime_group,business_crime_offence_count,refresh_date,sheet
    date,measure,borough,crime_section,crime_group,outcome,positive_outcome,outcome_count,refresh_date,sheet

``date`` is the day the offence (or the outcome) was recorded; ``positive_outcome`` is the MPS's own flag
(``Y``: charge or summons, caution, community resolution, penalty notice, ... ``N``: every other outcome).
Each row is loaded or rejected with its first bad cell (a bad or future date, an unknown measure, a count
that is not a whole number, an empty borough or crime group, a flag other than Y or N). Borough names
become GSS codes (the publisher's ``Other`` and ``Unknown`` are kept with none). A later load replaces
the months it holds, so each new 24-month release keeps the older months of the one before.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.mps_common import (
    borough_codes,
    columns,
    dashboard_load,
    days,
    month_start,
    not_future,
)
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Load

_KEYS = ("date", "measure", "borough", "crimesection", "crimegroup")
OFFENCE_COLUMNS = (*_KEYS, "businesscrimeoffencecount", "refreshdate")
OUTCOME_COLUMNS = (*_KEYS, "outcome", "positiveoutcome", "outcomecount", "refreshdate")


class _BusinessCrimeReader:
    kind: str
    measure: str  # offences | outcomes
    published: str  # the file's own measure name
    expected: tuple[str, ...]
    count_column: str

    def matches(self, header: list[str]) -> bool:
        """The dashboard's columns (any case and punctuation, any order), each once; ``sheet`` optional."""
        return columns(header, self.expected, ("sheet",)) is not None

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row, with its month and the borough's GSS code."""
        named = columns(header, self.expected, ("sheet",))
        assert named is not None
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        day = days(checks, named["date"])
        month = month_start(day)
        not_future(checks, named["date"], month, options)
        checks.choice(named["measure"], (self.published,))
        borough = checks.text(named["borough"], required=True)
        section = checks.text(named["crimesection"], required=True)
        group = checks.text(named["crimegroup"], required=True)
        n = parsed.table.num_rows
        outcome: pa.ChunkedArray | pa.Array = pa.nulls(n, pa.string())
        positive: pa.ChunkedArray | pa.Array = pa.nulls(n, pa.bool_())
        if self.measure == "outcomes":
            outcome = checks.text(named["outcome"])
            flag = checks.choice(named["positiveoutcome"], ("Y", "N"))
            positive = pc.equal(flag, "Y")
        counts = checks.count(named[self.count_column])
        refresh = days(checks, named["refreshdate"], required=False)
        rows = checks.keep(
            {
                "measure": pa.scalar(self.measure),
                "day": day,
                "month": month,
                "borough_code": borough_codes(borough),
                "borough_name": borough,
                "crime_section": section,
                "crime_group": group,
                "outcome": outcome,
                "positive": positive,
                "count": pa.array(counts),
                "refresh_date": refresh,
            }
        )
        return dashboard_load(self.kind, inp, parsed, checks, "business_crime", rows, ("measure", "month"))


class BusinessCrimeOffencesReader(_BusinessCrimeReader):
    """MPS business crime offences by day, borough, crime section and group."""

    kind = "business-crime-offences"
    measure = "offences"
    published = "Business Crime Offences"
    expected = OFFENCE_COLUMNS
    count_column = "businesscrimeoffencecount"
    description = (
        "MPS Business Crime dashboard, offences (date, measure, borough, crime_section, crime_group, "
        "business_crime_offence_count, refresh_date[, sheet])"
    )


class BusinessCrimeOutcomesReader(_BusinessCrimeReader):
    """MPS business crime outcomes by day, borough, crime section and group, outcome and positive flag."""

    kind = "business-crime-outcomes"
    measure = "outcomes"
    published = "Business Crime Outcomes"
    expected = OUTCOME_COLUMNS
    count_column = "outcomecount"
    description = (
        "MPS Business Crime dashboard, outcomes (date, measure, borough, crime_section, crime_group, outcome, "
        "positive_outcome, outcome_count, refresh_date[, sheet])"
    )
