"""The records commands (``records``, ``users``, ``audit``): every one declares its access and is refused
to the wrong people (found by walking the command tree, so a new command is covered without editing
this file); accounts from the command line; ``serve`` refuses a records database behind the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from sqlalchemy import text
from typer.testing import CliRunner

from metforward.cli import app
from metforward.cli.records import ACCESS
from metforward.errors import KINDS
from metforward.records.access import Action
from metforward.records.db import Database
from tests.records.cast import CAST, allowed

GROUPS = ("records", "users", "audit")
REFUSED = KINDS["forbidden"].exit_status
runner = CliRunner()


def commands() -> list[tuple[list[str], Any]]:
    root = typer.main.get_group(app)
    found = []
    for group in GROUPS:
        for name, command in root.commands[group].commands.items():  # type: ignore[attr-defined]
            found.append(([group, name], command))
    return found


def placeholder(name: str, tmp_path: Path) -> str:
    return {"email": "nobody-here@example.org", "role": "analyst", "path": str(tmp_path / "placeholder.backup")}.get(
        name, "x"
    )


def arguments(command: Any, tmp_path: Path) -> list[str]:
    """Values for a command's required arguments and options, enough to reach its access check."""
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        value = placeholder(param.name, tmp_path)
        args += [value] if param.param_type_name == "argument" else [param.opts[0], value]
    return args


def test_every_records_command_declares_its_access() -> None:
    found = commands()
    assert len(found) >= 10
    undeclared = [" ".join(path) for path, command in found if getattr(command.callback, ACCESS, None) is None]
    assert not undeclared, "records commands without @needs(...): " + ", ".join(undeclared)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner that builds the command tree once, not on every run (typer takes half a second to)."""
    command = typer.main.get_command(app)
    monkeypatch.setattr(typer.testing, "_get_command", lambda _: command)
    return CliRunner()


def test_every_records_command_refuses_the_wrong_people(cast_url: str, tmp_path: Path, quick: CliRunner) -> None:
    base = ["--db", str(tmp_path / "store.duckdb"), "--records", cast_url]
    wrong = []
    for path, command in commands():
        action: Action = getattr(command.callback, ACCESS)
        args = arguments(command, tmp_path)
        # every account on SQLite; on PostgreSQL (the same rule, a slower connection per run) one of each outcome
        people = (
            [*CAST]
            if cast_url.startswith("sqlite")
            else ["admin@example.org", "analyst@example.org", "partner-c@example.org"]
        )
        for who in ["anonymous@example.org", *people]:
            result = quick.invoke(app, [*base, "--as", who, *path, *args], input="\n")
            expected_refused = who not in CAST or not allowed(who, action, None)
            if (result.exit_code == REFUSED) != expected_refused:
                wrong.append(f"{' '.join(path)} as {who}: exit {result.exit_code} {result.output.strip()[:120]}")
    assert not wrong, "\n".join(wrong)


def test_accounts_from_the_command_line(cast_url: str, tmp_path: Path) -> None:
    base = ["--db", str(tmp_path / "store.duckdb"), "--records", cast_url]
    weak = runner.invoke(
        app, [*base, "users", "add", "new@example.org", "--role", "analyst", "--password-stdin"], input="password1234\n"
    )
    assert weak.exit_code == 2 and "commonly used" in weak.output and "password1234" not in weak.output
    added = runner.invoke(
        app,
        [
            *base,
            "users",
            "add",
            "New@Example.org",
            "--role",
            "partner",
            "--borough",
            "Hackney",
            "--borough",
            "E09000019",
            "--password-stdin",
        ],
        input="amber falcon river 31\n",
    )
    assert added.exit_code == 0 and "added new@example.org: partner (Hackney, Islington)" in added.output
    assert runner.invoke(app, [*base, "users", "disable", "new@example.org"]).exit_code == 0
    listed = json.loads(runner.invoke(app, [*base, "users", "list", "--json"]).stdout)
    new = next(u for u in listed if u["email"] == "new@example.org")
    assert new == {
        "email": "new@example.org",
        "name": "",
        "role": "partner",
        "boroughs": ["E09000012", "E09000019"],
        "enabled": False,
        "totp": False,
        "password": True,
    }
    reset = runner.invoke(
        app,
        [*base, "users", "reset-password", "new@example.org", "--password-stdin"],
        input="copper lantern meadow 8\n",
    )
    assert reset.exit_code == 0
    missing = runner.invoke(app, [*base, "users", "disable", "ghost@example.org"])
    assert missing.exit_code == 1 and "no account 'ghost@example.org'" in missing.output


def test_serve_refuses_a_records_database_that_is_not_up_to_date(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    Database(f"sqlite:///{empty}").engine.connect().close()  # exists, no tables
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "--records", f"sqlite:///{empty}", "serve"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: the records database sqlite:///{empty} is not set up: run `metforward records upgrade "
        f"--records 'sqlite:///{empty}'` (back it up first with `metforward records backup PATH`)"
    ]
    assert (
        runner.invoke(
            app, ["--db", str(tmp_path / "s.duckdb"), "--records", f"sqlite:///{empty}", "records", "upgrade"]
        ).exit_code
        == 0
    )
    with Database(f"sqlite:///{empty}") as database, database.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    ahead = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "--records", f"sqlite:///{empty}", "serve"])
    assert ahead.exit_code == 1 and "a newer version upgraded it" in ahead.output


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url"])
def test_a_records_url_of_another_kind_is_refused_in_one_line(url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "--records", url, "records", "upgrade"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
