"""Whether Numba's disk cache already holds a feature set's compiled kernels.

Compiling the kernels of a feature set takes 25-100 s; loading them from Numba's cache takes
about a second. Numba itself cannot say beforehand which of the two a call will cost, so
:func:`warm_up` leaves a small stamp beside Numba's cache files once a set's kernels are
compiled, and :func:`is_warm` checks it. The stamp names everything that makes Numba throw its
cache away (the kernels' source files, by modification time and size; the Numba and Python
versions) plus the feature set, so a stamp that is out of date reads as cold.

A wrong answer costs time, never correctness: a stamp that says warm while Numba recompiles
(its cache deleted by hand, a shared home on another CPU) only means a slow call, and the
warm-up's own notice says so.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

import numba

from .spec import FeatureSet

__all__ = ["cache_directory", "cache_identity", "is_warm", "mark_warm"]

_KERNELS = Path(__file__).resolve().parents[1] / "kernels"


def cache_directory() -> Path | None:
    """Where Numba keeps causepairs' compiled kernels (it depends on ``NUMBA_CACHE_DIR`` and on
    whether the package folder is writable); None where that cannot be told."""
    from ..kernels import numba_cache_directory

    return numba_cache_directory()


def cache_identity(feature_set: FeatureSet) -> dict:
    """What must be unchanged for a stamp to stand for a warm cache."""
    from .. import __version__

    sources = {p.name: [p.stat().st_mtime_ns, p.stat().st_size]
               for p in sorted(_KERNELS.glob("*.py"))}
    return {"feature_set_hash": feature_set.hash, "causepairs_version": __version__,
            "numba_version": numba.__version__, "python": platform.python_version(),
            "machine": platform.machine(), "sources": sources}


def _stamp_path(feature_set: FeatureSet) -> Path | None:
    directory = cache_directory()
    if directory is None:
        return None
    return directory / f"causepairs-warm-{feature_set.hash[:16]}.json"


def is_warm(feature_set: FeatureSet) -> bool:
    """True when a warm-up of this set has compiled its kernels into the cache in use now."""
    path = _stamp_path(feature_set)
    if path is None:
        return False
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return stamp == cache_identity(feature_set)


def mark_warm(feature_set: FeatureSet) -> None:
    """Record that this set's kernels are in the cache (atomically; silently skipped where the
    cache folder is not writable: the stamp is an optimisation)."""
    path = _stamp_path(feature_set)
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".stamp-", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(cache_identity(feature_set), f, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
