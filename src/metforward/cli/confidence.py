"""``metforward confidence``: MOPAC Public Attitude Survey measures with intervals, trends and gaps."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.confidence import (
    DESIGN_NOTE,
    ConfidenceError,
    MeasureInfo,
    figures,
    find_measure,
    gaps,
    measures,
    unmatched_names,
    year_on_year,
)
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.areas import borough_code
from metforward.domain.periods import period_end
from metforward.errors import OptionError
from metforward.store.database import Database

GAP_NOTE = (
    "Gaps are between groups of PAS respondents by their ethnicity, pooled 2015/16-2020/21 by neighbourhood "
    "(the victim satisfaction survey behind the authority's White/BME target is not available)."
)


def _area(text: str | None) -> str | None:
    if text is None:
        return None
    if text.strip().lower() in ("london", "mps"):
        return "London"
    code = borough_code(text)
    if code is None:
        raise OptionError(f"--area {text!r} is not London or a London borough (name or GSS code)")
    return code


def _end(text: str | None, option: str) -> dt.date | None:
    """A period end: YYYY-MM (the month's last day) or YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return period_end(text)
    except ValueError:
        raise OptionError(f"{option} must be YYYY-MM or YYYY-MM-DD, not {text!r}") from None


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _emit(rows: list[dict[str, object]], notes: list[str]) -> None:
    typer.echo(json.dumps({"rows": rows, "notes": notes, "attribution": ATTRIBUTION}, indent=2, default=str))


def _list_measures(found: list[MeasureInfo], as_json: bool, why: str | None = None) -> None:
    if as_json:
        _emit(
            [
                {
                    "measure": m.measure,
                    "dataset": m.dataset,
                    "levels": m.levels,
                    "groups": m.groups,
                    "first": m.first.isoformat(),
                    "last": m.last.isoformat(),
                    "figures": m.figures,
                }
                for m in found
            ],
            [why] if why else [],
        )
        return
    console = wide_console()
    if why:
        console.print(f"[yellow]{why}[/]")
    out = Table(
        caption=f"Choose one with --measure (a unique part of the name will do).\n{ATTRIBUTION}", caption_justify="left"
    )
    for name in ("measure", "dataset", "levels", "groups", "periods ending", "figures"):
        out.add_column(name, justify="right" if name == "figures" else "left")
    for m in found:
        out.add_row(m.measure, m.dataset, m.levels, m.groups, f"{m.first} to {m.last}", f"{m.figures:,}")
    console.print(out)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("confidence")
    def confidence_command(
        ctx: typer.Context,
        measure: Annotated[
            str | None, typer.Option(help="Survey measure (a unique part of its name); none: list the measures.")
        ] = None,
        area: Annotated[str | None, typer.Option(help="London or a borough (name or GSS code); default all.")] = None,
        from_: Annotated[str | None, typer.Option("--from", help="First period end, YYYY-MM or YYYY-MM-DD.")] = None,
        to: Annotated[str | None, typer.Option(help="Last period end, YYYY-MM or YYYY-MM-DD.")] = None,
        gap: Annotated[
            tuple[str, str] | None,
            typer.Option(help="Gap between two respondent groups, e.g. --gap 'White British' Black (a - b)."),
        ] = None,
        change: Annotated[
            bool,
            typer.Option("--change", help="Year-on-year change to --to (default the latest) by borough, with BH q."),
        ] = False,
        n: Annotated[
            float | None,
            typer.Option(help="Respondents per figure where the source publishes none (default: assumed)."),
        ] = None,
        alpha: Annotated[
            float, typer.Option(help="1 - confidence level of the intervals; BH level for --change.")
        ] = 0.05,
        as_json: Annotated[bool, typer.Option("--json", help="Write JSON: rows, notes and attribution.")] = False,
    ) -> None:
        """PAS measures by borough and quarter with Wilson intervals; year-on-year changes; gaps between groups."""
        code = _area(area)
        start, end = _end(from_, "--from"), _end(to, "--to")
        confidence = 1 - alpha
        with reader(ctx) as db:
            found = measures(db)
            if measure is None:
                unmatched = unmatched_names(db)
                note = (
                    "borough names that did not match (rejected): "
                    + "; ".join(f"{name!r} ({source} line {line})" for source, line, name in unmatched)
                    if unmatched
                    else "every borough name in the loaded survey files matched a London borough"
                )
                _list_measures(found, as_json, why=note)
                return
            name = find_measure(db, measure)  # or ConfidenceError, naming the measures to choose from
            if gap is not None:
                _gaps(db, name, gap, code, n, confidence, as_json)
            elif change:
                _changes(db, name, code, end, confidence, as_json)
            else:
                _figures(db, name, code, start, end, n, confidence, as_json)


def _figures(
    db: Database,
    name: str,
    code: str | None,
    start: dt.date | None,
    end: dt.date | None,
    n: float | None,
    confidence: float,
    as_json: bool,
) -> None:
    rows = figures(db, name, area=code, start=start, end=end, n=n, confidence=confidence)
    notes = sorted({r.n_basis for r in rows}) + [DESIGN_NOTE]
    if as_json:
        _emit([r.as_dict() for r in rows], notes)
        return
    console = wide_console()
    console.print(f"[bold]{name}[/]: {len(rows)} figures")
    out = Table(
        caption=f"Wilson {confidence:.0%} intervals; " + "; ".join(notes) + f".\n{ATTRIBUTION}",
        caption_justify="left",
    )
    for col in ("period ending", "kind", "area", "neighbourhood", "group", "%", f"{confidence:.0%} interval", "n"):
        out.add_column(col, justify="right" if col in {"%", "n"} or "interval" in col else "left")
    for r in rows:
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


def _changes(db: Database, name: str, code: str | None, end: dt.date | None, confidence: float, as_json: bool) -> None:
    if end is None:
        end = max((f.period_end for f in figures(db, name, area=code)), default=None)
        if end is None:
            raise ConfidenceError(f"no figures of {name!r}{f' for {code}' if code else ''}")
    level = "london" if code == "London" else "borough"
    rows = [
        c
        for c in year_on_year(db, name, end, level=level, confidence=confidence)
        if code in (None, "London", c.area_code)
    ]
    notes = sorted({r.n_basis for r in rows}) + [
        "rolling 12-month figures: compared with the same quarter a year earlier (no shared interviews); "
        "adjacent quarters overlap and are not independent",
        DESIGN_NOTE,
    ]
    if as_json:
        _emit([r.as_dict() for r in rows], notes)
        return
    console = wide_console()
    out = Table(
        caption=(
            f"Difference after - before in points, Newcombe {confidence:.0%} interval; p: two-proportion z test; "
            f"q: Benjamini-Hochberg across this table; verdict at q < {1 - confidence:g}. "
            + "; ".join(notes)
            + f".\n{ATTRIBUTION}"
        ),
        caption_justify="left",
    )
    for col in ("area", "before", "after", "change", "interval", "p", "q", "verdict"):
        out.add_column(col, justify="left" if col in {"area", "verdict"} else "right")
    console.print(f"[bold]{name}[/]: 12 months to {rows[0].before_end if rows else '-'} vs 12 months to {end}")
    for r in rows:
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


def _gaps(
    db: Database,
    name: str,
    groups: tuple[str, str],
    code: str | None,
    n: float | None,
    confidence: float,
    as_json: bool,
) -> None:
    rows = gaps(db, name, groups[0], groups[1], area=code, n=n, confidence=confidence)
    notes = sorted({r.n_basis.split(";")[0] for r in rows}) + [GAP_NOTE, DESIGN_NOTE]
    if as_json:
        _emit([r.as_dict() for r in rows], notes)
        return
    console = wide_console()
    out = Table(
        caption=f"Gap = {groups[0]} - {groups[1]} in points, Newcombe {confidence:.0%} interval. "
        + "; ".join(notes)
        + f"\n{ATTRIBUTION}",
        caption_justify="left",
    )
    for col in ("area", "neighbourhood", groups[0], groups[1], "gap", "interval"):
        out.add_column(col, justify="left" if col in {"area", "neighbourhood"} else "right")
    console.print(f"[bold]{name}[/]")
    for r in rows:
        out.add_row(
            r.area_name,
            r.neighbourhood or "(pooled)",
            _pct(r.p_a),
            _pct(r.p_b),
            f"{100 * r.gap:+.1f}",
            f"{100 * r.ci_low:+.1f} to {100 * r.ci_high:+.1f}",
        )
    console.print(out)
