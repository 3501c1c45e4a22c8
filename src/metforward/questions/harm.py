"""Has the harm changed? Harm-weighted totals by area in two periods, with the harm ratio, its interval,
p and q values and a verdict: the harm-weighted counterpart of :mod:`metforward.questions.compare`.

The options and their defaults (:class:`Query`: compare's periods, areas and source, plus the weights'
``scheme``), what is read from the store (the count comparison of
:func:`metforward.questions.compare.compare`, the monthly series for the dispersion, the population),
and the kernel (:func:`metforward.analyse.harm_change.harm_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

from metforward.analyse.compare import CompareSpec
from metforward.analyse.harm import SCHEMES
from metforward.analyse.harm_change import COLUMNS, HarmTable, harm_spec, harm_table
from metforward.errors import NotFound
from metforward.questions import compare as compare_question
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store import cubes
from metforward.store.database import Database


@dataclass(frozen=True)
class Query:
    """What to weigh and compare, as text options: the periods, areas and source of ``compare`` and the
    severity weights' ``scheme``. The categories are the weights' own (police.uk crime types, Datastore
    minor categories), so there is no ``by``."""

    before: str | None = None
    after: str | None = None
    around: str | None = None
    window: int = compare_question.Query.window  # compare's defaults: one place for each
    level: str = compare_question.Query.level
    area: str | None = None
    source: str = compare_question.Query.source
    force: str | None = None
    kind: str | None = None
    scheme: str = "ons-css"
    alpha: float = compare_question.Query.alpha
    method: str = compare_question.Query.method

    def spec(self) -> CompareSpec:
        """The count comparison the harm rests on, checked: :class:`BadRequest` naming the option at fault
        (compare's periods and options), :class:`NotFound` for a scheme metforward does not ship."""
        if self.scheme not in SCHEMES:
            raise NotFound(f"unknown harm scheme {self.scheme!r}: use one of {', '.join(SCHEMES)}", field="scheme")
        counts = compare_question.Query(
            before=self.before,
            after=self.after,
            around=self.around,
            window=self.window,
            level=self.level,
            area=self.area,
            source=self.source,
            by="minor" if self.source == "datastore" else None,
            force=self.force,
            kind=self.kind,
            alpha=self.alpha,
            method=self.method,
        )
        return harm_spec(counts.spec())


def compare_harm(db: Database, spec: CompareSpec, *, scheme: str = "ons-css") -> HarmTable:
    """Harm-weighted change between the periods of ``spec`` for each area it selects (the counts of
    :func:`metforward.questions.compare.compare`, by minor category for the London Datastore)."""
    spec = harm_spec(spec)
    table = compare_question.compare(db, spec)
    series = (
        cubes.monthly_series(
            db,
            source=spec.source,
            level=spec.level,
            first=min(spec.before.first, spec.after.first),
            last=max(spec.before.last, spec.after.last),
            by=spec.by,
            force=spec.force,
            kind=table.kind,
        )
        if spec.method == "quasi"
        else []
    )
    people = (
        cubes.population(db, level=spec.level, year=table.population_year) if table.population_year is not None else {}
    )
    return harm_table(table, scheme=scheme, series=series, people=people)


def ask(db: Database, query: Query) -> Answer:
    """Weigh the crimes of the two periods ``query`` asks for and compare the harm, area by area."""
    spec = query.spec()
    harm = compare_harm(db, spec, scheme=query.scheme)
    counts = harm.counts
    return Answer(
        question="harm",
        query={**{k: v for k, v in compare_question.as_answered(spec).items() if k != "by"}, "scheme": query.scheme},
        items=[r.as_dict() for r in harm.rows],
        columns=COLUMNS,
        meta={
            "kind": counts.kind,
            "by": spec.by,
            "scheme": harm.scheme,
            "taxonomy": harm.taxonomy,
            "unit": harm.unit,
            **compare_question.months_meta(counts),
            "method": spec.method,
            "method_note": harm.method_note,
            "loads": loads_used(db, compare_question.source_kinds(spec, counts.kind)),
        },
        notes=list(counts.notes),
        result=harm,
    )


QUESTION = Question(
    name="harm",
    query=Query,
    ask=ask,
    command=("harm",),
    route=None,
    summary="Harm-weighted totals by area in two periods: crimes, harm, harm ratio with interval, p and q, verdict.",
    example={"source": "datastore", "around": "2010-03", "level": "borough"},
)

__all__ = ["QUESTION", "Query", "ask", "compare_harm"]
