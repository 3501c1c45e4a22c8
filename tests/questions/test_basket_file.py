"""Basket files: the shipped example is the built-in London default; every fault is named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.cli import app
from metforward.questions.basket_file import BasketFileError, builtin_path, load_basket, resolve_basket

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "results-so-far.yaml"
SEEDS = (
    "Total notifiable offences",
    "Violence against the person",
    "Serious sexual offences",
    "Youth violence",
    "Robbery",
    "Residential burglary",
    "Motor vehicle crime",
    "Murder",
    "Domestic offences",
    "Racist and religious offences",
    "Homophobic offences",
)


def test_the_example_is_the_built_in_default_with_the_seeds_eleven_lines() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == builtin_path("results-so-far").read_text(encoding="utf-8")
    basket = resolve_basket("results-so-far")
    assert tuple(line.title for line in basket.lines) == SEEDS
    assert all(line.caveat for line in basket.lines), "every mapped line says how far it is from the newsletter's"
    assert resolve_basket(str(EXAMPLE)).lines == basket.lines
    youth = basket.line("youth-violence")
    assert "knife-injury victims aged 1-24, a proxy" in youth.caveat.lower()
    assert youth.describe() == "MPS Monthly Crime Dashboard: Knife Crime / Knife Injury Victims (1-24), offences"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "basket.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fault_names_the_file_the_line_and_the_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "version: 1\n"
        "title: Test\n"
        "lines:\n"
        "  - id: a\n"
        "    title: A\n"
        "    count: {source: datastore, major: Robbery}\n"
        "  - id: b\n"
        "    count:\n"
        "      source: homicde\n"
        "  - id: a\n"
        "    count: {source: dashboard, crime_type: Knife Crime}\n"
        "  - id: d\n"
        "    count: {sum: [{line: a}, {line: zz}]}\n",
    )
    with pytest.raises(BasketFileError) as raised:
        load_basket(path)
    problems = raised.value.problems
    assert str(path) in str(raised.value)
    assert "line 9, lines[1] (b).count.source: must be one of datastore, police-uk, dashboard, homicide" in problems[0]
    assert any(p.startswith("line 10, lines[2] (a).id: 'a' is used twice") for p in problems)
    assert any(p.startswith("line 11, lines[2] (a).count.subtype:") for p in problems)
    assert any(p.startswith("line 13, lines[3] (d).count.sum[1].line: 'zz' is not an earlier line") for p in problems)
    assert raised.value.field == "basket" and raised.value.code == "basket_file"


def test_sums_and_line_references_add_parts(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "version: 1\ntitle: T\nlines:\n"
        "  - {id: robbery, count: {source: datastore, major: Robbery}}\n"
        "  - id: both\n"
        "    title: Robbery and murder\n"
        "    count: {sum: [{line: robbery}, {source: homicide, offence_type: Murder}]}\n",
    )
    basket = load_basket(path)
    assert [p.source for p in basket.line("both").parts] == ["datastore", "homicide"]
    assert basket.line("Robbery and murder").describe() == (
        "London Datastore: major Robbery + MPS homicide victims: offence type Murder"
    )


def test_bad_yaml_and_a_missing_file_are_basket_errors(tmp_path: Path) -> None:
    with pytest.raises(BasketFileError, match=r"line \d, column \d+: not valid YAML"):
        load_basket(_write(tmp_path, "version: 1\ntitle: [unclosed\n"))
    with pytest.raises(BasketFileError, match="cannot read the file"):
        load_basket(tmp_path / "missing.yaml")


def test_the_cli_stops_on_a_bad_basket_with_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 2\ntitle: T\nlines: []\n")
    done = CliRunner().invoke(app, ["compare", "--basket", str(path), "--around", "2010-03"])
    assert done.exit_code == 2
    assert "line 1, version: must be 1" in done.output and "Traceback" not in done.output
