"""Progress of downloads and ingests on standard error: Rich bars on a terminal, plain lines in logs.

On a terminal each download is a bar (bytes, speed, time) and the ingest a count of files. When
standard error is not a terminal (CI, cron, a pipe), the same events are plain lines: a download's
start, every further quarter of it and its end; each file loaded with its rows. ``--json`` runs
show neither.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from metforward.ingest.fetch import FetchProgress
from metforward.ingest.pipeline import FileResult
from metforward.ingest.sources import InputFile


class _Amount(ProgressColumn):
    """Bytes for a download task, a file count for the ingest task."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes = DownloadColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            return self._bytes.render(task)
        return Text(f"{int(task.completed)} files", style="progress.download")


class _Speed(TransferSpeedColumn):
    """Transfer speed, for download tasks only."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("unit") == "bytes" else Text("")


class Bars:
    """Rich progress bars: one per download, then one for the ingest."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.ingest: TaskID | None = None

    def transfer(self, name: str, done: int, total: int | None) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=total, unit="bytes")
        self.progress.update(self.tasks[name], completed=done, total=total)

    def ingested(self, source: InputFile, result: FileResult) -> None:
        if self.ingest is None:
            self.ingest = self.progress.add_task("ingest", total=None, unit="files")
        self.progress.update(self.ingest, advance=1, description=f"ingest {source.name}")


def _size(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,} bytes"


class Lines:
    """Plain lines for logs: a download's start, each further quarter and its end; each file loaded."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seen: dict[str, tuple[int, float]] = {}  # name -> (quarters reported, start time)

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def transfer(self, name: str, done: int, total: int | None) -> None:
        if name not in self.seen:
            if total is not None and done == total:  # the first word is "all of it": the cached copy is current
                self.seen[name] = (4, time.monotonic())
                self._say(f"download {name}: not modified on the server, cached copy used ({_size(total)})")
                return
            self.seen[name] = (0, time.monotonic())
            of = f" of {_size(total)}" if total else ""
            self._say(f"download {name}: {_size(done)}{of}")
        quarters, started = self.seen[name]
        if total and done >= total:
            if quarters < 4:
                seconds = time.monotonic() - started
                self._say(f"download {name}: done, {_size(total)} in {seconds:.1f} s")
                self.seen[name] = (4, started)
        elif total and done * 4 // total > quarters:
            now = done * 4 // total
            self.seen[name] = (now, started)
            self._say(f"download {name}: {_size(done)} of {_size(total)} ({now * 25}%)")

    def ingested(self, source: InputFile, result: FileResult) -> None:
        if result.error:
            self._say(f"not loaded {source.display}: {result.error}")
        else:
            self._say(f"loaded {source.display} ({result.kind}): {result.rows_loaded:,} rows")


@contextmanager
def progress(show: bool, console: Console | None = None) -> Iterator[FetchProgress | None]:
    """Progress for a fetch on ``console`` (standard error): bars on a terminal, lines otherwise, nothing
    when ``show`` is false."""
    console = console or Console(stderr=True)
    if not show:
        yield None
    elif console.is_terminal:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            _Amount(),
            _Speed(),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bars:
            yield Bars(bars)
    else:
        yield Lines(console)
