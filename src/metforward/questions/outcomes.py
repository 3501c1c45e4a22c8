"""Sanction detection rates: police.uk outcomes joined to street crimes by Crime ID, or positive outcomes
per offence from the MPS Monthly Crime Dashboard.

The one place the question is answered: its options and their defaults (:class:`Query`), the area
(the one resolver: London, MPS, all ... mean London as a whole), what is read from the store
(:func:`sanction_rates`, :func:`dashboard_rates`) and the kernels of :mod:`metforward.analyse.outcomes`.
The ``outcomes`` measure source of targets (:data:`TARGET_SOURCE`) reads the same figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metforward.analyse.outcomes import (
    BY,
    DASHBOARD_BY,
    DASHBOARD_FIGURES,
    DASHBOARD_KEYS,
    EMPTY_COUNTS,
    FIGURES,
    DashboardResult,
    LoadUsed,
    OutcomesResult,
    dashboard_notes,
    dashboard_row,
    key_names,
    sanction_notes,
    sanction_row,
)
from metforward.analyse.target_sources import Observation
from metforward.domain.areas import LONDON_BOROUGHS, force_of_borough
from metforward.domain.periods import Period
from metforward.errors import BadRequest, MetforwardError, NotFound
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store.database import Database
from metforward.store.places import Place, resolve_area
from metforward.store.queries import areas as area_queries
from metforward.store.queries import outcomes as queries

SOURCES = ("police-uk", "dashboard")
DASHBOARD = "MPS Monthly Crime Dashboard"


class OutcomesError(MetforwardError):
    """An outcomes question that cannot be answered as asked (a grouping it has not, no force for the area)."""

    code = "outcomes"


@dataclass(frozen=True)
class Query:
    """What to answer, as text options (every face builds this), with the defaults in one place.

    ``period``: the months the crimes were recorded in (required); ``area``: London (the default; MPS,
    all ... too) or a borough, ward or LSOA name or GSS code (the dashboard: London or a borough);
    ``source``: ``police-uk`` or ``dashboard`` (which needs ``crime_type``)."""

    period: str | None = None
    area: str = "London"
    by: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    force: str | None = None
    source: str = "police-uk"
    crime_type: str | None = None
    crime_subtype: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", tuple(dict.fromkeys(self.by or ())))
        object.__setattr__(self, "category", tuple(self.category or ()))

    def checked(self) -> Period:
        """The period, once every option is checked: :class:`BadRequest` naming the option at fault
        (:class:`OutcomesError` for a grouping the source has not)."""
        if not self.period:
            raise BadRequest("give the period the crimes were recorded in, YYYY-MM:YYYY-MM", field="period")
        period = Period.parse(self.period, field="period")
        if self.source not in SOURCES:
            raise BadRequest(f"--source must be police-uk or dashboard, not {self.source!r}", field="source")
        if self.source == "dashboard":
            if not self.crime_type:
                raise BadRequest("--source dashboard needs --crime-type (e.g. 'Knife Crime')", field="crime_type")
            unknown = [b for b in self.by if b not in DASHBOARD_BY]
            if unknown:
                raise OutcomesError(
                    f"the dashboard can be grouped by {', '.join(DASHBOARD_BY)}, not {', '.join(unknown)}", field="by"
                )
        unknown = [b for b in self.by if b not in BY]
        if unknown:
            raise OutcomesError(f"cannot group by {', '.join(unknown)}: choose from {', '.join(BY)}", field="by")
        return period


def _forces(place: Place | None, borough: str | None, force: str | None) -> list[str]:
    if force:
        return [force]
    if place is None:
        return ["metropolitan", "city-of-london"]
    home = force_of_borough(borough) if borough else None
    return [home] if home else []


def sanction_rates(
    db: Database,
    place: Place | None,
    period: Period,
    *,
    by: Sequence[str] = (),
    categories: Sequence[str] | None = None,
    force: str | None = None,
    confidence: float = 0.95,
) -> OutcomesResult:
    """Sanction detection rates of the crimes recorded in ``period`` in ``place`` (None: London).

    Only rows of the force that polices the area count unless ``force`` is given (London: the
    Metropolitan and City of London forces). Crimes without a Crime ID (anti-social behaviour)
    have no outcomes and are left out.
    """
    unknown = [b for b in by if b not in BY]
    if unknown:
        raise OutcomesError(f"cannot group by {', '.join(unknown)}: choose from {', '.join(BY)}", field="by")
    if place is None:
        borough = None
        area_code, area_name = "E12000007", "London"
    else:
        borough = place.code if place.level == "borough" else area_queries.borough_of(db, place.level, place.code)
        area_code, area_name = place.code, place.name
    forces = _forces(place, borough, force)
    if not forces:
        raise OutcomesError(f"no police force is known for {area_name}: pass --force", field="force")

    def counts(keys: Sequence[str]) -> list[Any]:
        return queries.sanction_counts(
            db,
            level=None if place is None else place.level,
            code=None if place is None else place.code,
            forces=forces,
            first=period.first,
            last=period.last,
            categories=categories,
            by=keys,
        )

    names = key_names(by)
    rows = [
        sanction_row(dict(zip(names, r[: len(names)], strict=True)), r[len(names) :], confidence) for r in counts(by)
    ]
    total_rows = counts(())
    total = sanction_row({}, total_rows[0] if total_rows else EMPTY_COUNTS, confidence)
    outcome_months = queries.outcome_months(db, forces)
    notes = sanction_notes(total, outcome_months, period)
    with_outcomes = queries.forces_with_outcomes(db)
    if len(forces) > 1:
        notes += [
            f"no outcomes files are loaded for {f}: its crimes count as without an outcome"
            for f in forces
            if f not in with_outcomes and f in queries.forces_with_crimes(db)
        ]
    loads = [LoadUsed(*r) for r in queries.loads_used(db, forces, period.first, period.last)]
    return OutcomesResult(
        area_code,
        area_name,
        period,
        forces,
        tuple(by),
        rows,
        total,
        (outcome_months[0], outcome_months[1]) if outcome_months[0] is not None else None,
        loads,
        notes,
    )


def dashboard_rates(
    db: Database,
    borough: str | None,
    period: Period,
    *,
    crime_type: str,
    crime_subtype: str | None = None,
    by: Sequence[str] = (),
    confidence: float = 0.95,
) -> DashboardResult:
    """Positive outcomes per 100 offences from the MPS dashboard's borough rows (``borough``: a GSS code; None: London).

    The dashboard counts offences in the month they were recorded and positive outcomes in the
    month the outcome was recorded, so this is a ratio of two monthly flows, not the share of a
    cohort of crimes. Over a year the two are close; a single month's ratio can exceed 100. The
    Wilson interval (Wilson 1927) is given when outcomes do not exceed offences.
    """
    unknown = [b for b in by if b not in DASHBOARD_BY]
    if unknown:
        raise OutcomesError(
            f"the dashboard can be grouped by {', '.join(DASHBOARD_BY)}, not {', '.join(unknown)}", field="by"
        )
    subtype = crime_subtype or crime_type
    known = queries.dashboard_kinds(db)
    if not any(t.lower() == crime_type.lower() and st.lower() == subtype.lower() for t, st in known):
        listed = "; ".join(f"{t} / {st}" for t, st in known) or "none: load the MPS Monthly Crime Dashboard first"
        raise NotFound(
            f"no dashboard rows for {crime_type} / {subtype}. Crime types and subtypes loaded: {listed}",
            field="crime_type",
        )
    present = queries.dashboard_months(db, crime_type, subtype, borough, period.first, period.last)
    names = key_names(by, DASHBOARD_KEYS)
    grouped, (offences, positive), refresh = queries.dashboard_sums(
        db, crime_type, subtype, borough, period.first, period.last, by
    )
    rows = [dashboard_row(dict(zip(names, r[:-2], strict=True)), r[-2], r[-1], confidence) for r in grouped]
    total = dashboard_row({}, offences, positive, confidence)
    notes = dashboard_notes(rows, total, len(present), period)
    name = "London" if borough is None else LONDON_BOROUGHS.get(borough, borough)
    return DashboardResult(
        borough or "E12000007", name, period, crime_type, subtype, rows, total, present, refresh, notes
    )


def ask(db: Database, query: Query) -> Answer:
    """Sanction detection rates (or the dashboard's positive outcome rates) for what ``query`` selects."""
    period = query.checked()
    place = resolve_area(db, query.area)
    asked = {**dataclasses.asdict(query), "period": str(period)}
    if query.source == "dashboard":
        if place is not None and place.level != "borough":
            raise BadRequest("the dashboard is read at borough level: give London or a borough", field="area")
        dash = dashboard_rates(
            db,
            None if place is None else place.code,
            period,
            crime_type=query.crime_type or "",  # checked: given with source dashboard
            crime_subtype=query.crime_subtype,
            by=query.by,
        )
        items = [r.as_dict() for r in (dash.rows if dash.rows else [dash.total])]
        return Answer(
            question="outcomes",
            query=asked,
            items=items,
            columns=(*key_names(query.by, DASHBOARD_KEYS), *DASHBOARD_FIGURES),
            meta={
                "source": DASHBOARD,
                "area_code": dash.area_code,
                "area_name": dash.area_name,
                "crime_type": dash.crime_type,
                "crime_subtype": dash.crime_subtype,
                "months_with_data": len(dash.months_present),
                "months_asked": period.months,
                "refresh_dates": [d.isoformat() for d in dash.refresh_dates if d],
                "total_row": dash.total.as_dict(),
                "loads": loads_used(db, ("datastore-dashboard",)),
            },
            notes=list(dash.notes),
            result=dash,
        )
    result = sanction_rates(db, place, period, by=query.by, categories=list(query.category) or None, force=query.force)
    return Answer(
        question="outcomes",
        query=asked,
        items=[r.as_dict() for r in (result.rows if result.by else [result.total])],
        columns=(*key_names(query.by), *FIGURES),
        meta={
            "source": "police-uk",
            "area_code": result.area_code,
            "area_name": result.area_name,
            "forces": result.forces,
            "outcome_months": [f"{m:%Y-%m}" for m in result.outcome_months] if result.outcome_months else None,
            "total_row": result.total.as_dict(),
            "loads": [x.as_dict() for x in result.loads],
        },
        notes=list(result.notes),
        result=result,
    )


QUESTION = Question(
    name="outcomes",
    query=Query,
    ask=ask,
    command=("outcomes",),
    route="/outcomes",
    summary="Sanction detection rates with Wilson intervals, time to a sanction, and what is still under investigation.",
    example={"period": "2024-01:2024-06", "area": "Westminster", "by": ["month"]},
)


# --- targets ----------------------------------------------------------------------------------


class _OutcomesSource:
    """``measure: {source: outcomes, period: YYYY-MM:YYYY-MM, ...}`` for rate and level targets.

    ``data: police-uk`` (default) with an optional ``category`` (police.uk crime types): the
    sanction detection rate of the crimes recorded in the period. ``data: dashboard`` with
    ``crime_type`` (and ``crime_subtype``): positive outcomes per offence from the MPS dashboard.
    """

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        problems = []
        if target_type not in ("rate", "level"):
            problems.append("source outcomes gives a rate: use type rate or level")
        try:
            Period.parse(str(spec.get("period", "")))
        except MetforwardError:
            problems.append("'period' (YYYY-MM:YYYY-MM) is required")
        data = spec.get("data", "police-uk")
        if data not in ("police-uk", "dashboard"):
            problems.append("'data' must be police-uk or dashboard")
        if data == "dashboard" and not isinstance(spec.get("crime_type"), str):
            problems.append("'crime_type' (e.g. Knife Crime) is required with data: dashboard")
        category = spec.get("category")
        if category is not None and not isinstance(category, str | list):
            problems.append("'category' must be a police.uk crime type or a list of them")
        return problems

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        period = Period.parse(str(spec["period"]))
        if spec.get("data") == "dashboard":
            return self._dashboard(db, spec, area, period, confidence)
        category = spec.get("category")
        categories = [category] if isinstance(category, str) else list(category) if category else None
        result = sanction_rates(db, resolve_area(db, area), period, categories=categories, force=spec.get("force"))
        t = result.total
        what = ", ".join(categories) if categories else "all crime types"
        basis = (
            f"{t.sanctioned:,} of {t.crimes:,} {what} crimes recorded in {period} with a sanction outcome "
            f"(police.uk outcomes joined by Crime ID; Wilson {confidence:.0%} interval)"
        )
        if result.outcome_months:
            basis += f"; outcomes loaded {result.outcome_months[0]:%Y-%m} to {result.outcome_months[1]:%Y-%m}"
        if result.notes:
            basis += "; " + "; ".join(result.notes)
        if t.crimes == 0:
            return Observation(basis=basis)
        return Observation(counts=(float(t.sanctioned), float(t.crimes)), basis=basis)

    def _dashboard(
        self, db: Database, spec: Mapping[str, Any], area: str, period: Period, confidence: float
    ) -> Observation:
        try:
            dash = dashboard_rates(
                db,
                None if area == "London" else area,
                period,
                crime_type=str(spec["crime_type"]),
                crime_subtype=spec.get("crime_subtype"),
            )
        except (OutcomesError, NotFound) as exc:
            return Observation(basis=str(exc))
        d = dash.total
        basis = (
            f"{d.positive_outcomes:,} positive outcomes / {d.offences:,} offences, {dash.crime_type} / "
            f"{dash.crime_subtype}, {period} ({len(dash.months_present)} of {period.months} months; MPS Monthly "
            f"Crime Dashboard, refreshed {', '.join(f'{x:%Y-%m-%d}' for x in dash.refresh_dates if x)}); "
            f"Wilson {confidence:.0%} interval"
        )
        if dash.notes:
            basis += "; " + "; ".join(dash.notes)
        if d.offences == 0 or d.positive_outcomes > d.offences:
            return Observation(basis=basis)
        return Observation(counts=(float(d.positive_outcomes), float(d.offences)), basis=basis)


TARGET_SOURCE = _OutcomesSource()

__all__ = ["QUESTION", "TARGET_SOURCE", "OutcomesError", "Query", "ask", "dashboard_rates", "sanction_rates"]
