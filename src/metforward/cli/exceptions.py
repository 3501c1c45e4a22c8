"""``metforward exceptions``: performance by exception across every borough and category."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.exceptions import exceptions
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
        as_json: Annotated[bool, typer.Option("--json", help="Print the flags as JSON.")] = False,
    ) -> None:
        """Flag borough x category cells that are unusual: a significant rise on their own baseline, a rate
        outside the funnel of London's, or a latest month outside their own control limits."""
        try:
            last = parse_month(latest) if latest else None
        except ValueError as exc:
            raise OptionError(str(exc)) from exc
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
            )
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "latest": month_text(report.latest),
                        "recent": str(report.recent),
                        "baseline": str(report.baseline),
                        "tests": report.tests,
                        "alpha": report.alpha,
                        "notes": report.notes,
                        "flags": [f.as_dict() for f in report.flags],
                    },
                    indent=2,
                )
            )
            return
        console = wide_console()
        tested = ", ".join(f"{name} {n:,} cells" for name, n in report.tests.items())
        console.print(
            f"[bold]{source}[/]{f' ({report.kind})' if report.kind else ''}: recent {report.recent} against "
            f"{report.baseline}; latest month {month_text(report.latest)}; tested: {tested}"
        )
        for note in report.notes:
            console.print(f"[yellow]{note}[/]")
        if not report.flags:
            console.print(f"No exceptions: nothing is unusual at a false discovery rate of {alpha:.0%} in any screen.")
            console.print(ATTRIBUTION)
            return
        table = Table(
            caption=f"Each screen controls the false discovery rate at {alpha:.0%} across its cells.\n" + ATTRIBUTION,
            caption_justify="left",
        )
        for name in ("#", "borough", "category", "screen", "direction", "q", "reason"):
            table.add_column(name, overflow="fold")
        for rank, f in enumerate(report.flags, start=1):
            table.add_row(str(rank), f.area_name, f.category, f.test, f.direction, f"{f.q_value:.4f}", f.reason)
        console.print(table)
