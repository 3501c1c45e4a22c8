"""A pool of read-only connections to one store file, for concurrent readers (the web app).

DuckDB lets one process open a file once and hand out cursors: each cursor is its own
connection to the same database instance, and queries on different cursors run in parallel
(Raasveldt and Mühleisen, 2019, "DuckDB: an Embeddable Analytical Database", SIGMOD). The
pool opens the file read-only once, makes ``size`` cursors up front and lends one per request,
so a slow query never holds up another request, and nothing in the web app can write.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from metforward.errors import StoreError
from metforward.store.access import open_for_reading
from metforward.store.database import Database
from metforward.store.queries.status import load_version, ping


def prepare(path: str | Path) -> None:
    """Check that the store exists and is up to date for reading (see :mod:`metforward.store.access`).

    Looks first with a read-only connection; only when something is out of date does it open the
    file read-write for a moment (failing clearly if another process is writing) and close it.
    """
    open_for_reading(path).close()


class ReadPool:
    """``size`` read-only connections to the store at ``path``; :meth:`connection` lends one."""

    def __init__(self, path: str | Path, size: int = 16, *, timeout: float = 30.0) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self.path = str(path)
        self.size = size
        self.timeout = timeout
        self._root = Database(path, read_only=True)
        self._free: queue.LifoQueue[Database] = queue.LifoQueue()
        for _ in range(size):
            self._free.put(self._root.cursor())
        self.load_version = load_version(self._root)

    @contextmanager
    def connection(self) -> Iterator[Database]:
        """Borrow a connection for the length of the block (waits up to ``timeout`` seconds for one)."""
        try:
            db = self._free.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise StoreError(f"no free connection to {self.path} after {self.timeout:.0f} s") from exc
        try:
            yield db
        finally:
            self._free.put(db)

    def ping(self) -> None:
        """Run the smallest query on a borrowed connection: raises when the store cannot answer."""
        with self.connection() as db:
            ping(db)

    def close(self) -> None:
        """Close every connection (waits for borrowed ones to come back)."""
        for _ in range(self.size):
            self._free.get(timeout=self.timeout).close()
        self._root.close()
