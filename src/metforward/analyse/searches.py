"""Stop and search: counts by any breakdown, arrest and find rates, and ethnic disproportionality.

Rows come from ``searches_placed``: police.uk stop-and-search records, each placed in a borough,
ward and LSOA by point-in-polygon on the loaded boundaries (:mod:`metforward.ingest.placement`).
London (no area given) means every search of the Metropolitan Police (``force = metropolitan``),
placed or not; a borough, ward or LSOA means the searches whose coordinates fall in it (any force,
unless one is given). See ``docs/methods/stop_and_search.md`` for definitions and caveats.

Methods
-------
* Arrest rate and find rate: share of searches, with the Wilson (1927) score interval
  (:func:`metforward.analyse.proportions.wilson`).
* Disproportionality: searches per 1,000 residents of each ethnic group (Census 2021, TS021)
  against the White group. The two counts are treated as Poisson with the groups' populations as
  exposures; the rate ratio's interval and p value are exact conditional on the total
  (Przyborowski and Wilenski 1940; interval from Clopper and Pearson 1934), via
  :func:`metforward.analyse.poisson.compare_poisson`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from metforward.analyse.poisson import compare_poisson
from metforward.analyse.proportions import wilson
from metforward.analyse.target_sources import Observation
from metforward.domain.areas import GSS_CODE
from metforward.domain.periods import month_text, parse_month
from metforward.errors import MetforwardError
from metforward.store.database import Database
from metforward.store.places import Place, resolve_place
from metforward.store.queries import searches as queries


class SearchError(MetforwardError):
    """A stop-and-search question that cannot be answered as asked (bad option, no data, no denominator)."""

    code = "searches"


#: The five Census 2021 high-level ethnic groups, in the order they are shown.
CENSUS_GROUPS: tuple[str, ...] = ("Asian", "Black", "Mixed", "White", "Other")
NOT_STATED = "Not stated"

#: ``--by`` name -> (output column, SQL expression); the SQL lives in the store.
BY = queries.BY
ARREST_OUTCOMES = queries.ARREST_OUTCOMES
NFA_OUTCOMES = queries.NFA_OUTCOMES


@dataclass(frozen=True)
class Selection:
    """Which searches: an area (None: London, i.e. the Met's searches), months, a force."""

    place: Place | None = None
    first: dt.date | None = None
    last: dt.date | None = None
    force: str | None = None

    @property
    def effective_force(self) -> str | None:
        """The force filter applied: the one asked for, else ``metropolitan`` for London, else any."""
        return self.force or ("metropolitan" if self.place is None else None)

    def filter(self) -> queries.SearchFilter:
        """The rows of ``searches_placed`` this selection reads."""
        return queries.SearchFilter(
            None if self.place is None else self.place.level,
            None if self.place is None else self.place.code,
            self.effective_force,
            self.first,
            self.last,
        )

    def describe(self) -> str:
        """The selection in words."""
        area = (
            "London (Metropolitan Police searches)" if self.place is None else f"{self.place.name} ({self.place.code})"
        )
        force = f", force {self.effective_force}" if self.effective_force and self.place is not None else ""
        if self.first is None and self.last is None:
            return f"{area}{force}, every month loaded"
        first = month_text(self.first) if self.first else "the first month loaded"
        last = month_text(self.last) if self.last else "the last month loaded"
        return f"{area}{force}, {first} to {last}"


def selection(
    db: Database,
    *,
    area: str | None = None,
    first: str | None = None,
    last: str | None = None,
    force: str | None = None,
) -> Selection:
    """Build a :class:`Selection` from user text; raise :class:`SearchError` with what to do when it is wrong."""
    place = None
    if area is not None and area.strip().lower() not in ("london", "all", ""):
        try:
            place = resolve_place(db, area)
        except MetforwardError as exc:
            raise SearchError(str(exc)) from exc
    try:
        start = parse_month(first) if first else None
        end = parse_month(last) if last else None
    except ValueError as exc:
        raise SearchError(str(exc)) from exc
    if start and end and end < start:
        raise SearchError(f"--to {last} is before --from {first}")
    return Selection(place, start, end, force)


@dataclass(frozen=True)
class Coverage:
    """What a selection rests on: rows, months with data, rows not placed."""

    searches: int
    months: tuple[dt.date, ...]
    no_location: int  # searches published without coordinates
    outside: int  # searches with coordinates outside every loaded borough polygon

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "searches": self.searches,
            "months": [month_text(m) for m in self.months],
            "no_location": self.no_location,
            "outside_every_borough": self.outside,
        }


def coverage(db: Database, sel: Selection) -> Coverage:
    """Rows, months with data, rows without location and rows outside every borough, for ``sel``."""
    n, months, no_xy, outside = queries.coverage(db, sel.filter())
    return Coverage(int(n), months, int(no_xy), int(outside))


def _check_by(by: Sequence[str]) -> None:
    unknown = [b for b in by if b not in BY]
    if unknown:
        raise SearchError(f"unknown --by {', '.join(unknown)} (choose from: {', '.join(BY)})")


def _grouped(db: Database, sel: Selection, by: Sequence[str], measures: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    _check_by(by)
    return queries.grouped(db, sel.filter(), by, measures)


def search_counts(db: Database, sel: Selection, by: Sequence[str] = ()) -> list[dict[str, object]]:
    """Searches in ``sel`` counted by the ``by`` keys (see :data:`BY`); one dict per group with ``count``."""
    columns, rows = _grouped(db, sel, by, "count")
    return [dict(zip([*columns, "count"], r, strict=True)) for r in rows]


def search_rates(
    db: Database, sel: Selection, by: Sequence[str] = (), *, confidence: float = 0.95
) -> tuple[list[dict[str, object]], list[str]]:
    """Arrest, find and positive-outcome rates with Wilson intervals, by the ``by`` keys; and notes.

    * arrest rate: outcome is an arrest (:data:`ARREST_OUTCOMES`) / searches;
    * find rate: outcome linked to the object of search is True and the outcome is not a
      no-further-action one (:data:`NFA_OUTCOMES`) / searches. Where no search in the whole
      selection has the link published as True, the find rate cannot be measured and is None;
    * positive-outcome rate: any outcome other than no further action / searches.
    """
    columns, rows = _grouped(db, sel, by, "rates")
    linked_any = sum(int(r[-1]) for r in rows) > 0
    notes = []
    if rows and not linked_any:
        notes.append(
            "find rate not measurable: no search here has 'outcome linked to object of search' published as True "
            "(the Met publishes the field as False or empty); the positive-outcome rate (any outcome other than "
            "no further action) is shown instead, and it is not a find rate"
        )
    out = []
    for r in rows:
        keys = dict(zip(columns, r[: len(columns)], strict=True))
        n, arrests, finds, positive = (int(v) for v in r[len(columns) : len(columns) + 4])
        row: dict[str, object] = {**keys, "count": n, "arrests": arrests}
        row.update(_rate("arrest", arrests, n, confidence))
        row["finds"] = finds if linked_any else None
        row.update(_rate("find", finds, n, confidence) if linked_any else _rate("find", None, n, confidence))
        row["positive_outcomes"] = positive
        row.update(_rate("positive", positive, n, confidence))
        out.append(row)
    return out, notes


def _rate(name: str, k: int | None, n: int, confidence: float) -> dict[str, float | None]:
    if k is None or n == 0:
        return {f"{name}_rate": None, f"{name}_low": None, f"{name}_high": None}
    est = wilson(k, n, confidence=confidence)
    return {f"{name}_rate": est.value, f"{name}_low": est.low, f"{name}_high": est.high}


@dataclass
class Disproportionality:
    """Search rates per 1,000 residents by ethnic group and their ratios to the reference group."""

    selection: Selection
    field: str  # "self-defined" or "officer-defined"
    reference: str
    rows: list[dict[str, object]]
    searches: int  # every search in the selection
    not_stated: int  # ethnicity given as not stated
    missing: int  # ethnicity field empty
    unmapped: int  # a value outside the mapping (should be 0)
    denominator: str
    confidence: float
    notes: list[str] = dataclass_field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The JSON form (rows separate)."""
        return {
            "area": self.selection.describe(),
            "ethnicity_field": self.field,
            "reference": self.reference,
            "searches": self.searches,
            "not_stated": self.not_stated,
            "missing": self.missing,
            "unmapped": self.unmapped,
            "left_out": self.not_stated + self.missing + self.unmapped,
            "denominator": self.denominator,
            "confidence": self.confidence,
            "notes": self.notes,
        }


CENSUS_SOURCE = "ONS Census 2021 TS021 ethnic group"


def populations(db: Database, place: Place | None, *, officer: bool = False) -> tuple[dict[str, float], str]:
    """Census 2021 usual residents by high-level group for London (the 33 boroughs) or one borough.

    Raises :class:`SearchError` for wards and LSOAs (no Census ethnic-group table at those levels
    is read into the store) and when the Census table is not loaded.
    """
    if place is not None and place.level != "borough":
        raise SearchError(
            f"no Census 2021 ethnic-group population for {place.level} {place.name} ({place.code}) in the store: "
            "metforward reads the ethnic-group table by borough only, so it will not make a ratio for a ward or "
            "an LSOA (no other denominator would be honest). Give the borough instead, or use counts by ethnicity."
        )
    rows = queries.population_groups(db, CENSUS_SOURCE, None if place is None else place.code)
    pops = {str(g): float(p) for g, p, _ in rows if g is not None}
    areas = max((int(a) for _, _, a in rows), default=0)
    if not pops:
        raise SearchError(
            "no Census 2021 ethnic-group population for "
            + ("London" if place is None else place.name)
            + " in the store: ingest census2021_TS021_ethnic_group_8cat_by_UTLA_EW_ons_custom.csv "
            "(ONS Census 2021 TS021, by upper-tier local authority) first"
        )
    if place is None and areas != 33:
        raise SearchError(f"the Census 2021 ethnic-group table loaded covers {areas} of London's 33 boroughs")
    if officer:
        pops["Other"] = pops.get("Other", 0.0) + pops.pop("Mixed", 0.0)
    what = "London's 33 boroughs" if place is None else place.name
    return pops, f"Census 2021 usual residents by ethnic group (ONS TS021), {what}"


def disproportionality(
    db: Database,
    sel: Selection,
    *,
    field: str = "self-defined",
    reference: str = "White",
    confidence: float = 0.95,
) -> Disproportionality:
    """Searches per 1,000 residents of each ethnic group, and each group's rate ratio to ``reference``.

    ``field`` is ``self-defined`` (police.uk's self-defined ethnicity, mapped to the five Census
    2021 groups; the default) or ``officer-defined`` (White, Black, Asian, Other; Census Mixed
    residents then count in Other). Searches with ethnicity not stated or missing are left out
    of the numerators and counted. The ratio's interval and p value are the exact conditional
    ones for two Poisson counts with the populations as exposures (Przyborowski and Wilenski
    1940; Clopper and Pearson 1934).
    """
    if field not in ("self-defined", "officer-defined"):
        raise SearchError(f"--ethnicity must be self-defined or officer-defined, not {field!r}")
    officer = field == "officer-defined"
    pops, denominator = populations(db, sel.place, officer=officer)
    if reference not in pops:
        raise SearchError(f"reference group {reference!r} must be one of {', '.join(sorted(pops))}")
    counts = {
        (None if g is None else str(g)): int(n) for g, n in queries.ethnicity_counts(db, sel.filter(), officer=officer)
    }
    total = sum(counts.values())
    groups = [g for g in CENSUS_GROUPS if g in pops]
    ref_n = counts.get(reference, 0)
    months = coverage(db, sel).months
    rows = []
    for g in groups:
        n = counts.get(g, 0)
        row: dict[str, object] = {
            "group": g,
            "searches": n,
            "population": pops[g],
            "rate_per_1000": 1000 * n / pops[g] if pops[g] else None,
            "rate_per_1000_per_year": 1000 * n / pops[g] * 12 / len(months) if pops[g] and months else None,
        }
        if g == reference:
            row.update(ratio=1.0, ci_low=None, ci_high=None, p_value=None)
        elif pops[g] > 0 and (n + ref_n) > 0:
            c = compare_poisson([ref_n], [n], [pops[reference]], [pops[g]], confidence=confidence)
            row.update(
                ratio=_finite(c.rate_ratio[0]),
                ci_low=_finite(c.ci_low[0]),
                ci_high=_finite(c.ci_high[0]),
                p_value=float(c.p_value[0]),
            )
        else:
            row.update(ratio=None, ci_low=None, ci_high=None, p_value=None)
        rows.append(row)
    result = Disproportionality(
        selection=sel,
        field=field,
        reference=reference,
        rows=rows,
        searches=total,
        not_stated=counts.get(NOT_STATED, 0),
        missing=counts.get(None, 0),
        unmapped=counts.get("Unmapped", 0),
        denominator=denominator,
        confidence=confidence,
    )
    result.notes.append(
        f"{result.not_stated + result.missing + result.unmapped:,} of {total:,} searches left out: ethnicity "
        f"not stated {result.not_stated:,}, missing {result.missing:,}"
        + (f", unmapped {result.unmapped:,}" if result.unmapped else "")
    )
    result.notes.append(
        "denominators are residents (Census 2021); people searched need not live in the area, so rates are "
        "per resident, not per person present"
    )
    if officer:
        result.notes.append(
            "officer-defined ethnicity has no Mixed category: Census Mixed residents are counted in Other"
        )
    return result


def _finite(value: float) -> float | None:
    return float(value) if value == value and abs(value) != float("inf") else None


# --- targets ------------------------------------------------------------------------------------

_MEASURES = ("arrest-rate", "find-rate", "disproportionality")


class _SearchSource:
    """``measure: {source: stop-and-search, measure: arrest-rate|find-rate|disproportionality, from: YYYY-MM, to: YYYY-MM}``.

    ``disproportionality`` also takes ``group`` (Asian, Black, Mixed or Other; ratio to White)
    and optionally ``ethnicity`` (self-defined, the default, or officer-defined). ``force`` is optional.
    """

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        problems = []
        measure = spec.get("measure")
        if measure not in _MEASURES:
            problems.append(f"'measure' must be one of {', '.join(_MEASURES)}")
        if target_type not in ("rate", "level"):
            problems.append("source stop-and-search gives a rate or a ratio: use type rate or level")
        for key in ("from", "to"):
            try:
                parse_month(str(spec.get(key, "")))
            except ValueError:
                problems.append(f"'{key}' (YYYY-MM) is required")
        if measure == "disproportionality":
            if spec.get("group") not in ("Asian", "Black", "Mixed", "Other"):
                problems.append("'group' must be Asian, Black, Mixed or Other (the ratio is to White)")
            if spec.get("ethnicity", "self-defined") not in ("self-defined", "officer-defined"):
                problems.append("'ethnicity' must be self-defined or officer-defined")
        return problems

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        place = None if area == "London" or not GSS_CODE.match(area) else resolve_place(db, area)
        sel = Selection(place, parse_month(str(spec["from"])), parse_month(str(spec["to"])), spec.get("force"))
        period = f"{month_text(sel.first or dt.date.min)} to {month_text(sel.last or dt.date.min)}"
        cov = coverage(db, sel)
        if cov.searches == 0:
            return Observation(basis=f"no stop-and-search rows in the store for {sel.describe()}")
        measure = spec["measure"]
        if measure == "disproportionality":
            try:
                d = disproportionality(db, sel, field=str(spec.get("ethnicity", "self-defined")), confidence=confidence)
            except SearchError as exc:
                return Observation(basis=str(exc))
            row = next(r for r in d.rows if r["group"] == spec["group"])
            if row["ratio"] is None or row["ci_low"] is None or row["ci_high"] is None:
                return Observation(basis=f"no ratio for {spec['group']}: no searches or no residents")
            basis = (
                f"{row['searches']:,} {spec['group']} and {next(r['searches'] for r in d.rows if r['group'] == 'White'):,} "
                f"White searches ({d.field} ethnicity), {period}, {len(cov.months)} months with data, per "
                f"{d.denominator}; exact conditional {confidence:.0%} interval; {d.notes[0]}"
            )
            return Observation(
                estimate=(float(row["ratio"]), float(row["ci_low"]), float(row["ci_high"])),  # type: ignore[arg-type]
                unit="ratio",
                basis=basis,
            )
        rows, notes = search_rates(db, sel, confidence=confidence)
        total = rows[0]
        if measure == "find-rate" and total["finds"] is None:
            return Observation(basis=notes[0])
        k = total["arrests"] if measure == "arrest-rate" else total["finds"]
        what = "an arrest" if measure == "arrest-rate" else "a find (outcome linked to the object, not NFA)"
        basis = (
            f"{k:,} of {cov.searches:,} searches ended in {what}, {period}, {len(cov.months)} months with data "
            f"(police.uk stop and search; Wilson {confidence:.0%} interval)"
        )
        return Observation(counts=(float(k), float(cov.searches)), basis=basis)  # type: ignore[arg-type]


TARGET_SOURCE = _SearchSource()
