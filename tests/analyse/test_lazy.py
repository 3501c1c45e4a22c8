"""SciPy's submodules load on first use: the command line starts without them and the kernels still work."""

from __future__ import annotations

import subprocess
import sys

import pytest

from metforward.analyse import lazy

PROBE = """
import sys
import metforward.cli
loaded = sorted(m for m in ("scipy.stats._stats_py", "scipy.signal._signaltools", "scipy.sparse._base") if m in sys.modules)
from metforward.analyse.proportions import wilson
estimate = wilson(5, 20)
print(loaded, round(estimate.low, 4), round(estimate.high, 4), "scipy.stats._stats_py" in sys.modules)
"""


def test_the_command_line_imports_no_scipy_submodule_until_a_kernel_needs_it() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    # nothing of SciPy's stats, signal or sparse before a kernel runs; the kernel's answer as scipy gives it
    from scipy import stats

    z = stats.norm.ppf(0.975)
    p, n = 5 / 20, 20
    centre, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5,
    )
    assert out == ["[]", str(round(centre - half, 4)), str(round(centre + half, 4)), "True"]


def test_an_imported_module_is_returned_as_it_is_and_a_missing_one_is_an_import_error() -> None:
    import json

    assert lazy.module("json") is json
    with pytest.raises(ModuleNotFoundError):
        lazy.module("metforward_no_such_module")
