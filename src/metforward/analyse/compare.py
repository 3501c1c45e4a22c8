"""Before/after comparisons of counts by area and category, with significance and completeness.

For each area and category: the count in each period, the rate ratio (after/before, per month
of data present) with its exact 95% interval and p value from the conditional test of two
Poisson counts (see :mod:`metforward.analyse.poisson`), a Benjamini-Hochberg q value across the
rows of the table, and the verdict "up", "down" or "can't tell". The exposure of each period is
the number of months in it for which the source has any data, so a missing month lowers the
exposure instead of looking like a fall in crime, and the completeness column says how many
of the months asked for were there.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from metforward.analyse.dispersion import METHODS, judge
from metforward.domain.periods import Period, month_range
from metforward.errors import BadRequest, NoData

__all__ = ["Period", "CompareSpec", "CompareRow", "CompareTable", "CompareCounts", "choose_kind", "tabulate"]

LEVELS = ("force", "borough", "ward", "lsoa")
SOURCES = ("police-uk", "datastore")
#: Preferred Datastore kinds, best first (current categories before the 2008-2016 ones).
DATASTORE_PREFERENCE = ("datastore-borough", "datastore-ward", "datastore-lsoa", "datastore-borough-2008")
_LEVEL_KINDS = {
    "force": DATASTORE_PREFERENCE,
    "borough": ("datastore-borough", "datastore-borough-2008"),
    "ward": ("datastore-ward",),
    "lsoa": ("datastore-lsoa",),
}


class CompareError(BadRequest):
    """A comparison that cannot be made as asked: a method, source, level or category scheme it does not know."""


@dataclass(frozen=True)
class CompareSpec:
    """What to compare."""

    before: Period
    after: Period
    source: str = "police-uk"
    level: str = "borough"
    area: str | None = None
    force: str | None = None
    by: str = "category"
    kind: str | None = None
    alpha: float = 0.05
    method: str = "quasi"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise CompareError(f"unknown method {self.method!r} (expected one of {', '.join(METHODS)})", field="method")
        if self.source not in SOURCES:
            raise CompareError(f"unknown source {self.source!r} (expected one of {', '.join(SOURCES)})", field="source")
        if self.level not in LEVELS:
            raise CompareError(f"unknown level {self.level!r} (expected one of {', '.join(LEVELS)})", field="level")
        allowed = ("category",) if self.source == "police-uk" else ("major", "minor")
        if self.by not in allowed:
            raise CompareError(f"{self.source} categories are {' or '.join(allowed)}, not {self.by!r}", field="by")
        if not 0 < self.alpha < 1:
            raise CompareError("alpha must lie between 0 and 1", field="alpha")


@dataclass(frozen=True)
class CompareRow:
    """One area and category; the keys of ``compare --json``."""

    area_code: str
    area_name: str
    category: str
    before: int
    after: int
    change: int
    change_pct: float | None
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    verdict: str
    months_before: int
    months_after: int
    months_asked_before: int
    months_asked_after: int
    completeness: float
    no_location_share: float | None = None
    rate_before_per_1000: float | None = None
    rate_after_per_1000: float | None = None
    method: str = "quasi"
    dispersion: float | None = None
    dispersion_months: int = 0

    def as_dict(self) -> dict[str, object]:
        """The JSON form (NaN and infinity become null)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class CompareTable:
    """A whole comparison: the rows and how they were made."""

    spec: CompareSpec
    rows: list[CompareRow]
    kind: str | None
    months_present_before: list[dt.date]
    months_present_after: list[dt.date]
    population_year: int | None = None
    notes: list[str] = field(default_factory=list)
    #: The method and dispersion line for under the table (:func:`metforward.analyse.dispersion.dispersion_line`).
    method_note: str = ""

    @property
    def missing_months(self) -> list[dt.date]:
        """Months asked for in either period for which the source has no data."""
        present = set(self.months_present_before) | set(self.months_present_after)
        asked = [
            *month_range(self.spec.before.first, self.spec.before.last),
            *month_range(self.spec.after.first, self.spec.after.last),
        ]
        return [m for m in asked if m not in present]


def choose_kind(spec: CompareSpec, available: Mapping[str, tuple[dt.date, dt.date]]) -> str | None:
    """The Datastore file kind a comparison reads: the one asked for, else the best of ``available``
    (kind -> first and last month loaded) at the spec's level that covers both periods, else the one
    that covers most of them. None for police.uk."""
    if spec.source != "datastore":
        return None
    if spec.kind:
        return spec.kind
    start, end = min(spec.before.first, spec.after.first), max(spec.before.last, spec.after.last)
    candidates = [k for k in _LEVEL_KINDS[spec.level] if k in available]
    if not candidates:
        raise NoData(f"no London Datastore counts at {spec.level} level are loaded; ingest a Datastore file first")
    covering = [k for k in candidates if available[k][0] <= start and end <= available[k][1]]
    if covering:
        return covering[0]

    def overlap(kind: str) -> int:
        first, last = available[kind]
        lo, hi = max(first, start), min(last, end)
        return 0 if hi < lo else Period(lo, hi).months

    return max(candidates, key=overlap)


@dataclass(frozen=True)
class CompareCounts:
    """What a comparison reads from the store (see :func:`metforward.questions.compare.read_counts`).

    ``raw``: one row per area and category, (code, name, category, before, after, forces);
    ``squares``: (code, category) -> sums of squared monthly counts in each period (quasi-Poisson);
    ``covered``: (force, category) -> months that force published that category (police.uk);
    ``no_location``: category -> share of crimes without a location; ``people``: area code -> residents.
    """

    kind: str | None
    raw: list[tuple[Any, ...]]
    present_before: list[dt.date]
    present_after: list[dt.date]
    squares: Mapping[tuple[str, str], tuple[float, float]]
    covered: Mapping[tuple[str, str], set[dt.date]]
    no_location: Mapping[str, float]
    people: Mapping[str, float]


def tabulate(spec: CompareSpec, counts: CompareCounts) -> CompareTable:
    """The comparison of ``spec`` from the counts read for it: rate ratios, intervals, p and q values,
    verdicts, completeness and rates, for every area and category."""
    raw = counts.raw
    notes = []
    if not counts.present_before or not counts.present_after:
        notes.append('no data in one of the periods: every verdict is "can\'t tell"')
    before = np.array([r[3] for r in raw], dtype=np.int64)
    after = np.array([r[4] for r in raw], dtype=np.int64)
    t_before, t_after = exposures(spec, raw, counts.present_before, counts.present_after, counts.covered)
    if len(raw) and (t_before == 0).any() | (t_after == 0).any():
        notes.append('rows whose force published the category in only one period: "can\'t tell" (no exposure)')
    squares = counts.squares
    s_before = np.array([squares.get((r[0], r[2]), (0.0, 0.0))[0] for r in raw], dtype=np.float64)
    s_after = np.array([squares.get((r[0], r[2]), (0.0, 0.0))[1] for r in raw], dtype=np.float64)
    judged = judge(
        before,
        after,
        t_before,
        t_after,
        squares_before=s_before,
        squares_after=s_after,
        method=spec.method,
        alpha=spec.alpha,
    )
    stats = [judged.row(i) for i in range(len(raw))]
    people = counts.people
    asked = spec.before.months + spec.after.months
    rows = []
    for i, ((code, name, category, n_before, n_after, _forces), (pct, rr, lo, hi, p, qv, v)) in enumerate(
        zip(raw, stats, strict=True)
    ):
        pop = people.get(code)
        m_before, m_after = int(t_before[i]), int(t_after[i])
        completeness = (m_before + m_after) / asked
        rows.append(
            CompareRow(
                area_code=code,
                area_name=name or code,
                category=category,
                before=int(n_before),
                after=int(n_after),
                change=int(n_after) - int(n_before),
                change_pct=_f(pct),
                rate_ratio=_f(rr),
                ci_low=_f(lo),
                ci_high=_f(hi),
                p_value=_f(p),
                q_value=_f(qv),
                verdict=v,
                months_before=m_before,
                months_after=m_after,
                months_asked_before=spec.before.months,
                months_asked_after=spec.after.months,
                completeness=round(completeness, 4),
                no_location_share=_f(counts.no_location.get(category)),
                rate_before_per_1000=_annual_rate(n_before, m_before, pop),
                rate_after_per_1000=_annual_rate(n_after, m_after, pop),
                method=spec.method,
                dispersion=_f(round(float(judged.dispersion[i]), 4)),
                dispersion_months=int(judged.dispersion_months[i]),
            )
        )
    pop_year = spec.after.last.year
    return CompareTable(
        spec,
        rows,
        counts.kind,
        counts.present_before,
        counts.present_after,
        pop_year if people else None,
        notes,
        judged.summary(),
    )


def exposures(
    spec: CompareSpec,
    raw: list[tuple[Any, ...]],
    present_before: list[dt.date],
    present_after: list[dt.date],
    covered: Mapping[tuple[str, str], set[dt.date]],
) -> tuple[np.ndarray, np.ndarray]:
    """Months of data behind each row in each period.

    London Datastore files are complete grids: every row has the months the source has. police.uk
    rows count only the months in which the forces behind the row published that crime type
    (``covered``: (force, category) -> months).
    """
    n = len(raw)
    if spec.source != "police-uk":
        return np.full(n, float(len(present_before))), np.full(n, float(len(present_after)))
    t_before, t_after = np.zeros(n), np.zeros(n)
    for i, row in enumerate(raw):
        category, forces = row[2], row[5] or []
        months: set[dt.date] = set()
        for force in forces:
            months |= covered.get((force, category), set())
        t_before[i] = sum(1 for m in months if spec.before.first <= m <= spec.before.last)
        t_after[i] = sum(1 for m in months if spec.after.first <= m <= spec.after.last)
    return t_before, t_after


def _f(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _annual_rate(count: int, months: int, population: float | None) -> float | None:
    """Crimes per 1,000 residents per year (the period's count scaled to twelve months)."""
    if not population or not months:
        return None
    return round(count / months * 12 / population * 1000, 3)
