"""MPS homicide victims (London Datastore, the MPS Homicide Dashboard's victim-level data).

Layout (one row per victim or group of victims): ``Count of Victims, Age Group, Sex, Method of
Killing, Domestic Abuse, Recorded Date, Homicide Offence Type, Solved Status, Borough, Officer
Observed Ethnicity``. ``Recorded Date`` is the month the homicide was recorded, as ``Mon-YY``
(``Jan-03`` is January 2003). ``Age Group`` is published in bands (``0 to 12``, ``13 to19``,
``20 to 24``, ... ``65 and over``), kept as published so a basket or the youth-violence strand can
name them.

Every row is loaded (``homicide_victims``) or rejected with its first bad cell. A borough name
that is not a London borough (the MPS's ``Heathrow``) is kept with no GSS code: it counts in
London's total but in no borough's. A later load replaces the months it holds, so a newer
snapshot of the file replaces the older.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.areas import borough_code
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions, months_of, same_columns
from metforward.ingest.readers.gss import csv_rejects
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

HEADER = [
    "Count of Victims",
    "Age Group",
    "Sex",
    "Method of Killing",
    "Domestic Abuse",
    "Recorded Date",
    "Homicide Offence Type",
    "Solved Status",
    "Borough",
    "Officer Observed Ethnicity",
]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MON_YY = r"^(" + "|".join(_MONTHS) + r")-\d{2}$"


def month_of(text: str) -> dt.date:
    """``Jan-03`` -> 2003-01-01 (a two-digit year is of the 2000s: the file starts in 2003)."""
    return dt.date(2000 + int(text[4:6]), _MONTHS.index(text[:3]) + 1, 1)


class HomicideVictimsReader:
    """MPS homicide victims by month recorded, borough, age group, sex, method, domestic abuse and offence type."""

    kind = "homicide-victims"
    description = (
        "MPS homicide victims (Count of Victims, Age Group, Sex, Method of Killing, Domestic Abuse, "
        "Recorded Date, Homicide Offence Type, Solved Status, Borough, Officer Observed Ethnicity)"
    )

    def matches(self, header: list[str]) -> bool:
        """The victims file's exact columns (case and surrounding spaces aside)."""
        return same_columns(header, HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        victims = checks.count(header[0])
        age = checks.text(header[1], required=True)
        sex = checks.text(header[2])
        method = checks.text(header[3])
        domestic = checks.text(header[4])
        raw_month = pc.utf8_trim_whitespace(checks.column(header[5]))
        good = np.asarray(
            pc.fill_null(pc.match_substring_regex(raw_month, _MON_YY), False).to_numpy(zero_copy_only=False), dtype=bool
        )
        checks.reject(~good, header[5], raw_month, f"bad month in {header[5]} (expected Mon-YY, e.g. Jan-03)")
        months = [month_of(t) if ok else None for t, ok in zip(raw_month.to_pylist(), good.tolist(), strict=True)]
        later = np.array([m is not None and m > options.current_month for m in months], dtype=bool)
        checks.reject(
            later,
            header[5],
            raw_month,
            f"{header[5]} is after the current month {options.current_month:%Y-%m}: a month in the future "
            "cannot have been published",
        )
        offence = checks.text(header[6], required=True)
        solved = checks.text(header[7])
        borough = checks.text(header[8], required=True)
        ethnicity = checks.text(header[9])

        keep = ~checks.rejected
        index = pa.array(np.flatnonzero(keep))
        names = borough.take(index).to_pylist()
        rows = pa.table(
            {
                "line": parsed.table.column("__line").take(index),
                "month": pa.array([m for m, k in zip(months, keep.tolist(), strict=True) if k], pa.date32()),
                "borough_code": pa.array([borough_code(n) for n in names], pa.string()),
                "borough_name": pa.array(names, pa.string()),
                "age_group": age.take(index),
                "sex": sex.take(index),
                "method": method.take(index),
                "domestic_abuse": domestic.take(index),
                "offence_type": offence.take(index),
                "solved_status": solved.take(index),
                "ethnicity": ethnicity.take(index),
                "victims": pa.array(victims[keep]),
            }
        )
        return Load(
            kind=self.kind,
            source_path=str(inp.source.path),
            member=inp.source.member,
            sha256=inp.sha256,
            bytes=inp.stored_bytes,
            rows_read=parsed.rows_read,
            batches=[Batch("homicide_victims", rows, ("month",))],
            rejects=csv_rejects(parsed, checks),
            months=months_of(rows.column("month")) if rows.num_rows else [],
        )
