"""Logging: the library adds no handlers; the CLI opts in with :func:`enable`."""

from __future__ import annotations

import logging

logger = logging.getLogger("metforward")
# a library stays quiet unless its user asks: without this, Python's last-resort handler prints warnings
logger.addHandler(logging.NullHandler())


def enable(level: int = logging.INFO) -> None:
    """Send metforward's log records to standard error at ``level``."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
