"""``metforward confidence``: MOPAC Public Attitude Survey measures with intervals, trends and gaps."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.confidence import MeasureInfo
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.confidence import Query, Survey, ask


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def confidence_command(
    ctx: typer.Context,
    measure: Annotated[
        str | None, typer.Option(help="Survey measure (a unique part of its name); none: list the measures.")
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="London (or MPS) or a borough (name or GSS code); default all.")
    ] = None,
    first: Annotated[str | None, typer.Option("--from", help="First period end, YYYY-MM or YYYY-MM-DD.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last period end, YYYY-MM or YYYY-MM-DD.")] = None,
    gap: Annotated[
        tuple[str, str] | None,
        typer.Option(help="Gap between two respondent groups, e.g. --gap 'White British' Black (a - b)."),
    ] = None,
    change: Annotated[
        bool,
        typer.Option("--change", help="Year-on-year change to --to (default the latest) by borough, with BH q."),
    ] = Query.change,
    n: Annotated[
        float | None,
        typer.Option(help="Respondents per figure where the source publishes none (default: assumed)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(help="1 - confidence level of the intervals; BH level for --change.")
    ] = Query.alpha,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """PAS measures by borough and quarter with Wilson intervals; year-on-year changes; gaps between groups."""
    query = Query(measure, area, first, last, gap, change, n, alpha)
    query.check()  # a bad option is a usage error before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if emit(answer, as_json=as_json, as_csv=as_csv):
        return
    survey: Survey = answer.result
    if survey.mode == "measures":
        print_measures(survey.rows, survey.notes)
    elif survey.mode == "gap":
        print_gaps(survey)
    elif survey.mode == "change":
        print_changes(survey)
    else:
        print_figures(survey)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("confidence")(confidence_command)


def print_measures(found: list[MeasureInfo], notes: list[str]) -> None:
    """The survey measures in the store as a Rich table, with the notes above."""
    console = wide_console()
    for note in notes:
        console.print(f"[yellow]{note}[/]")
    out = Table(
        caption=f"Choose one with --measure (a unique part of the name will do).\n{ATTRIBUTION}", caption_justify="left"
    )
    for name in ("measure", "dataset", "levels", "groups", "periods ending", "figures"):
        out.add_column(name, justify="right" if name == "figures" else "left")
    for m in found:
        out.add_row(m.measure, m.dataset, m.levels, m.groups, f"{m.first} to {m.last}", f"{m.figures:,}")
    console.print(out)


def print_figures(survey: Survey) -> None:
    """A measure's figures as a Rich table."""
    console = wide_console()
    console.print(f"[bold]{survey.measure}[/]: {len(survey.rows)} figures")
    out = Table(
        caption=f"Wilson {survey.confidence:.0%} intervals; " + "; ".join(survey.notes) + f".\n{ATTRIBUTION}",
        caption_justify="left",
    )
    for col in (
        "period ending",
        "kind",
        "area",
        "neighbourhood",
        "group",
        "%",
        f"{survey.confidence:.0%} interval",
        "n",
    ):
        out.add_column(col, justify="right" if col in {"%", "n"} or "interval" in col else "left")
    for r in survey.rows:
        out.add_row(
            str(r.period_end),
            r.period_kind,
            r.area_name,
            r.neighbourhood or "",
            r.group,
            _pct(r.proportion),
            f"{_pct(r.ci_low)} to {_pct(r.ci_high)}",
            f"{r.n:,.0f}" + ("" if "published" in r.n_basis else "*"),
        )
    console.print(out)


def print_changes(survey: Survey) -> None:
    """Year-on-year changes as a Rich table."""
    console = wide_console()
    out = Table(
        caption=(
            f"Difference after - before in points, Newcombe {survey.confidence:.0%} interval; p: two-proportion z test; "
            f"q: Benjamini-Hochberg across this table; verdict at q < {1 - survey.confidence:g}. "
            + "; ".join(survey.notes)
            + f".\n{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    for col in ("area", "before", "after", "change", "interval", "p", "q", "verdict"):
        out.add_column(col, justify="left" if col in {"area", "verdict"} else "right")
    console.print(
        f"[bold]{survey.measure}[/]: 12 months to {survey.rows[0].before_end if survey.rows else '-'} vs 12 months to {survey.end}"
    )
    for r in survey.rows:
        out.add_row(
            r.area_name,
            _pct(r.before),
            _pct(r.after),
            f"{100 * r.difference:+.1f}",
            f"{100 * r.ci_low:+.1f} to {100 * r.ci_high:+.1f}",
            f"{r.p_value:.4f}",
            f"{r.q_value:.4f}",
            r.verdict,
        )
    console.print(out)


def print_gaps(survey: Survey) -> None:
    """Gaps between two respondent groups as a Rich table."""
    a, b = survey.groups or ("a", "b")
    console = wide_console()
    out = Table(
        caption=f"Gap = {a} - {b} in points, Newcombe {survey.confidence:.0%} interval. "
        + "; ".join(survey.notes)
        + f"\n{ATTRIBUTION}",
        caption_justify="left",
    )
    for col in ("area", "neighbourhood", a, b, "gap", "interval"):
        out.add_column(col, justify="left" if col in {"area", "neighbourhood"} else "right")
    console.print(f"[bold]{survey.measure}[/]")
    for r in survey.rows:
        out.add_row(
            r.area_name,
            r.neighbourhood or "(pooled)",
            _pct(r.p_a),
            _pct(r.p_b),
            f"{100 * r.gap:+.1f}",
            f"{100 * r.ci_low:+.1f} to {100 * r.ci_high:+.1f}",
        )
    console.print(out)
