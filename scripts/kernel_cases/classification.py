"""Benchmark cases: out-of-fold classifiers and classification fit metrics.

The classifiers are timed on a pair whose target is cut into equal-frequency classes (3 or
10), with 10 seeded folds, against scikit-learn's ``cross_val_predict(...,
method="predict_proba")`` with ``PredefinedSplit``: naive Bayes, logistic regression and the
tree against scikit-learn's own estimators on challenge-like rounded data (ties); kNN
against ``KNeighborsClassifier`` on continuous (tie-free) data, where both compute the same
thing; the per-bin frequencies against a NumPy estimator (scikit-learn has none). The
metrics are timed on the out-of-fold probabilities of a binned-frequency model, against one
scikit-learn call per metric.
"""

from __future__ import annotations

import numpy as np

from causepairs.kernels import classification as fast
from causepairs.kernels import classification_metrics as fast_metrics
from causepairs.kernels import make_folds
from causepairs.kernels.reference import classification as ref
from causepairs.kernels.reference import classification_metrics as ref_metrics

from . import BenchCase, challenge_like_pair


def _classes(v: np.ndarray, n_classes: int) -> np.ndarray:
    """Equal-frequency class codes of ``v`` (ties share a class)."""
    return np.searchsorted(np.sort(v), v, side="left") * n_classes // len(v)


def _model_args(n_classes: int, continuous: bool):
    def make_args(n: int, rng: np.random.Generator) -> tuple:
        if continuous:
            x = rng.standard_normal(n)
            y = np.tanh(1.5 * x) + 0.3 * rng.standard_normal(n)
        else:
            x, y = challenge_like_pair(n, rng)
        folds = make_folds(n, 10, seed=int(rng.integers(1 << 31)))
        return x, _classes(y, n_classes), folds
    return make_args


def _with(function, params):
    """``function(x, y, folds)`` with the model's parameters by keyword."""
    return lambda x, y, folds: function(x, y, folds, **params)


def _metric_args(n_classes: int):
    def make_args(n: int, rng: np.random.Generator) -> tuple:
        x, y = challenge_like_pair(n, rng)
        codes = _classes(y, n_classes)
        folds = make_folds(n, 10, seed=int(rng.integers(1 << 31)))
        return codes, fast.oof_bin_frequencies(x, codes, folds, 10, 1.0)
    return make_args


_FAMILY = "oof classification"
# (label, kernel, reference, continuous data?, parameters)
_MODELS = [
    ("bins10", "oof_bin_frequencies", "oof_bin_frequencies", False,
     {"n_bins": 10, "alpha": 1.0}),
    ("knn5", "oof_knn_classification", "oof_knn_classification_sklearn", True,
     {"n_neighbors": 5, "alpha": 0.0}),
    ("knn25", "oof_knn_classification", "oof_knn_classification_sklearn", True,
     {"n_neighbors": 25, "alpha": 0.0}),
    ("naive_bayes", "oof_naive_bayes", "oof_naive_bayes", False, {"var_smoothing": 1e-9}),
    # Against scikit-learn at its default tolerance, not the tight one the tests need.
    ("logistic", "oof_logistic", "oof_logistic_sklearn", False, {"C": 1.0}),
    ("tree2", "oof_classification_tree", "oof_classification_tree", False, {"max_depth": 2}),
    ("tree4", "oof_classification_tree", "oof_classification_tree", False, {"max_depth": 4}),
]

# Every model of the kernel table is timed.
assert {func for _, func, *_ in _MODELS} == set(fast.CORES), "a model without a bench case"

CASES = [
    BenchCase(_FAMILY, f"{label}_k{n_classes}", _with(fast.CORES[func].function, params),
              _with(getattr(ref, ref_func), params), _model_args(n_classes, continuous))
    for n_classes in (3, 10)
    for label, func, ref_func, continuous, params in _MODELS
] + [
    BenchCase("classification metrics", f"all_k{n_classes}",
              fast_metrics.classification_metrics, ref_metrics.classification_metrics,
              _metric_args(n_classes))
    for n_classes in (3, 10)
]
