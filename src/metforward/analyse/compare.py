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
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from metforward.analyse.dispersion import METHODS, judge
from metforward.domain.areas import GSS_CODE, borough_code
from metforward.domain.periods import add_months, month_range, month_text, parse_month
from metforward.errors import MetforwardError
from metforward.store import cubes
from metforward.store.database import Database

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


class CompareError(MetforwardError):
    """A comparison that cannot be made as asked (bad period, unknown area, no data)."""

    code = "compare"


@dataclass(frozen=True)
class Period:
    """An inclusive range of months."""

    first: dt.date
    last: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM:YYYY-MM`` (or a single ``YYYY-MM``)."""
        parts = text.split(":")
        if len(parts) not in (1, 2):
            raise CompareError(f"not a period: {text!r} (expected YYYY-MM:YYYY-MM, e.g. 2008-06:2010-02)")
        try:
            first, last = parse_month(parts[0]), parse_month(parts[-1])
        except ValueError as exc:
            raise CompareError(str(exc)) from exc
        if last < first:
            raise CompareError(f"period {text!r} ends before it starts")
        return cls(first, last)

    @classmethod
    def around(cls, pivot: str, window: int) -> tuple[Period, Period]:
        """The ``window`` months before ``pivot`` and the ``window`` months from ``pivot`` on."""
        start = parse_month(pivot)
        return (
            cls(add_months(start, -window), add_months(start, -1)),
            cls(start, add_months(start, window - 1)),
        )

    @property
    def months(self) -> int:
        """How many months the period spans."""
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def __str__(self) -> str:
        return f"{month_text(self.first)}:{month_text(self.last)}"


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
            raise CompareError(f"unknown method {self.method!r} (expected one of {', '.join(METHODS)})")
        if self.source not in SOURCES:
            raise CompareError(f"unknown source {self.source!r} (expected one of {', '.join(SOURCES)})")
        if self.level not in LEVELS:
            raise CompareError(f"unknown level {self.level!r} (expected one of {', '.join(LEVELS)})")
        allowed = ("category",) if self.source == "police-uk" else ("major", "minor")
        if self.by not in allowed:
            raise CompareError(f"{self.source} categories are {' or '.join(allowed)}, not {self.by!r}")
        if not 0 < self.alpha < 1:
            raise CompareError("alpha must lie between 0 and 1")


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


def _choose_kind(db: Database, spec: CompareSpec) -> str | None:
    if spec.source != "datastore":
        return None
    if spec.kind:
        return spec.kind
    available = {k: (first, last) for k, first, last in cubes.datastore_kinds(db)}
    start, end = min(spec.before.first, spec.after.first), max(spec.before.last, spec.after.last)
    candidates = [k for k in _LEVEL_KINDS[spec.level] if k in available]
    if not candidates:
        raise CompareError(
            f"no London Datastore counts at {spec.level} level are loaded; ingest a Datastore file first"
        )
    covering = [k for k in candidates if available[k][0] <= start and end <= available[k][1]]
    if covering:
        return covering[0]

    def overlap(kind: str) -> int:
        first, last = available[kind]
        lo, hi = max(first, start), min(last, end)
        return 0 if hi < lo else Period(lo, hi).months

    return max(candidates, key=overlap)


def resolve_areas(db: Database, spec: CompareSpec) -> list[str] | None:
    """The area codes an ``--area`` NAME-or-GSS-code means at the spec's level (None: all areas)."""
    if spec.area is None:
        return None
    text = spec.area.strip()
    names = cubes.area_lookup(db, source=spec.source, level=spec.level)
    if text in names:
        return [text]
    if GSS_CODE.match(text.upper()) and text.upper() in names:
        return [text.upper()]
    code = borough_code(text) if spec.level == "borough" else None
    if code and code in names:
        return [code]
    wanted = re.sub(r"\s+", " ", text.lower())
    found = [c for c, n in names.items() if n and n.lower() == wanted]
    if not found:
        raise CompareError(
            f"no {spec.level} called {spec.area!r} in the {spec.source} data loaded "
            f"(give a GSS code or a name, e.g. Westminster or E09000033)"
        )
    return found


def compare(db: Database, spec: CompareSpec) -> CompareTable:
    """Compare the two periods of ``spec`` for every area and category it selects."""
    kind = _choose_kind(db, spec)
    areas = resolve_areas(db, spec)
    by = (spec.by,)
    raw = cubes.period_counts(
        db,
        source=spec.source,
        level=spec.level,
        before=(spec.before.first, spec.before.last),
        after=(spec.after.first, spec.after.last),
        by=by,
        areas=areas,
        force=spec.force,
        kind=kind,
    )
    present_before = cubes.months_present(
        db, source=spec.source, first=spec.before.first, last=spec.before.last, force=spec.force, kind=kind
    )
    present_after = cubes.months_present(
        db, source=spec.source, first=spec.after.first, last=spec.after.last, force=spec.force, kind=kind
    )
    notes = []
    if not present_before or not present_after:
        notes.append('no data in one of the periods: every verdict is "can\'t tell"')
    before = np.array([r[3] for r in raw], dtype=np.int64)
    after = np.array([r[4] for r in raw], dtype=np.int64)
    t_before, t_after = _exposures(db, spec, raw, present_before, present_after)
    if len(raw) and (t_before == 0).any() | (t_after == 0).any():
        notes.append('rows whose force published the category in only one period: "can\'t tell" (no exposure)')
    squares = (
        cubes.period_squares(
            db,
            source=spec.source,
            level=spec.level,
            before=(spec.before.first, spec.before.last),
            after=(spec.after.first, spec.after.last),
            by=by,
            areas=areas,
            force=spec.force,
            kind=kind,
        )
        if spec.method == "quasi"
        else {}
    )
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
    no_location = (
        cubes.no_location_share(
            db,
            first=min(spec.before.first, spec.after.first),
            last=max(spec.before.last, spec.after.last),
            force=spec.force,
        )
        if spec.source == "police-uk"
        else {}
    )
    pop_year = spec.after.last.year
    people = cubes.population(db, level=spec.level, year=pop_year) if spec.level in ("borough", "lsoa") else {}
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
                no_location_share=_f(no_location.get(category)),
                rate_before_per_1000=_annual_rate(n_before, m_before, pop),
                rate_after_per_1000=_annual_rate(n_after, m_after, pop),
                method=spec.method,
                dispersion=_f(round(float(judged.dispersion[i]), 4)),
                dispersion_months=int(judged.dispersion_months[i]),
            )
        )
    return CompareTable(
        spec, rows, kind, present_before, present_after, pop_year if people else None, notes, judged.summary()
    )


def _exposures(
    db: Database,
    spec: CompareSpec,
    raw: list[tuple[Any, ...]],
    present_before: list[dt.date],
    present_after: list[dt.date],
) -> tuple[np.ndarray, np.ndarray]:
    """Months of data behind each row in each period.

    London Datastore files are complete grids: every row has the months the source has. police.uk
    rows count only the months in which the forces behind the row published that crime type.
    """
    n = len(raw)
    if spec.source != "police-uk":
        return np.full(n, float(len(present_before))), np.full(n, float(len(present_after)))
    covered = cubes.coverage(
        db, first=min(spec.before.first, spec.after.first), last=max(spec.before.last, spec.after.last)
    )
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
