"""Documentation stays true: the CLI reference matches --help, every command has help, methods docs exist."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import typer

from metforward.cli import app

REPO = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current() -> None:
    generator = _generator()
    assert generator.TARGET.read_text(encoding="utf-8") == generator.render(), (
        "docs/reference/cli.md is out of date: run python scripts/gen_cli_docs.py"
    )


def test_every_command_has_help() -> None:
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        assert command.help, f"metforward {name} has no help text"


def test_readme_carries_the_two_commands_and_the_attribution() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "Open Government Licence v3.0" in readme and "Contains OS data" in readme
