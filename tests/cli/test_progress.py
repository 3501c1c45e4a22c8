"""Progress of downloads and ingests: Rich bars on a terminal, plain lines otherwise, nothing for --json."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from metforward.cli.progress import Bars, Lines, progress
from metforward.ingest.pipeline import FileResult
from metforward.ingest.sources import InputFile


def test_bars_on_a_terminal_lines_otherwise_nothing_when_quiet() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True)
    with progress(True, terminal) as shown:
        assert isinstance(shown, Bars)
        shown.transfer("2024-05.zip", 500, 1000)
        shown.transfer("2024-05.zip", 1000, 1000)
        task = shown.progress.tasks[0]
        assert (task.description, task.completed, task.total) == ("2024-05.zip", 1000, 1000)
    log = Console(file=io.StringIO(), force_terminal=False)
    with progress(True, log) as shown:
        assert isinstance(shown, Lines)
    with progress(False, terminal) as shown:
        assert shown is None


def test_plain_lines_say_each_quarter_of_a_download_and_each_file_loaded() -> None:
    out = io.StringIO()
    lines = Lines(Console(file=out, force_terminal=False, width=200))
    for done in (0, 90, 100, 260, 300, 399, 400):
        lines.transfer("datastore-borough", done, 400)
    lines.transfer("mopac-strength", 3706, 3706)  # the first word is "all of it": a 304 and the cached copy
    lines.ingested(InputFile(Path("a.csv")), FileResult("a.csv", "street", 10, 9, 1))
    lines.ingested(InputFile(Path("b.csv")), FileResult("b.csv", None, 0, 0, 0, error="unknown header"))
    said = [line.split(" in ")[0] for line in out.getvalue().splitlines()]
    assert said == [
        "download datastore-borough: 0 bytes of 400 bytes",
        "download datastore-borough: 100 bytes of 400 bytes (25%)",
        "download datastore-borough: 260 bytes of 400 bytes (50%)",
        "download datastore-borough: 300 bytes of 400 bytes (75%)",
        "download datastore-borough: done, 400 bytes",
        "download mopac-strength: not modified on the server, cached copy used (3.7 kB)",
        "loaded a.csv (street): 9 rows",
        "not loaded b.csv: unknown header",
    ]
