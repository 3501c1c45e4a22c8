"""The data of the London monthly bulletin (``metforward report bulletin --month YYYY-MM``): its periods,
its result type and the pure rules; :mod:`metforward.questions.bulletin` reads the store and builds it.

No rendering here: the figures, built from the same machinery as the CLI commands, so every
number in the bulletin equals the matching command's ``--json`` output (see
``docs/methods/bulletin.md``):

* **Results so far**: London (the Metropolitan Police Service's 32 boroughs, London Datastore
  borough file, major categories), the financial year to date up to ``month`` (April to
  ``month``) against the same months a year earlier, by :func:`metforward.questions.compare.compare`
  at force level: count, % change, rate ratio with its exact interval, p, q (Benjamini-Hochberg
  across the table) and the verdict. The MPA's "Results so far" compared the financial year to
  date with the previous financial year to date, which is this rule.
* **The headline basket**: the lines of a basket (``docs/baskets.md``; by default the seeds' eleven-line
  "Results so far", :mod:`metforward.questions.baskets`) for London over the same two periods, each line
  with its source and caveat: the rows of ``metforward compare --basket NAME --level force``.
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

from metforward.analyse.basket import BasketTable
from metforward.analyse.compare import CompareRow, CompareSpec, Period
from metforward.analyse.exceptions import MIN_CHANGE, ExceptionFlag
from metforward.domain.periods import add_months, month_text

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
    #: Every borough x category row of the borough-level comparison (the overview's borough table and map;
    #: not in the JSON, whose ``notable`` holds those that changed).
    boroughs: list[CompareRow] = field(default_factory=list, repr=False, compare=False)
    #: The headline basket (the seeds' "Results so far" unless another is given), London, the same periods.
    basket: BasketTable | None = field(default=None, compare=False)

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
            "basket": None
            if self.basket is None
            else {
                **self.basket.as_dict(),
                "method_note": self.basket.method_note,
                "notes": list(self.basket.notes),
                "rows": [r.as_dict() for r in self.basket.rows],
            },
        }


def results_spec(month: dt.date, *, level: str = "force", alpha: float = 0.05) -> CompareSpec:
    """The comparison behind "Results so far" (``level="force"``) and the notable borough changes."""
    before, after = financial_year_to_date(month)
    return CompareSpec(before, after, source="datastore", level=level, by="major", alpha=alpha)


def notable(rows: list[CompareRow], alpha: float) -> list[CompareRow]:
    """The borough x category rows whose q value is below ``alpha``, largest absolute change in count first."""
    return sorted(
        (r for r in rows if r.q_value is not None and r.q_value < alpha),
        key=lambda r: (-abs(r.change), r.q_value, r.area_name, r.category),
    )


def not_loaded_note(month: dt.date, used: str, latest: dt.date | None) -> str:
    """The note that ``month`` is not in the Datastore counts ``used`` (whose latest month is ``latest``)."""
    return (
        f"{month_text(month)} is not loaded in the London Datastore counts used ({used}"
        + (f"; the latest month loaded is {month_text(latest)}" if latest else "")
        + "): load a newer Datastore file; the figures cover only the months present"
    )
