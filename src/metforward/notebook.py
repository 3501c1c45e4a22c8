"""The Python API, for analysts in notebooks: the same answers as the command line and the JSON API.

>>> import metforward
>>> mf = metforward.open("metforward.duckdb")          # doctest: +SKIP
>>> mf.compare(before="2023-01:2023-12", after="2024-01:2024-12", level="borough").to_pandas()  # doctest: +SKIP

Each question of :data:`metforward.questions.QUESTIONS` is a method, named as the command is (with
``_`` for ``-``: ``mf.near_repeat(...)``), taking the command's options as keyword arguments with the
same defaults, and returning an :class:`~metforward.questions.answer.Answer` (``to_pandas()``,
``to_arrow()``, ``to_rows()``, ``to_json()``). The store is opened read-only for each question and
closed after it, so a notebook never holds the lock that ``metforward ingest`` needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from metforward.errors import BadRequest, StoreMissingError
from metforward.questions import QUESTIONS, Question
from metforward.questions.answer import Answer
from metforward.store.access import DEFAULT_WAIT, reading


class Store:
    """A metforward store to ask questions of (see the module's docstring)."""

    def __init__(self, path: str | Path, *, wait: float = DEFAULT_WAIT) -> None:
        self.path = Path(path)
        self.wait = wait
        if not self.path.exists():
            raise StoreMissingError(
                f"{self.path}: no store there: load data with metforward --db {self.path} ingest PATH first"
            )

    def __repr__(self) -> str:
        return f"metforward.open({str(self.path)!r})"

    def questions(self) -> list[str]:
        """The questions this store can be asked, as method names."""
        return sorted(_method(name) for name in QUESTIONS)

    def ask(self, name: str, **options: Any) -> Answer:
        """Answer the question called ``name`` (``"compare"``, ``"near-repeat"`` or ``"near_repeat"``)."""
        question = _question(name)
        query = question.build(**options)
        with reading(self.path, wait=self.wait) as db:
            return question.ask(db, query)

    def __getattr__(self, name: str) -> Callable[..., Answer]:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            question = _question(name)
        except BadRequest:
            raise AttributeError(f"{name!r}: no such question; ask one of {', '.join(self.questions())}") from None

        def asker(**options: Any) -> Answer:
            return self.ask(question.name, **options)

        asker.__name__ = _method(question.name)
        asker.__doc__ = f"{question.summary}\n\nOptions (with defaults): {_options(question)}."
        return asker

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.questions()})


def _method(name: str) -> str:
    return name.replace("-", "_")


def _question(name: str) -> Question:
    for question in QUESTIONS.values():
        if name in (question.name, _method(question.name)):
            return question
    raise BadRequest(f"no question {name!r}; ask one of {', '.join(sorted(QUESTIONS))}")


def _options(question: Question) -> str:
    fields = dataclasses.fields(question.query)
    return ", ".join(f"{f.name}={f.default!r}" if f.default is not dataclasses.MISSING else f.name for f in fields)


def open(path: str | Path = "metforward.duckdb", *, wait: float = DEFAULT_WAIT) -> Store:  # noqa: A001
    """The store at ``path``, to ask questions of: ``metforward.open("metforward.duckdb").compare(...)``."""
    return Store(path, wait=wait)
