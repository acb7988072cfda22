"""The one place where Numba options are set for every kernel in causepairs.

Rules (checked by ``tests/kernels/test_config.py``):

- ``nogil=True``: kernels release the GIL, so a threaded caller (Dask's threaded workers) runs
  them concurrently.
- ``cache=True``: compiled machine code is kept on disk beside the module, so worker processes
  load it instead of recompiling; the batch layer compiles once in the parent first.
- ``parallel`` is never set: causepairs parallelises over pairs with worker processes, and a
  Numba thread pool inside each worker would oversubscribe the cores.
- ``fastmath`` stays off: kernels must agree with their references and give bitwise-identical
  results on every run; reassociation would trade that for a few percent.
- ``error_model="numpy"``: a division by zero gives inf/NaN like NumPy instead of raising, so a
  degenerate pair turns into NaN features rather than an exception.

``NUMBA_DISABLE_JIT=1`` turns every kernel back into plain Python (the test suite also runs
that way to cover kernel bodies).
"""

from __future__ import annotations

import numba

__all__ = ["JIT_OPTIONS", "jit"]

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False,
               "error_model": "numpy"}


def jit(func=None, **overrides):
    """Compile ``func`` with causepairs' Numba options; usable as ``@jit`` or ``@jit(...)``.

    ``overrides`` exists for documented exceptions only (e.g. ``cache=False`` for a kernel that
    takes a jitted function as an argument); ``parallel`` and ``fastmath`` are refused.
    """
    forbidden = {"parallel", "fastmath"} & set(overrides)
    if forbidden:
        raise ValueError(f"causepairs kernels may not set {sorted(forbidden)}; see _config.py")
    options = {**JIT_OPTIONS, **overrides}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


# Before any kernel module defines a kernel: Numba's cache must not serve machine code compiled
# from sources that have changed since (see _cache_guard).
from ._cache_guard import drop_stale_cache  # noqa: E402

drop_stale_cache()
