"""MOPAC Public Attitude Survey (PAS) extracts: one ``survey`` row per published figure.

Source: Mayor's Office for Policing and Crime (MOPAC) Public Attitude Survey, published on the
London Datastore and MOPAC dashboards (Open Government Licence v3.0). Formats read here, each
recognised by its header:

* the PAS dashboard by borough (``Date,Survey,Borough,Measure,Proportion,MPS``; dd/mm/yyyy
  quarter ends; rolling-12-month proportions with decimal commas, e.g. ``"0,56"``) and its
  London total (the same columns separated by semicolons: ``Date;Survey;Borough;...``);
* London quarterly series: ``Quarter,Trust,Confidence,Treat_Fair`` (d-m-yyyy) and
  ``date,measure,proportion`` (``Dec-14``, percentages); both are rolling-12-month figures
  (their values equal the dashboard's London values for the same quarter end);
* monthly respondent counts by answer (``DATE,Fairly well informed,Not at all informed,Very
  well informed``): real sample sizes, London-wide;
* neighbourhood tables: indicators by respondent ethnicity pooled 2015/16 to 2020/21 (three
  header rows: question, group, response definition) and the 2016 perceptions table (two
  header rows: question, response definition; ``N/A`` for missing).

Borough names are normalised to GSS codes with :func:`metforward.domain.areas.borough_code`; a
name that does not match becomes a reject naming it (never a silent drop). A neighbourhood row
with no published figure at all (suppressed) is a reject too. ``MPS`` is the Metropolitan Police
area and is stored as area ``London``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from metforward.domain.areas import borough_code
from metforward.errors import InputFileError
from metforward.ingest.csvtable import LINE, ParsedCsv, parse_csv
from metforward.ingest.readers.base import ReadOptions, same_columns
from metforward.ingest.sources import InputData
from metforward.store.loading import TABLES, Batch, Load

LONDON = "London"
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_NUMBER = re.compile(r"^[-+]?(\d+([.,]\d*)?|[.,]\d+)$")
_MISSING = {"", "n/a", "na", "-", ".."}


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
class _Rows:
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


def _records(parsed: ParsedCsv, skip: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each parsed row after the first ``skip`` (extra header rows)."""
    columns = [parsed.table.column(name).to_pylist() for name in parsed.header]
    lines = parsed.table.column(LINE).to_pylist()
    for index, line in enumerate(lines):
        if index >= skip:
            yield line, {name: str(col[index]) for name, col in zip(parsed.header, columns, strict=True)}


def _load(kind: str, inp: InputData, parsed: ParsedCsv, found: _Rows, skip: int = 0) -> Load:
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


def _area(name: str) -> tuple[str, str] | None:
    """(level, code) of a published area name: ``MPS``/``London`` or a borough; None if unknown."""
    text = name.strip()
    if text.lower() in ("mps", "london", "metropolitan police", "met police"):
        return "london", LONDON
    code = borough_code(text)
    return None if code is None else ("borough", code)


_UNMATCHED = (
    "borough name {name!r} does not match any London borough (checked against the ONS names and common "
    "forms such as 'City of Westminster' or '&'); add the form to domain/areas.py if it is a borough"
)


def _proportion(found: _Rows, line: int, column: str, text: str, *, percent: bool) -> float | None:
    value = decimal(text)
    scale = 100.0 if percent else 1.0
    if value is None:
        found.reject(line, column, text, f"bad number in {column} (expected e.g. {'56' if percent else '0,56'})")
        return None
    if not 0 <= value <= scale:
        found.reject(line, column, text, f"{column} out of range (expected 0 to {scale:g})")
        return None
    return value / scale


def _date(
    found: _Rows, line: int, column: str, text: str, parse: Callable[[str], dt.date], example: str
) -> dt.date | None:
    try:
        return parse(text.strip())
    except (ValueError, KeyError, IndexError):
        found.reject(line, column, text, f"bad date in {column} (expected e.g. {example})")
        return None


def _day_month_year(text: str) -> dt.date:
    day, month, year = (int(part) for part in re.split(r"[/-]", text))
    return dt.date(year, month, day)


def _mon_yy(text: str) -> dt.date:
    mon, yy = text.split("-")
    year = int(yy)
    return month_end(year + 2000 if year < 100 else year, _MONTHS[mon[:3].lower()])


def _year_month(text: str) -> dt.date:
    year, month = text.split("-")
    return month_end(int(year), int(month))


# --- PAS dashboard (borough and London total) -----------------------------------------------------


_DASHBOARD = ["Date", "Survey", "Borough", "Measure", "Proportion"]


class PasDashboardReader:
    """The PAS dashboard extract: one rolling-12-month proportion per quarter end, area and measure.

    The borough file carries an ``MPS`` column with the London value repeated on every row; the
    London figures are read from the London total file (``Borough`` = ``MPS``), so the column is
    not loaded twice. Either file may use commas or semicolons, and decimal commas.
    """

    kind = "survey-pas-dashboard"
    description = "survey: MOPAC PAS dashboard (Date,Survey,Borough,Measure,Proportion[,MPS]; ',' or ';')"

    def matches(self, header: list[str]) -> bool:
        """The five dashboard columns (and MPS, and empty trailing columns), split by ',' or ';'."""
        fields = self._fields(header)
        named = [f for f in fields if not re.fullmatch(r"column_\d+", f)]
        return same_columns(named[:5], _DASHBOARD) and (len(named) == 5 or same_columns(named[5:], ["MPS"]))

    @staticmethod
    def _fields(header: list[str]) -> list[str]:
        if len(header) == 1 and ";" in header[0]:
            return [f.strip() for f in header[0].split(";")]
        return header

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Rows with a bad date or number, or a borough name that does not match, are rejected."""
        fields = self._fields(header)
        delimiter = ";" if len(header) == 1 else ","
        parsed = parse_csv(inp.data, fields, delimiter=delimiter)
        names = {name.lower(): name for name in fields}
        date_c, area_c, measure_c, prop_c = (names[k] for k in ("date", "borough", "measure", "proportion"))
        found = _Rows("pas-dashboard")
        for line, row in _records(parsed):
            end = _date(found, line, date_c, row[date_c], _day_month_year, "31/12/2014")
            if end is None:
                continue
            area = _area(row[area_c])
            if area is None:
                found.reject(line, area_c, row[area_c], _UNMATCHED.format(name=row[area_c].strip()))
                continue
            measure = row[measure_c].strip()
            if not measure:
                found.reject(line, measure_c, None, f"{measure_c} is empty; every row needs one")
                continue
            value = _proportion(found, line, prop_c, row[prop_c], percent=False)
            if value is None:
                continue
            found.add_rolling_year(
                end=end,
                line=line,
                level=area[0],
                area_code=area[1],
                area_name=row[area_c].strip(),
                measure=measure,
                proportion=value,
            )
        return _load(self.kind, inp, parsed, found)


# --- London quarterly series ---------------------------------------------------------------------


class LondonTrustReader:
    """London quarterly Trust, Confidence and Treat_Fair (rolling 12 months to the quarter end)."""

    kind = "survey-london-quarterly"
    description = "survey: PAS London quarterly (Quarter,Trust,Confidence,Treat_Fair)"
    _MEASURES = ("Trust", "Confidence", "Treat_Fair")

    def matches(self, header: list[str]) -> bool:
        """Exactly the four columns."""
        return same_columns(header, ["Quarter", *self._MEASURES])

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """One survey row per measure; a row with a bad date or any bad number is rejected whole."""
        parsed = parse_csv(inp.data, header)
        found = _Rows("pas-london-trust-confidence-fair")
        for line, row in _records(parsed):
            end = _date(found, line, header[0], row[header[0]], _day_month_year, "31-3-2016")
            if end is None:
                continue
            values = {}
            for column in header[1:]:
                value = _proportion(found, line, column, row[column], percent=False)
                if value is None:
                    break
                values[column] = value
            else:
                for column, value in values.items():
                    found.add_rolling_year(
                        end=end,
                        line=line,
                        level="london",
                        area_code=LONDON,
                        area_name=LONDON,
                        measure=column,
                        proportion=value,
                    )
        return _load(self.kind, inp, parsed, found)


class PublicPerceptionReader:
    """MOPAC public perception measures, London, quarterly (``Dec-14``; percentages)."""

    kind = "survey-london-perception"
    description = "survey: MOPAC public perception London quarterly (date,measure,proportion; Mon-YY, %)"

    def matches(self, header: list[str]) -> bool:
        """Exactly date, measure, proportion."""
        return same_columns(header, ["date", "measure", "proportion"])

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Proportions are percentages (0 to 100)."""
        parsed = parse_csv(inp.data, header)
        date_c, measure_c, prop_c = header
        found = _Rows("mopac-public-perception")
        for line, row in _records(parsed):
            end = _date(found, line, date_c, row[date_c], _mon_yy, "Dec-14")
            if end is None:
                continue
            measure = row[measure_c].strip()
            if not measure:
                found.reject(line, measure_c, None, f"{measure_c} is empty; every row needs one")
                continue
            value = _proportion(found, line, prop_c, row[prop_c], percent=True)
            if value is None:
                continue
            found.add_rolling_year(
                end=end,
                line=line,
                level="london",
                area_code=LONDON,
                area_name=LONDON,
                measure=measure,
                proportion=value,
            )
        return _load(self.kind, inp, parsed, found)


class InformedCountsReader:
    """Monthly counts of PAS respondents by how well informed they feel (London-wide).

    The header does not say which question; the measure is named from the file name when it
    holds ``Q131`` (informed about local policing) or ``Q133`` (informed about the MPS), else
    ``Informed (question not stated)``. Proportion = (very + fairly well informed) / all three.
    """

    kind = "survey-informed-counts"
    description = "survey: PAS informed counts (DATE,Fairly well informed,Not at all informed,Very well informed)"
    _COLUMNS = ("Fairly well informed", "Not at all informed", "Very well informed")

    def matches(self, header: list[str]) -> bool:
        """Exactly the date and the three answers."""
        return same_columns(header, ["DATE", *self._COLUMNS])

    @staticmethod
    def measure(file_name: str) -> str:
        """The measure name a file's rows get."""
        name = file_name.upper()
        if "Q131" in name:
            return "Informed local (Q131)"
        if "Q133" in name:
            return "Informed about the MPS (Q133)"
        return "Informed (question not stated)"

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """A row with a count that is not a whole number, or no respondents, is rejected."""
        parsed = parse_csv(inp.data, header)
        found = _Rows("pas-informed-monthly")
        measure = self.measure(inp.source.name)
        fairly_c, not_c, very_c = header[1:]
        for line, row in _records(parsed):
            end = _date(found, line, header[0], row[header[0]], _year_month, "2017-01")
            if end is None:
                continue
            counts = []
            for column in header[1:]:
                text = row[column].strip()
                if not text.isdigit():
                    found.reject(line, column, text, f"bad count in {column} (expected a whole number)")
                    break
                counts.append(int(text))
            else:
                fairly, not_at_all, very = counts
                n = fairly + not_at_all + very
                if n == 0:
                    found.reject(line, None, None, "no respondents in this month")
                    continue
                found.add(
                    line=line,
                    period_start=dt.date(end.year, end.month, 1),
                    period_end=end,
                    period_kind="month",
                    level="london",
                    area_code=LONDON,
                    area_name=LONDON,
                    measure=measure,
                    response=f"{very_c} or {fairly_c} (of all three answers)",
                    proportion=(fairly + very) / n,
                    n=float(n),
                    successes=float(fairly + very),
                )
        return _load(self.kind, inp, parsed, found)


# --- neighbourhood tables ------------------------------------------------------------------------


class NeighbourhoodReader:
    """PAS neighbourhood tables: ``Borough - Neighbourhood`` rows, questions as columns.

    * by ethnicity, pooled 2015/16 to 2020/21: header rows 2 and 3 give the respondent group
      (White British, Asian, Black) and the response definition of each column;
    * 2016: ``Neighbourhood,Code,Group`` (Group is MOPAC's neighbourhood cluster, not a
      respondent group), header row 2 gives the response definitions.

    A cell that is empty or ``N/A`` is not a figure and is not stored; a row with no figure at
    all is rejected (suppressed in the source). The ``Total Notifiable Offences rate`` column of
    the 2016 table is not a survey measure and is not read.
    """

    kind = "survey-neighbourhood"
    description = "survey: PAS neighbourhood tables (neighbourhood,<questions>... or Neighbourhood,Code,Group,...)"

    def matches(self, header: list[str]) -> bool:
        """First column ``neighbourhood`` and at least one question column."""
        first = [h.strip().lower() for h in header[:3]]
        return len(header) > 3 and (first[0] == "neighbourhood")

    def read(self, inp: InputData, header: list[str], options: ReadOptions) -> Load:
        """Wide rows to long survey rows."""
        raw = parse_csv(inp.data, header)
        pooled = [h.lower() for h in header[:3]] != ["neighbourhood", "code", "group"]
        skip = 2 if pooled else 1
        extra = [row for _, row in _records(raw)][:skip]
        if len(extra) < skip:
            raise InputFileError(inp.source.display, f"expected {skip + 1} header rows, found fewer")
        questions = header[1:] if pooled else header[3:]
        if pooled:
            groups = [extra[0][h].strip() for h in questions]
            responses = [extra[1][h].strip() for h in questions]
            if not all(groups):
                raise InputFileError(inp.source.display, "line 2 must name the respondent group of every column")
            found = _Rows("pas-neighbourhood-ethnicity")
            start, end, kind = dt.date(2015, 4, 1), dt.date(2021, 3, 31), "pooled"
        else:
            groups = ["all"] * len(questions)
            responses = [extra[0][h].strip() for h in questions]
            found = _Rows("pas-neighbourhood-2016")
            start, end, kind = dt.date(2016, 1, 1), dt.date(2016, 12, 31), "year"
        area_c = header[0]
        for line, row in _records(raw, skip):
            text = row[area_c].strip()
            borough, _, hood = text.partition(" - ")
            code = borough_code(borough) if hood else None
            if code is None:
                found.reject(
                    line,
                    area_c,
                    text,
                    _UNMATCHED.format(name=borough.strip()) + " (expected 'Borough - Neighbourhood')",
                )
                continue
            cells = []
            bad = False
            for question, group, response in zip(questions, groups, responses, strict=True):
                if question.lower().startswith("total notifiable offences"):
                    continue
                cell = row[question].strip()
                if cell.lower() in _MISSING:
                    continue
                value = _proportion(found, line, question, cell, percent=True)
                if value is None:
                    bad = True
                    break
                cells.append((_base(question), group, response, value))
            if bad:
                continue
            if not cells:
                found.reject(line, None, text, "no figure published for this neighbourhood (every cell empty or N/A)")
                continue
            for question, group, response, value in cells:
                found.add(
                    line=line,
                    period_start=start,
                    period_end=end,
                    period_kind=kind,
                    level="neighbourhood",
                    area_code=code,
                    area_name=borough.strip(),
                    neighbourhood=hood.strip(),
                    measure=question,
                    response=response or None,
                    group_name=group,
                    proportion=value,
                )
        return _load(self.kind, inp, raw, found, skip)


def _base(column: str) -> str:
    """A question column without the ``_2`` suffix that made repeated names unique."""
    return re.sub(r"_\d+$", "", column)
