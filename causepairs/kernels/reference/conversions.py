"""Slow, obvious twins of :mod:`causepairs.kernels.conversions` (same names, same rules).

Built from NumPy/SciPy in the most direct way: ranks from ``scipy.stats.rankdata``, equal-width
bins from ``np.histogram_bin_edges``, k-means by a plain dynamic programme over all split
points, one-hot PCA by an SVD of the ``n x k`` one-hot matrix.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .._validation import as_codes, as_float_vector

__all__ = [
    "equal_frequency_bins",
    "equal_width_bins",
    "kmeans_bins",
    "one_hot_pca1",
    "frequency_encoding",
    "ordinal_codes",
    "rank_uniform",
    "standardise",
]

MISSING_CODE = -1


def _renumber(bins):
    """Consecutive codes over the bins that occur, in increasing bin order."""
    return np.unique(bins, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _finite_or_missing(x):
    x = as_float_vector(x)
    if not np.isfinite(x).all():
        return x, np.full(len(x), MISSING_CODE, dtype=np.int64)
    if len(x) == 0:
        return x, np.zeros(0, dtype=np.int64)
    return x, None


def equal_frequency_bins(x, k):
    """Bin ``floor(k * (average rank - 1) / n)``, empty bins dropped."""
    x, done = _finite_or_missing(x)
    if done is not None:
        return done
    n = len(x)
    ranks = rankdata(x, method="average")
    return _renumber(np.floor(k * (ranks - 1.0) / n))


def equal_width_bins(x, k):
    """The bins of ``np.histogram(x, bins=k)``, empty bins dropped; constant -> 0."""
    x, done = _finite_or_missing(x)
    if done is not None:
        return done
    lo, hi = x.min(), x.max()
    if lo == hi:
        return np.zeros(len(x), dtype=np.int64)
    if 0.5 * hi - 0.5 * lo >= 4.0e307:  # the range may overflow: halve everything (exact)
        x, lo, hi = x * 0.5, lo * 0.5, hi * 0.5
    edges = np.histogram_bin_edges(x, bins=k, range=(lo, hi))
    raw = np.searchsorted(edges, x, side="right") - 1
    return _renumber(np.clip(raw, 0, k - 1))


def _sse(v, w):
    """Weighted sum of squared deviations from the weighted mean, computed directly."""
    mean = np.sum(w * v) / np.sum(w)
    return float(np.sum(w * (v - mean) ** 2))


def kmeans_bins(x, k):
    """Optimal 1-D k-means over the weighted distinct values by a plain ``O(k d^2)`` programme.

    ``D[m, i]`` is the least cost of ``m + 1`` clusters covering distinct values ``0..i``; the
    last cluster starts at the smallest ``j`` reaching the minimum. Segment costs come from
    prefix sums of the centred values (vectorised over all start points per end point).
    """
    x, done = _finite_or_missing(x)
    if done is not None:
        return done
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    d = len(values)
    if d <= k:
        return inverse.astype(np.int64)
    w = counts.astype(np.float64)
    # same exact power-of-two scaling as the kernel, so squares cannot overflow
    scaled = values * 2.0 ** -np.frexp(np.abs(values).max())[1] if np.any(values) else values
    u = scaled - np.sum(w * scaled) / np.sum(w)
    p1 = np.concatenate([[0.0], np.cumsum(w * u)])
    p2 = np.concatenate([[0.0], np.cumsum(w * u * u)])
    pw = np.concatenate([[0.0], np.cumsum(w)])

    def costs_ending_at(i, starts):
        s1 = p1[i + 1] - p1[starts]
        s2 = p2[i + 1] - p2[starts]
        ww = pw[i + 1] - pw[starts]
        return np.maximum(s2 - s1 * s1 / ww, 0.0)

    D = np.full((k, d), np.inf)
    start = np.zeros((k, d), dtype=np.int64)
    D[0] = costs_ending_at(np.arange(d), 0)
    for m in range(1, k):
        for i in range(m, d):
            js = np.arange(m, i + 1)
            total = D[m - 1, js - 1] + costs_ending_at(i, js)
            best = int(np.argmin(total))  # first minimum: smallest start
            D[m, i] = total[best]
            start[m, i] = js[best]
    vcode = np.zeros(d, dtype=np.int64)
    i = d - 1
    for m in range(k - 1, -1, -1):
        j = start[m, i] if m > 0 else 0
        vcode[j:i + 1] = m
        i = j - 1
    return vcode[inverse]


def kmeans_cost(x, codes):
    """Within-cluster sum of squares of a clustering (used by the tests to compare optima)."""
    x = np.asarray(x, dtype=np.float64)
    return sum(_sse(x[codes == c], np.ones(np.sum(codes == c))) for c in np.unique(codes))


def _codes_or_none(labels):
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        return None
    return as_codes(arr)


def one_hot_pca1(labels):
    """Score on the leading eigenvector of the one-hot covariance, from a dense eigensolver.

    Same rules as the kernel: NaN for a single category; a unique leading axis is signed so
    that the most frequent category scores positive; a degenerate leading eigenvalue (three or
    more categories tied for the largest count; also two, where the axis is unique up to sign)
    gives the unit vector of the leading eigenspace closest to the descending code order.
    """
    coded = _codes_or_none(labels)
    if coded is None:
        return np.full(len(np.asarray(labels)), np.nan)
    codes, k = coded
    n = len(codes)
    if n == 0:
        return np.zeros(0)
    if k < 2:
        return np.full(n, np.nan)
    onehot = np.eye(k)[codes]
    shares = onehot.mean(axis=0)
    covariance = np.diag(shares) - np.outer(shares, shares)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    # The leading eigenvalue is a share (>= 1/n) and any other is at least ~1/n^2 below it.
    leading = eigenvectors[:, eigenvalues >= eigenvalues[-1] - 1e-10]
    if leading.shape[1] == 1:
        axis = leading[:, 0]
        if axis[int(np.argmax(shares))] < 0:
            axis = -axis
    else:
        descending = -np.arange(k, dtype=np.float64)
        axis = leading @ (leading.T @ descending)
        axis /= np.linalg.norm(axis)
    return (onehot - shares) @ axis


def frequency_encoding(labels):
    """``count(category) / n`` per point."""
    coded = _codes_or_none(labels)
    if coded is None:
        return np.full(len(np.asarray(labels)), np.nan)
    codes, k = coded
    if len(codes) == 0:
        return np.zeros(0)
    return np.bincount(codes, minlength=k)[codes] / len(codes)


def ordinal_codes(labels):
    """Codes of the sorted distinct labels, as float."""
    coded = _codes_or_none(labels)
    if coded is None:
        return np.full(len(np.asarray(labels)), np.nan)
    return coded[0].astype(np.float64)


def rank_uniform(x):
    """``(rankdata(x) - 0.5) / n``."""
    x = as_float_vector(x)
    if not np.isfinite(x).all():
        return np.full(len(x), np.nan)
    if len(x) == 0:
        return np.zeros(0)
    return (rankdata(x, method="average") - 0.5) / len(x)


def standardise(x):
    """``(x - x.mean()) / x.std()``; NaN when constant or non-finite."""
    x = as_float_vector(x)
    if len(x) == 0:
        return np.zeros(0)
    if not np.isfinite(x).all() or x.min() == x.max():
        return np.full(len(x), np.nan)
    return (x - x.mean()) / x.std()
