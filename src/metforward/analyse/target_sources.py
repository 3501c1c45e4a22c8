"""Store-backed observations for ``level``, ``rate`` and ``gap`` targets.

A target of those types may give ``measure: {source: NAME, ...}`` instead of ``observed``: the
figure then comes from the store, computed by the module that owns the measure (sanction
detection rates from ``outcomes``, arrest and find rates and disproportionality from
``searches``, survey measures and gaps from ``confidence``, named monthly series from
``indicators``). Each such module exposes ``TARGET_SOURCE``, an object with ``check`` and
``observe`` (the :class:`MeasureSource` protocol); :func:`measure_source` finds it by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from metforward.store.database import Database

#: Measure source name -> the module that provides it (imported only when a target uses it).
SOURCES: dict[str, str] = {
    "outcomes": "metforward.questions.outcomes",
    "stop-and-search": "metforward.questions.searches",
    "survey": "metforward.questions.confidence",
    "indicator": "metforward.questions.indicators",
}


@dataclass(frozen=True)
class Observation:
    """What a store-backed target observed. Give exactly one of ``counts``, ``groups`` or ``estimate``.

    ``counts``
        ``(successes, n)`` for a level or rate target: judged with the Wilson interval.
    ``groups``
        ``((successes_a, n_a), (successes_b, n_b))`` for a gap target (``a - b``, in
        percentage points): judged with Newcombe's interval; ``labels`` name the two groups.
    ``estimate``
        ``(value, low, high)`` already in ``unit`` (a ratio with its interval, a count with no
        sampling error as ``(v, v, v)``).
    None of them: no data, so the verdict is can't tell and ``basis`` says why.
    """

    counts: tuple[float, float] | None = None
    groups: tuple[tuple[float, float], tuple[float, float]] | None = None
    labels: tuple[str, str] = ("a", "b")
    estimate: tuple[float, float, float] | None = None
    unit: str | None = None  # default: "%" for level and rate, "points" for gap
    basis: str = ""


class MeasureSource(Protocol):
    """How a module gives store-backed figures to targets."""

    def check(self, spec: Mapping[str, Any], target_type: str) -> list[str]:
        """Problems with a target's ``measure`` mapping (empty if it is valid), each a short sentence."""
        ...

    def observe(
        self, db: Database, spec: Mapping[str, Any], area: str, target_type: str, confidence: float
    ) -> Observation:
        """The observation for ``area`` (``"London"`` or a borough GSS code)."""
        ...


def measure_source(name: str) -> MeasureSource | None:
    """The source called ``name``, or None if there is no such source."""
    module = SOURCES.get(name)
    if module is None:
        return None
    source: MeasureSource = importlib.import_module(module).TARGET_SOURCE
    return source
