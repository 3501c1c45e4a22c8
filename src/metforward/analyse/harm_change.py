"""Change in harm between two periods, by area: the harm-weighted counterpart of ``compare``.

For one area, the harm rate of a period is ``H = sum over categories c of w_c * n_c / t_c``: each
category's count ``n_c`` over its months of data ``t_c`` (its exposure, exactly as in
:mod:`metforward.analyse.compare`), weighted by the category's severity weight ``w_c``
(:mod:`metforward.analyse.harm`). It is a weighted sum of independent Poisson counts, so its
variance is ``V = sum w_c**2 * n_c / t_c**2``. The harm ratio ``R = H_after / H_before`` gets a
95% interval and a two-sided p value from the normal approximation on the log scale, with the
delta-method variance ``V_after / H_after**2 + V_before / H_before**2``: the interval used for the
ratio of two directly standardised rates (the comparative mortality figure) in Breslow and Day
(1987), section 2.3. q values (Benjamini-Hochberg) run across the areas of the table and the
verdict is ``up``, ``down`` or ``can't tell`` as in ``compare``.

The approximation wants a fair number of crimes in the heavy categories: a borough's year of
crime is plenty; a ward's month of robberies is not, and such rows say ``can't tell`` more often
than an exact method would. Only categories with a weight and with data in both periods enter the
ratio; ``coverage`` is the share of the area's crimes (both periods) that it weighs, and the
categories left out are listed (``unweighted``: no weight; ``one_period_only``: a weight, but data
in only one of the periods).

References
----------
Breslow, N. E. and Day, N. E. (1987). Statistical Methods in Cancer Research, Volume II: The
    Design and Analysis of Cohort Studies. IARC Scientific Publications 82. Section 2.3
    (standardised rates and the comparative mortality figure; variance by the delta method).
Office for National Statistics (2016). Crime Severity Score: the weights (see
    :mod:`metforward.analyse.harm`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from metforward.analyse import lazy
from metforward.analyse.compare import CompareRow, CompareSpec, CompareTable
from metforward.analyse.dispersion import dispersion_line, pool_dispersion
from metforward.analyse.harm import load_weights
from metforward.analyse.poisson import bh_qvalues, verdicts

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy.module("scipy.stats")

Floats = NDArray[np.float64]

#: The column keys of ``harm --json``.
COLUMNS = (
    "area_code",
    "area_name",
    "crimes_before",
    "crimes_after",
    "harm_before",
    "harm_after",
    "change_pct",
    "harm_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "verdict",
    "months_before",
    "months_after",
    "completeness",
    "coverage",
    "unweighted",
    "one_period_only",
    "harm_per_1000_before",
    "harm_per_1000_after",
    "method",
    "dispersion",
    "dispersion_months",
)


def taxonomy_for(spec: CompareSpec, kind: str | None) -> str:
    """The category taxonomy of the counts ``spec`` selects (``kind``: the Datastore file kind used)."""
    if spec.source == "police-uk":
        return "police-uk"
    return "datastore-2008" if kind and kind.endswith("-2008") else "datastore-current"


def harm_ratio(
    before: ArrayLike,
    after: ArrayLike,
    t_before: ArrayLike,
    t_after: ArrayLike,
    weights: ArrayLike,
    *,
    confidence: float = 0.95,
    dispersion: ArrayLike | None = None,
    df: ArrayLike | None = None,
) -> tuple[Floats, Floats, Floats, Floats, Floats, Floats]:
    """Harm rates, ratio, interval and p value for areas (rows) x categories (columns).

    Parameters
    ----------
    before, after : array_like, shape (areas, categories)
        Counts in each period (whole numbers of 0 or more).
    t_before, t_after : array_like, shape (areas, categories)
        Months of data behind each count; a category with 0 in either period is left out of both.
    weights : array_like, shape (categories,)
        Severity weight of each category.
    confidence : float
        Level of the interval.
    dispersion, df : array_like, shape (areas,), optional
        Quasi-Poisson: each area's dispersion (the variances are multiplied by it) and its degrees of
        freedom (the interval and p value then use Student's t on them; NaN dispersion: no test).
        Without them, the Poisson variances and the normal distribution.

    Returns
    -------
    tuple of numpy.ndarray, each of shape (areas,)
        ``(h_before, h_after, ratio, ci_low, ci_high, p_value)``: harm per month of data in each
        period, their ratio, its interval and the two-sided p value of "no change" (normal on the
        log ratio, delta-method variance; Breslow and Day 1987, section 2.3). NaN where a period's
        harm is 0 (the log ratio does not exist).
    """
    n_b = np.atleast_2d(np.asarray(before, dtype=np.float64))
    n_a = np.atleast_2d(np.asarray(after, dtype=np.float64))
    t_b = np.broadcast_to(np.asarray(t_before, dtype=np.float64), n_b.shape)
    t_a = np.broadcast_to(np.asarray(t_after, dtype=np.float64), n_a.shape)
    w = np.asarray(weights, dtype=np.float64)
    live = (t_b > 0) & (t_a > 0)
    safe_b, safe_a = np.where(live, t_b, 1.0), np.where(live, t_a, 1.0)
    h_b = np.where(live, w * n_b / safe_b, 0.0).sum(axis=1)
    h_a = np.where(live, w * n_a / safe_a, 0.0).sum(axis=1)
    v_b = np.where(live, w**2 * n_b / safe_b**2, 0.0).sum(axis=1)
    v_a = np.where(live, w**2 * n_a / safe_a**2, 0.0).sum(axis=1)
    ok = (h_b > 0) & (h_a > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.where(ok, np.log(np.where(ok, h_a, 1.0) / np.where(ok, h_b, 1.0)), np.nan)
        se = np.where(ok, np.sqrt(v_a / np.where(ok, h_a, 1.0) ** 2 + v_b / np.where(ok, h_b, 1.0) ** 2), np.nan)
    ratio = np.exp(log_r)
    if dispersion is None:
        z_crit = stats.norm.ppf(0.5 + confidence / 2)
        low, high = np.exp(log_r - z_crit * se), np.exp(log_r + z_crit * se)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * stats.norm.sf(np.abs(log_r / se))
        return h_b, h_a, ratio, low, high, np.where(ok, p, np.nan)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=np.float64), h_b.shape)
    dof = np.broadcast_to(np.asarray(df if df is not None else np.inf, dtype=np.float64), h_b.shape)
    tested = ok & np.isfinite(phi) & (dof >= 1)
    se = se * np.sqrt(np.where(tested, phi, np.nan))
    t_crit = stats.t.ppf(0.5 + confidence / 2, np.where(tested, dof, 1.0))
    low, high = np.exp(log_r - t_crit * se), np.exp(log_r + t_crit * se)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(log_r / se), np.where(tested, dof, 1.0))
    return h_b, h_a, ratio, np.where(tested, low, np.nan), np.where(tested, high, np.nan), np.where(tested, p, np.nan)


@dataclass(frozen=True)
class HarmRow:
    """One area: crimes and harm in each period and whether the harm changed."""

    area_code: str
    area_name: str
    crimes_before: int
    crimes_after: int
    harm_before: float
    harm_after: float
    change_pct: float | None
    harm_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    verdict: str
    months_before: int
    months_after: int
    completeness: float
    coverage: float | None
    unweighted: list[str]
    one_period_only: list[str]
    harm_per_1000_before: float | None = None
    harm_per_1000_after: float | None = None
    by_category: dict[str, tuple[float, float]] = field(default_factory=dict)
    method: str = "quasi"
    dispersion: float | None = None
    dispersion_months: int = 0

    def as_dict(self) -> dict[str, object]:
        """The JSON form (the keys of :data:`COLUMNS`; NaN and infinity become null)."""
        data = asdict(self)
        return {k: (None if isinstance(data[k], float) and not math.isfinite(data[k]) else data[k]) for k in COLUMNS}


@dataclass(frozen=True)
class HarmTable:
    """A harm comparison and the count comparison it was made from."""

    counts: CompareTable
    scheme: str
    taxonomy: str
    unit: str
    rows: list[HarmRow]
    method_note: str = ""


def harm_spec(spec: CompareSpec) -> CompareSpec:
    """The count comparison a harm comparison rests on: for the London Datastore the counts are taken by
    minor category (the level the weights are defined at), so ``spec.by`` is ``minor`` there."""
    if spec.source == "datastore" and spec.by != "minor":
        return replace(spec, by="minor")
    return spec


def harm_table(
    table: CompareTable,
    *,
    scheme: str = "ons-css",
    series: Iterable[tuple[Any, ...]] = (),
    people: Mapping[str, float] | None = None,
) -> HarmTable:
    """Harm-weighted change between the periods of ``table`` (a count comparison of :func:`harm_spec`) for
    each of its areas.

    ``series``: the monthly counts ``(area_code, area_name, category, month, n)`` over both periods (the
    quasi-Poisson dispersion of each area's monthly harm is estimated from them; unused with
    ``method="poisson"``); ``people``: residents of each area in the table's population year (harm per
    1,000 residents is left out without them). ``harm_before`` / ``harm_after`` are totals over each
    period as counted; the ratio compares harm per month of data, so a missing month is not a fall in
    harm.
    """
    spec = table.spec
    taxonomy = taxonomy_for(spec, table.kind)
    weights = load_weights(scheme, taxonomy)
    unit = next(iter(weights.values())).unit if weights else ""
    grouped: dict[str, list[CompareRow]] = defaultdict(list)
    for row in table.rows:
        grouped[row.area_code].append(row)
    codes = list(grouped)
    categories = sorted({r.category for r in table.rows if r.category in weights})
    column = {c: j for j, c in enumerate(categories)}
    shape = (len(codes), len(categories))
    n_b, n_a, t_b, t_a = (np.zeros(shape) for _ in range(4))
    for i, code in enumerate(codes):
        for r in grouped[code]:
            j = column.get(r.category)
            if j is not None:
                n_b[i, j], n_a[i, j], t_b[i, j], t_a[i, j] = r.before, r.after, r.months_before, r.months_after
    w = np.array([weights[c].weight for c in categories])
    phi: Floats = np.ones(len(codes))
    months_used = np.array([len(table.months_present_before) + len(table.months_present_after)] * len(codes))
    basis = ["none"] * len(codes)
    dof: Floats | None = None
    if spec.method == "quasi":
        x2 = _harm_x2(series, table, codes, categories, n_b, n_a, t_b, t_a, w)
        d = pool_dispersion(x2, len(table.months_present_before), len(table.months_present_after))
        phi, dof, months_used, basis = d.phi, d.df, d.months, d.basis
    h_b, h_a, ratio, low, high, p = harm_ratio(
        n_b, n_a, t_b, t_a, w, confidence=1 - spec.alpha, dispersion=phi if dof is not None else None, df=dof
    )
    q = bh_qvalues(p)
    verdict = verdicts(ratio, q, spec.alpha)
    people = people or {}
    rows = []
    for i, code in enumerate(codes):
        members = grouped[code]
        total = sum(r.before + r.after for r in members)
        live = [r for r in members if r.category in weights and r.months_before and r.months_after]
        weighed = sum(r.before + r.after for r in live)
        no_weight = sorted({r.category for r in members if r.category not in weights})
        one_period = sorted({r.category for r in members if r.category in weights} - {r.category for r in live})
        harm_b = math.fsum(weights[r.category].weight * r.before for r in live)
        harm_a = math.fsum(weights[r.category].weight * r.after for r in live)
        m_b = max((r.months_before for r in live), default=0)
        m_a = max((r.months_after for r in live), default=0)
        pop = people.get(code)
        rows.append(
            HarmRow(
                area_code=code,
                area_name=members[0].area_name,
                crimes_before=sum(r.before for r in members),
                crimes_after=sum(r.after for r in members),
                harm_before=round(harm_b, 1),
                harm_after=round(harm_a, 1),
                change_pct=_f(100 * (ratio[i] - 1)),
                harm_ratio=_f(ratio[i]),
                ci_low=_f(low[i]),
                ci_high=_f(high[i]),
                p_value=_f(p[i]),
                q_value=_f(q[i]),
                verdict=verdict[i],
                months_before=m_b,
                months_after=m_a,
                completeness=round((m_b + m_a) / (spec.before.months + spec.after.months), 4),
                coverage=round(weighed / total, 4) if total else None,
                unweighted=no_weight,
                one_period_only=one_period,
                harm_per_1000_before=_annual(h_b[i], pop),
                harm_per_1000_after=_annual(h_a[i], pop),
                by_category={
                    r.category: (weights[r.category].weight * r.before, weights[r.category].weight * r.after)
                    for r in live
                },
                method=spec.method,
                dispersion=_f(round(float(phi[i]), 4)),
                dispersion_months=int(months_used[i]),
            )
        )
    note = dispersion_line(spec.method, phi, basis)
    return HarmTable(counts=table, scheme=scheme, taxonomy=taxonomy, unit=unit, rows=rows, method_note=note)


def _harm_x2(
    series: Iterable[tuple[Any, ...]],
    table: CompareTable,
    codes: list[str],
    categories: list[str],
    n_b: Floats,
    n_a: Floats,
    t_b: Floats,
    t_a: Floats,
    w: Floats,
) -> Floats:
    """Pearson X2 of each area's monthly harm about its period mean, scaled by the Poisson variance of a month's harm.

    ``X2 = sum over periods and months (H_m - mean H)**2 / v``, ``v = sum_c w_c**2 n_c / t_c`` (the
    variance of one month's harm if every category were Poisson at its period rate): the quasi-Poisson
    dispersion of a weighted sum (McCullagh and Nelder 1989, section 9.2), on the months present.
    """
    column = {c: j for j, c in enumerate(categories)}
    row = {c: i for i, c in enumerate(codes)}
    periods = (table.months_present_before, table.months_present_after)
    index = [{m: k for k, m in enumerate(months)} for months in periods]
    harm = [np.zeros((len(codes), len(months))) for months in periods]
    live = (t_b > 0) & (t_a > 0)
    for code, _name, category, month, n in series:
        i, j = row.get(code), column.get(category)
        if i is None or j is None or not live[i, j]:
            continue
        for p, where in enumerate(index):
            k = where.get(month)
            if k is not None:
                harm[p][i, k] += w[j] * float(n)
    x2 = np.zeros(len(codes))
    for h, n, t in ((harm[0], n_b, t_b), (harm[1], n_a, t_a)):
        if not h.shape[1]:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(live, w**2 * n / np.where(live, t, 1.0), 0.0).sum(axis=1)
            dev = ((h - h.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
            x2 += np.where(v > 0, dev / np.where(v > 0, v, 1.0), 0.0)
    return x2


def _annual(per_month: float, population: float | None) -> float | None:
    """Harm per 1,000 residents per year, from harm per month of data."""
    if not population or not math.isfinite(per_month):
        return None
    return round(per_month * 12 / population * 1000, 2)


def _f(value: float) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


__all__ = ["COLUMNS", "HarmRow", "HarmTable", "harm_ratio", "harm_spec", "harm_table", "taxonomy_for"]
