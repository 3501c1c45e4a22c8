"""The MPS Monthly Crime Dashboard (London Datastore): offences and positive outcomes.

Layout (long, one count per row): ``month_year, area_type, borough_snt, area_name, area_code,
crime_type, crime_subtype, measure, financial_year, fy_fyindex, count, refresh_date, sheet``.
``area_type`` is ``Borough`` or ``Safer Neighbourhood Teams`` (SNT rows carry the ward's GSS
code where the MPS gave one, and ``borough_snt`` = borough name + ward name). ``measure`` is
``Offences`` or ``Positive Outcomes`` (the MPS's name for sanction detections and other
positive outcomes, counted in the month the outcome was recorded).

Every row is loaded or rejected with its first bad cell. A later load replaces the same
(crime type, month) pairs, so loading a newer refresh of the dashboard replaces the older.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions, months_of, same_columns
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

HEADER = [
    "month_year",
    "area_type",
    "borough_snt",
    "area_name",
    "area_code",
    "crime_type",
    "crime_subtype",
    "measure",
    "financial_year",
    "fy_fyindex",
    "count",
    "refresh_date",
    "sheet",
]
AREA_TYPES = ("Borough", "Safer Neighbourhood Teams")
MEASURES = ("Offences", "Positive Outcomes")
_FIRST_OF_MONTH = r"^\d{4}-(0[1-9]|1[0-2])-01$"
_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_GSS = re.compile(r"^E0[59]\d{6}$")
#: Borough names longest first, so "City of London" wins over a shorter name it starts with.
_BOROUGH_NAMES = sorted(((name.lower(), code) for code, name in LONDON_BOROUGHS.items()), key=lambda x: -len(x[0]))


def _mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def snt_borough(label: str | None) -> str | None:
    """The borough GSS code of a ``borough_snt`` label ("Barking and Dagenham Abbey"), or None."""
    if not label:
        return None
    text = " ".join(label.split()).lower().replace(" & ", " and ")
    for name, code in _BOROUGH_NAMES:
        if text == name or text.startswith(name + " "):
            return code
    return borough_code(label)


class DashboardReader:
    """MPS Monthly Crime Dashboard: offences and positive outcomes by borough or SNT, crime type and month."""

    kind = "datastore-dashboard"
    description = (
        "MPS Monthly Crime Dashboard (month_year, area_type, borough_snt, area_name, area_code, crime_type, "
        "crime_subtype, measure, financial_year, fy_fyindex, count, refresh_date, sheet)"
    )

    def matches(self, header: list[str]) -> bool:
        """The dashboard's exact columns."""
        return same_columns(header, HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        raw_month = pc.utf8_trim_whitespace(checks.column(header[0]))
        good_month = _mask(pc.match_substring_regex(raw_month, _FIRST_OF_MONTH))
        checks.reject(
            ~good_month, header[0], raw_month, f"bad month in {header[0]} (expected the first of a month, YYYY-MM-01)"
        )
        later = _mask(pc.greater(raw_month, f"{options.current_month:%Y-%m}-01"))
        checks.reject(
            good_month & later,
            header[0],
            raw_month,
            f"{header[0]} is after the current month {options.current_month:%Y-%m}: a month in the future "
            "cannot have been published",
        )
        area_type = checks.choice(header[1], AREA_TYPES)
        borough_snt = checks.text(header[2])
        # rows of no known area ("Other / NK") have an empty area_name: name them by borough_snt
        area_name = pc.coalesce(checks.text(header[3]), borough_snt)
        checks.reject(
            _mask(pc.is_null(area_name)),
            f"{header[2]},{header[3]}",
            None,
            f"{header[2]} and {header[3]} are both empty; every row needs an area",
        )
        raw_code = checks.text(header[4])
        crime_type = checks.text(header[5], required=True)
        crime_subtype = checks.text(header[6], required=True)
        measure = checks.choice(header[7], MEASURES)
        counts = checks.count(header[10])
        raw_refresh = pc.utf8_trim_whitespace(checks.column(header[11]))
        refresh_ok = _mask(pc.match_substring_regex(raw_refresh, _DATE))
        refresh_empty = _mask(pc.equal(raw_refresh, ""))
        checks.reject(
            ~refresh_ok & ~refresh_empty, header[11], raw_refresh, f"bad date in {header[11]} (expected YYYY-MM-DD)"
        )

        keep = ~checks.rejected
        index = pa.array(np.flatnonzero(keep))
        codes = [c if c and _GSS.match(c) else None for c in raw_code.take(index).to_pylist()]
        types = area_type.take(index).to_pylist()
        labels = borough_snt.take(index).to_pylist()
        names = area_name.take(index).to_pylist()
        boroughs = [
            (c if c and c.startswith("E09") else borough_code(n or "")) if t == "Borough" else snt_borough(label)
            for c, t, label, n in zip(codes, types, labels, names, strict=True)
        ]
        months = pc.cast(
            pc.strptime(pc.if_else(pa.array(good_month), raw_month, "1970-01-01"), "%Y-%m-%d", "s"), pa.date32()
        )
        refresh = pc.cast(
            pc.strptime(pc.if_else(pa.array(refresh_ok), raw_refresh, None), "%Y-%m-%d", "s"), pa.date32()
        )
        rows = pa.table(
            {
                "line": parsed.table.column("__line").take(index),
                "month": months.take(index),
                "area_type": area_type.take(index),
                "area_code": pa.array(codes, pa.string()),
                "area_name": area_name.take(index),
                "borough_code": pa.array(boroughs, pa.string()),
                "crime_type": crime_type.take(index),
                "crime_subtype": crime_subtype.take(index),
                "measure": measure.take(index),
                "count": pa.array(counts[keep]),
                "refresh_date": refresh.take(index),
            }
        )
        return Load(
            kind=self.kind,
            source_path=str(inp.source.path),
            member=inp.source.member,
            sha256=inp.sha256,
            bytes=inp.stored_bytes,
            rows_read=parsed.rows_read,
            batches=[Batch("dashboard_counts", rows, ("crime_type", "month"))],
            rejects=pa.concat_tables([parsed.malformed, checks.rejects()]).sort_by("line"),
            months=months_of(rows.column("month")) if rows.num_rows else [],
        )
