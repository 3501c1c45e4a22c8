"""``metforward report``: published reports (the borough Local Policing Summary, the London bulletin, the
JEM data pack) as HTML or PDF; the bulletin and the JEM pack also as the JSON envelope (``--json``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from metforward.analyse.reports import resolve_borough
from metforward.analyse.targets import TargetResult
from metforward.cli.output import JsonOpt, emit
from metforward.cli.safety import reader
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import month_text
from metforward.errors import OptionError
from metforward.present.content import load_content
from metforward.present.report import render_bulletin, render_jem, render_summary, write_pdf
from metforward.questions import bulletin, jem, reports
from metforward.store.database import Database

DEFAULT_CONTENT = Path("content/boroughs")

OutOpt = Annotated[Path | None, typer.Option(help="The report file: .pdf or .html.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every London borough, into --out-dir.")]
FormatOpt = Annotated[str, typer.Option("--format", help="With --all: pdf or html.")]
BoroughOpt = Annotated[str | None, typer.Option(help="A London borough: name, slug or GSS code.")]


def slug(name: str) -> str:
    """A borough name as a file name: ``Kensington and Chelsea`` -> ``kensington-and-chelsea``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write(html: str, out: Path) -> None:
    """Write a report as PDF (``.pdf``) or HTML (anything else), making the folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        write_pdf(html, out)
    else:
        out.write_text(html, encoding="utf-8")


def bulletin_html(db: Database, month: str | dt.date, alpha: float = bulletin.Query.alpha) -> str:
    """The London bulletin for ``month`` (YYYY-MM, or the month's first day) as HTML."""
    text = month if isinstance(month, str) else month_text(month)
    made: bulletin.Bulletin = bulletin.ask(db, bulletin.Query(text, alpha)).result
    return render_bulletin(made.data, made.loads, inputs=made.inputs)


def jem_html(db: Database, borough: str, months: int = jem.Query.months, k: int = jem.Query.similar) -> str:
    """One borough's JEM data pack as HTML."""
    made: jem.Jem = jem.ask(db, jem.Query(borough, months, k)).result
    return render_jem(made.data, made.loads, inputs=made.inputs)


def _out_ok(out: Path | None) -> Path:
    if out is None or out.suffix.lower() not in (".pdf", ".html", ".htm"):
        raise OptionError("give --out FILE.pdf or FILE.html")
    return out


def summary_command(
    ctx: typer.Context,
    year: Annotated[
        str | None,
        typer.Option(
            help="Financial year 2024/25 (April to March) or calendar year 2024 (default: the latest year "
            "of police.uk street data)."
        ),
    ] = reports.Query.year,  # fmt: skip
    borough: BoroughOpt = None,
    out: OutOpt = None,
    all_boroughs: AllOpt = False,
    out_dir: Annotated[Path | None, typer.Option(help="With --all: the folder for the reports.")] = None,
    fmt: FormatOpt = "pdf",
    targets: Annotated[Path | None, typer.Option(help="A targets YAML file (see docs/targets.md).")] = None,
    content: Annotated[Path, typer.Option(help="Folder of borough content files.")] = DEFAULT_CONTENT,
) -> None:
    """The Local Policing Summary: targets, crime against last year, hot spots, outcomes, searches, confidence."""
    base = reports.Query(year=year, targets=str(targets) if targets else None)
    base.targets_file()  # a targets file that cannot be read is a usage error before any work (exit 2)
    london: dict[str, TargetResult] = {}  # London-wide targets are checked once for all boroughs

    def make(db: Database, area: str, path: Path) -> None:
        answer = reports.ask(db, reports.Query(area, base.year, base.targets), london=london)
        data = answer.result
        page = load_content(content, data.borough_code, slug(data.borough_name))
        write(render_summary(data, page, targets_name=targets.name if targets else None), path)

    _one_or_all(ctx, borough, out, all_boroughs, out_dir, fmt, "Local Policing Summaries", "summary", make)


def bulletin_command(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option(help="The latest month of the bulletin, YYYY-MM (default: the latest loaded).")
    ] = bulletin.Query.month,
    out: Annotated[Path, typer.Option(help="The report file: .pdf or .html.")] = Path("bulletin.pdf"),
    alpha: Annotated[
        float, typer.Option(help="Significance level for verdicts and flags (on q values).")
    ] = bulletin.Query.alpha,
    basket: Annotated[
        str | None,
        typer.Option(
            help="The headline basket: a basket file (docs/baskets.md) or built-in name (default: results-so-far)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The London bulletin: results so far (FY to date vs a year earlier), exceptions, notable borough changes."""
    query = bulletin.Query(month, alpha, basket=basket)
    query.first()  # a malformed month is a usage error before the store is opened
    if not as_json:
        out = _out_ok(out)
    with reader(ctx) as db:
        answer = bulletin.ask(db, query)
    if emit(answer, as_json=as_json, as_csv=False):
        return
    made: bulletin.Bulletin = answer.result
    write(render_bulletin(made.data, made.loads, inputs=made.inputs), out)
    typer.echo(f"wrote {out}")


def jem_command(
    ctx: typer.Context,
    borough: BoroughOpt = jem.Query.borough,
    out: OutOpt = None,
    all_boroughs: AllOpt = False,
    out_dir: Annotated[Path | None, typer.Option(help="With --all: the folder for the packs.")] = None,
    fmt: FormatOpt = "pdf",
    months: Annotated[int, typer.Option(help="Recent months of each source in the pack.")] = jem.Query.months,
    similar: Annotated[int, typer.Option(help="How many most similar boroughs to compare with.")] = jem.Query.similar,
    as_json: JsonOpt = False,
) -> None:
    """The Joint Engagement Meeting data pack: trends, violence proxies, places, similar boroughs, outcomes."""
    if as_json:
        if borough is None or all_boroughs:
            raise OptionError("--json writes one borough's pack: give --borough NAME (not --all)")
        query = jem.Query(borough, months, similar)
        query.code()  # an unknown borough fails before the store is opened
        with reader(ctx) as db:
            emit(jem.ask(db, query), as_json=True, as_csv=False)
        return

    def make(db: Database, area: str, path: Path) -> None:
        made: jem.Jem = jem.ask(db, jem.Query(area, months, similar)).result
        write(render_jem(made.data, made.loads, inputs=made.inputs), path)

    _one_or_all(ctx, borough, out, all_boroughs, out_dir, fmt, "JEM data packs", "jem", make)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group to ``app``."""
    group = typer.Typer(
        help="Published reports: the borough Local Policing Summary, the London bulletin, the JEM data pack.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="report")
    group.command("summary")(summary_command)
    group.command("bulletin")(bulletin_command)
    group.command("jem")(jem_command)


def _one_or_all(
    ctx: typer.Context,
    borough: str | None,
    out: Path | None,
    all_boroughs: bool,
    out_dir: Path | None,
    fmt: str,
    label: str,
    prefix: str,
    make: Callable[[Database, str, Path], None],
) -> None:
    """``--borough X --out FILE`` or ``--all --out-dir DIR [--format]``: check the options, then ``make`` each report."""
    if all_boroughs == (borough is not None):
        raise OptionError("give --borough NAME with --out FILE, or --all with --out-dir DIR")
    if fmt not in ("pdf", "html"):
        raise OptionError("--format must be pdf or html")
    if borough is not None:
        out = _out_ok(out)
    elif out_dir is None:
        raise OptionError("--all needs --out-dir DIR")
    with reader(ctx) as db:
        if borough is not None and out is not None:
            resolve_borough(borough)
            make(db, borough, out)
            typer.echo(f"wrote {out}")
            return
        assert out_dir is not None
        codes = sorted(LONDON_BOROUGHS)
        with Progress() as progress:
            task = progress.add_task(label, total=len(codes))
            for code in codes:
                make(db, code, out_dir / f"{prefix}-{slug(LONDON_BOROUGHS[code])}.{fmt}")
                progress.advance(task)
        typer.echo(f"wrote {len(codes)} {label} to {out_dir}")
