"""Jitted helpers that several kernel families share: one definition of each.

Before this module, each family kept its own copy of these and the copies drifted apart (one
quantile clamped ``q < 0`` and the others did not, two Pearson correlations had different
numerics, two fold validators had opposite rules). Every kernel module imports them from here.

Like the sorted cores they serve, the jitted helpers trust their input (the public kernel
wrappers validate once, at the boundary: see ``_validation.py``):

- :func:`quantile_sorted`: ``np.quantile(xs, q)`` (method "linear") of sorted values;
- :func:`average_ranks` / :func:`average_ranks_by_order`: 1-based ranks, ties averaged;
- :func:`mean_std`: mean and population standard deviation, summed in array order;
- :func:`pearson_correlation`: Pearson's r, robust to nearly constant input;
- :func:`fold_count`: the number of fold ids of dense fold codes;
- :func:`entropy_of_counts`: plug-in Shannon entropy of a count vector;
- :func:`argsort_radix`: a stable ascending argsort of finite floats in O(n);
- :func:`unsort` / :func:`run_sorted`: the sort -> sorted core -> original order round trip.

Their slow twins are in ``causepairs.kernels.reference.shared``.
"""

from __future__ import annotations

import math

import numpy as np

from ._config import jit

__all__ = ["quantile_sorted", "average_ranks", "average_ranks_by_order", "mean_std",
           "pearson_correlation", "fold_count", "entropy_of_counts", "argsort_radix", "unsort",
           "run_sorted"]


@jit
def quantile_sorted(xs, q):
    """``np.quantile(xs, q)`` (method "linear") of sorted non-empty ``xs``, with NumPy's exact
    rounding; ``q`` outside [0, 1] is clamped to the nearer end."""
    n = xs.shape[0]
    virtual = (n - 1) * q
    if virtual >= n - 1:
        return xs[n - 1]
    if virtual < 0:
        return xs[0]
    lo = int(math.floor(virtual))
    gamma = virtual - lo
    a = xs[lo]
    b = xs[lo + 1]
    diff = b - a
    # NumPy's interpolation counts from the nearer end, which keeps the result within [a, b]
    if gamma >= 0.5:
        return b - diff * (1.0 - gamma)
    return a + diff * gamma


@jit
def average_ranks_by_order(values, order, ranks):
    """Fill ``ranks`` with the 1-based ranks of ``values`` (ties share the average of the ranks
    they span), given an ``order`` that visits ``values`` ascending.

    Callers that already hold a sorting order (or whose values are sorted: ``order`` is then
    ``arange(n)``) rank in O(n) without sorting again.
    """
    n = order.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and values[order[j]] == values[order[i]]:
            j += 1
        # positions i..j-1 (0-based) share the rank ((i + 1) + j) / 2: exact in float64
        rank = 0.5 * (i + j - 1) + 1.0
        for t in range(i, j):
            ranks[order[t]] = rank
        i = j


@jit
def average_ranks(values):
    """1-based ranks of ``values``, ties averaged (``scipy.stats.rankdata(values)``)."""
    ranks = np.empty(values.shape[0])
    # Ranks do not depend on how ties are ordered, so the fast unstable sort serves.
    average_ranks_by_order(values, np.argsort(values), ranks)
    return ranks


@jit
def mean_std(values):
    """Mean and population standard deviation (ddof=0) of non-empty ``values``: two passes,
    each a sequential sum in array order.

    Callers whose later comparisons depend on the last bits (KSG radii, CDS cells) pass the
    values sorted ascending: the result then does not depend on the input order, and the
    references reproduce it bit for bit with ``np.cumsum`` (a sequential sum).
    """
    n = values.shape[0]
    s = 0.0
    for i in range(n):
        s += values[i]
    mean = s / n
    ss = 0.0
    for i in range(n):
        d = values[i] - mean
        ss += d * d
    return mean, math.sqrt(ss / n)


@jit
def pearson_correlation(a, b):
    """Pearson correlation of finite ``a`` and ``b``, clipped to [-1, 1]; NaN when n < 2 or
    either vector is constant (exact ``min == max``).

    Two passes, with the first pass summing deviations from the first element: values that
    differ only in their last bits then get exactly opposite deviations, and a nearly constant
    vector is not swamped by the rounding of its mean. Two distinct points correlate perfectly,
    as ``scipy.stats.pearsonr`` says, even where their mean is not representable.
    """
    n = a.shape[0]
    if n < 2:
        return np.nan
    a_min = a[0]
    a_max = a[0]
    b_min = b[0]
    b_max = b[0]
    sa = 0.0
    sb = 0.0
    for i in range(n):
        sa += a[i] - a[0]
        sb += b[i] - b[0]
        a_min = min(a_min, a[i])
        a_max = max(a_max, a[i])
        b_min = min(b_min, b[i])
        b_max = max(b_max, b[i])
    if a_min == a_max or b_min == b_max:
        return np.nan
    if n == 2:
        return 1.0 if (a[1] - a[0] > 0) == (b[1] - b[0] > 0) else -1.0
    ma = a[0] + sa / n
    mb = b[0] + sb / n
    sab = 0.0
    saa = 0.0
    sbb = 0.0
    for i in range(n):
        da = a[i] - ma
        db = b[i] - mb
        sab += da * db
        saa += da * da
        sbb += db * db
    c = sab / math.sqrt(saa * sbb)
    return max(-1.0, min(1.0, c))


@jit
def fold_count(fs):
    """Number of folds ``K`` of dense fold codes ``0..K-1`` (``max + 1``; 0 for no points).

    An id that no point uses (possible once points are subset) only adds an empty fold, which
    every out-of-fold loop skips.
    """
    if fs.shape[0] == 0:
        return 0
    return fs.max() + 1


@jit
def entropy_of_counts(counts, n):
    """Plug-in Shannon entropy (nats) of ``counts`` that sum to ``n`` > 0; 0 for one cell.

    Summed as ``c/n (log n - log c)``, the form the dependence kernels have always used, so
    that the shipped model's columns keep their bits; ``-p log p`` differs in the last ulp.
    """
    h = 0.0
    logn = math.log(n)
    for j in range(counts.shape[0]):
        c = counts[j]
        if c > 0:
            h -= c / n * (math.log(c) - logn)
    return h


@jit
def argsort_radix(values):
    """Stable ascending argsort of finite float64 values by LSD radix sort (8-bit digits).

    The bits of a float map to an order-preserving unsigned key (negative: all bits flipped;
    positive: sign bit set); digits on which all keys agree are skipped. O(n), and 3-5x faster
    than Numba's ``np.argsort`` (a scalar quicksort) at n = 1,000-5,000. ``-0.0`` sorts before
    ``0.0``; callers only rely on equal values being adjacent.
    """
    n = values.shape[0]
    bits = values.view(np.uint64)
    keys = np.empty(n, np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    for i in range(n):
        b = bits[i]
        keys[i] = ~b if b & sign else b | sign
    order = np.arange(n)
    next_keys = np.empty(n, np.uint64)
    next_order = np.empty(n, np.int64)
    counts = np.empty(257, np.int64)
    mask = np.uint64(255)
    for byte in range(8):
        shift = np.uint64(8 * byte)
        counts[:] = 0
        for i in range(n):
            counts[((keys[i] >> shift) & mask) + 1] += 1
        if counts.max() == n:
            continue  # every key has the same digit here
        for d in range(256):
            counts[d + 1] += counts[d]
        for i in range(n):
            d = (keys[i] >> shift) & mask
            pos = counts[d]
            counts[d] += 1
            next_keys[pos] = keys[i]
            next_order[pos] = order[i]
        keys, next_keys = next_keys, keys
        order, next_order = next_order, order
    return order


def unsort(res_sorted: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Results computed on ``x[order]`` back in the order of ``x``: ``out[order] = res_sorted``.

    Works on vectors and on row-per-point matrices alike.
    """
    out = np.empty_like(res_sorted)
    out[order] = res_sorted
    return out


def run_sorted(core, x: np.ndarray, *columns: np.ndarray, params=(), stable: bool = True):
    """Sort the points by ``x``, run ``core(xs, *columns_sorted, *params)`` and return its
    per-point result (a vector or one row per point) in the original order.

    ``stable``: sort tied ``x`` in input order. Cores whose result for a point depends on the
    order of the points tied with it (e.g. out-of-fold fits, where tied points may sit in
    different folds) need it for a deterministic answer; cores that give equal values equal
    results may take NumPy's faster unstable sort (3x faster at n = 5,000).
    """
    order = np.argsort(x, kind="stable" if stable else "quicksort")
    res_sorted = core(x[order], *(c[order] for c in columns), *params)
    return unsort(res_sorted, order)
