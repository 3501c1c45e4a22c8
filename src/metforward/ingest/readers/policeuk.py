"""police.uk CSV formats: street-level crime, outcomes, and stop and search.

Column layouts as documented at data.police.uk/about/#columns. A fourth layout, the derived
London all-crime points (Month, Longitude, Latitude, Location, LSOA code, Crime type), is read
as street data with the other columns empty.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.categories import ALL_CRIME_TYPES, SEARCH_TYPES
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions, file_force, file_month, police_load, same_columns
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Load

STREET = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
STREET_POINTS = ["Month", "Longitude", "Latitude", "Location", "LSOA code", "Crime type"]
OUTCOMES = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
]
STOP_AND_SEARCH = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]


def _null_strings(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


class StreetReader:
    """police.uk street-level crime files (``YYYY-MM-<force>-street.csv``)."""

    kind = "street"
    description = "police.uk street-level crime (" + ",".join(STREET) + ")"

    def matches(self, header: list[str]) -> bool:
        """The full street layout."""
        return same_columns(header, STREET)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Read, check and standardise every row."""
        parsed = parse_csv(inp.data, STREET)
        checks = RowChecks(parsed.table)
        month = checks.month("Month")
        the_month = file_month(inp, checks, month, "Month", options)
        lon, lat = checks.coordinates("Longitude", "Latitude")
        lsoa = checks.lsoa("LSOA code")
        crime_type = checks.choice("Crime type", ALL_CRIME_TYPES)
        reported_by = checks.text("Reported by")
        force = file_force(inp, options, reported_by)
        rows = checks.keep(
            {
                "crime_id": checks.text("Crime ID"),
                "month": month,
                "force": pa.scalar(force),
                "reported_by": reported_by,
                "falls_within": checks.text("Falls within"),
                "longitude": lon,
                "latitude": lat,
                "location": checks.text("Location"),
                "lsoa_code": lsoa,
                "lsoa_name": checks.text("LSOA name"),
                "crime_type": crime_type,
                "last_outcome": checks.text("Last outcome category"),
                "context": checks.text("Context"),
            }
        )
        return police_load(self.kind, "crimes", inp, parsed, rows, checks.rejects(), force, the_month)


class StreetPointsReader:
    """Street-level points reduced to six columns (the corpus's derived all-crime London files)."""

    kind = "street"
    description = "police.uk street points (" + ",".join(STREET_POINTS) + ")"

    def matches(self, header: list[str]) -> bool:
        """The six-column reduced layout."""
        return same_columns(header, STREET_POINTS)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Read as street data; the force comes from ``--force`` or the file name."""
        parsed = parse_csv(inp.data, STREET_POINTS)
        checks = RowChecks(parsed.table)
        month = checks.month("Month")
        the_month = file_month(inp, checks, month, "Month", options)
        lon, lat = checks.coordinates("Longitude", "Latitude")
        lsoa = checks.lsoa("LSOA code")
        crime_type = checks.choice("Crime type", ALL_CRIME_TYPES)
        force = file_force(inp, options)
        n = parsed.table.num_rows
        rows = checks.keep(
            {
                "crime_id": _null_strings(n),
                "month": month,
                "force": pa.scalar(force),
                "reported_by": _null_strings(n),
                "falls_within": _null_strings(n),
                "longitude": lon,
                "latitude": lat,
                "location": checks.text("Location"),
                "lsoa_code": lsoa,
                "lsoa_name": _null_strings(n),
                "crime_type": crime_type,
                "last_outcome": _null_strings(n),
                "context": _null_strings(n),
            }
        )
        return police_load(self.kind, "crimes", inp, parsed, rows, checks.rejects(), force, the_month)


class OutcomesReader:
    """police.uk outcomes files (``YYYY-MM-<force>-outcomes.csv``)."""

    kind = "outcomes"
    description = "police.uk outcomes (" + ",".join(OUTCOMES) + ")"

    def matches(self, header: list[str]) -> bool:
        """The outcomes layout."""
        return same_columns(header, OUTCOMES)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Read, check and standardise every row; each needs a Crime ID and an outcome."""
        parsed = parse_csv(inp.data, OUTCOMES)
        checks = RowChecks(parsed.table)
        crime_id = checks.text("Crime ID", required=True)
        month = checks.month("Month")
        the_month = file_month(inp, checks, month, "Month", options)
        lon, lat = checks.coordinates("Longitude", "Latitude")
        lsoa = checks.lsoa("LSOA code")
        outcome = checks.text("Outcome type", required=True)
        reported_by = checks.text("Reported by")
        force = file_force(inp, options, reported_by)
        rows = checks.keep(
            {
                "crime_id": crime_id,
                "month": month,
                "force": pa.scalar(force),
                "reported_by": reported_by,
                "falls_within": checks.text("Falls within"),
                "longitude": lon,
                "latitude": lat,
                "location": checks.text("Location"),
                "lsoa_code": lsoa,
                "lsoa_name": checks.text("LSOA name"),
                "outcome_type": outcome,
            }
        )
        return police_load(self.kind, "outcomes", inp, parsed, rows, checks.rejects(), force, the_month)


_ISO_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"


class StopAndSearchReader:
    """police.uk stop-and-search files (``YYYY-MM-<force>-stop-and-search.csv``).

    The file has no force column: the force comes from ``--force`` or the file name. The
    month of a search is its date in London time (police.uk's files are cut that way: a
    search at 23:00 UTC on 31 March 2015 is in the April 2015 file).
    """

    kind = "stop-and-search"
    description = "police.uk stop and search (" + ",".join(STOP_AND_SEARCH) + ")"

    def matches(self, header: list[str]) -> bool:
        """The stop-and-search layout."""
        return same_columns(header, STOP_AND_SEARCH)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Read, check and standardise every row."""
        force = file_force(inp, options)
        parsed = parse_csv(inp.data, STOP_AND_SEARCH)
        checks = RowChecks(parsed.table)
        search_type = checks.choice("Type", SEARCH_TYPES)
        occurred = self._timestamps(checks)
        lon, lat = checks.coordinates("Longitude", "Latitude")
        local = pc.local_timestamp(pc.cast(occurred, pa.timestamp("s", tz="Europe/London")))  # London wall time
        month = pc.cast(pc.floor_temporal(local, unit="month"), pa.date32())
        the_month = file_month(inp, checks, month, "Date", options)
        rows = checks.keep(
            {
                "force": pa.scalar(force),
                "month": month,
                "search_type": search_type,
                "occurred_at": occurred,
                "part_of_operation": checks.boolean("Part of a policing operation"),
                "operation": checks.text("Policing operation"),
                "latitude": lat,
                "longitude": lon,
                "gender": checks.text("Gender"),
                "age_range": checks.text("Age range"),
                "self_defined_ethnicity": checks.text("Self-defined ethnicity"),
                "officer_defined_ethnicity": checks.text("Officer-defined ethnicity"),
                "legislation": checks.text("Legislation"),
                "object_of_search": checks.text("Object of search"),
                "outcome": checks.text("Outcome"),
                "outcome_linked": checks.boolean("Outcome linked to object of search"),
                "removal_of_clothing": checks.boolean("Removal of more than just outer clothing"),
                "lsoa_code": pa.nulls(parsed.table.num_rows, pa.string()),
            }
        )
        return police_load(self.kind, "searches", inp, parsed, rows, checks.rejects(), force, the_month)

    @staticmethod
    def _timestamps(checks: RowChecks) -> pa.ChunkedArray:
        raw = pc.utf8_trim_whitespace(checks.column("Date"))
        good = pc.fill_null(pc.match_substring_regex(raw, _ISO_TIME), False)
        checks.reject(
            ~good.to_numpy(zero_copy_only=False),
            "Date",
            raw,
            "bad date in Date (expected ISO 8601, e.g. 2024-01-31T23:00:00+00:00)",
        )
        text = pc.if_else(good, raw, "1970-01-01T00:00:00+00:00")
        # Every text now matches _ISO_TIME: 19 characters of date and time, then an optional fraction
        # and zone. A file holds a handful of distinct tails ("+00:00", "+01:00"): each is normalised
        # once, through the dictionary, rather than every row through a chain of regex passes.
        tails = pc.dictionary_encode(pc.utf8_slice_codeunits(text, 19)).combine_chunks()
        zones = pa.array([_utc_offset(tail) for tail in tails.dictionary.to_pylist()], pa.string())
        stamp = pc.utf8_slice_codeunits(text, 0, 19)
        joined = pc.binary_join_element_wise(stamp, zones.take(tails.indices), "")
        # a date-time is real only if it parses and prints back the same (30 February would roll on to
        # 1 March; month 13, hour 25 or a zone of +99:99 do not parse): such a row is rejected, not moved
        naive = pc.strptime(stamp, "%Y-%m-%dT%H:%M:%S", "s", error_is_null=True)
        same = pc.fill_null(pc.equal(pc.strftime(naive, format="%Y-%m-%dT%H:%M:%S"), stamp), False)
        parsed = pc.strptime(joined, "%Y-%m-%dT%H:%M:%S%z", "s", error_is_null=True)
        real = pc.and_(same, pc.is_valid(parsed))
        checks.reject(
            ~real.to_numpy(zero_copy_only=False),
            "Date",
            raw,
            "impossible date or time in Date (e.g. 30 February, month 13, hour 25, or a bad time zone)",
        )
        return parsed


def _utc_offset(tail: str) -> str:
    """The zone of an ISO 8601 time's tail after the seconds (``.123Z``, ``+01:00``, empty) as ``+hhmm``.

    The fraction of a second is dropped; no zone and ``Z`` are UTC.
    """
    zone = re.sub(r"^\.\d+", "", tail)
    return "+0000" if zone in ("", "Z") else zone.replace(":", "")
