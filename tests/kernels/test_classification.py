"""Out-of-fold classifiers against their references (scikit-learn's cross_val_predict).

Tolerances:
- bins, kNN, tree: atol 1e-12. Same counts and the same arithmetic; the tree even uses
  scikit-learn's own floating-point expression for the split score.
- naive Bayes: atol 1e-10. Class variances come from fold-total minus fold sums here and
  from a two-pass ``np.var`` in GaussianNB: equal up to rounding.
- logistic: atol 1e-6. Both solve the same convex problem; scikit-learn's lbfgs (tol 1e-12)
  and this Newton solver (stops with ~1e-8 left in the parameters) agree to ~1e-7.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from causepairs.kernels import classification as fast
from causepairs.kernels._validation import make_folds
from causepairs.kernels.reference import classification as ref

# (public function name, parameters, absolute tolerance)
MODELS = [
    ("oof_bin_frequencies", {"n_bins": 4, "alpha": 1.0}, 1e-12),
    ("oof_bin_frequencies", {"n_bins": 10, "alpha": 0.0}, 1e-12),
    ("oof_knn_classification", {"n_neighbors": 1, "alpha": 0.0}, 1e-12),
    ("oof_knn_classification", {"n_neighbors": 5, "alpha": 0.5}, 1e-12),
    ("oof_knn_classification", {"n_neighbors": 15, "alpha": 0.0}, 1e-12),
    ("oof_naive_bayes", {"var_smoothing": 1e-9}, 1e-10),
    ("oof_logistic", {"C": 1.0}, 1e-6),
    ("oof_logistic", {"C": 0.05}, 1e-6),
    ("oof_classification_tree", {"max_depth": 1}, 1e-12),
    ("oof_classification_tree", {"max_depth": 3}, 1e-12),
]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """scikit-learn's lbfgs calls BLAS; on shared cores its thread pool oversubscribes."""
    with threadpool_limits(limits=1):
        yield


MODEL_IDS = [f"{name[4:]}-{'-'.join(f'{k}{v}' for k, v in params.items())}"
             for name, params, _ in MODELS]


def make_pair(kind: str, n: int, n_classes: int, seed: int):
    """A numeric input and class labels that depend on it (noisily)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    if kind == "continuous":
        x = z
    elif kind == "fine":  # challenge-like rounding: few ties
        x = np.round(z * 10000)
    elif kind == "coarse":  # many ties
        x = np.round(z * 3)
    elif kind == "constant":
        x = np.full(n, 7.0)
    else:
        raise ValueError(kind)
    latent = z + 0.7 * rng.standard_normal(n)
    labels = np.searchsorted(np.sort(latent), latent) * n_classes // n
    if len(np.unique(labels)) < 2 and n >= 2:
        labels[: n // 2] = 0
        labels[n // 2:] = 1
    return x, labels


def compare(name, params, atol, x, y, folds):
    got = getattr(fast, name)(x, y, folds, **params)
    want = getattr(ref, name)(x, y, folds, **params)
    assert got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=atol)
    return got


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize("kind", ["continuous", "fine", "coarse"])
def test_matches_reference_10_fold(model, kind):
    name, params, atol = model
    for n, n_classes, seed in [(17, 2, 0), (200, 3, 1), (200, 5, 2)]:
        x, y = make_pair(kind, n, n_classes, seed)
        got = compare(name, params, atol, x, y, make_folds(n, 10, seed))
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize("n", [2, 3, 5, 17])
def test_matches_reference_small_and_leave_one_out(model, n):
    name, params, atol = model
    for kind, seed in [("continuous", 3), ("coarse", 4)]:
        x, y = make_pair(kind, n, 3 if n >= 5 else 2, seed)
        compare(name, params, atol, x, y, make_folds(n, n, seed))  # leave-one-out
        if n >= 4:
            compare(name, params, atol, x, y, make_folds(n, 2, seed))


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_constant_input_matches_reference(model):
    name, params, atol = model
    x, y = make_pair("constant", 40, 3, 5)
    got = compare(name, params, atol, x, y, make_folds(40, 5, 5))
    assert np.isfinite(got).all()


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_both_directions(model):
    """f(x -> classes of y) and f(y -> classes of x) on the same challenge-like pair."""
    name, params, atol = model
    rng = np.random.default_rng(6)
    z = rng.standard_normal(150)
    a = np.round(z * 10000)
    b = np.round((np.tanh(1.5 * z) + 0.3 * rng.standard_normal(150)) * 10000)
    folds = make_folds(150, 10, 6)
    for inp, target in [(a, b), (b, a)]:
        classes = np.searchsorted(np.sort(target), target) * 4 // 150
        compare(name, params, atol, inp, classes, folds)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_class_missing_from_a_training_fold(model):
    """A class seen in one fold only: probability 0 there (or the smoothing), as in the
    reference; for the logistic model the remaining two classes make a binary fit."""
    name, params, atol = model
    x, y = make_pair("continuous", 60, 2, 7)
    folds = make_folds(60, 4, 7)
    y = y.copy()
    y[np.flatnonzero(folds == 2)[:3]] = 2
    got = compare(name, params, atol, x, y, folds)
    if name in ("oof_naive_bayes", "oof_logistic", "oof_classification_tree"):
        assert np.all(got[folds == 2, 2] == 0.0)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_degenerate_inputs_give_nan(model):
    name, params, _ = model
    func = getattr(fast, name)
    x, y = make_pair("continuous", 30, 3, 8)
    folds = make_folds(30, 5, 8)
    for bad in (np.nan, np.inf, -np.inf):
        xb = x.copy()
        xb[4] = bad
        out = func(xb, y, folds, **params)
        assert out.shape == (30, 3) and np.isnan(out).all()
    yb = y.astype(float)
    yb[0] = np.nan
    out = func(x, yb, folds, **params)
    assert out.shape == (30, 3) and np.isnan(out).all()
    out = func(x, np.full(30, 4), folds, **params)  # a single class
    assert out.shape == (30, 1) and np.isnan(out).all()
    out = func(x[:1], y[:1], np.zeros(1, dtype=np.int64), **params)
    assert out.shape == (1, 1) and np.isnan(out).all()
    out = func(np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
               **params)
    assert out.size == 0
    # Every point in one fold: no training set anywhere.
    out = func(x, y, np.zeros(30, dtype=np.int64), **params)
    assert np.isnan(out).all()


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_order_and_label_invariance(model):
    """Permuting the points permutes the rows (ties included); fold ids and class labels
    only matter through their order."""
    name, params, _ = model
    func = getattr(fast, name)
    x, y = make_pair("coarse", 80, 3, 9)
    folds = make_folds(80, 8, 9)
    base = func(x, y, folds, **params)
    perm = np.random.default_rng(9).permutation(80)
    np.testing.assert_allclose(func(x[perm], y[perm], folds[perm], **params), base[perm],
                               rtol=0, atol=1e-12)
    fold_ids = 10**12 + 3 * folds  # large ids: renumbered by sorting
    for labels in (np.array(["a", "b", "c"])[y], 10**12 + 5 * y, (y - 1.5).astype(float),
                   y.astype(np.uint8)):
        np.testing.assert_array_equal(func(x, labels, fold_ids, **params), base)
    binary = y == 2
    np.testing.assert_array_equal(func(x, binary, folds, **params),
                                  func(x, binary.astype(int), folds, **params))


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_core_on_sorted_data(model):
    """The core of the model's CORES entry, called as the factory does, returns the
    sorted-order rows."""
    name, params, _ = model
    x, y = make_pair("fine", 50, 3, 10)
    folds = make_folds(50, 5, 10)
    order = np.argsort(x, kind="stable")
    entry = fast.CORES[name]
    got = entry.core(x[order], y[order].astype(np.int64), folds[order], 3,
                     *entry.core_args(**params))
    np.testing.assert_array_equal(got, getattr(fast, name)(x, y, folds, **params)[order])


def _sklearn_oof(estimator, x, y, folds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cross_val_predict(estimator, x[:, None], y, cv=PredefinedSplit(folds),
                                 method="predict_proba")


@pytest.mark.parametrize("seed", range(3))
def test_knn_and_naive_bayes_match_scikit_learn_directly(seed):
    """On tie-free data the naive kNN reference is KNeighborsClassifier itself, and the
    naive Bayes kernel is GaussianNB (no constant training fold here)."""
    x, y = make_pair("continuous", 120, 3, seed)
    folds = make_folds(120, 6, seed)
    for k in (1, 4, 9):
        np.testing.assert_allclose(fast.oof_knn_classification(x, y, folds, k),
                                   _sklearn_oof(KNeighborsClassifier(k), x, y, folds),
                                   rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.oof_naive_bayes(x, y, folds),
                               _sklearn_oof(GaussianNB(), x, y, folds), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.oof_classification_tree(x, y, folds, 4),
                               _sklearn_oof(DecisionTreeClassifier(max_depth=4), x, y, folds),
                               rtol=0, atol=1e-12)


def test_knn_tie_rule_by_hand():
    """Query 0.0 with training values -1 (class 0), 1 (class 1), 1 (class 1), 5 (class 0)
    and k = 2: three points tie at distance 1 and share the 2 places equally."""
    x = np.array([0.0, -1.0, 1.0, 1.0, 5.0])
    y = np.array([0, 0, 1, 1, 0])
    folds = np.array([0, 1, 1, 1, 1])
    out = fast.oof_knn_classification(x, y, folds, 2)
    np.testing.assert_allclose(out[0], [1 / 3, 2 / 3])


def test_bins_never_split_ties_and_fall_back_when_empty():
    # Values 0 (x4) and 1 (x4): with 4 bins, the two tie groups get bins 0 and 2.
    x = np.array([0.0, 0, 0, 0, 1, 1, 1, 1])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    folds = np.array([0, 1, 1, 1, 0, 0, 0, 0])
    out = fast.oof_bin_frequencies(x, y, folds, n_bins=4, alpha=0.0)
    np.testing.assert_allclose(out[0], [2 / 3, 1 / 3])
    # Fold 1's points have the bin of value 1 empty of training points: the training
    # fold's overall frequencies apply.
    folds = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    out = fast.oof_bin_frequencies(x, y, folds, n_bins=4, alpha=1.0)
    np.testing.assert_allclose(out[4], [(3 + 1) / (4 + 2), (1 + 1) / (4 + 2)])


def test_naive_bayes_constant_training_fold_predicts_priors():
    x = np.array([1.0, 1, 1, 1, 2, 3])
    y = np.array([0, 1, 1, 0, 1, 0])
    folds = np.array([0, 0, 0, 0, 1, 1])
    out = fast.oof_naive_bayes(x, y, folds)
    np.testing.assert_allclose(out[4], [0.5, 0.5])
    np.testing.assert_allclose(out, ref.oof_naive_bayes(x, y, folds), atol=1e-12)


def test_invalid_arguments_raise():
    x, y = make_pair("continuous", 20, 2, 11)
    folds = make_folds(20, 4, 11)
    with pytest.raises(ValueError, match="same length"):
        fast.oof_naive_bayes(x, y[:-1], folds)
    with pytest.raises(ValueError, match="one id per point"):
        fast.oof_naive_bayes(x, y, folds[:-1])
    with pytest.raises(TypeError, match="integer fold ids"):
        fast.oof_naive_bayes(x, y, folds.astype(float))
    with pytest.raises(TypeError, match="integer fold ids"):
        fast.oof_naive_bayes(x, y, folds == 0)
    # fold ids are only labels (the one rule of _validation.as_folds): shifted ids, same folds
    np.testing.assert_array_equal(fast.oof_naive_bayes(x, y, folds - 1),
                                  fast.oof_naive_bayes(x, y, folds))
    with pytest.raises(ValueError, match="one-dimensional"):
        fast.oof_naive_bayes(x[:, None], y, folds)
    with pytest.raises(ValueError, match="n_bins"):
        fast.oof_bin_frequencies(x, y, folds, n_bins=0)
    with pytest.raises(ValueError, match="n_neighbors"):
        fast.oof_knn_classification(x, y, folds, n_neighbors=0)
    with pytest.raises(ValueError, match="alpha"):
        fast.oof_knn_classification(x, y, folds, alpha=-1.0)
    with pytest.raises(ValueError, match="C must be"):
        fast.oof_logistic(x, y, folds, C=0.0)
    with pytest.raises(ValueError, match="max_depth"):
        fast.oof_classification_tree(x, y, folds, max_depth=0)
    with pytest.raises(ValueError, match="var_smoothing"):
        fast.oof_naive_bayes(x, y, folds, var_smoothing=-1.0)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_core_with_a_class_absent_from_the_data(model):
    """The factory may pass codes 0..k-1 with some code unused: that column is 0 (or the
    smoothing) and the others are the fit on the classes present."""
    name, params, atol = model
    rng = np.random.default_rng(12)
    x = np.sort(np.round(rng.standard_normal(60) * 3))
    y = (x > 0).astype(np.int64) * 2 + (x > 2)  # codes 0, 2, 3: code 1 unused
    folds = make_folds(60, 5, 12)
    entry = fast.CORES[name]
    got = entry.core(x, y, folds, 4, *entry.core_args(**params))
    want = getattr(ref, name)(x, y, folds, **params)  # as_codes: 3 classes
    if params.get("alpha", 0.0) == 0.0:
        np.testing.assert_allclose(got[:, [0, 2, 3]], want, rtol=0, atol=atol)
        assert np.all(got[:, 1] == 0.0)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)


def _knn_cases():
    """Sorted inputs with their folds: continuous, heavily tied, rounded, constant, n = 2,
    a single fold (no training points), leave-one-out and NaN."""
    rng = np.random.default_rng(11)
    cases = []
    for n, decimals, n_folds in [(300, None, 10), (200, 0, 5), (150, 1, 3), (2, None, 2),
                                 (40, None, 1), (25, 2, 25)]:
        x = rng.standard_normal(n)
        if decimals is not None:
            x = np.round(x, decimals)
        cases.append((np.sort(x), make_folds(n, n_folds, 0) if n_folds > 1
                      else np.zeros(n, dtype=np.int64)))
    cases.append((np.full(30, 2.5), make_folds(30, 3, 1)))
    nan_x = np.sort(rng.standard_normal(20))
    nan_x[7] = np.nan
    cases.append((nan_x, make_folds(20, 4, 2)))
    return cases


@pytest.mark.parametrize("n_neighbors", [1, 5, 15, 50])
def test_knn_plan_replay_is_bitwise_the_direct_core(n_neighbors):
    """The factory's shared neighbour plan, replayed per target, must give exactly what the
    direct core gives (the same weights added in the same order), for several targets of
    one input."""
    rng = np.random.default_rng(n_neighbors)
    for xs, fs in _knn_cases():
        plan = fast.knn_neighbour_plan(xs, fs, n_neighbors)
        for k in (2, 3, 7):
            codes = rng.integers(0, k, len(xs)).astype(np.int64)
            for alpha in (0.0, 1.0):
                direct = fast.CORES["oof_knn_classification"].core(xs, codes, fs, k,
                                                                   n_neighbors, alpha)
                replayed = fast.knn_plan_class_shares(codes, fs, k, plan, alpha)
                np.testing.assert_array_equal(replayed, direct)
