"""How a command writes an answer: ``--json`` (the envelope of :mod:`metforward.questions.answer`),
``--csv`` (the one CSV writer) or, by default, the command's own Rich rendering."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from metforward.present.csv import write_csv
from metforward.questions.answer import Answer

CsvOpt = Annotated[bool, typer.Option("--csv", help="Write CSV: the rows, one per line.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON: the answer's envelope (query, meta, notes, items).")]


def emit(answer: Answer, *, as_json: bool, as_csv: bool) -> bool:
    """Write ``answer`` as JSON or CSV to standard output if asked; False when the caller should draw it."""
    if as_json:
        typer.echo(json.dumps(answer.to_json(), indent=2))
        return True
    if as_csv:
        write_csv(sys.stdout, answer.to_rows(), answer.columns)
        return True
    return False
