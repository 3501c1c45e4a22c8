"""SciPy's submodules imported on first use, so a command that computes nothing does not pay for them.

``metforward ingest``, ``fetch``, ``status`` and ``--help`` import every command module (Typer
builds the command line from their signatures), and so every kernel; SciPy's ``stats``,
``signal`` and ``sparse`` were about half of that start-up (1.5-2 s of each run). A kernel
module names them through :func:`module` under ``if TYPE_CHECKING`` (so mypy sees the real
module) and the module is loaded by the first attribute read, with the standard library's
:class:`importlib.util.LazyLoader`.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """The module ``name``, loaded when an attribute of it is first read (at once if already imported)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    loader.exec_module(lazy)
    return lazy
