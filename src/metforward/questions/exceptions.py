"""Performance by exception: which borough x category cells need attention, and why.

The one place the question is answered: its options and their defaults (:class:`Query`), what is read
from the store (:func:`exceptions`: the trend comparison of :func:`metforward.questions.compare.compare`,
the population, the monthly series and what each force published), and the kernel
(:func:`metforward.analyse.exceptions.screen`: the trend, funnel and SPC screens).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from metforward.analyse.compare import SOURCES, CompareSpec, choose_kind
from metforward.analyse.dispersion import METHODS
from metforward.analyse.exceptions import (
    MIN_CHANGE,
    ExceptionFlag,
    ExceptionsReport,
    ScreenData,
    screen,
    screen_periods,
    series_start,
)
from metforward.domain.periods import month_text, parse_month
from metforward.errors import BadRequest
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.compare import compare, default_by
from metforward.store import cubes
from metforward.store.database import Database

#: The keys of each flag, in order.
COLUMNS = tuple(ExceptionFlag.__dataclass_fields__)
#: The Datastore borough kinds the screens read, the current one first.
BOROUGH_KINDS = ("datastore-borough", "datastore-borough-2008")


@dataclass(frozen=True)
class Query:
    """Which cells to screen, as text options, with the defaults in one place. ``min_change`` is in % (as
    the faces take it); ``latest`` a month ``YYYY-MM`` (None: the last month loaded)."""

    source: str = "police-uk"
    by: str | None = None
    latest: str | None = None
    months: int = 12
    baseline_months: int = 24
    force: str | None = None
    alpha: float = 0.05
    min_change: float = round(100 * MIN_CHANGE, 6)
    method: str = "quasi"

    def latest_month(self) -> dt.date | None:
        """``latest`` as a month, checked: :class:`BadRequest` naming the option at fault (so are the others)."""
        if self.source not in SOURCES:
            raise BadRequest(f"source is one of {', '.join(SOURCES)}, not {self.source!r}", field="source")
        if self.method not in METHODS:
            raise BadRequest(f"method is one of {', '.join(METHODS)}, not {self.method!r}", field="method")
        if not 0 <= self.min_change < 1000:
            raise BadRequest(f"min_change is a percentage from 0 (got {self.min_change:g})", field="min_change")
        if self.months < 1 or self.baseline_months < 3:
            field = "months" if self.months < 1 else "baseline_months"
            raise BadRequest(f"{field} must be at least {1 if field == 'months' else 3}", field=field)
        try:
            return parse_month(self.latest) if self.latest else None
        except ValueError as exc:
            raise BadRequest(str(exc), field="latest") from exc


def exceptions(
    db: Database,
    *,
    source: str = "police-uk",
    by: str | None = None,
    latest: dt.date | None = None,
    months: int = 12,
    baseline_months: int = 24,
    force: str | None = None,
    kind: str | None = None,
    alpha: float = 0.05,
    min_change: float = MIN_CHANGE,
    method: str = "quasi",
) -> ExceptionsReport:
    """Run the three screens over every borough and category of a source, up to ``latest`` (default: the
    last month loaded). ``min_change`` is a share (0.10 is 10%); ``method`` the trend screen's comparison."""
    if not 0 <= min_change < 10:
        raise BadRequest("min_change is a share of the expectation, e.g. 0.1 for 10%", field="min_change")
    by = by or default_by(source)
    if source == "datastore" and kind is None:
        loaded = {k for k, _first, _last in cubes.datastore_kinds(db)}
        kind = next((k for k in BOROUGH_KINDS if k in loaded), None)
    last = latest or cubes.latest_month(db, source=source, force=force, kind=kind)
    recent, before = screen_periods(last or dt.date(2000, 2, 1), months if last else 1)
    spec = CompareSpec(  # checks the source, categories, method and alpha
        before, recent, source=source, level="borough", by=by, force=force, kind=kind, alpha=alpha, method=method
    )
    if last is None:
        nothing = ["no data loaded for this source"]
        today = dt.date.today().replace(day=1)
        return ExceptionsReport([], today, spec.before, spec.after, {}, kind, alpha, nothing, min_change, method)
    available = {k: (a, b) for k, a, b in cubes.datastore_kinds(db)}
    kind = choose_kind(spec, available) if source == "datastore" else None
    first = series_start(last, baseline_months)
    police = source == "police-uk"
    data = ScreenData(
        trend=compare(db, spec),
        people=cubes.population(db, level="borough", year=last.year),
        series=cubes.monthly_series(
            db, source=source, level="borough", first=first, last=last, by=by, force=force, kind=kind
        ),
        present=frozenset(cubes.months_present(db, source=source, first=first, last=last, force=force, kind=kind)),
        covered=cubes.force_categories(db, first=recent.first, last=recent.last) if police else {},
        published=cubes.coverage(db, first=first, last=last) if police else {},
    )
    return screen(
        data,
        source=source,
        last=last,
        months=months,
        baseline_months=baseline_months,
        kind=kind,
        alpha=alpha,
        min_change=min_change,
        method=method,
    )


def ask(db: Database, query: Query) -> Answer:
    """The flagged cells of the source ``query`` names, ranked, with what was tested (``meta``)."""
    report = exceptions(
        db,
        source=query.source,
        by=query.by,
        latest=query.latest_month(),
        months=query.months,
        baseline_months=query.baseline_months,
        force=query.force,
        alpha=query.alpha,
        min_change=query.min_change / 100,
        method=query.method,
    )
    kinds = ("street",) if query.source == "police-uk" else (report.kind or "datastore-*",)
    meta = {k: v for k, v in report.as_dict().items() if k != "notes"}
    return Answer(
        question="exceptions",
        query={
            "source": query.source,
            "by": query.by or default_by(query.source),
            "latest": month_text(report.latest) if report.tests else query.latest,
            "months": query.months,
            "baseline_months": query.baseline_months,
            "force": query.force,
            "alpha": query.alpha,
            "min_change": query.min_change,
            "method": query.method,
        },
        items=[f.as_dict() for f in report.flags],
        columns=COLUMNS,
        meta={**meta, "loads": loads_used(db, (*kinds, "population-*"))},
        notes=list(report.notes),
        result=report,
    )


QUESTION = Question(
    name="exceptions",
    query=Query,
    ask=ask,
    command=("exceptions",),
    route="/exceptions",
    summary="Borough x category cells that are unusual: a significant rise on their own baseline, a rate outside "
    "the funnel of London's, or a latest month outside their own control limits.",
    example={"months": 6, "min_change": 0, "method": "poisson"},
)

__all__ = ["COLUMNS", "QUESTION", "Query", "ask", "exceptions"]
