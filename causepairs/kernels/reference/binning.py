"""Slow, obvious twins of :mod:`causepairs.kernels.binning` (same names, same rules).

Each rule written from its definition: average ranks from ``scipy.stats.rankdata``, counts
below from ``np.searchsorted``, edges from ``np.quantile``, equal-width bins from
``np.histogram``'s edges.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from ..binning import MID_RANK, QUANTILE_EDGES, RANK_BELOW, RULES

__all__ = ["MID_RANK", "RANK_BELOW", "QUANTILE_EDGES", "RULES", "equal_frequency_bins_sorted",
           "distinct_value_codes_sorted", "histogram_bins", "renumber_used"]


def equal_frequency_bins_sorted(xs, n_bins, rule):
    """Bin id of every value of sorted ``xs`` by ``rule`` (not renumbered)."""
    xs = np.asarray(xs, dtype=np.float64)
    n = len(xs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if rule == MID_RANK:
        ranks = scipy.stats.rankdata(xs, method="average")
        return np.floor(n_bins * (ranks - 1.0) / n).astype(np.int64)
    if rule == RANK_BELOW:
        below = np.searchsorted(xs, xs, side="left")
        return (n_bins * below) // n
    if rule == QUANTILE_EDGES:
        edges = np.quantile(xs, np.arange(1, n_bins) / n_bins)
        return np.searchsorted(edges, xs, side="right").astype(np.int64)
    raise ValueError(f"unknown binning rule {rule!r}")


def distinct_value_codes_sorted(xs):
    """Rank of each value among the distinct values, and their number."""
    values, codes = np.unique(xs, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), len(values)


def histogram_bins(x, n_bins, lo, hi):
    """The bin ``np.histogram(x, bins=n_bins, range=(lo, hi))`` counts each value in."""
    x = np.asarray(x, dtype=np.float64)
    if not hi > lo:
        return np.zeros(len(x), dtype=np.int64)
    # np.histogram_bin_edges' edges (np.linspace), written out: NumPy refuses ranges so narrow
    # that edges coincide, where the edge rule still says which bin a value is in
    edges = np.r_[np.arange(n_bins) * ((hi - lo) / n_bins) + lo, hi]
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n_bins - 1).astype(np.int64)


def renumber_used(raw, n_bins):
    """Consecutive codes over the bins that occur, in bin order."""
    return np.unique(raw, return_inverse=True)[1].reshape(-1).astype(np.int64)
