"""Why an area gets its number: the explanation of a resource allocation (``metforward allocate --explain``),
and the marginal effect of each weight (officers per 10-point rise in it). Pure: the formula, the values
and the kernels' runs in, words and figures out (:mod:`metforward.analyse.allocation`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from metforward.analyse.allocation import (
    Component,
    Floats,
    Formula,
    Run,
    Setup,
    Term,
    damping_rule,
    run,
    transformed,
)
from metforward.analyse.allocation_uncertainty import Simulation


@dataclass(frozen=True)
class Label:
    """An indicator's words for the explanation: its label, the year of its values, whether it sums to London."""

    label: str
    year: str
    summed: bool = True


# --- weights moved -----------------------------------------------------------------------------------------


def with_weight(formula: Formula, target: str, points: float) -> Formula:
    """``formula`` with the weight of ``target`` (a component, or ``component.indicator``) raised by ``points``
    percentage points of its level (the others of that level scaled down to keep the total), for the marginal
    effect of a weight."""
    delta = points / 100.0
    if "." in target:
        cname, ind = target.split(".", 1)
        changed: list[Component] = []
        for c in formula.components:
            if c.name != cname:
                changed.append(c)
                continue
            total = sum(t.weight for t in c.terms)
            share = {t.indicator: t.weight / total for t in c.terms}
            mine = share[ind]
            new = min(max(mine + delta, 0.0), 1.0)
            rest = 1.0 - mine
            terms = tuple(
                Term(
                    t.indicator,
                    new if t.indicator == ind else (share[t.indicator] * (1 - new) / rest if rest else 0.0),
                    t.transform,
                )
                for t in c.terms
            )
            changed.append(Component(c.name, c.weight, terms))
        return _replace_components(formula, tuple(changed))
    total = sum(c.weight for c in formula.components)
    share = {c.name: c.weight / total for c in formula.components}
    mine = share[target]
    new = min(max(mine + delta, 0.0), 1.0)
    rest = 1.0 - mine
    comps = tuple(
        Component(c.name, new if c.name == target else (share[c.name] * (1 - new) / rest if rest else 0.0), c.terms)
        for c in formula.components
    )
    return _replace_components(formula, comps)


def _replace_components(formula: Formula, components: tuple[Component, ...]) -> Formula:
    return replace(formula, components=components)


@dataclass(frozen=True)
class Marginal:
    """The officers an area gains (+) or loses (-) when ``target``'s weight rises by 10 points: in the formula
    (before damping, unrounded) and in its allocation (after damping and rounding)."""

    target: str
    weight_pct: float
    formula_officers: float
    allocation_officers: int


def marginal_effects(setup: Setup, values: Floats, base: Run, area: int, points: float = 10.0) -> list[Marginal]:
    """The marginal effect of each component's and each term's weight on ``area``'s officers."""
    f = setup.formula
    out = []
    total = sum(c.weight for c in f.components)
    targets = [(c.name, 100 * c.weight / total) for c in f.components]
    for c in f.components:
        within = sum(t.weight for t in c.terms)
        if len(c.terms) > 1:
            targets += [(f"{c.name}.{t.indicator}", 100 * t.weight / within) for t in c.terms]
    for target, pct in targets:
        changed = run(
            Setup(
                with_weight(f, target, points),
                setup.columns,
                setup.population,
                setup.baseline,
                setup.floors,
                setup.adjust,
            ),
            values[None],
        )
        out.append(
            Marginal(
                target,
                round(pct, 2),
                float(changed.formula[0, area] - base.formula[0, area]),
                int(changed.allocation[0, area] - base.allocation[0, area]),
            )
        )
    return out


def share_text(value: float) -> str:
    """A share as a percentage with two decimals."""
    return f"{100 * value:.2f}%"


def lifts(shares: Mapping[str, float], need: float, tolerance: float = 0.02) -> tuple[list[str], list[str]]:
    """Which terms lift an area (its share above its need share, by more than ``tolerance`` of it) and which
    lower it."""
    up = [k for k, v in shares.items() if v > need * (1 + tolerance)]
    down = [k for k, v in shares.items() if v < need * (1 - tolerance)]
    return up, down


def explain(
    setup: Setup,
    values: Floats,
    r: Run,
    sim: Simulation,
    i: int,
    *,
    codes: Sequence[str],
    names: Sequence[str],
    labels: Mapping[str, Label],
    current: NDArray[np.int64] | None = None,
    reasons: Sequence[str] = (),
) -> dict[str, Any]:
    """Why area ``i`` gets its number, in words and figures (``--explain``): its share of each indicator
    against London with its rank, which indicators and components lift or lower it, what damping and any
    adjustment did, and the marginal effect of each weight. ``values`` are the indicator values of the
    areas (columns as ``setup.columns``), ``labels`` each indicator's words, year and whether it sums,
    ``reasons`` those of the area's judgement adjustments."""
    formula = setup.formula
    name = names[i]
    need = float(r.need[0, i])
    shares = {}
    indicators = []
    for (comp, term), w in zip(formula.terms, formula.effective_weights(), strict=True):
        raw = values[:, setup.columns[term.indicator]]
        x = transformed(raw, values[:, setup.population], term.transform)
        share = float(x[i] / x.sum())
        key = f"{comp.name}.{term.indicator}"
        shares[key] = share
        data = labels[term.indicator]
        indicators.append(
            {
                "term": key,
                "indicator": term.indicator,
                "label": data.label,
                "transform": term.transform,
                "value": round(float(raw[i]), 3),
                "london": round(float(raw.sum()), 3) if data.summed else None,
                "share": round(share, 6),
                "rank": int((x > x[i]).sum()) + 1,
                "weight": round(float(w), 6),
                "officers": round(float(r.contributions[0, formula.terms.index((comp, term)), i]), 2),
                "year": data.year,
            }
        )
    up, down = lifts(shares, need)
    component_of = formula.component_of_terms()
    comp_rows: list[dict[str, Any]] = []
    for k, c in enumerate(formula.components):
        mask = component_of == k
        weight = float(formula.effective_weights()[mask].sum())
        comp_share = (
            float(
                sum(
                    shares[f"{c.name}.{t.indicator}"] * tw
                    for t, tw in zip(c.terms, formula.effective_weights()[mask] / weight, strict=True)
                )
            )
            if weight
            else 0.0
        )
        comp_rows.append(
            {
                "component": c.name,
                "weight": round(weight, 6),
                "share": round(comp_share, 6),
                "officers": round(float(r.contributions[0, mask, i].sum()), 2),
                "effect": "lifts" if comp_share > need * 1.02 else "lowers" if comp_share < need * 0.98 else "neutral",
            }
        )
    marginal = marginal_effects(setup, values, r, i)
    allocation = int(r.allocation[0, i])
    undamped = int(r.undamped[0, i])
    adjustment = int(setup.adjust[i])
    rule = damping_rule(r, setup, i)
    words = [
        f"{name} gets {allocation:,} of the {formula.total:,} officers ({100 * allocation / formula.total:.2f}%), "
        f"95% range {int(sim.allocation_low[i]):,} to {int(sim.allocation_high[i]):,}.",
        f"Its need share is {share_text(need)}: the weighted average of its shares of London's indicators, "
        f"which gives {float(r.formula[0, i]):,.1f} officers of the {setup.shared:,} the formula shares out.",
    ]
    label = {str(row["term"]): f"{labels[str(row['indicator'])].label} ({row['term']})" for row in indicators}
    if up:
        words.append(
            f"Lifting it (its share of London above its need share of {share_text(need)}): "
            + "; ".join(f"{label[k]} {share_text(shares[k])}" for k in up)
            + "."
        )
    if down:
        words.append(
            "Lowering it (below its need share): "
            + "; ".join(f"{label[k]} {share_text(shares[k])}" for k in down)
            + "."
        )
    effects = [c for c in comp_rows if c["effect"] != "neutral"]
    if len(formula.components) > 1 and effects:
        words.append(
            "By component: "
            + "; ".join(f"{c['component']} ({share_text(c['share'])} of London) {c['effect']} it" for c in effects)
            + "."
        )
    damping = allocation - adjustment - undamped
    if rule == "none" or damping == 0:
        words.append(
            f"Damping did not change it: {undamped:,} officers by the formula alone, rounded by {formula.method}."
        )
    else:
        words.append(
            f"Damping ({rule}) moved it from {undamped:,} to {undamped + damping:,} officers ({damping:+,})"
            + (f", against a baseline of {float(setup.baseline[i]):,.0f}" if setup.baseline is not None else "")
            + "."
        )
    if adjustment:
        words.append(f"A judgement adjustment adds {adjustment}" + (f": {'; '.join(reasons)}." if reasons else "."))
    if current is not None:
        words.append(f"Against its current {int(current[i]):,}, that is {allocation - int(current[i]):+,}.")
    for m in marginal:
        words.append(
            f"Ten points more weight on {m.target} (now {m.weight_pct:.0f}%) would give it {m.formula_officers:+.1f} "
            f"officers by the formula ({m.allocation_officers:+d} after damping and rounding)."
        )
    return {
        "area_code": codes[i],
        "area_name": name,
        "allocation": allocation,
        "low": int(sim.allocation_low[i]),
        "high": int(sim.allocation_high[i]),
        "need_share": round(need, 6),
        "formula": round(float(r.formula[0, i]), 2),
        "undamped": undamped,
        "damping": damping,
        "damping_rule": rule,
        "adjustment": adjustment,
        "lifted_by": up,
        "lowered_by": down,
        "indicators": indicators,
        "components": comp_rows,
        "marginal": [
            {
                "weight": m.target,
                "weight_pct": m.weight_pct,
                "formula_officers_per_10_points": round(m.formula_officers, 2),
                "allocation_officers_per_10_points": m.allocation_officers,
            }
            for m in marginal
        ],
        "words": words,
    }


__all__ = ["Label", "Marginal", "explain", "lifts", "marginal_effects", "share_text", "with_weight"]
