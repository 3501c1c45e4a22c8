"""The cells of a monthly indicator file: an area's name or code, a month in one of five forms, a number.

Dates are read in exactly these forms: ``YYYY-MM``, ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``Mon-YY``
(``May-13`` is May 2013: two-digit years are 2000 + YY) and ``Mon-YYYY``; anything else
(``05/13``, ``1/2/13``, ``2013/05``) is unrecognised or ambiguous. Numbers may carry thousands
separators (``6,700``); ``..`` (the Home Office's "not available") is named as such. Used by
:mod:`.indicators`, which reads whole files.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DATE_FORMS: list[tuple[str, re.Pattern[str]]] = [
    ("YYYY-MM", re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")),
    ("YYYY-MM-DD", re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")),
    ("DD/MM/YYYY", re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$")),
    ("Mon-YY", re.compile(r"^(?P<mon>[A-Za-z]{3,9})[- ](?P<yy>\d{2})$")),
    ("Mon-YYYY", re.compile(r"^(?P<mon>[A-Za-z]{3,9})[- ](?P<y>\d{4})$")),
]
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_GROUPED_NUMBER = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NOT_AVAILABLE = {"..", ":", "x", "[x]", "[c]"}


def parse_date(text: str) -> tuple[dt.date | None, str | None, str | None]:
    """``(first day of the month, form, problem)``: exactly one of month and problem is set."""
    value = text.strip()
    if not value:
        return None, None, "date is empty; every row needs one"
    for form, pattern in _DATE_FORMS:
        match = pattern.match(value)
        if match is None:
            continue
        groups = match.groupdict()
        if "mon" in groups and groups["mon"] is not None:
            month = _MONTHS.get(groups["mon"].lower())
            if month is None:
                return None, form, f"unknown month name {groups['mon']!r} (expected Jan .. Dec)"
            year = 2000 + int(groups["yy"]) if groups.get("yy") else int(groups["y"])
            return dt.date(year, month, 1), form, None
        year, month = int(groups["y"]), int(groups["m"])
        day = int(groups.get("d") or 1)
        try:
            dt.date(year, month, day)
        except ValueError:
            return None, form, f"not a real date in the form {form}"
        return dt.date(year, month, 1), form, None
    return (
        None,
        None,
        (
            "unrecognised or ambiguous date (expected YYYY-MM, YYYY-MM-DD, DD/MM/YYYY, Mon-YY or Mon-YYYY; "
            "two-digit years only as Mon-YY)"
        ),
    )


def parse_number(text: str) -> tuple[float | None, str | None]:
    """``(value, problem)``; an empty cell is ``(None, None)``."""
    value = text.strip()
    if not value:
        return None, None
    if value in _NOT_AVAILABLE:
        return None, f"not available ({value!r} in the publisher's table)"
    if _PLAIN_NUMBER.match(value):
        return float(value), None
    if _GROUPED_NUMBER.match(value):
        return float(value.replace(",", "")), None
    return None, "bad number (expected e.g. 6700, 6,700 or 31181.5)"
