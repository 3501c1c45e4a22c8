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

This module holds the kernels (counts in, frozen results out); the selection, what is read from
the store and the question's options are in :mod:`metforward.questions.searches`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from metforward.analyse.poisson import compare_poisson
from metforward.analyse.proportions import wilson
from metforward.domain.periods import month_text
from metforward.errors import MetforwardError


class SearchError(MetforwardError):
    """A stop-and-search question that cannot be answered as asked (bad option, no data, no denominator)."""

    code = "searches"


#: The five Census 2021 high-level ethnic groups, in the order they are shown.
CENSUS_GROUPS: tuple[str, ...] = ("Asian", "Black", "Mixed", "White", "Other")
NOT_STATED = "Not stated"
ETHNICITY_FIELDS = ("self-defined", "officer-defined")
#: The figures of a rates row, after its grouping keys.
RATE_COLUMNS = (
    "count",
    "arrests",
    "arrest_rate",
    "arrest_low",
    "arrest_high",
    "finds",
    "find_rate",
    "find_low",
    "find_high",
    "positive_outcomes",
    "positive_rate",
    "positive_low",
    "positive_high",
)
#: The columns of a disproportionality row.
RATIO_COLUMNS = (
    "group",
    "searches",
    "population",
    "rate_per_1000",
    "rate_per_1000_per_year",
    "ratio",
    "ci_low",
    "ci_high",
    "p_value",
)


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


def rate_rows(
    columns: Sequence[str], counts: Sequence[Sequence[Any]], confidence: float = 0.95
) -> tuple[list[dict[str, object]], list[str]]:
    """Arrest, find and positive-outcome rates with Wilson intervals from grouped counts, and notes.

    Each row of ``counts``: the ``columns`` keys, then searches, arrests, finds, positive outcomes and
    searches with the outcome linked to the object. Where no search in the whole selection has the
    link published as True, the find rate cannot be measured and is None.
    """
    linked_any = sum(int(r[-1]) for r in counts) > 0
    notes = []
    if counts and not linked_any:
        notes.append(
            "find rate not measurable: no search here has 'outcome linked to object of search' published as True "
            "(the Met publishes the field as False or empty); the positive-outcome rate (any outcome other than "
            "no further action) is shown instead, and it is not a find rate"
        )
    out = []
    for r in counts:
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

    area: str  # the selection in words
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
            "area": self.area,
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


def ratios(
    counts: Mapping[str | None, int],
    populations: Mapping[str, float],
    *,
    area: str,
    field: str = "self-defined",
    reference: str = "White",
    months: int,
    denominator: str,
    confidence: float = 0.95,
) -> Disproportionality:
    """Searches per 1,000 residents of each ethnic group, and each group's rate ratio to ``reference``.

    ``counts``: searches by high-level group (``Not stated``, None for missing, ``Unmapped``);
    ``populations``: residents by group (Census Mixed already in Other for the officer-defined field);
    ``months``: months with data (for the rate a year). The ratio's interval and p value are the exact
    conditional ones for two Poisson counts with the populations as exposures (Przyborowski and
    Wilenski 1940; Clopper and Pearson 1934).
    """
    if field not in ETHNICITY_FIELDS:
        raise SearchError(f"--ethnicity must be self-defined or officer-defined, not {field!r}")
    if reference not in populations:
        raise SearchError(f"reference group {reference!r} must be one of {', '.join(sorted(populations))}")
    pops = populations
    total = sum(counts.values())
    groups = [g for g in CENSUS_GROUPS if g in pops]
    ref_n = counts.get(reference, 0)
    rows = []
    for g in groups:
        n = counts.get(g, 0)
        row: dict[str, object] = {
            "group": g,
            "searches": n,
            "population": pops[g],
            "rate_per_1000": 1000 * n / pops[g] if pops[g] else None,
            "rate_per_1000_per_year": 1000 * n / pops[g] * 12 / months if pops[g] and months else None,
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
        area=area,
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
    if field == "officer-defined":
        result.notes.append(
            "officer-defined ethnicity has no Mixed category: Census Mixed residents are counted in Other"
        )
    return result


def _finite(value: float) -> float | None:
    return float(value) if value == value and abs(value) != float("inf") else None
