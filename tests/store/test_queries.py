"""Every SQL statement in store/ (queries, cubes, loading, places, catalog) transpiles to Spark SQL (SQLGlot).

The statements are read from the source (the AST), not run: each string literal or f-string
that starts a statement (SELECT, WITH, INSERT, UPDATE, DELETE, CREATE) is taken, with every
``{...}`` placeholder filled by the string it names where that is a literal in the same module
(so ``f"SELECT {sums}"`` is checked with the text of ``sums``), else by a neutral identifier.
The expression tables the statements are built from (``--by`` columns, ethnicity mappings,
rate measures) are checked inside a SELECT of their own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlglot

from metforward.store.queries import outcomes, searches

STORE = Path(__file__).resolve().parents[2] / "src" / "metforward" / "store"
STATEMENT = re.compile(r"^\s*\(?\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE)\b", re.IGNORECASE)

#: Placeholders whose neutral filling is not an identifier (keys list before more columns, optional clauses).
FILL = {
    "select_keys": "x, ",
    "group": " GROUP BY x",
    "sql": "SELECT a, b, c, d, e FROM t",
    "names": "('a', 'b')",
    "placed": "SELECT load_id FROM t",
}

#: Statements that transpile but need DuckDB-only behaviour on Spark (module, first words): say why.
DUCKDB_ONLY = {
    # UPDATE ... FROM a registered Arrow table: Spark has no UPDATE ... FROM; it would be
    # MERGE INTO searches USING placed ON (load_id, line) WHEN MATCHED THEN UPDATE SET ...
    ("queries/placement.py", "UPDATE searches SET"),
    # the same for the force names written into the police cube once it is built (Spark: MERGE INTO)
    ("cubes.py", "UPDATE cube_police SET"),
}


def _strings(tree: ast.Module) -> dict[str, ast.expr]:
    """Names assigned a string literal or f-string anywhere in the module (last one wins)."""
    found: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        text = isinstance(node, ast.Assign) and (
            isinstance(node.value, ast.JoinedStr)
            or (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
        )
        if text and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
    return found


def _render(node: ast.expr, names: dict[str, ast.expr], depth: int = 0) -> str:
    if isinstance(node, ast.Constant):  # a template for str.format: its {name} filled as an f-string's
        return re.sub(r"\{(\w+)\}", lambda m: FILL.get(m[1], "x"), str(node.value))
    assert isinstance(node, ast.JoinedStr)
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value))
            continue
        assert isinstance(part, ast.FormattedValue)
        source = ast.unparse(part.value)
        if source in FILL:
            out.append(FILL[source])
        elif isinstance(part.value, ast.Name) and source in names and depth < 3:
            out.append(_render(names[source], names, depth + 1))
        else:
            out.append("x")
    return "".join(out)


def statements() -> Iterator[tuple[str, int, str]]:
    """(module, line, SQL text) for every statement in store/ (the queries, the cubes, loading, places)."""
    for path in sorted(STORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _strings(tree)
        parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            if id(node) in parts:  # a piece of an f-string: checked as part of the whole
                continue
            if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                text = _render(node, names)
                if STATEMENT.match(text) and not _is_docstring(tree, node):
                    yield str(path.relative_to(STORE)), node.lineno, text


def _is_docstring(tree: ast.Module, node: ast.expr) -> bool:
    return any(
        isinstance(body, ast.Expr) and body.value is node
        for owner in ast.walk(tree)
        if isinstance(owner, ast.Module | ast.FunctionDef | ast.ClassDef)
        for body in owner.body[:1]
    )


ALL = list(statements())


def test_the_statements_are_found() -> None:
    modules = {module for module, _, _ in ALL}
    assert {"queries/outcomes.py", "queries/searches.py", "queries/areas.py", "cubes.py", "loading.py"} <= modules
    assert len(ALL) >= 30


def _spark(sql: str) -> str:
    out = sqlglot.transpile(
        sql,
        read="duckdb",
        write="spark",
        error_level=sqlglot.ErrorLevel.RAISE,
        unsupported_level=sqlglot.ErrorLevel.RAISE,
    )
    assert len(out) == 1
    sqlglot.parse_one(out[0], read="spark")  # and the Spark text parses as Spark
    return out[0]


@pytest.mark.parametrize(("module", "line", "sql"), ALL, ids=[f"{m}:{n}" for m, n, _ in ALL])
def test_statement_is_portable_to_spark(module: str, line: int, sql: str) -> None:
    words = " ".join(sql.split()[:3])
    if (module, words) in DUCKDB_ONLY:  # it must still be valid DuckDB SQL
        sqlglot.parse_one(sql, read="duckdb", error_level=sqlglot.ErrorLevel.RAISE)
        return
    spark = _spark(sql)
    assert spark.split()[0].upper() == sql.split()[0].upper().lstrip("(")


EXPRESSIONS = [
    *(expr for _, expr in searches.BY.values()),
    *(expr for _, expr in searches.NAMES.values()),
    *searches.MEASURES.values(),
    *(col for cols in outcomes.BY.values() for col in cols),
    *(col for cols in outcomes.DASHBOARD_BY.values() for col in cols),
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_expression_is_portable_to_spark(expr: str) -> None:
    _spark(f"SELECT {expr} FROM t")


def test_the_allowlist_names_real_statements() -> None:
    words = {(module, " ".join(sql.split()[:3])) for module, _, sql in ALL}
    assert words >= DUCKDB_ONLY, DUCKDB_ONLY - words
