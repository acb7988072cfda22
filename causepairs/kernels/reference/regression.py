"""Slow, obvious twins of :mod:`causepairs.kernels.regression` (out-of-fold 1-D regression).

Every model is scikit-learn's ``cross_val_predict(estimator, x[:, None], y,
cv=PredefinedSplit(folds))`` with a scikit-learn estimator where an equivalent one exists
(linear, polynomial, isotonic, tree, boosting, smoothing spline via SciPy) and a small
plain-NumPy ``BaseEstimator`` otherwise (Nadaraya-Watson with all O(n^2) weights, binned means,
and kNN with the kernels' tie rule; scikit-learn's own kNN twin, equal without ties, is
``oof_knn_regression_sklearn``). Same signatures and NaN policy as the kernels: NaN/inf in
``x`` or ``y`` gives all-NaN predictions, a point whose training set is empty gets NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import make_smoothing_spline
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import PredefinedSplit, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.tree import DecisionTreeRegressor

__all__ = [
    "robust_scale",
    "oof_linear",
    "oof_polynomial",
    "oof_knn_regression",
    "oof_knn_regression_sklearn",
    "oof_nadaraya_watson",
    "oof_isotonic",
    "oof_binned_means",
    "oof_tree_regression",
    "oof_boosted_stumps",
    "oof_smoothing_spline",
]


def _oof(make_estimator, x, y, folds) -> np.ndarray:
    """``cross_val_predict`` with ``PredefinedSplit(folds)``, under the kernels' NaN policy.

    ``make_estimator`` receives the finite float ``x`` (all points) and returns the estimator,
    so that quantities from ``x`` alone (bandwidth, bin edges, standardisation) can use every
    point, as the kernels do.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    folds = np.unique(np.asarray(folds), return_inverse=True)[1].reshape(-1)
    out = np.full(len(x), np.nan)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return out
    if len(np.unique(folds)) < 2:
        return out  # a single fold: every training set is empty
    return cross_val_predict(make_estimator(x), x[:, None], y, cv=PredefinedSplit(folds))


def robust_scale(x) -> float:
    """``min(std, IQR / 1.349)``, the std alone if the IQR is 0; 0 if n < 2; NaN if not finite."""
    x = np.asarray(x, dtype=float)
    if not np.isfinite(x).all():
        return float("nan")
    if len(x) < 2:
        return 0.0
    sd = float(np.std(x))
    q75, q25 = np.percentile(x, [75, 25])
    iqr = float(q75 - q25)
    if iqr > 0:
        return min(sd, iqr / 1.3489795003921634)
    return sd


def oof_linear(x, y, folds) -> np.ndarray:
    """``cross_val_predict(LinearRegression())``."""
    return _oof(lambda _: LinearRegression(), x, y, folds)


class _Polynomial(RegressorMixin, BaseEstimator):
    """``PolynomialFeatures(d)`` + ``LinearRegression`` on ``x`` standardised with the mean and
    std of all points (the kernel's rule: a training fold's own scale would send a held-out
    point far outside it to overflow), ``d = min(degree, distinct training x - 1)`` (0: the
    training mean)."""

    def __init__(self, degree=2, mean=0.0, scale=1.0):
        self.degree = degree
        self.mean = mean
        self.scale = scale

    def _z(self, X):
        return (X - self.mean) / self.scale

    def fit(self, X, y):
        d = min(self.degree, len(np.unique(X[:, 0])) - 1)
        if d == 0:
            self.model_ = DummyRegressor().fit(X, y)
        else:
            self.model_ = make_pipeline(PolynomialFeatures(d, include_bias=False),
                                        LinearRegression()).fit(self._z(X), y)
        return self

    def predict(self, X):
        return self.model_.predict(self._z(X))


def oof_polynomial(x, y, folds, degree: int = 2) -> np.ndarray:
    """Scaled polynomial least squares, degree reduced to what the training set determines."""
    def make(x_all):
        scale = x_all.std()
        return _Polynomial(degree, x_all.mean(), scale if scale > 0 else 1.0)
    return _oof(make, x, y, folds)


class _TiedKNN(RegressorMixin, BaseEstimator):
    """k-NN mean where the points tied at the k-th distance share the remaining weight."""

    def __init__(self, k=5):
        self.k = k

    def fit(self, X, y):
        self.x_ = X[:, 0].copy()
        self.y_ = np.asarray(y, dtype=float).copy()
        return self

    def predict(self, X):
        out = np.empty(len(X))
        k = min(self.k, len(self.x_))
        for i, x0 in enumerate(X[:, 0]):
            d = np.abs(self.x_ - x0)
            dk = np.sort(d)[k - 1]
            closer = d < dk
            tied = d == dk
            share = (k - closer.sum()) / tied.sum()
            out[i] = (self.y_[closer].sum() + share * self.y_[tied].sum()) / k
        return out


def oof_knn_regression(x, y, folds, k: int = 5) -> np.ndarray:
    """k-NN with the kernel's tie rule (naive NumPy estimator)."""
    return _oof(lambda _: _TiedKNN(k), x, y, folds)


def oof_knn_regression_sklearn(x, y, folds, k: int = 5) -> np.ndarray:
    """scikit-learn's ``KNeighborsRegressor(k)``: equals the kernel when no distance ties."""
    return _oof(lambda _: KNeighborsRegressor(n_neighbors=k), x, y, folds)


class _NadarayaWatson(RegressorMixin, BaseEstimator):
    """Gaussian-kernel weighted mean with every training weight (O(n_test * n_train))."""

    def __init__(self, h=1.0):
        self.h = h

    def fit(self, X, y):
        self.x_ = X[:, 0].copy()
        self.y_ = np.asarray(y, dtype=float).copy()
        return self

    def predict(self, X):
        if not self.h > 0:
            return np.full(len(X), self.y_.mean())
        u = (X[:, 0][:, None] - self.x_[None, :]) / self.h
        log_w = -0.5 * u * u
        log_w -= log_w.max(axis=1, keepdims=True)  # weights relative to the nearest point
        w = np.exp(log_w)
        return (w @ self.y_) / w.sum(axis=1)


def oof_nadaraya_watson(x, y, folds, bandwidth: float = 0.25) -> np.ndarray:
    """Nadaraya-Watson with ``h = bandwidth * robust_scale(x)`` and no truncation."""
    return _oof(lambda xa: _NadarayaWatson(bandwidth * robust_scale(xa)), x, y, folds)


def oof_isotonic(x, y, folds, increasing: bool = True) -> np.ndarray:
    """``cross_val_predict(IsotonicRegression(increasing, out_of_bounds="clip"))``."""
    return _oof(lambda _: IsotonicRegression(increasing=increasing, out_of_bounds="clip"),
                x, y, folds)


class _BinnedMeans(RegressorMixin, BaseEstimator):
    """Mean training ``y`` per bin ``searchsorted(edges, x, "right")``; empty bin: the mean."""

    def __init__(self, edges=None):
        self.edges = edges

    def fit(self, X, y):
        y = np.asarray(y, dtype=float)
        bins = np.searchsorted(self.edges, X[:, 0], side="right")
        self.means_ = np.full(len(self.edges) + 1, y.mean())
        for b in np.unique(bins):
            self.means_[b] = y[bins == b].mean()
        return self

    def predict(self, X):
        return self.means_[np.searchsorted(self.edges, X[:, 0], side="right")]


def oof_binned_means(x, y, folds, n_bins: int = 10) -> np.ndarray:
    """Regressogram on equal-frequency bins ``np.quantile(x, j / n_bins)`` of all ``x``."""
    def make(xa):
        return _BinnedMeans(np.quantile(xa, np.arange(1, n_bins) / n_bins))
    return _oof(make, x, y, folds)


def oof_tree_regression(x, y, folds, max_depth: int = 2) -> np.ndarray:
    """``cross_val_predict(DecisionTreeRegressor(max_depth))``."""
    return _oof(lambda _: DecisionTreeRegressor(max_depth=max_depth, random_state=0),
                x, y, folds)


def oof_boosted_stumps(x, y, folds, n_rounds: int = 100,
                       learning_rate: float = 0.1) -> np.ndarray:
    """``cross_val_predict(GradientBoostingRegressor(max_depth=1, ...))`` (squared error)."""
    return _oof(lambda _: GradientBoostingRegressor(max_depth=1, n_estimators=n_rounds,
                                                    learning_rate=learning_rate,
                                                    random_state=0),
                x, y, folds)


def _reinsch_dense(t, ybar, w, penalty):
    """Natural smoothing spline by Reinsch's equations with dense matrices: knot values and
    second derivatives (0 at both ends)."""
    m = len(t)
    h = np.diff(t)
    q = np.zeros((m, m - 2))
    r = np.zeros((m - 2, m - 2))
    for c in range(m - 2):
        g = c + 1
        q[g - 1, c] = 1 / h[g - 1]
        q[g, c] = -1 / h[g - 1] - 1 / h[g]
        q[g + 1, c] = 1 / h[g]
        r[c, c] = (h[g - 1] + h[g]) / 3
        if c + 1 < m - 2:
            r[c, c + 1] = r[c + 1, c] = h[g] / 6
    gamma_inner = np.linalg.solve(r + penalty * q.T @ (q / w[:, None]), q.T @ ybar)
    fitted = ybar - penalty * (q @ gamma_inner) / w
    return fitted, np.concatenate([[0.0], gamma_inner, [0.0]])


class _SmoothingSpline(RegressorMixin, BaseEstimator):
    """Natural cubic smoothing spline on ``z = (x - centre) / scale``, penalty ``lam`` per point.

    Fitted by SciPy's ``make_smoothing_spline`` on the distinct training ``z`` (weights =
    counts, ``lam * n_train``) where it applies (>= 5 knots), by the dense Reinsch equations
    for 3-4 knots, as the line through 2 knots, the mean for 1. Beyond the end knots the spline
    continues along its end tangent (natural spline).
    """

    def __init__(self, lam=1e-3, centre=0.0, scale=1.0):
        self.lam = lam
        self.centre = centre
        self.scale = scale

    def fit(self, X, y):
        z = (X[:, 0] - self.centre) / self.scale
        t, inverse, counts = np.unique(z, return_inverse=True, return_counts=True)
        ybar = np.bincount(inverse, weights=y) / counts
        w = counts.astype(float)
        self.t_ = t
        penalty = self.lam * len(z)
        if len(t) >= 5:
            spline = make_smoothing_spline(t, ybar, w=w, lam=penalty)
            self.values_ = spline(t)
            self.slopes_ = spline.derivative()(t[[0, -1]])
            self.inside_ = spline
        elif len(t) >= 3:
            fitted, gamma = _reinsch_dense(t, ybar, w, penalty)
            self.values_ = fitted
            self.gamma_ = gamma
            h0, h1 = t[1] - t[0], t[-1] - t[-2]
            self.slopes_ = np.array([(fitted[1] - fitted[0]) / h0 - h0 * gamma[1] / 6,
                                     (fitted[-1] - fitted[-2]) / h1 + h1 * gamma[-2] / 6])
            self.inside_ = None
        else:
            self.values_ = ybar
            slope = (ybar[1] - ybar[0]) / (t[1] - t[0]) if len(t) == 2 else 0.0
            self.slopes_ = np.array([slope, slope])
            self.inside_ = None
        return self

    def _inside(self, z):
        if self.inside_ is not None:
            return self.inside_(z)
        t, f = self.t_, self.values_
        if len(t) < 3:
            return np.interp(z, t, f)
        g = self.gamma_
        i = np.clip(np.searchsorted(t, z) - 1, 0, len(t) - 2)
        h = t[i + 1] - t[i]
        a = z - t[i]
        b = t[i + 1] - z
        return ((a * f[i + 1] + b * f[i]) / h
                - a * b / 6 * ((1 + a / h) * g[i + 1] + (1 + b / h) * g[i]))

    def predict(self, X):
        z = (X[:, 0] - self.centre) / self.scale
        t = self.t_
        out = self._inside(np.clip(z, t[0], t[-1]))
        below = z < t[0]
        above = z > t[-1]
        out[below] = self.values_[0] + (z[below] - t[0]) * self.slopes_[0]
        out[above] = self.values_[-1] + (z[above] - t[-1]) * self.slopes_[1]
        return out


def oof_smoothing_spline(x, y, folds, lam: float = 1e-3) -> np.ndarray:
    """Smoothing spline on ``x`` standardised over all points (SciPy where it applies)."""
    def make(xa):
        sd = float(np.std(xa))
        if not sd > 0:
            return DummyRegressor()
        return _SmoothingSpline(lam, float(np.mean(xa)), sd)
    return _oof(make, x, y, folds)
