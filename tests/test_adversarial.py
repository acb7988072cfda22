"""The fixed adversarial corpus through every kernel and the feature sets, bounds checking on.

Numba checks array bounds only when ``NUMBA_BOUNDSCHECK=1`` is set before it compiles, and
bounds-checked machine code must not share a cache with the ordinary one, so these tests run
``scripts/fuzz_kernels.py`` in subprocesses with both set (the cache directory sits in the
system temp directory: compiled once per machine, reused by later runs). A crash there is a
named pair in the script's table, not a dead test run.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "causepairs-numba-boundscheck"


def fuzz(tmp_path, *options) -> list[dict]:
    out = tmp_path / "fuzz.json"
    command = [sys.executable, str(ROOT / "scripts" / "fuzz_kernels.py"), "--jobs", "1",
               "--cache-dir", str(CACHE), "--json", str(out), *options]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert proc.returncode == 0, proc.stdout[-3000:]
    return report["rows"]


def check(rows, expected_pairs):
    for row in rows:
        assert row["pairs"] == expected_pairs, row
        assert row["crashes"] == 0 and row["bounds_errors"] == 0, row
        assert row["failed_cells"] == 0, row["failed_by_cause"]


@pytest.mark.starts_first
def test_fixed_corpus_through_every_kernel_and_the_fast_set(tmp_path):
    # 90 pairs: every type combination ten times over, sizes up to 250 (the boundaries of
    # folds, k and bins), each kernel on five fold layouts and again with NaN/inf injected
    rows = fuzz(tmp_path, "--pairs", "90", "--chunk", "90", "--max-n", "250",
                "--stages", "kernels,fast")
    check(rows, 90)
    fast = rows[1]
    assert fast["computed_pairs"] > 40 and fast["all_nan_columns"] == 0


@pytest.mark.slow
def test_fixed_corpus_through_the_full_set_on_both_engines(tmp_path):
    rows = fuzz(tmp_path, "--pairs", "45", "--chunk", "45", "--max-n", "120",
                "--stages", "full", "--engines", "numba,reference")
    check(rows, 45)
