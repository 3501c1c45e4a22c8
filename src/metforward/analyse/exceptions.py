"""Performance by exception: the few borough x category cells that need attention, and why.

Three screens over the whole grid of boroughs x categories, each controlling the false discovery
rate across every cell it tests (Benjamini and Hochberg 1995), so that nothing is flagged when
nothing is unusual:

1. **trend**: a significant rise of the last ``months`` months against the ``months`` before them
   (the quasi-Poisson comparison of :mod:`metforward.analyse.compare`, allowing for the
   month-to-month variation of each cell, or the exact Poisson test with ``method="poisson"``);
2. **funnel**: a borough's rate per 1,000 residents over the last ``months`` months against the
   London rate, with limits allowing for overdispersion between boroughs
   (:mod:`metforward.analyse.funnel`; Spiegelhalter 2005);
3. **spc**: the latest month outside the limits of the borough's own recent series: an XmR chart
   (sigma from the series' own moving range, not Poisson) on the ``baseline_months`` before it,
   deseasonalised by month-of-year factors of the category's London total over up to
   :data:`SEASON_MONTHS` months and carried forward along the baseline's trend
   (:func:`metforward.analyse.spc.latest_seasonal_xmr`).

A cell is flagged when its q value is below ``alpha`` and it differs from its expectation by at
least ``min_change`` (a share, default :data:`MIN_CHANGE`): with tens of thousands of crimes a
2% change can be statistically sure and still not worth a meeting. Flags are ranked by how far
outside expectation they are: ``|z|``, the distance from the expectation in standard deviations of
the screen's own (dispersion-aware) model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from metforward.analyse import lazy
from metforward.analyse.compare import CompareRow, CompareTable, Period
from metforward.analyse.funnel import funnel
from metforward.analyse.poisson import bh_qvalues
from metforward.analyse.spc import Season, latest_seasonal_xmr, seasonal_factors
from metforward.domain.areas import force_of_borough
from metforward.domain.periods import add_months, month_range, month_text

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")

#: The smallest change worth discussing, as a share of the expectation: 10%. On the Datastore
#: 2008-2016 borough file the median year-on-year change of a borough x major-category cell is
#: about 10%; a smaller change is within the ordinary drift of half of all cells from one year to
#: the next, however sure a large count makes it (see docs/methods/exceptions.md).
MIN_CHANGE = 0.10
#: Months of the category's London total the SPC screen's seasonal factors are estimated from.
SEASON_MONTHS = 60


@dataclass(frozen=True)
class ExceptionFlag:
    """One flagged cell: which test, which way, how sure, how far from its expectation, and why in words."""

    area_code: str
    area_name: str
    category: str
    test: str  # trend | funnel | spc
    direction: str  # up | down
    q_value: float
    reason: str
    observed: float = 0.0  # the count (trend, spc) or rate per 1,000 residents a year (funnel)
    expected: float = 0.0  # what the screen expected, on the same scale
    change_pct: float = 0.0  # observed / expected - 1, in %
    z: float = 0.0  # standard deviations from the expectation (the screen's dispersion-aware model)

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class ExceptionsReport:
    """The ranked flags and what was tested."""

    flags: list[ExceptionFlag]
    latest: dt.date
    recent: Period
    baseline: Period
    tests: dict[str, int]  # test -> cells tested
    kind: str | None
    alpha: float
    notes: list[str] = field(default_factory=list)
    min_change: float = MIN_CHANGE
    method: str = "quasi"

    @property
    def flagged(self) -> dict[str, int]:
        """Flags raised by each screen."""
        return {test: sum(f.test == test for f in self.flags) for test in self.tests}

    @property
    def tested(self) -> int:
        """Cells tested over all screens."""
        return sum(self.tests.values())

    @property
    def by_chance(self) -> float:
        """How many cells a test at ``p < alpha`` would flag by chance alone if nothing were unusual."""
        return self.alpha * self.tested

    def summary(self) -> str:
        """One line: cells tested, flags raised, and what chance alone would give, for the overview and bulletin."""
        flags = len(self.flags)
        return (
            f"{self.tested:,} cells tested ({', '.join(f'{t} {n:,}' for t, n in self.tests.items())}); "
            f"{flags:,} flagged. By chance alone about {self.by_chance:,.0f} would have p < {self.alpha:g} if "
            f"nothing were unusual; with q < {self.alpha:g} the chance of any flag at all is then at most "
            f"{self.alpha:.0%}, and at most {self.alpha:.0%} of the flags shown (about "
            f"{self.alpha * flags:,.1f}) are expected to be chance. Only changes of at least "
            f"{self.min_change:.0%} from the expectation are flagged."
        )

    def as_dict(self) -> dict[str, object]:
        """The JSON form of ``exceptions --json`` and the API (without paging)."""
        return {
            "latest": month_text(self.latest),
            "recent": str(self.recent),
            "baseline": str(self.baseline),
            "tests": dict(self.tests),
            "flagged": self.flagged,
            "tested": self.tested,
            "by_chance": round(self.by_chance, 2),
            "kind": self.kind,
            "alpha": self.alpha,
            "min_change": self.min_change,
            "method": self.method,
            "summary": self.summary(),
            "notes": list(self.notes),
        }


def _z_of(p: float, sign: float) -> float:
    """The signed normal deviate of a two-sided p value: how far outside expectation, in standard deviations."""
    return float(np.copysign(stats.norm.isf(max(p, 1e-300) / 2), sign))


def _trend_reason(row: CompareRow, recent: Period, baseline: Period) -> str:
    def show(x: float | None) -> str:
        return "infinite" if x is None else f"{x:.2f}"

    return (
        f"{row.after:,} in {recent} against {row.before:,} in {baseline} "
        f"(rate ratio {show(row.rate_ratio)}, 95% interval {show(row.ci_low)} to {show(row.ci_high)})"
    )


def screen_periods(last: dt.date, months: int) -> tuple[Period, Period]:
    """The recent ``months`` months up to ``last`` and the ``months`` months before them (the trend's baseline)."""
    recent = Period(add_months(last, -(months - 1)), last)
    return recent, Period(add_months(last, -(2 * months - 1)), add_months(last, -months))


def series_start(last: dt.date, baseline_months: int) -> dt.date:
    """The first month of the monthly series the SPC screen reads (its baseline, or the seasons' span if longer)."""
    return add_months(last, -max(baseline_months, SEASON_MONTHS))


@dataclass(frozen=True)
class ScreenData:
    """What the three screens read, for one source up to its latest month.

    ``trend``: the comparison of the recent period against the one before (:func:`screen_periods`) by
    borough and category; ``people``: borough residents in the latest month's year; ``series``: monthly
    counts ``(area_code, area_name, category, month, n)`` from :func:`series_start` to the latest month;
    ``present``: the months of that span with any data; police.uk only: ``covered``, the crime types each
    force published in the recent period, and ``published``, the months each force published each type.
    """

    trend: CompareTable
    people: Mapping[str, float]
    series: Sequence[tuple[Any, ...]]
    present: frozenset[dt.date]
    covered: Mapping[str, set[str]] = field(default_factory=dict)
    published: Mapping[tuple[str, str], set[dt.date]] = field(default_factory=dict)


def screen(
    data: ScreenData,
    *,
    source: str,
    last: dt.date,
    months: int = 12,
    baseline_months: int = 24,
    kind: str | None = None,
    alpha: float = 0.05,
    min_change: float = MIN_CHANGE,
    method: str = "quasi",
) -> ExceptionsReport:
    """Run the three screens over every borough and category of ``data`` (a source up to ``last``).

    ``min_change``: the smallest change from the expectation worth flagging, as a share (0.10 is
    10%); ``method``: the trend screen's comparison, ``quasi`` or ``poisson`` (``data.trend`` was made
    with it).
    """
    recent, before = screen_periods(last, months)
    notes: list[str] = []
    flags: list[ExceptionFlag] = []
    tests: dict[str, int] = {}
    table = data.trend

    # 1. trend against the borough's own baseline (deteriorations only)
    tests["trend"] = len(table.rows)
    for row in table.rows:
        if row.verdict == "up" and row.q_value is not None and row.p_value is not None and row.rate_ratio is not None:
            expected = row.before / row.months_before * row.months_after if row.months_before else 0.0
            if row.rate_ratio - 1 < min_change:
                continue
            flags.append(
                ExceptionFlag(
                    row.area_code,
                    row.area_name,
                    row.category,
                    "trend",
                    "up",
                    row.q_value,
                    _trend_reason(row, recent, before),
                    float(row.after),
                    round(expected, 2),
                    round((row.rate_ratio - 1) * 100, 2),
                    round(_z_of(row.p_value, 1.0), 3),
                )
            )

    # 2. funnel of rates per 1,000 residents against the London rate, category by category
    people = data.people  # borough -> residents
    counts: dict[str, dict[str, tuple[str, int]]] = {}
    for row in table.rows:
        counts.setdefault(row.category, {})[row.area_code] = (row.area_name, row.after)
    present = set(people)
    funnel_cells: list[tuple[str, str, str, float, float, float, float, str, float, float]] = []
    for category, areas in sorted(counts.items()):
        codes = sorted(c for c in present if c.startswith("E09"))
        if source == "police-uk":
            # only boroughs whose own force published this category at all: a force's missing file is not a zero
            codes = [c for c in codes if category in data.covered.get(force_of_borough(c) or "", set())]
        if len(codes) < 5:
            continue
        observed = np.array([areas.get(c, ("", 0))[1] for c in codes], dtype=float)
        if observed.sum() == 0:
            continue
        denominator = np.array([people[c] / 1000 * months / 12 for c in codes])
        fitted = funnel(observed, denominator, consistent=True)
        for i, code in enumerate(codes):
            name = areas.get(code, (code, 0))[0] or code
            low, high = fitted.limits[0.998]
            funnel_cells.append(
                (
                    code,
                    name,
                    category,
                    float(fitted.p_value[i]),
                    float(fitted.rate[i]),
                    fitted.target,
                    float(high[i]),
                    fitted.flag[i],
                    float(low[i]),
                    float(fitted.z_adjusted[i]),
                )
            )
    if people and not funnel_cells:
        notes.append("funnel: fewer than five boroughs with both counts and population; not run")
    if not people:
        notes.append("funnel: no population loaded; ingest population estimates to compare rates")
    elif funnel_cells:
        notes.append(
            "funnel: rates are per resident; boroughs with large daytime populations (the City, Westminster) "
            "sit high for crimes against visitors and workers"
        )
    tests["funnel"] = len(funnel_cells)
    if funnel_cells:
        q = bh_qvalues([c[3] for c in funnel_cells])
        for (code, name, category, _p, rate, target, upper, flag, lower, z), qv in zip(funnel_cells, q, strict=True):
            if qv < alpha and flag != "within" and abs(rate / target - 1) >= min_change:
                direction = "up" if rate > target else "down"
                flags.append(
                    ExceptionFlag(
                        code,
                        name,
                        category,
                        "funnel",
                        direction,
                        float(qv),
                        f"{rate:.2f} per 1,000 residents a year against London's {target:.2f} ({flag} limit; "
                        f"99.8% limits {lower:.2f} to {upper:.2f}, allowing for overdispersion between boroughs)",
                        round(rate, 4),
                        round(target, 4),
                        round((rate / target - 1) * 100, 2),
                        round(z, 3),
                    )
                )

    # 3. the latest month against the borough's own recent series, deseasonalised, on its own variation
    first = series_start(last, baseline_months)
    grid: dict[tuple[str, str], dict[dt.date, int]] = {}
    names: dict[str, str] = {}
    for code, name, category, month, n in data.series:
        grid.setdefault((code, category), {})[month] = int(n)
        names[code] = name or code
    span = list(month_range(first, last))
    window = add_months(last, -baseline_months)
    months_of: dict[tuple[str, str], list[dt.date]] = {}
    for code, category in grid:
        if source == "police-uk":
            # the months this borough's force published this crime type: a missing file is not a zero
            mine = data.published.get((force_of_borough(code) or "", category), set())
            months_of[(code, category)] = [m for m in span if m in mine]
        else:
            months_of[(code, category)] = [m for m in span if m in data.present]
    seasons = _seasons(grid, months_of, last)
    spc_cells = []
    short = 0
    for (code, category), values in sorted(grid.items()):
        have = [m for m in months_of[(code, category)] if m >= window]
        if not have or have[-1] != last or len(have) < 13:
            short += 1
            continue
        counts_series = [values.get(m, 0) for m in have]
        if sum(counts_series[:-1]) == 0:
            continue
        season = seasons.get(category)
        factors = None if season is None else [float(season.factors[m.month - 1]) for m in have]
        result = latest_seasonal_xmr(
            counts_series,
            factors,
            factor_log_variance=0.0 if season is None else float(season.log_variance[last.month - 1]),
            baseline_months=baseline_months,
        )
        spc_cells.append((code, category, result))
    if short:
        notes.append(f"spc: {short} series with fewer than 13 months of data up to {month_text(last)} were not judged")
    unseasoned = sorted({c for _, c, r in spc_cells if not r.seasonal})
    if unseasoned:
        notes.append(
            f"spc: no seasonal adjustment for {len(unseasoned)} categor{'y' if len(unseasoned) == 1 else 'ies'} "
            f"with under 18 months of London totals (every month of the year needed)"
        )
    tests["spc"] = len(spc_cells)
    if spc_cells:
        q = bh_qvalues([cell[2].p_value for cell in spc_cells])
        for (code, category, result), qv in zip(spc_cells, q, strict=True):
            change = result.latest / result.expected - 1 if result.expected > 0 else float("inf")
            if qv < alpha and result.position != "within" and abs(change) >= min_change:
                flags.append(
                    ExceptionFlag(
                        code,
                        names.get(code, code),
                        category,
                        "spc",
                        "up" if result.position == "above" else "down",
                        float(qv),
                        f"{result.latest:,.0f} in {month_text(last)} against {result.expected:,.1f} expected from the "
                        f"{result.baseline_months} months before ({'seasonally adjusted, ' if result.seasonal else ''}"
                        f"along their trend; limits {result.limits.lower:,.1f} to {result.limits.upper:,.1f} from "
                        f"the series' own month-to-month variation)",
                        result.latest,
                        round(result.expected, 2),
                        round(change * 100, 2) if np.isfinite(change) else 0.0,
                        round(min(result.z, 1e6) if result.z > 0 else max(result.z, -1e6), 3),
                    )
                )
    flags.sort(key=lambda f: (-abs(f.z), f.q_value, f.area_name, f.category, f.test))
    return ExceptionsReport(flags, last, recent, before, tests, kind, alpha, notes + table.notes, min_change, method)


def _seasons(
    grid: dict[tuple[str, str], dict[dt.date, int]], months_of: dict[tuple[str, str], list[dt.date]], last: dt.date
) -> dict[str, Season]:
    """Month-of-year factors of each category's London total over the months before ``last``.

    The total of a month is over the boroughs with data that month; months in which fewer boroughs
    have data than usual are left out, so a force's missing file does not pass for a season.
    """
    totals: dict[str, dict[dt.date, int]] = {}
    reporting: dict[str, dict[dt.date, int]] = {}
    for key, values in grid.items():
        for m in months_of[key]:
            if m < last:
                totals.setdefault(key[1], {}).setdefault(m, 0)
                totals[key[1]][m] += values.get(m, 0)
                reporting.setdefault(key[1], {}).setdefault(m, 0)
                reporting[key[1]][m] += 1
    out: dict[str, Season] = {}
    for category, by_month in totals.items():
        full = max(reporting[category].values())
        months = sorted(m for m in by_month if reporting[category][m] == full)
        if not months:
            continue
        first = months[0]
        season = seasonal_factors(
            [by_month[m] for m in months],
            [m.month for m in months],
            elapsed=[(m.year - first.year) * 12 + m.month - first.month for m in months],
        )
        if season is not None:
            out[category] = season
    return out
