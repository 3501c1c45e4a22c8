"""Every ``metforward ...`` command a page, a report template or a message names exists.

The commands are collected from the page and report templates and from every string literal under
``src/`` (messages, help texts, docstrings), resolved against the CLI's own command tree, and each
command path is run with ``--help``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from metforward.cli import app as cli_app
from tests.web.conftest import REPO

SRC = REPO / "src" / "metforward"
TEMPLATES = (SRC / "web" / "templates", SRC / "present" / "templates")

#: ``metforward`` as a word (not ``metforward.web`` nor ``src/metforward``), and an optional ``--db FILE``.
MENTION = re.compile(r"(?<![\w./-])metforward(?: --db \S+)?(?= |$)")
#: A word of a command path: lower case letters, digits and hyphens.
WORD = re.compile(r"[a-z][a-z0-9-]*")
#: What, just before ``metforward``, marks a command rather than prose ("metforward reads ...").
CUE = re.compile(r"(`|<code>|\(|\$ |run |[Tt]ry:? |see |use )$")


@dataclass(frozen=True)
class Mention:
    where: str
    text: str
    words: tuple[str, ...]


def root() -> TyperGroup:
    command = typer.main.get_command(cli_app)
    assert isinstance(command, TyperGroup)
    return command


def mentions_in(text: str, where: str, commands: set[str]) -> list[Mention]:
    """The command mentions in ``text``: the words after ``metforward`` up to an option or a placeholder."""
    found = []
    for line in text.splitlines():
        for match in MENTION.finditer(line):
            words: list[str] = []
            for token in line[match.end() :].split():
                bare = token.rstrip(".,;:)`'\"")
                if not WORD.fullmatch(bare):
                    break  # an option (--json), a placeholder (PATH, FILE, {{ x }}, ...) or markup
                words.append(bare)
                if bare != token:
                    break  # punctuation ends the command
            if not words:
                continue
            if words[0] in commands or CUE.search(line[: match.start()]):
                found.append(Mention(where, line[max(0, match.start() - 30) : match.end() + 40].strip(), tuple(words)))
    return found


def string_literals(path: Path) -> list[str]:
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def collect() -> list[Mention]:
    commands = set(root().commands)
    found: list[Mention] = []
    for folder in TEMPLATES:
        for path in sorted(folder.rglob("*.html")):
            found += mentions_in(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)), commands)
    for path in sorted(SRC.rglob("*.py")):
        for text in string_literals(path):
            found += mentions_in(text, str(path.relative_to(REPO)), commands)
    return found


def command_path(words: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The command path ``words`` name in the CLI tree, and what is wrong with them (None: nothing)."""
    command: Any = root()
    path: list[str] = []
    for i, word in enumerate(words):
        if isinstance(command, TyperGroup):
            sub = command.commands.get(word)
            if sub is None:
                where = " ".join(["metforward", *path])
                return path, f"{where} has no command {word!r} (it has {', '.join(sorted(command.commands))})"
            command, path = sub, [*path, word]
            continue
        takes_arguments = any(p.param_type_name == "argument" for p in command.params)
        if not takes_arguments:
            rest = " ".join(words[i:])
            return path, f"metforward {' '.join(path)} takes no argument, yet is followed by {rest!r}"
        break
    return path, None


def test_the_collector_finds_commands_and_skips_prose() -> None:
    commands = set(root().commands)
    text = (
        "Try: metforward ingest PATH. Same figures as <code>metforward compare --json</code>; "
        "the formats metforward reads; run metforward status now and ingest; "
        "(see `metforward targets check FILE`) and metforward --db my.duckdb report summary --borough X"
    )
    assert [m.words for m in mentions_in(text, "here", commands)] == [
        ("ingest",),
        ("compare",),
        ("status", "now", "and", "ingest"),
        ("targets", "check"),
        ("report", "summary"),
    ]
    assert command_path(("status", "now", "and", "ingest"))[1] is not None  # status takes no argument
    assert command_path(("targets", "check")) == (["targets", "check"], None)


def test_every_command_named_in_templates_and_messages_exists() -> None:
    found = collect()
    assert len(found) > 30 and any(m.where.endswith(".html") for m in found)
    problems = []
    paths: dict[tuple[str, ...], Mention] = {}
    for mention in found:
        path, problem = command_path(mention.words)
        if problem:
            problems.append(f"{mention.where}: {mention.text!r}: {problem}")
        else:
            paths.setdefault(tuple(path), mention)
    assert not problems, "\n".join(problems)
    runner = CliRunner()
    for path, mention in sorted(paths.items()):
        result = runner.invoke(cli_app, [*path, "--help"])
        assert result.exit_code == 0, f"{mention.where}: metforward {' '.join(path)} --help: {result.output}"
        assert f"metforward {' '.join(path)}" in " ".join(result.output.split()), result.output
