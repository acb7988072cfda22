"""Slow, obvious twins of :mod:`causepairs.kernels.classification`.

Every function runs scikit-learn's ``cross_val_predict(estimator, x[:, None], codes,
cv=PredefinedSplit(folds), method="predict_proba")``: with scikit-learn's own estimator
where one computes the same thing (naive Bayes, logistic regression, tree), and with a small
plain-NumPy estimator where none exists (per-bin frequencies) or where scikit-learn's tie
rule differs (kNN). ``cross_val_predict`` gives probability 0 to a class a training fold
never saw; the naive estimators declare all ``k`` classes, so their smoothing covers them.
Same NaN policy as the kernels.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

__all__ = [
    "oof_bin_frequencies",
    "oof_knn_classification",
    "oof_knn_classification_sklearn",
    "oof_naive_bayes",
    "oof_logistic",
    "oof_classification_tree",
]


def _inputs(x, y, folds):
    """``(x, codes, folds, k, ok)``; ``ok`` is False when the answer is all-NaN by policy."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    folds = np.asarray(folds)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        k = len(np.unique(y[np.isfinite(y)]))
        return x, None, folds, k, False
    classes, codes = np.unique(y, return_inverse=True)
    k = len(classes)
    ok = len(x) >= 2 and k >= 2 and bool(np.isfinite(x).all())
    return x, codes, folds, k, ok


def _oof_proba(estimator, feature, codes, folds):
    if len(np.unique(folds)) < 2:
        # every point in one fold: no point has a training set (the kernels' rule: NaN)
        return np.full((len(codes), int(codes.max()) + 1), np.nan)
    with warnings.catch_warnings():
        # "Number of classes in training fold does not match": expected and handled.
        warnings.simplefilter("ignore", RuntimeWarning)
        return cross_val_predict(estimator, feature[:, None], codes,
                                 cv=PredefinedSplit(folds), method="predict_proba")


class _ProbaClassifier(ClassifierMixin, BaseEstimator):
    """Base for the naive estimators: ``predict`` is the most probable class."""

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class BinFrequencyClassifier(_ProbaClassifier):
    """Smoothed class frequencies per bin; the single feature is a bin id, not x."""

    def __init__(self, n_classes=2, alpha=1.0):
        self.n_classes = n_classes
        self.alpha = alpha

    def fit(self, X, y):
        self.classes_ = np.arange(self.n_classes)
        self.bins_ = np.asarray(X)[:, 0]
        self.y_ = np.asarray(y)
        return self

    def predict_proba(self, X):
        k, a = self.n_classes, self.alpha
        proba = np.empty((len(X), k))
        for i, b in enumerate(np.asarray(X)[:, 0]):
            in_bin = self.y_[self.bins_ == b]
            if len(in_bin) == 0:  # empty training bin: the fold's overall frequencies
                in_bin = self.y_
            counts = np.bincount(in_bin, minlength=k)
            proba[i] = (counts + a) / (len(in_bin) + a * k)
        return proba


class TieSharingKNNClassifier(_ProbaClassifier):
    """kNN class shares where points tied at the k-th distance share the remaining weight."""

    def __init__(self, n_neighbors=5, n_classes=2, alpha=0.0):
        self.n_neighbors = n_neighbors
        self.n_classes = n_classes
        self.alpha = alpha

    def fit(self, X, y):
        self.classes_ = np.arange(self.n_classes)
        self.x_ = np.asarray(X, dtype=float)[:, 0]
        self.y_ = np.asarray(y)
        return self

    def predict_proba(self, X):
        k, a = self.n_classes, self.alpha
        n_take = min(self.n_neighbors, len(self.x_))
        proba = np.empty((len(X), k))
        for i, x in enumerate(np.asarray(X, dtype=float)[:, 0]):
            dist = np.abs(self.x_ - x)
            kth = np.sort(dist)[n_take - 1]
            closer = dist < kth
            at_kth = dist == kth
            weight = closer.astype(float)
            weight[at_kth] = (n_take - closer.sum()) / at_kth.sum()
            shares = np.bincount(self.y_, weights=weight, minlength=k)
            proba[i] = (shares + a) / (n_take + a * k)
        return proba


class ConstantSafeGaussianNB(_ProbaClassifier):
    """``GaussianNB``, except that a constant training x predicts the class priors."""

    def __init__(self, var_smoothing=1e-9):
        self.var_smoothing = var_smoothing

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.constant_ = bool(np.ptp(X) == 0)
        self.priors_ = counts / counts.sum()
        if not self.constant_:
            self.nb_ = GaussianNB(var_smoothing=self.var_smoothing).fit(X, y)
        return self

    def predict_proba(self, X):
        if self.constant_:
            return np.tile(self.priors_, (len(X), 1))
        return self.nb_.predict_proba(X)


class SingleClassSafeLogistic(_ProbaClassifier):
    """``LogisticRegression`` (tight tolerance by default), except that one training class
    predicts 1."""

    def __init__(self, C=1.0, tol=1e-12):
        self.C = C
        self.tol = tol

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        if len(self.classes_) > 1:
            self.lr_ = LogisticRegression(C=self.C, tol=self.tol, max_iter=10_000).fit(X, y)
        return self

    def predict_proba(self, X):
        if len(self.classes_) == 1:
            return np.ones((len(X), 1))
        return self.lr_.predict_proba(X)


def equal_frequency_bin_ids(x, n_bins):
    """Bin of each point, ``floor(n_bins * #{x_j < x_i} / n)`` (ties share a bin)."""
    n = len(x)
    return np.searchsorted(np.sort(x), x, side="left") * n_bins // n


def oof_bin_frequencies(x, y, folds, n_bins=10, alpha=1.0):
    """Reference for ``oof_bin_frequencies``: a naive per-bin frequency estimator."""
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    bins = equal_frequency_bin_ids(x, n_bins).astype(float)
    return _oof_proba(BinFrequencyClassifier(n_classes=k, alpha=alpha), bins, codes, folds)


def oof_knn_classification(x, y, folds, n_neighbors=5, alpha=0.0):
    """Reference for ``oof_knn_classification``: a naive tie-sharing kNN estimator."""
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    est = TieSharingKNNClassifier(n_neighbors=n_neighbors, n_classes=k, alpha=alpha)
    return _oof_proba(est, x, codes, folds)


def oof_knn_classification_sklearn(x, y, folds, n_neighbors=5, alpha=0.0):
    """scikit-learn's ``KNeighborsClassifier``: the same as ``oof_knn_classification`` with
    ``alpha = 0`` on tie-free data and training folds of at least ``n_neighbors`` points
    (its tie rule differs, and it has no smoothing)."""
    if alpha != 0.0:
        raise ValueError("KNeighborsClassifier has no smoothing: use alpha=0")
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    return _oof_proba(KNeighborsClassifier(n_neighbors=n_neighbors), x, codes, folds)


def oof_naive_bayes(x, y, folds, var_smoothing=1e-9):
    """Reference for ``oof_naive_bayes``: scikit-learn's ``GaussianNB``."""
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    return _oof_proba(ConstantSafeGaussianNB(var_smoothing=var_smoothing), x, codes, folds)


def oof_logistic(x, y, folds, C=1.0):
    """Reference for ``oof_logistic``: scikit-learn's ``LogisticRegression`` on standardised x."""
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    sd = x.std()
    z = (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
    return _oof_proba(SingleClassSafeLogistic(C=C), z, codes, folds)


def oof_logistic_sklearn(x, y, folds, C=1.0):
    """scikit-learn's ``LogisticRegression`` at its default tolerance (1e-4), for benchmarks:
    the fair speed baseline, where :func:`oof_logistic`'s tight tolerance (needed to compare
    values) would make scikit-learn look ~10x slower than it is in normal use."""
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    sd = x.std()
    z = (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
    return _oof_proba(SingleClassSafeLogistic(C=C, tol=1e-4), z, codes, folds)


def oof_classification_tree(x, y, folds, max_depth=2):
    """Reference for ``oof_classification_tree``: scikit-learn's ``DecisionTreeClassifier``."""
    x, codes, folds, k, ok = _inputs(x, y, folds)
    if not ok:
        return np.full((len(x), k), np.nan)
    return _oof_proba(DecisionTreeClassifier(max_depth=max_depth, random_state=0), x, codes,
                      folds)
