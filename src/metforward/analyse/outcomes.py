"""Sanction detection rates from police.uk outcomes joined to street crimes by Crime ID.

For the crimes recorded in a period (police.uk street rows with a Crime ID), grouped by area,
category and/or crime month:

* ``sanctioned``: crimes with at least one sanction outcome (charge or summons, caution, penalty
  notice, drugs warning, community resolution; :mod:`metforward.domain.outcomes`) in the
  outcomes files loaded, whatever month the outcome came in; the rate has a Wilson interval
  (Wilson 1927);
* ``months_to_sanction``: the months from the crime's month to its first sanction outcome's
  month (quartiles);
* ``under_investigation``: crimes with no outcome row and a street-file last outcome of "Under
  investigation" (or none);
* ``outcome_missing``: crimes with no outcome row although the street file's last outcome says
  the investigation has ended: the outcomes files loaded lack them. This is a completeness
  flag, and the street file's own last outcome gives a second, snapshot rate
  (``street_sanctioned``) to set beside the first.

police.uk files are snapshots: a newer download of a month replaces the older one in the store
(the latest load of a month is used), and the result lists the loads used with their load
dates, so a figure can always be traced to the downloads behind it.

A crime recorded late in the period has had less time to reach an outcome than one recorded
early (right censoring): the result gives the last outcome month loaded, and ``--by month``
shows the rate falling off towards the end of the period where this matters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metforward.analyse.compare import Period
from metforward.analyse.proportions import wilson
from metforward.analyse.target_sources import Observation
from metforward.domain.areas import LONDON_BOROUGHS, force_of_borough
from metforward.domain.outcomes import SANCTION_CLASSES
from metforward.errors import MetforwardError
from metforward.store.database import Database
from metforward.store.places import Place, resolve_place
from metforward.store.queries import areas as area_queries
from metforward.store.queries import outcomes as queries

#: Grouping keys and the columns they read (the SQL lives in the store).
BY = queries.BY
_KEY_NAMES = {
    "borough": ("borough_code", "borough_name"),
    "ward": ("ward_code", "ward_name"),
    "category": ("category",),
    "month": ("month",),
}


class OutcomesError(MetforwardError):
    """An outcomes question that cannot be answered as asked."""

    code = "outcomes"


@dataclass(frozen=True)
class OutcomeRow:
    """Outcomes of one group of crimes."""

    keys: dict[str, str | None]
    crimes: int
    sanctioned: int
    rate: float | None  # % of crimes with a sanction outcome
    ci_low: float | None
    ci_high: float | None
    by_class: dict[str, int]  # sanctioned crimes by the class of their first sanction outcome
    with_outcome: int  # crimes with any outcome row
    under_investigation: int
    outcome_missing: int
    street_sanctioned: int  # from the street file's last outcome category (snapshot)
    street_rate: float | None
    months_to_sanction: tuple[float, float, float] | None  # quartiles (25%, median, 75%)

    def as_dict(self) -> dict[str, object]:
        """The JSON form: grouping keys first, then the figures."""
        out: dict[str, object] = dict(self.keys)
        for name in self.__dataclass_fields__:
            if name == "keys":
                continue
            value = getattr(self, name)
            if name == "months_to_sanction":
                out["months_to_sanction_q1"], out["months_to_sanction_median"], out["months_to_sanction_q3"] = (
                    value if value is not None else (None, None, None)
                )
            elif name == "by_class":
                out.update({f"sanction_{k}": v for k, v in value.items()})
            else:
                out[name] = value
        return out


@dataclass(frozen=True)
class LoadUsed:
    """A police.uk load whose rows a result rests on."""

    kind: str
    force: str | None
    first_month: dt.date
    last_month: dt.date
    files: int
    loaded_first: dt.datetime
    loaded_last: dt.datetime


@dataclass(frozen=True)
class OutcomesResult:
    """Sanction detection by group, with what it rests on."""

    area_code: str
    area_name: str
    period: Period
    forces: list[str]
    by: tuple[str, ...]
    rows: list[OutcomeRow]
    total: OutcomeRow
    outcome_months: tuple[dt.date, dt.date] | None  # first and last outcome month loaded
    loads: list[LoadUsed]
    notes: list[str] = field(default_factory=list)


def area_of(db: Database, text: str | None) -> Place | None:
    """``None`` for London (every London borough), else the borough, ward or LSOA ``text`` names."""
    if text is None or text.strip().lower() in ("london", "all"):
        return None
    return resolve_place(db, text)


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
        raise OutcomesError(f"cannot group by {', '.join(unknown)}: choose from {', '.join(BY)}")
    if place is None:
        borough = None
        area_code, area_name = "E12000007", "London"
    else:
        borough = place.code if place.level == "borough" else area_queries.borough_of(db, place.level, place.code)
        area_code, area_name = place.code, place.name
    forces = _forces(place, borough, force)
    if not forces:
        raise OutcomesError(f"no police force is known for {area_name}: pass --force")

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

    names = [name for b in by for name in _KEY_NAMES[b]]
    rows = [_row(dict(zip(names, r[: len(names)], strict=True)), r[len(names) :], confidence) for r in counts(by)]
    total_rows = counts(())
    empty = (0, 0, 0, 0, 0, 0, *([0] * len(SANCTION_CLASSES)), None, None, None)
    total = _row({}, total_rows[0] if total_rows else empty, confidence)
    outcome_months = queries.outcome_months(db, forces)
    notes = _notes(total, outcome_months, period)
    with_outcomes = queries.forces_with_outcomes(db)
    if len(forces) > 1:
        notes += [
            f"no outcomes files are loaded for {f}: its crimes count as without an outcome"
            for f in forces
            if f not in with_outcomes and f in queries.forces_with_crimes(db)
        ]
    return OutcomesResult(
        area_code,
        area_name,
        period,
        forces,
        tuple(by),
        rows,
        total,
        (outcome_months[0], outcome_months[1]) if outcome_months[0] is not None else None,
        loads_used(db, forces, period),
        notes,
    )


def _row(keys: Mapping[str, Any], values: Sequence[Any], confidence: float) -> OutcomeRow:
    crimes, sanctioned, with_outcome, under, missing, street = (int(v) for v in values[:6])
    classes = dict(zip(SANCTION_CLASSES, (int(v) for v in values[6 : 6 + len(SANCTION_CLASSES)]), strict=True))
    q1, q2, q3 = values[6 + len(SANCTION_CLASSES) :]
    rate = low = high = street_rate = None
    if crimes:
        est = wilson(sanctioned, crimes, confidence=confidence)
        rate, low, high = round(100 * est.value, 4), round(100 * est.low, 4), round(100 * est.high, 4)
        street_rate = round(100 * street / crimes, 4)
    return OutcomeRow(
        {k: (None if v is None else str(v)) for k, v in keys.items()},
        crimes,
        sanctioned,
        rate,
        low,
        high,
        classes,
        with_outcome,
        under,
        missing,
        street,
        street_rate,
        (float(q1), float(q2), float(q3)) if q2 is not None else None,
    )


def _notes(total: OutcomeRow, outcome_months: tuple[Any, ...], period: Period) -> list[str]:
    notes = []
    if total.crimes == 0:
        notes.append("no crimes with a Crime ID in this area and period: load police.uk street files first")
        return notes
    if outcome_months[0] is None:
        notes.append("no outcomes files are loaded for these forces: every crime counts as without an outcome")
    elif outcome_months[1] < period.last:
        notes.append(
            f"outcomes are loaded only up to {outcome_months[1]:%Y-%m}, before the end of the period: "
            "the rate for the last months is understated"
        )
    if total.outcome_missing:
        share = 100 * total.outcome_missing / total.crimes
        notes.append(
            f"{total.outcome_missing:,} crimes ({share:.1f}%) have a final last outcome in the street file but no row "
            f"in the outcomes files loaded: the sanction rate may be understated; the street file's own last "
            f"outcome gives {total.street_rate:.1f}%"
        )
    return notes


def loads_used(db: Database, forces: list[str], period: Period) -> list[LoadUsed]:
    """The current (not replaced) street and outcomes loads of ``forces`` that a result rests on.

    Street loads of the period's months; outcomes loads of the period's months and after (an
    outcome arrives in a month at or after its crime's).
    """
    rows = queries.loads_used(db, forces, period.first, period.last)
    return [LoadUsed(*r) for r in rows]


# --- the MPS Monthly Crime Dashboard ---------------------------------------------------------------

DASHBOARD_BY = queries.DASHBOARD_BY
_DASHBOARD_KEYS = {"borough": ("borough_code", "borough_name"), "month": ("month",)}


@dataclass(frozen=True)
class DashboardRow:
    """Offences and positive outcomes of one group, from the MPS Monthly Crime Dashboard."""

    keys: dict[str, str | None]
    offences: int
    positive_outcomes: int
    rate: float | None  # positive outcomes per 100 offences
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form: grouping keys first."""
        return {**self.keys, **{k: getattr(self, k) for k in self.__dataclass_fields__ if k != "keys"}}


@dataclass(frozen=True)
class DashboardResult:
    """Positive outcome rates from the dashboard, with what they rest on."""

    area_code: str
    area_name: str
    period: Period
    crime_type: str
    crime_subtype: str
    rows: list[DashboardRow]
    total: DashboardRow
    months_present: list[dt.date]
    refresh_dates: list[dt.date]
    notes: list[str] = field(default_factory=list)


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
        raise OutcomesError(f"the dashboard can be grouped by {', '.join(DASHBOARD_BY)}, not {', '.join(unknown)}")
    subtype = crime_subtype or crime_type
    known = queries.dashboard_kinds(db)
    if not any(t.lower() == crime_type.lower() and st.lower() == subtype.lower() for t, st in known):
        listed = "; ".join(f"{t} / {st}" for t, st in known) or "none: load the MPS Monthly Crime Dashboard first"
        raise OutcomesError(
            f"no dashboard rows for {crime_type} / {subtype}. Crime types and subtypes loaded: {listed}"
        )
    present = queries.dashboard_months(db, crime_type, subtype, borough, period.first, period.last)
    names = [name for b in by for name in _DASHBOARD_KEYS[b]]
    grouped, (offences, positive), refresh = queries.dashboard_sums(
        db, crime_type, subtype, borough, period.first, period.last, by
    )
    rows = [_dashboard_row(dict(zip(names, r[:-2], strict=True)), r[-2], r[-1], confidence) for r in grouped]
    total = _dashboard_row({}, offences, positive, confidence)
    notes = []
    if len(present) < period.months:
        notes.append(f"{period.months - len(present)} of the {period.months} months have no dashboard rows")
    over = [r for r in [*rows, total] if r.rate is not None and r.ci_low is None]
    if over:
        notes.append(
            f"{len(over)} group(s) have more positive outcomes than offences (outcomes of earlier crimes): "
            "no interval is given for them"
        )
    name = "London" if borough is None else LONDON_BOROUGHS.get(borough, borough)
    return DashboardResult(
        borough or "E12000007", name, period, crime_type, subtype, rows, total, present, refresh, notes
    )


def _dashboard_row(keys: Mapping[str, Any], offences: Any, positive: Any, confidence: float) -> DashboardRow:
    offences, positive = int(offences or 0), int(positive or 0)
    labelled = {k: (None if v is None else str(v)) for k, v in keys.items()}
    if "borough_code" in labelled and labelled["borough_code"] is None:
        labelled["borough_name"] = "Other / not known"
    if offences == 0:
        return DashboardRow(labelled, offences, positive, None, None, None)
    if positive > offences:
        return DashboardRow(labelled, offences, positive, round(100 * positive / offences, 4), None, None)
    est = wilson(positive, offences, confidence=confidence)
    return DashboardRow(
        labelled, offences, positive, round(100 * est.value, 4), round(100 * est.low, 4), round(100 * est.high, 4)
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
            try:
                dash = dashboard_rates(
                    db,
                    None if area == "London" else area,
                    period,
                    crime_type=str(spec["crime_type"]),
                    crime_subtype=spec.get("crime_subtype"),
                )
            except OutcomesError as exc:
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
        category = spec.get("category")
        categories = [category] if isinstance(category, str) else list(category) if category else None
        place = area_of(db, area)
        result = sanction_rates(db, place, period, categories=categories, force=spec.get("force"))
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


TARGET_SOURCE = _OutcomesSource()
