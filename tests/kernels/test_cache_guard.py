"""Numba's cache of causepairs kernels is dropped whole when any kernel source changes."""

import os

import numba

from causepairs.kernels import _cache_guard, numba_cache_directory
from causepairs.kernels._cache_guard import FINGERPRINT_FILE, drop_stale_cache


def _tree(tmp_path):
    sources = tmp_path / "kernels"
    sources.mkdir()
    (sources / "helpers.py").write_text("def h(): pass\n")
    (sources / "caller.py").write_text("def c(): pass\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    names = ["caller.c-1.py311.nbi", "caller.c-1.py311.1.nbc", "helpers.h-1.py311.nbi",
             "helpers.h-1.py311.1.nbc", "causepairs-warm-0123.json"]
    for name in names:
        (cache / name).write_text("x")
    (cache / "helpers.cpython-311.pyc").write_text("bytecode")  # not Numba's: kept
    (cache / "other.f-1.py311.nbi").write_text("x")            # another module's: kept
    return sources, cache, names


def test_an_unrecorded_cache_is_dropped_once(tmp_path):
    sources, cache, names = _tree(tmp_path)
    assert drop_stale_cache(sources, cache) == len(names)
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [FINGERPRINT_FILE, "helpers.cpython-311.pyc", "other.f-1.py311.nbi"])
    (cache / "caller.c-1.py311.nbi").write_text("x")   # compiled now, from these sources
    assert drop_stale_cache(sources, cache) == 0
    assert (cache / "caller.c-1.py311.nbi").exists()


def test_a_changed_helper_drops_its_callers_too(tmp_path):
    sources, cache, names = _tree(tmp_path)
    drop_stale_cache(sources, cache)
    for name in names[:4]:
        (cache / name).write_text("x")
    with open(sources / "helpers.py", "a") as f:      # only the helper's module changes
        f.write("def g(): pass\n")
    assert drop_stale_cache(sources, cache) == 4
    assert not (cache / "caller.c-1.py311.nbi").exists()
    # A new file's time stamp alone (a checkout) also counts as a change.
    (cache / "caller.c-1.py311.nbi").write_text("x")
    stat = (sources / "caller.py").stat()
    os.utime(sources / "caller.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert drop_stale_cache(sources, cache) == 1


def test_a_missing_cache_folder_is_created_with_its_record(tmp_path):
    sources, _, _ = _tree(tmp_path)
    fresh = tmp_path / "fresh" / "cache"
    assert drop_stale_cache(sources, fresh) == 0
    assert (fresh / FINGERPRINT_FILE).read_text() == _cache_guard.sources_fingerprint(sources)


def test_an_unwritable_or_unknown_cache_is_left_alone(tmp_path, monkeypatch):
    sources, _, _ = _tree(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert drop_stale_cache(sources, blocker / "cache") == 0
    monkeypatch.setattr(_cache_guard, "numba_cache_directory", lambda: None)
    assert drop_stale_cache(sources) == 0


def test_the_package_cache_folder_is_recorded_at_import():
    folder = numba_cache_directory()
    if numba.config.DISABLE_JIT:
        assert folder is None
        return
    assert (folder / FINGERPRINT_FILE).read_text() == _cache_guard.sources_fingerprint()
