"""What a store-backed ``level``, ``rate`` or ``gap`` target observed: an :class:`Observation`.

A target of those types may give ``measure: {source: NAME, ...}`` instead of ``observed``: the
figure then comes from the store, computed by the module that owns the measure (sanction
detection rates from ``outcomes``, arrest and find rates and disproportionality from
``searches``, survey measures and gaps from ``confidence``, named monthly series from
``indicators``), which returns an :class:`Observation` for :func:`metforward.analyse.targets.judge_observation`.
The sources are found by name in :mod:`metforward.questions.targets_file`.
"""

from __future__ import annotations

from dataclasses import dataclass


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
