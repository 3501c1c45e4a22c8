"""``metforward allocate``: officers shared among the boroughs (or BCUs) by a resource allocation formula,
with ranges, damping, adjustments, stability, and the explanation of any area's number."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.allocation import METHODS
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.allocation import DRAWS, LEVELS, Allocation, Query, ask, list_indicators
from metforward.questions.allocation_formula import BUILT_IN

_MOVE = {"up": "red", "down": "green", "can't tell": "dim"}


def _num(value: Any, digits: int = 0, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


def print_allocation(made: Allocation, meta: dict[str, Any], notes: list[str]) -> None:
    """The allocation as a Rich table, what it rests on above, the notes and the attribution below."""
    console = wide_console()
    f = made.formula
    console.print(
        f"[bold]{f.title}[/] ({f.source or 'built in'}): {f.total:,} officers to {len(made.areas.codes)} "
        f"{made.areas.level}s, indicators of {made.year}; {meta['method_note']}"
    )
    console.print(
        "Weights: "
        + "; ".join(f"{k} {100 * v:.1f}%" for k, v in meta["formula"]["effective_weights"].items())
        + f". Baseline: {made.baseline}."
    )
    table = Table(
        caption=(
            "need share = the area's weighted share of London's indicators; formula = need share x officers the formula "
            "shares (before damping, unrounded); range = 95% of "
            f"{made.simulation.draws:,} Monte Carlo draws over the indicators' uncertainty"
            + (" and the weight ranges" if made.simulation.weights_varied else "")
            + "; damping = officers damping added or took; year change = formula officers against last year's "
            "indicators, noise = 95% of the changes count noise alone would make.\n" + ATTRIBUTION
        ),
        caption_justify="left",
    )
    for name in (
        "area",
        "need share",
        "formula",
        "allocation",
        "95% range",
        "current",
        "change",
        "damping",
        "adjust",
        "year change",
        "noise",
        "movement",
    ):
        table.add_column(name, justify="left" if name in ("area", "movement") else "right")
    for r in made.rows:
        rule = "" if r["damping_rule"] in ("none", "scaled") and not r["damping"] else f" ({r['damping_rule']})"
        table.add_row(
            r["area_name"],
            f"{100 * r['need_share']:.2f}%",
            _num(r["formula"], 1),
            f"{r['allocation']:,}",
            f"{r['low']:,} to {r['high']:,}",
            _num(r["current"]),
            _num(r["change"], signed=True),
            f"{r['damping']:+,}{rule}",
            f"+{r['adjustment']}" if r["adjustment"] else "",
            _num(r["year_change"], 1, signed=True),
            f"±{r['noise_change']:,.1f}",
            f"[{_MOVE[r['movement']]}]{r['movement']}[/]" if r["movement"] else "-",
        )
    total = sum(r["allocation"] for r in made.rows)
    table.add_row(
        "[bold]London[/]",
        "100.00%",
        _num(sum(r["formula"] for r in made.rows), 1),
        f"[bold]{total:,}[/]",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    )
    console.print(table)
    for note in notes:
        console.print(f"[yellow]{note}[/]")


def print_explanation(console: Console, explain: dict[str, Any]) -> None:
    """Why one area gets its number: the words, its indicator shares and the marginal effect of each weight."""
    console.print(f"\n[bold]Why {explain['area_name']} gets {explain['allocation']:,}[/]")
    for line in explain["words"]:
        console.print(f"  {line}")
    shares = Table(title="Its share of each indicator (rank 1: the largest share)", title_justify="left")
    for name in ("component.indicator", "transform", "value", "share of London", "rank", "weight", "officers"):
        shares.add_column(name, justify="left" if name in ("component.indicator", "transform") else "right")
    for r in explain["indicators"]:
        shares.add_row(
            r["term"],
            r["transform"],
            f"{r['value']:,.2f}",
            f"{100 * r['share']:.2f}%",
            str(r["rank"]),
            f"{100 * r['weight']:.1f}%",
            f"{r['officers']:,.1f}",
        )
    console.print(shares)
    marginal = Table(
        title="Officers per 10-point rise in a weight (the others of its level scaled down)", title_justify="left"
    )
    for name in ("weight", "now", "formula", "allocation"):
        marginal.add_column(name, justify="left" if name == "weight" else "right")
    for m in explain["marginal"]:
        marginal.add_row(
            m["weight"],
            f"{m['weight_pct']:.0f}%",
            f"{m['formula_officers_per_10_points']:+.1f}",
            f"{m['allocation_officers_per_10_points']:+d}",
        )
    console.print(marginal)


def print_indicators(rows: list[dict[str, Any]]) -> None:
    """The indicators the formula can use, with their source, year and coverage."""
    console = wide_console()
    table = Table(
        caption="Coverage: boroughs with a value (of 32) and months of the year present.\n" + ATTRIBUTION,
        caption_justify="left",
    )
    for name in ("indicator", "what", "unit", "year", "boroughs", "months", "dispersion", "source"):
        table.add_column(name, overflow="fold")
    for r in rows:
        months = "-" if r["months_expected"] is None else f"{r['months_present']}/{r['months_expected']}"
        table.add_row(
            r["indicator"],
            r["label"],
            r["unit"],
            r["year"],
            f"{r['areas']}/{r['areas_expected']}",
            months,
            "-" if r["dispersion"] is None else f"{r['dispersion']:,.2f}",
            r["source"],
        )
    console.print(table)


def allocate_command(
    ctx: typer.Context,
    formula: Annotated[
        str | None,
        typer.Option(help=f"The formula: a YAML file (docs/allocation.md) or one shipped: {' | '.join(BUILT_IN)}."),
    ] = None,
    total: Annotated[int | None, typer.Option(help="Officers to share out (default: the formula's).")] = None,
    year: Annotated[
        int | None, typer.Option(help="Year of the indicators (default: the last whole year of Datastore crime).")
    ] = None,
    level: Annotated[
        str, typer.Option(help=f"Areas: {' | '.join(LEVELS)} (the Met's 12 Basic Command Units).")
    ] = Query.level,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Change the formula: need.weight=0.4, demand.crime.weight=0.5, damping.cap=0.03 (repeat)."
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            help="Indicator weights, population=1,crime=1: with --formula they replace its weights; alone, they are the formula."
        ),
    ] = None,
    method: Annotated[
        str | None, typer.Option(help=f"Whole officers by: {' | '.join(METHODS)} (default: the formula's).")
    ] = None,
    explain: Annotated[str | None, typer.Option(help="Say why this borough (or BCU) gets its number.")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws for the ranges.")] = DRAWS,
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo draws.")] = Query.seed,
    list_indicators_: Annotated[
        bool, typer.Option("--list-indicators", help="List the indicators a formula can use, with their coverage.")
    ] = False,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Share officers among the boroughs by a resource allocation formula: need shares, whole officers summing to
    the total, damping, judgement adjustments, 95% ranges and year-to-year stability."""
    if list_indicators_:
        with reader(ctx) as db:
            listed = list_indicators(db, year)
        if not emit(listed, as_json=as_json, as_csv=as_csv):
            print_indicators(listed.items)
        return
    query = Query(formula, total, year, level, tuple(set_ or ()), weights, method, explain, draws, seed)
    query.check()  # a bad option or formula file is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        print_allocation(answer.result, answer.meta, answer.notes)
        if answer.result.explain is not None:
            print_explanation(wide_console(), answer.result.explain)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("allocate")(allocate_command)
