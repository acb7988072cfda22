"""Slow, obvious twins of :mod:`causepairs.kernels.regression_metrics`: one function per metric.

Each ``<metric>(y, pred, x)`` computes one entry of ``REGRESSION_METRIC_NAMES`` with NumPy,
SciPy or scikit-learn, under the kernel's NaN rules (``n < 2`` or non-finite input: NaN; a
constant ``y``, residual or ``x`` makes the metrics that divide by its spread NaN; constancy is
exact: ``min == max``). :func:`regression_metrics` stacks them in the kernel's order.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.metrics import (max_error, mean_absolute_error, mean_squared_error,
                             median_absolute_error, mutual_info_score, r2_score)

from ..regression_metrics import MI_BINS, REGRESSION_METRIC_NAMES

__all__ = ["regression_metrics", *REGRESSION_METRIC_NAMES]


def _const(v) -> bool:
    return bool(np.min(v) == np.max(v))


def _prepared(func):
    """Apply the shared NaN rules, then call ``func`` on float arrays."""
    def wrapped(y, pred, x):
        y, pred, x = (np.asarray(v, dtype=float) for v in (y, pred, x))
        if len(y) < 2 or not all(np.isfinite(v).all() for v in (y, pred, x)):
            return float("nan")
        return float(func(y, pred, x))
    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped


@_prepared
def r2(y, pred, x):
    """``sklearn.metrics.r2_score``; NaN for a constant ``y``."""
    return np.nan if _const(y) else r2_score(y, pred)


@_prepared
def mse_std(y, pred, x):
    """``mean_squared_error`` of ``y / std(y)`` and ``pred / std(y)``."""
    if _const(y):
        return np.nan
    sy = np.std(y)
    return mean_squared_error(y / sy, pred / sy)


@_prepared
def mae_std(y, pred, x):
    """``mean_absolute_error`` on the target standardised by ``std(y)``."""
    if _const(y):
        return np.nan
    sy = np.std(y)
    return mean_absolute_error(y / sy, pred / sy)


@_prepared
def medae_std(y, pred, x):
    """``median_absolute_error`` on the target standardised by ``std(y)``."""
    if _const(y):
        return np.nan
    return median_absolute_error(y, pred) / np.std(y)


@_prepared
def max_abs_err_std(y, pred, x):
    """``max_error`` on the target standardised by ``std(y)``."""
    if _const(y):
        return np.nan
    return max_error(y, pred) / np.std(y)


@_prepared
def resid_mean_std(y, pred, x):
    """Mean residual over ``std(y)``."""
    return np.nan if _const(y) else np.mean(y - pred) / np.std(y)


@_prepared
def resid_var_ratio(y, pred, x):
    """``var(residual) / var(y)``."""
    return np.nan if _const(y) else np.var(y - pred) / np.var(y)


@_prepared
def gauss_loglik(y, pred, x):
    """Mean ``scipy.stats.norm.logpdf`` of ``e = r / std(y)`` under the Gaussian fitted to it."""
    r = y - pred
    if _const(y) or _const(r):
        return np.nan
    e = r / np.std(y)
    return np.mean(stats.norm.logpdf(e, loc=e.mean(), scale=e.std()))


@_prepared
def resid_skew(y, pred, x):
    """``scipy.stats.skew`` of the residual (biased)."""
    r = y - pred
    return np.nan if _const(r) else stats.skew(r)


@_prepared
def resid_kurt(y, pred, x):
    """``scipy.stats.kurtosis`` (excess, biased) of the residual."""
    r = y - pred
    return np.nan if _const(r) else stats.kurtosis(r)


@_prepared
def resid_entropy(y, pred, x):
    """Histogram entropy of ``r / std(r)``: ``ceil(2 n^(1/3))`` equal-width ``np.histogram``
    bins of ``r``, ``-sum p log p + log(bin width / std r)``."""
    r = y - pred
    if _const(r):
        return np.nan
    n = len(r)
    n_bins = 1
    while n_bins ** 3 < 8 * n:  # ceil(2 n^(1/3)), exactly
        n_bins += 1
    counts, edges = np.histogram(r, bins=n_bins)
    p = counts[counts > 0] / n
    width = (r.max() - r.min()) / n_bins
    return -np.sum(p * np.log(p)) + np.log(width / np.std(r))


@_prepared
def resid_x_corr(y, pred, x):
    """``scipy.stats.pearsonr`` of the residual and ``x``."""
    r = y - pred
    return np.nan if _const(r) or _const(x) else stats.pearsonr(r, x)[0]


@_prepared
def abs_resid_x_corr(y, pred, x):
    """``scipy.stats.pearsonr`` of ``|residual|`` and ``x``."""
    a = np.abs(y - pred)
    return np.nan if _const(a) or _const(x) else stats.pearsonr(a, x)[0]


@_prepared
def abs_resid_xdev_corr(y, pred, x):
    """``scipy.stats.pearsonr`` of ``|residual|`` and ``|x - median(x)|``."""
    a = np.abs(y - pred)
    dev = np.abs(x - np.median(x))
    return np.nan if _const(a) or _const(dev) else stats.pearsonr(a, dev)[0]


@_prepared
def abs_resid_x_spearman(y, pred, x):
    """``scipy.stats.spearmanr`` of ``|residual|`` and ``x``."""
    a = np.abs(y - pred)
    return np.nan if _const(a) or _const(x) else stats.spearmanr(a, x)[0]


@_prepared
def abs_resid_xdev_spearman(y, pred, x):
    """``scipy.stats.spearmanr`` of ``|residual|`` and ``|x - median(x)|``."""
    a = np.abs(y - pred)
    dev = np.abs(x - np.median(x))
    return np.nan if _const(a) or _const(dev) else stats.spearmanr(a, dev)[0]


def _equal_frequency_bins(v, n_bins):
    return np.searchsorted(np.quantile(v, np.arange(1, n_bins) / n_bins), v, side="right")


@_prepared
def resid_x_mi(y, pred, x):
    """``sklearn.metrics.mutual_info_score`` of 8 equal-frequency bins of residual and ``x``."""
    r = y - pred
    return mutual_info_score(_equal_frequency_bins(r, MI_BINS), _equal_frequency_bins(x, MI_BINS))


def regression_metrics(y, pred, x) -> np.ndarray:
    """All metrics, in the order of ``REGRESSION_METRIC_NAMES``."""
    if len(np.asarray(y)) != len(np.asarray(x)) or len(np.asarray(y)) != len(np.asarray(pred)):
        raise ValueError("y, pred and x must have the same length")
    return np.array([globals()[name](y, pred, x) for name in REGRESSION_METRIC_NAMES])
