"""Public confidence from the MOPAC Public Attitude Survey: the measures, figures with Wilson intervals,
year-on-year changes and gaps between respondent groups.

The one place the question is answered: its options and their defaults (:class:`Query`), the area
(the one resolver over the London boroughs: London, MPS, all ... mean the London figures), what is
read from the store, the notes every face shows, and the kernels of :mod:`metforward.analyse.confidence`.
The ``survey`` measure source of targets (:data:`TARGET_SOURCE`) reads the same figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metforward.analyse.confidence import (
    CHANGE_NOTE,
    DESIGN_NOTE,
    GAP_NOTE,
    Change,
    ConfidenceError,
    Figure,
    Gap,
    MeasureInfo,
    figures_of,
    gaps_of,
    period_end_of,
    year_earlier,
    year_on_year_of,
)
from metforward.analyse.target_sources import Observation
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.errors import Ambiguous, BadRequest, MetforwardError, NoData, NotFound
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store.database import Database
from metforward.store.places import resolve_area
from metforward.store.queries import confidence as queries


def measures(db: Database) -> list[MeasureInfo]:
    """Every survey measure in the store."""
    return [MeasureInfo(*row) for row in queries.measures(db)]


def unmatched_names(db: Database) -> list[tuple[str, int, str]]:
    """Survey rows rejected because their borough name matched no London borough: (file, line, name)."""
    return queries.unmatched_names(db)


def find_measure(db: Database, name: str) -> str:
    """The measure called ``name`` (case-insensitive, or a unique part of its name): :class:`NoData` when no
    survey is loaded, :class:`NotFound` or :class:`Ambiguous` naming the measures to choose from."""
    names = [m.measure for m in measures(db)]
    if not names:
        raise NoData("no survey data in the store: ingest the PAS files first (metforward ingest ...)", field="measure")
    wanted = name.strip().lower()
    exact = [n for n in names if n.lower() == wanted]
    if exact:
        return exact[0]
    partial = [n for n in names if wanted in n.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise Ambiguous(f"{name!r} matches several measures; choose one of: {'; '.join(partial)}", field="measure")
    raise NotFound(f"{name!r} is not a survey measure in the store; choose one of: {'; '.join(names)}", field="measure")


def figures(
    db: Database,
    measure: str,
    *,
    area: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    group: str | None = None,
    n: float | None = None,
    confidence: float = 0.95,
) -> list[Figure]:
    """The figures of ``measure`` with Wilson intervals, oldest first.

    ``area``: ``"London"``, a borough GSS code (its borough and neighbourhood rows) or None
    (all). ``n`` overrides the assumed base where none is published.
    """
    rows = queries.figures(db, measure, area=area, start=start, end=end, group=group)
    return figures_of(rows, n=n, confidence=confidence)


def year_on_year(
    db: Database, measure: str, at: dt.date, *, level: str = "borough", confidence: float = 0.95
) -> list[Change]:
    """Each area's figure for the period ending ``at`` against the one ending 12 months earlier."""
    before_end = year_earlier(at)
    now = figures(db, measure, start=at, end=at, confidence=confidence)
    then = figures(db, measure, start=before_end, end=before_end, confidence=confidence)
    return year_on_year_of(measure, at, now, then, level=level, confidence=confidence)


def gaps(
    db: Database,
    measure: str,
    group_a: str,
    group_b: str,
    *,
    area: str | None = None,
    n: float | None = None,
    confidence: float = 0.95,
) -> list[Gap]:
    """Per-neighbourhood gaps, then one pooled gap per borough and one for London (``area`` narrows)."""
    rows = figures(db, measure, n=n, confidence=confidence)
    return gaps_of(measure, rows, group_a, group_b, area=area, confidence=confidence)


def area_code(db: Database, text: str | None) -> str | None:
    """None (every area) for no area; ``"London"`` for London (MPS, all ...); else the London borough ``text``
    names (a name or GSS code): :class:`NotFound` for anything else."""
    if text is None:
        return None
    place = resolve_area(db, text, names=LONDON_BOROUGHS, level="borough")
    return "London" if place is None else place.code


def _end(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return period_end_of(text)
    except ValueError:
        raise BadRequest(f"--{option} must be YYYY-MM or YYYY-MM-DD, not {text!r}", field=option) from None


@dataclass(frozen=True)
class Query:
    """What to answer, as text options (every face builds this), with the defaults in one place.

    No ``measure``: the measures in the store. ``area``: London or a borough (default: every area);
    ``first``/``last``: period ends (the faces' ``from`` and ``to``); ``gap``: two respondent groups (a - b);
    ``change``: year-on-year change to ``last`` (default the latest); ``n``: respondents where none is
    published; ``alpha``: 1 - the confidence level (and the BH level of changes)."""

    measure: str | None = None
    area: str | None = None
    first: str | None = None
    last: str | None = None
    gap: tuple[str, str] | None = None
    change: bool = False
    n: float | None = None
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.gap is not None:
            object.__setattr__(self, "gap", tuple(self.gap))

    def check(self) -> tuple[dt.date | None, dt.date | None]:
        """The period ends, once every option is checked: :class:`BadRequest` naming the option at fault."""
        start, end = _end(self.first, "from"), _end(self.last, "to")
        if self.gap is not None and len(self.gap) != 2:
            raise BadRequest("--gap takes two respondent groups (a - b), e.g. 'White British' Black", field="gap")
        if not 0 < self.alpha < 1:
            raise BadRequest(f"alpha must lie between 0 and 1, not {self.alpha}", field="alpha")
        if self.n is not None and not self.n > 0:
            raise BadRequest(f"n must be above 0 (respondents), not {self.n}", field="n")
        if self.measure is None:
            given = {"area": self.area, "from": self.first, "to": self.last, "gap": self.gap, "change": self.change}
            extra = [k for k, v in given.items() if v not in (None, False)] + (["n"] if self.n is not None else [])
            if extra:
                raise BadRequest(
                    f"--{extra[0]} applies to a measure: give --measure too (without one, the measures are listed)",
                    field=extra[0],
                )
        return start, end


@dataclass(frozen=True)
class Survey:
    """What a confidence answer draws on: the mode, the measure, the result objects, the notes."""

    mode: str  # measures, figures, change or gap
    measure: str | None
    rows: list[Any]
    notes: list[str]
    confidence: float
    end: dt.date | None = None  # change: the period end compared with a year earlier
    groups: tuple[str, str] | None = None  # gap: a and b


def answer_survey(db: Database, query: Query) -> Survey:
    """The rows and notes ``query`` asks for."""
    start, end = query.check()
    confidence = 1 - query.alpha
    if query.measure is None:
        unmatched = unmatched_names(db)
        note = (
            "borough names that did not match (rejected): "
            + "; ".join(f"{name!r} ({source} line {line})" for source, line, name in unmatched)
            if unmatched
            else "every borough name in the loaded survey files matched a London borough"
        )
        return Survey("measures", None, measures(db), [note], confidence)
    code = area_code(db, query.area)
    name = find_measure(db, query.measure)
    if query.gap is not None:
        a, b = query.gap
        gap_rows = gaps(db, name, a, b, area=code, n=query.n, confidence=confidence)
        notes = sorted({r.n_basis.split(";")[0] for r in gap_rows}) + [GAP_NOTE, DESIGN_NOTE]
        return Survey("gap", name, gap_rows, notes, confidence, groups=(a, b))
    if query.change:
        if end is None:
            end = max((f.period_end for f in figures(db, name, area=code)), default=None)
            if end is None:
                raise NotFound(f"no figures of {name!r}{f' for {code}' if code else ''}", field="measure")
        level = "london" if code == "London" else "borough"
        changes = [
            c
            for c in year_on_year(db, name, end, level=level, confidence=confidence)
            if code in (None, "London", c.area_code)
        ]
        notes = sorted({r.n_basis for r in changes}) + [CHANGE_NOTE, DESIGN_NOTE]
        return Survey("change", name, changes, notes, confidence, end=end)
    rows = figures(db, name, area=code, start=start, end=end, n=query.n, confidence=confidence)
    return Survey("figures", name, rows, sorted({r.n_basis for r in rows}) + [DESIGN_NOTE], confidence)


_COLUMNS = {"measures": MeasureInfo, "figures": Figure, "change": Change, "gap": Gap}


def ask(db: Database, query: Query) -> Answer:
    """The survey measures, or one measure's figures, year-on-year changes or gaps, as ``query`` asks."""
    survey = answer_survey(db, query)
    meta: dict[str, Any] = {
        "mode": survey.mode,
        "measure": survey.measure,
        "confidence": survey.confidence,
        "loads": loads_used(db, ("survey-*",)),
    }
    if survey.end is not None:
        meta.update(before_end=year_earlier(survey.end).isoformat(), after_end=survey.end.isoformat())
    return Answer(
        question="confidence",
        query=dataclasses.asdict(query),
        items=[r.as_dict() for r in survey.rows],
        columns=tuple(f.name for f in dataclasses.fields(_COLUMNS[survey.mode])),
        meta=meta,
        notes=survey.notes,
        result=survey,
    )


QUESTION = Question(
    name="confidence",
    query=Query,
    ask=ask,
    command=("confidence",),
    route="/confidence",
    summary="PAS measures by borough and quarter with Wilson intervals; year-on-year changes; gaps between groups.",
    example={"measure": "Trust MPS", "area": "London"},
    options={"first": "--from", "last": "--to"},
)


# --- targets ---------------------------------------------------------------------------------------


class SurveyTargetSource:
    """Store-backed ``level`` and ``gap`` targets from the PAS (source name ``survey``).

    ``level``: ``{source: survey, measure: "Trust MPS", period: 2023-12}`` (the period end: a
    date or a month, default the latest), optional ``group``, ``neighbourhood``, ``n``.
    ``gap``: ``{source: survey, measure: "treat everyone fairly", groups: [White British, Black]}``
    (``a - b`` in points), optional ``neighbourhood`` and ``n`` (respondents per group cell).
    """

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        """Problems with a target's ``measure`` mapping."""
        problems = []
        if target_type not in ("level", "gap"):
            problems.append(f"the survey source gives level and gap targets, not {target_type}")
        if not isinstance(spec.get("measure"), str) or not spec["measure"].strip():
            problems.append("'measure' must name a survey measure (e.g. 'Trust MPS')")
        if target_type == "gap":
            groups = spec.get("groups")
            if not (isinstance(groups, list) and len(groups) == 2 and all(isinstance(g, str) for g in groups)):
                problems.append("a gap needs 'groups': [group a, group b] (gap = a - b), e.g. [White British, Black]")
        if "period" in spec:
            try:
                period_end_of(spec["period"])
            except ValueError:
                problems.append("'period' must be a period end: YYYY-MM or YYYY-MM-DD")
        if "n" in spec and not (isinstance(spec["n"], int | float) and spec["n"] > 0):
            problems.append("'n' must be a number above 0 (respondents)")
        return problems

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        """The observation for ``area`` ("London" or a borough GSS code)."""
        try:
            measure = find_measure(db, str(spec["measure"]))
        except MetforwardError as exc:
            return Observation(basis=f"PAS: {exc}")
        n = float(spec["n"]) if "n" in spec else None
        hood = spec.get("neighbourhood")
        if target_type == "gap":
            return self._gap(db, spec, measure, area, n, confidence)
        end = period_end_of(spec["period"]) if "period" in spec else None
        rows = figures(
            db, measure, area=area, start=end, end=end, group=spec.get("group", "all"), n=n, confidence=confidence
        )
        rows = [r for r in rows if (r.neighbourhood or "").lower() == (str(hood).lower() if hood else "")]
        if not rows:
            return Observation(basis=f"PAS {measure!r}: no figure for {area}{f' ending {end}' if end else ''}")
        f = rows[-1]
        return Observation(
            counts=(f.proportion * f.n, f.n),
            basis=(
                f"PAS {measure!r}, {f.area_name}, {f.period_kind} ending {f.period_end}: {f.proportion:.1%}; "
                f"{f.n_basis}; Wilson interval; {DESIGN_NOTE}"
            ),
        )

    def _gap(
        self, db: Database, spec: Mapping[str, Any], measure: str, area: str, n: float | None, confidence: float
    ) -> Observation:
        hood = spec.get("neighbourhood")
        a, b = spec["groups"]
        try:
            found = gaps(db, measure, a, b, area=area, n=n, confidence=confidence)
        except ConfidenceError as exc:
            return Observation(basis=f"PAS: {exc}")
        chosen = [
            g
            for g in found
            if g.area_code == area and (g.neighbourhood or "").lower() == (str(hood).lower() if hood else "")
        ]
        if not chosen and hood is None:  # a borough with one neighbourhood: its only gap
            single = [g for g in found if g.area_code == area]
            chosen = single if len(single) == 1 else []
        if not chosen:
            return Observation(
                basis=f"PAS {measure!r}: no {a} and {b} figures for {area}{f' - {hood}' if hood else ''}"
            )
        g = chosen[0]
        where = f"{g.area_name}{f' - {g.neighbourhood}' if g.neighbourhood else ''}"
        return Observation(
            groups=((g.p_a * g.n_a, g.n_a), (g.p_b * g.n_b, g.n_b)),
            labels=(a, b),
            basis=(
                f"PAS {measure!r}, {where}, 2015/16-2020/21 pooled, respondents' ethnicity (not the victim "
                f"satisfaction survey, which is not available); {g.p_a:.1%} {a} minus {g.p_b:.1%} {b}; "
                f"{g.n_basis}; Newcombe interval; {DESIGN_NOTE}"
            ),
        )


TARGET_SOURCE = SurveyTargetSource()

__all__ = [
    "QUESTION",
    "TARGET_SOURCE",
    "Query",
    "ask",
    "figures",
    "find_measure",
    "gaps",
    "measures",
    "unmatched_names",
    "year_on_year",
]
