"""Kernels against their references on the inputs random continuous data never produces.

Property-based (hypothesis, few examples, no deadline): small samples drawn from a handful of
values, so ties, constants, n = 2 and tied category counts are the common case. Each property
is a kernel and its slow reference agreeing, or a kernel's documented rule for bad values.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causepairs.kernels import classification as C
from causepairs.kernels import conversions as conv
from causepairs.kernels import regression as K
from causepairs.kernels.reference import classification as RC
from causepairs.kernels.reference import conversions as ref_conv
from causepairs.kernels.reference import regression as R

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)

# A few values (heavy ties) and fold counts that leave folds empty or single.
few_values = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, 7.0])


@st.composite
def tied_pairs(draw, min_n=2, max_n=24):
    n = draw(st.integers(min_n, max_n))
    x = np.array(draw(st.lists(few_values, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n)))
    n_folds = draw(st.integers(1, n))
    folds = np.array(draw(st.lists(st.integers(0, n_folds - 1), min_size=n, max_size=n)))
    return x, y, folds


labels = st.lists(st.integers(-3, 5), min_size=1, max_size=40).map(np.array)


@SETTINGS
@given(labels)
def test_one_hot_pca1_matches_the_eigensolver_on_any_counts(codes):
    # ties for the largest count (2, 3, all) included: the kernel's tie rule and the
    # reference's projection onto the leading eigenspace must agree
    fast = conv.one_hot_pca1(codes)
    slow = ref_conv.one_hot_pca1(codes)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    if len(np.unique(codes)) >= 2:
        assert np.isfinite(fast).all()
        assert abs(fast.mean()) < 1e-12  # centred
        # unit axis: the per-category scores have norm 1 over the distinct categories
        _, first = np.unique(codes, return_index=True)
        counts = np.unique(codes, return_counts=True)[1]
        top = counts == counts.max()
        if top.sum() > 1:
            assert np.linalg.norm(fast[first]) == pytest.approx(1.0)


@pytest.mark.parametrize("codes", [np.arange(7), np.repeat(np.arange(4), 3),
                                   np.r_[np.repeat([0, 1, 2], 5), [3, 3]]])
def test_one_hot_pca1_tie_rule_is_the_reference_rule(codes):
    np.testing.assert_allclose(conv.one_hot_pca1(codes), ref_conv.one_hot_pca1(codes),
                               rtol=1e-9, atol=1e-12)


@SETTINGS
@given(tied_pairs())
def test_exact_regression_models_match_references_on_ties(pair):
    x, y, folds = pair
    for name, params in (("oof_knn_regression", {"k": 1}), ("oof_knn_regression", {"k": 3}),
                         ("oof_knn_regression", {"k": 30}), ("oof_isotonic", {}),
                         ("oof_binned_means", {"n_bins": 3}),
                         ("oof_tree_regression", {"max_depth": 2})):
        fast = getattr(K, name)(x, y, folds, **params)
        slow = getattr(R, name)(x, y, folds, **params)
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10, equal_nan=True,
                                   err_msg=f"{name} {params}")


@SETTINGS
@given(tied_pairs(min_n=2, max_n=16))
def test_bin_frequencies_match_reference_on_ties(pair):
    x, y, folds = pair
    codes = np.floor(np.abs(y)).astype(np.int64)
    for n_bins in (2, 5):
        fast = C.oof_bin_frequencies(x, codes, folds, n_bins=n_bins, alpha=1.0)
        slow = RC.oof_bin_frequencies(x, codes, folds, n_bins=n_bins, alpha=1.0)
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12, equal_nan=True)


# every model of the kernel tables
REGRESSION_MODELS = sorted(K.CORES)
CLASSIFICATION_MODELS = sorted(C.CORES)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["x", "y", "all"])
def test_non_finite_inputs_give_nan_predictions_for_every_model(bad, where):
    # the audit's crash: a NaN input walked the kNN core past the end of its array
    n = 40
    x = np.arange(n, dtype=float)
    y = np.sin(x)
    folds = np.arange(n) % 5
    if where in ("x", "all"):
        x = np.full(n, bad) if where == "all" else np.r_[x[:-1], bad]
    if where == "y":
        y = np.r_[bad, y[1:]]
    for name in REGRESSION_MODELS:
        assert np.isnan(getattr(K, name)(x, y, folds)).all(), name
    codes = (np.arange(n) % 3).astype(np.int64)
    if where != "y":
        for name in CLASSIFICATION_MODELS:
            assert np.isnan(getattr(C, name)(x, codes, folds)).all(), name


@pytest.mark.parametrize("k", [1, 5, 15, 50])
def test_knn_regression_core_never_walks_past_its_ends_on_nan(k):
    # the sorted core is called directly by the factory; with NaN distances it must stay in
    # range (under NUMBA_BOUNDSCHECK=1 in tests/test_adversarial.py this raises if not)
    core = K.CORES["oof_knn_regression"].core
    for n in (2, 3, 12, 60):
        xs = np.full(n, np.nan)
        ys = np.arange(n, dtype=float)
        fs = (np.arange(n) % 5).astype(np.int64)
        out = core(xs, ys, fs, k)
        assert out.shape == (n,)
        xs = np.r_[np.arange(n - 1, dtype=float), np.nan]
        core(xs, ys, fs, k)
