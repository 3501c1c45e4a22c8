"""The London monthly bulletin (``metforward report bulletin``, the overview page, ``/bulletin.pdf``):
results so far, performance by exception, notable borough changes and completeness for one month.

What the bulletin reads from the store, in one place; its periods, result type and rules are in
:mod:`metforward.analyse.bulletin` (see ``docs/methods/bulletin.md``). The answer's rows are the
"Results so far" table (London, the financial year to date against the same months a year earlier, by
Datastore major category: the rows of ``metforward compare --level force`` for the same periods); its
``meta`` holds the rest of the bulletin (exceptions, notable borough changes, completeness), the loads it
rests on and the commands that reproduce each section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from metforward.analyse.bulletin import (
    BulletinData,
    SourceCompleteness,
    financial_year_label,
    financial_year_to_date,
    not_loaded_note,
    notable,
    results_spec,
)
from metforward.analyse.compare import CompareError, CompareRow, Period
from metforward.analyse.exceptions import MIN_CHANGE
from metforward.analyse.reports import LoadInfo, bulletin_inputs
from metforward.domain.periods import month_text, parse_month
from metforward.errors import BadRequest, NoData
from metforward.questions.answer import Answer
from metforward.questions.base import Question
from metforward.questions.basket_file import DEFAULT, basket_version, resolve_basket
from metforward.questions.baskets import BasketSpec, compare_basket
from metforward.questions.compare import COLUMNS, compare
from metforward.questions.exceptions import exceptions
from metforward.questions.reports import report_loads
from metforward.store import cubes
from metforward.store.database import Database

#: How to load the bulletin's source, in the words of every message that needs it.
LOAD_DATASTORE = (
    "download the MPS borough-level crime file from the London Datastore (data.london.gov.uk) "
    "and load it with metforward ingest FILE"
)


@dataclass(frozen=True)
class Query:
    """The bulletin for ``month`` (``YYYY-MM``; default: the latest month of the Datastore borough counts),
    verdicts and flags at q < ``alpha``; ``min_change``: the exceptions' smallest change from the
    expectation worth flagging, a share (0.2 = 20%)."""

    month: str | None = None
    alpha: float = 0.05
    min_change: float = MIN_CHANGE
    #: The headline basket: a basket file or a built-in name (default: the seeds' results-so-far).
    basket: str | None = None

    def first(self) -> dt.date | None:
        """The month asked for (None: the latest loaded): :class:`BadRequest` when it is not ``YYYY-MM``."""
        if not self.month:
            return None
        try:
            return parse_month(self.month)
        except ValueError as exc:
            raise BadRequest(f"--month: {exc}", field="month") from exc


@dataclass(frozen=True)
class Bulletin:
    """What the bulletin is rendered from: its data, the loads it rests on, the commands that reproduce it,
    and the latest month of its source."""

    data: BulletinData
    loads: list[LoadInfo]
    inputs: dict[str, str]
    latest: dt.date | None


def latest_month(db: Database) -> dt.date | None:
    """The latest month of the Datastore borough counts (any Datastore kind without them); None: none loaded."""
    return cubes.latest_month(db, source="datastore", kind="datastore-borough") or cubes.latest_month(
        db, source="datastore"
    )


def completeness(db: Database, before: Period, after: Period) -> list[SourceCompleteness]:
    """The months present in each period for each Datastore kind loaded and for police.uk."""
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
    db: Database,
    month: dt.date,
    *,
    alpha: float = 0.05,
    exception_months: int = 12,
    min_change: float = MIN_CHANGE,
    basket: str | None = None,
) -> BulletinData:
    """The bulletin for ``month`` (the first of a month): results so far, exceptions, notable changes, completeness.

    ``min_change``: the exceptions' smallest change from the expectation worth flagging (a share); ``basket``: the
    headline basket (a file or built-in name; default: the seeds' results-so-far).
    """
    before, after = financial_year_to_date(month)
    notes: list[str] = []
    results: list[CompareRow] = []
    kind: str | None = None
    boroughs: list[CompareRow] = []
    results_note = notable_note = ""
    try:
        table = compare(db, results_spec(month, alpha=alpha))
        results, kind, results_note = table.rows, table.kind, table.method_note
        notes += [f"results so far: {n}" for n in table.notes]
        by_borough = compare(db, results_spec(month, level="borough", alpha=alpha))
        boroughs, notable_note = by_borough.rows, by_borough.method_note
    except CompareError as exc:
        notes.append(f"results so far: {exc}")
    report = exceptions(
        db, source="datastore", latest=month, months=exception_months, alpha=alpha, min_change=min_change
    )
    notes += [f"exceptions: {n}" for n in report.notes]
    headline = compare_basket(
        db, resolve_basket(basket or DEFAULT), BasketSpec(before, after, "force", None, alpha, "quasi")
    )
    sources = completeness(db, before, after)
    used = kind or "datastore-borough"
    loaded = any(month_text(month) in c.months_after for c in sources if c.source == f"datastore {used}")
    if not loaded:
        notes.insert(0, not_loaded_note(month, used, cubes.latest_month(db, source="datastore", kind=used)))
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
        notable=notable(boroughs, alpha),
        borough_rows_tested=len(boroughs),
        completeness=sources,
        month_loaded=loaded,
        notes=notes,
        results_method_note=results_note,
        notable_method_note=notable_note,
        exceptions_summary=report.summary(),
        exceptions_min_change=min_change,
        boroughs=boroughs,
        basket=headline,
    )


def ask(db: Database, query: Query) -> Answer:
    """The bulletin ``query`` asks for; :class:`NoData` when no London Datastore counts are loaded and no
    month is given."""
    latest = latest_month(db)
    month = query.first() or latest
    if month is None:
        raise NoData(f"no London Datastore borough counts are loaded: {LOAD_DATASTORE}", field="month")
    data = bulletin_data(db, month, alpha=query.alpha, min_change=query.min_change, basket=query.basket)
    loads = report_loads(db, data.before.first, data.after.last)
    inputs = bulletin_inputs(data)
    whole = data.as_dict()
    meta = {k: v for k, v in whole.items() if k not in ("results", "notes", "alpha")}
    return Answer(
        question="bulletin",
        query={
            "month": month_text(month),
            "alpha": query.alpha,
            "min_change": query.min_change,
            "basket": data.basket.origin if data.basket else query.basket,
        },
        items=whole["results"],  # type: ignore[arg-type]
        columns=COLUMNS,
        meta={
            **meta,
            "latest_month": month_text(latest) if latest else None,
            "loads": [asdict(x) for x in loads],
            "inputs": inputs,
        },
        notes=list(data.notes),
        result=Bulletin(data, loads, inputs, latest),
    )


QUESTION = Question(
    name="bulletin",
    query=Query,
    ask=ask,
    command=("report", "bulletin"),
    route=None,
    summary="The London bulletin: results so far (financial year to date against a year earlier), exceptions, "
    "notable borough changes, completeness.",
    example={"month": "2025-06"},
    version=lambda query: basket_version(query.basket),
)

__all__ = ["LOAD_DATASTORE", "QUESTION", "Bulletin", "Query", "ask", "bulletin_data", "completeness", "latest_month"]
