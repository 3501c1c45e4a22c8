"""Vectorised row checks: each input row is loaded or rejected once, with its first fault.

A :class:`RowChecks` walks the columns of a parsed file in order. Each check marks the rows
that fail it (among those not already rejected) and records line, field, value and reason.
Parsed values come back as Arrow arrays with nulls where the input was empty or rejected.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.ingest.csvtable import LINE, empty_rejects

_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_INTEGER = r"^\d{1,18}(\.0+)?$"  # at most 18 digits: fits int64
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_LSOA = r"^[EW]01\d{6}$"

#: A box around Great Britain, Northern Ireland and the Channel Islands (WGS84 degrees).
UK_LATITUDE = (49.0, 61.0)
UK_LONGITUDE = (-8.7, 2.0)


def _mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow boolean array as a NumPy bool array, nulls as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


class RowChecks:
    """Checks over one parsed table; collects rejects."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.rejected = np.zeros(table.num_rows, dtype=bool)
        self._lines = table.column(LINE).to_numpy()
        self._parts: list[pa.Table] = []

    def reject(self, failed: np.ndarray, field: str | None, values: pa.ChunkedArray | None, reason: str) -> None:
        """Reject the rows in ``failed`` not already rejected, naming ``field`` and ``reason``."""
        new = failed & ~self.rejected
        if not new.any():
            return
        index = np.flatnonzero(new)
        shown = (
            pc.utf8_slice_codeunits(values.take(pa.array(index)), 0, 200)
            if values is not None
            else pa.nulls(len(index), pa.string())
        )
        self._parts.append(
            pa.table(
                {
                    "line": pa.array(self._lines[index]),
                    "field": pa.array([field] * len(index), pa.string()),
                    "value": shown,
                    "reason": pa.array([reason] * len(index), pa.string()),
                }
            )
        )
        self.rejected |= new

    def column(self, name: str) -> pa.ChunkedArray:
        """The raw string column ``name``."""
        return self.table.column(name)

    def text(self, name: str, *, required: bool = False) -> pa.ChunkedArray:
        """A text column, trimmed; empty is null (rejected when ``required``)."""
        values = pc.utf8_trim_whitespace(self.column(name))
        empty = pc.equal(values, "")
        if required:
            self.reject(_mask(empty), name, values, f"{name} is empty; every row needs one")
        return pc.if_else(empty, pa.scalar(None, pa.string()), values)

    def number(self, name: str, *, bounds: tuple[float, float] | None = None) -> pa.ChunkedArray:
        """A decimal column as float64; empty is null, anything else that is not a number is rejected."""
        raw = self.column(name)
        trimmed = pc.utf8_trim_whitespace(raw)
        empty = _mask(pc.equal(trimmed, ""))
        good = _mask(pc.match_substring_regex(raw, _NUMBER))
        self.reject(~empty & ~good, name, raw, f"bad number in {name}")
        values = pc.cast(pc.if_else(pa.array(good), trimmed, None), pa.float64())
        if bounds is not None:
            low, high = bounds
            outside = _mask(pc.or_(pc.less(values, low), pc.greater(values, high)))
            self.reject(outside, name, raw, f"{name} out of range (expected {low} to {high})")
        return values

    def coordinates(self, lon_name: str, lat_name: str) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        """Longitude and latitude: both empty is "no location"; one alone, or outside the UK, is rejected."""
        lon = self.number(lon_name)
        lat = self.number(lat_name)
        lon_null = _mask(pc.is_null(lon))
        lat_null = _mask(pc.is_null(lat))
        pair = pc.binary_join_element_wise(self.column(lon_name), self.column(lat_name), ",")
        both = f"{lon_name},{lat_name}"
        self.reject(lon_null ^ lat_null, both, pair, f"only one of {lon_name} and {lat_name} is given")
        outside = _mask(
            pc.or_(
                pc.or_(pc.less(lat, UK_LATITUDE[0]), pc.greater(lat, UK_LATITUDE[1])),
                pc.or_(pc.less(lon, UK_LONGITUDE[0]), pc.greater(lon, UK_LONGITUDE[1])),
            )
        )
        self.reject(
            outside,
            both,
            pair,
            f"coordinates out of range: ({lon_name}, {lat_name}) must lie in the UK "
            f"(longitude {UK_LONGITUDE[0]} to {UK_LONGITUDE[1]}, latitude {UK_LATITUDE[0]} to {UK_LATITUDE[1]})",
        )
        keep = pa.array(~(lon_null | lat_null) & ~outside)
        return pc.if_else(keep, lon, None), pc.if_else(keep, lat, None)

    def month(self, name: str) -> pa.ChunkedArray:
        """A ``YYYY-MM`` column as date32 (first of the month); anything else is rejected."""
        raw = pc.utf8_trim_whitespace(self.column(name))
        good = _mask(pc.match_substring_regex(raw, _MONTH))
        self.reject(~good, name, raw, f"bad month in {name} (expected YYYY-MM, e.g. 2024-01)")
        padded = pc.binary_join_element_wise(pc.if_else(pa.array(good), raw, "1970-01"), "01", "-")
        return pc.cast(pc.cast(pc.strptime(padded, "%Y-%m-%d", "s"), pa.date32()), pa.date32())

    def count(self, name: str) -> np.ndarray:
        """A count column (a whole number, 0 or more) as int64; anything else is rejected (as 0)."""
        raw = pc.utf8_trim_whitespace(self.column(name))
        good = _mask(pc.match_substring_regex(raw, _INTEGER))
        self.reject(~good, name, raw, f"bad count in {name} (expected a whole number, 0 or more)")
        whole = pc.replace_substring_regex(raw, r"\.0+$", "")
        values = pc.cast(pc.if_else(pa.array(good), whole, "0"), pa.int64())
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)

    def choice(self, name: str, allowed: Collection[str], *, required: bool = True) -> pa.ChunkedArray:
        """A column whose values must come from ``allowed`` (empty allowed unless ``required``)."""
        values = self.text(name, required=required)
        known = _mask(pc.is_in(values, pa.array(sorted(allowed), pa.string())))
        present = _mask(pc.is_valid(values))
        shown = ", ".join(sorted(allowed))
        self.reject(present & ~known, name, values, f"unknown value in {name} (expected one of: {shown})")
        return values

    def boolean(self, name: str) -> pa.ChunkedArray:
        """A ``True``/``False`` column (empty is null)."""
        values = pc.utf8_lower(self.text(name))
        present = _mask(pc.is_valid(values))
        known = _mask(pc.is_in(values, pa.array(["true", "false"])))
        self.reject(present & ~known, name, self.column(name), f"{name} must be True, False or empty")
        return pc.equal(values, "true")

    def lsoa(self, name: str) -> pa.ChunkedArray:
        """An LSOA code column (empty allowed: no location); malformed codes are rejected."""
        values = self.text(name)
        present = _mask(pc.is_valid(values))
        good = _mask(pc.match_substring_regex(values, _LSOA))
        self.reject(present & ~good, name, values, f"bad LSOA code in {name} (expected E01nnnnnn or W01nnnnnn)")
        return values

    def rejects(self) -> pa.Table:
        """All rejects so far, in line order."""
        if not self._parts:
            return empty_rejects()
        return pa.concat_tables(self._parts).sort_by("line")

    def keep(self, columns: dict[str, pa.ChunkedArray | pa.Array | pa.Scalar]) -> pa.Table:
        """The rows not rejected, as a table of ``columns`` (scalars are broadcast), with ``line``."""
        n = self.table.num_rows
        out: dict[str, pa.Array | pa.ChunkedArray] = {"line": self.table.column(LINE)}
        for name, value in columns.items():
            out[name] = pa.repeat(value, n) if isinstance(value, pa.Scalar) else value
        table = pa.table(out)
        return table.filter(pa.array(~self.rejected)) if self.rejected.any() else table
