"""What the PAS survey readers share: the rows and rejects of one file, and reading its dates, numbers and areas.

Used by :mod:`.survey` (the PAS dashboard and London-wide series) and
:mod:`.survey_neighbourhood` (the neighbourhood tables).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from metforward.domain.areas import borough_code
from metforward.ingest.csvtable import LINE, ParsedCsv
from metforward.ingest.sources import InputData
from metforward.store.loading import TABLES, Batch, Load

#: The area code (and name) of London-wide figures: the Metropolitan Police area, published as ``MPS``.
LONDON = "London"
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_NUMBER = re.compile(r"^[-+]?(\d+([.,]\d*)?|[.,]\d+)$")
#: Cells that hold no figure.
MISSING = {"", "n/a", "na", "-", ".."}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return _add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)


def rolling_year_start(end: dt.date) -> dt.date:
    """First day of the 12 months ending on ``end`` (a month end)."""
    return _add_months(dt.date(end.year, end.month, 1), -11)


def decimal(text: str) -> float | None:
    """A number that may use a decimal comma (``"0,56"``); None when it is not a number."""
    value = text.strip()
    if not _NUMBER.match(value):
        return None
    return float(value.replace(",", "."))


@dataclass
class SurveyRows:
    """Survey rows and rejects collected while reading one file."""

    dataset: str
    rows: dict[str, list[object]] = field(default_factory=lambda: {c: [] for c in TABLES["survey"]})
    reject_rows: dict[str, list[object]] = field(
        default_factory=lambda: {"line": [], "field": [], "value": [], "reason": []}
    )

    def add(self, **values: object) -> None:
        values.setdefault("dataset", self.dataset)
        for column in ("neighbourhood", "response", "n", "successes"):
            values.setdefault(column, None)
        values.setdefault("group_name", "all")
        for column, items in self.rows.items():
            items.append(values[column])

    def add_rolling_year(self, *, end: dt.date, **values: object) -> None:
        """A figure for the 12 months ending on ``end`` (the PAS dashboards' rolling year)."""
        self.add(period_start=rolling_year_start(end), period_end=end, period_kind="rolling-12m", **values)

    def reject(self, line: int, field_name: str | None, value: str | None, reason: str) -> None:
        self.reject_rows["line"].append(line)
        self.reject_rows["field"].append(field_name)
        self.reject_rows["value"].append(None if value is None else value[:200])
        self.reject_rows["reason"].append(reason)

    def table(self) -> pa.Table:
        types = {
            "line": pa.int64(),
            "period_start": pa.date32(),
            "period_end": pa.date32(),
            "proportion": pa.float64(),
            "n": pa.float64(),
            "successes": pa.float64(),
        }
        return pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in self.rows.items()})

    def rejects(self, parsed: ParsedCsv) -> pa.Table:
        mine = pa.table(
            {
                "line": pa.array(self.reject_rows["line"], pa.int64()),
                "field": pa.array(self.reject_rows["field"], pa.string()),
                "value": pa.array(self.reject_rows["value"], pa.string()),
                "reason": pa.array(self.reject_rows["reason"], pa.string()),
            }
        )
        return pa.concat_tables([parsed.malformed, mine]).sort_by("line")


def records(parsed: ParsedCsv, skip: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each parsed row after the first ``skip`` (extra header rows)."""
    columns = [parsed.table.column(name).to_pylist() for name in parsed.header]
    lines = parsed.table.column(LINE).to_pylist()
    for index, line in enumerate(lines):
        if index >= skip:
            yield line, {name: str(col[index]) for name, col in zip(parsed.header, columns, strict=True)}


def survey_load(kind: str, inp: InputData, parsed: ParsedCsv, found: SurveyRows, skip: int = 0) -> Load:
    """The load of one survey file: ``found``'s rows (replacing by dataset, measure and level) and rejects."""
    rows = found.table()
    return Load(
        kind=kind,
        source_path=str(inp.source.path),
        member=inp.source.member,
        sha256=inp.sha256,
        bytes=inp.stored_bytes,
        rows_read=parsed.rows_read - skip,
        batches=[Batch("survey", rows, ("dataset", "measure", "level"))] if rows.num_rows else [],
        rejects=found.rejects(parsed),
    )


def published_area(name: str) -> tuple[str, str] | None:
    """(level, code) of a published area name: ``MPS``/``London`` or a borough; None if unknown."""
    text = name.strip()
    if text.lower() in ("mps", "london", "metropolitan police", "met police"):
        return "london", LONDON
    code = borough_code(text)
    return None if code is None else ("borough", code)


#: The reason a row whose borough name matches no London borough is rejected (``.format(name=...)``).
UNMATCHED = (
    "borough name {name!r} does not match any London borough (checked against the ONS names and common "
    "forms such as 'City of Westminster' or '&'); add the form to domain/areas.py if it is a borough"
)


def proportion(found: SurveyRows, line: int, column: str, text: str, *, percent: bool) -> float | None:
    """``text`` as a share (0 to 1; ``percent``: given as 0 to 100); None, and a reject, when it is not one."""
    value = decimal(text)
    scale = 100.0 if percent else 1.0
    if value is None:
        found.reject(line, column, text, f"bad number in {column} (expected e.g. {'56' if percent else '0,56'})")
        return None
    if not 0 <= value <= scale:
        found.reject(line, column, text, f"{column} out of range (expected 0 to {scale:g})")
        return None
    return value / scale


def row_date(
    found: SurveyRows, line: int, column: str, text: str, parse: Callable[[str], dt.date], example: str
) -> dt.date | None:
    """``text`` read by ``parse``; None, and a reject naming ``example``, when it cannot be read."""
    try:
        return parse(text.strip())
    except (ValueError, KeyError, IndexError):
        found.reject(line, column, text, f"bad date in {column} (expected e.g. {example})")
        return None


def day_month_year(text: str) -> dt.date:
    """``31/12/2014`` or ``31-3-2016``."""
    day, month, year = (int(part) for part in re.split(r"[/-]", text))
    return dt.date(year, month, day)


def mon_yy(text: str) -> dt.date:
    """The month end of ``Dec-14`` (or ``Dec-2014``)."""
    mon, yy = text.split("-")
    year = int(yy)
    return month_end(year + 2000 if year < 100 else year, _MONTHS[mon[:3].lower()])


def year_month(text: str) -> dt.date:
    """The month end of ``2017-01``."""
    year, month = text.split("-")
    return month_end(int(year), int(month))
