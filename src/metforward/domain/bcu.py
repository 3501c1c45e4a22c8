"""The Metropolitan Police's 12 Basic Command Units (BCUs) and the boroughs each groups, and the borough of
each 2014-vintage London ward: small lookups shipped in ``domain/lookups/`` (sources in its README).

Since early 2019 the Met has policed London's 32 boroughs (the City of London has its own force) through
12 BCUs of two to four boroughs each.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Bcu:
    """One Basic Command Unit: its code (``AW``), name (``Central West``) and boroughs (GSS codes, in order)."""

    code: str
    name: str
    boroughs: tuple[str, ...]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("metforward.domain").joinpath("lookups", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def bcus() -> tuple[Bcu, ...]:
    """The 12 BCUs, in the order of the file."""
    found: dict[str, tuple[str, list[str]]] = {}
    for row in _rows("met_bcu.csv"):
        found.setdefault(row["bcu_code"], (row["bcu_name"], []))[1].append(row["borough_code"])
    return tuple(Bcu(code, name, tuple(boroughs)) for code, (name, boroughs) in found.items())


@cache
def bcu_of_borough() -> dict[str, Bcu]:
    """The BCU of each of the Met's 32 boroughs, by the borough's GSS code."""
    return {b: unit for unit in bcus() for b in unit.boroughs}


def bcu_named(text: str) -> Bcu | None:
    """The BCU a code (``AW``) or a name (``Central West``, any case) names, or None."""
    key = " ".join(text.strip().lower().split())
    for unit in bcus():
        if key in (unit.code.lower(), unit.name.lower()):
            return unit
    return None


@cache
def ward2014_borough() -> dict[str, str]:
    """The borough GSS code of each 2014-vintage London ward, by ward code."""
    return {row["ward_code"]: row["borough_code"] for row in _rows("london_ward2014_borough.csv")}


__all__ = ["Bcu", "bcu_named", "bcu_of_borough", "bcus", "ward2014_borough"]
