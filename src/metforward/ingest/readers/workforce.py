"""The two known police workforce files that ``metforward ingest`` recognises by their header.

* MOPAC / London Datastore "Police force strength": Met-wide FTE by month;
* the Home Office police workforce tables as a long extract.

Both are read as monthly indicators by :func:`.indicators.read_indicators`.
"""

from __future__ import annotations

from metforward.ingest.readers.base import ReadOptions, same_columns
from metforward.ingest.readers.indicators import DEFAULT_AREA, IndicatorOptions, read_indicators
from metforward.ingest.sources import InputData
from metforward.store.loading import Load

MOPAC_STRENGTH_HEADER = ["Date", "Police Officer Strength", "Police Staff Strength", "PCSO Strength"]
HOME_OFFICE_WORKFORCE_HEADER = ["source_file", "table", "measure", "unit", "area", "as_at", "value"]


class MopacStrengthReader:
    """MOPAC / London Datastore "Police force strength": Met-wide FTE by month (``Date`` as Mon-YY)."""

    kind = "mopac-strength"
    description = "MOPAC police force strength: Date, Police Officer Strength, Police Staff Strength, PCSO Strength"

    def matches(self, header: list[str]) -> bool:
        """The MOPAC header exactly."""
        return same_columns(header, MOPAC_STRENGTH_HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Three indicators for the Met, unit FTE."""
        return read_indicators(
            inp,
            header,
            IndicatorOptions(unit="FTE", area=DEFAULT_AREA, source=f"MOPAC police force strength ({inp.source.name})"),
            kind=self.kind,
        )


class HomeOfficeWorkforceReader:
    """Home Office police workforce tables as a long extract (``source_file, table, measure, unit, area, as_at, value``)."""

    kind = "homeoffice-workforce"
    description = "Home Office police workforce extract: source_file, table, measure, unit, area, as_at, value"

    def matches(self, header: list[str]) -> bool:
        """The extract's header exactly."""
        return same_columns(header, HOME_OFFICE_WORKFORCE_HEADER)

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One indicator per measure and unit (``Special constables (headcount)``) and area."""
        return read_indicators(inp, header, IndicatorOptions(), kind=self.kind)
