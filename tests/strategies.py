"""Hypothesis strategies for police.uk rows: valid ones, and ones broken in exactly one known way."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hypothesis import strategies as st

from metforward.domain.categories import CRIME_TYPES
from metforward.ingest.readers.policeuk import STREET

months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2011, 2030), st.integers(1, 12))
"""Months as police.uk writes them: ``YYYY-MM``."""

crime_ids = st.text("0123456789abcdef", min_size=64, max_size=64)
"""police.uk crime ids: 64 hex characters."""

#: Free text with the characters that need CSV quoting, and non-ASCII letters; no line breaks.
free_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40).map(
    str.strip
)

lsoa_codes = st.integers(0, 999_999).map(lambda n: f"E01{n:06d}")


@st.composite
def coordinates(draw: st.DrawFn) -> tuple[str, str]:
    """London longitude and latitude with six decimals, or both empty (no location)."""
    if draw(st.booleans()):
        return "", ""
    lon = draw(st.floats(-0.51, 0.33, allow_nan=False))
    lat = draw(st.floats(51.28, 51.70, allow_nan=False))
    return f"{lon:.6f}", f"{lat:.6f}"


@st.composite
def street_rows(draw: st.DrawFn, month: str | None = None) -> dict[str, str]:
    """A valid police.uk street-level row (anti-social behaviour rows have no crime id)."""
    crime_type = draw(st.sampled_from(sorted(CRIME_TYPES)))
    lon, lat = draw(coordinates())
    has_lsoa = bool(lon) and draw(st.booleans())
    return {
        "Crime ID": "" if crime_type == "Anti-social behaviour" else draw(crime_ids),
        "Month": month or draw(months),
        "Reported by": "Metropolitan Police Service",
        "Falls within": "Metropolitan Police Service",
        "Longitude": lon,
        "Latitude": lat,
        "Location": draw(free_text) if lon else "No location",
        "LSOA code": draw(lsoa_codes) if has_lsoa else "",
        "LSOA name": draw(free_text) if has_lsoa else "",
        "Crime type": crime_type,
        "Last outcome category": draw(st.sampled_from(["", "Under investigation", "Status update unavailable"])),
        "Context": draw(free_text),
    }


@dataclass(frozen=True)
class Broken:
    """A row with one fault, the field the fault is in (None: the row's shape) and a fragment of the reason."""

    row: list[str]
    field: str | None
    reason: str


_FAULTS = [
    ("Month", lambda r: "2024-13", "bad month"),
    ("Longitude", lambda r: "west", "bad number in Longitude"),
    ("Crime type", lambda r: "Jaywalking", "unknown value in Crime type"),
    ("LSOA code", lambda r: "X01", "bad LSOA code"),
]


@st.composite
def broken_street_rows(draw: st.DrawFn) -> Broken:
    """A valid street row with exactly one fault the readers must reject."""
    row = draw(street_rows())
    kind = draw(st.integers(0, len(_FAULTS) + 1))
    values = [row[c] for c in STREET]
    if kind == len(_FAULTS):
        return Broken([*values, "extra"], None, "wrong number of fields")
    if kind == len(_FAULTS) + 1:
        return Broken(values[:-2], None, "wrong number of fields")
    field, fault, reason = _FAULTS[kind]
    if field == "Longitude" and not row["Latitude"]:
        row["Latitude"] = "51.5"
    row[field] = fault(row)
    return Broken([row[c] for c in STREET], field, reason)


def to_csv(header: list[str], rows: list[list[str]], *, bom: bool = False, crlf: bool = False) -> bytes:
    """Rows written as police.uk does (quoted only where needed), optionally with a BOM or CRLF endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")
