"""Slow, obvious twins of :mod:`causepairs.kernels.shared` (same names, same rules).

NumPy's quantile, SciPy's ranks and Pearson correlation, entropy from probabilities.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

__all__ = ["quantile_sorted", "average_ranks", "pearson_correlation", "fold_count",
           "entropy_of_counts", "unsort"]


def quantile_sorted(xs, q):
    """``np.quantile(xs, q)``, ``q`` clamped to [0, 1]."""
    return float(np.quantile(xs, min(max(q, 0.0), 1.0)))


def average_ranks(values):
    """``scipy.stats.rankdata(values)`` (ties averaged)."""
    return scipy.stats.rankdata(values, method="average").astype(np.float64)


def pearson_correlation(a, b):
    """``scipy.stats.pearsonr``; NaN for n < 2 or a constant vector."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if len(a) < 2 or a.min() == a.max() or b.min() == b.max():
        return np.nan
    if len(a) == 2:  # two distinct points: SciPy's answer, which SciPy itself can miss by ulps
        return 1.0 if (a[1] > a[0]) == (b[1] > b[0]) else -1.0
    return float(np.clip(scipy.stats.pearsonr(a, b)[0], -1.0, 1.0))


def fold_count(fs):
    """Number of fold ids ``max + 1`` (0 for none)."""
    return int(np.max(fs)) + 1 if len(fs) else 0


def entropy_of_counts(counts, n):
    """``scipy.stats.entropy`` (nats) of the counts."""
    counts = np.asarray(counts, dtype=np.float64)
    return float(scipy.stats.entropy(counts[counts > 0] / n))


def unsort(res_sorted, order):
    """Row ``i`` of the result goes back to position ``order[i]``."""
    res_sorted = np.asarray(res_sorted)
    out = np.empty_like(res_sorted)
    for i, position in enumerate(order):
        out[position] = res_sorted[i]
    return out
