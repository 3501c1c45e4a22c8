"""Hypothesis strategies for the publishers' CSV files: valid rows, rows broken in one known way, whole files.

Modelled on xarray's ``testing/strategies.py``: small strategies that compose, each documented.

* Building blocks: :func:`months`, :func:`crime_ids`, :func:`free_text`, :func:`coordinates`,
  :func:`lsoa_codes`, :func:`search_dates`, :func:`booleans_text`.
* Valid rows, as ``{column: text}`` exactly as the publisher writes them: :func:`street_rows`,
  :func:`street_point_rows`, :func:`outcome_rows`, :func:`search_rows` (one :class:`PoliceFormat`
  each, in :data:`POLICE_FORMATS`), and whole London Datastore wide tables, :func:`wide_tables`.
* Faulty rows: :func:`corrupted_rows` and :func:`corrupted_wide_rows` take a valid row and break
  exactly one field in one of the ways :mod:`metforward.ingest.validate` rejects (or add or drop a
  field), recording which field the reject must name and a fragment of its reason.
* Files: :func:`write_csv` writes rows with the exact header (``csv`` module; optional gzip,
  UTF-8 byte-order mark, CRLF endings, quoting of every field) and reports the physical line each
  row starts on; :func:`csv_options` draws those options.

Strategy factories are cached (:func:`functools.cache`): Hypothesis validates each new strategy
object, and building them afresh inside every draw costs more than the tests themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.categories import CRIME_TYPES, SEARCH_TYPES
from metforward.domain.forces import FORCES
from metforward.ingest.readers.policeuk import OUTCOMES, STOP_AND_SEARCH, STREET, STREET_POINTS

Row = dict[str, str]

# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


@functools.cache
def months(min_year: int = 2010, max_year: int = 2026) -> st.SearchStrategy[str]:
    """Months as police.uk writes them: ``YYYY-MM``."""
    return st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(min_year, max_year), st.integers(1, 12))


@functools.cache
def crime_ids() -> st.SearchStrategy[str]:
    """police.uk crime ids: 64 lower-case hex characters (a SHA-256)."""
    return st.integers(0, 2**256 - 1).map(lambda n: f"{n:064x}")


#: Characters that make a CSV field need quoting, or that publishers' text really holds (drawn often).
AWKWARD = ",\"'; é’–£中🚓\u00a0\u2028"


@functools.cache
def free_text(*, max_size: int = 30, newlines: bool = False, padded: bool = True) -> st.SearchStrategy[str]:
    """Free text: commas, quotes and any non-control Unicode; leading and trailing spaces when ``padded``.

    With ``newlines``, line breaks (``\\n``, or ``\\r\\n`` throughout, never a lone ``\\r``) may appear inside.
    Readers trim text: compare with :func:`trimmed`.
    """
    alphabet = st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n" if newlines else None
    )
    body = st.text(st.one_of(st.sampled_from(AWKWARD), alphabet), max_size=max_size)
    if newlines:
        body = st.builds(lambda t, crlf: t.replace("\n", "\r\n") if crlf else t, body, st.booleans())
    if not padded:
        return body
    pad = st.sampled_from(["", "", "", " ", "  ", "\u00a0"])
    return st.builds(lambda a, b, c: a + b + c, pad, body, pad)


def trimmed(text: str) -> str | None:
    """What the readers make of a text field: surrounding white space removed, empty as None."""
    return text.strip() or None


def _micro(n: int) -> str:
    """Micro-degrees as police.uk writes degrees: six decimals."""
    sign = "-" if n < 0 else ""
    return f"{sign}{abs(n) // 1_000_000}.{abs(n) % 1_000_000:06d}"


#: London's box, in micro-degrees (WGS84).
LONDON_LONGITUDE = (-510_000, 330_000)
LONDON_LATITUDE = (51_280_000, 51_700_000)


@functools.cache
def coordinates(*, allow_empty: bool = True) -> st.SearchStrategy[tuple[str, str]]:
    """``(longitude, latitude)`` inside London's box with six decimals, or both empty (no location)."""
    point = st.tuples(st.integers(*LONDON_LONGITUDE).map(_micro), st.integers(*LONDON_LATITUDE).map(_micro))
    return st.one_of(st.just(("", "")), point) if allow_empty else point


@functools.cache
def lsoa_codes() -> st.SearchStrategy[str]:
    """LSOA codes: ``E01`` (or, rarely, Welsh ``W01``) and six digits."""
    return st.builds(lambda p, n: f"{p}01{n:06d}", st.sampled_from("EEEEW"), st.integers(0, 999_999))


@functools.cache
def search_dates(
    *, zones: tuple[str, ...] = ("+00:00",), fractions: bool = False, month: str | None = None
) -> st.SearchStrategy[tuple[str, dt.datetime]]:
    """Stop-and-search ``Date`` text (``2024-01-31T23:00:00+00:00``) and the instant it names (UTC, whole seconds).

    Half the instants fall within two hours of a month's start, where London time and UTC disagree on the month.

    ``zones`` are the tails to choose from (``+00:00``, ``+01:00``, ``Z``, or ``""`` for none, read
    as UTC); with ``fractions``, a fraction of a second may follow the seconds (readers drop it).
    With ``month`` (``YYYY-MM``), every instant is in that month in London time (as a police.uk
    file of the month holds), half of them within two hours of its start or end.
    """
    if month is not None:
        start, end = (
            dt.datetime(y, m, 1, tzinfo=_LONDON).astimezone(dt.UTC)
            for y, m in (_month_numbers(month), _month_numbers(month, 1))
        )
        span = int((end - start).total_seconds())
        seconds = st.one_of(st.integers(0, span - 1), st.integers(0, 7200), st.integers(span - 7200, span - 1))
        inside = seconds.map(lambda n: start + dt.timedelta(seconds=n))
    anywhere = st.datetimes(min_value=dt.datetime(2010, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59, 59))
    # within two hours of a month's start in UTC: in summer, London's month starts at 23:00 UTC the day before
    near_month_start = st.builds(
        lambda y, m, s: dt.datetime(y, m, 1) + dt.timedelta(seconds=s),
        st.integers(2010, 2026),
        st.integers(1, 12),
        st.integers(-7200, 7200),
    )
    instants = st.one_of(anywhere, near_month_start).map(lambda d: d.replace(microsecond=0, tzinfo=dt.UTC))
    if month is not None:
        instants = inside
    fraction = st.sampled_from(["", ".0", ".123", ".999999"]) if fractions else st.just("")

    def build(instant: dt.datetime, zone: str, frac: str) -> tuple[str, dt.datetime]:
        offset = dt.timedelta(hours=1) if zone == "+01:00" else dt.timedelta(0)
        local = (instant + offset).replace(tzinfo=None)
        return local.strftime("%Y-%m-%dT%H:%M:%S") + frac + zone, instant

    return st.builds(build, instants, st.sampled_from(list(zones)), fraction)


_LONDON = ZoneInfo("Europe/London")


def _month_numbers(month: str, later: int = 0) -> tuple[int, int]:
    """(year, month) of ``YYYY-MM``, ``later`` months on."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + later
    return index // 12, index % 12 + 1


@functools.cache
def booleans_text() -> st.SearchStrategy[str]:
    """police.uk booleans: ``True``, ``False`` or empty (readers ignore case and surrounding space)."""
    return st.sampled_from(["True", "False", "", "true", "FALSE", " True "])


def boolean_value(text: str) -> bool | None:
    """What the readers make of a boolean field."""
    return {"true": True, "false": False}.get(text.strip().lower())


@functools.cache
def _one_of(*values: str) -> st.SearchStrategy[str]:
    """One of ``values``, or empty."""
    return st.sampled_from(["", *values])


@functools.cache
def _sampled(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


@functools.cache
def _maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Empty, or ``strategy``."""
    return st.one_of(st.just(""), strategy)


FORCE_NAMES = sorted(FORCES.values())
LAST_OUTCOMES = [
    "Under investigation",
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Awaiting court outcome",
    "Status update unavailable",
    "Offender given a caution",
    "Local resolution",
    "Court result unavailable",
]
OUTCOME_TYPES = [
    *LAST_OUTCOMES[1:],
    "Suspect charged",
    "Formal action is not in the public interest",
    "Offender fined",
    "Defendant found not guilty",
]

# --------------------------------------------------------------------------------------------
# Valid police.uk rows
# --------------------------------------------------------------------------------------------


_MOSTLY_LSOA = st.one_of(lsoa_codes(), lsoa_codes(), st.just(""))


@functools.cache
@st.composite
def _location(draw: st.DrawFn, /, *, newlines: bool = False) -> tuple[str, str, str, str, str]:
    """Longitude, latitude, location, LSOA code and LSOA name, mostly consistent as police.uk has them."""
    lon, lat = draw(coordinates())
    if lon:
        location = "On or near " + draw(free_text(newlines=newlines, padded=False))
        code = draw(_MOSTLY_LSOA)
        name = draw(free_text(newlines=newlines)) if code else ""
    else:
        location = draw(_sampled("No location", ""))
        code = draw(_maybe(lsoa_codes()))
        name = ""
    return lon, lat, location, code, name


@functools.cache
@st.composite
def street_rows(
    draw: st.DrawFn, /, *, month: str | None = None, force_name: str | None = None, newlines: bool = False
) -> Row:
    """A valid police.uk street-level row. Anti-social behaviour has no crime id and no outcome.

    ``month`` and ``force_name`` fix the month and the reporting force (both drawn otherwise);
    ``newlines`` lets text fields hold line breaks.
    """
    crime_type = draw(_sampled(*sorted(CRIME_TYPES)))
    asb = crime_type == "Anti-social behaviour"
    force = force_name or draw(_sampled(*FORCE_NAMES))
    lon, lat, location, code, name = draw(_location(newlines=newlines))
    return {
        "Crime ID": "" if asb else draw(crime_ids()),
        "Month": month or draw(months()),
        "Reported by": force,
        "Falls within": force,
        "Longitude": lon,
        "Latitude": lat,
        "Location": location,
        "LSOA code": code,
        "LSOA name": name,
        "Crime type": crime_type,
        "Last outcome category": "" if asb else draw(_one_of(*LAST_OUTCOMES)),
        "Context": draw(_maybe(free_text(newlines=newlines))),
    }


@functools.cache
@st.composite
def street_point_rows(draw: st.DrawFn, /, *, month: str | None = None, newlines: bool = False, **_: Any) -> Row:
    """A valid row of the six-column street points layout (``Month, Longitude, ..., Crime type``)."""
    full = draw(street_rows(month=month, newlines=newlines))
    return {column: full[column] for column in STREET_POINTS}


@functools.cache
@st.composite
def outcome_rows(
    draw: st.DrawFn, /, *, month: str | None = None, force_name: str | None = None, newlines: bool = False
) -> Row:
    """A valid police.uk outcomes row: every one has a crime id and an outcome type."""
    force = force_name or draw(_sampled(*FORCE_NAMES))
    lon, lat, location, code, name = draw(_location(newlines=newlines))
    return {
        "Crime ID": draw(crime_ids()),
        "Month": month or draw(months()),
        "Reported by": force,
        "Falls within": force,
        "Longitude": lon,
        "Latitude": lat,
        "Location": location,
        "LSOA code": code,
        "LSOA name": name,
        "Outcome type": draw(_sampled(*OUTCOME_TYPES)),
    }


@functools.cache
def _self_defined(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(_one_of("White - English/Welsh/Scottish/Northern Irish/British", "Other ethnic group"), text)


@functools.cache
def _objects(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(_one_of("Controlled drugs", "Offensive weapons", "Stolen goods"), text)


@functools.cache
@st.composite
def search_rows(
    draw: st.DrawFn,
    /,
    *,
    zones: tuple[str, ...] = ("+00:00",),
    fractions: bool = False,
    newlines: bool = False,
    month: str | None = None,
    **_: Any,
) -> Row:
    """A valid police.uk stop-and-search row (note: Latitude comes before Longitude in this layout).

    With ``month``, the search is of that month in London time.
    """
    date, _instant = draw(search_dates(zones=zones, fractions=fractions, month=month))
    lon, lat = draw(coordinates())
    operation = draw(booleans_text())
    text = free_text(newlines=newlines, max_size=15)
    return {
        "Type": draw(_sampled(*sorted(SEARCH_TYPES))),
        "Date": date,
        "Part of a policing operation": operation,
        "Policing operation": draw(_maybe(text)),
        "Latitude": lat,
        "Longitude": lon,
        "Gender": draw(_one_of("Male", "Female", "Other")),
        "Age range": draw(_one_of("under 10", "10-17", "18-24", "25-34", "over 34")),
        "Self-defined ethnicity": draw(_self_defined(text)),
        "Officer-defined ethnicity": draw(_one_of("White", "Black", "Asian", "Other")),
        "Legislation": draw(
            _one_of(
                "Misuse of Drugs Act 1971 (section 23)",
                "Police and Criminal Evidence Act 1984 (section 1)",
                "Criminal Justice and Public Order Act 1994 (section 60)",
            )
        ),
        "Object of search": draw(_objects(text)),
        "Outcome": draw(_one_of("A no further action disposal", "Arrest", "Community resolution")),
        "Outcome linked to object of search": draw(booleans_text()),
        "Removal of more than just outer clothing": draw(booleans_text()),
    }


# --------------------------------------------------------------------------------------------
# Faults: one field broken the way a validator rejects it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corrupted:
    """A valid row with exactly one fault.

    ``values`` are the fields as written (one more or one fewer than the header for a shape fault);
    ``field`` is what the reject must name (None: the row's shape); ``reason`` is a fragment of the
    reject's reason; ``fault`` names the fault (for failure messages).
    """

    values: list[str]
    field: str | None
    reason: str
    fault: str


#: A fault: given a draw function, a copy of the row (to change in place) and the header, change the
#: row and return (field named by the reject, reason fragment).
FaultFn = Callable[[st.DrawFn, Row, list[str]], tuple[str | None, str]]

BAD_MONTHS = ["2024-13", "2024-00", "2024-1", "24-01", "2024/01", "January 2024", "2024-01-01", "", " "]
BAD_NUMBERS = ["west", "51,5", "0.1.2", "NaN", "inf", "1e", "--0.1", "0x1F", "½", "51.5N"]
BAD_LSOA = ["E0100000", "E010000001", "X01000001", "e01000001", "E02000001", "E01 000001", "LSOA", "S01000001"]
BAD_BOOLEANS = ["Yes", "no", "1", "0", "T", "truee", "N/A"]
BAD_COUNTS = ["-1", "1.5", "abc", "", " ", "1,000", "2e3", "+3", "½"]
#: Dates the ``Date`` check rejects by shape. Calendar-impossible dates of the right shape
#: (2024-02-30, hour 25, offset +99:99) are left out: see INVALID_CALENDAR_DATES.
BAD_DATES = ["2024-01-31", "31/01/2024 23:00", "2024-01-31 23:00:00", "2024-01-31T23:00", "yesterday", "", " "]
#: Right shape, impossible instant: the reader should reject these rows (it does not; see the tests).
INVALID_CALENDAR_DATES = ["2024-02-30T10:00:00+00:00", "2024-13-01T10:00:00+00:00", "2024-02-01T25:00:00+00:00"]


def _set(column: str, values: Sequence[str], reason: str) -> FaultFn:
    choices = st.sampled_from(list(values))

    def fault(draw: st.DrawFn, row: Row, header: list[str]) -> tuple[str | None, str]:
        row[column] = draw(choices)
        return column, reason

    return fault


def _bad_number(column: str) -> FaultFn:
    return _set(column, BAD_NUMBERS, f"bad number in {column}")


_OUTSIDE_UK = st.sampled_from(
    [
        ("51.500000", "-0.100000"),  # swapped
        ("0.000000", "0.000000"),  # null island
        ("-0.100000", "48.900000"),  # France
        ("2.350000", "51.500000"),  # east of the box
        ("-0.100000", "61.100000"),  # north of Shetland
        ("-9.000000", "53.300000"),  # west of Ireland
    ]
)


def _outside_uk(draw: st.DrawFn, row: Row, header: list[str]) -> tuple[str | None, str]:
    row["Longitude"], row["Latitude"] = draw(_OUTSIDE_UK)
    return "Longitude,Latitude", "coordinates out of range"


def _only_one(draw: st.DrawFn, row: Row, header: list[str]) -> tuple[str | None, str]:
    if not row["Longitude"]:
        row["Longitude"], row["Latitude"] = draw(coordinates(allow_empty=False))
    keep = draw(_sampled("Longitude", "Latitude"))
    row["Latitude" if keep == "Longitude" else "Longitude"] = draw(_sampled("", " "))
    return "Longitude,Latitude", "only one of Longitude and Latitude is given"


def _empty(column: str) -> FaultFn:
    return _set(column, ["", " ", "  "], f"{column} is empty; every row needs one")


def _unknown(column: str, allowed: Sequence[str]) -> FaultFn:
    wrong = ["Jaywalking", "Unknown", "-", *(a.lower() for a in allowed), *(a + "s" for a in allowed)]
    return _set(column, [w for w in wrong if w not in allowed], f"unknown value in {column}")


_COORDINATE_FAULTS: list[tuple[str, FaultFn]] = [
    ("bad longitude", _bad_number("Longitude")),
    ("bad latitude", _bad_number("Latitude")),
    ("outside the UK", _outside_uk),
    ("only one coordinate", _only_one),
]
_MONTH_FAULT = ("bad month", _set("Month", BAD_MONTHS, "bad month in Month"))
_LSOA_FAULT = ("bad LSOA code", _set("LSOA code", BAD_LSOA, "bad LSOA code in LSOA code"))


@dataclass(frozen=True, eq=False)
class PoliceFormat:
    """One police.uk CSV layout: its header, valid rows, the faults its reader rejects, where rows go."""

    kind: str  # the load kind (street, outcomes, stop-and-search)
    table: str  # the store table the rows go to
    header: list[str]
    rows: Callable[..., st.SearchStrategy[Row]]
    faults: list[tuple[str, FaultFn]] = field(default_factory=list)

    def file_name(self, month: str = "2024-01", force: str = "metropolitan", *, gz: bool = False) -> str:
        """A data.police.uk file name (the readers take the force from it where the rows do not say)."""
        return f"{month}-{force}-{self.kind}.csv" + (".gz" if gz else "")


STREET_FORMAT = PoliceFormat(
    "street",
    "crimes",
    STREET,
    street_rows,
    [
        _MONTH_FAULT,
        *_COORDINATE_FAULTS,
        _LSOA_FAULT,
        ("unknown crime type", _unknown("Crime type", sorted(CRIME_TYPES))),
        ("empty crime type", _empty("Crime type")),
    ],
)
STREET_POINTS_FORMAT = PoliceFormat(
    "street",
    "crimes",
    STREET_POINTS,
    street_point_rows,
    STREET_FORMAT.faults,
)
OUTCOMES_FORMAT = PoliceFormat(
    "outcomes",
    "outcomes",
    OUTCOMES,
    outcome_rows,
    [
        ("empty crime id", _empty("Crime ID")),
        _MONTH_FAULT,
        *_COORDINATE_FAULTS,
        _LSOA_FAULT,
        ("empty outcome", _empty("Outcome type")),
    ],
)
SEARCH_FORMAT = PoliceFormat(
    "stop-and-search",
    "searches",
    STOP_AND_SEARCH,
    search_rows,
    [
        ("unknown search type", _unknown("Type", sorted(SEARCH_TYPES))),
        ("empty search type", _empty("Type")),
        ("bad date", _set("Date", BAD_DATES, "bad date in Date")),
        *_COORDINATE_FAULTS,
        *(
            (f"bad boolean {name}", _set(name, BAD_BOOLEANS, f"{name} must be True, False or empty"))
            for name in (
                "Part of a policing operation",
                "Outcome linked to object of search",
                "Removal of more than just outer clothing",
            )
        ),
    ],
)

#: Every police.uk layout, by a short name (for test ids).
POLICE_FORMATS: dict[str, PoliceFormat] = {
    "street": STREET_FORMAT,
    "street-points": STREET_POINTS_FORMAT,
    "outcomes": OUTCOMES_FORMAT,
    "stop-and-search": SEARCH_FORMAT,
}


@st.composite
def _shape_fault(draw: st.DrawFn, /, values: list[str]) -> Corrupted:
    """One field added (anywhere) or removed (any one): the reject names no field."""
    width = len(values)
    if draw(st.booleans()):
        at = draw(st.integers(0, width))
        extra = draw(_sampled("", "extra", "0", "a,b"))
        return Corrupted(
            [*values[:at], extra, *values[at:]], None, f"wrong number of fields: expected {width}", "field added"
        )
    at = draw(st.integers(0, width - 1))
    return Corrupted(values[:at] + values[at + 1 :], None, f"wrong number of fields: expected {width}", "field removed")


@functools.cache
@st.composite
def corrupted_rows(draw: st.DrawFn, /, fmt: PoliceFormat, **row_options: Any) -> Corrupted:
    """A valid ``fmt`` row (``row_options`` as for ``fmt.rows``) with exactly one fault its reader rejects.

    The fault is one of ``fmt.faults`` (a field broken) or a field added or removed.
    """
    base = dict(draw(fmt.rows(**row_options)))
    choice = draw(st.integers(0, len(fmt.faults)))
    if choice == len(fmt.faults):
        return draw(_shape_fault([base[c] for c in fmt.header]))
    name, fault = fmt.faults[choice]
    reject_field, reason = fault(draw, base, fmt.header)
    return Corrupted([base[c] for c in fmt.header], reject_field, reason, name)


@functools.cache
@st.composite
def mixed_rows(
    draw: st.DrawFn, /, fmt: PoliceFormat, *, max_size: int = 20, **row_options: Any
) -> list[Row | Corrupted]:
    """Valid rows and corrupted rows of ``fmt`` in any order (possibly all of one kind)."""
    valid = fmt.rows(**row_options)
    return draw(st.lists(st.one_of(valid, corrupted_rows(fmt, **row_options)), max_size=max_size))


# --------------------------------------------------------------------------------------------
# London Datastore wide tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WideLayout:
    """One Datastore layout: identity columns (before the ``YYYYMM`` columns) and their roles."""

    kind: str  # the load kind
    level: str  # borough | ward | lsoa
    columns: list[str]
    roles: dict[str, str]  # role (borough, major, minor, ward_code, ward_name, lsoa_code, lsoa_name) -> column

    @property
    def area_column(self) -> str:
        """The column whose value ``area_counts`` keys the area on (area_name for boroughs, else area_code)."""
        return self.roles[{"borough": "borough", "ward": "ward_code", "lsoa": "lsoa_code"}[self.level]]


WIDE_LAYOUTS: dict[str, WideLayout] = {
    "borough-2008": WideLayout(
        "datastore-borough-2008",
        "borough",
        ["Borough", "Major Category", "Minor Category"],
        {"borough": "Borough", "major": "Major Category", "minor": "Minor Category"},
    ),
    "borough": WideLayout(
        "datastore-borough",
        "borough",
        ["MajorText", "MinorText", "BoroughName"],
        {"major": "MajorText", "minor": "MinorText", "borough": "BoroughName"},
    ),
    "ward": WideLayout(
        "datastore-ward",
        "ward",
        ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"],
        {
            "major": "MajorText",
            "minor": "MinorText",
            "ward_name": "WardName",
            "ward_code": "WardCode",
            "borough": "LookUp_BoroughName",
        },
    ),
    "lsoa": WideLayout(
        "datastore-lsoa",
        "lsoa",
        ["lsoa_code", "lsoa_name", "borough", "major_category", "minor_category"],
        {
            "lsoa_code": "lsoa_code",
            "lsoa_name": "lsoa_name",
            "borough": "borough",
            "major": "major_category",
            "minor": "minor_category",
        },
    ),
}

#: Units the Datastore files carry besides the boroughs.
NON_BOROUGHS = ["Unknown", "London Heathrow and London City Airports", "Aviation Security (SO18)"]
MAJOR_MINOR = [
    ("Violence Against the Person", "Harassment"),
    ("Violence Against the Person", "Wounding/GBH"),
    ("Burglary", "Burglary in a Dwelling"),
    ("Theft and Handling", "Theft From Shops"),
    ("Drugs", "Possession Of Drugs"),
    ("Robbery", "Business Property"),
]


@dataclass(frozen=True)
class WideTable:
    """A Datastore wide file: header (identity columns, then ``YYYYMM`` columns) and rows (``{column: text}``)."""

    layout: WideLayout
    header: list[str]
    rows: list[Row]

    @property
    def month_columns(self) -> tuple[str, ...]:
        """The ``YYYYMM`` columns in file order."""
        return tuple(self.header[len(self.layout.columns) :])


@functools.cache
def wide_months(*, max_size: int = 6) -> st.SearchStrategy[list[str]]:
    """Distinct ``YYYYMM`` month column names, in any order (publishers sort them; readers must not care)."""
    return st.lists(
        st.builds(lambda y, m: f"{y:04d}{m:02d}", st.integers(2008, 2026), st.integers(1, 12)),
        min_size=1,
        max_size=max_size,
        unique=True,
    )


@functools.cache
def counts_text() -> st.SearchStrategy[str]:
    """Monthly counts as written: whole numbers, sometimes as ``12.0``."""
    return st.one_of(
        st.integers(0, 60).map(str),
        st.integers(0, 100_000).map(str),
        st.integers(0, 60).map(lambda n: f"{n}.0"),
    )


_CATEGORIES = st.one_of(st.sampled_from(MAJOR_MINOR), st.tuples(free_text(), free_text()))
_WARD_CODES = st.integers(0, 40).map(lambda n: f"E05{9000 + n:06d}")


@functools.lru_cache(maxsize=64)  # keyed by each table's month columns
@st.composite
def wide_rows(draw: st.DrawFn, /, layout: WideLayout, month_columns: tuple[str, ...]) -> Row:
    """One valid Datastore row of ``layout`` with a count in each month column."""
    borough = draw(_sampled(*LONDON_BOROUGHS.values(), *NON_BOROUGHS))
    major, minor = draw(_CATEGORIES)
    if not major.strip() or not minor.strip():
        major, minor = major + "Other", minor + "Other"  # required: never empty
    values = {
        "borough": borough,
        "major": major,
        "minor": minor,
        "ward_code": draw(_WARD_CODES),
        "ward_name": draw(free_text(max_size=12)),
        "lsoa_code": draw(lsoa_codes()),
        "lsoa_name": draw(free_text(max_size=12)),
    }
    row = {column: values[role] for role, column in layout.roles.items()}
    row.update({month: draw(counts_text()) for month in month_columns})
    return row


@st.composite
def wide_tables(draw: st.DrawFn, /, layout: WideLayout | None = None, *, max_rows: int = 15) -> WideTable:
    """A valid Datastore wide file (``layout`` drawn unless given)."""
    layout = layout or draw(st.sampled_from(list(WIDE_LAYOUTS.values())))
    month_columns = tuple(draw(wide_months()))
    rows = draw(st.lists(wide_rows(layout, month_columns), max_size=max_rows))
    return WideTable(layout, [*layout.columns, *month_columns], rows)


@st.composite
def corrupted_wide_rows(draw: st.DrawFn, /, table: WideTable) -> Corrupted:
    """A valid row of ``table`` with one fault: a bad count, an empty required field, a bad LSOA code, or a field added or removed."""
    base = dict(draw(wide_rows(table.layout, table.month_columns)))
    roles = table.layout.roles

    def bad_count(draw: st.DrawFn, row: Row, header: list[str]) -> tuple[str | None, str]:
        column = draw(st.sampled_from(table.month_columns))
        row[column] = draw(_sampled(*BAD_COUNTS))
        return column, f"bad count in {column}"

    faults: list[tuple[str, FaultFn]] = [
        ("bad count", bad_count),
        ("empty major", _empty(roles["major"])),
        ("empty minor", _empty(roles["minor"])),
    ]
    if table.layout.level == "borough":
        faults.append(("empty borough", _empty(roles["borough"])))
    elif table.layout.level == "ward":
        faults.append(("empty ward code", _empty(roles["ward_code"])))
    else:
        code = roles["lsoa_code"]
        faults.append(("bad LSOA code", _set(code, BAD_LSOA, f"bad LSOA code in {code}")))
        faults.append(("empty LSOA code", _set(code, ["", " "], "LSOA code is empty; every row needs one")))
    choice = draw(st.integers(0, len(faults)))
    if choice == len(faults):
        return draw(_shape_fault([base[c] for c in table.header]))
    name, fault = faults[choice]
    reject_field, reason = fault(draw, base, table.header)
    return Corrupted([base[c] for c in table.header], reject_field, reason, name)


# --------------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    """A CSV file as stored, and the physical line (1-based; the header is line 1) each data row starts on."""

    data: bytes
    lines: list[int]


def write_csv(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    gz: bool = False,
    bom: bool = False,
    crlf: bool = False,
    quote_all: bool = False,
) -> CsvFile:
    """Rows written with the ``csv`` module under exactly ``header``, quoted where needed (or everywhere).

    ``gz`` gzips the bytes; ``bom`` starts the file with a UTF-8 byte-order mark; ``crlf`` ends lines
    with CR LF. Any field holding a line break is quoted (the ``csv`` module quotes only the
    characters of its own line terminator, so each row is written with CR LF and re-ended).
    """
    eol = "\r\n" if crlf else "\n"
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    parts: list[str] = []
    lines: list[int] = []
    line = 1
    for index, record in enumerate([header, *rows]):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n", quoting=quoting).writerow(record)
        text = buffer.getvalue().removesuffix("\r\n") + eol
        if index:
            lines.append(line)
        line += text.count("\n")
        parts.append(text)
    data = (("\ufeff" if bom else "") + "".join(parts)).encode("utf-8")
    return CsvFile(gzip.compress(data, mtime=0) if gz else data, lines)


@functools.cache
def csv_options() -> st.SearchStrategy[dict[str, bool]]:
    """Keyword arguments for :func:`write_csv`: gzip, byte-order mark, CRLF, quote everything."""
    return st.fixed_dictionaries(
        {"gz": st.booleans(), "bom": st.booleans(), "crlf": st.booleans(), "quote_all": st.booleans()}
    )


def row_values(row: Row | Corrupted, header: Sequence[str]) -> list[str]:
    """The fields of a valid row (in ``header`` order) or of a corrupted one (as they are)."""
    return row.values if isinstance(row, Corrupted) else [row[c] for c in header]
