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


def test_the_python_guide_runs(web_store: Path) -> None:
    """docs/python.md's examples run as doctests against the bundled sample."""
    import doctest

    failures, tried = doctest.testfile(
        str(REPO / "docs" / "python.md"),
        module_relative=False,
        globs={"STORE": str(web_store)},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
    )
    assert tried >= 10, f"only {tried} examples found in docs/python.md"
    assert failures == 0, f"{failures} of {tried} examples in docs/python.md failed (see the output above)"


def test_python_api_doctests() -> None:
    """The docstring examples of the domain and the Python API run."""
    import doctest

    import metforward.domain.areas
    import metforward.domain.periods
    import metforward.present.csv

    for module in (metforward.domain.periods, metforward.domain.areas, metforward.present.csv):
        failures, _ = doctest.testmod(module)
        assert failures == 0, module.__name__


def test_json_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_json_docs", REPO / "scripts" / "gen_json_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TARGET.read_text(encoding="utf-8") == module.render(), (
        "docs/reference/json.md is out of date: run python scripts/gen_json_docs.py"
    )
