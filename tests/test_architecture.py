"""The layers point one way: cli -> ingest/store -> domain; only store imports duckdb and holds SQL text; domain is
stdlib only."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "metforward"

#: What each layer may import from metforward (besides itself and the shared settings/errors/log).
ALLOWED = {
    "domain": set(),
    "store": {"domain"},
    "ingest": {"domain", "store"},
    "analyse": {"domain", "store"},
    "present": {"domain", "analyse"},
    "web": {"domain", "store", "analyse", "present", "ingest"},
    "cli": {"domain", "store", "analyse", "present", "ingest", "web"},
}
SHARED = {"settings", "errors", "log", "__init__"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    for path in modules(layer):
        for name in imports(path):
            parts = name.split(".")
            if parts[0] != "metforward" or len(parts) < 2:
                continue
            target = parts[1]
            assert target == layer or target in SHARED or target in ALLOWED[layer], (
                f"{path.relative_to(PACKAGE)} imports {name}: {layer} may not import {target}"
            )


def test_only_store_imports_duckdb() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "duckdb" in {name.split(".")[0] for name in imports(path)}:
            assert path.is_relative_to(PACKAGE / "store"), f"{path.relative_to(PACKAGE)} imports duckdb"


def test_domain_uses_the_standard_library_only() -> None:
    for path in modules("domain"):
        for name in imports(path):
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "__future__" or name.startswith("metforward.domain"), (
                f"{path.relative_to(PACKAGE)} imports {name}"
            )


#: SQL statement shapes (upper case, as the store writes them): a word such as "update" in prose does not match.
SQL_TEXT = re.compile(
    r"\bSELECT\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+|TEMPORARY\s+)?(?:TABLE|VIEW|INDEX|SEQUENCE|SCHEMA|MACRO)\b"
)


def sql_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal, or piece of an f-string, in ``path`` that holds SQL (comments are not
    string literals, so they are not read)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value)
    ]


def test_sql_text_only_in_store() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text.strip()[:60]!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.is_relative_to(PACKAGE / "store")
        for line, text in sql_literals(path)
    ]
    assert not found, "SQL belongs in store/ (store/queries/ for reads):\n" + "\n".join(found)


def test_the_sql_check_sees_sql_in_fstrings_and_not_prose(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "# SELECT in a comment is not SQL text\n"
        'a = f"SELECT count(*) FROM {table}"\n'
        'b = "Update the store, then select a borough"\n'
        'c = ("DELETE FROM "\n     "rejects")\n',
        encoding="utf-8",
    )
    assert sorted(line for line, _ in sql_literals(sample)) == [2, 4]
