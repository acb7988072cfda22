"""Binning of a numeric variable: one implementation, the rule a named parameter.

Equal-frequency bins have more than one sensible definition once values tie, and the kernel
families use three; each column keeps the rule it was built with, named at the call site:

``MID_RANK``
    A tie group at sorted positions ``i..j`` (0-based) has the average rank
    ``r = (i + j) / 2 + 1`` and goes to bin ``floor(k (r - 1) / n) = (k (i + j)) // (2 n)``.
    Used by the ``eqfreq`` conversion (``equal_frequency_bins``), which then drops empty bins.
``RANK_BELOW``
    Bin ``floor(k * #{values < v} / n)``: a tie group goes to the bin of its first position.
    Used by ``oof_bin_frequencies`` (``binfreq``) and ``mutual_info_binned`` (``mi_binned``).
``QUANTILE_EDGES``
    Edges ``np.quantile(x, j / k)`` for ``j = 1..k-1`` (method "linear"); bin = number of
    edges <= v (a value on an edge goes up; tied edges leave empty bins). Used by
    ``oof_binned_means`` (``binmeans``) and the residual-input MI of ``regression_metrics``.

Without ties all three are exact equal-frequency binning up to where the boundaries fall;
under every rule tied values share a bin and bin ids never decrease along sorted values.

Equal-width bins (:func:`histogram_bins`) follow ``np.histogram``. :func:`renumber_used`
drops the bins no value fell in. References: ``causepairs.kernels.reference.binning``.
"""

from __future__ import annotations

import numpy as np

from ._config import jit
from .shared import quantile_sorted

__all__ = ["MID_RANK", "RANK_BELOW", "QUANTILE_EDGES", "RULES", "equal_frequency_bins_sorted",
           "distinct_value_codes_sorted", "histogram_bins", "renumber_used"]

MID_RANK = 0
RANK_BELOW = 1
QUANTILE_EDGES = 2
#: The rules by name (the constants are plain ints so that jitted callers can pass them).
RULES = {"mid_rank": MID_RANK, "rank_below": RANK_BELOW, "quantile_edges": QUANTILE_EDGES}


@jit
def equal_frequency_bins_sorted(xs, n_bins, rule):
    """Bin id ``0..n_bins-1`` of every value of sorted ``xs``, by ``rule`` (module notes).

    Ids are not renumbered: a bin may stay empty (heavy ties, or ``n < n_bins``).
    """
    n = xs.shape[0]
    ids = np.empty(n, np.int64)
    if n == 0:
        return ids
    if rule == QUANTILE_EDGES:
        edges = np.empty(max(n_bins - 1, 0))
        for j in range(1, n_bins):
            edges[j - 1] = quantile_sorted(xs, j / n_bins)
        b = 0
        for i in range(n):
            while b < n_bins - 1 and edges[b] <= xs[i]:
                b += 1
            ids[i] = b
        return ids
    i = 0
    while i < n:
        j = i + 1
        while j < n and xs[j] == xs[i]:
            j += 1
        # the tie group is positions i..j-1; integer arithmetic, so no rounding at the edges
        if rule == MID_RANK:
            b = (n_bins * (i + j - 1)) // (2 * n)
        else:
            b = (n_bins * i) // n
        for t in range(i, j):
            ids[t] = b
        i = j
    return ids


@jit
def distinct_value_codes_sorted(xs):
    """Code of every value of sorted ``xs``: the rank (0-based) of its distinct value; and the
    number of distinct values."""
    n = xs.shape[0]
    codes = np.empty(n, np.int64)
    c = -1
    for i in range(n):
        if i == 0 or xs[i] != xs[i - 1]:
            c += 1
        codes[i] = c
    return codes, c + 1


@jit
def histogram_bins(x, n_bins, lo, hi):
    """Bin index 0..n_bins-1 of every ``x`` for ``n_bins`` equal-width bins on ``[lo, hi]``.

    Same rule as ``np.histogram(x, bins=n_bins, range=(lo, hi))``: the edges are
    ``lo + j * (hi - lo) / n_bins`` (the last edge is ``hi`` itself), bin ``j`` is
    ``[edge_j, edge_j+1)`` and the last bin is closed. ``lo == hi`` puts every point in bin 0.
    """
    n = x.shape[0]
    out = np.zeros(n, dtype=np.int64)
    if not hi > lo:
        return out
    # When the range could overflow float64, bin the halved values instead: halving is exact,
    # so the bins are the same as without it whenever the range itself is finite.
    f = 1.0 if 0.5 * hi - 0.5 * lo < 4.0e307 else 0.5
    lo = lo * f
    hi = hi * f
    span = hi - lo
    step = span / n_bins
    edges = np.empty(n_bins + 1)
    for j in range(n_bins):
        edges[j] = j * step + lo
    edges[n_bins] = hi
    last = n_bins - 1
    for i in range(n):
        v = x[i] * f
        # A first guess from the scaled value, then corrected against the edges, so the result
        # is the edge rule exactly (as np.histogram does it).
        b = int((v - lo) / span * n_bins)
        if b < 0:
            b = 0
        elif b > last:
            b = last
        while b > 0 and v < edges[b]:
            b -= 1
        while b < last and v >= edges[b + 1]:
            b += 1
        out[i] = b
    return out


@jit
def renumber_used(raw, n_bins):
    """Map bin indices ``raw`` (0..n_bins-1) to consecutive codes over the bins that occur."""
    used = np.zeros(n_bins, dtype=np.int64)
    for i in range(raw.shape[0]):
        used[raw[i]] = 1
    new = np.empty(n_bins, dtype=np.int64)
    c = 0
    for j in range(n_bins):
        new[j] = c
        c += used[j]
    out = np.empty(raw.shape[0], dtype=np.int64)
    for i in range(raw.shape[0]):
        out[i] = new[raw[i]]
    return out
