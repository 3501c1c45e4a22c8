"""The layers point one way (``../shared/docs/ARCHITECTURE.md``): faces (cli, web) -> present, questions,
records; questions -> analyse, store, domain; store -> domain; ingest -> store; records -> domain; analyse
imports no store (kernels only); only store imports duckdb and holds SQL text (records/migrations its DDL);
only records imports SQLAlchemy and Alembic; domain is stdlib only."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "metforward"

#: What each layer may import from metforward (besides itself and the shared settings/errors/log).
#: Faces may use the analyse result types they draw; they reach the store only through STORE_HANDLES.
ALLOWED = {
    "domain": set(),
    "store": {"domain"},
    "ingest": {"domain", "store"},
    "analyse": {"domain"},
    "questions": {"domain", "store", "analyse"},
    "present": {"domain", "analyse", "questions"},
    "web": {"domain", "analyse", "present", "questions", "store", "records"},
    "cli": {"domain", "analyse", "present", "questions", "ingest", "web", "store", "records"},
    "records": {"domain"},
}
SHARED = {"settings", "errors", "log", "__init__"}
FACES = ("cli", "web")
#: The store modules a face may import: opening the store and holding a connection, never reading it.
STORE_HANDLES = {"metforward.store.database", "metforward.store.access", "metforward.store.pool"}
#: The records modules a face may not import: the tables and migrations (faces call the services, which
#: return plain dataclasses).
RECORDS_INTERNALS = ("metforward.records.models", "metforward.records.migrations")

#: Imports that break the arrows today, each to be removed as its question moves into questions/
#: (this list only shrinks; an import found here that is gone fails the test, so it cannot go stale).
LEGACY: set[tuple[str, str]] = set()


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "metforward.store":  # from metforward.store import cubes
                found.update(f"metforward.store.{alias.name}" for alias in node.names)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def breaks(path: Path, layer: str, name: str) -> bool:
    """Whether ``path`` (in ``layer``) importing ``name`` breaks the arrows."""
    parts = name.split(".")
    if parts[0] != "metforward" or len(parts) < 2:
        return False
    target = parts[1]
    if target == layer or target in SHARED:
        return False
    if target not in ALLOWED[layer]:
        return True
    if layer in FACES and target == "records":
        return name.startswith(RECORDS_INTERNALS)
    return layer in FACES and target == "store" and name != "metforward.store" and name not in STORE_HANDLES


def found_breaks() -> set[tuple[str, str]]:
    return {
        (str(path.relative_to(PACKAGE)), name)
        for layer in ALLOWED
        for path in modules(layer)
        for name in imports(path)
        if breaks(path, layer, name)
    }


def test_layers_import_only_what_they_may() -> None:
    new = sorted(found_breaks() - LEGACY)
    assert not new, "imports against the arrows:\n" + "\n".join(f"{p} imports {n}" for p, n in new)


def test_the_legacy_list_only_shrinks() -> None:
    gone = sorted(LEGACY - found_breaks())
    assert not gone, "remove these from LEGACY, they are fixed:\n" + "\n".join(f"{p} {n}" for p, n in gone)


def test_faces_do_not_read_the_store_directly(tmp_path: Path) -> None:
    assert breaks(PACKAGE / "cli" / "x.py", "cli", "metforward.store.cubes")
    assert not breaks(PACKAGE / "cli" / "x.py", "cli", "metforward.store.access")
    assert breaks(PACKAGE / "analyse" / "x.py", "analyse", "metforward.store.database")


def test_only_store_imports_duckdb() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "duckdb" in {name.split(".")[0] for name in imports(path)}:
            assert path.is_relative_to(PACKAGE / "store"), f"{path.relative_to(PACKAGE)} imports duckdb"


def test_only_records_imports_sqlalchemy_and_alembic() -> None:
    for path in PACKAGE.rglob("*.py"):
        tops = {name.split(".")[0] for name in imports(path)}
        if tops & {"sqlalchemy", "alembic"}:
            assert path.is_relative_to(PACKAGE / "records"), f"{path.relative_to(PACKAGE)} imports SQLAlchemy/Alembic"
    assert breaks(PACKAGE / "web" / "x.py", "web", "metforward.records.models")
    assert not breaks(PACKAGE / "web" / "x.py", "web", "metforward.records.accounts")
    assert breaks(PACKAGE / "records" / "x.py", "records", "metforward.store.database")


def test_domain_uses_the_standard_library_only() -> None:
    for path in modules("domain"):
        for name in imports(path):
            top = name.split(".")[0]
            assert (
                top in sys.stdlib_module_names
                or top == "__future__"
                or name.startswith("metforward.domain")
                or name == "metforward.errors"
            ), f"{path.relative_to(PACKAGE)} imports {name}"


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
        if not path.is_relative_to(PACKAGE / "store") and not path.is_relative_to(PACKAGE / "records" / "migrations")
        for line, text in sql_literals(path)
    ]
    # records/ queries through SQLAlchemy expressions; its migrations hold the DDL the ORM cannot say (triggers)
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


def test_tests_mirror_src() -> None:
    """Every folder of tests/ is a package of src/metforward, and a test named for a module sits in the
    folder of that module's package (so a test left behind when its module moved is found)."""
    tests = PACKAGE.parents[2] / "tests"
    homes: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        homes.setdefault(path.stem, set()).add(str(path.parent.relative_to(PACKAGE)))
    misplaced = []
    for path in sorted(tests.rglob("test_*.py")):
        folder = path.parent.relative_to(tests)
        if str(folder) != ".":
            assert (PACKAGE / folder).is_dir(), f"tests/{folder} mirrors no package of src/metforward"
        name = path.stem.removeprefix("test_")
        named = [m for m in homes if name == m or name.startswith(m + "_")]
        if named and not any(str(folder) in homes[m] for m in named):
            misplaced.append(
                f"{path.relative_to(tests)}: its module lives in {sorted(set().union(*(homes[m] for m in named)))}"
            )
    assert not misplaced, "move these tests beside their modules' packages:\n" + "\n".join(misplaced)
