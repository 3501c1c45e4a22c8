"""The web app's one cache: answers and response bodies, keyed by the store's load version.

The store is read-only between loads, so an answer stays true until the load version changes; a
new load makes every old key unreachable and they age out of the LRU. Every route that caches
(API bodies, page data, map layers, boundaries) uses :class:`ResultCache`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

R = TypeVar("R")


class ResultCache:
    """A small LRU cache of analyse results keyed by the store's load version and the question.

    The store is read-only between loads, so a result stays true until the load version changes;
    a new load makes every old key unreachable (they age out). Thread-safe: routes run in a pool.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], R]) -> R:
        """The cached result for ``key`` (include the load version in it), made by ``make()`` on a miss.

        Concurrent misses on one key wait for a single ``make()`` (no stampede of identical queries
        when a cold server meets many clients at once).
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                found: R = self._items[key]
                return found
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    done: R = self._items[key]
                    return done
            try:
                value = make()
            finally:
                with self._lock:
                    self._building.pop(key, None)
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value
