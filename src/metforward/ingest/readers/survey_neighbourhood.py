"""MOPAC Public Attitude Survey (PAS) neighbourhood tables: one ``survey`` row per published figure.

Source: MOPAC Public Attitude Survey, London Datastore (Open Government Licence v3.0). Two
tables, each with ``Borough - Neighbourhood`` rows and questions as columns:

* indicators by respondent ethnicity pooled 2015/16 to 2020/21 (three header rows: question,
  group, response definition);
* the 2016 perceptions table (two header rows: question, response definition; ``N/A`` for
  missing).

A borough name that does not match is a reject naming it; a row with no published figure at
all (suppressed) is a reject too.
"""

from __future__ import annotations

import datetime as dt
import re

from metforward.domain.areas import borough_code
from metforward.errors import InputFileError
from metforward.ingest.csvtable import parse_csv
from metforward.ingest.readers.base import ReadOptions
from metforward.ingest.readers.survey_common import MISSING, UNMATCHED, SurveyRows, proportion, records, survey_load
from metforward.ingest.sources import InputData
from metforward.store.loading import Load


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
        extra = [row for _, row in records(raw)][:skip]
        if len(extra) < skip:
            raise InputFileError(inp.source.display, f"expected {skip + 1} header rows, found fewer")
        questions = header[1:] if pooled else header[3:]
        if pooled:
            groups = [extra[0][h].strip() for h in questions]
            responses = [extra[1][h].strip() for h in questions]
            if not all(groups):
                raise InputFileError(inp.source.display, "line 2 must name the respondent group of every column")
            found = SurveyRows("pas-neighbourhood-ethnicity")
            start, end, kind = dt.date(2015, 4, 1), dt.date(2021, 3, 31), "pooled"
        else:
            groups = ["all"] * len(questions)
            responses = [extra[0][h].strip() for h in questions]
            found = SurveyRows("pas-neighbourhood-2016")
            start, end, kind = dt.date(2016, 1, 1), dt.date(2016, 12, 31), "year"
        area_c = header[0]
        for line, row in records(raw, skip):
            text = row[area_c].strip()
            borough, _, hood = text.partition(" - ")
            code = borough_code(borough) if hood else None
            if code is None:
                found.reject(
                    line,
                    area_c,
                    text,
                    UNMATCHED.format(name=borough.strip()) + " (expected 'Borough - Neighbourhood')",
                )
                continue
            cells = []
            bad = False
            for question, group, response in zip(questions, groups, responses, strict=True):
                if question.lower().startswith("total notifiable offences"):
                    continue
                cell = row[question].strip()
                if cell.lower() in MISSING:
                    continue
                value = proportion(found, line, question, cell, percent=True)
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
        return survey_load(self.kind, inp, raw, found, skip)


def _base(column: str) -> str:
    """A question column without the ``_2`` suffix that made repeated names unique."""
    return re.sub(r"_\d+$", "", column)
