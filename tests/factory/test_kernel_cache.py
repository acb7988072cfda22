"""The warm-cache stamp that lets a first call skip compiling (causepairs.factory.kernel_cache)."""

import json
import os

import pytest

from causepairs.factory import kernel_cache, load_feature_set
from causepairs.factory import extract


@pytest.fixture
def transfer():
    return load_feature_set("transfer")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "numba-cache"
    monkeypatch.setattr(kernel_cache, "cache_directory", lambda: folder)
    return folder


def test_cache_directory_is_numbas_own():
    folder = kernel_cache.cache_directory()
    # Under NUMBA_DISABLE_JIT there are no dispatchers and so no cache to speak of.
    if os.environ.get("NUMBA_DISABLE_JIT") == "1":
        assert folder is None
    else:
        assert folder is not None and folder.name


def test_a_stamp_is_warm_only_for_its_set_and_its_sources(transfer, cache_dir, tmp_path,
                                                          monkeypatch):
    fast = load_feature_set("fast")
    assert not kernel_cache.is_warm(transfer)
    kernel_cache.mark_warm(transfer)
    assert kernel_cache.is_warm(transfer) and not kernel_cache.is_warm(fast)
    assert not list(cache_dir.glob(".stamp-*"))            # written atomically, nothing left over
    stamp = json.loads(next(cache_dir.glob("causepairs-warm-*.json")).read_text())
    assert stamp["feature_set_hash"] == transfer.hash and "dependence.py" in stamp["sources"]

    # An edited kernel module (Numba then drops its cache) makes the stamp stale.
    sources = tmp_path / "kernels"
    sources.mkdir()
    for path in kernel_cache._KERNELS.glob("*.py"):
        (sources / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(kernel_cache, "_KERNELS", sources)
    assert not kernel_cache.is_warm(transfer)     # same bytes, new modification times
    kernel_cache.mark_warm(transfer)
    assert kernel_cache.is_warm(transfer)
    with open(sources / "dependence.py", "a") as f:
        f.write("\n")
    assert not kernel_cache.is_warm(transfer)


def test_a_broken_or_unwritable_stamp_reads_cold(transfer, cache_dir, monkeypatch):
    cache_dir.mkdir()
    path = cache_dir / f"causepairs-warm-{transfer.hash[:16]}.json"
    path.write_text("{not json")
    assert not kernel_cache.is_warm(transfer)
    # A cache folder that cannot be created: no stamp, no error.
    blocker = cache_dir / "file"
    blocker.write_text("")
    monkeypatch.setattr(kernel_cache, "cache_directory", lambda: blocker / "sub")
    kernel_cache.mark_warm(transfer)
    assert not kernel_cache.is_warm(transfer)
    monkeypatch.setattr(kernel_cache, "cache_directory", lambda: None)
    kernel_cache.mark_warm(transfer)
    assert not kernel_cache.is_warm(transfer)


def test_warm_up_stamps_the_set(transfer, cache_dir):
    assert not kernel_cache.is_warm(transfer)
    extract.warm_up(transfer, engine="reference")        # compiles nothing: no stamp
    assert not kernel_cache.is_warm(transfer)
    extract.warm_up(transfer)
    assert kernel_cache.is_warm(transfer)


def test_a_batch_compiles_first_only_while_the_cache_is_cold(transfer, cache_dir, monkeypatch):
    from causepairs.synth import GeneratorConfig, generate_pairs

    data = generate_pairs(3, 4, config=GeneratorConfig(min_size=60, max_size=80))
    calls = []
    real = extract.warm_up
    monkeypatch.setattr(extract, "warm_up", lambda *a, **k: calls.append(a) or real(*a, **k))
    first = extract.extract_features(data, feature_set=transfer)
    assert len(calls) == 1 and kernel_cache.is_warm(transfer)
    second = extract.extract_features(data, feature_set=transfer)
    assert len(calls) == 1                       # stamped: workers load what they use
    assert first.equals(second)
