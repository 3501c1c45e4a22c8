"""A pool of read-only connections to one store file, for concurrent readers (the web app).

DuckDB lets one process open a file once and hand out cursors: each cursor is its own
connection to the same database instance, and queries on different cursors run in parallel
(Raasveldt and Mühleisen, 2019, "DuckDB: an Embeddable Analytical Database", SIGMOD). The
pool opens the file read-only once, makes ``size`` cursors up front and lends one per request,
so a slow query never holds up another request, and nothing in the web app can write.

Loading while serving: a writer never waits for the server. It writes the next version of the store
into a new file and moves it over the old one (:func:`metforward.store.access.writing`); the pool
follows the path to the new file between requests (:class:`ReadPool`).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from metforward.errors import StoreError
from metforward.store.access import open_for_reading
from metforward.store.database import Database
from metforward.store.queries.status import load_version, ping

log = logging.getLogger(__name__)


def prepare(path: str | Path) -> None:
    """Check that the store exists and is up to date for reading (see :mod:`metforward.store.access`).

    Looks first with a read-only connection; only when something is out of date does it open the
    file read-write for a moment (failing clearly if another process is writing) and close it.
    """
    open_for_reading(path).close()


class Generation:
    """One version of the store file (one inode), opened read-only once with ``size`` cursors to lend.

    A request pins one generation (:meth:`ReadPool.pin`) and borrows every connection it needs from it,
    so it sees one version of the data from start to end.
    """

    def __init__(self, path: str, size: int, timeout: float) -> None:
        self.path = path
        self.size = size
        self.timeout = timeout
        self.identity = _identity(path)
        self.root = Database(path, read_only=True)
        self._free: queue.LifoQueue[Database] = queue.LifoQueue()
        for _ in range(size):
            self._free.put(self.root.cursor())
        self.load_version = load_version(self.root)
        self.users = 0
        self.retired = False

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
        self.root.close()


class ReadPool:
    """Read-only connections to the store at ``path``, following it to each new version.

    A load while the server runs writes the next version of the store beside it and moves it into
    place (:func:`metforward.store.access.writing`). When a request arrives and the path names a new
    file, the pool lets the requests in flight finish on the old version, closes it (DuckDB keeps one
    database instance per path in a process, so the old must close before the new can open), opens
    the new one, and lets the waiting requests go on. Each request pins one version for its whole
    length (:meth:`acquire`/:meth:`release`, or :meth:`pin`).
    """

    def __init__(self, path: str | Path, size: int = 16, *, timeout: float = 30.0) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self.path = str(path)
        self.size = size
        self.timeout = timeout
        self._cond = threading.Condition()
        self._current: Generation | None = Generation(self.path, size, timeout)

    @property
    def load_version(self) -> str:
        """The load version of the version the pool lends from now."""
        current = self._current
        return current.load_version if current else "closed"

    def acquire(self, *, block: bool = True) -> Generation | None:
        """Pin the current version (release it with :meth:`release`). When a new version is waiting for
        the requests on the old one to finish: None if ``block`` is false (an event loop must not wait
        here), else wait for them, switch, and pin the new one."""
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                current = self._current
                if current is not None and not current.retired and self._moved(current):
                    current.retired = True
                if current is not None and not current.retired:
                    current.users += 1
                    return current
                if not block:
                    return None
                if current is not None and current.users > 0:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise StoreError(f"the requests on the old version of {self.path} did not finish in time")
                    self._cond.wait(timeout=min(left, 1.0))
                    continue
                self._switch()

    def release(self, generation: Generation) -> None:
        """Unpin ``generation``; the last request on a retired version lets the switch go ahead."""
        with self._cond:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                self._cond.notify_all()

    @contextmanager
    def pin(self) -> Iterator[Generation]:
        """The current version, pinned for the length of the block (see :meth:`acquire`)."""
        generation = self.acquire()
        assert generation is not None
        try:
            yield generation
        finally:
            self.release(generation)

    @contextmanager
    def connection(self) -> Iterator[Database]:
        """Borrow a connection to the current version for the length of the block."""
        with self.pin() as generation, generation.connection() as db:
            yield db

    def ping(self) -> None:
        """Run the smallest query on the current version: raises when the store cannot answer."""
        with self.connection() as db:
            ping(db)

    def close(self) -> None:
        """Close the connections (waits for borrowed ones to come back)."""
        with self._cond:
            if self._current is not None:
                self._current.close()
                self._current = None

    def _moved(self, current: Generation) -> bool:
        try:
            return _identity(self.path) != current.identity
        except OSError:  # moved away for a moment, or gone: keep serving the version we have
            return False

    def _switch(self) -> None:
        """Close the drained old version and open the store as it is now (holding the lock)."""
        if self._current is not None:
            self._current.close()
            self._current = None
        self._current = Generation(self.path, self.size, self.timeout)
        log.info("serving the new version of %s (load version %s)", self.path, self._current.load_version)
        self._cond.notify_all()


def _identity(path: str) -> tuple[int, int]:
    """Which file ``path`` names now (device and inode): a new version of the store is a new file."""
    st = os.stat(path)
    return st.st_dev, st.st_ino
