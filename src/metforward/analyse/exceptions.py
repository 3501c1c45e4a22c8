"""Performance by exception: the few borough x category cells that need attention, and why.

Three screens over the whole grid of boroughs x categories, each controlling the false discovery
rate across every cell it tests (Benjamini and Hochberg 1995), so that nothing is flagged when
nothing is unusual:

1. **trend**: a significant rise of the last ``months`` months against the ``months`` before them
   (the exact conditional Poisson comparison of :mod:`metforward.analyse.compare`);
2. **funnel**: a borough's rate per 1,000 residents over the last ``months`` months against the
   London rate, with limits allowing for overdispersion between boroughs
   (:mod:`metforward.analyse.funnel`; Spiegelhalter 2005);
3. **spc**: the latest month outside the limits of the borough's own recent series (an XmR chart
   on the ``baseline_months`` before it; :mod:`metforward.analyse.spc`).

Flags are ranked: rises before falls, then by q value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from metforward.analyse.compare import CompareSpec, Period, _choose_kind, compare
from metforward.analyse.funnel import funnel
from metforward.analyse.poisson import bh_qvalues
from metforward.analyse.spc import latest_outside
from metforward.domain.areas import force_of_borough
from metforward.domain.periods import add_months, month_range, month_text
from metforward.store import cubes
from metforward.store.database import Database


@dataclass(frozen=True)
class ExceptionFlag:
    """One flagged cell: which test, which way, how sure, and why in words."""

    area_code: str
    area_name: str
    category: str
    test: str  # trend | funnel | spc
    direction: str  # up | down
    q_value: float
    reason: str

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


def _trend_reason(
    after: int,
    before: int,
    recent: Period,
    baseline: Period,
    ratio: float | None,
    low: float | None,
    high: float | None,
) -> str:
    def show(x: float | None) -> str:
        return "infinite" if x is None else f"{x:.2f}"

    return (
        f"{after:,} in {recent} against {before:,} in {baseline} "
        f"(rate ratio {show(ratio)}, 95% interval {show(low)} to {show(high)})"
    )


def exceptions(
    db: Database,
    *,
    source: str = "police-uk",
    by: str | None = None,
    latest: dt.date | None = None,
    months: int = 12,
    baseline_months: int = 24,
    force: str | None = None,
    kind: str | None = None,
    alpha: float = 0.05,
) -> ExceptionsReport:
    """Run the three screens over every borough and category of a source."""
    by = by or ("category" if source == "police-uk" else "major")
    probe = CompareSpec(
        Period(dt.date(2000, 1, 1), dt.date(2000, 1, 1)),
        Period(dt.date(2000, 2, 1), dt.date(2000, 2, 1)),
        source=source,
        level="borough",
        by=by,
        force=force,
        kind=kind,
        alpha=alpha,
    )
    if source == "datastore" and kind is None:
        available = cubes.datastore_kinds(db)
        kind = next(
            (k for k in ("datastore-borough", "datastore-borough-2008") if k in {a[0] for a in available}), None
        )
    last = latest or cubes.latest_month(db, source=source, force=force, kind=kind)
    notes: list[str] = []
    if last is None:
        return ExceptionsReport(
            [],
            dt.date.today().replace(day=1),
            probe.before,
            probe.after,
            {},
            kind,
            alpha,
            ["no data loaded for this source"],
        )
    recent = Period(add_months(last, -(months - 1)), last)
    before = Period(add_months(last, -(2 * months - 1)), add_months(last, -months))
    flags: list[ExceptionFlag] = []
    tests: dict[str, int] = {}

    # 1. trend against the borough's own baseline (deteriorations only)
    spec = CompareSpec(before, recent, source=source, level="borough", by=by, force=force, kind=kind, alpha=alpha)
    kind = _choose_kind(db, spec) if source == "datastore" else None
    table = compare(db, spec)
    tests["trend"] = len(table.rows)
    for row in table.rows:
        if row.verdict == "up" and row.q_value is not None:
            flags.append(
                ExceptionFlag(
                    row.area_code,
                    row.area_name,
                    row.category,
                    "trend",
                    "up",
                    row.q_value,
                    _trend_reason(row.after, row.before, recent, before, row.rate_ratio, row.ci_low, row.ci_high),
                )
            )

    # 2. funnel of rates per 1,000 residents against the London rate, category by category
    people = cubes.population(db, level="borough", year=last.year)
    counts: dict[str, dict[str, tuple[str, int]]] = {}
    for row in table.rows:
        counts.setdefault(row.category, {})[row.area_code] = (row.area_name, row.after)
    present = set(people)
    funnel_cells: list[tuple[str, str, str, float, float, float, float, str, float]] = []
    covered = cubes.force_categories(db, first=recent.first, last=recent.last) if source == "police-uk" else {}
    for category, areas in sorted(counts.items()):
        codes = sorted(c for c in present if c.startswith("E09"))
        if source == "police-uk":
            # only boroughs whose own force published this category at all: a force's missing file is not a zero
            codes = [c for c in codes if category in covered.get(force_of_borough(c) or "", set())]
        if len(codes) < 5:
            continue
        observed = np.array([areas.get(c, ("", 0))[1] for c in codes], dtype=float)
        if observed.sum() == 0:
            continue
        denominator = np.array([people[c] / 1000 * months / 12 for c in codes])
        fitted = funnel(observed, denominator)
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
        for (code, name, category, _p, rate, target, upper, flag, lower), qv in zip(funnel_cells, q, strict=True):
            if qv < alpha and flag != "within":
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
                    )
                )

    # 3. the latest month against the borough's own recent series
    first = add_months(last, -baseline_months)
    series = cubes.monthly_series(
        db, source=source, level="borough", first=first, last=last, by=by, force=force, kind=kind
    )
    grid: dict[tuple[str, str], dict[dt.date, int]] = {}
    names: dict[str, str] = {}
    for code, name, category, month, n in series:
        grid.setdefault((code, category), {})[month] = int(n)
        names[code] = name or code
    span = list(month_range(first, last))
    present_months = set(cubes.months_present(db, source=source, first=first, last=last, force=force, kind=kind))
    published = cubes.coverage(db, first=first, last=last) if source == "police-uk" else {}
    spc_cells = []
    short = 0
    for (code, category), values in sorted(grid.items()):
        if source == "police-uk":
            # the months this borough's force published this crime type: a missing file is not a zero
            months_of = published.get((force_of_borough(code) or "", category), set())
            have = [m for m in span if m in months_of]
        else:
            have = [m for m in span if m in present_months]
        if not have or have[-1] != last or len(have) < 13:
            short += 1
            continue
        counts_series = [values.get(m, 0) for m in have]
        if sum(counts_series[:-1]) == 0:
            continue
        spc_cells.append((code, category, latest_outside(counts_series, baseline_months=baseline_months, method="xmr")))
    if short:
        notes.append(f"spc: {short} series with fewer than 13 months of data up to {month_text(last)} were not judged")
    tests["spc"] = len(spc_cells)
    if spc_cells:
        q = bh_qvalues([cell[2].p_value for cell in spc_cells])
        for (code, category, result), qv in zip(spc_cells, q, strict=True):
            if qv < alpha and result.position != "within":
                flags.append(
                    ExceptionFlag(
                        code,
                        names.get(code, code),
                        category,
                        "spc",
                        "up" if result.position == "above" else "down",
                        float(qv),
                        f"{result.latest:,.0f} in {month_text(last)} against a mean of {result.limits.centre:,.1f} over the "
                        f"{result.baseline_months} months before (XmR limits {result.limits.lower:,.1f} to "
                        f"{result.limits.upper:,.1f})",
                    )
                )
    flags.sort(key=lambda f: (f.direction != "up", f.q_value, f.area_name, f.category))
    return ExceptionsReport(flags, last, recent, before, tests, kind, alpha, notes + table.notes)
