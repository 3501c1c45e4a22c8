"""Parity is structural: for every question in the registry, the command line's ``--json``, the API body
(all rows on one page, the paging fields set aside) and ``ask(...).to_json()`` are the same object for
the same query. Generated over :data:`metforward.questions.QUESTIONS`, so a new question is covered
as soon as it is registered; its ``example`` must answer on the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metforward.cli import app
from metforward.questions import QUESTIONS, Question
from metforward.store.database import Database

runner = CliRunner()
PAGING = ("limit", "offset", "next")


def cli_args(question: Question, options: dict[str, Any]) -> list[str]:
    """The command line for ``options``: ``--name value`` (a flag for True, repeated for a list; the value
    alone for a positional argument, declared as ``""`` in ``Question.options``)."""
    args = list(question.command)
    for name, value in options.items():
        flag = question.options.get(name, "--" + name.replace("_", "-"))
        if not flag:  # a positional argument
            args.append(str(value))
        elif value is True:
            args.append(flag)
        elif isinstance(value, list):
            for item in value:
                args += [flag, str(item)]
        else:
            args += [flag, str(value)]
    return args


def direct(store: Path, question: Question) -> dict[str, Any]:
    with Database(store, read_only=True) as db:
        return question.ask(db, question.build(**question.example)).to_json()


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_the_cli_json_is_the_answer(name: str, web_store: Path) -> None:
    question = QUESTIONS[name]
    expected = direct(web_store, question)
    assert expected["items"], f"{name}: its example answers nothing on the sample, so parity would prove little"
    done = runner.invoke(app, ["--db", str(web_store), *cli_args(question, dict(question.example)), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == expected


@pytest.mark.parametrize("name", sorted(q.name for q in QUESTIONS.values() if q.route))
def test_the_api_body_is_the_answer(name: str, web_store: Path, client: TestClient) -> None:
    question = QUESTIONS[name]
    expected = direct(web_store, question)
    response = client.get(f"/api/v1{question.route}", params={**question.example, "limit": 1000})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["next"] is None and body["offset"] == 0
    assert {k: v for k, v in body.items() if k not in PAGING} == expected


def test_every_question_is_shown_by_the_cli_and_has_an_example() -> None:
    assert QUESTIONS, "the registry is empty"
    commands = {tuple(c) for c in _commands()}
    for question in QUESTIONS.values():
        assert question.example, f"{question.name} has no example"
        assert question.command in commands, f"{question.name}: no command {' '.join(question.command)}"


def _commands() -> list[list[str]]:
    import typer

    found: list[list[str]] = []

    def walk(group: object, prefix: list[str]) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            found.append([*prefix, name])
            walk(cmd, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return found
