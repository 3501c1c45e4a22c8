"""Hot streets and repeat locations: kernels over police.uk crimes by snap point (no store, no I/O).

police.uk publishes each crime at an anonymised **snap point** (a point standing for at least
eight postal addresses, or none) with its ``Location`` text ("On or near High Street") and the
month. Nothing here claims more precision than a snap point and a month.

* **Hot streets** (:func:`rank_streets`): a street is a ``Location`` text within a ward (two "High
  Street"s in different wards stay apart; a street crossing a ward boundary appears once per ward).
  Ranked by count or by harm, with the change against the previous period of equal length
  (quasi-Poisson or exact conditional Poisson test, Benjamini-Hochberg q values across the streets
  listed) and the concentration of crime on them: how many streets hold half of the area's crime
  (Weisburd 2015).
* **Repeat locations** (:func:`find_repeats`): snap points with crime in at least k of the last n months.

The rows are those of the places cube, as columns (``month``, ``category``, ``location``,
``longitude``, ``latitude``, ``ward_code``, ``ward_name``, ``n``); :mod:`metforward.questions.hotstreets`
and :mod:`metforward.questions.repeats` read them.

References
----------
Weisburd, D. (2015). The law of crime concentration and the criminology of place. Criminology
    53(2):133-157.
Tompson, L. et al. (2015). UK open source crime data: accuracy and possibilities for research.
    Cartography and Geographic Information Science 42(2):97-111.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metforward.analyse.crime_map import Area, Coverage, MapError, finite
from metforward.analyse.dispersion import judge
from metforward.domain.periods import Period, add_months, month_text

#: The columns of the places cube the kernels read, by name.
Rows = Mapping[str, Sequence[Any]]


def previous_period(period: Period) -> Period:
    """The period of equal length just before ``period`` (what a street's change is measured against)."""
    return Period(add_months(period.first, -period.months), add_months(period.first, -1))


@dataclass(frozen=True)
class Street:
    """One street (a police.uk ``Location`` text within a ward) and its crime."""

    rank: int
    location: str
    ward_code: str | None
    ward_name: str | None
    snap_points: int
    longitude: float
    latitude: float
    count: int
    share: float
    cumulative_share: float
    harm: float | None
    previous: int
    change_pct: float | None
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    verdict: str
    categories: dict[str, int] = field(default_factory=dict)
    method: str = "quasi"
    dispersion: float | None = None
    dispersion_months: int = 0


@dataclass(frozen=True)
class HotStreets:
    """Every street of an area with crime in a period, ranked, with the concentration of crime."""

    place: Area
    period: Period
    previous_period: Period
    rank_by: str
    streets: list[Street]
    total: int
    streets_for_half: int
    coverage: Coverage
    previous_coverage: Coverage
    harm_coverage: float | None
    notes: list[str]
    #: The method and dispersion line for under the table.
    method_note: str = ""

    @property
    def street_count(self) -> int:
        """Streets with at least one crime in the period."""
        return len(self.streets)


def rank_streets(
    rows: Rows,
    *,
    place: Area,
    period: Period,
    coverage: Coverage,
    previous_coverage: Coverage,
    weights: Mapping[str, float],
    rank_by: str = "count",
    alpha: float = 0.05,
    method: str = "quasi",
) -> HotStreets:
    """Streets ranked by count (or ``rank_by="harm"``) in ``period``, with change and concentration.

    ``rows`` cover ``period`` and the period before it (:func:`previous_period`). The change compares
    each street's count with its count in the previous period, per month of data (the months in
    ``coverage`` and ``previous_coverage``), by the quasi-Poisson comparison with the dispersion of the
    street's own monthly counts (:mod:`metforward.analyse.dispersion`), or with ``method="poisson"``
    the exact conditional Poisson test. Harm uses ``weights`` (category -> weight).
    """
    if rank_by not in ("count", "harm"):
        raise MapError(f"rank by 'count' or 'harm', not {rank_by!r}", field="rank_by")
    previous = previous_period(period)
    now: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    before: dict[tuple[str, str | None], int] = defaultdict(int)
    points: dict[tuple[str, str | None], dict[tuple[float, float], int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str | None, str | None] = {}
    monthly: dict[tuple[tuple[str, str | None], dt.date], int] = defaultdict(int)
    for month, category, location, lon, lat, ward, ward_name, n in zip(
        rows["month"], rows["category"], rows["location"], rows["longitude"], rows["latitude"],
        rows["ward_code"], rows["ward_name"], rows["n"], strict=True,
    ):  # fmt: skip
        key = (location or "(no location text)", ward)
        names[ward] = ward_name
        monthly[(key, month)] += int(n)
        if month >= period.first:
            now[key][category] += int(n)
            points[key][(lon, lat)] += int(n)
        else:
            before[key] += int(n)
    keys = list(now)
    counts = np.array([sum(now[k].values()) for k in keys], dtype=np.int64)
    harm = np.array([sum(weights.get(c, math.nan) * n for c, n in now[k].items() if c in weights) for k in keys])
    weighed = sum(n for k in keys for c, n in now[k].items() if c in weights)
    total = int(counts.sum())
    prev = np.array([before.get(k, 0) for k in keys], dtype=np.int64)
    t_now, t_prev = float(len(coverage.present)), float(len(previous_coverage.present))
    notes = []
    if coverage.missing:
        notes.append(f"{coverage.missing} of the {coverage.asked} months asked for have no data from the force")
    if t_prev == 0:
        notes.append(f'no data in the previous period {previous}: every change is "can\'t tell"')
    squares = [np.zeros(len(keys)), np.zeros(len(keys))]
    row_of = {k: i for i, k in enumerate(keys)}
    for (key, month), n in monthly.items():
        i = row_of.get(key)
        if i is not None:
            squares[0 if month < period.first else 1][i] += n * n
    judged = judge(
        prev, counts, t_prev, t_now, squares_before=squares[0], squares_after=squares[1], method=method, alpha=alpha
    )
    stats = [judged.row(i) for i in range(len(keys))]
    order = sorted(
        range(len(keys)),
        key=lambda i: (-(harm[i] if rank_by == "harm" else counts[i]), -counts[i], keys[i][0], keys[i][1] or ""),
    )
    streets, running, half = [], 0, 0
    for rank, i in enumerate(order, start=1):
        running += int(counts[i])
        if not half and total and running * 2 >= total:
            half = rank
        pts = points[keys[i]]
        lon = sum(p[0] * n for p, n in pts.items()) / sum(pts.values())
        lat = sum(p[1] * n for p, n in pts.items()) / sum(pts.values())
        pct, rr, lo, hi, p, qv, v = stats[i]
        streets.append(
            Street(
                rank=rank,
                location=keys[i][0],
                ward_code=keys[i][1],
                ward_name=names.get(keys[i][1]),
                snap_points=len(pts),
                longitude=round(lon, 6),
                latitude=round(lat, 6),
                count=int(counts[i]),
                share=round(int(counts[i]) / total, 6) if total else 0.0,
                cumulative_share=round(running / total, 6) if total else 0.0,
                harm=finite(harm[i]) if weights else None,
                previous=int(prev[i]),
                change_pct=finite(pct),
                rate_ratio=finite(rr),
                ci_low=finite(lo),
                ci_high=finite(hi),
                p_value=finite(p),
                q_value=finite(qv),
                verdict=v,
                categories=dict(sorted(now[keys[i]].items(), key=lambda kv: -kv[1])),
                method=method,
                dispersion=finite(round(float(judged.dispersion[i]), 4)),
                dispersion_months=int(judged.dispersion_months[i]),
            )
        )
    # harm of rows with no weight (anti-social behaviour) is left out; say how much that is
    harm_cov = weighed / total if total else None
    return HotStreets(
        place,
        period,
        previous,
        rank_by,
        streets,
        total,
        half,
        coverage,
        previous_coverage,
        harm_cov,
        notes,
        judged.summary(),
    )


# --- repeat locations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatLocation:
    """A snap point with crime in at least k of the last n months."""

    location: str
    longitude: float
    latitude: float
    ward_name: str | None
    months: list[str]
    count: int
    categories: dict[str, int]


@dataclass
class _Point:
    location: str
    ward_name: str | None
    months: set[dt.date] = field(default_factory=set)
    count: int = 0
    categories: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


def repeat_window(end: dt.date, months: int, min_months: int) -> Period:
    """The ``months`` months ending ``end``; :class:`MapError` unless 1 <= ``min_months`` <= ``months``."""
    if not 1 <= min_months <= months:
        raise MapError(f"--min-months must lie between 1 and --months ({months}), not {min_months}", field="min_months")
    return Period(add_months(end, -(months - 1)), end)


def find_repeats(rows: Rows, *, min_months: int) -> list[RepeatLocation]:
    """Snap points with crime in at least ``min_months`` of the months of ``rows``.

    Sorted by the number of months with crime, then by count. A missing month can only hide
    repeats, never make one.
    """
    seen: dict[tuple[float, float], _Point] = {}
    for month, category, location, lon, lat, ward_name, n in zip(
        rows["month"], rows["category"], rows["location"], rows["longitude"], rows["latitude"],
        rows["ward_name"], rows["n"], strict=True,
    ):  # fmt: skip
        point = seen.setdefault((lon, lat), _Point(location or "", ward_name))
        point.months.add(month)
        point.count += int(n)
        point.categories[category] += int(n)
    out = [
        RepeatLocation(
            location=p.location,
            longitude=lon,
            latitude=lat,
            ward_name=p.ward_name,
            months=[month_text(m) for m in sorted(p.months)],
            count=p.count,
            categories=dict(sorted(p.categories.items(), key=lambda kv: -kv[1])),
        )
        for (lon, lat), p in seen.items()
        if len(p.months) >= min_months
    ]
    out.sort(key=lambda r: (-len(r.months), -r.count, r.location, r.longitude, r.latitude))
    return out


__all__ = [
    "HotStreets",
    "RepeatLocation",
    "Street",
    "find_repeats",
    "previous_period",
    "rank_streets",
    "repeat_window",
]
