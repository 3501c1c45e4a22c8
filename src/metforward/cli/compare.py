"""``metforward compare``: two periods, any area level, any source, with significance and completeness."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.compare import CompareError, CompareSpec, CompareTable, Period, compare
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text
from metforward.errors import OptionError

COLUMNS = (
    "area_code",
    "area_name",
    "category",
    "before",
    "after",
    "change_pct",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "verdict",
    "months_before",
    "months_after",
    "completeness",
    "method",
    "dispersion",
    "dispersion_months",
)
_STYLE = {"up": "red", "down": "green", "can't tell": "dim"}


def num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def pval(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def print_context(console: Console, table: CompareTable) -> None:
    """What a comparison rests on: source, level, periods, months present and missing, notes."""
    spec = table.spec
    source = spec.source + (f" ({table.kind})" if table.kind else "") + (f", force {spec.force}" if spec.force else "")
    missing = table.missing_months
    console.print(
        f"[bold]{source}[/], {spec.level} level: before {spec.before} ({len(table.months_present_before)} of "
        f"{spec.before.months} months present), after {spec.after} ({len(table.months_present_after)} of "
        f"{spec.after.months} months present)"
        + (
            f"; [red]missing: {', '.join(month_text(m) for m in missing[:12])}{' ...' if len(missing) > 12 else ''}[/]"
            if missing
            else ""
        )
    )
    for note in table.notes:
        console.print(f"[yellow]{note}[/]")


def interval_words(method: str) -> str:
    """How the interval and p value of ``method`` are made, for table captions."""
    if method == "poisson":
        return "exact {level} interval and p value (conditional test of two Poisson counts)"
    return "{level} interval and p value allowing for the month-to-month variation (quasi-Poisson)"


def print_table(table: CompareTable) -> None:
    """The comparison as a Rich table, with what it rests on above and the attribution below."""
    spec = table.spec
    console = wide_console()
    print_context(console, table)
    out = Table(
        caption=(
            "Rate ratio = after/before per month of data, "
            + interval_words(spec.method).format(level=f"{100 * (1 - spec.alpha):.0f}%")
            + f"; q = Benjamini-Hochberg across this table; verdict at q < {spec.alpha}. "
            f'"can\'t tell": the data cannot distinguish the change from chance.\n{table.method_note}\n{ATTRIBUTION}'
        ),
        caption_justify="left",
    )
    for name in ("area", "category", "before", "after", "change", "rate ratio", "95% interval", "p", "q", "verdict"):
        out.add_column(name, justify="left" if name in {"area", "category", "verdict"} else "right")
    for r in table.rows:
        change = "-" if r.change_pct is None else f"{r.change_pct:+.1f}%"
        interval = "-" if r.ci_low is None and r.ci_high is None else f"{num(r.ci_low)} to {num(r.ci_high)}"
        out.add_row(
            r.area_name,
            r.category,
            f"{r.before:,}",
            f"{r.after:,}",
            change,
            num(r.rate_ratio),
            interval,
            pval(r.p_value),
            pval(r.q_value),
            f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
        )
    console.print(out)


BeforeOpt = Annotated[str | None, typer.Option(help="First period, YYYY-MM:YYYY-MM.")]
AfterOpt = Annotated[str | None, typer.Option(help="Second period, YYYY-MM:YYYY-MM.")]
AroundOpt = Annotated[str | None, typer.Option(help="Instead of --before/--after: a month YYYY-MM to compare around.")]
WindowOpt = Annotated[int, typer.Option(help="With --around: months on each side.")]
LevelOpt = Annotated[str, typer.Option(help="force | borough | ward | lsoa")]
AreaOpt = Annotated[str | None, typer.Option(help="One area: a name or GSS code (e.g. Westminster, E09000033).")]
SourceOpt = Annotated[str, typer.Option(help="police-uk | datastore")]
ForceOpt = Annotated[str | None, typer.Option(help="police.uk: only this force's rows (e.g. metropolitan).")]
KindOpt = Annotated[str | None, typer.Option(help="Datastore file kind (default: the best one covering the periods).")]
AlphaOpt = Annotated[float, typer.Option(help="Significance level for the verdict (on q values).")]
MethodOpt = Annotated[
    str,
    typer.Option(
        help="quasi: allow for the month-to-month variation of the counts (default); "
        "poisson: the exact conditional Poisson test."
    ),
]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Write CSV.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON: a list of objects.")]


def build_spec(
    *,
    before: str | None,
    after: str | None,
    around: str | None,
    window: int,
    level: str,
    area: str | None,
    source: str,
    by: str | None,
    force: str | None,
    datastore_kind: str | None,
    alpha: float,
    method: str = "quasi",
) -> CompareSpec:
    """The comparison the shared options ask for; :class:`OptionError` (exit status 2) when they are wrong."""
    try:
        if around:
            first, second = Period.around(around, window)
        elif before and after:
            first, second = Period.parse(before), Period.parse(after)
        else:
            raise CompareError("give --before and --after, or --around (with --window)")
        return CompareSpec(
            before=first,
            after=second,
            source=source,
            level=level,
            area=area,
            force=force,
            by=by or ("category" if source == "police-uk" else "major"),
            kind=datastore_kind,
            alpha=alpha,
            method=method,
        )
    except (CompareError, ValueError) as exc:
        raise OptionError(str(exc)) from exc


def write_rows(rows: list[dict[str, object]], columns: tuple[str, ...], *, as_csv: bool) -> None:
    """Rows as CSV (lists joined with "; ") or as a JSON list of objects, to standard output."""
    if not as_csv:
        typer.echo(json.dumps(rows, indent=2))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else list(columns))
    writer.writeheader()
    writer.writerows({k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()} for r in rows)


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("compare")
    def compare_command(
        ctx: typer.Context,
        before: BeforeOpt = None,
        after: AfterOpt = None,
        around: AroundOpt = None,
        window: WindowOpt = 21,
        level: LevelOpt = "borough",
        area: AreaOpt = None,
        source: SourceOpt = "police-uk",
        by: Annotated[
            str | None, typer.Option(help="Categories: police-uk 'category'; datastore 'major' or 'minor'.")
        ] = None,
        force: ForceOpt = None,
        datastore_kind: KindOpt = None,
        alpha: AlphaOpt = 0.05,
        method: MethodOpt = "quasi",
        as_csv: CsvOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Compare counts in two periods by area and category: rate ratio, interval, p and q values, verdict."""
        spec = build_spec(
            before=before,
            after=after,
            around=around,
            window=window,
            level=level,
            area=area,
            source=source,
            by=by,
            force=force,
            datastore_kind=datastore_kind,
            alpha=alpha,
            method=method,
        )
        with reader(ctx) as db:
            table = compare(db, spec)
        if as_json or as_csv:
            write_rows([r.as_dict() for r in table.rows], COLUMNS, as_csv=as_csv)
        else:
            print_table(table)
