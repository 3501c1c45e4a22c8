"""Targets: a YAML file of the kinds of targets the Met's 2009/10 and 2010/11 plans used, checked honestly.

Each target gets ``achieved``, ``missed`` or ``can't tell`` from the interval of its observed
value, never from the point estimate alone:

* achieved: the whole interval lies on the target's good side;
* missed: the whole interval lies on the bad side;
* can't tell: the interval straddles the target (the data cannot say which side the truth is on).

Target types (schema version 1; see ``docs/targets.md``):

``reduction``
    % change of a category's count (per month of data) between a baseline and a period, against
    a target change such as -1.0 (a 1% reduction). Counts come from the store; the interval is the
    quasi-Poisson interval of the rate ratio, allowing for the month-to-month variation of the
    counts (:mod:`metforward.analyse.dispersion`), or with ``method="poisson"`` the exact interval
    of the conditional Poisson test. Composite categories (serious
    acquisitive crime = residential burglary + robbery + vehicle crime) are defined in the file.
``level`` and ``rate``
    a proportion (public confidence, a sanction detection rate) at least or at most a value in %,
    with the Wilson interval (Wilson 1927). The observed counts are given in the file.
``gap``
    the difference between two groups' proportions in percentage points (the satisfaction gap
    between White and BME victims) at most a value, with Newcombe's interval (Newcombe 1998).

This module judges (the verdicts from counts and observations); :mod:`metforward.questions.targets_file`
reads and validates the file and :mod:`metforward.questions.targets` reads the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from metforward.analyse.dispersion import judge as judge_change
from metforward.analyse.proportions import newcombe_difference, wilson
from metforward.analyse.target_sources import Observation
from metforward.domain.periods import Period

ACHIEVED, MISSED, CANT_TELL = "achieved", "missed", "can't tell"
TYPES = ("reduction", "level", "rate", "gap")


@dataclass(frozen=True)
class Measure:
    """Where a reduction target's counts come from."""

    source: str
    category: str
    by: str
    kind: str | None
    force: str | None
    members: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """One validated target."""

    id: str
    title: str
    type: str
    area: str
    direction: str  # at_most | at_least
    threshold: float
    baseline: Period | None = None
    period: Period | None = None
    measure: Measure | None = None
    observed: dict[str, Any] | None = None
    source_spec: dict[str, Any] | None = None  # level/rate/gap: a store-backed measure instead of `observed`


@dataclass(frozen=True)
class TargetResult:
    """A target's verdict, with the observed value, its interval and the margin."""

    id: str
    title: str
    type: str
    area: str
    unit: str
    target: str
    observed: float | None
    ci_low: float | None
    ci_high: float | None
    margin: float | None  # observed distance from the target on its good side (negative: bad side)
    verdict: str
    basis: str

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class TargetsFile:
    """A validated targets file."""

    title: str
    alpha: float
    targets: list[Target]


def judge(value: float, low: float, high: float, direction: str, threshold: float) -> tuple[str, float]:
    """Verdict and margin: achieved if the whole interval is on the good side, missed if on the bad side."""
    if direction == "at_most":
        margin = threshold - value
        verdict = ACHIEVED if high <= threshold else MISSED if low > threshold else CANT_TELL
    else:
        margin = value - threshold
        verdict = ACHIEVED if low >= threshold else MISSED if high < threshold else CANT_TELL
    return verdict, margin


def sign_of(target: Target) -> str:
    """The target's direction in words: ``at most`` or ``at least``."""
    return "at most" if target.direction == "at_most" else "at least"


def observe_file(target: Target, confidence: float) -> Observation:
    """What a target's ``observed`` mapping gives: a published estimate, counts, or two groups' counts."""
    observed = target.observed
    assert observed is not None
    if "estimate" in observed:
        value, low, high = observed["estimate"]
        basis = f"published estimate {value:g} ({low:g} to {high:g}); source: {observed['source']}"
        return Observation(estimate=(value, low, high), basis=basis)
    if target.type == "gap":
        (sa, na), (sb, nb) = observed["a"], observed["b"]
        label_a, label_b = observed["labels"]
        basis = (
            f"{label_a} {sa:g}/{na:g} minus {label_b} {sb:g}/{nb:g}; Newcombe {confidence:.0%} interval; "
            f"source: {observed['source']}"
        )
        return Observation(groups=((sa, na), (sb, nb)), labels=(label_a, label_b), basis=basis)
    successes, n = observed["counts"]
    basis = f"{successes:g} of {n:g}; Wilson {confidence:.0%} interval; source: {observed['source']}"
    return Observation(counts=(successes, n), basis=basis)


def judge_observation(target: Target, seen: Observation, confidence: float) -> TargetResult:
    """The verdict on an observation: Wilson for counts, Newcombe for two groups, or the estimate's own interval."""
    unit = seen.unit or ("points" if target.type == "gap" else "%")
    goal = f"{sign_of(target)} {target.threshold:g}"
    if seen.estimate is not None:
        value, low, high = seen.estimate
    elif seen.groups is not None:
        (sa, na), (sb, nb) = seen.groups
        est = newcombe_difference(sa, na, sb, nb, confidence=confidence)
        value, low, high = est.value * 100, est.low * 100, est.high * 100
    elif seen.counts is not None:
        est = wilson(*seen.counts, confidence=confidence)
        value, low, high = est.value * 100, est.low * 100, est.high * 100
    else:
        return TargetResult(
            target.id, target.title, target.type, target.area, unit, goal, None, None, None, None, CANT_TELL, seen.basis
        )
    verdict, margin = judge(value, low, high, target.direction, target.threshold)
    return TargetResult(
        target.id,
        target.title,
        target.type,
        target.area,
        unit,
        goal,
        round(value, 3),
        round(low, 3),
        round(high, 3),
        round(margin, 3),
        verdict,
        seen.basis,
    )


@dataclass(frozen=True)
class ReductionCounts:
    """What a reduction target's counts are: the measure's count in the baseline and the period, the months of
    data behind each, the sums of the squared monthly counts (for the quasi-Poisson dispersion), the
    area's name and the measure's categories no count was found for."""

    before: int
    after: int
    months_before: int
    months_after: int
    squares: tuple[float, float] = (0.0, 0.0)
    area_name: str = ""
    missing: tuple[str, ...] = ()


def judge_reduction(target: Target, counts: ReductionCounts, confidence: float, method: str) -> TargetResult:
    """A reduction target's verdict from the interval of the rate ratio of its counts (quasi-Poisson, or the
    exact Poisson interval with ``method="poisson"``)."""
    assert target.measure is not None and target.baseline is not None and target.period is not None
    m, sign = target.measure, sign_of(target)
    before, after, t1, t2 = counts.before, counts.after, counts.months_before, counts.months_after
    basis = (
        f"{m.category} in {counts.area_name}: {before:,} in {target.baseline} ({t1} of {target.baseline.months} "
        f"months) vs {after:,} in {target.period} ({t2} of {target.period.months} months); "
        + ("exact" if method == "poisson" else "quasi-Poisson")
        + f" {confidence:.0%} interval of the rate ratio; source: {m.source}"
        + (f" ({m.kind})" if m.kind else "")
    )
    if counts.missing:
        basis += f"; no counts found for: {', '.join(counts.missing)}"
    goal = f"{sign} {target.threshold:+g}%"
    if not t1 or not t2 or before + after == 0:
        nothing = basis + "; no data for one of the periods"
        return TargetResult(
            target.id,
            target.title,
            target.type,
            target.area,
            "% change",
            goal,
            None,
            None,
            None,
            None,
            CANT_TELL,
            nothing,
        )
    squares = counts.squares if method == "quasi" else (0.0, 0.0)
    result = judge_change(
        [before],
        [after],
        [float(t1)],
        [float(t2)],
        squares_before=[squares[0]],
        squares_after=[squares[1]],
        method=method,
        alpha=1 - confidence,
    )
    if method == "quasi":
        phi = float(result.dispersion[0])
        basis += (
            f"; dispersion {phi:.2f} from the {t1 + t2} monthly counts"
            if math.isfinite(phi)
            else f"; too few months ({t1 + t2}) to estimate the month-to-month variation"
        )
    value = float(result.change_pct[0])
    low, high = (float(result.ci_low[0]) - 1) * 100, (float(result.ci_high[0]) - 1) * 100
    if math.isnan(low):  # too few months for an interval: the data cannot tell
        verdict, margin = CANT_TELL, judge(value, value, value, target.direction, target.threshold)[1]
    else:
        verdict, margin = judge(
            value, low, high if math.isfinite(high) else math.inf, target.direction, target.threshold
        )
    return TargetResult(
        target.id,
        target.title,
        target.type,
        target.area,
        "% change",
        goal,
        round(value, 3),
        None if math.isnan(low) else round(low, 3),
        round(high, 3) if math.isfinite(high) else None,
        round(margin, 3),
        verdict,
        basis,
    )
