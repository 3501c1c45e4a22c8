"""``metforward targets check FILE``: each target achieved, missed or can't tell, with its interval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.dispersion import METHODS
from metforward.analyse.targets import check_targets, load_targets
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.errors import OptionError

_STYLE = {"achieved": "green", "missed": "red", "can't tell": "yellow"}


def register(app: typer.Typer) -> None:
    """Add the ``targets`` command group to ``app``."""
    group = typer.Typer(help="Targets: check a targets file against the store.", no_args_is_help=True)
    app.add_typer(group, name="targets")

    @group.command("check")
    def check(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="A targets YAML file (see docs/targets.md).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
        method: Annotated[
            str,
            typer.Option(
                help="Reduction targets: quasi (the interval allows for the month-to-month variation, the default) "
                "| poisson (the exact Poisson interval)."
            ),
        ] = "quasi",
    ) -> None:
        """Give each target achieved, missed or can't tell, with the observed value, its interval and the margin."""
        if method not in METHODS:
            raise OptionError(f"--method is one of {', '.join(METHODS)}, not {method!r}")
        targets = load_targets(file)  # or TargetsFileError, listing every problem: exit status 2
        with reader(ctx) as db:
            results = check_targets(db, targets, method=method)
        if as_json:
            typer.echo(json.dumps([r.as_dict() for r in results], indent=2))
            return
        table = Table(title=targets.title or str(file), caption=ATTRIBUTION, caption_justify="left")
        for name in ("target", "area", "goal", "observed", "interval", "margin", "verdict", "basis"):
            table.add_column(name, overflow="fold")
        for r in results:

            def show(x: float | None) -> str:
                return "-" if x is None else f"{x:,.2f}"

            table.add_row(
                r.title,
                r.area,
                f"{r.target} ({r.unit})",
                show(r.observed),
                f"{show(r.ci_low)} to {show(r.ci_high)}",
                show(r.margin),
                f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
                r.basis,
            )
        wide_console().print(table)
