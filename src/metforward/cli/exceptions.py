"""``metforward exceptions``: performance by exception across every borough and category."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.dispersion import METHODS
from metforward.analyse.exceptions import MIN_CHANGE, exceptions
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.domain.periods import month_text, parse_month
from metforward.errors import OptionError


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command("exceptions")
    def exceptions_command(
        ctx: typer.Context,
        source: Annotated[str, typer.Option(help="police-uk | datastore")] = "police-uk",
        by: Annotated[
            str | None, typer.Option(help="Categories: police-uk 'category'; datastore 'major' or 'minor'.")
        ] = None,
        latest: Annotated[
            str | None, typer.Option(help="The latest month to judge, YYYY-MM (default: the last loaded).")
        ] = None,
        months: Annotated[int, typer.Option(help="Months in the recent period (and in the baseline before it).")] = 12,
        baseline_months: Annotated[int, typer.Option(help="Months of each series the SPC limits are drawn from.")] = 24,
        force: Annotated[str | None, typer.Option(help="police.uk: only this force's rows.")] = None,
        alpha: Annotated[float, typer.Option(help="False discovery rate for each screen.")] = 0.05,
        min_change: Annotated[
            float,
            typer.Option(
                help="Smallest change from the expectation worth flagging, in % (default 10: about the median "
                "year-on-year change of a borough x category cell)."
            ),
        ] = MIN_CHANGE * 100,
        method: Annotated[
            str, typer.Option(help="Trend screen: quasi (allows for month-to-month variation) | poisson (exact test).")
        ] = "quasi",
        as_json: Annotated[bool, typer.Option("--json", help="Print the flags as JSON.")] = False,
    ) -> None:
        """Flag borough x category cells that are unusual: a significant rise on their own baseline, a rate
        outside the funnel of London's, or a latest month outside their own control limits."""
        try:
            last = parse_month(latest) if latest else None
        except ValueError as exc:
            raise OptionError(str(exc)) from exc
        if method not in METHODS or not 0 <= min_change < 1000:
            raise OptionError(
                f"--method is one of {', '.join(METHODS)} and --min-change a percentage from 0 "
                f"(got {method!r}, {min_change:g})"
            )
        with reader(ctx) as db:
            report = exceptions(
                db,
                source=source,
                by=by,
                latest=last,
                months=months,
                baseline_months=baseline_months,
                force=force,
                alpha=alpha,
                min_change=min_change / 100,
                method=method,
            )
        if as_json:
            typer.echo(json.dumps({**report.as_dict(), "flags": [f.as_dict() for f in report.flags]}, indent=2))
            return
        console = wide_console()
        tested = ", ".join(f"{name} {n:,} cells" for name, n in report.tests.items())
        console.print(
            f"[bold]{source}[/]{f' ({report.kind})' if report.kind else ''}: recent {report.recent} against "
            f"{report.baseline}; latest month {month_text(report.latest)}; tested: {tested}"
        )
        for note in report.notes:
            console.print(f"[yellow]{note}[/]")
        console.print(report.summary())
        if not report.flags:
            console.print(f"No exceptions: nothing is unusual at a false discovery rate of {alpha:.0%} in any screen.")
            console.print(ATTRIBUTION)
            return
        table = Table(
            caption=f"Each screen controls the false discovery rate at {alpha:.0%} across its cells; ranked by how far "
            "outside expectation (z: standard deviations of the screen's own model).\n" + ATTRIBUTION,
            caption_justify="left",
        )
        for name in ("#", "borough", "category", "screen", "direction", "change", "z", "q", "reason"):
            table.add_column(name, overflow="fold")
        for rank, f in enumerate(report.flags, start=1):
            table.add_row(
                str(rank),
                f.area_name,
                f.category,
                f.test,
                f.direction,
                f"{f.change_pct:+.0f}%",
                f"{f.z:+.1f}",
                f"{f.q_value:.4f}",
                f.reason,
            )
        console.print(table)
