"""``metforward targets check FILE``: each target achieved, missed or can't tell, with its interval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from metforward import ATTRIBUTION
from metforward.analyse.targets import TargetResult, TargetsFile
from metforward.cli.output import CsvOpt, JsonOpt, emit
from metforward.cli.safety import reader
from metforward.cli.status import wide_console
from metforward.questions.targets import Query, ask

_STYLE = {"achieved": "green", "missed": "red", "can't tell": "yellow"}

FileArg = Annotated[Path, typer.Argument(help="A targets YAML file (see docs/targets.md).")]
MethodOpt = Annotated[
    str,
    typer.Option(
        help="Reduction targets: quasi (the interval allows for the month-to-month variation, the default) "
        "| poisson (the exact Poisson interval)."
    ),
]


def _show(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def print_results(targets: TargetsFile, results: list[TargetResult], file: Path) -> None:
    """The verdicts as a Rich table, titled with the file's title, the attribution below."""
    table = Table(title=targets.title or str(file), caption=ATTRIBUTION, caption_justify="left")
    for name in ("target", "area", "goal", "observed", "interval", "margin", "verdict", "basis"):
        table.add_column(name, overflow="fold")
    for r in results:
        table.add_row(
            r.title,
            r.area,
            f"{r.target} ({r.unit})",
            _show(r.observed),
            f"{_show(r.ci_low)} to {_show(r.ci_high)}",
            _show(r.margin),
            f"[{_STYLE[r.verdict]}]{r.verdict}[/]",
            r.basis,
        )
    wide_console().print(table)


def check_command(
    ctx: typer.Context,
    file: FileArg,
    method: MethodOpt = Query.method,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Give each target achieved, missed or can't tell, with the observed value, its interval and the margin."""
    query = Query(str(file), method)
    query.targets()  # a bad method or file (TargetsFileError lists every problem) fails before the store is opened
    with reader(ctx) as db:
        answer = ask(db, query)
    if not emit(answer, as_json=as_json, as_csv=as_csv):
        targets, results = answer.result
        print_results(targets, results, file)


def register(app: typer.Typer) -> None:
    """Add the ``targets`` command group to ``app``."""
    group = typer.Typer(help="Targets: check a targets file against the store.", no_args_is_help=True)
    app.add_typer(group, name="targets")
    group.command("check")(check_command)
