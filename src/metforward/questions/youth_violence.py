"""The youth-violence strand ("Time for Action"): knife-injury victims aged 1-24 and homicide victims under 25.

The lines are the built-in ``youth-violence`` basket (``questions/basket_files/youth-violence.yaml``):
knife-injury victims aged 1-24, and those not of domestic abuse (MPS Monthly Crime Dashboard), homicide
victims under 25 and teenage homicide victims aged 13-19 (the seeds' "teenage murders"; MPS homicide
victims file). They are compared between two periods for London or by borough, as every basket is
(:mod:`metforward.questions.baskets`), with the ``auto`` method by default: counts this small are
judged by the exact conditional Poisson test (Clopper-Pearson interval of the rate ratio) where their
months show no extra-Poisson variation, by the quasi-Poisson comparison where they do, and "can't
tell" where too few months can say. Each period's count also carries its exact (Garwood) 95% interval.

Without periods, the comparison is of the latest 12 months in which every line has data against the 12
before (the dashboard starts in August 2021 and the homicide file ends in December 2023); where the
lines' months do not overlap, of the latest 12 months of any line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from metforward.analyse.basket import BasketTable
from metforward.analyse.compare import CompareRow
from metforward.analyse.poisson import poisson_interval
from metforward.domain.periods import Period, add_months, month_text, two_periods
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.questions.basket_file import resolve_basket
from metforward.questions.baskets import BasketSpec, compare_basket, load_kinds, months_with_data, where

#: The built-in basket of the strand.
BASKET = "youth-violence"
#: The keys of each row: the comparison's, the line's id, and each period's exact interval.
COLUMNS = (
    "line",
    *CompareRow.__dataclass_fields__,
    "before_low",
    "before_high",
    "after_low",
    "after_high",
)


@dataclass(frozen=True)
class Query:
    """The strand for London (default), one borough (``area``) or every borough (``level`` borough), between
    two periods (``before`` and ``after``, or ``around`` a month with ``window`` months each side; default:
    see the module), verdicts at ``alpha`` by ``method`` (``auto``, ``quasi`` or ``poisson``)."""

    area: str | None = None
    level: str = "force"
    before: str | None = None
    after: str | None = None
    around: str | None = None
    window: int = 12
    alpha: float = 0.05
    method: str = "auto"

    def periods(self) -> tuple[Period, Period] | None:
        """The two periods asked for (None: the defaults); :class:`BadRequest` when given but malformed."""
        if not (self.before or self.after or self.around):
            return None
        return two_periods(self.before, self.after, self.around, self.window)

    def spec(self, periods: tuple[Period, Period]) -> BasketSpec:
        """The comparison of ``periods`` asked for, checked."""
        level, area = where(self.area, self.level)
        return BasketSpec(periods[0], periods[1], level, area, self.alpha, self.method)

    def check(self) -> None:
        """:class:`BadRequest` (or ``NotFound``) for any malformed option, before the store is opened."""
        self.spec(self.periods() or (Period.parse("2000-01"), Period.parse("2000-02")))


def default_periods(months: list[set[dt.date]]) -> tuple[Period, Period]:
    """The latest 12 months in which every line has data against the 12 before (see the module); ``months``: the
    months each line has data in."""
    common = set.intersection(*months) if months and all(months) else set()
    pool = common or (set().union(*months) if months else set())
    latest = max(pool) if pool else add_months(dt.date.today().replace(day=1), -2)
    after = Period(add_months(latest, -11), latest)
    return Period(add_months(after.first, -12), add_months(after.last, -12)), after


@dataclass(frozen=True)
class Youth:
    """The strand answered: the basket comparison and each row's exact intervals."""

    table: BasketTable
    rows: list[dict[str, Any]]


def youth_violence(db: Any, query: Query) -> Youth:
    """The comparison ``query`` asks for, each row with its line id and the Garwood intervals of its counts."""
    basket = resolve_basket(BASKET)
    periods = query.periods()
    if periods is None:
        periods = default_periods(months_with_data(db, basket))
    table = compare_basket(db, basket, query.spec(periods))
    ids = {line.title: line.id for line in basket.lines}
    rows = []
    counts = np.array([[r.before, r.after] for r in table.rows], dtype=np.int64).reshape(-1, 2)
    low, high = poisson_interval(counts, confidence=1 - query.alpha) if len(counts) else (counts, counts)
    for i, r in enumerate(table.rows):
        known = (r.months_before > 0, r.months_after > 0)
        rows.append(
            {
                "line": ids[r.category],
                **r.as_dict(),
                "before_low": float(low[i, 0]) if known[0] else None,
                "before_high": float(high[i, 0]) if known[0] else None,
                "after_low": float(low[i, 1]) if known[1] else None,
                "after_high": float(high[i, 1]) if known[1] else None,
            }
        )
    return Youth(table, rows)


def ask(db: Any, query: Query) -> Answer:
    """The youth-violence strand ``query`` asks for."""
    made = youth_violence(db, query)
    table = made.table
    return Answer(
        question="youth-violence",
        query={
            "area": None if table.level == "force" else query.area,
            "level": table.level,
            "before": str(table.before),
            "after": str(table.after),
            "alpha": query.alpha,
            "method": query.method,
        },
        items=made.rows,
        columns=COLUMNS,
        meta={
            "basket": table.as_dict(),
            "method_note": table.method_note,
            "months": [month_text(table.before.first), month_text(table.after.last)],
            "loads": loads_used(db, load_kinds(resolve_basket(BASKET))),
        },
        notes=list(table.notes),
        result=made,
    )


QUESTION = Question(
    name="youth-violence",
    query=Query,
    ask=ask,
    command=("youth-violence",),
    route="/strands/youth-violence",
    summary="Youth violence: knife-injury victims aged 1-24 and homicide victims under 25, two periods compared "
    "with exact intervals for small counts.",
    example={"area": "Westminster"},
    columns=COLUMNS,
)

__all__ = ["BASKET", "COLUMNS", "QUESTION", "Query", "Youth", "ask", "default_periods", "youth_violence"]
