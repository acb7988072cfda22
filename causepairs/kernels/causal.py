"""Directional causal measures of two 1-D variables, as Numba kernels.

Every measure here is a function f(x, y) that scores the hypothesis "x causes y"; the feature
factory evaluates it in both directions (f(x, y) and f(y, x)) and lets the model compare them.
Lower is more plausible for all of them except where a docstring says otherwise:

- IGCI, slope and entropy estimators, uniform or Gaussian reference measure (Daniusis et al.
  2010; Janzing et al. 2012): x -> y is inferred when C(x -> y) < C(y -> x).
- RECI (Bloebaum et al. 2018): in-sample mean squared error of a cubic regression of y on x,
  both min-max scaled; x -> y when MSE(y | x) < MSE(x | y).
- Conditional distribution variability and similarity (after Fonollosa's "jarfo" features,
  2nd in the 2013 cause-effect challenge): how much the distribution of y changes across bins
  of x, raw (variability) or after centring each conditional distribution (similarity: an
  additive-noise cause gives shifted copies of one noise law, i.e. similar shapes).
- ANM score: HSIC between x and the leave-one-out residual of a kNN regression of y on x.
- Quantile score (after QCCD, Tagasovska et al. 2020): mean pinball loss of leave-one-out kNN
  quantile regressions of y on x at levels 0.1..0.9, both copula-transformed.
- Location-scale scores (after LOCI, Immer et al. 2023): leave-one-out kNN mean and sd of the
  standardised y given x; HSIC of x with the standardised residual, or the negative
  log-likelihood H(x) + mean log sd + H(standardised residual).
- RECI with an in-sample isotonic fit (monotone, either direction) and with a leave-one-out
  kNN fit, on min-max scaled data.
- SLOPE-style description length (after Marx & Vreeken 2017, 2019): bits per point to send
  the cause on its grid, then the effect as the residual of the cheapest of a few
  regressions (polynomials of degree 0..3, per-value means of a discrete cause), with the
  bits of the fit's parameters.

Conventions (see also :mod:`causepairs.kernels.dependence`): a non-finite value, too few
points, or a constant variable gives NaN, never an exception; every tie rule depends only on
the multiset of points, not on their order. Public wrappers validate once; the ``_*`` cores
take float64 arrays and plain scalars. Cores named ``*_sorted`` follow the factory's
sorted-data contract: ``xs`` sorted ascending (any order among ties) and ``ys`` permuted
with it.
"""

from __future__ import annotations

import math

import numpy as np

from ._config import jit
from ._validation import as_float_pair
from .cores import KernelCore, Param, integer, table
from .regression import _pava_fit
from .univariate import _entropy_vasicek_sorted
from .shared import average_ranks, mean_std
from .dependence import (
    HSIC_MAX_EXACT,
    _all_finite,
    _bad_pair,
    _digamma_int,
    _discretize,
    _hsic_all_given,
    _is_constant,
    _median_heuristic,
)

__all__ = [
    "CORES",
    "REFERENCE_MEASURES",
    "igci_slope",
    "igci_entropy",
    "reci",
    "conditional_distribution_variability",
    "conditional_distribution_similarity",
    "anm_score",
    "quantile_score",
    "location_scale_hsic",
    "location_scale_likelihood",
    "reci_isotonic",
    "reci_knn",
    "mdl_score",
]

#: IGCI reference measures and their codes in the cores: "uniform" min-max scales each
#: variable to [0, 1]; "gaussian" standardises it (mean 0, population sd 1).
REFERENCE_MEASURES = {"uniform": 0, "gaussian": 1}

#: Conditional distribution similarity: centred values are binned at this many bins per
#: standard deviation of y ...
CDS_BINS_PER_SD = 2
#: ... and clipped to +- this many standard deviations (so 2 * 2 * 3 + 1 = 13 bins).
CDS_MAX_SD = 3

#: Quantile levels of the QCCD-style score (Tagasovska et al. 2020 average the pinball loss
#: over a grid of levels; nine evenly spaced ones cover both tails and the median).
QUANTILE_LEVELS = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])

#: Location-scale scores: the fitted conditional sd is floored at this many sds of the
#: (standardised) effect, so a neighbourhood of identical values (ties) gives a large but
#: finite standardised residual instead of a division by zero.
LOCATION_SCALE_SD_FLOOR = 1e-3
#: Residuals and standardised residuals are rounded to multiples of this (2^-30, ~1e-9 sd):
#: the kNN means carry ~1e-16 of rounding, and tied values (an exact fit, identical
#: neighbourhoods) must stay tied, or the spacing entropy scores log(1e-16) gaps as signal.
LOCATION_SCALE_GRID = 2.0 ** -30
#: ... and the HSIC of the standardised residual with the cause is exact up to this many
#: points, a stratified subsample above (bandwidths still from all points): a quarter of the
#: cost of the shared limit at n = 1000, to keep both directions within the fast set's budget.
LOCATION_SCALE_HSIC_MAX_EXACT = 400

#: SLOPE-style score: the resolution of a variable scaled to [0, 1] is its smallest non-zero
#: gap, but never finer than this: measurements rarely carry more than six significant digits
#: of their range, and below that the smallest gap is the accident of two close draws
#: (~1 / n^2 for n continuous values), not a precision of the data.
MDL_RESOLUTION_FLOOR = 1e-6
#: ... the global function classes are the polynomials of degree 0..3 (SLOPE's linear,
#: quadratic and cubic, and the constant: no dependence), plus per-value means when the cause
#: has at most sqrt(n) distinct values (each mean then rests on sqrt(n) points on average).
MDL_MAX_DEGREE = 3

_NAN = np.nan
_HALF_MAX_FLOAT = np.finfo(np.float64).max / 2


# --------------------------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------------------------

@jit
def _reference_scale(v, ref):
    """``v`` mapped to the IGCI reference measure: ref 0 = uniform, (v - min) / (max - min);
    ref 1 = Gaussian, (v - mean) / sd (population sd)."""
    n = len(v)
    out = np.empty(n)
    if ref == 0:
        lo = v[0]
        hi = v[0]
        for i in range(n):
            lo = min(lo, v[i])
            hi = max(hi, v[i])
        width = hi - lo
        for i in range(n):
            out[i] = (v[i] - lo) / width
        return out
    # summed in the given order: no sort needed, since IGCI takes no decision on these bits
    # (equal raw values still scale to equal values); the result moves by ~1e-16 relative
    # with the input order
    mean, sd = mean_std(v)
    for i in range(n):
        out[i] = (v[i] - mean) / sd
    return out


@jit
def _sort_within_ties(xs, ys):
    """Copy of ``ys`` sorted within each run of equal ``xs`` (``xs`` sorted ascending): the
    lexicographic (x, y) order, whatever order tied points came in."""
    n = len(xs)
    out = ys.copy()
    i = 0
    while i < n:
        j = i + 1
        while j < n and xs[j] == xs[i]:
            j += 1
        if j - i > 1:
            seg = np.sort(out[i:j].copy())
            for t in range(j - i):
                out[i + t] = seg[t]
        i = j
    return out


# --------------------------------------------------------------------------------------------
# IGCI
# --------------------------------------------------------------------------------------------

@jit
def _igci_slope_sorted(xs, ys, ref):
    """IGCI slope estimator C(x -> y) for ``xs`` sorted ascending, ``ys`` aligned.

    Both variables are mapped to the reference measure, the points taken in (x, y)
    lexicographic order, and C = mean of log|dy / dx| over consecutive points, skipping the
    pairs with dx = 0 or dy = 0 (as the original implementation does). NaN if n < 2, a value
    is not finite, a variable is constant, or every pair is skipped.
    """
    if _bad_pair(xs, ys):
        return _NAN
    u = _reference_scale(xs, ref)  # monotone map: u stays sorted
    v = _sort_within_ties(u, _reference_scale(ys, ref))
    n = len(u)
    total = 0.0
    used = 0
    for i in range(n - 1):
        dx = u[i + 1] - u[i]
        dy = v[i + 1] - v[i]
        if dx != 0.0 and dy != 0.0:
            total += math.log(abs(dy / dx))
            used += 1
    if used == 0:
        return _NAN
    return total / used



@jit
def _spacing_entropy_sorted(vs):
    """The m = 1 spacing entropy estimate used by IGCI, for ``vs`` sorted ascending:
    psi(n) - psi(1) + sum over non-zero spacings of log(spacing) / (n - 1) (zero spacings
    are skipped but still counted in n - 1, as in the original implementation)."""
    n = len(vs)
    total = 0.0
    for i in range(n - 1):
        d = vs[i + 1] - vs[i]
        if d != 0.0:
            total += math.log(d)
    return total / (n - 1) + _digamma_int(n) - _digamma_int(np.int64(1))


@jit
def _igci_reference_entropy(v, ref):
    """H(v) after mapping ``v`` to the reference measure: one variable's half of
    :func:`_igci_entropy`. NaN if n < 2, a value is not finite, or ``v`` is constant."""
    if len(v) < 2 or not _all_finite(v) or _is_constant(v):
        return _NAN
    return _spacing_entropy_sorted(np.sort(_reference_scale(v, ref)))


@jit
def _igci_entropy(x, y, ref):
    """IGCI entropy estimator C(x -> y) = H(y) - H(x) after mapping both to the reference
    measure; NaN if n < 2, a value is not finite, or a variable is constant."""
    if _bad_pair(x, y):
        return _NAN
    return _igci_reference_entropy(y, ref) - _igci_reference_entropy(x, ref)


# --------------------------------------------------------------------------------------------
# RECI
# --------------------------------------------------------------------------------------------

#: A power column whose part orthogonal to the lower powers is below this fraction of its
#: norm is dropped (x has fewer distinct values than the cubic has coefficients).
_RECI_RANK_TOL = 1e-10


@jit
def _dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


@jit
def _reci(x, y):
    """RECI: in-sample MSE of the least-squares cubic of y on x, both min-max scaled.

    The fit is a projection of y onto span{1, t, t^2, t^3}, t = 2x - 1 in [-1, 1], by
    modified Gram-Schmidt on the augmented matrix [1, t, t^2, t^3 | y]: the residual it leaves
    in y is backward stable (Bjorck 1967) without forming normal equations, even when heavy
    tails squeeze t against one end. A power whose part orthogonal to the lower ones is below
    1e-10 of its norm is dropped (x with fewer than 4 distinct values), which is what a
    least-squares solver with a rank cut-off does. NaN if n < 5, a value is not finite, or a
    variable is constant.
    """
    n = len(x)
    if n < 5 or _bad_pair(x, y):
        return _NAN
    t = _reference_scale(x, np.int64(0))
    r = _reference_scale(y, np.int64(0))
    for i in range(n):
        t[i] = 2.0 * t[i] - 1.0
    basis = np.empty((4, n))
    power = np.ones(n)
    w = np.empty(n)
    used = 0
    for degree in range(4):
        norm0 = 0.0
        for i in range(n):
            if degree > 0:
                power[i] *= t[i]
            w[i] = power[i]
            norm0 += w[i] * w[i]
        for c in range(used):
            q = basis[c]
            proj = _dot(q, w)
            for i in range(n):
                w[i] -= proj * q[i]
        norm = math.sqrt(_dot(w, w))
        if not norm > _RECI_RANK_TOL * math.sqrt(norm0):
            continue
        q = basis[used]
        used += 1
        proj = 0.0
        for i in range(n):
            q[i] = w[i] / norm
            proj += q[i] * r[i]
        for i in range(n):
            r[i] -= proj * q[i]
    return _dot(r, r) / n


# --------------------------------------------------------------------------------------------
# conditional distribution variability and similarity
# --------------------------------------------------------------------------------------------

@jit
def _conditional_spread(table, counts, min_count):
    """Weighted spread of the rows of a conditional histogram table.

    ``table[a, g]`` counts the points of x-bin a in y-cell g and ``counts[a]`` its row total.
    Rows with fewer than ``min_count`` points are dropped; with weights w_a = n_a / N over
    the R kept rows, p_a = table[a] / n_a and pbar = sum_a w_a p_a, the result is
    sqrt(sum_a w_a ||p_a - pbar||^2), in [0, sqrt(2)). NaN when R < 2.
    """
    ka = table.shape[0]
    kg = table.shape[1]
    kept = 0
    total = 0.0
    for a in range(ka):
        if counts[a] >= min_count and counts[a] > 0:
            kept += 1
            total += counts[a]
    if kept < 2:
        return _NAN
    pbar = np.zeros(kg)
    for a in range(ka):
        if counts[a] >= min_count and counts[a] > 0:
            for g in range(kg):
                pbar[g] += table[a, g] / total
    spread = 0.0
    for a in range(ka):
        if counts[a] >= min_count and counts[a] > 0:
            s = 0.0
            for g in range(kg):
                d = table[a, g] / counts[a] - pbar[g]
                s += d * d
            spread += counts[a] / total * s
    return math.sqrt(spread)


@jit
def _conditional_distribution_variability(x, y, n_bins, min_count):
    """Spread of the conditional histograms p(y-bin | x-bin) (see
    :func:`_conditional_spread`), both variables discretised by ``_discretize``."""
    if _bad_pair(x, y):
        return _NAN
    a, ka = _discretize(x, n_bins)
    b, kb = _discretize(y, n_bins)
    table = np.zeros((ka, kb))
    counts = np.zeros(ka)
    for i in range(len(x)):
        table[a[i], b[i]] += 1.0
        counts[a[i]] += 1.0
    return _conditional_spread(table, counts, min_count)


@jit
def _conditional_distribution_similarity(x, y, n_bins, min_count):
    """Spread of the *centred* conditional distributions of y given x-bins.

    x is discretised by ``_discretize``; within each x-bin, y is centred on the bin mean and
    divided by the sd of all of y, then binned on a fixed grid: cell = rint(u * 2), clipped
    to [-6, 6] (half-sd cells, +-3 sd). The result is :func:`_conditional_spread` of those
    histograms: small when every conditional law is a shifted copy of one noise law.
    Bin means and the sd are summed in ascending y order (order-independent, reproducible).
    """
    if _bad_pair(x, y):
        return _NAN
    n = len(x)
    a, ka = _discretize(x, n_bins)
    oy = np.argsort(y)
    ys = np.empty(n)
    for t in range(n):
        ys[t] = y[oy[t]]
    mean_y, sd_y = mean_std(ys)
    sums = np.zeros(ka)
    counts = np.zeros(ka)
    for t in range(n):
        i = oy[t]
        sums[a[i]] += y[i]
        counts[a[i]] += 1.0
    half = CDS_BINS_PER_SD * CDS_MAX_SD
    table = np.zeros((ka, 2 * half + 1))
    for i in range(n):
        mean_a = sums[a[i]] / counts[a[i]]
        u = (y[i] - mean_a) / sd_y
        g = np.rint(u * CDS_BINS_PER_SD)
        g = min(float(half), max(-float(half), g))
        table[a[i], int(g) + half] += 1.0
    return _conditional_spread(table, counts, min_count)


# --------------------------------------------------------------------------------------------
# ANM score
# --------------------------------------------------------------------------------------------

@jit
def _knn_windows_sorted(xs, k):
    """For every i, the half-open index range [first, stop) of point i and its k nearest
    neighbours in sorted ``xs`` (k <= n - 1), every point tied at the k-th distance included,
    so the result does not depend on the order of ties: the one window rule of the
    leave-one-out kNN fits here. Two arrays, ``firsts`` and ``stops``.

    The k-th smallest distance d_k from x_i is the smallest, over the blocks [l, l + k] of
    k + 1 consecutive points holding i, of the block's farther end (the k nearest points
    and i form such a block). As a function of l that farther end falls, then rises, and
    its minimum moves right with i, so one pointer walks all the blocks: O(n) in all. The
    window then takes every point within d_k, its ends found by galloping out of the
    block (O(log) of the ties at d_k). The distances are the differences x_i - x_j and
    x_j - x_i, as a per-point search computes them, so d_k and the window are the same.
    """
    n = len(xs)
    firsts = np.empty(n, np.int64)
    stops = np.empty(n, np.int64)
    l = 0
    for i in range(n):
        xi = xs[i]
        l = max(l, i - k)
        while l < i and l + k + 1 < n and \
                max(xi - xs[l + 1], xs[l + k + 1] - xi) <= max(xi - xs[l], xs[l + k] - xi):
            l += 1
        dk = max(xi - xs[l], xs[l + k] - xi)
        # first: the smallest j <= l within dk (xs[l] is); gallop left, then bisect
        hi = l
        step = 1
        lo = l - 1
        while lo >= 0 and xi - xs[lo] <= dk:
            hi = lo
            step *= 2
            lo = hi - step
        lo = max(lo, -1) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if xi - xs[mid] <= dk:
                hi = mid
            else:
                lo = mid + 1
        firsts[i] = lo
        # stop: the smallest j > l + k beyond dk (or n); gallop right, then bisect
        lo = l + k
        step = 1
        hi = lo + 1
        while hi < n and xs[hi] - xi <= dk:
            lo = hi
            step *= 2
            hi = lo + step
        hi = min(hi, n)
        lo += 1
        while lo < hi:
            mid = (lo + hi) // 2
            if xs[mid] - xi > dk:
                hi = mid
            else:
                lo = mid + 1
        stops[i] = lo
    return firsts, stops


@jit
def _loo_knn_sorted(xs, ys, k):
    """Leave-one-out kNN regression on sorted x, ties included at the boundary.

    For point i, d_k is the k-th smallest |x_j - x_i| over j != i (k capped at n - 1), and the
    prediction is the mean of y over every j != i with |x_j - x_i| <= d_k: all points tied at
    the boundary distance take part, so the result does not depend on the order of ties
    (it may average more than k points). Window sums from prefix sums; O(n (k + log n)).
    Returns predictions in the sorted order.
    """
    n = len(xs)
    k = min(k, n - 1)
    prefix = np.empty(n + 1)
    prefix[0] = 0.0
    for i in range(n):
        prefix[i + 1] = prefix[i] + ys[i]
    firsts, stops = _knn_windows_sorted(xs, k)
    pred = np.empty(n)
    for i in range(n):
        first = firsts[i]
        stop = stops[i]
        pred[i] = (prefix[stop] - prefix[first] - ys[i]) / (stop - first - 1)
    return pred


@jit
def _anm_score_sorted(xs, ys, k):
    """HSIC(x, y - LOO-kNN prediction of y from x) for ``xs`` sorted, ``ys`` aligned.

    HSIC is the shared core of ``dependence.hsic`` (Gaussian kernels, median heuristic, exact
    up to ``HSIC_MAX_EXACT`` points). NaN if n < 3, a value is not finite, or a variable is
    constant (then also when the residual is constant: a perfect fit).
    """
    n = len(xs)
    if n < 3 or _bad_pair(xs, ys):
        return _NAN
    return _anm_score_given_sigma(xs, ys, k, _median_heuristic(xs))


@jit
def _anm_score_given_sigma(xs, ys, k, sigma_x):
    """:func:`_anm_score_sorted` with x's HSIC bandwidth given (``_median_heuristic(xs)``)."""
    n = len(xs)
    if n < 3 or _bad_pair(xs, ys):
        return _NAN
    pred = _loo_knn_sorted(xs, ys, k)
    resid = np.empty(n)
    for i in range(n):
        resid[i] = ys[i] - pred[i]
    if _bad_pair(xs, resid):
        return _NAN
    return _hsic_all_given(xs, resid, sigma_x, _median_heuristic(resid),
                           np.int64(HSIC_MAX_EXACT), np.bool_(False))[0]


# --------------------------------------------------------------------------------------------
# QCCD-style quantile score
# --------------------------------------------------------------------------------------------

@jit
def _sorted_insert(buf, size, value):
    """Insert ``value`` into the sorted ``buf[:size]`` (room for one more is assumed)."""
    p = size
    while p > 0 and buf[p - 1] > value:
        buf[p] = buf[p - 1]
        p -= 1
    buf[p] = value


@jit
def _lower_bound(buf, size, value):
    """First index of the sorted ``buf[:size]`` whose value is not below ``value``."""
    lo = 0
    hi = size
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def _sorted_remove(buf, size, value):
    """Remove one copy of ``value`` (which must be there) from the sorted ``buf[:size]``;
    returns the new size."""
    p = _lower_bound(buf, size, value)
    for j in range(p, size - 1):
        buf[j] = buf[j + 1]
    return size - 1


@jit
def _quantile_score_sorted(us, vs, k, levels):
    """Mean pinball loss of leave-one-out kNN quantiles of ``vs`` given ``us`` (sorted).

    For point i the window is its k nearest neighbours in u (ties at the k-th distance
    included, i itself left out); the tau-quantile of their v is NumPy's default ("linear")
    sample quantile, and the loss rho_tau(v_i - q) = r (tau - [r < 0]) is averaged over the
    points and the levels. The window with i in it is kept sorted as it slides (values
    leaving and entering are removed and inserted), tied points share one, and i is skipped
    by position: one copy of v_i, found by bisection. O(n k) for distinct u.
    """
    n = len(us)
    k = min(k, n - 1)
    n_levels = len(levels)
    window = np.empty(n)
    last_first = -1
    last_stop = -1
    total = 0.0
    firsts, stops = _knn_windows_sorted(us, k)
    for i in range(n):
        first = firsts[i]
        stop = stops[i]
        size = stop - first
        if first != last_first or stop != last_stop:
            if last_first <= first < last_stop <= stop:
                # the window slid right (the usual step along sorted u): drop the values
                # that left, insert the ones that came in, O(k) each
                held = last_stop - last_first
                for j in range(last_first, first):
                    held = _sorted_remove(window, held, vs[j])
                for j in range(last_stop, stop):
                    _sorted_insert(window, held, vs[j])
                    held += 1
            else:
                # the first window, or no overlap (after a run of ties): sort it afresh
                for j in range(size):
                    _sorted_insert(window, j, vs[first + j])
        last_first = first
        last_stop = stop
        skip = _lower_bound(window, size, vs[i])  # a copy of v_i: the rest shift past it
        m = size - 1
        for t in range(n_levels):
            tau = levels[t]
            h = (m - 1) * tau
            below = int(math.floor(h))
            a = window[below] if below < skip else window[below + 1]
            if below >= m - 1:
                q = a
            else:
                b = window[below + 1] if below + 1 < skip else window[below + 2]
                q = a + (h - below) * (b - a)
            r = vs[i] - q
            total += r * (tau - 1.0) if r < 0.0 else r * tau
    return total / (n * n_levels)


@jit
def _quantile_score(x, y, k):
    """QCCD-style score of x -> y: both variables copula-transformed (average rank / n), then
    :func:`_quantile_score_sorted` of v on u. NaN if n < 2, a value is not finite, or a
    variable is constant."""
    if _bad_pair(x, y):
        return _NAN
    n = len(x)
    u = average_ranks(x) / n
    v = average_ranks(y) / n
    order = np.argsort(u)
    return _quantile_score_sorted(u[order], v[order], k, QUANTILE_LEVELS)


# --------------------------------------------------------------------------------------------
# LOCI-style location-scale scores
# --------------------------------------------------------------------------------------------

@jit
def _loo_knn_window_sums_sorted(xs, ys, k):
    """:func:`_loo_knn_sorted` with each window summed directly instead of by prefix sums.

    A prefix-sum difference carries the rounding of everything summed before the window
    (~1e-16 of the largest prefix), which swamps small windows next to large values; here
    the error is relative to the window's own values, so two windows of the same values
    give the same bits. Tied points share one window (their k-th distance is the same), so
    its sum is taken once per run of ties: O(n k) plus the runs.
    """
    n = len(xs)
    k = min(k, n - 1)
    pred = np.empty(n)
    last_first = -1
    last_stop = -1
    total = 0.0
    firsts, stops = _knn_windows_sorted(xs, k)
    for i in range(n):
        first = firsts[i]
        stop = stops[i]
        if first != last_first or stop != last_stop:
            total = 0.0
            for j in range(first, stop):
                total += ys[j]
            last_first = first
            last_stop = stop
        pred[i] = (total - ys[i]) / (stop - first - 1)
    return pred


@jit
def _location_scale_fit_sorted(xs, ys, k):
    """Standardised residuals and fitted sds of a location-scale fit of y on sorted ``xs``.

    y is standardised (mean and population sd summed in ascending order); the location is the
    leave-one-out kNN mean (:func:`_loo_knn_window_sums_sorted`) and the scale the square root of the
    leave-one-out kNN mean of the squared residuals, floored at
    :data:`LOCATION_SCALE_SD_FLOOR`. Residual and standardised residual are rounded to
    multiples of :data:`LOCATION_SCALE_GRID`. Returns (residual / scale, scale), in the
    sorted order.
    """
    n = len(xs)
    mean, sd = mean_std(np.sort(ys))
    z = np.empty(n)
    for i in range(n):
        z[i] = (ys[i] - mean) / sd
    location = _loo_knn_window_sums_sorted(xs, z, k)
    resid = np.empty(n)
    squared = np.empty(n)
    grid = LOCATION_SCALE_GRID
    for i in range(n):
        resid[i] = np.rint((z[i] - location[i]) / grid) * grid
        squared[i] = resid[i] * resid[i]
    variance = _loo_knn_window_sums_sorted(xs, squared, k)
    floor2 = LOCATION_SCALE_SD_FLOOR * LOCATION_SCALE_SD_FLOOR
    scale = np.empty(n)
    standardised = np.empty(n)
    for i in range(n):
        scale[i] = math.sqrt(max(variance[i], floor2))
        standardised[i] = np.rint(resid[i] / scale[i] / grid) * grid
    return standardised, scale


@jit
def _location_scale_scores_sorted(xs, ys, k, want_hsic, want_likelihood, sigma_x):
    """(HSIC score, likelihood score) of the location-scale model xs -> ys, ``xs`` sorted
    and ``ys`` aligned, from one fit (:func:`_location_scale_fit_sorted`); a score not wanted
    is NaN and costs nothing. ``sigma_x`` is x's HSIC bandwidth, ``_median_heuristic(xs)``
    (read only for the HSIC score). NaN if n < 3, a value is not finite, or a variable is
    constant.

    HSIC: of x with the standardised residual, exact up to
    :data:`LOCATION_SCALE_HSIC_MAX_EXACT` points (NaN if the residual is constant).
    Likelihood: the negative log-likelihood per point, H(x) + mean log scale +
    H(standardised residual), entropies by Vasicek's estimator (m = round(sqrt(n))); NaN if
    the residual is constant or n is too small for the spacing (2 m >= n).
    """
    n = len(xs)
    if n < 3 or _bad_pair(xs, ys):
        return _NAN, _NAN
    standardised, scale = _location_scale_fit_sorted(xs, ys, k)
    h_score = _NAN
    nll = _NAN
    if want_hsic and not _bad_pair(xs, standardised):
        h_score = _hsic_all_given(xs, standardised, sigma_x, _median_heuristic(standardised),
                                  np.int64(LOCATION_SCALE_HSIC_MAX_EXACT), np.bool_(False))[0]
    if want_likelihood:
        mean, sd = mean_std(xs)
        us = np.empty(n)
        log_scale = 0.0
        for i in range(n):
            us[i] = (xs[i] - mean) / sd
            log_scale += math.log(scale[i])
        h_cause = _entropy_vasicek_sorted(us, np.int64(0))
        h_noise = _entropy_vasicek_sorted(np.sort(standardised), np.int64(0))
        nll = h_cause + log_scale / n + h_noise
    return h_score, nll


@jit
def _location_scale_hsic_sorted(xs, ys, k):
    """HSIC(x, standardised residual of the location-scale fit of y on x) for ``xs`` sorted
    (see :func:`_location_scale_scores_sorted`)."""
    sigma_x = _median_heuristic(xs) if len(xs) >= 3 and not _bad_pair(xs, ys) else _NAN
    return _location_scale_scores_sorted(xs, ys, k, np.bool_(True), np.bool_(False),
                                         sigma_x)[0]


@jit
def _location_scale_likelihood_sorted(xs, ys, k):
    """Negative log-likelihood per point of the location-scale model x -> y for ``xs``
    sorted (see :func:`_location_scale_scores_sorted`)."""
    return _location_scale_scores_sorted(xs, ys, k, np.bool_(False), np.bool_(True),
                                         _NAN)[1]




# --------------------------------------------------------------------------------------------
# RECI with a monotone and a flexible fit
# --------------------------------------------------------------------------------------------

@jit
def _reci_isotonic_sorted(xs, ys):
    """RECI with a monotone fit: in-sample MSE of the isotonic regression of y on sorted
    ``xs``, both min-max scaled, the better of non-decreasing and non-increasing. Tied x are
    merged first (their mean y, weight = count), as scikit-learn's IsotonicRegression does.
    NaN if n < 3, a value is not finite, or a variable is constant."""
    n = len(xs)
    if n < 3 or _bad_pair(xs, ys):
        return _NAN
    v = _reference_scale(ys, np.int64(0))
    gsum = np.empty(n)
    gw = np.empty(n)
    group = np.empty(n, np.int64)
    n_groups = np.int64(0)
    for i in range(n):
        if n_groups > 0 and xs[i] == xs[i - 1]:
            gsum[n_groups - 1] += v[i]
            gw[n_groups - 1] += 1.0
        else:
            gsum[n_groups] = v[i]
            gw[n_groups] = 1.0
            n_groups += 1
        group[i] = n_groups - 1
    fitted = np.empty(n)
    blk_sum = np.empty(n)
    blk_w = np.empty(n)
    blk_end = np.empty(n, np.int64)
    best = np.inf
    for sign in (1.0, -1.0):
        _pava_fit(gsum, gw, n_groups, sign, fitted, blk_sum, blk_w, blk_end)
        sse = 0.0
        for i in range(n):
            d = v[i] - fitted[group[i]]
            sse += d * d
        best = min(best, sse)
    return best / n



@jit
def _reci_knn_sorted(xs, ys, k):
    """RECI with a flexible fit: MSE of the leave-one-out kNN regression
    (:func:`_loo_knn_window_sums_sorted`) of y on sorted ``xs``, y min-max scaled (x's scale
    does not move its neighbours). NaN if n < 3, a value is not finite, or a variable is
    constant."""
    n = len(xs)
    if n < 3 or _bad_pair(xs, ys):
        return _NAN
    v = _reference_scale(ys, np.int64(0))
    pred = _loo_knn_window_sums_sorted(xs, v, k)
    sse = 0.0
    for i in range(n):
        d = v[i] - pred[i]
        sse += d * d
    return sse / n


# --------------------------------------------------------------------------------------------
# SLOPE-style description length
# --------------------------------------------------------------------------------------------

@jit
def _unit_scale(v):
    """``v`` min-max scaled to [0, 1]; when max - min overflows (values near +-1e308), both
    are halved first (exact), so the scaling stays finite."""
    n = len(v)
    lo = v[0]
    hi = v[0]
    for i in range(n):
        lo = min(lo, v[i])
        hi = max(hi, v[i])
    # the halves are exact, so this is "hi - lo overflows", without overflowing
    half_width = 0.5 * hi - 0.5 * lo
    if half_width <= _HALF_MAX_FLOAT:
        half = 1.0
        shift = lo
        width = hi - lo
    else:
        half = 0.5
        shift = 0.5 * lo
        width = half_width
    out = np.empty(n)
    for i in range(n):
        out[i] = (half * v[i] - shift) / width
    return out


@jit
def _mdl_resolution_sorted(us):
    """Data resolution of ``us`` (sorted, scaled to [0, 1]): the smallest non-zero gap between
    consecutive values, at least :data:`MDL_RESOLUTION_FLOOR`."""
    gap = 1.0
    for i in range(len(us) - 1):
        d = us[i + 1] - us[i]
        if d > 0.0 and d < gap:
            gap = d
    return max(gap, MDL_RESOLUTION_FLOOR)


@jit
def _gaussian_code_bits(rss, n, resolution):
    """Bits to send n residuals at ``resolution`` with a Gaussian code of variance rss / n:
    n (log2(2 pi e rss / n) / 2 - log2(resolution)), at least 0 (the continuous formula goes
    negative when the residuals are finer than the resolution; a discrete code never does)."""
    if rss <= 0.0:
        return 0.0
    per_point = 0.5 * math.log2(2.0 * math.pi * math.e * rss / n) - math.log2(resolution)
    return n * max(per_point, 0.0)


@jit
def _polynomial_rss(us, vs, max_degree):
    """Residual sums of squares of the least-squares polynomials of degree 0..max_degree of
    ``vs`` on ``us`` (in [0, 1]), one per degree.

    Modified Gram-Schmidt on the powers of t = 2u - 1, as :func:`_reci`: each power's part
    orthogonal to the lower ones is projected out of the residual in turn, so the RSS of every
    degree comes out of one pass; a power below ``_RECI_RANK_TOL`` of its norm after
    orthogonalisation (fewer distinct u than coefficients) leaves the RSS unchanged.
    """
    n = len(us)
    t = np.empty(n)
    for i in range(n):
        t[i] = 2.0 * us[i] - 1.0
    r = vs.copy()
    basis = np.empty((max_degree + 1, n))
    power = np.ones(n)
    w = np.empty(n)
    rss = np.empty(max_degree + 1)
    used = 0
    for degree in range(max_degree + 1):
        norm0 = 0.0
        for i in range(n):
            if degree > 0:
                power[i] *= t[i]
            w[i] = power[i]
            norm0 += w[i] * w[i]
        for c in range(used):
            q = basis[c]
            proj = _dot(q, w)
            for i in range(n):
                w[i] -= proj * q[i]
        norm = math.sqrt(_dot(w, w))
        if norm > _RECI_RANK_TOL * math.sqrt(norm0):
            q = basis[used]
            used += 1
            proj = 0.0
            for i in range(n):
                q[i] = w[i] / norm
                proj += q[i] * r[i]
            for i in range(n):
                r[i] -= proj * q[i]
        rss[degree] = _dot(r, r)
    return rss


@jit
def _level_means_rss_sorted(us, vs):
    """Number of distinct values of sorted ``us`` and the residual sum of squares of ``vs``
    about its mean within each of them (one run of equal u at a time)."""
    n = len(us)
    levels = 0
    rss = 0.0
    i = 0
    while i < n:
        j = i + 1
        while j < n and us[j] == us[i]:
            j += 1
        total = 0.0
        for t in range(i, j):
            total += vs[t]
        mean = total / (j - i)
        for t in range(i, j):
            d = vs[t] - mean
            rss += d * d
        levels += 1
        i = j
    return levels, rss


@jit
def _mdl_score_sorted(xs, ys):
    """SLOPE-style description length of x -> y, in bits per point, for ``xs`` sorted
    ascending and ``ys`` aligned (see :func:`mdl_score`). NaN if n < 3, a value is not
    finite, or a variable is constant."""
    n = len(xs)
    if n < 3 or _bad_pair(xs, ys):
        return _NAN
    u = _unit_scale(xs)  # monotone: stays sorted
    # canonical order within tied u, so that every sum below has the same bits whatever
    # order tied points came in
    v = _sort_within_ties(u, _unit_scale(ys))
    cause_resolution = _mdl_resolution_sorted(u)
    effect_resolution = _mdl_resolution_sorted(np.sort(v))
    bits_per_parameter = 0.5 * math.log2(n)
    rss = _polynomial_rss(u, v, MDL_MAX_DEGREE)
    best = np.inf
    for degree in range(MDL_MAX_DEGREE + 1):
        cost = (_gaussian_code_bits(rss[degree], n, effect_resolution)
                + (degree + 1) * bits_per_parameter)
        best = min(best, cost)
    levels, level_rss = _level_means_rss_sorted(u, v)
    if levels * levels <= n:
        best = min(best, _gaussian_code_bits(level_rss, n, effect_resolution)
                   + levels * bits_per_parameter)
    cause_bits = n * math.log2(1.0 + 1.0 / cause_resolution)
    # the noise scale and the name of the class are sent whichever class wins
    model_bits = bits_per_parameter + math.log2(MDL_MAX_DEGREE + 2.0)
    return (cause_bits + best + model_bits) / n



# --------------------------------------------------------------------------------------------
# public wrappers
# --------------------------------------------------------------------------------------------

def _reference_code(reference, name="reference"):
    try:
        return REFERENCE_MEASURES[reference]
    except (KeyError, TypeError):
        raise ValueError(f"{name} must be one of {sorted(REFERENCE_MEASURES)}, "
                         f"got {reference!r}") from None


@jit
def _argsort(x):
    """Numba's ``np.argsort`` (its quicksort): the one order the sorted cores are fed, by the
    public functions and by the feature factory alike, so both give the same bits (the
    order of tied x moves sums, not results, by ~1e-16)."""
    return np.argsort(x)


def _run_core(name, x, y, **kwargs):
    """The public function ``name``: validate the data, check and convert the parameters by
    its ``CORES`` entry, sort by x when its core wants sorted input, run the core."""
    entry = CORES[name]
    x, y = as_float_pair(x, y)
    args = entry.core_args(**kwargs)
    if entry.sorted_input:
        order = _argsort(x)
        x, y = x[order], y[order]
    return float(entry.core(x, y, *args))


def igci_slope(x, y, reference="uniform"):
    """IGCI slope-based score C(x -> y) (Daniusis et al. 2010, Janzing et al. 2012).

    Both variables are mapped to the reference measure; with the points in (x, y)
    lexicographic order, C = mean of log|dy/dx| over consecutive points with dx != 0 and
    dy != 0.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    reference : {"uniform", "gaussian"}, default "uniform"
        "uniform": min-max scaling to [0, 1]; "gaussian": standardisation.

    Returns
    -------
    float
        C(x -> y); x -> y is preferred when it is below ``igci_slope(y, x)``. NaN if n < 2, a
        value is NaN/inf, a variable is constant, or no pair has dx != 0 and dy != 0.
    """
    return _run_core("igci_slope", x, y, reference=reference)


def igci_entropy(x, y, reference="uniform"):
    """IGCI entropy-based score C(x -> y) = H(y) - H(x) after mapping to the reference.

    H is the m = 1 spacing estimate psi(n) - psi(1) + sum log(spacing) / (n - 1), zero
    spacings (ties) skipped in the sum, as in the original implementation. Antisymmetric:
    ``igci_entropy(y, x) == -igci_entropy(x, y)``.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    reference : {"uniform", "gaussian"}, default "uniform"
        "uniform": min-max scaling to [0, 1]; "gaussian": standardisation.

    Returns
    -------
    float
        C(x -> y); x -> y is preferred when it is negative. NaN if n < 2, a value is
        NaN/inf, or a variable is constant.
    """
    return _run_core("igci_entropy", x, y, reference=reference)


def reci(x, y):
    """RECI score (Bloebaum et al. 2018): MSE of a cubic regression of y on x.

    Both variables are min-max scaled to [0, 1]; the cubic is fitted by least squares and
    scored in-sample (the paper's choice: the asymmetry lives in the fit's error, and an
    out-of-fold fit adds variance without changing the comparison).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.

    Returns
    -------
    float
        Mean squared residual in the scaled units; x -> y is preferred when it is below
        ``reci(y, x)``. NaN if n < 5, a value is NaN/inf, or a variable is constant.
    """
    return _run_core("reci", x, y)


def conditional_distribution_variability(x, y, n_bins=10, min_count=10):
    """How much the distribution of y changes across bins of x.

    x and y are discretised separately (at most ``n_bins`` distinct values are kept as
    categories, otherwise equal-frequency bins, ties sharing a bin). For every x-bin with at
    least ``min_count`` points, p_a is the histogram of y-bins in it; the result is
    sqrt(sum_a w_a ||p_a - pbar||^2), w_a the bin's share of the kept points and pbar the
    weighted mean histogram.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values (categorical ones as numeric codes); x is the conditioning variable.
    n_bins : int, default 10
        Bins per variable (>= 2).
    min_count : int, default 10
        Smallest x-bin that takes part (>= 1).

    Returns
    -------
    float
        The weighted spread, in [0, sqrt(2)); NaN if a value is NaN/inf, a variable is
        constant, or fewer than two x-bins have ``min_count`` points.
    """
    return _run_core("conditional_distribution_variability", x, y, n_bins=n_bins,
                     min_count=min_count)


def conditional_distribution_similarity(x, y, n_bins=10, min_count=10):
    """How different the *shapes* of the conditional distributions of y given x are.

    As :func:`conditional_distribution_variability`, but within each x-bin y is first
    centred on the bin mean and divided by the standard deviation of y, and the histogram is
    over a fixed grid of half-sd cells from -3 to +3 sd (clipped). If x -> y with additive
    noise, every conditional distribution is the same noise law shifted, so the score is
    small; after Fonollosa's conditional distribution similarity feature.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the conditioning (hypothesised cause) variable.
    n_bins : int, default 10
        Bins for x (>= 2).
    min_count : int, default 10
        Smallest x-bin that takes part (>= 1).

    Returns
    -------
    float
        The weighted spread of the centred histograms; NaN if a value is NaN/inf, a variable
        is constant, or fewer than two x-bins have ``min_count`` points.
    """
    return _run_core("conditional_distribution_similarity", x, y, n_bins=n_bins,
                     min_count=min_count)


def anm_score(x, y, n_neighbors=10):
    """Additive-noise-model score: dependence between x and the residual of y given x.

    The residual is y minus a leave-one-out kNN regression of y on x (the mean of the
    ``n_neighbors`` nearest x, every point tied at the boundary distance included); the score
    is its HSIC with x (:func:`causepairs.kernels.dependence.hsic`: Gaussian kernels, median
    heuristic, exact up to ``HSIC_MAX_EXACT`` points, stratified subsample above).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    n_neighbors : int, default 10
        k of the kNN regression (>= 1; capped at n - 1).

    Returns
    -------
    float
        HSIC >= 0; x -> y is preferred when it is below ``anm_score(y, x)``. NaN if n < 3, a
        value is NaN/inf, a variable is constant, or the residual is constant.
    """
    return _run_core("anm_score", x, y, n_neighbors=n_neighbors)


def quantile_score(x, y, n_neighbors=30):
    """QCCD-style quantile score of x -> y (after Tagasovska et al., ICML 2020).

    Both variables are copula-transformed (average rank / n, ties sharing their mean rank);
    for each point, the quantiles of the effect at levels 0.1, 0.2, ..., 0.9 are estimated from
    its ``n_neighbors`` nearest neighbours in the cause (leave-one-out: the point itself is
    not in its window; every point tied at the k-th distance is), and the score is the mean
    pinball loss over the points and levels. QCCD's rule: the direction whose quantile
    regressions fit better (lower loss) is causal.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    n_neighbors : int, default 30
        Window size k (>= 1; capped at n - 1).

    Returns
    -------
    float
        Mean pinball loss in copula units (>= 0); x -> y is preferred when it is below
        ``quantile_score(y, x)``. NaN if n < 2, a value is NaN/inf, or a variable is constant.
    """
    return _run_core("quantile_score", x, y, n_neighbors=n_neighbors)


def location_scale_hsic(x, y, n_neighbors=30):
    """LOCI-style independence score of x -> y (after Immer et al., ICML 2023).

    y is standardised; its conditional mean and sd given x are leave-one-out kNN fits
    (``n_neighbors`` nearest x, ties at the boundary included; the sd from the squared
    residuals, floored at ``LOCATION_SCALE_SD_FLOOR``; residuals rounded to multiples of
    ``LOCATION_SCALE_GRID`` so that rounding noise never breaks a tie); the score is the
    HSIC of x with the standardised residual (:func:`causepairs.kernels.dependence.hsic`,
    exact up to ``LOCATION_SCALE_HSIC_MAX_EXACT`` points, a stratified subsample above).
    Under a location-scale noise model x -> y that residual is independent of x.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    n_neighbors : int, default 30
        k of both kNN fits (>= 1; capped at n - 1).

    Returns
    -------
    float
        HSIC >= 0; x -> y is preferred when it is below ``location_scale_hsic(y, x)``. NaN if
        n < 3, a value is NaN/inf, a variable is constant, or the residual is constant.
    """
    return _run_core("location_scale_hsic", x, y, n_neighbors=n_neighbors)


def location_scale_likelihood(x, y, n_neighbors=30):
    """LOCI-style likelihood score of x -> y (after Immer et al., ICML 2023).

    Both variables standardised, the location-scale fit of :func:`location_scale_hsic`; the
    score is the estimated negative log-likelihood per point of the model x -> y,
    H(x) + mean(log sd(x_i)) + H(standardised residual), with Vasicek entropies
    (m = round(sqrt(n)), zero spacings skipped).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    n_neighbors : int, default 30
        k of both kNN fits (>= 1; capped at n - 1).

    Returns
    -------
    float
        Nats per point; x -> y is preferred when it is below
        ``location_scale_likelihood(y, x)``. NaN if n < 3, a value is NaN/inf, a variable or
        the residual is constant, or 2 round(sqrt(n)) >= n.
    """
    return _run_core("location_scale_likelihood", x, y, n_neighbors=n_neighbors)


def reci_isotonic(x, y):
    """RECI (Bloebaum et al. 2018) with a monotone regression: in-sample MSE of the isotonic
    regression of y on x, both min-max scaled to [0, 1], the lower of the non-decreasing and
    the non-increasing fit (RECI's theory is about monotone mechanisms; isotonic regression is
    the whole monotone class, so no polynomial degree decides).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.

    Returns
    -------
    float
        Mean squared residual in the scaled units; x -> y is preferred when it is below
        ``reci_isotonic(y, x)``. NaN if n < 3, a value is NaN/inf, or a variable is constant.
    """
    return _run_core("reci_isotonic", x, y)


def reci_knn(x, y, n_neighbors=30):
    """RECI (Bloebaum et al. 2018) with a flexible regression: MSE of the leave-one-out kNN
    regression of y on x (``n_neighbors`` nearest x, every point tied at the boundary
    included), y min-max scaled to [0, 1] (as x: its scale does not change the neighbours).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.
    n_neighbors : int, default 30
        k of the kNN regression (>= 1; capped at n - 1).

    Returns
    -------
    float
        Mean squared leave-one-out residual in the scaled units; x -> y is preferred when it
        is below ``reci_knn(y, x)``. NaN if n < 3, a value is NaN/inf, or a variable is
        constant.
    """
    return _run_core("reci_knn", x, y, n_neighbors=n_neighbors)



def mdl_score(x, y):
    """SLOPE-style description length of x -> y (after Marx & Vreeken, ICDM 2017 and KAIS
    2019): the bits needed to send x, then y given a regression on x, per point.

    Both variables are min-max scaled to [0, 1]; the resolution of each is its smallest
    non-zero gap, at least ``MDL_RESOLUTION_FLOOR``. The cause is sent with the uniform code on
    its grid, log2(1 + 1 / resolution) bits per point. The effect is sent as the residual of
    the cheapest of a few function classes: the least-squares polynomials of degree 0..3 in x
    and, when x has at most sqrt(n) distinct values, the mean of y at each value; the residual
    costs a Gaussian code at the effect's resolution, n (log2(2 pi e RSS / n) / 2 -
    log2(resolution)), at least 0; every parameter (coefficients, means, the noise scale)
    costs log2(n) / 2 bits, Rissanen's two-part code at the optimal precision 1 / sqrt(n), and
    the class's name log2(5) bits. Both directions pay for both variables' grids (x -> y: x's
    grid, y's resolution; y -> x the reverse), so the comparison is fair and its asymmetry is
    the conditional description: the fit, its complexity and how finely it must be sent. (A
    density code for the cause would add the difference of the two marginal entropies, which
    the IGCI entropy columns already carry; kept apart, the model can weigh the two.)

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Numeric values; x is the hypothesised cause.

    Returns
    -------
    float
        Bits per point; x -> y is preferred when it is below ``mdl_score(y, x)``. NaN if
        n < 3, a value is NaN/inf, or a variable is constant.
    """
    return _run_core("mdl_score", x, y)


# --------------------------------------------------------------------------------------------
# the cores, for the public functions and the feature factory
# --------------------------------------------------------------------------------------------

_REFERENCE = Param("reference", _reference_code)
_NEIGHBOURS = Param("n_neighbors", integer(1))
_BINS = (Param("n_bins", integer(2)), Param("min_count", integer(1)))

#: Public function -> core. A ``sorted_input`` core takes (xs, ys) sorted by x with
#: :func:`argsort`; the others take the data in any order.
CORES = table(
    KernelCore(igci_slope, _igci_slope_sorted, (_REFERENCE,)),
    KernelCore(igci_entropy, _igci_entropy, (_REFERENCE,), sorted_input=False),
    KernelCore(reci, _reci, sorted_input=False),
    KernelCore(conditional_distribution_variability, _conditional_distribution_variability,
               _BINS, sorted_input=False),
    KernelCore(conditional_distribution_similarity, _conditional_distribution_similarity,
               _BINS, sorted_input=False),
    KernelCore(anm_score, _anm_score_sorted, (_NEIGHBOURS,)),
    KernelCore(quantile_score, _quantile_score, (_NEIGHBOURS,), sorted_input=False),
    KernelCore(location_scale_hsic, _location_scale_hsic_sorted, (_NEIGHBOURS,)),
    KernelCore(location_scale_likelihood, _location_scale_likelihood_sorted, (_NEIGHBOURS,)),
    KernelCore(reci_isotonic, _reci_isotonic_sorted),
    KernelCore(reci_knn, _reci_knn_sorted, (_NEIGHBOURS,)),
    KernelCore(mdl_score, _mdl_score_sorted),
)

#: For the feature factory, which sorts each variable once per pair: ``argsort(x)`` is the
#: order every sorted core above is fed (bitwise the public functions' results);
#: ``location_scale_scores_sorted(xs, ys, k, True, True, sigma_x)`` gives both LOCI scores
#: from one fit and ``anm_score_given_sigma(xs, ys, k, sigma_x)`` the ANM score, with x's HSIC
#: bandwidth ``sigma_x = dependence.median_heuristic(x)`` computed once per pair (bitwise
#: ``location_scale_hsic``, ``location_scale_likelihood`` and ``anm_score``). Jitted cores:
#: the caller passes finite float64 arrays of equal length.
argsort = _argsort
location_scale_scores_sorted = _location_scale_scores_sorted
anm_score_given_sigma = _anm_score_given_sigma
#: ``igci_entropy(x, y, r)`` is ``H(y) - H(x)`` with ``H = igci_reference_entropy(v, code)``
#: (``code = REFERENCE_MEASURES[r]``), bit for bit: the factory takes each variable's H once
#: per pair for both directions.
igci_reference_entropy = _igci_reference_entropy
