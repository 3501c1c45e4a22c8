"""Stop and search: counts by any breakdown, arrest and find rates, and ethnic disproportionality.

The one place the question is answered: its options and their defaults (:class:`Query`), the
selection (:func:`selection`: the area through the one resolver, so London, MPS, all ... mean the
Met's searches), what is read from the store, and the kernels of :mod:`metforward.analyse.searches`.
The ``stop-and-search`` measure source of targets (:data:`TARGET_SOURCE`) reads the same figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metforward.analyse.searches import (
    ETHNICITY_FIELDS,
    RATE_COLUMNS,
    RATIO_COLUMNS,
    Coverage,
    Disproportionality,
    SearchError,
    rate_rows,
    ratios,
)
from metforward.analyse.target_sources import Observation
from metforward.domain.periods import month_text, parse_month
from metforward.errors import BadRequest
from metforward.questions.answer import Answer
from metforward.questions.base import Question, loads_used
from metforward.store.database import Database
from metforward.store.places import Place, resolve_area
from metforward.store.queries import searches as queries

#: ``--by`` name -> (output column, SQL expression); the SQL lives in the store.
BY = queries.BY
ARREST_OUTCOMES = queries.ARREST_OUTCOMES
NFA_OUTCOMES = queries.NFA_OUTCOMES
MODES = ("counts", "rates", "disproportionality")
CENSUS_SOURCE = "ONS Census 2021 TS021 ethnic group"


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


def months_between(first: str | None, last: str | None) -> tuple[dt.date | None, dt.date | None]:
    """The first and last months of ``--from`` and ``--to`` (either may be left out): :class:`BadRequest`
    for a malformed month, or a last month before the first."""
    months = []
    for text, option in ((first, "from"), (last, "to")):
        try:
            months.append(parse_month(text) if text else None)
        except ValueError as exc:
            raise BadRequest(f"--{option}: {exc}", field=option) from exc
    start, end = months
    if start and end and end < start:
        raise BadRequest(f"--to {last} is before --from {first}", field="to")
    return start, end


def selection(
    db: Database,
    *,
    area: str | None = None,
    first: str | None = None,
    last: str | None = None,
    force: str | None = None,
) -> Selection:
    """The :class:`Selection` of text options: the area through the one resolver (None, London, MPS ...:
    the Met's searches), the months checked (:class:`BadRequest`)."""
    start, end = months_between(first, last)
    return Selection(resolve_area(db, area), start, end, force)


def coverage(db: Database, sel: Selection) -> Coverage:
    """Rows, months with data, rows without location and rows outside every borough, for ``sel``."""
    n, months, no_xy, outside = queries.coverage(db, sel.filter())
    return Coverage(int(n), months, int(no_xy), int(outside))


def _check_by(by: Sequence[str]) -> None:
    unknown = [b for b in by if b not in BY]
    if unknown:
        raise SearchError(f"unknown --by {', '.join(unknown)} (choose from: {', '.join(BY)})", field="by")


def search_counts(db: Database, sel: Selection, by: Sequence[str] = ()) -> list[dict[str, object]]:
    """Searches in ``sel`` counted by the ``by`` keys (see :data:`BY`); one dict per group with ``count``."""
    _check_by(by)
    columns, rows = queries.grouped(db, sel.filter(), by, "count")
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
    _check_by(by)
    columns, rows = queries.grouped(db, sel.filter(), by, "rates")
    return rate_rows(columns, rows, confidence)


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
    of the numerators and counted (:func:`metforward.analyse.searches.ratios`).
    """
    if field not in ETHNICITY_FIELDS:
        raise SearchError(f"--ethnicity must be self-defined or officer-defined, not {field!r}", field="ethnicity")
    officer = field == "officer-defined"
    pops, denominator = populations(db, sel.place, officer=officer)
    counts = {
        (None if g is None else str(g)): int(n) for g, n in queries.ethnicity_counts(db, sel.filter(), officer=officer)
    }
    return ratios(
        counts,
        pops,
        area=sel.describe(),
        field=field,
        reference=reference,
        months=len(coverage(db, sel).months),
        denominator=denominator,
        confidence=confidence,
    )


@dataclass(frozen=True)
class Query:
    """What to answer, as text options (every face builds this), with the defaults in one place.

    ``mode``: counts, rates or disproportionality; ``area``: None, London, MPS ... for the Met's
    searches, else a borough, ward or LSOA; ``first``/``last``: months (the faces' ``from`` and ``to``)."""

    mode: str = "counts"
    by: tuple[str, ...] = ()
    area: str | None = None
    first: str | None = None
    last: str | None = None
    force: str | None = None
    ethnicity: str = "self-defined"
    confidence: float = 0.95

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", tuple(dict.fromkeys(self.by or ())))

    def check(self) -> None:
        """Every option checked before the store is read: :class:`BadRequest` naming the option at fault
        (:class:`SearchError` for an unknown grouping)."""
        if self.mode not in MODES:
            raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}", field="mode")
        if self.mode == "disproportionality" and self.by:
            raise BadRequest("disproportionality is by ethnic group: leave out --by", field="by")
        if self.ethnicity not in ETHNICITY_FIELDS:
            raise BadRequest(
                f"--ethnicity must be self-defined or officer-defined, not {self.ethnicity!r}", field="ethnicity"
            )
        if not 0 < self.confidence < 1:
            raise BadRequest(
                f"the confidence level must lie between 0 and 1, not {self.confidence}", field="confidence"
            )
        _check_by(self.by)
        months_between(self.first, self.last)


@dataclass(frozen=True)
class Searches:
    """What a searches answer draws on: the selection, its coverage, the rows and notes, and the ratios."""

    selection: Selection
    coverage: Coverage
    rows: list[dict[str, object]]
    notes: list[str]
    dispro: Disproportionality | None = None


def ask(db: Database, query: Query) -> Answer:
    """Stop and search counts, rates or disproportionality for the searches ``query`` selects."""
    query.check()
    sel = selection(db, area=query.area, first=query.first, last=query.last, force=query.force)
    cov = coverage(db, sel)
    meta: dict[str, Any] = {"mode": query.mode, "area": sel.describe(), "coverage": cov.as_dict()}
    keys = queries.group_columns(query.by)[0]
    dispro = None
    notes: list[str] = []
    kinds: tuple[str, ...] = ("stop-and-search", "boundaries")
    columns: tuple[str, ...]
    if query.mode == "disproportionality":
        dispro = disproportionality(db, sel, field=query.ethnicity, confidence=query.confidence)
        rows, columns = dispro.rows, RATIO_COLUMNS
        notes = [f"denominator: {dispro.denominator}", *dispro.notes]
        meta.update({k: v for k, v in dispro.as_dict().items() if k not in ("notes", "area")})
        kinds += ("population-census-ethnicity",)
    elif query.mode == "rates":
        rows, notes = search_rates(db, sel, query.by, confidence=query.confidence)
        columns = (*keys, *RATE_COLUMNS)
    else:
        rows, columns = search_counts(db, sel, query.by), (*keys, "count")
    meta["loads"] = loads_used(db, kinds)
    return Answer(
        question="searches",
        query=dataclasses.asdict(query),
        items=rows,
        columns=columns,
        meta=meta,
        notes=notes,
        result=Searches(sel, cov, rows, notes, dispro),
    )


QUESTION = Question(
    name="searches",
    query=Query,
    ask=ask,
    command=("searches",),
    route="/searches",
    summary="Stop and search by month, area, ethnicity, object, outcome...; rates; disproportionality.",
    example={"by": ["month", "borough"], "area": "Westminster"},
    options={"first": "--from", "last": "--to"},
)


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
            if spec.get("ethnicity", "self-defined") not in ETHNICITY_FIELDS:
                problems.append("'ethnicity' must be self-defined or officer-defined")
        return problems

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        sel = Selection(
            resolve_area(db, area), parse_month(str(spec["from"])), parse_month(str(spec["to"])), spec.get("force")
        )
        period = f"{month_text(sel.first or dt.date.min)} to {month_text(sel.last or dt.date.min)}"
        cov = coverage(db, sel)
        if cov.searches == 0:
            return Observation(basis=f"no stop-and-search rows in the store for {sel.describe()}")
        measure = spec["measure"]
        if measure == "disproportionality":
            return self._ratio(db, sel, spec, cov, period, confidence)
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

    def _ratio(
        self, db: Database, sel: Selection, spec: Mapping[str, Any], cov: Coverage, period: str, confidence: float
    ) -> Observation:
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


TARGET_SOURCE = _SearchSource()

__all__ = [
    "ARREST_OUTCOMES",
    "BY",
    "QUESTION",
    "TARGET_SOURCE",
    "Query",
    "SearchError",
    "Selection",
    "ask",
    "coverage",
    "disproportionality",
    "search_counts",
    "search_rates",
    "selection",
]
