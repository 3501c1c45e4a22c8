"""Harm-weighted totals: counts of crimes weighted by a published severity weight per category.

A harm-weighted total is ``sum over categories c of count(c) * weight(c)``. One robbery then counts
for as much as about 67 shoplifting offences, instead of one.

The weights ship with metforward in ``metforward/domain/harm_weights.csv`` (rebuilt by
``scripts/build_harm_weights.py``; see ``docs/methods/harm.md``). Each row carries its own
``basis`` (how the weight was derived) and ``source`` (where the numbers came from).

Scheme ``ons-css``: the ONS Crime Severity Score weights, one per Home Office offence code,
derived by the ONS from sentencing data (ONS 2016). Each category's weight is the mean of the
weights of its offence codes, weighted by the number of offences the Metropolitan Police recorded
under each code in 2017/18. The weights were taken from the "List of weights" sheet of the ONS data
tool as carried in the public repository M-O-P-D/Police-Supply-Demand. Taxonomies: ``police-uk``
(the 14 police.uk crime types, anti-social behaviour excepted: it is not a notifiable crime and has
no weight), ``datastore-2008`` (the London Datastore's 2008-2016 major/minor categories) and
``datastore-current`` (its current categories). Categories without a published weight are left out
of the file, never given a made-up one; :func:`harm_total` reports their counts.

The Cambridge Crime Harm Index (Sherman, Neyroud and Neyroud 2016) is not shipped: its
per-offence values were not found in a form that could be checked.

A category mixes offences of very different severity and its weight is an average, so a harm total
estimates harm; it is good for comparing places and periods, not for judging one crime.

References
----------
Office for National Statistics (2016). Research outputs: developing a Crime Severity Score for
    England and Wales using data on crimes recorded by the police. 29 November 2016. Weights:
    dataset "Crime Severity Score (experimental statistics)", data tool, sheet "List of weights".
Sherman, L., Neyroud, P. and Neyroud, E. (2016). The Cambridge Crime Harm Index: measuring total
    harm from crime based on sentencing guidelines. Policing 10(3):171-183.
Ashby, M. P. J. (2018). Comparing methods for measuring crime harm/severity. Policing 12(4):439-454.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from metforward.errors import InvalidValueError

#: The weighting schemes shipped.
SCHEMES: tuple[str, ...] = ("ons-css",)
#: The category taxonomies weighted.
TAXONOMIES: tuple[str, ...] = ("police-uk", "datastore-2008", "datastore-current")

_COLUMNS = ("scheme", "taxonomy", "category", "weight", "unit", "basis", "source")


@dataclass(frozen=True)
class Weight:
    """The published severity weight of one category under one scheme, with how it was derived."""

    scheme: str
    taxonomy: str
    category: str
    weight: float
    unit: str
    basis: str
    source: str


@dataclass(frozen=True)
class HarmResult:
    """A harm-weighted total and what went into it.

    ``total`` is the sum of ``by_category``: ``count * weight`` for each category that has a weight.
    ``unweighted`` holds every category of the counts that has no weight, with its count: those
    crimes are in ``total_count`` but not in ``total``. ``coverage`` is ``weighted_count /
    total_count``, the share of the crimes that the total weighs (None when there are no crimes).
    """

    total: float
    by_category: Mapping[str, float]
    unweighted: Mapping[str, int]
    weighted_count: int
    total_count: int
    coverage: float | None
    unit: str


@lru_cache(maxsize=1)
def _all_weights() -> tuple[Weight, ...]:
    """Every row of the packaged ``harm_weights.csv``."""
    text = resources.files("metforward.domain").joinpath("harm_weights.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ValueError(f"harm_weights.csv: columns are {reader.fieldnames}, expected {list(_COLUMNS)}")
    return tuple(
        Weight(
            scheme=row["scheme"],
            taxonomy=row["taxonomy"],
            category=row["category"],
            weight=float(row["weight"]),
            unit=row["unit"],
            basis=row["basis"],
            source=row["source"],
        )
        for row in reader
    )


def load_weights(scheme: str, taxonomy: str) -> dict[str, Weight]:
    """The weights of ``scheme`` for the categories of ``taxonomy``, keyed by category name.

    Names are exactly as in the data: police.uk "Crime type" text for ``police-uk``; the Datastore's
    minor category names, and the major names where every minor of the major has a weight, for
    ``datastore-2008`` and ``datastore-current``. Never sum a major's count with its minors' counts.
    Reads the packaged CSV and nothing else. Raises ``ValueError`` for an unknown scheme or taxonomy.
    """
    if scheme not in SCHEMES:
        raise InvalidValueError(f"unknown harm scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    if taxonomy not in TAXONOMIES:
        raise InvalidValueError(f"unknown category taxonomy {taxonomy!r}: use one of {', '.join(TAXONOMIES)}")
    return {w.category: w for w in _all_weights() if w.scheme == scheme and w.taxonomy == taxonomy}


def harm_total(counts: Mapping[str, int], weights: Mapping[str, Weight]) -> HarmResult:
    """The harm-weighted total of ``counts`` (category -> number of crimes) under ``weights``.

    Each category with a weight contributes ``count * weight``; each category without one is
    reported in ``unweighted`` with its count (never silently dropped) and lowers ``coverage``.
    Counts must be whole numbers of 0 or more; the weights must share one unit.
    """
    units = {w.unit for w in weights.values()}
    if len(units) > 1:
        raise ValueError(f"the weights mix units ({', '.join(sorted(units))}): use one scheme's weights")
    by_category: dict[str, float] = {}
    unweighted: dict[str, int] = {}
    total_count = 0
    for category, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"the count of {category!r} is {value!r}: counts must be whole numbers of 0 or more")
        count = int(value)
        total_count += count
        weight = weights.get(category)
        if weight is None:
            unweighted[category] = count
        else:
            by_category[category] = count * weight.weight
    weighted_count = total_count - sum(unweighted.values())
    return HarmResult(
        total=math.fsum(by_category.values()),
        by_category=MappingProxyType(by_category),
        unweighted=MappingProxyType(unweighted),
        weighted_count=weighted_count,
        total_count=total_count,
        coverage=weighted_count / total_count if total_count else None,
        unit=units.pop() if units else "",
    )
