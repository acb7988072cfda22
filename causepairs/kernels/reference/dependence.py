"""Slow, obvious twins of :mod:`causepairs.kernels.dependence`.

Same names, signatures, tie rules and NaN policy as the kernels, written the direct way: full
n x n distance and Gram matrices, SciPy's correlations and contingency tests, scikit-learn's
clustering scores. Where scikit-learn's estimator follows other conventions (KSG adds noise),
the estimator is written out in NumPy with the kernel's conventions instead, and the tests
compare with scikit-learn separately on tie-free data.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats
import sklearn.metrics

from .._validation import as_codes, as_float_pair
from ..dependence import HSIC_MAX_EXACT, MEDIAN_TIE_TOLERANCE

__all__ = [
    "pearson",
    "spearman",
    "kendall_tau",
    "distance_correlation",
    "hsic",
    "normalized_hsic",
    "mutual_info_binned",
    "mutual_info_ksg",
    "chi_square",
    "cramers_v",
    "normalized_mutual_info",
    "adjusted_mutual_info",
    "adjusted_rand",
    "conditional_entropy",
]

NAN = float("nan")


def _degenerate(x, y):
    """The kernels' NaN rule: n < 2, a non-finite value, or a variable with one value."""
    if len(x) < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return True
    return len(np.unique(x)) < 2 or len(np.unique(y)) < 2


def _sorted_mean_std(v):
    """Mean and population sd summed sequentially over the sorted values (``np.cumsum`` is a
    sequential sum), which is how the kernels do it: identical bits, so tie comparisons on
    scaled values agree exactly."""
    v = np.sort(v)
    mean = np.cumsum(v)[-1] / len(v)
    d = v - mean
    return mean, np.sqrt(np.cumsum(d * d)[-1] / len(v))


def _discretize(x, n_bins):
    """At most n_bins distinct values: their ranks; else floor(n_bins * #{x < v} / n)."""
    values = np.unique(x)
    if len(values) <= n_bins:
        return np.searchsorted(values, x), len(values)
    smaller = np.searchsorted(np.sort(x), x, side="left")
    return (n_bins * smaller) // len(x), n_bins


def _contingency(x, y):
    """Contingency table of two label arrays, or None for the NaN cases."""
    x = np.asarray(x)
    y = np.asarray(y)
    for arr in (x, y):
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            return None
    a, ka = as_codes(x)
    b, kb = as_codes(y)
    if len(a) < 2 or ka < 2 or kb < 2:
        return None
    table = np.zeros((ka, kb), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    return table


def _labels(x, y):
    x = np.asarray(x)
    y = np.asarray(y)
    for arr in (x, y):
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            return None
    a, ka = as_codes(x)
    b, kb = as_codes(y)
    if len(a) < 2 or ka < 2 or kb < 2:
        return None
    return a, b


# --- correlation ----------------------------------------------------------------------------

def pearson(x, y):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    return float(np.clip(np.corrcoef(x, y)[0, 1], -1.0, 1.0))


def spearman(x, y):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    return float(scipy.stats.spearmanr(x, y).statistic)


def kendall_tau(x, y):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    return float(scipy.stats.kendalltau(x, y).statistic)


def distance_correlation(x, y):
    """dCor from the double-centred distance matrices (V-statistic)."""
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN

    def centred(v):
        d = np.abs(v[:, None] - v[None, :])
        return d - d.mean(axis=0) - d.mean(axis=1)[:, None] + d.mean()

    A = centred(x)
    B = centred(y)
    dcov2 = (A * B).mean()
    r2 = dcov2 / np.sqrt((A * A).mean() * (B * B).mean())
    return float(np.sqrt(np.clip(r2, 0.0, 1.0)))


# --- HSIC -----------------------------------------------------------------------------------

def _median_heuristic(v):
    """Median of the pairwise distances |v_i - v_j|, i < j, above the tie tolerance."""
    d = np.abs(v[:, None] - v[None, :])[np.triu_indices(len(v), 1)]
    d = d[d > MEDIAN_TIE_TOLERANCE * np.ptp(v)]
    return np.median(d)


def _hsic_from_grams(K, L):
    """tr(K H L H) / n^2 with H the centring matrix (H K H by subtracting means)."""
    n = len(K)
    Kc = K - K.mean(axis=0) - K.mean(axis=1)[:, None] + K.mean()
    return max(0.0, float((Kc * L).sum() / n ** 2))


def _hsic_three(x, y, max_exact):
    sigma_x = _median_heuristic(x)
    sigma_y = _median_heuristic(y)
    n = len(x)
    if n > max_exact:
        order = np.lexsort((y, x))  # by x, then y
        positions = ((2 * np.arange(max_exact) + 1) * n) // (2 * max_exact)
        x = x[order[positions]]
        y = y[order[positions]]
    K = np.exp(-(x[:, None] - x[None, :]) ** 2 / (2 * sigma_x ** 2))
    L = np.exp(-(y[:, None] - y[None, :]) ** 2 / (2 * sigma_y ** 2))
    return _hsic_from_grams(K, L), _hsic_from_grams(K, K), _hsic_from_grams(L, L)


def hsic(x, y, max_exact=HSIC_MAX_EXACT):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    return _hsic_three(x, y, max_exact)[0]


def normalized_hsic(x, y, max_exact=HSIC_MAX_EXACT):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    h_xy, h_xx, h_yy = _hsic_three(x, y, max_exact)
    if not (h_xx > 0 and h_yy > 0):
        return NAN
    return min(1.0, h_xy / np.sqrt(h_xx * h_yy))


# --- mutual information ---------------------------------------------------------------------

def mutual_info_binned(x, y, n_bins=10):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    a, _ = _discretize(x, n_bins)
    b, _ = _discretize(y, n_bins)
    return float(sklearn.metrics.mutual_info_score(a, b))


def mutual_info_ksg(x, y, n_neighbors=3):
    """KSG algorithm 1 with full distance matrices."""
    x, y = as_float_pair(x, y)
    k = n_neighbors
    n = len(x)
    if n <= k or _degenerate(x, y):
        return NAN
    x = x / _sorted_mean_std(x)[1]
    y = y / _sorted_mean_std(y)[1]
    dx = np.abs(x[:, None] - x[None, :])
    dy = np.abs(y[:, None] - y[None, :])
    d = np.maximum(dx, dy)
    np.fill_diagonal(d, np.inf)
    eps = np.sort(d, axis=1)[:, k - 1]
    off_diagonal = ~np.eye(n, dtype=bool)
    n_x = ((dx < eps[:, None]) & off_diagonal).sum(axis=1)
    n_y = ((dy < eps[:, None]) & off_diagonal).sum(axis=1)
    psi = scipy.special.digamma
    return float(psi(k) + psi(n) - np.mean(psi(n_x + 1) + psi(n_y + 1)))


# --- categorical ----------------------------------------------------------------------------

def chi_square(x, y):
    table = _contingency(x, y)
    if table is None:
        return NAN
    return float(scipy.stats.chi2_contingency(table, correction=False).statistic)


def cramers_v(x, y):
    table = _contingency(x, y)
    if table is None:
        return NAN
    return float(scipy.stats.contingency.association(table, method="cramer"))


def normalized_mutual_info(x, y):
    labels = _labels(x, y)
    if labels is None:
        return NAN
    return float(sklearn.metrics.normalized_mutual_info_score(*labels))


def adjusted_mutual_info(x, y):
    labels = _labels(x, y)
    if labels is None:
        return NAN
    a, b = labels
    if len(np.unique(a)) == len(a) and len(np.unique(b)) == len(b):
        return NAN  # both all-singletons: 0 / 0
    return float(sklearn.metrics.adjusted_mutual_info_score(a, b))


def adjusted_rand(x, y):
    labels = _labels(x, y)
    if labels is None:
        return NAN
    a, b = labels
    if len(np.unique(a)) == len(a) and len(np.unique(b)) == len(b):
        return NAN  # both all-singletons: the index is 0 / 0
    return float(sklearn.metrics.adjusted_rand_score(a, b))


def conditional_entropy(x, y):
    """H(Y | X) = H(X, Y) - H(X), in nats."""
    table = _contingency(x, y)
    if table is None:
        return NAN
    h_joint = scipy.stats.entropy(table.ravel())
    h_x = scipy.stats.entropy(table.sum(axis=1))
    return max(0.0, float(h_joint - h_x))
