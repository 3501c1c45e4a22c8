"""Typed errors: a kind decides the HTTP status and the exit status through one table, and no code
decides what an error is by reading its message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import metforward.errors as errors
from metforward.errors import KINDS, Ambiguous, BadRequest, MetforwardError, NoData, NotFound

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "metforward"


def every_error_class() -> list[type[MetforwardError]]:
    import metforward.cli  # noqa: F401  (imports every module that defines an error)
    import metforward.web.app  # noqa: F401

    found: list[type[MetforwardError]] = []
    todo: list[type[MetforwardError]] = [MetforwardError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_takes_its_statuses_from_the_one_table() -> None:
    classes = every_error_class()
    assert len(classes) > 10
    for cls in classes:
        kind = KINDS[cls.kind]
        assert (cls.http_status, cls.exit_status) == (kind.http_status, kind.exit_status), cls


@pytest.mark.parametrize(
    ("cls", "http", "exit_status"),
    [(BadRequest, 422, 2), (Ambiguous, 422, 2), (NotFound, 404, 1), (NoData, 409, 1), (MetforwardError, 400, 1)],
)
def test_the_kinds_mean_what_the_reference_says(cls: type[MetforwardError], http: int, exit_status: int) -> None:
    assert (cls.http_status, cls.exit_status) == (http, exit_status)
    assert cls("x", field="area").field == "area"


def test_a_kind_missing_from_the_table_is_caught_when_the_class_is_defined() -> None:
    with pytest.raises(KeyError):
        type("Odd", (errors.MetforwardError,), {"kind": "no-such-kind"})


#: Reading an error's text to decide what it is. store/database.py reads DuckDB's own messages (the
#: engine gives no codes for a lock held or a file that is not a store) and turns them into typed errors.
MESSAGE_READING = re.compile(
    r"in str\(\w+\)|str\(\w+\)\.(startswith|endswith|find)|\bmessage\.(startswith|endswith)|\" in message\b"
)
ENGINE_MESSAGES = {"store/database.py"}


def test_no_code_reads_an_error_message_to_decide_what_it_is() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in ENGINE_MESSAGES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MESSAGE_READING.search(line)
    ]
    assert not found, "decide by the error's type or kind, not its text:\n" + "\n".join(found)


def test_the_scan_sees_message_reading(tmp_path: Path) -> None:
    assert MESSAGE_READING.search('if " are called " in message:')
    assert MESSAGE_READING.search('if message.startswith("no "):')
    assert not MESSAGE_READING.search("raise NotFound(message)")
