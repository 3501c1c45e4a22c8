"""London Datastore MPS recorded-crime counts: wide files (one column per month), stored long.

Layouts read (column names compared without case, spaces or underscores):

* ``Borough, Major Category, Minor Category, 200801, ...``: borough level, the 2008-2016
  categories (kind ``datastore-borough-2008``);
* ``MajorText, MinorText, BoroughName, 201004, ...``: borough level, current categories
  (``datastore-borough``);
* ``MajorText, MinorText, WardName, WardCode, LookUp_BoroughName, ...``: ward level (``datastore-ward``);
* ``lsoa_code, lsoa_name, borough, major_category, minor_category, ...``: LSOA level (``datastore-lsoa``).

Each input line is one row read; it is loaded (as one count per month) or rejected whole,
naming the first bad cell. A later load replaces the same kind's months.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.errors import InputFileError
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

_MONTH_COLUMN = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
_ROLES = {
    "borough": "borough",
    "boroughname": "borough",
    "lookupboroughname": "borough",
    "majorcategory": "major",
    "majortext": "major",
    "minorcategory": "minor",
    "minortext": "minor",
    "wardname": "ward_name",
    "wardcode": "ward_code",
    "lsoacode": "lsoa_code",
    "lsoaname": "lsoa_name",
}


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "", name.lower())


def _roles(header: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """Map each role (borough, major, ...) to its column, and list the month columns; None if not ours."""
    roles: dict[str, str] = {}
    months: list[str] = []
    for name in header:
        if _MONTH_COLUMN.match(name.strip()):
            months.append(name)
        elif _key(name) in _ROLES and _ROLES[_key(name)] not in roles:
            roles[_ROLES[_key(name)]] = name
        else:
            return None
    if not months or "major" not in roles or "minor" not in roles:
        return None
    if not ({"borough", "ward_code", "lsoa_code"} & roles.keys()):
        return None
    return roles, months


class DatastoreReader:
    """MPS recorded crime by borough, ward or LSOA and month (London Datastore)."""

    kind = "datastore"
    description = (
        "London Datastore MPS recorded crime (Borough, Major Category, Minor Category, YYYYMM...; "
        "or MajorText, MinorText, BoroughName|WardName, WardCode, LookUp_BoroughName, YYYYMM...; "
        "or lsoa_code, lsoa_name, borough, major_category, minor_category, YYYYMM...)"
    )

    def matches(self, header: list[str]) -> bool:
        """Known identifier columns plus at least one ``YYYYMM`` column."""
        return _roles(header) is not None

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell, then unpivot the month columns."""
        found = _roles(header)
        assert found is not None
        roles, month_columns = found
        if "lsoa_code" in roles:
            level, kind = "lsoa", "datastore-lsoa"
        elif "ward_code" in roles:
            level, kind = "ward", "datastore-ward"
        else:
            level = "borough"
            old = [h.strip() for h in header[:3]] == ["Borough", "Major Category", "Minor Category"]
            kind = "datastore-borough-2008" if old else "datastore-borough"
        current = f"{options.current_month:%Y%m}"
        future = [c.strip() for c in month_columns if c.strip()[:6] > current]
        if future:
            raise InputFileError(
                inp.source.display,
                f"month column {future[0]} is after the current month {current}: a month in the future "
                "cannot have been published; check the file's header",
            )

        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        major = checks.text(roles["major"], required=True)
        minor = checks.text(roles["minor"], required=True)
        if level == "lsoa":
            area_code = checks.lsoa(roles["lsoa_code"])
            checks.reject(
                ~pc.is_valid(area_code).to_numpy(zero_copy_only=False),
                roles["lsoa_code"],
                area_code,
                "LSOA code is empty; every row needs one",
            )
            area_name = checks.text(roles.get("lsoa_name", roles["lsoa_code"]))
        elif level == "ward":
            area_code = checks.text(roles["ward_code"], required=True)
            area_name = checks.text(roles.get("ward_name", roles["ward_code"]))
        else:
            area_name = checks.text(roles["borough"], required=True)
            area_code = _borough_codes(area_name)
        raw_borough = checks.text(roles["borough"]) if "borough" in roles else pa.nulls(len(major), pa.string())
        b_code = _borough_codes(raw_borough)
        b_name = pa.array(
            [
                LONDON_BOROUGHS.get(c) if c else n
                for c, n in zip(b_code.to_pylist(), raw_borough.to_pylist(), strict=True)
            ],
            pa.string(),
        )
        counts = np.zeros((parsed.table.num_rows, len(month_columns)), dtype=np.int64)
        for j, column in enumerate(month_columns):
            counts[:, j] = checks.count(column)
        if level != "borough" and area_name.null_count:
            area_name = pc.coalesce(area_name, area_code)

        keep = ~checks.rejected
        kept_index = np.flatnonzero(keep)
        k = len(month_columns)
        months = [dt.date(int(c[:4]), int(c[4:6]), 1) for c in (m.strip() for m in month_columns)]
        take = pa.array(np.repeat(kept_index, k))
        lines = parsed.table.column("__line").take(take)
        rows = pa.table(
            {
                "line": lines,
                "kind": pa.array([kind] * len(take), pa.string()),
                "level": pa.array([level] * len(take), pa.string()),
                "area_code": area_code.take(take),
                "area_name": area_name.take(take),
                "borough_code": b_code.take(take),
                "borough_name": b_name.take(take),
                "month": pa.array(np.tile(np.array(months, dtype="datetime64[D]"), len(kept_index)), pa.date32()),
                "major": major.take(take),
                "minor": minor.take(take),
                "count": pa.array(counts[keep].ravel()),
            }
        )
        rejects = pa.concat_tables([parsed.malformed, checks.rejects()]).sort_by("line")
        return Load(
            kind=kind,
            source_path=str(inp.source.path),
            member=inp.source.member,
            sha256=inp.sha256,
            bytes=inp.stored_bytes,
            rows_read=parsed.rows_read,
            batches=[Batch("area_counts", rows, ("kind", "month"))],
            rejects=rejects,
            months=months,
        )


def _borough_codes(names: pa.ChunkedArray | pa.Array) -> pa.Array:
    """GSS codes for borough names or codes (null where a name is not a London borough)."""
    lookup = {name: borough_code(name) for name in pc.unique(names).to_pylist() if name}
    return pa.array([lookup.get(n) if n else None for n in names.to_pylist()], pa.string())
