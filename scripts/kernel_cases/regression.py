"""Benchmark cases: out-of-fold regression models and regression fit metrics.

Every model is timed against scikit-learn's ``cross_val_predict`` with ``PredefinedSplit`` on the
same 10 folds. kNN is timed against scikit-learn's own ``KNeighborsRegressor`` on continuous
(tie-free) data, where both compute the same thing; the other models run on challenge-like
rounded data (ties), against a scikit-learn/SciPy estimator where one is equivalent (linear,
polynomial, isotonic, tree, boosting, smoothing spline) and a NumPy estimator otherwise
(Nadaraya-Watson with all weights, binned means).
"""

from __future__ import annotations

import numpy as np

from causepairs.kernels import regression as fast
from causepairs.kernels import make_folds
from causepairs.kernels.reference import regression as ref
from causepairs.kernels.reference import regression_metrics as ref_metrics
from causepairs.kernels.regression_metrics import regression_metrics

from . import BenchCase, challenge_like_pair

FAMILY = "oof regression"
N_FOLDS = 10


def _pair_args(n, rng):
    x, y = challenge_like_pair(n, rng)
    return x, y, make_folds(n, N_FOLDS, int(rng.integers(2**31)))


def _continuous_args(n, rng):
    x = rng.standard_normal(n)
    y = np.tanh(1.5 * x) + 0.3 * rng.standard_normal(n)
    return x, y, make_folds(n, N_FOLDS, int(rng.integers(2**31)))


def _metric_args(n, rng):
    x, y, folds = _pair_args(n, rng)
    return y, fast.oof_knn_regression(x, y, folds, 15), x


_BENCHED: set[str] = set()


def _model(name, function, reference=None, make_args=_pair_args, **params):
    """``function`` of the kernel table against ``reference`` (default: its twin of the same
    name), both with ``params`` by keyword."""
    fast_fn = fast.CORES[function].function
    ref_fn = getattr(ref, reference or function)
    _BENCHED.add(function)

    def run_fast(x, y, folds):
        return fast_fn(x, y, folds, **params)

    def run_ref(x, y, folds):
        return ref_fn(x, y, folds, **params)

    return BenchCase(FAMILY, name, run_fast, run_ref, make_args)


_MODELS = [
    _model("linear", "oof_linear"),
    _model("poly2", "oof_polynomial", degree=2),
    _model("poly3", "oof_polynomial", degree=3),
    _model("poly5", "oof_polynomial", degree=5),
    _model("knn5", "oof_knn_regression", "oof_knn_regression_sklearn", _continuous_args, k=5),
    _model("knn15", "oof_knn_regression", "oof_knn_regression_sklearn", _continuous_args, k=15),
    _model("nw0.1", "oof_nadaraya_watson", bandwidth=0.1),
    _model("nw0.25", "oof_nadaraya_watson", bandwidth=0.25),
    _model("nw0.5", "oof_nadaraya_watson", bandwidth=0.5),
    _model("isotonic_inc", "oof_isotonic", increasing=True),
    _model("isotonic_dec", "oof_isotonic", increasing=False),
    _model("binned10", "oof_binned_means", n_bins=10),
    _model("binned20", "oof_binned_means", n_bins=20),
    _model("tree1", "oof_tree_regression", max_depth=1),
    _model("tree2", "oof_tree_regression", max_depth=2),
    _model("tree4", "oof_tree_regression", max_depth=4),
    _model("boost100", "oof_boosted_stumps", n_rounds=100, learning_rate=0.1),
    _model("spline1e-3", "oof_smoothing_spline", lam=1e-3),
    _model("spline1e-1", "oof_smoothing_spline", lam=1e-1),
]

# Every model of the kernel table is timed.
assert _BENCHED == set(fast.CORES), "a model without a bench case"

CASES = _MODELS + [
    BenchCase("regression metrics", "all", regression_metrics, ref_metrics.regression_metrics,
              _metric_args),
]
