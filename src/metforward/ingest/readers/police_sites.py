"""Where the public can reach the police: the MOPAC 2013 front-counter list and police station locations.

* ``name, local authority, longitude, latitude, status, current, proposed`` (kind
  ``front-counters``): MOPAC's 2013 Public Access and Engagement Strategy, each Metropolitan Police
  front counter with its borough, WGS84 position, whether it was kept or cut (``status``), and its
  opening before (``current``: ``24HR``, ``DAY TIME``, ``VOLUNTEER``, ``TEMPORARY`` or ``CLOSED``)
  and after the closures (``proposed``). The published file has classic-Mac line endings (CR only),
  which :func:`metforward.ingest.csvtable.decode_header` and the CSV parser read.
* ``Station, Latitude, Longitude`` (kind ``police-stations``): a list of police stations with their
  WGS84 positions.

Every row is loaded or rejected with its first bad cell (a position outside the UK, a missing one,
an unknown status). A later load replaces the rows of the same names.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metforward.domain.areas import borough_code
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions, same_columns
from metforward.ingest.readers.gss import area_load, csv_rejects
from metforward.ingest.sources import InputData
from metforward.ingest.validate import RowChecks
from metforward.store.loading import Batch, Load

COUNTERS_HEADER = ["name", "local authority", "longitude", "latitude", "status", "current", "proposed"]
STATIONS_HEADER = ["Station", "Latitude", "Longitude"]
STATUSES = ("keep", "cut")


def _required_position(checks: RowChecks, lon: str, lat: str) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Both coordinates, in the UK; a row without them is rejected (a site must have a place)."""
    longitude, latitude = checks.coordinates(lon, lat)
    missing = np.asarray(pc.is_null(longitude).to_numpy(zero_copy_only=False), dtype=bool)
    checks.reject(missing, f"{lon},{lat}", None, f"{lon} and {lat} are empty; every site needs a position")
    return longitude, latitude


class FrontCountersReader:
    """MOPAC 2013: Metropolitan Police front counters kept or cut, with their opening before and after."""

    kind = "front-counters"
    description = (
        "MOPAC 2013 police front counters kept or cut "
        "(name, local authority, longitude, latitude, status, current, proposed)"
    )

    def matches(self, header: list[str]) -> bool:
        """The list's exact columns (case and surrounding spaces aside)."""
        return same_columns(header, COUNTERS_HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        name = checks.text(header[0], required=True)
        borough = checks.text(header[1], required=True)
        longitude, latitude = _required_position(checks, header[2], header[3])
        status = pc.utf8_lower(checks.text(header[4], required=True))
        known = np.asarray(
            pc.fill_null(pc.is_in(status, pa.array(STATUSES)), True).to_numpy(zero_copy_only=False), dtype=bool
        )
        checks.reject(~known, header[4], status, f"unknown value in {header[4]} (expected keep or cut)")
        current = pc.utf8_upper(checks.text(header[5], required=True))
        proposed = pc.utf8_upper(checks.text(header[6], required=True))
        names = borough.to_pylist()
        rows = checks.keep(
            {
                "name": name,
                "borough_code": pa.array([borough_code(n) if n else None for n in names], pa.string()),
                "borough_name": borough,
                "longitude": longitude,
                "latitude": latitude,
                "status": status,
                "current": current,
                "proposed": proposed,
            }
        )
        return area_load(
            self.kind, inp, parsed.rows_read, [Batch("front_counters", rows, ("name",))], csv_rejects(parsed, checks)
        )


class PoliceStationsReader:
    """Police stations: name and WGS84 position."""

    kind = "police-stations"
    description = "Police station locations (Station, Latitude, Longitude)"

    def matches(self, header: list[str]) -> bool:
        """The list's exact columns (case and surrounding spaces aside)."""
        return same_columns(header, STATIONS_HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Check every cell; keep every good row."""
        parsed = parse_csv(inp.data, header)
        checks = RowChecks(parsed.table)
        name = checks.text(header[0], required=True)
        longitude, latitude = _required_position(checks, header[2], header[1])
        rows = checks.keep({"name": name, "longitude": longitude, "latitude": latitude})
        return area_load(
            self.kind, inp, parsed.rows_read, [Batch("police_stations", rows, ("name",))], csv_rejects(parsed, checks)
        )
