"""metforward: open policing-accountability figures with significance, completeness and provenance.

The Python API: ``mf = metforward.open("metforward.duckdb")``, then ``mf.compare(...)`` and the other
questions (see :mod:`metforward.notebook` and docs/python.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from metforward import log as _log  # noqa: F401  (installs the NullHandler on import)

if TYPE_CHECKING:
    from metforward.notebook import Store

__version__ = "0.1.0"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right. "
    "Source: Office for National Statistics; data.police.uk; London Datastore (MOPAC/GLA)."
)


def open(path: str | Path = "metforward.duckdb", *, wait: float | None = None) -> Store:  # noqa: A001
    """Open the store at ``path`` to ask it questions (the store itself is opened read-only per question;
    ``wait``: seconds to wait while a writer holds it, default as for the command line)."""
    from metforward import notebook  # the store and the questions load only when asked for

    return notebook.open(path) if wait is None else notebook.open(path, wait=wait)


__all__ = ["ATTRIBUTION", "__version__", "open"]
