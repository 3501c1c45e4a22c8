"""The data of the London monthly bulletin (``metforward report bulletin --month YYYY-MM``).

No rendering here: the figures, built from the same machinery as the CLI commands, so every
number in the bulletin equals the matching command's ``--json`` output (see
``docs/methods/bulletin.md``):

* **Results so far**: London (the Metropolitan Police Service's 32 boroughs, London Datastore
  borough file, major categories), the financial year to date up to ``month`` (April to
  ``month``) against the same months a year earlier, by :func:`metforward.analyse.compare.compare`
  at force level: count, % change, rate ratio with its exact interval, p, q (Benjamini-Hochberg
  across the table) and the verdict. The MPA's "Results so far" compared the financial year to
  date with the previous financial year to date, which is this rule.
* **Performance by exception**: :func:`metforward.analyse.exceptions.exceptions` on the Datastore
  borough counts with ``month`` as the latest month judged.
* **Notable changes by borough**: the borough x category rows of the same comparison at borough
  level whose q value is below ``alpha``, largest absolute change in count first.
* **Completeness**: the months present in each period for each source loaded, and a note when
  ``month`` itself is not loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from metforward.analyse.compare import CompareError, CompareRow, CompareSpec, CompareTable, Period
from metforward.analyse.exceptions import MIN_CHANGE, ExceptionFlag
from metforward.domain.periods import add_months, month_text
from metforward.questions.compare import compare
from metforward.questions.exceptions import exceptions
from metforward.store import cubes
from metforward.store.database import Database

#: The month the financial year starts (April, UK).
FY_START_MONTH = 4


def financial_year_to_date(month: dt.date) -> tuple[Period, Period]:
    """(the same months a year earlier, the financial year to date up to ``month``)."""
    start_year = month.year if month.month >= FY_START_MONTH else month.year - 1
    current = Period(dt.date(start_year, FY_START_MONTH, 1), month)
    return Period(add_months(current.first, -12), add_months(current.last, -12)), current


def financial_year_label(month: dt.date) -> str:
    """``2025/26`` for any month from April 2025 to March 2026."""
    start = month.year if month.month >= FY_START_MONTH else month.year - 1
    return f"{start}/{str(start + 1)[-2:]}"


@dataclass(frozen=True)
class SourceCompleteness:
    """Months with data in each period for one source (a Datastore file kind, police.uk)."""

    source: str
    months_before: list[str]
    months_after: list[str]
    asked_before: int
    asked_after: int

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class BulletinData:
    """Everything the bulletin shows, with what it rests on."""

    month: dt.date
    financial_year: str
    before: Period
    after: Period
    alpha: float
    results: list[CompareRow]
    results_kind: str | None
    exceptions: list[ExceptionFlag]
    exceptions_tested: dict[str, int]
    notable: list[CompareRow]
    borough_rows_tested: int
    completeness: list[SourceCompleteness]
    month_loaded: bool
    notes: list[str] = field(default_factory=list)
    #: The method and dispersion lines under "Results so far" and the notable changes.
    results_method_note: str = ""
    notable_method_note: str = ""
    #: Cells tested, flags raised and how many chance alone would give (:meth:`ExceptionsReport.summary`).
    exceptions_summary: str = ""
    exceptions_min_change: float = MIN_CHANGE

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "month": month_text(self.month),
            "financial_year": self.financial_year,
            "before": str(self.before),
            "after": str(self.after),
            "alpha": self.alpha,
            "results": [r.as_dict() for r in self.results],
            "results_kind": self.results_kind,
            "exceptions": [f.as_dict() for f in self.exceptions],
            "exceptions_tested": dict(self.exceptions_tested),
            "notable": [r.as_dict() for r in self.notable],
            "borough_rows_tested": self.borough_rows_tested,
            "completeness": [c.as_dict() for c in self.completeness],
            "month_loaded": self.month_loaded,
            "notes": list(self.notes),
            "method": self.results[0].method if self.results else "quasi",
            "results_method_note": self.results_method_note,
            "notable_method_note": self.notable_method_note,
            "exceptions_summary": self.exceptions_summary,
            "exceptions_min_change": self.exceptions_min_change,
        }


def results_spec(month: dt.date, *, level: str = "force", alpha: float = 0.05) -> CompareSpec:
    """The comparison behind "Results so far" (``level="force"``) and the notable borough changes."""
    before, after = financial_year_to_date(month)
    return CompareSpec(before, after, source="datastore", level=level, by="major", alpha=alpha)


def _completeness(db: Database, before: Period, after: Period) -> list[SourceCompleteness]:
    out = []
    sources: list[tuple[str, str, str | None]] = [
        ("datastore " + kind, "datastore", kind) for kind, _, _ in cubes.datastore_kinds(db)
    ]
    sources.append(("police-uk", "police-uk", None))
    for label, source, kind in sources:
        present = [
            [month_text(m) for m in cubes.months_present(db, source=source, first=p.first, last=p.last, kind=kind)]
            for p in (before, after)
        ]
        out.append(SourceCompleteness(label, present[0], present[1], before.months, after.months))
    return out


def bulletin_data(
    db: Database, month: dt.date, *, alpha: float = 0.05, exception_months: int = 12, min_change: float = MIN_CHANGE
) -> BulletinData:
    """The bulletin for ``month`` (the first of a month): results so far, exceptions, notable changes, completeness.

    ``min_change``: the exceptions' smallest change from the expectation worth flagging (a share).
    """
    before, after = financial_year_to_date(month)
    notes: list[str] = []
    results: list[CompareRow] = []
    kind: str | None = None
    notable: list[CompareRow] = []
    tested = 0
    results_note = notable_note = ""
    try:
        table: CompareTable = compare(db, results_spec(month, alpha=alpha))
        results, kind, results_note = table.rows, table.kind, table.method_note
        notes += [f"results so far: {n}" for n in table.notes]
        boroughs = compare(db, results_spec(month, level="borough", alpha=alpha))
        tested, notable_note = len(boroughs.rows), boroughs.method_note
        notable = sorted(
            (r for r in boroughs.rows if r.q_value is not None and r.q_value < alpha),
            key=lambda r: (-abs(r.change), r.q_value, r.area_name, r.category),
        )
    except CompareError as exc:
        notes.append(f"results so far: {exc}")
    report = exceptions(
        db, source="datastore", latest=month, months=exception_months, alpha=alpha, min_change=min_change
    )
    notes += [f"exceptions: {n}" for n in report.notes]
    completeness = _completeness(db, before, after)
    used = kind or "datastore-borough"
    loaded = any(month_text(month) in c.months_after for c in completeness if c.source == f"datastore {used}")
    if not loaded:
        latest = cubes.latest_month(db, source="datastore", kind=used)
        notes.insert(
            0,
            f"{month_text(month)} is not loaded in the London Datastore counts used ({used}"
            + (f"; the latest month loaded is {month_text(latest)}" if latest else "")
            + "): load a newer Datastore file; the figures cover only the months present",
        )
    return BulletinData(
        month=month,
        financial_year=financial_year_label(month),
        before=before,
        after=after,
        alpha=alpha,
        results=results,
        results_kind=kind,
        exceptions=report.flags,
        exceptions_tested=report.tests,
        notable=notable,
        borough_rows_tested=tested,
        completeness=completeness,
        month_loaded=loaded,
        notes=notes,
        results_method_note=results_note,
        notable_method_note=notable_note,
        exceptions_summary=report.summary(),
        exceptions_min_change=min_change,
    )
