"""Out-of-fold predictions of one-dimensional regression models (numeric target).

Every model here predicts ``y`` from a single input ``x`` *out of fold*: the prediction for point
``i`` is made by a model fitted only on the points whose fold id differs from ``folds[i]``. One
fold assignment (from :func:`causepairs.kernels._validation.make_folds`) is shared by all models
of a pair; all ids distinct means leave-one-out.

Layout
------
Each model is a public function ``oof_<model>(x, y, folds, <params>)`` that validates its input
once, sorts by ``x`` (``np.argsort(x, kind="stable")``), calls the private Numba core
``_oof_<model>_sorted(xs, ys, fs, <params>)`` on the sorted data and returns the predictions in
the original order. ``CORES`` maps each public function to its core and the parameters the
core takes (:mod:`causepairs.kernels.cores`). The feature factory sorts each input view once
and calls the cores directly, through that table: a core takes ``xs`` sorted ascending, ``ys``
and ``fs`` in the same order (float64, float64, int64 fold ids ``0..K-1``) and returns float64
predictions in sorted order.

Shared rules
------------
- Bad values never raise: NaN or inf anywhere in ``x`` or ``y`` gives all-NaN predictions. A
  point whose training set is empty (every point in its fold) gets NaN.
- Where a model cannot be fitted on a training set (too few points, too few distinct ``x``) it
  falls back to the mean of the training ``y``; each model documents when.
- Quantities computed from ``x`` alone (the standardisation of ``x``, bandwidths, bin edges) use
  every point, held-out ones included: they see no ``y``, so nothing leaks, and every fold then
  uses the same scale.
- Ties in ``x`` never depend on the input order: every model treats tied ``x`` as one value
  (documented per model), so permuting the input permutes the output.
- Cost: with sorted data the models are O(n) or O(n log n) per fold; several refit per fold
  (O(n K) in all, O(n^2) for leave-one-out): isotonic, tree, boosted stumps, smoothing spline.
  They stay exact for any fold array; leave-one-out at large n is merely slow.
"""

from __future__ import annotations

import math

import numpy as np

from ._config import jit
from ._validation import all_finite, as_float_pair, as_float_vector, as_folds
from .binning import QUANTILE_EDGES, equal_frequency_bins_sorted
from .cores import KernelCore, Param, flag, integer, positive, table
from .shared import fold_count, mean_std, quantile_sorted, run_sorted

__all__ = [
    "CORES",
    "robust_scale",
    "oof_linear",
    "oof_polynomial",
    "oof_knn_regression",
    "oof_nadaraya_watson",
    "oof_isotonic",
    "oof_binned_means",
    "oof_tree_regression",
    "oof_boosted_stumps",
    "oof_smoothing_spline",
]

# IQR of the standard normal distribution: IQR / _NORMAL_IQR estimates a Gaussian's sigma.
_NORMAL_IQR = 1.3489795003921634
# scikit-learn's tree builder treats a node with impurity <= machine epsilon as pure.
_TREE_EPSILON = np.finfo(np.float64).eps
# Taylor terms of the box expansion in the Nadaraya-Watson fast Gauss transform (see
# _oof_nadaraya_watson_sorted): with boxes 2 bandwidths wide, 24 terms keep the series error
# below ~4e-11 of a unit weight per source (measured: <= 2e-12 of std(y) on predictions);
# 1-bandwidth boxes need fewer terms (18) but twice as many boxes, measured 10% slower.
_NW_TERMS = 24
# 1 / (p + 1): multiplying beats dividing in the moment recurrence.
_INVERSE_INTEGERS = 1.0 / np.arange(1.0, _NW_TERMS + 1.0)
# Direct sums beat the box expansions below this many points per box of the window.
_NW_DIRECT_PER_BOX = 4
# Box width of the fast Gauss transform, in bandwidths.
_NW_BOX = 2.0
# A target whose nearest training point is farther than this many bandwidths is summed directly:
# its total weight is small, so the expansion's absolute error would be large relative to it.
_NW_ISOLATED = 2.0
# log(1e10): sources lighter than 1e-10 / n of the nearest one are dropped (truncation error
# below 1e-10 of the weighted mean's spread).
_NW_LOG_TOL = 23.025850929940457
# Box grids wider than this many bandwidths are not built (the direct sum is used instead).
_NW_MAX_SPAN = 1e12
# A fold whose own Gram (in the orthonormal basis of all points) may have an eigenvalue above
# this is refitted by QR: its training Gram's condition number could exceed 10.
_POLY_QR_ABOVE = 0.9


# --------------------------------------------------------------------------------------------
# Small shared cores
# --------------------------------------------------------------------------------------------

@jit
def _fold_sums(values, fs, n_folds):
    """Per-fold sum of ``values`` and per-fold point count."""
    sums = np.zeros(n_folds)
    counts = np.zeros(n_folds, np.int64)
    for i in range(values.shape[0]):
        sums[fs[i]] += values[i]
        counts[fs[i]] += 1
    return sums, counts


@jit
def _training_means(ys, fs):
    """Out-of-fold mean of ``y`` for every point (NaN where the training set is empty).

    Sums are taken on ``y`` centred by its overall mean, so the subtraction total - fold loses
    no precision when ``y`` sits far from zero.
    """
    n = ys.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    ybar = ys.sum() / n
    yc = ys - ybar
    sums, counts = _fold_sums(yc, fs, n_folds)
    total = yc.sum()
    for i in range(n):
        k = fs[i]
        n_train = n - counts[k]
        if n_train > 0:
            out[i] = ybar + (total - sums[k]) / n_train
    return out


@jit
def _other_fold_neighbours(fs):
    """For every position, the nearest position to its left / right holding another fold.

    ``prev[i]`` is the largest ``j < i`` with ``fs[j] != fs[i]`` (-1 if none), ``next[i]`` the
    smallest ``j > i`` with ``fs[j] != fs[i]`` (n if none). One O(n) pass each: if the left
    neighbour shares ``i``'s fold, ``i`` inherits that neighbour's answer. Jumping with these
    arrays skips same-fold runs in O(1), whatever the fold layout.
    """
    n = fs.shape[0]
    prev = np.empty(n, np.int64)
    nxt = np.empty(n, np.int64)
    if n == 0:
        return prev, nxt
    prev[0] = -1
    for i in range(1, n):
        prev[i] = i - 1 if fs[i - 1] != fs[i] else prev[i - 1]
    nxt[n - 1] = n
    for i in range(n - 2, -1, -1):
        nxt[i] = i + 1 if fs[i + 1] != fs[i] else nxt[i + 1]
    return prev, nxt


@jit
def _group_by_fold(fs, n_folds):
    """Counting sort of positions by fold: ``order[starts[k]:starts[k + 1]]`` are fold ``k``'s
    positions, ascending (so in ``x`` order when the data are sorted)."""
    n = fs.shape[0]
    starts = np.zeros(n_folds + 1, np.int64)
    for i in range(n):
        starts[fs[i] + 1] += 1
    for k in range(n_folds):
        starts[k + 1] += starts[k]
    fill = starts[:n_folds].copy()
    order = np.empty(n, np.int64)
    for i in range(n):
        k = fs[i]
        order[fill[k]] = i
        fill[k] += 1
    return starts, order


@jit
def _training_subset(xs, ys, fs, k, xt, yt):
    """Copy the points outside fold ``k`` (in sorted order) into ``xt``, ``yt``; return count."""
    m = 0
    for i in range(xs.shape[0]):
        if fs[i] != k:
            xt[m] = xs[i]
            yt[m] = ys[i]
            m += 1
    return m


@jit
def _robust_scale_sorted(xs):
    """``min(std, IQR / 1.349)`` of sorted ``xs``; the std alone where the IQR is 0; 0 if n < 2."""
    n = xs.shape[0]
    if n < 2:
        return 0.0
    _, sd = mean_std(xs)
    iqr = quantile_sorted(xs, 0.75) - quantile_sorted(xs, 0.25)
    if iqr > 0.0:
        robust = iqr / _NORMAL_IQR
        if robust < sd:
            return robust
    return sd


# --------------------------------------------------------------------------------------------
# Linear and polynomial least squares
# --------------------------------------------------------------------------------------------

@jit
def _poly_fold_qr(basis, ys, ybar, fs, k, dim, coef_row, work, r):
    """Least squares of ``y - ybar`` on the first ``dim`` basis columns over the points outside
    fold ``k``, by modified Gram-Schmidt (two passes) QR; a column that vanishes to 1e-10 of its
    norm stops the degree there. Writes the coefficients into ``coef_row``."""
    m = 0
    for i in range(basis.shape[0]):
        if fs[i] != k:
            for a in range(dim):
                work[m, a] = basis[i, a]
            work[m, dim] = ys[i] - ybar
            m += 1
    r[:, :] = 0.0
    used = 0
    for a in range(dim):
        norm0 = 0.0
        for i in range(m):
            norm0 += work[i, a] * work[i, a]
        for _ in range(2):
            for b in range(a):
                c = 0.0
                for i in range(m):
                    c += work[i, b] * work[i, a]
                for i in range(m):
                    work[i, a] -= c * work[i, b]
                r[b, a] += c
        norm = 0.0
        for i in range(m):
            norm += work[i, a] * work[i, a]
        if not (norm > 1e-20 * norm0):
            break
        norm = math.sqrt(norm)
        r[a, a] = norm
        for i in range(m):
            work[i, a] /= norm
        used = a + 1
    for a in range(coef_row.shape[0]):
        coef_row[a] = 0.0
    qty = np.zeros(used)
    for a in range(used):
        c = 0.0
        for i in range(m):
            c += work[i, a] * work[i, dim]
        qty[a] = c
    for a in range(used - 1, -1, -1):
        s = qty[a]
        for b in range(a + 1, used):
            s -= r[a, b] * coef_row[b]
        coef_row[a] = s / r[a, a]


@jit
def _oof_polynomial_sorted(xs, ys, fs, degree):
    """Out-of-fold least-squares polynomial of degree ``degree`` (1 = linear), sorted data.

    Method: an orthonormal polynomial basis ``q_0..q_D`` of the standardised ``x`` over *all*
    points (Arnoldi: ``q_{j+1}`` is ``z * q_j`` made orthogonal to ``q_0..q_j`` by two passes of
    modified Gram-Schmidt). It spans the same functions as ``1, x, ..., x^D``, so the fitted
    polynomial is unchanged, but the Gram matrix of all points is the identity, and the training
    Gram of fold ``k`` is ``I - G_k`` (``G_k``: the fold's own Gram): one O(n D^2) pass gives
    every fold's normal equations, solved by Cholesky. ``y`` is centred first (the constant is
    in the basis, so this changes nothing but rounding).

    Degree per fold: ``min(degree, m_k - 1)`` where ``m_k`` is the number of distinct ``x``
    values in the training set, the highest degree that is identifiable (so one distinct value
    gives the training mean). Numerical safeguards: a basis vector or Cholesky pivot that
    vanishes to 1e-10 (1e-13 for pivots) of its scale stops the degree there; a fold whose
    training Gram may be ill-conditioned (condition number possibly above 10, see the bound in
    the code) is refitted by QR on its training rows (O(n D^2) for that fold).
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    # Distinct values overall, and per fold the distinct values held by that fold alone
    # (they vanish from its training set).
    lost = np.zeros(n_folds, np.int64)
    m_all = 0
    i = 0
    while i < n:
        j = i + 1
        alone = True
        while j < n and xs[j] == xs[i]:
            if fs[j] != fs[i]:
                alone = False
            j += 1
        m_all += 1
        if alone:
            lost[fs[i]] += 1
        i = j
    n_basis = min(degree, m_all - 1) + 1
    mean, sd = mean_std(xs)
    if not (sd > 0.0):
        n_basis = 1
    basis = np.empty((n, n_basis))
    inv_sqrt_n = 1.0 / math.sqrt(n)
    for i in range(n):
        basis[i, 0] = inv_sqrt_n
    z = np.empty(n)
    if n_basis > 1:
        for i in range(n):
            z[i] = (xs[i] - mean) / sd
    v = np.empty(n)
    for col in range(1, n_basis):
        norm0 = 0.0
        for i in range(n):
            v[i] = z[i] * basis[i, col - 1]
            norm0 += v[i] * v[i]
        for _ in range(2):
            for prev in range(col):
                c = 0.0
                for i in range(n):
                    c += basis[i, prev] * v[i]
                for i in range(n):
                    v[i] -= c * basis[i, prev]
        norm = 0.0
        for i in range(n):
            norm += v[i] * v[i]
        if not (norm > 1e-20 * norm0):
            n_basis = col
            break
        norm = math.sqrt(norm)
        for i in range(n):
            basis[i, col] = v[i] / norm
    ybar = ys.sum() / n
    gram = np.zeros((n_basis, n_basis))
    rhs = np.zeros(n_basis)
    fold_gram = np.zeros((n_folds, n_basis, n_basis))
    fold_rhs = np.zeros((n_folds, n_basis))
    counts = np.zeros(n_folds, np.int64)
    for i in range(n):
        k = fs[i]
        counts[k] += 1
        yc = ys[i] - ybar
        for a in range(n_basis):
            qa = basis[i, a]
            rhs[a] += qa * yc
            fold_rhs[k, a] += qa * yc
            for b in range(a + 1):
                gram[a, b] += qa * basis[i, b]
                fold_gram[k, a, b] += qa * basis[i, b]
    coef = np.zeros((n_folds, n_basis))
    chol = np.zeros((n_basis, n_basis))
    work = np.empty((n, n_basis + 1))
    sol = np.zeros(n_basis)
    usable = np.zeros(n_folds, np.bool_)
    for k in range(n_folds):
        if counts[k] == n or counts[k] == 0:
            continue
        usable[k] = True
        dim_max = min(n_basis, m_all - lost[k])
        # The training Gram is I - G_k (G_k: the fold's own Gram), whose smallest eigenvalue is
        # 1 - lambda_max(G_k) >= 1 - (largest absolute row sum of G_k). Normal equations lose
        # about 1 / that eigenvalue; where it may fall below 0.1 (the fold holds most of some
        # basis function's mass: small n, K = 2, or a high-leverage point left out) the fold
        # is refitted by QR on its training rows instead, which does not square the condition.
        row_max = 0.0
        for a in range(dim_max):
            row = 0.0
            for b in range(dim_max):
                row += abs(fold_gram[k, a, b] if b <= a else fold_gram[k, b, a])
            row_max = max(row_max, row)
        if row_max > _POLY_QR_ABOVE:
            _poly_fold_qr(basis, ys, ybar, fs, k, dim_max, coef[k], work, chol)
            continue
        # Cholesky of the training Gram gram - fold_gram (lower triangles); a vanishing pivot
        # truncates the degree. The constant's pivot is (n - n_k) / n > 0, so dim >= 1.
        dim = 0
        for a in range(dim_max):
            for b in range(a):
                s = gram[a, b] - fold_gram[k, a, b]
                for c in range(b):
                    s -= chol[a, c] * chol[b, c]
                chol[a, b] = s / chol[b, b]
            diag = gram[a, a] - fold_gram[k, a, a]
            s = diag
            for c in range(a):
                s -= chol[a, c] * chol[a, c]
            if not (s > 1e-13 * diag):
                break
            chol[a, a] = math.sqrt(s)
            dim = a + 1
        for a in range(dim):
            s = rhs[a] - fold_rhs[k, a]
            for c in range(a):
                s -= chol[a, c] * sol[c]
            sol[a] = s / chol[a, a]
        for a in range(dim - 1, -1, -1):
            s = sol[a]
            for c in range(a + 1, dim):
                s -= chol[c, a] * coef[k, c]
            coef[k, a] = s / chol[a, a]
    for i in range(n):
        k = fs[i]
        if not usable[k]:
            continue
        s = 0.0
        for a in range(n_basis):
            s += coef[k, a] * basis[i, a]
        out[i] = ybar + s
    return out


@jit
def _oof_linear_sorted(xs, ys, fs):
    """Out-of-fold ordinary least squares line, sorted data (the degree-1 polynomial core).

    A training set whose ``x`` are all equal gets the training mean (as scikit-learn's
    ``LinearRegression``, whose minimum-norm slope is then 0).
    """
    # np.int64(1), not a bare 1: a literal argument would compile a second specialisation.
    return _oof_polynomial_sorted(xs, ys, fs, np.int64(1))


# --------------------------------------------------------------------------------------------
# k nearest neighbours
# --------------------------------------------------------------------------------------------

@jit
def _oof_knn_regression_sorted(xs, ys, fs, k):
    """Out-of-fold k-nearest-neighbour mean, sorted data.

    For point ``i`` the candidates are the training points (other folds), at distance
    ``|x_j - x_i|``. Let ``d_k`` be the k-th smallest candidate distance, ``L`` the points closer
    than ``d_k`` and ``E`` those at exactly ``d_k``: the prediction is
    ``(sum_L y + (k - |L|) * mean_E y) / k``, i.e. the points tied at the k-th distance share the
    remaining weight equally. This is order independent and equals the plain k-NN mean when
    there is no tie at ``d_k``. With fewer than ``k`` training points it is their mean.

    Method: two pointers walk outward from ``i`` on the sorted axis (merging left and right by
    distance), jumping over same-fold runs with ``_other_fold_neighbours``: O(k) per point.
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    prev, nxt = _other_fold_neighbours(fs)
    for i in range(n):
        fi = fs[i]
        xi = xs[i]
        left = prev[i]
        right = nxt[i]
        n_less = 0
        sum_less = 0.0
        n_eq = 0
        sum_eq = 0.0
        d_cur = -1.0
        while left >= 0 or right < n:
            d_left = xi - xs[left] if left >= 0 else np.inf
            d_right = xs[right] - xi if right < n else np.inf
            # The side is chosen by position first: a NaN distance compares false, and must
            # not send the walk past an end of the array.
            if right >= n or (left >= 0 and d_left <= d_right):
                d = d_left
                yv = ys[left]
                left -= 1
                if left >= 0 and fs[left] == fi:
                    left = prev[left]
            else:
                d = d_right
                yv = ys[right]
                right += 1
                if right < n and fs[right] == fi:
                    right = nxt[right]
            if d > d_cur:
                if n_less + n_eq >= k:
                    break
                n_less += n_eq
                sum_less += sum_eq
                n_eq = 0
                sum_eq = 0.0
                d_cur = d
            n_eq += 1
            sum_eq += yv
        total = n_less + n_eq
        if total == 0:
            continue
        if total <= k:
            out[i] = (sum_less + sum_eq) / total
        else:
            out[i] = (sum_less + (k - n_less) * (sum_eq / n_eq)) / k
    return out


# --------------------------------------------------------------------------------------------
# Nadaraya-Watson Gaussian kernel regression (fast Gauss transform on sorted data)
# --------------------------------------------------------------------------------------------

@jit
def _nw_direct(xs, yc, fs, i, h, dmin, c0sq):
    """Gaussian-weighted sums of the training points around ``xs[i]`` by direct evaluation.

    Weights are relative to the nearest training point (distance ``dmin``, weight 1), and the
    scan stops where ``d^2 > dmin^2 + c0sq * h^2`` (a weight below ``exp(-c0sq / 2)``).
    """
    n = xs.shape[0]
    xi = xs[i]
    fi = fs[i]
    base = dmin * dmin
    limit = base + c0sq * h * h
    half_inv_h2 = 0.5 / (h * h)
    s0 = 0.0
    s1 = 0.0
    j = i - 1
    while j >= 0:
        d = xi - xs[j]
        d2 = d * d
        if d2 > limit:
            break
        if fs[j] != fi:
            w = math.exp(-(d2 - base) * half_inv_h2)
            s0 += w
            s1 += w * yc[j]
        j -= 1
    j = i + 1
    while j < n:
        d = xs[j] - xi
        d2 = d * d
        if d2 > limit:
            break
        if fs[j] != fi:
            w = math.exp(-(d2 - base) * half_inv_h2)
            s0 += w
            s1 += w * yc[j]
        j += 1
    return s0, s1


@jit
def _nw_add_moments(m0, m1, b, v, yv):
    """Add one source's Taylor moments ``exp(-v^2/2) v^p / p!`` (times 1 and times y) to box b."""
    t = math.exp(-0.5 * v * v)
    for p in range(_NW_TERMS):
        m0[b, p] += t
        m1[b, p] += t * yv
        t *= v * _INVERSE_INTEGERS[p]


@jit
def _nw_box_sums(t0, t1, centres, grid, lo, own, hi, xi, inv_h, gauss, u):
    """Sum the box expansions ``exp(-u^2/2) * sum_p T[b, p] u^p`` over boxes ``lo..hi-1``.

    ``u = (x_i - c_b) / h``. The Gaussian factor of each next box on the grid comes from the
    previous one by two multiplications (with box width ``w``: exp(-(u+w)^2/2) = exp(-u^2/2)
    exp(-u w - w^2/2)) instead of an exp; a gap in the occupied boxes restarts it with an exp.
    The polynomials of two boxes are evaluated together (four independent Horner chains).
    ``gauss`` and ``u`` are scratch arrays indexed by box.
    """
    shrink = math.exp(-_NW_BOX * _NW_BOX)
    half_w2 = 0.5 * _NW_BOX * _NW_BOX
    ratio = 0.0
    for side in range(2):
        if side == 0:
            b = own
            stop = lo - 1
            step = -1
        else:
            b = own + 1
            stop = hi
            step = 1
        last = -1
        while b != stop:
            ub = (xi - centres[b]) * inv_h
            u[b] = ub
            if last >= 0 and grid[b] - grid[last] == step:
                gauss[b] = gauss[last] * ratio
                ratio *= shrink
            else:
                gauss[b] = math.exp(-0.5 * ub * ub)
                w_ub = _NW_BOX * ub
                ratio = math.exp(-w_ub - half_w2) if step < 0 else math.exp(w_ub - half_w2)
            last = b
            b += step
    top = _NW_TERMS - 1
    s0 = 0.0
    s1 = 0.0
    b = lo
    while b + 1 < hi:
        ua = u[b]
        ub = u[b + 1]
        a0 = t0[b, top]
        a1 = t1[b, top]
        c0 = t0[b + 1, top]
        c1 = t1[b + 1, top]
        for p in range(top - 1, -1, -1):
            a0 = a0 * ua + t0[b, p]
            a1 = a1 * ua + t1[b, p]
            c0 = c0 * ub + t0[b + 1, p]
            c1 = c1 * ub + t1[b + 1, p]
        s0 += gauss[b] * a0 + gauss[b + 1] * c0
        s1 += gauss[b] * a1 + gauss[b + 1] * c1
        b += 2
    if b < hi:
        ua = u[b]
        a0 = t0[b, top]
        a1 = t1[b, top]
        for p in range(top - 1, -1, -1):
            a0 = a0 * ua + t0[b, p]
            a1 = a1 * ua + t1[b, p]
        s0 += gauss[b] * a0
        s1 += gauss[b] * a1
    return s0, s1


@jit
def _oof_nadaraya_watson_sorted(xs, ys, fs, bandwidth):
    """Out-of-fold Nadaraya-Watson regression with a Gaussian kernel, sorted data.

    Definition: ``h = bandwidth * robust_scale(x)`` (all points) and
    ``yhat_i = sum_j w_ij y_j / sum_j w_ij`` over the training points ``j`` (other folds) with
    ``w_ij = exp(-(x_i - x_j)^2 / (2 h^2))``, weights taken relative to the nearest training
    point so that distant targets do not underflow to 0/0. ``h = 0`` (constant ``x``) gives the
    training mean.

    Truncation: training points with ``(x_j - x_i)^2 > dmin^2 + c^2 h^2`` are dropped, where
    ``dmin`` is the distance to the nearest training point and ``c^2 = 2 (ln n + ln 1e10)``:
    each dropped weight is below ``1e-10 / n`` of the nearest one, so together they move the
    weighted mean by less than 1e-10 times the spread of ``y`` (``c`` is 7.7 at n = 1,000).

    Method (exact sums over that window cost O(n * window) = O(n^2) for usual bandwidths, so):
    a one-dimensional fast Gauss transform. ``x`` is cut into grid boxes of width ``2 h``; each
    box ``b`` (centre ``c_b``) keeps the Taylor moments ``sum_j q_j exp(-v_j^2/2) v_j^p / p!``,
    ``v_j = (x_j - c_b)/h``, ``p < 24``, of its points for ``q = 1`` and ``q = y``. Because
    ``exp(-(u - v)^2/2) = exp(-u^2/2) exp(-v^2/2) exp(u v)``, a target at ``u = (x_i - c_b)/h``
    gets the box's whole contribution as ``exp(-u^2/2) * sum_p M_p u^p``. Fold exclusion:
    the moments of fold ``k``'s own points are subtracted from the boxes they live in while
    fold ``k`` is evaluated. Series error: at most ``max_u exp(-(u - 1)^2/2) u^24 / 24!``
    ~ 4e-11 per source, relative to a weight of 1; a target whose nearest training point is
    farther than ``2 h`` (total weight >= exp(-2)), or whose window holds fewer than four
    points per box, is summed directly instead. Measured agreement with the direct sum: at most
    2e-12 of std(y) (n = 20,000; Gaussian, uniform, Student-t and rounded x; bandwidths 0.02 to
    2). Cost O(n * (boxes in window) * 24), about 10 boxes per target: 0.35 ms at n = 1,000
    against 2-7 ms for the windowed direct sum.
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    h = bandwidth * _robust_scale_sorted(xs)
    if not (h > 0.0 and math.isfinite(h)):
        return _training_means(ys, fs)
    ybar = ys.sum() / n
    yc = ys - ybar
    prev, nxt = _other_fold_neighbours(fs)
    c0sq = 2.0 * (math.log(n) + _NW_LOG_TOL)
    inv_h = 1.0 / h
    inv_box = inv_h / _NW_BOX
    span = (xs[n - 1] - xs[0]) * inv_h
    use_boxes = span < _NW_MAX_SPAN
    # Grid boxes [x0 + g w h, x0 + (g + 1) w h), w = _NW_BOX: only the occupied ones, in order.
    n_boxes = 0
    box_of = np.empty(n, np.int64)
    grid = np.empty(n, np.int64)
    box_start = np.empty(n + 1, np.int64)
    if use_boxes:
        for j in range(n):
            g = int(math.floor((xs[j] - xs[0]) * inv_box))
            if n_boxes == 0 or g != grid[n_boxes - 1]:
                grid[n_boxes] = g
                box_start[n_boxes] = j
                n_boxes += 1
            box_of[j] = n_boxes - 1
        box_start[n_boxes] = n
    centres = np.empty(max(n_boxes, 1))
    for b in range(n_boxes):
        centres[b] = xs[0] + (grid[b] + 0.5) * (_NW_BOX * h)
    all0 = np.zeros((max(n_boxes, 1), _NW_TERMS))
    all1 = np.zeros((max(n_boxes, 1), _NW_TERMS))
    for j in range(n if use_boxes else 0):
        b = box_of[j]
        _nw_add_moments(all0, all1, b, (xs[j] - centres[b]) * inv_h, yc[j])
    train0 = all0.copy()
    train1 = all1.copy()
    fold0 = np.zeros_like(all0)
    fold1 = np.zeros_like(all1)
    mark = np.full(max(n_boxes, 1), -1, np.int64)
    gauss_buf = np.empty(max(n_boxes, 1))
    u_buf = np.empty(max(n_boxes, 1))
    starts, order = _group_by_fold(fs, n_folds)
    lo = 0
    own = 0
    hi = 0
    radius = math.sqrt(_NW_ISOLATED * _NW_ISOLATED + c0sq) + 0.5 * _NW_BOX
    for k in range(n_folds):
        a, e = starts[k], starts[k + 1]
        lo = 0
        hi = 0
        if use_boxes:
            # Training moments of fold k = all moments - moments of fold k's own points.
            for q in range(a, e):
                j = order[q]
                b = box_of[j]
                if mark[b] != k:
                    mark[b] = k
                    fold0[b, :] = 0.0
                    fold1[b, :] = 0.0
                _nw_add_moments(fold0, fold1, b, (xs[j] - centres[b]) * inv_h, yc[j])
            for q in range(a, e):
                b = box_of[order[q]]
                for p in range(_NW_TERMS):
                    train0[b, p] = all0[b, p] - fold0[b, p]
                    train1[b, p] = all1[b, p] - fold1[b, p]
        for q in range(a, e):
            i = order[q]
            xi = xs[i]
            dmin = np.inf
            if prev[i] >= 0:
                dmin = xi - xs[prev[i]]
            if nxt[i] < n:
                dmin = min(dmin, xs[nxt[i]] - xi)
            if dmin == np.inf:
                continue  # empty training set
            direct = (not use_boxes) or dmin > _NW_ISOLATED * h
            if not direct:
                # Boxes whose centre lies within `radius` bandwidths: a fixed radius (the
                # largest truncation radius of a non-isolated target) keeps lo and hi monotone
                # as the fold's targets come in increasing x, so they only ever move forward.
                own = box_of[i]
                while lo < own and (xi - centres[lo]) * inv_h > radius:
                    lo += 1
                if hi <= own:
                    hi = own + 1
                while hi < n_boxes and (centres[hi] - xi) * inv_h <= radius:
                    hi += 1
                direct = box_start[hi] - box_start[lo] < _NW_DIRECT_PER_BOX * (hi - lo)
            if direct:
                s0, s1 = _nw_direct(xs, yc, fs, i, h, dmin, c0sq)
            else:
                s0, s1 = _nw_box_sums(train0, train1, centres, grid, lo, own, hi, xi, inv_h,
                                      gauss_buf, u_buf)
            out[i] = ybar + s1 / s0
        if use_boxes:
            for q in range(a, e):
                b = box_of[order[q]]
                for p in range(_NW_TERMS):
                    train0[b, p] = all0[b, p]
                    train1[b, p] = all1[b, p]
    return out


# --------------------------------------------------------------------------------------------
# Isotonic regression
# --------------------------------------------------------------------------------------------

@jit
def _pava_fit(gsum, gw, n_groups, sign, fitted, blk_sum, blk_w, blk_end):
    """Weighted pool-adjacent-violators on group means ``gsum / gw`` (in ``x`` order).

    ``sign = 1``: non-decreasing fit, ``-1``: non-increasing (run on negated sums). Writes the
    fitted value of every group into ``fitted``.
    """
    n_blocks = 0
    for g in range(n_groups):
        blk_sum[n_blocks] = sign * gsum[g]
        blk_w[n_blocks] = gw[g]
        blk_end[n_blocks] = g + 1
        n_blocks += 1
        # Pool while the previous block's mean is >= this one's (cross-multiplied: weights are
        # positive, and two products are cheaper than two divisions).
        while n_blocks > 1 and (blk_sum[n_blocks - 2] * blk_w[n_blocks - 1]
                                >= blk_sum[n_blocks - 1] * blk_w[n_blocks - 2]):
            blk_sum[n_blocks - 2] += blk_sum[n_blocks - 1]
            blk_w[n_blocks - 2] += blk_w[n_blocks - 1]
            blk_end[n_blocks - 2] = blk_end[n_blocks - 1]
            n_blocks -= 1
    g = 0
    for blk in range(n_blocks):
        value = sign * (blk_sum[blk] / blk_w[blk])
        while g < blk_end[blk]:
            fitted[g] = value
            g += 1


@jit
def _oof_isotonic_sorted(xs, ys, fs, increasing):
    """Out-of-fold isotonic regression, sorted data, as scikit-learn's
    ``IsotonicRegression(increasing=..., out_of_bounds="clip")``.

    Per fold: training points with equal ``x`` are first merged into one point (their mean
    ``y``, weight = count), PAVA fits the monotone sequence, and a held-out ``x`` is predicted
    by linear interpolation between the fitted values of the neighbouring distinct training
    ``x`` (exactly the fitted value at a training ``x``), clipped to the end values outside the
    training range. One distinct training ``x`` gives its mean (= the training mean).
    O(n) per fold, O(n K) in all.
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    sign = 1.0 if increasing else -1.0
    gx = np.empty(n)
    gsum = np.empty(n)
    gw = np.empty(n)
    fitted = np.empty(n)
    blk_sum = np.empty(n)
    blk_w = np.empty(n)
    blk_end = np.empty(n, np.int64)
    _, counts = _fold_sums(ys, fs, n_folds)
    for k in range(n_folds):
        if counts[k] == 0 or counts[k] == n:
            continue
        n_groups = np.int64(0)  # not a literal 0: one specialisation of _pava_fit
        for i in range(n):
            if fs[i] == k:
                continue
            if n_groups > 0 and xs[i] == gx[n_groups - 1]:
                gsum[n_groups - 1] += ys[i]
                gw[n_groups - 1] += 1.0
            else:
                gx[n_groups] = xs[i]
                gsum[n_groups] = ys[i]
                gw[n_groups] = 1.0
                n_groups += 1
        _pava_fit(gsum, gw, n_groups, sign, fitted, blk_sum, blk_w, blk_end)
        g = 0  # first group with gx[g] >= x (x visited in increasing order)
        for i in range(n):
            if fs[i] != k:
                continue
            x = xs[i]
            while g < n_groups and gx[g] < x:
                g += 1
            if g == 0:
                out[i] = fitted[0]
            elif g == n_groups:
                out[i] = fitted[n_groups - 1]
            elif gx[g] == x:
                out[i] = fitted[g]
            else:
                x0 = gx[g - 1]
                y0 = fitted[g - 1]
                slope = (fitted[g] - y0) / (gx[g] - x0)
                out[i] = slope * (x - x0) + y0
    return out


# --------------------------------------------------------------------------------------------
# Regressogram (binned means)
# --------------------------------------------------------------------------------------------

@jit
def _oof_binned_means_sorted(xs, ys, fs, n_bins):
    """Out-of-fold regressogram, sorted data: the mean training ``y`` of the point's bin.

    Bins are equal-frequency bins of ``x`` over all points (``binning.QUANTILE_EDGES``;
    no ``y`` enters them). A bin without training points predicts the training mean. Sorted
    data make each bin a contiguous run: its total minus the per-fold sums of the run (kept in
    a scratch array reset after the run) gives every fold's training sum in O(n).
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    ids = equal_frequency_bins_sorted(xs, n_bins, QUANTILE_EDGES)
    ybar = ys.sum() / n
    yc = ys - ybar
    means = _training_means(ys, fs)
    fsum = np.zeros(n_folds)
    fcnt = np.zeros(n_folds, np.int64)
    a = 0
    while a < n:
        e = a
        total = 0.0
        while e < n and ids[e] == ids[a]:
            total += yc[e]
            fsum[fs[e]] += yc[e]
            fcnt[fs[e]] += 1
            e += 1
        for i in range(a, e):
            k = fs[i]
            m = (e - a) - fcnt[k]
            out[i] = ybar + (total - fsum[k]) / m if m > 0 else means[i]
        for i in range(a, e):
            fsum[fs[i]] = 0.0
            fcnt[fs[i]] = 0
        a = e
    return out


# --------------------------------------------------------------------------------------------
# Regression tree and boosted stumps
# --------------------------------------------------------------------------------------------

@jit
def _best_split(xt, yt, a, b, total):
    """Best squared-error split of the sorted node ``[a, b)``: position ``p`` (left = [a, p)).

    Candidates are the boundaries between distinct ``x``; the score is scikit-learn's proxy
    ``S_L^2 / n_L + S_R^2 / n_R`` (``S_R = S - S_L``, running sums from the left), maximised
    with a strict ``>``, so among exactly equal scores the lowest threshold wins, as in
    scikit-learn's scan. ``total`` is the node's sum of ``y``. Returns -1 when all ``x`` in the
    node are equal.
    """
    best = -np.inf
    best_pos = -1
    left = 0.0
    for p in range(a + 1, b):
        left += yt[p - 1]
        if xt[p] == xt[p - 1]:
            continue
        n_left = p - a
        n_right = b - p
        right = total - left
        score = left * left / n_left + right * right / n_right
        if score > best:
            best = score
            best_pos = p
    return best_pos


@jit
def _split_threshold(xt, p):
    """scikit-learn's threshold between ``xt[p - 1]`` and ``xt[p]``: the sum of halves."""
    return xt[p - 1] / 2.0 + xt[p] / 2.0


@jit
def _fit_tree_leaves(xt, yt, m, max_depth, leaf_end, leaf_value):
    """Grow a depth-first squared-error tree on sorted training data ``xt[:m]``, ``yt[:m]``.

    A node becomes a leaf at ``max_depth``, with fewer than 2 points, with impurity
    ``<= machine epsilon`` (scikit-learn's purity test) or when all its ``x`` are equal. As the
    input is one-dimensional, the leaves are consecutive runs of the sorted data; they are
    returned left to right as their end positions and mean values. Returns the leaf count.
    """
    stack_a = np.empty(2 * max_depth + 2, np.int64)
    stack_b = np.empty(2 * max_depth + 2, np.int64)
    stack_d = np.empty(2 * max_depth + 2, np.int64)
    top = 0
    stack_a[0] = 0
    stack_b[0] = m
    stack_d[0] = 0
    top = 1
    n_leaves = 0
    while top > 0:
        top -= 1
        a = stack_a[top]
        b = stack_b[top]
        depth = stack_d[top]
        count = b - a
        s = 0.0
        ss = 0.0
        for i in range(a, b):
            s += yt[i]
            ss += yt[i] * yt[i]
        split = -1
        impurity = ss / count - (s / count) ** 2
        if depth < max_depth and count >= 2 and impurity > _TREE_EPSILON:
            split = _best_split(xt, yt, a, b, s)
        if split < 0:
            leaf_end[n_leaves] = b
            leaf_value[n_leaves] = s / count
            n_leaves += 1
            continue
        # Right child first so that the left one is popped (and emitted) first.
        stack_a[top] = split
        stack_b[top] = b
        stack_d[top] = depth + 1
        top += 1
        stack_a[top] = a
        stack_b[top] = split
        stack_d[top] = depth + 1
        top += 1
    return n_leaves


@jit
def _oof_tree_regression_sorted(xs, ys, fs, max_depth):
    """Out-of-fold regression tree of depth ``max_depth``, sorted data.

    The same tree as scikit-learn's ``DecisionTreeRegressor(max_depth=max_depth)`` (squared
    error, best splits, one point per leaf minimum, thresholds at the midpoint of neighbouring
    distinct ``x``, ``x <= threshold`` goes left): see ``_best_split`` for the equal-score rule.
    Differences: scikit-learn casts ``x`` to float32 and treats values closer than 1e-7 as tied;
    here ``x`` stays float64 and ties are exact equality, so both agree on data exact in float32
    (e.g. integers below 2^24) without such near-ties. Cost O(n depth) per fold.
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    xt = np.empty(n)
    yt = np.empty(n)
    max_leaves = 2 ** max_depth
    leaf_end = np.empty(max_leaves, np.int64)
    leaf_value = np.empty(max_leaves)
    _, counts = _fold_sums(ys, fs, n_folds)
    for k in range(n_folds):
        if counts[k] == 0 or counts[k] == n:
            continue
        m = _training_subset(xs, ys, fs, k, xt, yt)
        n_leaves = _fit_tree_leaves(xt, yt, m, max_depth, leaf_end, leaf_value)
        leaf = 0
        for i in range(n):
            if fs[i] != k:
                continue
            # Leaves are left to right; move right while x is beyond the leaf's threshold.
            while leaf < n_leaves - 1 and xs[i] > _split_threshold(xt, leaf_end[leaf]):
                leaf += 1
            out[i] = leaf_value[leaf]
    return out


@jit
def _oof_boosted_stumps_sorted(xs, ys, fs, n_rounds, learning_rate):
    """Out-of-fold gradient-boosted stumps (squared loss), sorted data.

    As scikit-learn's ``GradientBoostingRegressor(max_depth=1, n_estimators=n_rounds,
    learning_rate=learning_rate)``: start from the training mean; each round fits a depth-1
    squared-error tree (``_best_split`` rules) to the residuals ``y - F`` and adds
    ``learning_rate`` times its leaf means to ``F``. A root with impurity <= machine epsilon or
    a single distinct ``x`` is a one-leaf tree (its mean residual). Ties in ``x`` are one value,
    so points with equal ``x`` share ``F``; the residual sums are kept per distinct ``x``.
    Cost O(n_rounds * n) per fold.
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    gx = np.empty(n)
    gsum = np.empty(n)
    gsq = np.empty(n)
    gcnt = np.empty(n)
    gres = np.empty(n)
    f_train = np.empty(n)
    f_held = np.empty(n)
    held = np.empty(n, np.int64)
    _, counts = _fold_sums(ys, fs, n_folds)
    for k in range(n_folds):
        if counts[k] == 0 or counts[k] == n:
            continue
        n_groups = 0
        n_held = 0
        total = 0.0
        for i in range(n):
            if fs[i] == k:
                held[n_held] = i
                n_held += 1
                continue
            total += ys[i]
            if n_groups > 0 and xs[i] == gx[n_groups - 1]:
                gsum[n_groups - 1] += ys[i]
                gsq[n_groups - 1] += ys[i] * ys[i]
                gcnt[n_groups - 1] += 1.0
            else:
                gx[n_groups] = xs[i]
                gsum[n_groups] = ys[i]
                gsq[n_groups] = ys[i] * ys[i]
                gcnt[n_groups] = 1.0
                n_groups += 1
        m = n - counts[k]
        init = total / m
        for g in range(n_groups):
            f_train[g] = init
        for q in range(n_held):
            f_held[q] = init
        for _ in range(n_rounds):
            res_total = 0.0
            res_sq = 0.0
            for g in range(n_groups):
                r = gsum[g] - gcnt[g] * f_train[g]
                gres[g] = r
                res_total += r
                # sum over the group of (y - F)^2
                res_sq += gsq[g] - 2.0 * f_train[g] * gsum[g] + gcnt[g] * f_train[g] * f_train[g]
            impurity = res_sq / m - (res_total / m) ** 2
            best = -np.inf
            best_g = -1
            best_left = 0.0
            best_n_left = 0.0
            if impurity > _TREE_EPSILON:
                left = 0.0
                n_left = 0.0
                for g in range(n_groups - 1):
                    left += gres[g]
                    n_left += gcnt[g]
                    right = res_total - left
                    score = left * left / n_left + right * right / (m - n_left)
                    if score > best:
                        best = score
                        best_g = g
                        best_left = left
                        best_n_left = n_left
            if best_g < 0:
                step = learning_rate * (res_total / m)
                for g in range(n_groups):
                    f_train[g] += step
                for q in range(n_held):
                    f_held[q] += step
                continue
            threshold = gx[best_g] / 2.0 + gx[best_g + 1] / 2.0
            step_left = learning_rate * (best_left / best_n_left)
            step_right = learning_rate * ((res_total - best_left) / (m - best_n_left))
            for g in range(n_groups):
                f_train[g] += step_left if g <= best_g else step_right
            for q in range(n_held):
                f_held[q] += step_left if xs[held[q]] <= threshold else step_right
        for q in range(n_held):
            out[held[q]] = f_held[q]
    return out


# --------------------------------------------------------------------------------------------
# Cubic smoothing spline
# --------------------------------------------------------------------------------------------

@jit
def _cubic_bspline_values(tau, k, z, out, left, right):
    """Values at ``z`` of the 4 cubic B-splines ``B_{k-3}..B_k`` that live on the knot interval
    ``[tau[k], tau[k+1]]`` (de Boor's BSPLVB recurrence; ``z`` may be either end)."""
    out[0] = 1.0
    for j in range(1, 4):
        left[j - 1] = z - tau[k + 1 - j]
        right[j - 1] = tau[k + j] - z
        saved = 0.0
        for r in range(j):
            temp = out[r] / (right[r] + left[j - 1 - r])
            out[r] = saved + right[r] * temp
            saved = left[j - 1 - r] * temp
        out[j] = saved


@jit
def _qr_add_rows(r_band, qtb, start, block, block_rhs, n_rows, n_coef):
    """Fold ``n_rows`` least-squares rows into the banded triangular factor by Householder
    reflections (FITPACK-style sequential QR, one reflection per column for all rows at once).

    ``block[r, j]`` is row ``r``'s entry at column ``start + j`` (j < 4), ``block_rhs[r]`` its
    right-hand side; ``r_band[i, d]`` holds ``R[i, i + d]``, ``qtb`` the rotated right-hand side.
    Rows must arrive in order of their first column: every earlier row then ends by column
    ``start + 3``, so nothing fills in beyond the band.
    """
    for j in range(4):
        col = start + j
        if col >= n_coef:
            return
        sigma = 0.0
        for r in range(n_rows):
            sigma += block[r, j] * block[r, j]
        if sigma == 0.0:
            continue
        x0 = r_band[col, 0]
        norm = math.sqrt(x0 * x0 + sigma)
        alpha = -norm if x0 >= 0.0 else norm
        v0 = x0 - alpha
        # H = I - 2 v v' / (v'v) with v = (v0, block[:, j]); v'v = 2 norm (norm + |x0|).
        scale = 1.0 / (norm * (norm + abs(x0)))
        for e in range(1, 4 - j):
            if col + e >= n_coef:
                break
            dot = v0 * r_band[col, e]
            for r in range(n_rows):
                dot += block[r, j] * block[r, j + e]
            f = dot * scale
            r_band[col, e] -= f * v0
            for r in range(n_rows):
                block[r, j + e] -= f * block[r, j]
        dot = v0 * qtb[col]
        for r in range(n_rows):
            dot += block[r, j] * block_rhs[r]
        f = dot * scale
        qtb[col] -= f * v0
        for r in range(n_rows):
            block_rhs[r] -= f * block[r, j]
        r_band[col, 0] = alpha


@jit
def _smoothing_spline_fit(t, ybar, w, m, penalty, tau, coef, r_band, qtb):
    """Cubic smoothing spline through knots ``t[:m]`` (m >= 3) in the B-spline basis.

    Minimises ``sum_g w_g (ybar_g - f(t_g))^2 + penalty * int_{t_0}^{t_m-1} f''^2`` over cubic
    splines with knots ``t`` (clamped knot vector ``tau``, ``m + 2`` coefficients ``coef``); the
    minimiser is the natural smoothing spline. On a knot interval of length ``h`` where ``f''``
    runs linearly from ``a`` to ``b``, ``int f''^2 = h (a + b)^2 / 4 + h (a - b)^2 / 12``, so
    the whole problem is one banded least-squares system: a row ``sqrt(w_g) B(t_g)`` per knot
    and two penalty rows per interval. It is solved by sequential Householder QR
    (``_qr_add_rows``), not normal equations: close knots make the penalty rows large, and
    squaring them (normal equations, or Reinsch's second-derivative form) loses up to 1e-4 of
    the fit; QR keeps ~1e-13 (checked against a 50-digit solution; SciPy's
    ``make_smoothing_spline`` loses up to ~1e-6 there).

    On the interval ``[tau_k, tau_k+1]`` with ``A = 1/(tau_k+1 - tau_k-1)``,
    ``B = 1/(tau_k+1 - tau_k-2)``, ``C = 1/(tau_k+2 - tau_k)``, ``D = 1/(tau_k+3 - tau_k)``,
    ``E = 1/(tau_k+2 - tau_k-1)`` (every span contains the interval, so all finite): the
    B-splines ``B_k-3..B_k`` are ``h^2 B A``, ``1 - both others``, ``(tau_k - tau_k-1)^2 E A``
    and 0 at ``tau_k``; their second derivatives are ``6 (A B, -A (B + E), A E, 0)`` at its
    left end and ``6 (0, C E, -C (E + D), C D)`` at its right end. Returns False if the
    triangular factor is singular (not expected for ``penalty > 0``).
    """
    n_coef = m + 2
    for j in range(4):
        tau[j] = t[0]
        tau[m + 2 + j] = t[m - 1]
    for g in range(m):
        tau[3 + g] = t[g]
    for i in range(n_coef):
        qtb[i] = 0.0
        for d in range(4):
            r_band[i, d] = 0.0
    block = np.empty((3, 4))
    block_rhs = np.empty(3)
    root_pen = math.sqrt(penalty)
    for g in range(m - 1):
        k = g + 3
        h = tau[k + 1] - tau[k]
        a_ = 1.0 / (tau[k + 1] - tau[k - 1])
        b_ = 1.0 / (tau[k + 1] - tau[k - 2])
        c_ = 1.0 / (tau[k + 2] - tau[k])
        d_ = 1.0 / (tau[k + 3] - tau[k])
        e_ = 1.0 / (tau[k + 2] - tau[k - 1])
        # Data row at the knot t_g = tau_k (columns g..g+2).
        v0 = h * h * b_ * a_
        dl = tau[k] - tau[k - 1]
        v2 = dl * dl * e_ * a_
        root_w = math.sqrt(w[g])
        block[0, 0] = root_w * v0
        block[0, 1] = root_w * (1.0 - v0 - v2)
        block[0, 2] = root_w * v2
        block[0, 3] = 0.0
        block_rhs[0] = root_w * ybar[g]
        # Penalty rows (columns g..g+3): f'' at the interval's left (a) and right (b) ends.
        a0 = 6.0 * a_ * b_
        a1 = -6.0 * a_ * (b_ + e_)
        a2 = 6.0 * a_ * e_
        b1 = 6.0 * c_ * e_
        b2 = -6.0 * c_ * (e_ + d_)
        b3 = 6.0 * c_ * d_
        s1 = root_pen * math.sqrt(h) / 2.0
        block[1, 0] = s1 * a0
        block[1, 1] = s1 * (a1 + b1)
        block[1, 2] = s1 * (a2 + b2)
        block[1, 3] = s1 * b3
        s2 = root_pen * math.sqrt(h / 12.0)
        block[2, 0] = s2 * a0
        block[2, 1] = s2 * (a1 - b1)
        block[2, 2] = s2 * (a2 - b2)
        block[2, 3] = -s2 * b3
        block_rhs[1] = 0.0
        block_rhs[2] = 0.0
        _qr_add_rows(r_band, qtb, g, block, block_rhs, np.int64(3), n_coef)
    # The last knot: only the last B-spline is non-zero there (value 1).
    root_w = math.sqrt(w[m - 1])
    block[0, 0] = root_w
    block[0, 1] = 0.0
    block[0, 2] = 0.0
    block[0, 3] = 0.0
    block_rhs[0] = root_w * ybar[m - 1]
    _qr_add_rows(r_band, qtb, n_coef - 1, block, block_rhs, np.int64(1), n_coef)
    for i in range(n_coef - 1, -1, -1):
        if r_band[i, 0] == 0.0:
            return False
        s = qtb[i]
        for e in range(1, 4):
            if i + e < n_coef:
                s -= r_band[i, e] * coef[i + e]
        coef[i] = s / r_band[i, 0]
    return True


@jit
def _oof_smoothing_spline_sorted(xs, ys, fs, lam):
    """Out-of-fold cubic smoothing spline, sorted data.

    Definition: with ``z = (x - mean(x)) / std(x)`` (all points), the fold's spline ``f``
    minimises ``(1/m) sum_i (y_i - f(z_i))^2 + lam * int f''(z)^2 dz`` over its ``m`` training
    points: the natural cubic spline with knots at the distinct training ``z`` (tied ``z``
    merge into one knot of weight = count, mean ``y``), continued linearly outside them.
    Equivalently scipy's ``make_smoothing_spline(knots, means, w=counts, lam=m * lam)``.
    Fewer than 3 distinct training ``z``: 2 give the line through both means, 1 (or constant
    ``x``) the training mean. Solved in the B-spline basis by banded QR
    (``_smoothing_spline_fit``), O(n) per fold.
    """
    n = xs.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    n_folds = fold_count(fs)
    mean, sd = mean_std(xs)
    if not (sd > 0.0):
        return _training_means(ys, fs)
    z = (xs - mean) / sd
    knots = np.empty(n)
    means = np.empty(n)
    weights = np.empty(n)
    tau = np.empty(n + 6)
    coef = np.empty(n + 2)
    r_band = np.empty((n + 2, 4))
    qtb = np.empty(n + 2)
    vals = np.empty(4)
    left = np.empty(3)
    right = np.empty(3)
    _, counts = _fold_sums(ys, fs, n_folds)
    for k in range(n_folds):
        if counts[k] == 0 or counts[k] == n:
            continue
        m = np.int64(0)  # not a literal 0: one specialisation of the fit
        for i in range(n):
            if fs[i] == k:
                continue
            if m > 0 and z[i] == knots[m - 1]:
                means[m - 1] += ys[i]
                weights[m - 1] += 1.0
            else:
                knots[m] = z[i]
                means[m] = ys[i]
                weights[m] = 1.0
                m += 1
        for g in range(m):
            means[g] /= weights[g]
        if m <= 2 or not _smoothing_spline_fit(knots, means, weights, m, lam * (n - counts[k]),
                                               tau, coef, r_band, qtb):
            # 1 knot: the mean; 2 knots: the line through both means (also the fallback).
            for i in range(n):
                if fs[i] != k:
                    continue
                if m == 1:
                    out[i] = means[0]
                else:
                    out[i] = means[0] + (z[i] - knots[0]) * (
                        (means[m - 1] - means[0]) / (knots[m - 1] - knots[0]))
            continue
        # Natural spline: straight beyond the end knots, along the end tangents.
        slope0 = 3.0 * (coef[1] - coef[0]) / (knots[1] - knots[0])
        slope1 = 3.0 * (coef[m + 1] - coef[m]) / (knots[m - 1] - knots[m - 2])
        g = 0
        for i in range(n):
            if fs[i] != k:
                continue
            zi = z[i]
            if zi <= knots[0]:
                out[i] = coef[0] + (zi - knots[0]) * slope0
                continue
            if zi >= knots[m - 1]:
                out[i] = coef[m + 1] + (zi - knots[m - 1]) * slope1
                continue
            while knots[g + 1] <= zi:
                g += 1
            kk = 3 + g
            _cubic_bspline_values(tau, kk, zi, vals, left, right)
            out[i] = (coef[kk - 3] * vals[0] + coef[kk - 2] * vals[1]
                      + coef[kk - 1] * vals[2] + coef[kk] * vals[3])
    return out


# --------------------------------------------------------------------------------------------
# Public wrappers
# --------------------------------------------------------------------------------------------

def _fit(name, x, y, folds, **params) -> np.ndarray:
    """Check the parameters by the model's ``CORES`` entry, validate the data, sort by ``x``,
    run the core on sorted data and return predictions in the original order (all NaN when
    ``x`` or ``y`` holds NaN or inf)."""
    model = CORES[name]
    args = model.core_args(**params)
    x, y = as_float_pair(x, y)
    fs = as_folds(folds, len(x))
    if not all_finite(x, y):
        return np.full(len(x), np.nan)
    return run_sorted(model.core, x, y, fs, params=args)


def robust_scale(x) -> float:
    """Compute the robust scale ``min(std, IQR / 1.349)`` of ``x``.

    The std is the population one (``ddof=0``), the quartiles NumPy's default linear ones.
    Where the IQR is 0 (a heavy tie in the middle of the data) the std is used alone. This is
    the unit of the bandwidth of :func:`oof_nadaraya_watson`.

    Parameters
    ----------
    x : array_like of shape (n,)

    Returns
    -------
    float
        The scale; 0.0 for a constant ``x`` or ``n < 2``; NaN if ``x`` holds NaN or inf.
    """
    x = as_float_vector(x)
    if not all_finite(x):
        return float("nan")
    return float(_robust_scale_sorted(np.sort(x)))


def oof_linear(x, y, folds) -> np.ndarray:
    """Predict ``y`` out of fold with an ordinary least-squares line ``a + b x``.

    Equals scikit-learn's ``cross_val_predict(LinearRegression(), x[:, None], y,
    cv=PredefinedSplit(folds))``. A training set whose ``x`` are all equal predicts its mean
    (scikit-learn's minimum-norm slope is then 0). O(n) after sorting, any fold array.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point (e.g. from ``make_folds``); point ``i`` is predicted by a model
        fitted on the points whose id differs from ``folds[i]``. Any integer labels.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions in input order; all NaN if ``x`` or ``y`` holds NaN or inf;
        NaN where a point's training set is empty.
    """
    return _fit("oof_linear", x, y, folds)


def oof_polynomial(x, y, folds, degree: int = 2) -> np.ndarray:
    """Predict ``y`` out of fold with a least-squares polynomial in ``x``.

    The same fit as ``PolynomialFeatures(degree)`` + ``LinearRegression`` on standardised
    ``x``, computed through an orthonormal polynomial basis (better conditioned; one pass gives
    every fold's normal equations). A training set with only ``m <= degree`` distinct ``x``
    gets degree ``m - 1``, the highest one it determines (one value: the training mean).
    O(n degree^2 + K degree^3), any fold array.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    degree : int, default 2
        Polynomial degree, 1..5.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_polynomial", x, y, folds, degree=degree)


def oof_knn_regression(x, y, folds, k: int = 5) -> np.ndarray:
    """Predict ``y`` out of fold as the mean of the ``k`` nearest training points in ``x``.

    Tie rule: the training points at exactly the k-th smallest distance share equally the
    weight left after the strictly closer ones, so the result does not depend on input order;
    without a tie at the k-th distance it is scikit-learn's ``KNeighborsRegressor(k)``. A
    training set smaller than ``k`` predicts its mean. O(n k) on sorted data, any fold array.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    k : int, default 5
        Number of neighbours, >= 1.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_knn_regression", x, y, folds, k=k)


def oof_nadaraya_watson(x, y, folds, bandwidth: float = 0.25) -> np.ndarray:
    """Predict ``y`` out of fold by Gaussian-kernel (Nadaraya-Watson) regression on ``x``.

    ``yhat_i = sum_j w_ij y_j / sum_j w_ij`` over the training points with
    ``w_ij = exp(-(x_i - x_j)^2 / (2 h^2))`` and ``h = bandwidth * robust_scale(x)`` (all
    points). Training points with ``(x_j - x_i)^2 > dmin^2 + 2 h^2 ln(1e10 n)`` (``dmin``: the
    nearest one) are dropped, which moves a prediction by less than 1e-10 of the spread of
    ``y``; the sums use a one-dimensional fast Gauss transform (agreement with the direct sum
    about 1e-13). A constant ``x`` predicts the training mean. Any fold array.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    bandwidth : float, default 0.25
        Bandwidth in units of :func:`robust_scale` of ``x``, > 0.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_nadaraya_watson", x, y, folds, bandwidth=bandwidth)


def oof_isotonic(x, y, folds, increasing: bool = True) -> np.ndarray:
    """Predict ``y`` out of fold with an isotonic (monotone) regression on ``x``.

    As scikit-learn's ``IsotonicRegression(increasing=increasing, out_of_bounds="clip")``:
    tied training ``x`` are averaged first, a held-out ``x`` is interpolated linearly between
    the fitted values of the neighbouring training ``x`` and clipped outside their range. Refits
    per fold: O(n K), so O(n^2) for leave-one-out (correct, but use K-fold at large n).

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    increasing : bool, default True
        Fit a non-decreasing (True) or non-increasing (False) function.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    if not isinstance(increasing, (bool, np.bool_)):
        raise TypeError(f"increasing must be a bool, got {increasing!r}")
    return _fit("oof_isotonic", x, y, folds, increasing=increasing)


def oof_binned_means(x, y, folds, n_bins: int = 10) -> np.ndarray:
    """Predict ``y`` out of fold as the training mean of the point's ``x`` bin (regressogram).

    Bins are equal-frequency bins of ``x`` over all points, from ``x`` alone: edges
    ``np.quantile(x, j / n_bins)``, ``j = 1..n_bins-1``, and a point's bin is the number of
    edges ``<= x`` (tied values share a bin). A bin with no training point predicts the training
    mean. O(n), any fold array.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    n_bins : int, default 10
        Number of bins, >= 1.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_binned_means", x, y, folds, n_bins=n_bins)


def oof_tree_regression(x, y, folds, max_depth: int = 2) -> np.ndarray:
    """Predict ``y`` out of fold with a squared-error regression tree on ``x``.

    The tree of scikit-learn's ``DecisionTreeRegressor(max_depth=max_depth)`` (best splits, one
    point per leaf minimum, thresholds at midpoints between distinct ``x``), identical on data
    exact in float32, which scikit-learn casts ``x`` to (integers below 2^24 are). Tie rule:
    among splits with exactly equal score the lowest threshold wins (scikit-learn's scan
    order). Refits per fold: O(n depth K), O(n^2) for leave-one-out.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    max_depth : int, default 2
        Depth of the tree, 1..8.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_tree_regression", x, y, folds, max_depth=max_depth)


def oof_boosted_stumps(x, y, folds, n_rounds: int = 100,
                       learning_rate: float = 0.1) -> np.ndarray:
    """Predict ``y`` out of fold with gradient-boosted stumps (squared loss) on ``x``.

    The model of scikit-learn's ``GradientBoostingRegressor(max_depth=1,
    n_estimators=n_rounds, learning_rate=learning_rate)``: start from the training mean, add
    ``learning_rate`` times a depth-1 tree fitted to the residuals each round (tree rules and
    float32 remark as in :func:`oof_tree_regression`). Refits per fold: O(n_rounds n K), so
    O(n_rounds n^2) for leave-one-out: correct, but meant for K-fold.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    n_rounds : int, default 100
        Number of boosting rounds, >= 1.
    learning_rate : float, default 0.1
        Shrinkage of every stump, > 0.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_boosted_stumps", x, y, folds, n_rounds=n_rounds,
                learning_rate=learning_rate)


def oof_smoothing_spline(x, y, folds, lam: float = 1e-3) -> np.ndarray:
    """Predict ``y`` out of fold with a cubic smoothing spline in ``x``.

    On ``z = (x - mean) / std`` (all points), each fold's spline minimises
    ``mean_i (y_i - f(z_i))^2 + lam * int f''(z)^2 dz`` over its training points: scipy's
    ``make_smoothing_spline(knots, means, w=counts, lam=m * lam)`` on the distinct training
    ``z`` (tied ``x`` form one knot weighted by its count; ``m`` training points), continued as
    a straight line beyond the end knots (natural spline). Fewer than 3 distinct training
    ``x``: the line through the 2 means, or the training mean. Refits per fold: O(n K), O(n^2)
    for leave-one-out.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Input and numeric target.
    folds : array_like of int, shape (n,)
        Fold id of every point; see :func:`oof_linear`.
    lam : float, default 1e-3
        Roughness penalty (scale free: ``x`` standardised, squared error averaged), > 0.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Out-of-fold predictions; see :func:`oof_linear`.
    """
    return _fit("oof_smoothing_spline", x, y, folds, lam=lam)


#: Every model: public function -> sorted core ``core(xs, ys, fs, *args)`` and the parameters
#: it takes (see :mod:`causepairs.kernels.cores`). The factory, tests and benchmarks use it.
CORES = table(
    KernelCore(oof_linear, _oof_linear_sorted),
    KernelCore(oof_polynomial, _oof_polynomial_sorted, (Param("degree", integer(1, 5)),)),
    KernelCore(oof_knn_regression, _oof_knn_regression_sorted, (Param("k", integer(1)),)),
    KernelCore(oof_nadaraya_watson, _oof_nadaraya_watson_sorted,
               (Param("bandwidth", positive),)),
    KernelCore(oof_isotonic, _oof_isotonic_sorted, (Param("increasing", flag),),
               order_only=True),
    KernelCore(oof_binned_means, _oof_binned_means_sorted, (Param("n_bins", integer(1)),),
               order_only=True),
    KernelCore(oof_tree_regression, _oof_tree_regression_sorted,
               (Param("max_depth", integer(1, 8)),), order_only=True),
    KernelCore(oof_boosted_stumps, _oof_boosted_stumps_sorted,
               (Param("n_rounds", integer(1)), Param("learning_rate", positive)),
               order_only=True),
    KernelCore(oof_smoothing_spline, _oof_smoothing_spline_sorted, (Param("lam", positive),)),
)
