"""Conversion kernels against their references (causepairs.kernels.reference.conversions),
against scikit-learn/SciPy/pandas where an exact equivalent exists, and on edge cases.

Tolerances: codes, ranks, frequencies and ordinal codes are compared exactly (integer
arithmetic, or one correctly rounded division of the same exact numbers). ``standardise`` uses
rtol=atol=1e-12: NumPy's pairwise summation and the kernel's loop round the mean differently.
``one_hot_pca1`` uses rtol=1e-9, atol=1e-12: the kernel solves a secular equation, the reference
a dense eigenproblem, both accurate to ~1e-14 relative. k-means objective values use rtol=1e-9 for the same
reason (prefix-sum costs); codes are compared exactly only where the optimum is unique.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from causepairs.kernels import conversions as fast
from causepairs.kernels.reference import conversions as ref

NS = (2, 3, 5, 17, 200)
SEEDS = (0, 1)
BINNERS = ("equal_frequency_bins", "equal_width_bins", "kmeans_bins")
CATEGORICAL = ("one_hot_pca1", "frequency_encoding", "ordinal_codes")
VIEWS = ("rank_uniform", "standardise")


def numeric_inputs():
    """(id, x): continuous, challenge-rounded (few ties), coarse (many ties), skewed."""
    out = []
    for seed, n in itertools.product(SEEDS, NS):
        rng = np.random.default_rng(seed)
        z = rng.standard_normal(n)
        out += [(f"normal-{n}-{seed}", z),
                (f"x10000-{n}-{seed}", np.round(z * 10000)),
                (f"coarse-{n}-{seed}", np.round(z * 3)),
                (f"expon-{n}-{seed}", np.round(rng.exponential(size=n) * 2))]
    return out


NUMERIC = numeric_inputs()
NUMERIC_IDS = [name for name, _ in NUMERIC]


def label_inputs():
    out = []
    for seed, n in itertools.product(SEEDS, NS):
        rng = np.random.default_rng(seed)
        out += [(f"int4-{n}-{seed}", rng.integers(0, 4, n)),
                (f"binary-{n}-{seed}", rng.integers(0, 2, n)),
                (f"skewed-{n}-{seed}", np.floor(rng.exponential(size=n) * 3).astype(np.int64)),
                (f"floats-{n}-{seed}", np.round(rng.standard_normal(n) * 2) / 2)]
    return out


LABELS = label_inputs()
LABEL_IDS = [name for name, _ in LABELS]


def check_codes_valid(x, codes, k):
    """Codes are 0..k'-1 with k' <= k, non-decreasing in x, equal x -> equal code."""
    assert codes.dtype == np.int64 and codes.shape == x.shape
    if len(x) == 0:
        return
    used = np.unique(codes)
    assert np.array_equal(used, np.arange(len(used))) and len(used) <= k
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(codes[order]) >= 0)
    for v in np.unique(x):
        assert len(np.unique(codes[x == v])) == 1


# --------------------------------------------------------------------------------------------
# numeric -> categorical
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["equal_frequency_bins", "equal_width_bins"])
@pytest.mark.parametrize("x", [x for _, x in NUMERIC], ids=NUMERIC_IDS)
def test_quantile_and_width_bins_match_reference(name, x):
    for k in (2, 3, 5, 10, 20):
        codes = getattr(fast, name)(x, k)
        np.testing.assert_array_equal(codes, getattr(ref, name)(x, k))
        check_codes_valid(x, codes, k)


@pytest.mark.parametrize("x", [x for _, x in NUMERIC], ids=NUMERIC_IDS)
def test_kmeans_matches_reference_optimum(x):
    tie_free = len(np.unique(x)) == len(x)
    for k in (2, 5, 20):
        codes = fast.kmeans_bins(x, k)
        expected = ref.kmeans_bins(x, k)
        check_codes_valid(x, codes, k)
        assert len(np.unique(codes)) == min(k, len(np.unique(x)))
        # Same optimal cost always; same partition when the data cannot produce two partitions
        # of equal cost (continuous data). Rounded data can (0, 1, 2 with k=2), and then the
        # two programmes may legitimately break the tie differently by rounding.
        np.testing.assert_allclose(ref.kmeans_cost(x, codes), ref.kmeans_cost(x, expected),
                                   rtol=1e-9, atol=1e-9)
        if tie_free and x.dtype == np.float64 and not np.all(x == np.round(x)):
            np.testing.assert_array_equal(codes, expected)


def test_kmeans_is_globally_optimal_by_enumeration():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = np.round(rng.standard_normal(8) * 4)
        d = len(np.unique(x))
        for k in (2, 3):
            if d <= k:
                continue
            codes = fast.kmeans_bins(x, k)
            values = np.unique(x)
            best = np.inf
            for cuts in itertools.combinations(range(1, d), k - 1):
                labels = np.searchsorted(np.array(cuts), np.arange(d), side="right")
                best = min(best, ref.kmeans_cost(x, labels[np.searchsorted(values, x)]))
            assert ref.kmeans_cost(x, codes) == pytest.approx(best, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("k", [2, 4, 7])
def test_kmeans_agrees_with_sklearn_on_separated_clusters(k):
    rng = np.random.default_rng(k)
    centres = np.arange(k) * 10.0
    x = np.concatenate([rng.normal(c, 1.0, 40) for c in centres])
    rng.shuffle(x)
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x[:, None])
    # sklearn's labels are arbitrary; renumber its clusters by their mean
    rank_of_label = np.argsort(np.argsort(km.cluster_centers_[:, 0]))
    np.testing.assert_array_equal(fast.kmeans_bins(x, k), rank_of_label[km.labels_])


def test_kmeans_keeps_ties_together_and_symmetric_tie_rule():
    # 0, 1, 2 with k=2: {0}{1,2} and {0,1}{2} cost the same; the earliest split wins.
    np.testing.assert_array_equal(fast.kmeans_bins([2.0, 0.0, 1.0], 2), [1, 0, 1])
    x = np.array([5.0, 5.0, 5.0, 6.0, 100.0, 100.0])
    np.testing.assert_array_equal(fast.kmeans_bins(x, 2), [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(fast.kmeans_bins(x, 20), [0, 0, 0, 1, 2, 2])


def test_equal_width_bins_agree_with_numpy_histogram():
    rng = np.random.default_rng(7)
    for x in (rng.standard_normal(500), np.round(rng.standard_normal(500) * 3)):
        for k in (3, 10, 20):
            counts, _ = np.histogram(x, bins=k)
            codes = fast.equal_width_bins(x, k)
            np.testing.assert_array_equal(np.bincount(codes), counts[counts > 0])


def test_equal_frequency_rule_on_small_examples():
    # ranks 1..10, k=5 -> bins floor(5 * (r - 1) / 10): two points per bin
    np.testing.assert_array_equal(fast.equal_frequency_bins(np.arange(10.0), 5),
                                  np.repeat(np.arange(5), 2))
    # a tie group of 6 out of 8 (average rank 3.5 -> bin floor(4 * 2.5 / 8) = 1)
    x = np.array([0.0, 1, 1, 1, 1, 1, 1, 2])
    np.testing.assert_array_equal(fast.equal_frequency_bins(x, 4), [0, 1, 1, 1, 1, 1, 1, 2])
    # the bins agree with quantile bins (pd.qcut) on tie-free data when n is a multiple of k
    z = np.random.default_rng(0).standard_normal(200)
    np.testing.assert_array_equal(fast.equal_frequency_bins(z, 8), pd.qcut(z, 8, labels=False))


@pytest.mark.parametrize("name", BINNERS)
def test_binning_edge_cases(name):
    f = getattr(fast, name)
    np.testing.assert_array_equal(f(np.full(7, 3.5), 4), np.zeros(7, dtype=np.int64))
    np.testing.assert_array_equal(f([2.0], 3), [0])
    assert f(np.zeros(0), 3).shape == (0,)
    for bad in (np.nan, np.inf, -np.inf):
        x = np.array([1.0, 2.0, bad, 4.0])
        np.testing.assert_array_equal(f(x, 3), np.full(4, fast.MISSING_CODE))
    for n in (2, 3, 4, 5):
        x = np.arange(n, dtype=float)[::-1]
        np.testing.assert_array_equal(f(x, 2), getattr(ref, name)(x, 2))
    huge = np.array([-1e308, 1e308, 0.0, 5e307, 9e307])
    np.testing.assert_array_equal(f(huge, 3), getattr(ref, name)(huge, 3))
    expected = {"equal_frequency_bins": [0, 2, 0, 1, 1], "equal_width_bins": [0, 2, 1, 2, 2],
                "kmeans_bins": [0, 2, 1, 1, 2]}[name]
    np.testing.assert_array_equal(f(huge, 3), expected)  # no overflow to NaN/garbage
    # integer and boolean inputs are numbers too
    np.testing.assert_array_equal(f(np.array([3, 1, 2]), 3), [2, 0, 1])
    np.testing.assert_array_equal(f(np.array([True, False, True]), 2), [1, 0, 1])


@pytest.mark.parametrize("name", BINNERS)
def test_binning_bad_arguments_raise(name):
    f = getattr(fast, name)
    with pytest.raises(ValueError, match="k must be >= 2"):
        f(np.arange(5.0), 1)
    with pytest.raises(TypeError, match="k must be an integer"):
        f(np.arange(5.0), 2.5)
    with pytest.raises(ValueError, match="one-dimensional"):
        f(np.zeros((3, 2)), 2)
    with pytest.raises(TypeError, match="numbers"):
        f(np.array(["a", "b"]), 2)


@pytest.mark.parametrize("name", BINNERS + VIEWS)
def test_numeric_conversions_do_not_depend_on_order(name):
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal(200) * 3)
    perm = rng.permutation(200)
    args = (5,) if name in BINNERS else ()
    # exact except standardise, whose sums round differently in another order
    np.testing.assert_allclose(getattr(fast, name)(x[perm], *args),
                               getattr(fast, name)(x, *args)[perm], rtol=1e-13, atol=1e-13)


# --------------------------------------------------------------------------------------------
# categorical -> numeric
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CATEGORICAL)
@pytest.mark.parametrize("labels", [lab for _, lab in LABELS], ids=LABEL_IDS)
def test_categorical_conversions_match_reference(name, labels):
    np.testing.assert_allclose(getattr(fast, name)(labels), getattr(ref, name)(labels),
                               rtol=1e-9, atol=1e-12, equal_nan=True)


def test_one_hot_pca1_matches_sklearn_pca():
    rng = np.random.default_rng(5)
    for k in (2, 3, 6):
        labels = rng.choice(k, size=300, p=np.arange(1, k + 1) / np.arange(1, k + 1).sum())
        counts = np.bincount(labels)
        if np.sum(counts == counts.max()) > 1:
            continue
        onehot = np.eye(k)[labels]
        expected = PCA(n_components=1).fit_transform(onehot)[:, 0]
        if expected[labels == np.argmax(counts)][0] < 0:
            expected = -expected
        np.testing.assert_allclose(fast.one_hot_pca1(labels), expected, rtol=1e-9, atol=1e-12)


def test_one_hot_pca1_tie_and_degenerate_rules():
    r = 1 / np.sqrt(2)
    # two categories tied for the largest count: +-1/sqrt2 by label order, others 0
    np.testing.assert_allclose(fast.one_hot_pca1([7, 3, 7, 3, 5]), [-r, r, -r, r, 0.0])
    np.testing.assert_allclose(fast.one_hot_pca1([1, 0]), [-r, r])
    # three or more tied for the largest count: the leading eigenspace is not one axis; the
    # rule takes its unit vector closest to the descending code order (mean tied code - code)
    np.testing.assert_allclose(fast.one_hot_pca1([0, 1, 2, 0, 1, 2]), [r, 0, -r, r, 0, -r])
    np.testing.assert_allclose(fast.one_hot_pca1([5, 9, 9, 7, 5, 7, 2]),
                               [r, -r, -r, 0, r, 0, 0])
    distinct = fast.one_hot_pca1([3.5, -1.0, 0.25, 8.0])  # all distinct: linear in the code
    np.testing.assert_allclose(distinct, np.array([-0.5, 1.5, 0.5, -1.5]) / np.sqrt(5))
    # one category: no variance -> NaN
    assert np.isnan(fast.one_hot_pca1([4, 4, 4])).all()
    assert np.isnan(fast.one_hot_pca1([4])).all()
    assert fast.one_hot_pca1(np.zeros(0, dtype=int)).shape == (0,)
    # binary with shares a > 1/2: score sqrt2 (1 - a) for the larger class, -sqrt2 a otherwise
    np.testing.assert_allclose(fast.one_hot_pca1([0, 0, 0, 1, 1]),
                               np.sqrt(2) * np.array([0.4, 0.4, 0.4, -0.6, -0.6]))
    # the largest category is positive; scores depend on counts, not on label values
    a = fast.one_hot_pca1(["b", "a", "a", "c", "a", "b"])
    b = fast.one_hot_pca1([1, 9, 9, 0, 9, 1])
    np.testing.assert_allclose(a, b)
    assert a[1] > 0


@pytest.mark.parametrize("name", CATEGORICAL)
def test_categorical_non_finite_labels_give_nan(name):
    for bad in (np.nan, np.inf):
        out = getattr(fast, name)(np.array([1.0, bad, 2.0]))
        assert out.shape == (3,) and np.isnan(out).all()
        ref_out = getattr(ref, name)(np.array([1.0, bad, 2.0]))
        assert np.isnan(ref_out).all()
    with pytest.raises(ValueError, match="one-dimensional"):
        getattr(fast, name)(np.zeros((2, 2)))


def test_frequency_and_ordinal_against_pandas():
    labels = np.array(["x", "y", "x", "z", "x", "y"])
    s = pd.Series(labels)
    np.testing.assert_array_equal(fast.frequency_encoding(labels),
                                  s.map(s.value_counts(normalize=True)).to_numpy())
    np.testing.assert_array_equal(fast.ordinal_codes(labels),
                                  pd.Categorical(labels).codes.astype(float))
    np.testing.assert_array_equal(fast.frequency_encoding([3, 3, 3]), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(fast.ordinal_codes([3, 3, 3]), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(fast.ordinal_codes([2.5, -1.0, 2.5]), [1.0, 0.0, 1.0])


# --------------------------------------------------------------------------------------------
# numeric views
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x", [x for _, x in NUMERIC], ids=NUMERIC_IDS)
def test_views_match_reference(x):
    np.testing.assert_array_equal(fast.rank_uniform(x), ref.rank_uniform(x))
    np.testing.assert_array_equal(fast.rank_uniform(x),
                                  (scipy.stats.rankdata(x) - 0.5) / len(x))
    np.testing.assert_allclose(fast.standardise(x), ref.standardise(x), rtol=1e-12, atol=1e-12,
                               equal_nan=True)


def test_views_edge_cases():
    np.testing.assert_array_equal(fast.rank_uniform([4.0, 4.0, 4.0]), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(fast.rank_uniform([2.0, 1.0]), [0.75, 0.25])
    np.testing.assert_array_equal(fast.rank_uniform([1.0, 2.0, 2.0, 3.0]),
                                  [0.125, 0.5, 0.5, 0.875])
    assert np.isnan(fast.standardise([4.0, 4.0, 4.0])).all()
    assert np.isnan(fast.standardise([4.0])).all()
    np.testing.assert_allclose(fast.standardise([1.0, 3.0]), [-1.0, 1.0])
    for f in (fast.rank_uniform, fast.standardise):
        assert f(np.zeros(0)).shape == (0,)
        for bad in (np.nan, np.inf):
            out = f(np.array([1.0, bad, 3.0]))
            assert out.shape == (3,) and np.isnan(out).all()
        with pytest.raises(ValueError, match="one-dimensional"):
            f(np.zeros((2, 2)))
    z = fast.standardise(np.random.default_rng(0).standard_normal(100) * 1e4 + 5e6)
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12


def test_cores_table_as_the_factory_calls_it():
    """The factory calls each CORES entry's core with ``x[order]`` where ``sorted_input`` (the
    result comes back sorted) and with ``x`` itself otherwise."""
    x = np.round(np.random.default_rng(2).standard_normal(50) * 3)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    for name, entry in fast.CORES.items():
        params = {"k": 4} if entry.params else {}
        want = entry.function(x, **params)
        if entry.sorted_input:
            np.testing.assert_array_equal(entry.core(xs, *entry.core_args(**params)),
                                          want[order], err_msg=name)
        else:
            np.testing.assert_array_equal(entry.core(x, *entry.core_args(**params)), want,
                                          err_msg=name)


def test_fast_label_coding_equals_as_codes():
    """The private small-integer path of the categorical wrappers gives ``as_codes``' result."""
    from causepairs.kernels._validation import as_codes
    rng = np.random.default_rng(6)
    for arr in (rng.integers(-5, 5, 100), rng.integers(0, 2, 7).astype(bool),
                np.round(rng.standard_normal(50) * 2), np.round(rng.standard_normal(50) * 2) / 2,
                rng.integers(0, 10**9, 20), np.array([3], dtype=np.uint8),
                np.array([-0.0, 0.0, 1.0]), np.array([2**62, -2**62]),
                np.array([2**64 - 1, 2**64 - 3], dtype=np.uint64), np.array([1e300, -1e300]),
                np.array([127, -128, 0], dtype=np.int8), np.array(["b", "a"])):
        codes, k = fast._labels_to_codes(arr)
        expected_codes, expected_k = as_codes(arr)
        assert codes.dtype == np.int64 and k == expected_k
        np.testing.assert_array_equal(codes, expected_codes)
