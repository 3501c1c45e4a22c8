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

This module holds the kernels (rows in, frozen results out); what is read from the store, and the
question's options, are in :mod:`metforward.questions.outcomes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metforward.analyse.proportions import wilson
from metforward.domain.outcomes import SANCTION_CLASSES
from metforward.domain.periods import Period

#: Grouping keys and the columns each gives a row (the SQL that reads them lives in the store).
KEY_NAMES = {
    "borough": ("borough_code", "borough_name"),
    "ward": ("ward_code", "ward_name"),
    "category": ("category",),
    "month": ("month",),
}
BY = tuple(KEY_NAMES)
#: The MPS dashboard's grouping keys and their columns.
DASHBOARD_KEYS = {"borough": ("borough_code", "borough_name"), "month": ("month",)}
DASHBOARD_BY = tuple(DASHBOARD_KEYS)
#: The figures of a sanction row, in order, after its grouping keys (:meth:`OutcomeRow.as_dict`).
FIGURES = (
    "crimes",
    "sanctioned",
    "rate",
    "ci_low",
    "ci_high",
    *(f"sanction_{c}" for c in SANCTION_CLASSES),
    "with_outcome",
    "under_investigation",
    "outcome_missing",
    "street_sanctioned",
    "street_rate",
    "months_to_sanction_q1",
    "months_to_sanction_median",
    "months_to_sanction_q3",
)
DASHBOARD_FIGURES = ("offences", "positive_outcomes", "rate", "ci_low", "ci_high")
#: The counts of a group with no crimes (as the store's sums give them, quartiles last).
EMPTY_COUNTS = (0, 0, 0, 0, 0, 0, *([0] * len(SANCTION_CLASSES)), None, None, None)


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

    def as_dict(self) -> dict[str, object]:
        """The JSON form: months as ``YYYY-MM``, load times to the second."""
        return {
            "kind": self.kind,
            "force": self.force,
            "first_month": f"{self.first_month:%Y-%m}",
            "last_month": f"{self.last_month:%Y-%m}",
            "files": self.files,
            "loaded_first": self.loaded_first.isoformat(timespec="seconds"),
            "loaded_last": self.loaded_last.isoformat(timespec="seconds"),
        }


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


def key_names(by: Sequence[str], keys: Mapping[str, tuple[str, ...]] = KEY_NAMES) -> list[str]:
    """The key columns a grouping by ``by`` gives each row."""
    return [name for b in by for name in keys[b]]


def sanction_row(keys: Mapping[str, Any], values: Sequence[Any], confidence: float = 0.95) -> OutcomeRow:
    """One group's row from the store's counts (crimes, sanctioned, with an outcome, under investigation,
    outcome missing, street sanctioned, one count per sanction class, quartiles of months to a sanction)."""
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


def sanction_notes(total: OutcomeRow, outcome_months: tuple[Any, ...], period: Period) -> list[str]:
    """What a reader must know about ``total`` (no crimes, no or too few outcomes loaded, outcomes missing)."""
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


# --- the MPS Monthly Crime Dashboard ---------------------------------------------------------------


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


def dashboard_row(keys: Mapping[str, Any], offences: Any, positive: Any, confidence: float = 0.95) -> DashboardRow:
    """One group's offences and positive outcomes, with the Wilson interval when outcomes do not exceed offences."""
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


def dashboard_notes(rows: Sequence[DashboardRow], total: DashboardRow, present: int, period: Period) -> list[str]:
    """What a reader must know: months without rows, groups with more outcomes than offences."""
    notes = []
    if present < period.months:
        notes.append(f"{period.months - present} of the {period.months} months have no dashboard rows")
    over = [r for r in [*rows, total] if r.rate is not None and r.ci_low is None]
    if over:
        notes.append(
            f"{len(over)} group(s) have more positive outcomes than offences (outcomes of earlier crimes): "
            "no interval is given for them"
        )
    return notes
