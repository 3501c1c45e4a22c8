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
  well informed``): real sample sizes, London-wide.

The neighbourhood tables are read in :mod:`.survey_neighbourhood`; what the survey readers share
(rows, dates, numbers, area names) is in :mod:`.survey_common`.

Borough names are normalised to GSS codes with :func:`metforward.domain.areas.borough_code`; a
name that does not match becomes a reject naming it (never a silent drop). ``MPS`` is the
Metropolitan Police area and is stored as area ``London``.
"""

from __future__ import annotations

import datetime as dt
import re

from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions, same_columns
from metforward.ingest.readers.survey_common import (
    LONDON,
    UNMATCHED,
    SurveyRows,
    day_month_year,
    mon_yy,
    proportion,
    published_area,
    records,
    row_date,
    survey_load,
    year_month,
)
from metforward.ingest.sources import InputData
from metforward.store.loading import Load

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
        found = SurveyRows("pas-dashboard")
        for line, row in records(parsed):
            end = row_date(found, line, date_c, row[date_c], day_month_year, "31/12/2014")
            if end is None:
                continue
            area = published_area(row[area_c])
            if area is None:
                found.reject(line, area_c, row[area_c], UNMATCHED.format(name=row[area_c].strip()))
                continue
            measure = row[measure_c].strip()
            if not measure:
                found.reject(line, measure_c, None, f"{measure_c} is empty; every row needs one")
                continue
            value = proportion(found, line, prop_c, row[prop_c], percent=False)
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
        return survey_load(self.kind, inp, parsed, found)


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
        found = SurveyRows("pas-london-trust-confidence-fair")
        for line, row in records(parsed):
            end = row_date(found, line, header[0], row[header[0]], day_month_year, "31-3-2016")
            if end is None:
                continue
            values = {}
            for column in header[1:]:
                value = proportion(found, line, column, row[column], percent=False)
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
        return survey_load(self.kind, inp, parsed, found)


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
        found = SurveyRows("mopac-public-perception")
        for line, row in records(parsed):
            end = row_date(found, line, date_c, row[date_c], mon_yy, "Dec-14")
            if end is None:
                continue
            measure = row[measure_c].strip()
            if not measure:
                found.reject(line, measure_c, None, f"{measure_c} is empty; every row needs one")
                continue
            value = proportion(found, line, prop_c, row[prop_c], percent=True)
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
        return survey_load(self.kind, inp, parsed, found)


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
        found = SurveyRows("pas-informed-monthly")
        measure = self.measure(inp.source.name)
        fairly_c, not_c, very_c = header[1:]
        for line, row in records(parsed):
            end = row_date(found, line, header[0], row[header[0]], year_month, "2017-01")
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
        return survey_load(self.kind, inp, parsed, found)
