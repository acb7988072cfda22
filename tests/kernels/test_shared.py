"""The shared helpers (causepairs.kernels.shared, .binning) against their references, on
random and edge-case inputs: ties, constants, n = 1 and 2, n below the number of bins.

Tolerances: quantiles, ranks, bins and codes are compared exactly (the kernels reproduce
NumPy's rounding or use integer arithmetic). Pearson and entropy use rtol=1e-12: SciPy centres
and sums in another order.

The module runs once more in a subprocess with ``NUMBA_BOUNDSCHECK=1``, so an index out of
range in a helper is an IndexError there, not a silent read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numba
import numpy as np
import pytest

from causepairs.kernels import binning, shared
from causepairs.kernels._validation import as_folds, make_folds
from causepairs.kernels.reference import binning as ref_binning
from causepairs.kernels.reference import shared as ref_shared


def vectors():
    """(id, x): continuous, heavy ties, constant, tiny, one outlier, nearly constant."""
    rng = np.random.default_rng(0)
    out = []
    for n in (1, 2, 3, 7, 50, 301):
        z = rng.standard_normal(n)
        out += [(f"normal-{n}", z), (f"ties-{n}", np.round(z * 2.0)),
                (f"const-{n}", np.full(n, 1.5))]
    out += [("outlier", np.r_[np.zeros(20), 1e12]),
            ("ulps", 1.0 + np.arange(9) * np.finfo(float).eps),
            ("two-ulp", np.array([0.1, np.nextafter(0.1, 1.0)])),
            ("mostly-tied", np.r_[np.zeros(40), np.arange(1.0, 6.0)])]
    return out


VECTORS = vectors()
IDS = [name for name, _ in VECTORS]


@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
def test_quantile_sorted_is_numpys_to_the_bit(x):
    xs = np.sort(x)
    for q in (0.0, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 1.0):
        assert shared.quantile_sorted(xs, q) == np.quantile(xs, q), q
    # outside [0, 1]: the nearer end (one copy used to read before the array for q < 0)
    assert shared.quantile_sorted(xs, -0.5) == xs[0]
    assert shared.quantile_sorted(xs, 1.5) == xs[-1]
    assert shared.quantile_sorted(xs, -0.5) == ref_shared.quantile_sorted(xs, -0.5)


@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
def test_average_ranks_are_scipys(x):
    np.testing.assert_array_equal(shared.average_ranks(x), ref_shared.average_ranks(x))
    ranks = np.empty(len(x))
    order = np.argsort(x, kind="stable")
    shared.average_ranks_by_order(x, order, ranks)
    np.testing.assert_array_equal(ranks, ref_shared.average_ranks(x))


@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
def test_pearson_correlation_is_scipys(x):
    rng = np.random.default_rng(len(x))
    for y in (x + rng.standard_normal(len(x)), -x, rng.permutation(x), np.full(len(x), 2.0)):
        fast = shared.pearson_correlation(x, y)
        slow = ref_shared.pearson_correlation(x, y)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15, equal_nan=True)
        assert np.isnan(fast) or -1.0 <= fast <= 1.0


def test_pearson_correlation_edge_cases():
    assert np.isnan(shared.pearson_correlation(np.zeros(0), np.zeros(0)))
    assert np.isnan(shared.pearson_correlation(np.ones(1), np.ones(1)))
    assert np.isnan(shared.pearson_correlation(np.ones(5), np.arange(5.0)))
    # two points an ulp apart: the mean is not representable, the answer is still exact
    a = np.array([0.1, np.nextafter(0.1, 1.0)])
    assert shared.pearson_correlation(a, np.array([3.0, 1.0])) == -1.0
    assert shared.pearson_correlation(a, a) == 1.0
    # nearly constant: deviations an ulp apart are exactly opposite, so r is exactly 1
    b = 1.0 + np.array([0, 1, 0, 1, 1]) * np.finfo(float).eps
    assert shared.pearson_correlation(b, b) == 1.0


def test_fold_count_counts_dense_fold_ids():
    assert shared.fold_count(np.zeros(0, np.int64)) == ref_shared.fold_count(np.zeros(0)) == 0
    for n, k in ((1, 2), (7, 3), (50, 10), (5, 10)):
        fs = make_folds(n, k, 1)
        assert shared.fold_count(fs) == ref_shared.fold_count(fs) == min(k, n)


def test_entropy_of_counts_is_scipys():
    rng = np.random.default_rng(3)
    cases = [np.array([5]), np.array([0, 3, 0]), np.array([1, 1]), np.array([2, 0, 7, 1]),
             rng.integers(0, 50, 40), np.array([10**9, 1])]
    for counts in cases:
        counts = counts.astype(np.int64)
        n = int(counts.sum())
        np.testing.assert_allclose(shared.entropy_of_counts(counts, n),
                                   ref_shared.entropy_of_counts(counts, n), rtol=1e-12,
                                   atol=1e-15)
    assert shared.entropy_of_counts(np.array([0, 4, 0]), 4) == 0.0
    # float counts (weights) give the same entropy as the integer ones
    assert shared.entropy_of_counts(np.array([2.0, 6.0]), 8.0) == \
        shared.entropy_of_counts(np.array([2, 6]), 8)


@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
def test_unsort_and_run_sorted_restore_the_input_order(x):
    order = np.argsort(x, kind="stable")
    rows = np.arange(2 * len(x), dtype=np.float64).reshape(len(x), 2)
    np.testing.assert_array_equal(shared.unsort(x[order], order), x)
    np.testing.assert_array_equal(shared.unsort(rows, order), ref_shared.unsort(rows, order))
    y = np.arange(len(x), dtype=np.float64)
    for stable in (True, False):
        # the core sees x ascending and y carried along; its result comes back in input order
        out = shared.run_sorted(lambda xs, ys: np.c_[xs, ys], x, y, stable=stable)
        np.testing.assert_array_equal(out, np.c_[x, y])
    sums = shared.run_sorted(lambda xs, c: np.cumsum(xs) + c, x, params=(1.0,))
    np.testing.assert_array_equal(sums, ref_shared.unsort(np.cumsum(x[order]) + 1.0, order))


def test_as_folds_has_one_rule():
    # any integer ids are labels, renumbered 0..K-1 in sorted order
    folds = np.array([5, -7, 5, 2**40, 0])
    np.testing.assert_array_equal(as_folds(folds, 5), [2, 0, 2, 3, 1])
    np.testing.assert_array_equal(as_folds(np.array([0, 2, 2, 4], np.uint8), 4), [0, 1, 1, 2])
    dense = make_folds(30, 4, 0)
    np.testing.assert_array_equal(as_folds(dense, 30), dense)
    assert as_folds(np.zeros(0, np.int64), 0).dtype == np.int64
    with pytest.raises(TypeError, match="integer fold ids"):
        as_folds(np.array([True, False]), 2)
    with pytest.raises(TypeError, match="integer fold ids"):
        as_folds(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="one id per point"):
        as_folds(np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="one-dimensional"):
        as_folds(np.zeros((2, 2), np.int64), 2)


# --------------------------------------------------------------------------------------------
# binning
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
@pytest.mark.parametrize("rule", sorted(binning.RULES), ids=str)
def test_equal_frequency_bins_follow_the_named_rule(x, rule):
    xs = np.sort(x)
    code = binning.RULES[rule]
    for n_bins in (2, 3, 5, 8, 10):
        fast = binning.equal_frequency_bins_sorted(xs, n_bins, code)
        np.testing.assert_array_equal(
            fast, ref_binning.equal_frequency_bins_sorted(xs, n_bins, code), err_msg=rule)
        assert fast.min() >= 0 and fast.max() <= n_bins - 1
        assert (np.diff(fast) >= 0).all()                    # contiguous in sorted order
        assert (fast[1:][xs[1:] == xs[:-1]] == fast[:-1][xs[1:] == xs[:-1]]).all()  # ties


def test_the_rules_differ_where_a_tie_straddles_a_boundary():
    # 4 points into 3 bins; the tie at positions 1..2 has average rank 2.5 (mid_rank: bin
    # floor(3 * 1.5 / 4) = 1), one value below it (rank_below: floor(3 * 1 / 4) = 0), and both
    # edges, 1 and 1.5, at or below it (quantile_edges: bin 2)
    xs = np.array([0.0, 1.0, 1.0, 2.0])
    bins = {name: list(binning.equal_frequency_bins_sorted(xs, 3, code))
            for name, code in binning.RULES.items()}
    assert bins == {"mid_rank": [0, 1, 1, 2], "rank_below": [0, 0, 0, 2],
                    "quantile_edges": [0, 2, 2, 2]}
    assert len(binning.equal_frequency_bins_sorted(np.zeros(0), 4, binning.RANK_BELOW)) == 0


@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
def test_distinct_value_codes(x):
    xs = np.sort(x)
    codes, k = binning.distinct_value_codes_sorted(xs)
    ref_codes, ref_k = ref_binning.distinct_value_codes_sorted(xs)
    np.testing.assert_array_equal(codes, ref_codes)
    assert k == ref_k


@pytest.mark.parametrize("x", [x for _, x in VECTORS], ids=IDS)
def test_equal_width_bins_are_numpy_histograms(x):
    for n_bins in (1, 2, 5, 16):
        lo, hi = x.min(), x.max()
        fast = binning.histogram_bins(x, n_bins, lo, hi)
        np.testing.assert_array_equal(fast, ref_binning.histogram_bins(x, n_bins, lo, hi))
        if hi > lo and hi - lo > 1e-9 * abs(hi):   # NumPy refuses coinciding edges
            np.testing.assert_array_equal(np.bincount(fast, minlength=n_bins),
                                          np.histogram(x, bins=n_bins)[0])
        used = binning.renumber_used(fast, n_bins)
        np.testing.assert_array_equal(used, ref_binning.renumber_used(fast, n_bins))


def test_equal_width_bins_survive_a_range_beyond_float64():
    # hi - lo overflows: the kernel bins the halved values, which give the same bins
    x = np.array([-1.5e308, -1e308, 0.0, 1e308, 1.7e308])
    fast = binning.histogram_bins(x, 4, x.min(), x.max())
    np.testing.assert_array_equal(fast, ref_binning.histogram_bins(x / 2, 4, x.min() / 2,
                                                                      x.max() / 2))


@pytest.mark.skipif(numba.config.BOUNDSCHECK or numba.config.DISABLE_JIT,
                    reason="this is the run with bounds checking (or without JIT)")
def test_this_module_passes_with_bounds_checking():
    cache = Path(tempfile.gettempdir()) / "causepairs-numba-boundscheck-shared"
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("seed", range(4))
def test_argsort_radix_is_a_stable_argsort(seed):
    """Against NumPy's stable argsort: continuous, tied, negative, huge and tiny values, n = 0
    to 2,000 (signed zeros apart: the radix order puts -0.0 before 0.0, see below)."""
    rng = np.random.default_rng(seed)
    for n in (0, 1, 2, 3, 17, 256, 2000):
        for values in (rng.standard_normal(n), np.round(rng.standard_normal(n), 1),
                       rng.choice([-3.5, 1e300, -1e-300, 7.0, 0.0], n),
                       np.full(n, 2.0), rng.standard_normal(n) * 1e-310):
            values = values + 0.0  # -0.0 (from rounding) + 0.0 is 0.0
            np.testing.assert_array_equal(shared.argsort_radix(values),
                                          np.argsort(values, kind="stable"))


def test_argsort_radix_keeps_equal_values_adjacent_with_signed_zeros():
    values = np.array([0.0, -0.0, 1.0, -1.0, 0.0, -0.0])
    order = shared.argsort_radix(values)
    assert list(values[order]) == [-1.0, -0.0, -0.0, 0.0, 0.0, 1.0]
    assert list(order) == [3, 1, 5, 0, 4, 2]
