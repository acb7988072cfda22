"""Shared helpers: tiny challenge-format files written by hand, quirks included."""

from __future__ import annotations

import os
from pathlib import Path

import joblib
import pytest


def write_text(path: Path, text: str, *, newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


@pytest.fixture
def small_dataset(tmp_path):
    """Three pairs with publicinfo and target files; returns the three paths."""
    pairs = write_text(tmp_path / "s_pairs.csv",
                       "SampleID,A,B\n"
                       "s1, 1 2 3 4, 10 20 30 40\n"
                       "s2,5 6 7,-1 -2 -3\n"
                       "s3, 0 1 0 1 1, 3 3 4 4 5\n")
    info = write_text(tmp_path / "s_publicinfo.csv",
                      "SampleID,A type,B type\ns1,Numerical,Numerical\ns2,Numerical,Categorical\n"
                      "s3,Binary,Numerical\n")
    target = write_text(tmp_path / "s_target.csv",
                        "SampleID,Target,Details\ns1,1,1\ns2,-1,2\ns3,0,3\n")
    return pairs, info, target


def pytest_collection_modifyitems(config, items):
    # The long subprocess runs (the kernel suite without JIT, the bounds-checked adversarial
    # corpus: minutes each, mostly compiling) go first. Under pytest-xdist, which hands out
    # whole files in collection order, each then starts at once on a worker of its own and
    # overlaps with the rest of the suite; left in place they ended the run alone.
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)


def pytest_xdist_auto_num_workers(config):
    # "-n auto": the cores this process may use (joblib counts CPU affinity and cgroup quotas;
    # xdist's default, psutil's physical cores, counts neither), at most 4, since each worker
    # compiles the kernels it needs on a cold Numba cache. PYTEST_XDIST_AUTO_NUM_WORKERS
    # still wins (None hands the choice back to xdist).
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return max(1, min(4, joblib.cpu_count()))
