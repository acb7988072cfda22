"""Conversions between variable types: numeric to categorical codes, categorical to numeric,
and numeric views (uniform rank scores, standardised values).

Every public function validates its input once and returns a new array. The private
``@jit`` cores take contiguous float64/int64 arrays and plain scalars; the cores whose name
ends in ``_sorted`` expect ``xs = x[np.argsort(x, kind="stable")]`` and return their result in
that sorted order, so the feature factory can sort each view once and reuse it.

Numeric to categorical
    :func:`equal_frequency_bins`, :func:`equal_width_bins`, :func:`kmeans_bins` return int64
    codes ``0..k'-1`` where ``k' <= k`` is the number of bins actually used. Codes increase
    with ``x`` and equal values always share a code (ties are never split). Constant input
    gives all codes 0. Any NaN/inf in ``x`` gives all codes :data:`MISSING_CODE` (-1):
    codes are integers, so -1 plays the role of NaN.

Categorical to numeric
    :func:`one_hot_pca1`, :func:`frequency_encoding`, :func:`ordinal_codes` accept any 1-D
    label array (integers, floats, strings), coded as
    :func:`causepairs.kernels._validation.as_codes` codes them (codes follow the sorted
    distinct labels; small integer labels take a faster path with the same result). NaN/inf
    labels give an all-NaN result instead of an exception.

Numeric views
    :func:`rank_uniform` and :func:`standardise`; NaN/inf input gives an all-NaN result.
"""

from __future__ import annotations

import math

import numpy as np

from ._config import jit
from ._validation import all_finite, as_codes, as_float_vector
from .binning import MID_RANK, equal_frequency_bins_sorted, histogram_bins, renumber_used
from .cores import KernelCore, Param, table
from .shared import run_sorted

__all__ = [
    "CORES",
    "MISSING_CODE",
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
"""The code every point gets when the numeric input holds NaN or inf."""


# ---------------------------------------------------------------------------------------------
# cores: numeric -> categorical
# ---------------------------------------------------------------------------------------------

@jit
def _equal_width_codes(x, k):
    """Equal-width codes of finite ``x`` (any order): bins on ``[min, max]``, empty bins dropped."""
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lo = x[0]
    hi = x[0]
    for i in range(1, n):
        if x[i] < lo:
            lo = x[i]
        elif x[i] > hi:
            hi = x[i]
    return renumber_used(histogram_bins(x, k, lo, hi), k)


@jit
def _equal_frequency_codes_sorted(xs, k):
    """Equal-frequency codes of sorted finite ``xs``, in sorted order: the ``MID_RANK`` rule
    (a tie group goes to the bin of its average rank, ``floor(k (r - 1) / n)``), empty bins
    dropped from the numbering."""
    return renumber_used(equal_frequency_bins_sorted(xs, k, MID_RANK), k)


@jit
def _distinct_sorted(xs):
    """Distinct values of sorted ``xs`` and how often each occurs."""
    n = xs.shape[0]
    values = np.empty(n)
    counts = np.empty(n, dtype=np.int64)
    d = 0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and xs[j + 1] == xs[i]:
            j += 1
        values[d] = xs[i]
        counts[d] = j - i + 1
        d += 1
        i = j + 1
    return values[:d].copy(), counts[:d].copy()


@jit
def _segment_cost(p1, p2, pw, a, b):
    """Weighted sum of squared deviations from the mean of distinct values ``a..b`` (inclusive)."""
    s1 = p1[b + 1] - p1[a]
    s2 = p2[b + 1] - p2[a]
    w = pw[b + 1] - pw[a]
    c = s2 - s1 * s1 / w
    return c if c > 0.0 else 0.0


@jit
def _power_of_two_scale(values):
    """``2**-e`` with ``2**(e-1) <= max |values| < 2**e`` (1.0 for all zeros)."""
    amax = 0.0
    for i in range(values.shape[0]):
        a = abs(values[i])
        if a > amax:
            amax = a
    if amax == 0.0:
        return 1.0
    return math.ldexp(1.0, -math.frexp(amax)[1])


@jit
def _kmeans_starts(values, weights, k):
    """Start index (into ``values``) of each of the ``k`` clusters of an optimal 1-D k-means.

    Exact dynamic programme over the weighted distinct values (clusters of an optimal 1-D
    k-means are contiguous in sorted order, and splitting equal values never helps, so
    working on distinct values keeps ties together without losing optimality). Layer ``m``
    holds ``D_m(i)``, the least cost of ``m`` clusters over values ``0..i``. The cost is a
    Monge (quadrangle-inequality) function, so the leftmost optimal start of the last cluster
    is non-decreasing in ``i`` and each layer is filled by divide and conquer in
    ``O(d log d)`` evaluations: ``O(k d log d)`` in all, ``d`` = number of distinct values.
    Requires ``len(values) > k >= 2``. Ties between equal costs go to the smallest start.
    """
    d = values.shape[0]
    # Scale by a power of two (exact, and the optimal partition is scale-free) so that squares
    # cannot overflow, then centre on the weighted mean, which keeps the "sum of squares minus
    # square of sum" cost formula from cancelling badly.
    scale = _power_of_two_scale(values)
    wtot = 0.0
    mean = 0.0
    for i in range(d):
        wtot += weights[i]
        mean += weights[i] * (values[i] * scale)
    mean /= wtot
    p1 = np.zeros(d + 1)
    p2 = np.zeros(d + 1)
    pw = np.zeros(d + 1)
    for i in range(d):
        u = values[i] * scale - mean
        p1[i + 1] = p1[i] + weights[i] * u
        p2[i + 1] = p2[i] + weights[i] * u * u
        pw[i + 1] = pw[i] + weights[i]

    prev = np.empty(d)
    for i in range(d):
        prev[i] = _segment_cost(p1, p2, pw, 0, i)
    cur = np.empty(d)
    starts = np.zeros((k, d), dtype=np.int64)
    # Explicit stack for the divide and conquer: (lo, hi, opt_lo, opt_hi) per pending range.
    stack = np.empty((2 * 64 + 8, 4), dtype=np.int64)
    for m in range(1, k):
        # m is the 0-based index of the last cluster; it needs values m..i, so i >= m.
        for i in range(m):
            cur[i] = np.inf
        last_layer = m == k - 1
        lo0 = d - 1 if last_layer else m  # the last layer only needs D(d - 1)
        stack[0, 0] = lo0
        stack[0, 1] = d - 1
        stack[0, 2] = m
        stack[0, 3] = d - 1
        top = 1
        while top > 0:
            top -= 1
            lo = stack[top, 0]
            hi = stack[top, 1]
            olo = stack[top, 2]
            ohi = stack[top, 3]
            mid = (lo + hi) // 2
            best = np.inf
            best_j = olo
            jhi = ohi if ohi < mid else mid
            for j in range(olo, jhi + 1):
                c = prev[j - 1] + _segment_cost(p1, p2, pw, j, mid)
                if c < best:
                    best = c
                    best_j = j
            cur[mid] = best
            starts[m, mid] = best_j
            if mid + 1 <= hi:
                stack[top, 0] = mid + 1
                stack[top, 1] = hi
                stack[top, 2] = best_j
                stack[top, 3] = ohi
                top += 1
            if lo <= mid - 1:
                stack[top, 0] = lo
                stack[top, 1] = mid - 1
                stack[top, 2] = olo
                stack[top, 3] = best_j
                top += 1
        for i in range(d):
            prev[i] = cur[i]
    out = np.zeros(k, dtype=np.int64)
    i = d - 1
    for m in range(k - 1, 0, -1):
        out[m] = starts[m, i]
        i = out[m] - 1
    out[0] = 0
    return out


@jit
def _kmeans_codes_sorted(xs, k):
    """Optimal 1-D k-means codes of sorted finite ``xs``, in sorted order.

    With ``d <= k`` distinct values every value is its own cluster (``k' = d``); otherwise
    exactly ``k`` clusters are used. Constant input gives all 0.
    """
    n = xs.shape[0]
    codes = np.zeros(n, dtype=np.int64)
    if n == 0:
        return codes
    values, counts = _distinct_sorted(xs)
    d = values.shape[0]
    # code of every distinct value
    vcode = np.empty(d, dtype=np.int64)
    if d <= k:
        for i in range(d):
            vcode[i] = i
    else:
        starts = _kmeans_starts(values, counts.astype(np.float64), k)
        c = 0
        for i in range(d):
            if c + 1 < k and i >= starts[c + 1]:
                c += 1
            vcode[i] = c
    pos = 0
    for i in range(d):
        for t in range(counts[i]):
            codes[pos] = vcode[i]
            pos += 1
    return codes


# ---------------------------------------------------------------------------------------------
# cores: categorical -> numeric
# ---------------------------------------------------------------------------------------------

@jit
def _category_counts(codes, k):
    """How many times each code 0..k-1 occurs."""
    counts = np.zeros(k, dtype=np.int64)
    for i in range(codes.shape[0]):
        counts[codes[i]] += 1
    return counts


@jit
def _pca1_category_scores(counts):
    """First principal component score of each category of a one-hot encoding.

    For category shares ``p`` the one-hot covariance is ``diag(p) - p p^T``; with counts
    ``c = n p`` (exact integers) we work with ``n`` times it, ``diag(c) - c c^T / n``. Its top
    eigenvalue ``lam`` solves the secular equation ``sum_j c_j^2 / (c_j - lam) = n`` between
    the two largest distinct counts, the unit eigenvector is ``v_j = a c_j / (c_j - lam)``, and
    the (centred) score of category ``j`` is ``v_j - sum_i p_i v_i = a lam / (c_j - lam)``
    with ``a`` fixing ``|v| = 1``. We solve for ``delta = c_max - lam`` by bisection so that
    every ``c_j - lam = (c_j - c_max) + delta`` is one rounding away from exact.

    Rules: fewer than two non-empty categories -> NaN (no variance). The sign makes the most
    frequent category's score positive. When ``m >= 2`` categories tie for the largest count
    ``c_max``, the top eigenvalue is ``c_max`` itself and its eigenspace is every vector on the
    tied categories that sums to 0 (dimension ``m - 1``): the axis is then unique only for
    ``m = 2``. The tie-break (which gives that unique axis for ``m = 2``) takes the unit vector
    of that eigenspace closest to the descending code order: ``v_j`` proportional to
    ``mean(T) - j`` for the tied codes ``T``, 0 for the rest. The lower codes score positive;
    two tied: ``+1/sqrt 2``, ``-1/sqrt 2``; all codes distinct (one point each): a decreasing
    linear function of the code. The scores are already centred (``v`` sums to 0 on ``T`` and
    the tied categories have equal shares).
    """
    k = counts.shape[0]
    scores = np.full(k, np.nan)
    n = 0.0
    nonempty = 0
    cmax = 0
    n_at_max = 0
    for j in range(k):
        c = counts[j]
        n += c
        if c > 0:
            nonempty += 1
        if c > cmax:
            cmax = c
            n_at_max = 1
        elif c == cmax and c > 0:
            n_at_max += 1
    if nonempty < 2:
        return scores
    if n_at_max >= 2:
        code_sum = 0.0
        for j in range(k):
            if counts[j] == cmax:
                code_sum += j
        centre = code_sum / n_at_max
        norm2 = 0.0
        for j in range(k):
            if counts[j] == cmax:
                norm2 += (centre - j) * (centre - j)
        inv_norm = 1.0 / math.sqrt(norm2)
        for j in range(k):
            scores[j] = (centre - j) * inv_norm if counts[j] == cmax else 0.0
        return scores
    csecond = 0
    for j in range(k):
        if counts[j] < cmax and counts[j] > csecond:
            csecond = counts[j]
    # g(delta) = sum_j c_j^2 / ((c_j - cmax) + delta) - n falls from +inf at delta -> 0+ to
    # -inf at delta -> (cmax - csecond)-; bisect until the interval cannot shrink.
    lo = 0.0
    hi = float(cmax - csecond)
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        g = -n
        for j in range(k):
            if counts[j] > 0:
                c = float(counts[j])
                g += (c * c) / ((c - cmax) + mid)
        if g > 0.0:
            lo = mid
        else:
            hi = mid
    delta = 0.5 * (lo + hi)
    lam = cmax - delta
    norm2 = 0.0
    for j in range(k):
        if counts[j] > 0:
            c = float(counts[j])
            t = c / ((c - cmax) + delta)
            norm2 += t * t
    a = 1.0 / math.sqrt(norm2)
    for j in range(k):
        scores[j] = a * lam / ((counts[j] - cmax) + delta)
    return scores


@jit
def _one_hot_pca1_codes(codes, k):
    """Per-point first principal component score of the one-hot encoding of ``codes``."""
    scores = _pca1_category_scores(_category_counts(codes, k))
    n = codes.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = scores[codes[i]]
    return out


@jit
def _frequency_codes(codes, k):
    """Share of the sample in each point's category."""
    counts = _category_counts(codes, k)
    n = codes.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = counts[codes[i]] / n
    return out


# ---------------------------------------------------------------------------------------------
# cores: numeric views
# ---------------------------------------------------------------------------------------------

@jit
def _rank_uniform_sorted(xs):
    """Uniform scores ``(average rank - 0.5) / n`` of sorted ``xs``, in sorted order."""
    n = xs.shape[0]
    out = np.empty(n)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and xs[j + 1] == xs[i]:
            j += 1
        # average 1-based rank of positions i..j is (i + j) / 2 + 1
        u = (i + j + 1) / (2.0 * n)
        for t in range(i, j + 1):
            out[t] = u
        i = j + 1
    return out


@jit
def _standardise(x):
    """``(x - mean) / std`` with ``ddof=0``; all NaN when ``x`` is constant or empty."""
    n = x.shape[0]
    out = np.empty(n)
    if n == 0:
        return out
    lo = x[0]
    hi = x[0]
    s = 0.0
    for i in range(n):
        v = x[i]
        s += v
        if v < lo:
            lo = v
        elif v > hi:
            hi = v
    if not hi > lo:
        out[:] = np.nan
        return out
    mean = s / n
    ss = 0.0
    for i in range(n):
        d = x[i] - mean
        ss += d * d
    sd = math.sqrt(ss / n)
    for i in range(n):
        out[i] = (x[i] - mean) / sd
    return out


# ---------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------

def _check_k(k) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an integer number of bins, got {k!r}")
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    return int(k)


def _run(name, x, args=()):
    """Run the ``CORES`` entry ``name`` with core arguments ``args`` on validated finite ``x``
    (sorting first where its core takes sorted values); the result in input order."""
    entry = CORES[name]
    if entry.sorted_input:
        # These cores give equal values equal results, so any sorting permutation gives the
        # same output, and the unstable sort serves.
        return run_sorted(entry.core, x, params=args, stable=False)
    return entry.core(x, *args)


def _numeric_codes(name, x, k):
    args = CORES[name].core_args(k=k)
    x = as_float_vector(x)
    if not all_finite(x):
        return np.full(len(x), MISSING_CODE, dtype=np.int64)
    return _run(name, x, args)


def equal_frequency_bins(x, k):
    """Equal-frequency (quantile) bin codes of a numeric variable, ties kept together.

    Parameters
    ----------
    x : array_like, shape (n,)
        Numeric values.
    k : int
        Number of bins requested, ``k >= 2`` (the feature factory uses 2..20).

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Codes ``0..k'-1``, ``k' <= k``, non-decreasing in ``x``.

    Notes
    -----
    Rule: a value whose average rank among the ``n`` points is ``r`` (1-based, ties get the
    mean of their ranks, as ``scipy.stats.rankdata``) goes to bin ``floor(k * (r - 1) / n)``;
    bins left empty are dropped and the rest renumbered consecutively. Equal values have
    equal ranks, so a tie group never straddles two bins; a group larger than ``n / k``
    absorbs neighbouring bins, hence ``k' <= k``. Constant input gives all 0; NaN/inf
    anywhere gives all :data:`MISSING_CODE`. ``O(n log n)`` (one sort).
    """
    return _numeric_codes("equal_frequency_bins", x, k)


def equal_width_bins(x, k):
    """Equal-width bin codes of a numeric variable.

    Parameters
    ----------
    x : array_like, shape (n,)
        Numeric values.
    k : int
        Number of bins, ``k >= 2``.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Codes ``0..k'-1`` over the ``k'`` non-empty bins, non-decreasing in ``x``.

    Notes
    -----
    The bins are those of ``np.histogram(x, bins=k)``: edges ``np.linspace(min, max, k + 1)``,
    bin ``j`` is ``[edge_j, edge_j+1)``, the last bin is closed. Empty bins are dropped from the
    numbering. Constant input gives all 0; NaN/inf anywhere gives all :data:`MISSING_CODE`.
    ``O(n + k)``, no sort.
    """
    return _numeric_codes("equal_width_bins", x, k)


def kmeans_bins(x, k):
    """Codes of the optimal 1-D k-means clustering of a numeric variable.

    Parameters
    ----------
    x : array_like, shape (n,)
        Numeric values.
    k : int
        Number of clusters, ``k >= 2`` (the feature factory uses 2..20).

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Cluster codes ``0..k'-1`` in increasing order of the cluster means; ``k' = min(k, d)``
        with ``d`` the number of distinct values.

    Notes
    -----
    Exact (globally optimal) least-squares clustering, not Lloyd's heuristic: a dynamic
    programme over the sorted distinct values weighted by their counts, each layer filled by
    divide and conquer (the cost is Monge, so optimal split points are monotone):
    ``O(n log n + k d log d)``. Equal values always share a cluster. When several partitions
    have the same cost up to rounding, the one with the earliest split points wins (0, 1, 2
    with ``k = 2`` gives {0}, {1, 2}). Constant input gives all 0; NaN/inf anywhere gives
    all :data:`MISSING_CODE`.
    """
    return _numeric_codes("kmeans_bins", x, k)


@jit
def _dense_codes(v):
    """Codes ``0..k-1`` of the sorted distinct values of ``v`` (int64 or float64) and ``k``,
    when they are integers spanning at most ``4 n + 64``; otherwise ``k = -1``."""
    n = v.shape[0]
    codes = np.empty(n, dtype=np.int64)
    lo = v[0]
    hi = v[0]
    for i in range(n):
        x = v[i]
        if x != math.floor(x):
            return codes, -1
        if x < lo:
            lo = x
        elif x > hi:
            hi = x
    # the check runs in float64 so that a huge integer range cannot wrap around
    if float(hi) - float(lo) > 4.0 * n + 64.0:
        return codes, -1
    size = int(hi - lo) + 1
    present = np.zeros(size, dtype=np.int64)
    for i in range(n):
        present[int(v[i] - lo)] = 1
    k = 0
    for j in range(size):
        c = present[j]
        present[j] = k
        k += c
    for i in range(n):
        codes[i] = present[int(v[i] - lo)]
    return codes, k


def _small_int_codes(arr):
    """``as_codes(arr)`` for integer-valued labels of small range, in ``O(n + range)``.

    ``np.unique`` sorts (about 35 us at n = 1,000); category labels are usually a few small
    integers, for which a presence table gives the same codes several times faster. Returns
    ``None`` when the labels are not such integers (the caller then uses ``as_codes``).
    """
    if len(arr) == 0:
        return None
    kind = arr.dtype.kind
    if kind == "f":
        v = np.ascontiguousarray(arr, dtype=np.float64)
    elif kind in "bi" or (kind == "u" and arr.dtype.itemsize < 8):
        v = np.ascontiguousarray(arr, dtype=np.int64)
    else:
        return None
    codes, k = _dense_codes(v)
    return None if k < 0 else (codes, k)


def _labels_to_codes(labels, name="labels"):
    """``(codes, k)`` as ``as_codes`` gives them, or ``None`` when float labels hold NaN/inf.

    Integer-valued labels of small range take a faster path with the same result
    (:func:`_small_int_codes`, a private stand-in for ``_validation.as_codes``).
    """
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not all_finite(arr):
        return None
    fast = _small_int_codes(arr)
    if fast is not None:
        return fast
    return as_codes(arr, name)


def one_hot_pca1(labels):
    """First principal component score of the one-hot encoding of a categorical variable.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Category labels (integers, floats or strings).

    Returns
    -------
    scores : ndarray of float64, shape (n,)
        The score of each point's category on the first principal axis of the centred one-hot
        matrix (unit-length axis, as ``sklearn.decomposition.PCA(1).fit_transform``).

    Notes
    -----
    In one dimension PCA reduces to one value per category, computed from the category
    counts alone in ``O(n + k)`` (secular equation of the rank-one-updated diagonal
    covariance; see ``_pca1_category_scores``), never from the ``n x k`` matrix.
    Sign: the most frequent category gets a positive score. When ``m >= 2`` categories share
    the largest count the leading eigenvalue is degenerate for ``m >= 3`` (its eigenspace is
    every vector on the tied categories summing to 0); the rule, which gives the unique axis
    ``e_a - e_b`` for ``m = 2``, is the unit vector of that eigenspace closest to the
    descending code order: tied code ``j`` scores ``(mean of the tied codes - j) / norm``, the
    others 0. Two tied: ``+1/sqrt 2`` for the lower label, ``-1/sqrt 2`` for the other. Equal-
    count levels and all-distinct labels are covered by this rule. Undefined (all NaN): a
    single category (no variance), NaN/inf labels.
    """
    coded = _labels_to_codes(labels)
    if coded is None:
        return np.full(len(np.asarray(labels)), np.nan)
    codes, k = coded
    if len(codes) == 0:
        return np.zeros(0)
    return _one_hot_pca1_codes(codes, k)


def frequency_encoding(labels):
    """Share of the sample that falls in each point's category.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Category labels.

    Returns
    -------
    freq : ndarray of float64, shape (n,)
        ``count(category of i) / n``; all 1.0 for a single category; all NaN for NaN/inf labels.
    """
    coded = _labels_to_codes(labels)
    if coded is None:
        return np.full(len(np.asarray(labels)), np.nan)
    codes, k = coded
    if len(codes) == 0:
        return np.zeros(0)
    return _frequency_codes(codes, k)


def ordinal_codes(labels):
    """Ordinal codes of a categorical variable as floats.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Category labels.

    Returns
    -------
    codes : ndarray of float64, shape (n,)
        ``0..k-1`` in the sorted order of the distinct labels (as ``as_codes``); all 0.0 for a
        single category; all NaN for NaN/inf labels.
    """
    coded = _labels_to_codes(labels)
    if coded is None:
        return np.full(len(np.asarray(labels)), np.nan)
    return coded[0].astype(np.float64)


def rank_uniform(x):
    """Uniform scores ``(average rank - 0.5) / n`` of a numeric variable, in ``(0, 1)``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Numeric values.

    Returns
    -------
    u : ndarray of float64, shape (n,)
        Ties share their average rank (as ``scipy.stats.rankdata``); constant input gives all
        0.5; NaN/inf anywhere gives all NaN.
    """
    x = as_float_vector(x)
    if not all_finite(x):
        return np.full(len(x), np.nan)
    return _run("rank_uniform", x)


def standardise(x):
    """Standardised values ``(x - mean) / std`` (``ddof=0``).

    Parameters
    ----------
    x : array_like, shape (n,)
        Numeric values.

    Returns
    -------
    z : ndarray of float64, shape (n,)
        Mean 0 and standard deviation 1; all NaN when ``x`` is constant (``min == max``) or
        holds NaN/inf.
    """
    x = as_float_vector(x)
    if not all_finite(x):
        return np.full(len(x), np.nan)
    return _run("standardise", x)


def _k(value, name):
    return _check_k(value)


#: Every numeric conversion: public function -> its core and parameters (see
#: :mod:`causepairs.kernels.cores`). Cores with ``sorted_input`` take the values sorted
#: ascending and return their result in that order; the others take them in any order. The
#: feature factory's views sort each variable once and call the cores through this table.
CORES = table(
    KernelCore(equal_frequency_bins, _equal_frequency_codes_sorted, (Param("k", _k),)),
    KernelCore(equal_width_bins, _equal_width_codes, (Param("k", _k),), sorted_input=False),
    KernelCore(kmeans_bins, _kmeans_codes_sorted, (Param("k", _k),)),
    KernelCore(rank_uniform, _rank_uniform_sorted),
    KernelCore(standardise, _standardise, sorted_input=False),
)
