"""The kernel suite once more with ``NUMBA_DISABLE_JIT=1``: every kernel body as plain Python.

Numba reads the variable when it is imported, so the run is a pytest subprocess. Without JIT
the kernels run the same source with Python's semantics (arbitrary-precision integers, real
IndexErrors), which catches what compiled code hides, and the bodies become visible to
coverage tools. It runs every test file in this directory; the few tests that are too slow
without JIT say so (``numba.config.DISABLE_JIT``) and skip or shrink themselves.
"""

import os
import subprocess
import sys
from pathlib import Path

import numba
import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.starts_first
@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="this is the run without JIT")
def test_kernel_suite_passes_without_jit():
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    # This test skips itself in the subprocess (JIT is off there), so it does not recurse.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env,
                          cwd=HERE.parent.parent, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
