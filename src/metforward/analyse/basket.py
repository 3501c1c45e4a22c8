"""Headline baskets: a table of named lines, each counted from one or more sources, compared between two periods.

A *basket* (``docs/baskets.md``) names each line of a headline table, such as the MPA newsletter's
"Results so far", and how to count it from the store: a category of one source (London Datastore
major or minor categories, police.uk crime types), a flag measure of the MPS Monthly Crime Dashboard
(domestic abuse, hate crime by strand, knife-injury victims aged 1-24, ...), a filter of the MPS
homicide victims file, or a sum of these. This module holds the basket's types and the pure kernel
that compares its lines: :mod:`metforward.questions.basket_file` reads and checks a basket file, and
:mod:`metforward.questions.baskets` reads each line's monthly counts from the store.

The comparison is every comparison's (:func:`metforward.analyse.dispersion.judge`): rate ratio per
month of data with its interval, p, Benjamini-Hochberg q across the table and the verdict, by the
quasi-Poisson method (the default) or the exact Poisson test. A line's month counts only where every
source of the line has data that month, so a line summed from two sources is never half counted; its
exposure is the number of such months in each period.

``auto`` (the youth-violence strand's default, for small counts) checks each row for extra-Poisson
variation before choosing: the exact conditional Poisson test (Clopper-Pearson interval) where the
row's monthly counts show none (Pearson's X2 test of the Poisson variance at ``alpha``, on the row's
own months), the quasi-Poisson comparison where they do, and "can't tell" where there are too few
months to check (Cameron and Trivedi 2013, section 3.4, the X2 dispersion test).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from metforward.analyse import lazy
from metforward.analyse.compare import CompareRow
from metforward.analyse.dispersion import METHODS, MIN_DF, Judged, judge, moments, pearson_x2
from metforward.analyse.poisson import CANT_TELL, bh_qvalues, verdicts
from metforward.domain.periods import Period
from metforward.errors import BadRequest

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")

#: Where a basket line may count from.
SOURCES = ("datastore", "police-uk", "dashboard", "homicide")
#: The homicide victims file's columns a line may filter on, and their names in words.
HOMICIDE_FIELDS: Mapping[str, str] = {
    "age_group": "age group",
    "sex": "sex",
    "method": "method of killing",
    "domestic_abuse": "domestic abuse",
    "offence_type": "offence type",
    "solved_status": "solved status",
    "ethnicity": "officer-observed ethnicity",
}
#: The dashboard's measures.
DASHBOARD_MEASURES = ("Offences", "Positive Outcomes")
#: The levels a basket is compared at: London as a whole (``force``) or each borough.
BASKET_LEVELS = ("force", "borough")
#: Methods of a basket comparison: those of every comparison, and ``auto`` (see the module).
BASKET_METHODS = (*METHODS, "auto")
_SOURCE_NAMES = {
    "datastore": "London Datastore",
    "police-uk": "police.uk street crime",
    "dashboard": "MPS Monthly Crime Dashboard",
    "homicide": "MPS homicide victims",
}


@dataclass(frozen=True)
class Part:
    """One source's share of a line. Which fields apply depends on ``source``:

    ``datastore``: ``major`` and/or ``minor`` category names (case aside; none: every category), and
    ``kind`` (a Datastore file kind; None: the best borough file covering the periods);
    ``police-uk``: ``category`` (crime types; none: every type) and ``force``;
    ``dashboard``: ``crime_type``, ``subtype`` and ``measure``;
    ``homicide``: ``filters``, (column, allowed values) pairs of :data:`HOMICIDE_FIELDS` (none: every victim).
    """

    source: str
    major: tuple[str, ...] = ()
    minor: tuple[str, ...] = ()
    kind: str | None = None
    category: tuple[str, ...] = ()
    force: str | None = None
    crime_type: str = ""
    subtype: str = ""
    measure: str = "Offences"
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def describe(self, kind: str | None = None) -> str:
        """The part in words, as shown beside its line (``kind``: the Datastore file kind used)."""
        name = _SOURCE_NAMES[self.source]
        if self.source == "datastore":
            chosen = kind or self.kind
            where = f"{name} ({chosen})" if chosen else name
            what = [f"major {_names(self.major)}"] if self.major else []
            what += [f"minor {_names(self.minor)}"] if self.minor else []
            return f"{where}: {' or '.join(what) if what else 'every category'}"
        if self.source == "police-uk":
            forces = f" ({self.force})" if self.force else ""
            return f"{name}{forces}: {_names(self.category) if self.category else 'every crime type'}"
        if self.source == "dashboard":
            return f"{name}: {self.crime_type} / {self.subtype}, {self.measure.lower()}"
        what = [f"{HOMICIDE_FIELDS[k]} {_names(v)}" for k, v in self.filters]
        return f"{name}: {', '.join(what) if what else 'every victim'}"


def _names(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


@dataclass(frozen=True)
class Line:
    """One line of a headline table: its id, title, the parts whose counts it adds and its caveat."""

    id: str
    title: str
    parts: tuple[Part, ...]
    caveat: str = ""

    def describe(self, kinds: Mapping[int, str | None] | None = None) -> str:
        """Where the line's counts come from (``kinds``: part index -> the Datastore kind used)."""
        chosen = kinds or {}
        return " + ".join(p.describe(chosen.get(i)) for i, p in enumerate(self.parts))


@dataclass(frozen=True)
class Basket:
    """A headline table: its title, its lines, and where it was read from (a file or a built-in name)."""

    title: str
    lines: tuple[Line, ...]
    origin: str = ""

    def line(self, key: str) -> Line:
        """The line whose id or title is ``key``; :class:`BadRequest` listing the ids otherwise."""
        for line in self.lines:
            if key in (line.id, line.title):
                return line
        ids = ", ".join(line.id for line in self.lines)
        raise BadRequest(f"the basket {self.origin or self.title!r} has no line {key!r}; its lines: {ids}")


@dataclass(frozen=True)
class LineCounts:
    """One line's monthly counts in one area: ``before`` and ``after`` one value per month of each period,
    NaN for a month in which a source of the line has no data; ``source`` says where they came from."""

    area_code: str
    area_name: str
    line: int
    before: Sequence[float]
    after: Sequence[float]
    source: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineInfo:
    """What the table shows beside a line: its id, title, sources as used, caveat and months of data."""

    id: str
    title: str
    source: str
    caveat: str
    months_before: int
    months_after: int

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class BasketTable:
    """A basket compared: one :class:`~metforward.analyse.compare.CompareRow` per area and line (``category``
    is the line's title), the lines with their sources and caveats, and how the comparison was made."""

    title: str
    origin: str
    before: Period
    after: Period
    level: str
    alpha: float
    method: str
    rows: list[CompareRow]
    lines: list[LineInfo]
    notes: list[str] = field(default_factory=list)
    method_note: str = ""

    def info(self, title: str) -> LineInfo | None:
        """The line shown as ``title`` (a row's ``category``)."""
        return next((i for i in self.lines if i.title == title), None)

    def as_dict(self) -> dict[str, object]:
        """The JSON form of what the rows rest on (the rows are the answer's items)."""
        return {
            "title": self.title,
            "basket": self.origin,
            "before": str(self.before),
            "after": str(self.after),
            "level": self.level,
            "lines": [i.as_dict() for i in self.lines],
        }


def judge_auto(
    before: np.ndarray,
    after: np.ndarray,
    exposure_before: np.ndarray,
    exposure_after: np.ndarray,
    squares_before: np.ndarray,
    squares_after: np.ndarray,
    *,
    alpha: float = 0.05,
    min_df: int = MIN_DF,
) -> tuple[Judged, list[str]]:
    """Each row by the exact Poisson test where its months show no extra-Poisson variation, by the quasi-Poisson
    comparison where they do (see the module); q values and verdicts across the table. Returns the judged
    table and each row's method (``poisson``, ``quasi``)."""
    exact = judge(before, after, exposure_before, exposure_after, method="poisson", alpha=alpha)
    quasi = judge(
        before,
        after,
        exposure_before,
        exposure_after,
        squares_before=squares_before,
        squares_after=squares_after,
        method="quasi",
        alpha=alpha,
        pool=False,
        min_df=min_df,
    )
    x2 = pearson_x2(before, squares_before, exposure_before) + pearson_x2(after, squares_after, exposure_after)
    dof = np.where((exposure_before > 0) & (exposure_after > 0), exposure_before + exposure_after - 2, 0.0)
    checked = dof >= min_df
    over = checked & (stats.chi2.sf(x2, np.maximum(dof, 1.0)) < alpha)
    use_exact = checked & ~over

    def pick(name: str) -> np.ndarray:
        return np.asarray(np.where(use_exact, getattr(exact, name), getattr(quasi, name)), dtype=np.float64)

    p = np.where(checked, pick("p_value"), np.nan)
    ratio = pick("rate_ratio")
    q = bh_qvalues(p)
    verdict = [
        v if math.isfinite(pv) else CANT_TELL for v, pv in zip(verdicts(ratio, q, alpha), p.tolist(), strict=True)
    ]
    judged = Judged(
        method="auto",
        change_pct=pick("change_pct"),
        rate_ratio=ratio,
        ci_low=np.where(checked, pick("ci_low"), np.nan),
        ci_high=np.where(checked, pick("ci_high"), np.nan),
        p_value=p,
        q_value=q,
        verdict=verdict,
        dispersion=np.where(use_exact, 1.0, quasi.dispersion),
        dispersion_months=quasi.dispersion_months,
        dispersion_basis=quasi.dispersion_basis,
    )
    return judged, ["poisson" if e else "quasi" for e in use_exact.tolist()]


def tabulate_basket(
    basket: Basket,
    before: Period,
    after: Period,
    counts: Sequence[LineCounts],
    *,
    level: str,
    alpha: float = 0.05,
    method: str = "quasi",
    people: Mapping[str, float] | None = None,
) -> BasketTable:
    """Compare every line of ``basket`` in every area of ``counts`` between ``before`` and ``after``."""
    if method not in BASKET_METHODS:
        raise BadRequest(f"unknown method {method!r} (expected one of {', '.join(BASKET_METHODS)})", field="method")
    nb, na = before.months, after.months
    b_series = np.array([list(c.before) for c in counts], dtype=np.float64).reshape(len(counts), nb)
    a_series = np.array([list(c.after) for c in counts], dtype=np.float64).reshape(len(counts), na)
    total_b, squares_b, t_b = moments(b_series) if len(counts) else (np.zeros(0),) * 3
    total_a, squares_a, t_a = moments(a_series) if len(counts) else (np.zeros(0),) * 3
    if method == "auto":
        judged, row_methods = judge_auto(total_b, total_a, t_b, t_a, squares_b, squares_a, alpha=alpha)
    else:
        judged = judge(
            total_b,
            total_a,
            t_b,
            t_a,
            squares_before=squares_b,
            squares_after=squares_a,
            method=method,
            alpha=alpha,
        )
        row_methods = [method] * len(counts)
    people = people or {}
    rows = []
    for i, c in enumerate(counts):
        pct, rr, lo, hi, p, qv, verdict = judged.row(i)
        m_b, m_a = int(t_b[i]), int(t_a[i])
        n_b, n_a = int(total_b[i]), int(total_a[i])
        pop = people.get(c.area_code)
        rows.append(
            CompareRow(
                area_code=c.area_code,
                area_name=c.area_name,
                category=basket.lines[c.line].title,
                before=n_b,
                after=n_a,
                change=n_a - n_b,
                change_pct=_f(pct),
                rate_ratio=_f(rr),
                ci_low=_f(lo),
                ci_high=_f(hi),
                p_value=_f(p),
                q_value=_f(qv),
                verdict=verdict,
                months_before=m_b,
                months_after=m_a,
                months_asked_before=nb,
                months_asked_after=na,
                completeness=round((m_b + m_a) / (nb + na), 4),
                rate_before_per_1000=_rate(n_b, m_b, pop),
                rate_after_per_1000=_rate(n_a, m_a, pop),
                method=row_methods[i],
                dispersion=_f(round(float(judged.dispersion[i]), 4)),
                dispersion_months=int(judged.dispersion_months[i]),
            )
        )
    notes = sorted({n for c in counts for n in c.notes})
    if any(r.months_before == 0 or r.months_after == 0 for r in rows):
        notes.append('lines with no data in one of the periods: "can\'t tell" (their source does not reach back)')
    infos = []
    for index, line in enumerate(basket.lines):
        mine = [c for c in counts if c.line == index]
        first = mine[0] if mine else None
        infos.append(
            LineInfo(
                id=line.id,
                title=line.title,
                source=first.source if first else line.describe(),
                caveat=line.caveat,
                months_before=int(np.sum(~np.isnan(np.asarray(first.before, dtype=np.float64)))) if first else 0,
                months_after=int(np.sum(~np.isnan(np.asarray(first.after, dtype=np.float64)))) if first else 0,
            )
        )
    note = judged.summary()
    if method == "auto":
        exact = row_methods.count("poisson")
        note = (
            f"method: exact conditional Poisson test for the {exact} row{'s' if exact != 1 else ''} whose monthly "
            f"counts show no extra-Poisson variation (X2 test at {alpha}), quasi-Poisson for the rest"
        )
    return BasketTable(basket.title, basket.origin, before, after, level, alpha, method, rows, infos, notes, note)


def month_index(period: Period) -> dict[dt.date, int]:
    """Each month of ``period`` and its position."""
    return {m: i for i, m in enumerate(period.month_list())}


def _f(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _rate(count: int, months: int, population: float | None) -> float | None:
    """Counts per 1,000 residents per year (the period's count scaled to twelve months)."""
    if not population or not months:
        return None
    return round(count / months * 12 / population * 1000, 3)


__all__ = [
    "BASKET_LEVELS",
    "BASKET_METHODS",
    "DASHBOARD_MEASURES",
    "HOMICIDE_FIELDS",
    "SOURCES",
    "Basket",
    "BasketTable",
    "Line",
    "LineCounts",
    "LineInfo",
    "Part",
    "judge_auto",
    "month_index",
    "tabulate_basket",
]
