"""Drop causepairs' cached Numba kernels when any kernel source has changed.

Numba checks a cached function against its own source file only (modification time and size).
A kernel that calls a helper from another module keeps its cached machine code when only the
helper's module changes: after an edit, a branch switch or a ``git pull`` in an editable
install it runs the old helper, and where the helper's layout changed it can read out of
bounds (a segfault, seen here when a helper moved between modules). So the kernel sources are
checked together, once per process, when the kernels are imported: where their fingerprint
differs from the one recorded beside the cache, every cached causepairs kernel is deleted and
compiled again on first use.

A failure here (a read-only cache, a Numba whose internals moved) leaves the cache as it is:
no worse than Numba's own rule.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numba

__all__ = ["FINGERPRINT_FILE", "drop_stale_cache", "numba_cache_directory",
           "sources_fingerprint"]

#: Beside Numba's cache files: the fingerprint of the sources they were compiled from.
FINGERPRINT_FILE = "causepairs-sources.json"
_SOURCES = Path(__file__).resolve().parent


def _probe():
    """A function of this folder, for asking Numba where its cache for the folder is."""


def numba_cache_directory() -> Path | None:
    """Where Numba keeps the compiled kernels of ``causepairs.kernels`` (``NUMBA_CACHE_DIR``,
    the package's ``__pycache__`` or a user-wide folder, by Numba's own rules); None where
    that cannot be told (JIT disabled, Numba internals changed)."""
    if numba.config.DISABLE_JIT:
        return None
    try:
        from numba.core.caching import CompileResultCacheImpl

        # Numba has no public way to ask; its locator for a function of this folder is the
        # one every kernel module here gets.
        return Path(CompileResultCacheImpl(_probe)._locator.get_cache_path())
    except Exception:  # noqa: BLE001 - an optimisation must never stop the import
        return None


def sources_fingerprint(sources: Path = _SOURCES) -> str:
    """Hash of every kernel module's name, modification time and size, and Numba's version."""
    stamps = [(p.name, p.stat().st_mtime_ns, p.stat().st_size)
              for p in sorted(sources.glob("*.py"))]
    payload = json.dumps({"numba": numba.__version__, "sources": stamps})
    return hashlib.sha256(payload.encode()).hexdigest()


def drop_stale_cache(sources: Path = _SOURCES, cache: Path | None = None) -> int:
    """Delete the cached kernels of ``sources`` from ``cache`` (default: Numba's folder for
    them) unless they were compiled from the sources as they are now; record the sources'
    fingerprint. Returns the number of files deleted."""
    cache = numba_cache_directory() if cache is None else cache
    if cache is None:
        return 0
    try:
        # Record the fingerprint before anything is compiled into a new cache, or the next
        # process would take that cache for one of unknown sources.
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return 0
    fingerprint = sources_fingerprint(sources)
    record = cache / FINGERPRINT_FILE
    try:
        if record.read_text() == fingerprint:
            return 0
    except OSError:
        pass
    modules = {p.stem for p in sources.glob("*.py")}
    deleted = 0
    try:
        for path in cache.iterdir():
            # Numba names its files <module>.<function>-<line>.py<ver>[.<n>].nb[ic].
            cached_kernel = (path.suffix in (".nbi", ".nbc")
                             and path.name.split(".", 1)[0] in modules)
            if cached_kernel or path.name.startswith("causepairs-warm-"):
                path.unlink(missing_ok=True)
                deleted += 1
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=".sources-", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(fingerprint)
        os.replace(tmp, record)
    except OSError:
        pass
    return deleted
