"""``metforward report``: published reports (the borough Local Policing Summary) as HTML or PDF."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from metforward.analyse.reports import (
    bulletin_report,
    jem_report,
    resolve_borough,
    summary_data,
)
from metforward.analyse.targets import TargetResult, TargetsFile
from metforward.cli.safety import reader
from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import parse_month
from metforward.errors import OptionError
from metforward.present.report import load_content, render_bulletin, render_jem, render_summary, write_pdf
from metforward.questions.targets_file import load_targets
from metforward.store.database import Database

DEFAULT_CONTENT = Path("content/boroughs")


def slug(name: str) -> str:
    """A borough name as a file name: ``Kensington and Chelsea`` -> ``kensington-and-chelsea``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def build_summary(db: Database, borough: str, year: str, targets: TargetsFile | None, targets_name: str | None,
                  content_dir: Path, out: Path, london: dict[str, TargetResult] | None = None) -> None:  # fmt: skip
    """Write one borough's summary to ``out`` (.html or .pdf); ``london`` keeps London targets' results."""
    data = summary_data(db, borough, year, targets, london)
    content = load_content(content_dir, data.borough_code, slug(data.borough_name))
    write(render_summary(data, content, targets_name=targets_name), out)


def write(html: str, out: Path) -> None:
    """Write a report as PDF (``.pdf``) or HTML (anything else), making the folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        write_pdf(html, out)
    else:
        out.write_text(html, encoding="utf-8")


def bulletin_html(db: Database, month: str | dt.date, alpha: float = 0.05) -> str:
    """The London bulletin for ``month`` (YYYY-MM, or the month's first day) as HTML."""
    data, loads, inputs = bulletin_report(db, parse_month(month) if isinstance(month, str) else month, alpha=alpha)
    return render_bulletin(data, loads, inputs=inputs)


def jem_html(db: Database, borough: str, months: int = 12, k: int = 5) -> str:
    """One borough's JEM data pack as HTML."""
    data, loads, inputs = jem_report(db, borough, months=months, k=k)
    return render_jem(data, loads, inputs=inputs)


def _out_ok(out: Path | None) -> Path:
    if out is None or out.suffix.lower() not in (".pdf", ".html", ".htm"):
        raise OptionError("give --out FILE.pdf or FILE.html")
    return out


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group to ``app``."""
    group = typer.Typer(
        help="Published reports: the borough Local Policing Summary, the London bulletin, the JEM data pack.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="report")

    @group.command("summary")
    def summary(
        ctx: typer.Context,
        year: Annotated[str, typer.Option(help="Financial year 2024/25 (April to March) or calendar year 2024.")],
        borough: Annotated[str | None, typer.Option(help="A London borough: name, slug or GSS code.")] = None,
        out: Annotated[Path | None, typer.Option(help="The report file: .pdf or .html.")] = None,
        all_boroughs: Annotated[bool, typer.Option("--all", help="Every London borough, into --out-dir.")] = False,
        out_dir: Annotated[Path | None, typer.Option(help="With --all: the folder for the reports.")] = None,
        fmt: Annotated[str, typer.Option("--format", help="With --all: pdf or html.")] = "pdf",
        targets: Annotated[Path | None, typer.Option(help="A targets YAML file (see docs/targets.md).")] = None,
        content: Annotated[Path, typer.Option(help="Folder of borough content files.")] = DEFAULT_CONTENT,
    ) -> None:
        """The Local Policing Summary: targets, crime against last year, hot spots, outcomes, searches, confidence."""
        targets_file = load_targets(targets) if targets else None  # or TargetsFileError: exit status 2
        name = targets.name if targets else None
        london: dict[str, TargetResult] = {}  # London-wide targets are checked once for all boroughs

        def make(db: Database, area: str, path: Path) -> None:
            build_summary(db, area, year, targets_file, name, content, path, london)

        _one_or_all(ctx, borough, out, all_boroughs, out_dir, fmt, "Local Policing Summaries", "summary", make)

    @group.command("bulletin")
    def bulletin(
        ctx: typer.Context,
        month: Annotated[str, typer.Option(help="The latest month of the bulletin, YYYY-MM (e.g. 2025-06).")],
        out: Annotated[Path, typer.Option(help="The report file: .pdf or .html.")] = Path("bulletin.pdf"),
        alpha: Annotated[float, typer.Option(help="Significance level for verdicts and flags (on q values).")] = 0.05,
    ) -> None:
        """The London bulletin: results so far (FY to date vs a year earlier), exceptions, notable borough changes."""
        out = _out_ok(out)
        try:
            first = parse_month(month)
        except ValueError as exc:
            raise OptionError(f"--month: {exc}") from exc
        with reader(ctx) as db:
            write(bulletin_html(db, first, alpha), out)
        typer.echo(f"wrote {out}")

    @group.command("jem")
    def jem(
        ctx: typer.Context,
        borough: Annotated[str | None, typer.Option(help="A London borough: name, slug or GSS code.")] = None,
        out: Annotated[Path | None, typer.Option(help="The report file: .pdf or .html.")] = None,
        all_boroughs: Annotated[bool, typer.Option("--all", help="Every London borough, into --out-dir.")] = False,
        out_dir: Annotated[Path | None, typer.Option(help="With --all: the folder for the packs.")] = None,
        fmt: Annotated[str, typer.Option("--format", help="With --all: pdf or html.")] = "pdf",
        months: Annotated[int, typer.Option(help="Recent months of each source in the pack.")] = 12,
        similar: Annotated[int, typer.Option(help="How many most similar boroughs to compare with.")] = 5,
    ) -> None:
        """The Joint Engagement Meeting data pack: trends, violence proxies, places, similar boroughs, outcomes."""

        def make(db: Database, area: str, path: Path) -> None:
            write(jem_html(db, area, months, similar), path)

        _one_or_all(ctx, borough, out, all_boroughs, out_dir, fmt, "JEM data packs", "jem", make)


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
