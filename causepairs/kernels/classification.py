"""Out-of-fold class probabilities of 1-D models for a categorical target.

Every model here predicts, for each point, the probabilities of the ``k`` classes of the
target from a numeric input ``x``, fitted only on the points of the *other* folds. The output
is an ``(n, k)`` float64 array whose rows sum to 1 (up to rounding); column ``c`` is the class
with code ``c`` (the ``c``-th smallest distinct target value, as in
:func:`causepairs.kernels._validation.as_codes`).

Models
------
- :func:`oof_bin_frequencies`: class frequencies per equal-frequency bin of ``x``.
- :func:`oof_knn_classification`: class shares among the nearest training points.
- :func:`oof_naive_bayes`: Gaussian naive Bayes (scikit-learn's ``GaussianNB``).
- :func:`oof_logistic`: L2-penalised logistic regression on standardised ``x``
  (scikit-learn's ``LogisticRegression``).
- :func:`oof_classification_tree`: CART tree of depth 1 to 4 with Gini splits
  (scikit-learn's ``DecisionTreeClassifier``).

Two layers, as everywhere in :mod:`causepairs.kernels`: a public wrapper validates its input
once, sorts it and calls a private ``@jit`` core ``_oof_<model>_sorted(xs, codes_s, fs, k,
...)`` that takes ``x`` sorted ascending (``xs``), the class codes and fold ids permuted the
same way (``codes_s``, ``fs``) and the number of classes ``k``, and returns the
probabilities in that sorted order. ``CORES`` maps each public function to its core and the
parameters the core takes (:mod:`causepairs.kernels.cores`); the feature factory sorts each
input once and calls the cores directly, through that table.

Common rules
------------
- Fold ids are ``0..K-1`` (the wrappers renumber any integer ids, ``_validation.as_folds``);
  a point's prediction uses only points of other folds. Any fold array works, from 2-fold to
  leave-one-out. A point whose training set is empty (all points in one fold) gets NaN.
- Degenerate input gives an all-NaN ``(n, k)`` array, never an exception: NaN or inf in
  ``x`` (or in a float target), fewer than 2 points, or a target with a single class.
- A class absent from a training fold gets probability 0 from the fitted models (tree,
  naive Bayes, logistic), exactly as scikit-learn's ``cross_val_predict(...,
  method="predict_proba")`` fills the column of a class the fold never saw; the
  frequency models (bins, kNN) give it ``alpha / (total + alpha * k)``, their additive
  smoothing.
- Ties in ``x`` are common (challenge data are rounded). Every model depends only on the
  multiset of ``(x, class, fold)`` triples, never on the order of the points; the tie rule
  of each model is stated in its docstring.
"""

from __future__ import annotations

import numpy as np

from ._config import jit
from ._validation import as_codes, as_float_vector, as_folds
from .binning import RANK_BELOW, equal_frequency_bins_sorted
from .cores import KernelCore, Param, integer, non_negative, positive, table
from .shared import fold_count, unsort

__all__ = [
    "CORES",
    "oof_bin_frequencies",
    "oof_knn_classification",
    "oof_naive_bayes",
    "oof_logistic",
    "oof_classification_tree",
]


# --------------------------------------------------------------------------------------
# Small shared cores
# --------------------------------------------------------------------------------------
#
# _LITERALS: Numba compiles a jitted callee once per distinct argument *type*, and a
# constant such as 0 or True is first typed as a literal (Literal[int](0)) before the
# loop that changes it is seen, so passing a freshly initialised counter or flag to
# another jitted function compiled that callee twice. Counters and flags that reach a
# call are therefore created as np.int64(0) / np.bool_(True), which are plain types.

@jit
def _usable_sorted(xs, k):
    """True when a classification model can be fitted: n >= 2, k >= 2 and finite x."""
    n = xs.shape[0]
    if n < 2 or k < 2:
        return False
    for i in range(n):
        if not np.isfinite(xs[i]):
            return False
    return True


@jit
def _run_starts(xs):
    """Start index of every run of equal values in sorted ``xs``, plus ``n`` at the end."""
    n = xs.shape[0]
    starts = np.empty(n + 1, dtype=np.int64)
    m = 0
    for i in range(n):
        if i == 0 or xs[i] != xs[i - 1]:
            starts[m] = i
            m += 1
    starts[m] = n
    return starts[:m + 1]


@jit
def _fold_class_counts(codes_s, fs, n_folds, k):
    """Counts of every class in every fold, as a float64 ``(n_folds, k)`` array."""
    counts = np.zeros((n_folds, k))
    for i in range(codes_s.shape[0]):
        counts[fs[i], codes_s[i]] += 1.0
    return counts


# --------------------------------------------------------------------------------------
# Per-bin class frequencies
# --------------------------------------------------------------------------------------

@jit
def _oof_bin_frequencies_sorted(xs, codes_s, fs, k, n_bins, alpha):
    """Core of :func:`oof_bin_frequencies` on sorted data (see there)."""
    n = xs.shape[0]
    out = np.full((n, k), np.nan)
    if not _usable_sorted(xs, k):
        return out
    n_folds = fold_count(fs)
    fold_counts = _fold_class_counts(codes_s, fs, n_folds, k)
    total = np.zeros(k)
    fold_size = np.zeros(n_folds)
    for f in range(n_folds):
        for c in range(k):
            total[c] += fold_counts[f, c]
            fold_size[f] += fold_counts[f, c]
    bins = equal_frequency_bins_sorted(xs, n_bins, RANK_BELOW)
    # scratch[f, c]: points of fold f and class c in the current bin; cleared after use,
    # so memory stays (K, k) even for leave-one-out.
    scratch = np.zeros((n_folds, k))
    bin_counts = np.zeros(k)
    a = 0
    while a < n:
        e = a + 1
        while e < n and bins[e] == bins[a]:
            e += 1
        for c in range(k):
            bin_counts[c] = 0.0
        for i in range(a, e):
            bin_counts[codes_s[i]] += 1.0
            scratch[fs[i], codes_s[i]] += 1.0
        for i in range(a, e):
            f = fs[i]
            n_train = 0.0
            for c in range(k):
                n_train += bin_counts[c] - scratch[f, c]
            if n_train > 0.0:
                den = n_train + alpha * k
                for c in range(k):
                    out[i, c] = (bin_counts[c] - scratch[f, c] + alpha) / den
            else:
                # The bin has no training point: fall back to the training fold's
                # overall class frequencies, smoothed the same way.
                n_fold_train = n - fold_size[f]
                if n_fold_train > 0.0:
                    den = n_fold_train + alpha * k
                    for c in range(k):
                        out[i, c] = (total[c] - fold_counts[f, c] + alpha) / den
        for i in range(a, e):
            scratch[fs[i], codes_s[i]] = 0.0
        a = e
    return out


# --------------------------------------------------------------------------------------
# k-nearest-neighbour classifier
# --------------------------------------------------------------------------------------

@jit
def _knn_weights(xs, codes_s, fs, starts, run_of, r, fold, n_take, weights):
    """Class weights of the ``n_take`` nearest training points to run ``r``'s value.

    Training points (fold id != ``fold``) are visited by increasing distance, a tie group
    at a time: all points with the same distance (the own run at distance 0, or the runs
    just left and right when equally far). A group that fits is taken whole (weight 1 per
    point); the group that crosses the ``n_take``-th place shares the remaining weight
    equally among its points.
    """
    n = xs.shape[0]
    v = xs[starts[r]]
    taken = 0
    # The own run (distance 0).
    lo = starts[r]
    hi = starts[r + 1]
    g = 0
    for j in range(lo, hi):
        if fs[j] != fold:
            g += 1
    if g > 0:
        w = 1.0
        if g > n_take:
            w = n_take / g
        for j in range(lo, hi):
            if fs[j] != fold:
                weights[codes_s[j]] += w
        taken = min(g, n_take)
    pl = lo - 1
    pr = hi
    while taken < n_take:
        while pl >= 0 and fs[pl] == fold:
            pl -= 1
        while pr < n and fs[pr] == fold:
            pr += 1
        d_l = v - xs[pl] if pl >= 0 else np.inf
        d_r = xs[pr] - v if pr < n else np.inf
        if d_l == np.inf and d_r == np.inf:
            break
        # The group: the left run at pl if it is nearest, the right run at pr if it is
        # nearest (both when equally far). Distances are compared as computed, so two
        # runs whose rounded distances are equal are one tie group, as in the reference.
        l_lo = pl + 1
        l_hi = pl + 1
        r_lo = pr
        r_hi = pr
        if d_l <= d_r:
            l_lo = starts[run_of[pl]]
            while l_lo > 0 and v - xs[l_lo - 1] == d_l:
                l_lo = starts[run_of[l_lo - 1]]
        if d_r <= d_l:
            r_hi = starts[run_of[pr] + 1]
            while r_hi < n and xs[r_hi] - v == d_r:
                r_hi = starts[run_of[r_hi] + 1]
        if l_hi - l_lo + r_hi - r_lo == 1:
            # One point (the common tie-free case): it is a training point and fits.
            j = l_lo if l_hi > l_lo else r_lo
            weights[codes_s[j]] += 1.0
            taken += 1
        else:
            g = 0
            for j in range(l_lo, l_hi):
                if fs[j] != fold:
                    g += 1
            for j in range(r_lo, r_hi):
                if fs[j] != fold:
                    g += 1
            w = 1.0
            if taken + g > n_take:
                w = (n_take - taken) / g
                taken = n_take
            else:
                taken += g
            for j in range(l_lo, l_hi):
                if fs[j] != fold:
                    weights[codes_s[j]] += w
            for j in range(r_lo, r_hi):
                if fs[j] != fold:
                    weights[codes_s[j]] += w
        pl = l_lo - 1
        pr = r_hi


@jit
def _oof_knn_classification_sorted(xs, codes_s, fs, k, n_neighbors, alpha):
    """Core of :func:`oof_knn_classification` on sorted data (see there)."""
    n = xs.shape[0]
    out = np.full((n, k), np.nan)
    if not _usable_sorted(xs, k):
        return out
    n_folds = fold_count(fs)
    fold_size = np.zeros(n_folds, dtype=np.int64)
    for i in range(n):
        fold_size[fs[i]] += 1
    starts = _run_starts(xs)
    n_runs = starts.shape[0] - 1
    run_of = np.empty(n, dtype=np.int64)
    for r in range(n_runs):
        for i in range(starts[r], starts[r + 1]):
            run_of[i] = r
    # Points with the same x value and the same fold have the same training set and the
    # same distances, hence the same prediction: compute it once per (run, fold).
    stamp = np.full(n_folds, -1, dtype=np.int64)
    cache = np.empty((n_folds, k))
    weights = np.empty(k)
    for r in range(n_runs):
        for i in range(starts[r], starts[r + 1]):
            f = fs[i]
            if stamp[f] != r:
                stamp[f] = r
                n_take = min(n_neighbors, n - fold_size[f])
                if n_take <= 0:
                    for c in range(k):
                        cache[f, c] = np.nan
                else:
                    for c in range(k):
                        weights[c] = 0.0
                    _knn_weights(xs, codes_s, fs, starts, run_of, r, f, n_take, weights)
                    den = n_take + alpha * k
                    for c in range(k):
                        cache[f, c] = (weights[c] + alpha) / den
            for c in range(k):
                out[i, c] = cache[f, c]
    return out


@jit
def _grow(buffer, size):
    """``buffer`` copied into one twice as large (its first ``size`` entries kept)."""
    bigger = np.empty(2 * buffer.shape[0], dtype=buffer.dtype)
    bigger[:size] = buffer[:size]
    return bigger


@jit
def _knn_plan_sorted(xs, fs, n_neighbors):
    """The target-independent part of the kNN classifier: who the neighbours are.

    The factory fits the same sorted input and folds against several target binnings; the
    neighbour search (most of the cost) depends only on ``xs`` and ``fs``, so it is done once
    here and :func:`_knn_plan_class_shares` replays it for each target. The walk is the one of
    :func:`_knn_weights`, recording where that adds; for a single target the direct core is
    faster (no recording), so :func:`oof_knn_classification` keeps it, and the tests check the
    two give bitwise the same result.

    Points with the same x value and fold have the same training set and distances, hence the
    same prediction: they share one *query*. A query's neighbours are recorded as segments
    ``(lo, hi, w)``: every training point (fold id != the query's fold) in ``lo..hi-1`` gets
    weight ``w``. Training points are visited by increasing distance, a tie group at a time:
    all points with the same distance (the own run at distance 0, or the runs just left and
    right when equally far). A group that fits is taken whole (weight 1 per point); the group
    that crosses the ``n_take``-th place shares the remaining weight equally among its points.
    The segments are kept in visiting order, so replaying them adds the same weights in the
    same order as a direct search (bitwise the same sums).

    Returns ``(query_of, query_fold, query_take, seg_start, seg_lo, seg_hi, seg_w)``:
    ``query_of[i]`` the query of point ``i``; per query its fold, its ``n_take`` (neighbours
    wanted; <= 0 when the training set is empty) and its segments
    ``seg_start[q]..seg_start[q + 1] - 1``. ``query_of`` is empty when no model can be fitted
    (n < 2 or non-finite x).
    """
    n = xs.shape[0]
    no_query = np.empty(0, dtype=np.int64)
    if n < 2 or not np.isfinite(xs).all():
        return (no_query, no_query, no_query, np.zeros(1, dtype=np.int64), no_query,
                no_query, np.empty(0))
    n_folds = fold_count(fs)
    fold_size = np.zeros(n_folds, dtype=np.int64)
    for i in range(n):
        fold_size[fs[i]] += 1
    starts = _run_starts(xs)
    n_runs = starts.shape[0] - 1
    run_of = np.empty(n, dtype=np.int64)
    for r in range(n_runs):
        for i in range(starts[r], starts[r + 1]):
            run_of[i] = r
    query_of = np.empty(n, dtype=np.int64)
    query_fold = np.empty(n, dtype=np.int64)
    query_take = np.empty(n, dtype=np.int64)
    seg_start = np.empty(n + 1, dtype=np.int64)
    capacity = max(16, 2 * n)
    seg_lo = np.empty(capacity, dtype=np.int64)
    seg_hi = np.empty(capacity, dtype=np.int64)
    seg_w = np.empty(capacity)
    stamp = np.full(n_folds, -1, dtype=np.int64)
    stamp_query = np.empty(n_folds, dtype=np.int64)
    n_queries = 0
    m = 0
    for r in range(n_runs):
        for i in range(starts[r], starts[r + 1]):
            fold = fs[i]
            if stamp[fold] == r:
                query_of[i] = stamp_query[fold]
                continue
            q = n_queries
            n_queries += 1
            stamp[fold] = r
            stamp_query[fold] = q
            query_of[i] = q
            query_fold[q] = fold
            n_take = min(n_neighbors, n - fold_size[fold])
            query_take[q] = n_take
            seg_start[q] = m
            if n_take <= 0:
                continue
            # A query adds at most 2 segments per neighbour taken, plus the own run.
            while m + 2 * n_take + 1 > seg_lo.shape[0]:
                seg_lo = _grow(seg_lo, m)
                seg_hi = _grow(seg_hi, m)
                seg_w = _grow(seg_w, m)
            v = xs[starts[r]]
            taken = 0
            # The own run (distance 0).
            lo = starts[r]
            hi = starts[r + 1]
            g = 0
            for j in range(lo, hi):
                if fs[j] != fold:
                    g += 1
            if g > 0:
                w = 1.0
                if g > n_take:
                    w = n_take / g
                seg_lo[m] = lo
                seg_hi[m] = hi
                seg_w[m] = w
                m += 1
                taken = min(g, n_take)
            pl = lo - 1
            pr = hi
            while taken < n_take:
                while pl >= 0 and fs[pl] == fold:
                    pl -= 1
                while pr < n and fs[pr] == fold:
                    pr += 1
                d_l = v - xs[pl] if pl >= 0 else np.inf
                d_r = xs[pr] - v if pr < n else np.inf
                if d_l == np.inf and d_r == np.inf:
                    break
                # The group: the left run at pl if it is nearest, the right run at pr if it
                # is nearest (both when equally far). Distances are compared as computed, so
                # two runs whose rounded distances are equal are one tie group, as in the
                # reference.
                l_lo = pl + 1
                l_hi = pl + 1
                r_lo = pr
                r_hi = pr
                if d_l <= d_r:
                    l_lo = starts[run_of[pl]]
                    while l_lo > 0 and v - xs[l_lo - 1] == d_l:
                        l_lo = starts[run_of[l_lo - 1]]
                if d_r <= d_l:
                    r_hi = starts[run_of[pr] + 1]
                    while r_hi < n and xs[r_hi] - v == d_r:
                        r_hi = starts[run_of[r_hi] + 1]
                if l_hi - l_lo + r_hi - r_lo == 1:
                    # One point (the common tie-free case): a training point, and it fits.
                    j = l_lo if l_hi > l_lo else r_lo
                    seg_lo[m] = j
                    seg_hi[m] = j + 1
                    seg_w[m] = 1.0
                    m += 1
                    taken += 1
                else:
                    g = 0
                    for j in range(l_lo, l_hi):
                        if fs[j] != fold:
                            g += 1
                    for j in range(r_lo, r_hi):
                        if fs[j] != fold:
                            g += 1
                    w = 1.0
                    if taken + g > n_take:
                        w = (n_take - taken) / g
                        taken = n_take
                    else:
                        taken += g
                    if l_hi > l_lo:
                        seg_lo[m] = l_lo
                        seg_hi[m] = l_hi
                        seg_w[m] = w
                        m += 1
                    if r_hi > r_lo:
                        seg_lo[m] = r_lo
                        seg_hi[m] = r_hi
                        seg_w[m] = w
                        m += 1
                pl = l_lo - 1
                pr = r_hi
    seg_start[n_queries] = m
    return (query_of, query_fold[:n_queries].copy(), query_take[:n_queries].copy(),
            seg_start[:n_queries + 1].copy(), seg_lo[:m].copy(), seg_hi[:m].copy(),
            seg_w[:m].copy())


@jit
def _knn_plan_class_shares(codes_s, fs, k, plan, alpha):
    """Out-of-fold kNN class shares of one target from a :func:`_knn_plan_sorted` plan of the
    same sorted input and folds: ``(w_c + alpha) / (n_take + alpha * k)`` per query, ``w_c``
    the summed weight of the query's neighbours of class ``c``. All-NaN for n < 2, k < 2 or a
    plan without queries (non-finite x)."""
    query_of, query_fold, query_take, seg_start, seg_lo, seg_hi, seg_w = plan
    n = codes_s.shape[0]
    out = np.full((n, k), np.nan)
    if n < 2 or k < 2 or query_of.shape[0] != n:
        return out
    n_queries = query_take.shape[0]
    shares = np.empty((n_queries, k))
    weights = np.empty(k)
    for q in range(n_queries):
        n_take = query_take[q]
        if n_take <= 0:
            for c in range(k):
                shares[q, c] = np.nan
            continue
        for c in range(k):
            weights[c] = 0.0
        fold = query_fold[q]
        for s in range(seg_start[q], seg_start[q + 1]):
            w = seg_w[s]
            for j in range(seg_lo[s], seg_hi[s]):
                if fs[j] != fold:
                    weights[codes_s[j]] += w
        den = n_take + alpha * k
        for c in range(k):
            shares[q, c] = (weights[c] + alpha) / den
    for i in range(n):
        q = query_of[i]
        for c in range(k):
            out[i, c] = shares[q, c]
    return out


# --------------------------------------------------------------------------------------
# Gaussian naive Bayes
# --------------------------------------------------------------------------------------

@jit
def _oof_naive_bayes_sorted(xs, codes_s, fs, k, var_smoothing):
    """Core of :func:`oof_naive_bayes` on sorted data (see there)."""
    n = xs.shape[0]
    out = np.full((n, k), np.nan)
    if not _usable_sorted(xs, k):
        return out
    n_folds = fold_count(fs)
    # Positions of each class in sorted order (counting sort), to find a class's
    # training minimum and maximum in a fold.
    class_count = np.zeros(k, dtype=np.int64)
    for i in range(n):
        class_count[codes_s[i]] += 1
    class_start = np.zeros(k + 1, dtype=np.int64)
    for c in range(k):
        class_start[c + 1] = class_start[c] + class_count[c]
    fill = np.empty(k, dtype=np.int64)
    for c in range(k):
        fill[c] = class_start[c]
    class_pos = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = codes_s[i]
        class_pos[fill[c]] = i
        fill[c] += 1
    # Training-fold sums come from totals minus the fold's part. Deviations are taken
    # from centres (the class means and the global mean over all points), which keeps
    # the one-pass variance formula accurate.
    centre = np.zeros(k)
    for i in range(n):
        centre[codes_s[i]] += xs[i]
    for c in range(k):
        if class_count[c] > 0:
            centre[c] /= class_count[c]
    g_centre = 0.0
    for i in range(n):
        g_centre += xs[i]
    g_centre /= n
    cnt = np.zeros((n_folds, k))
    s1 = np.zeros((n_folds, k))
    s2 = np.zeros((n_folds, k))
    g1 = np.zeros(n_folds)
    g2 = np.zeros(n_folds)
    for i in range(n):
        f = fs[i]
        c = codes_s[i]
        d = xs[i] - centre[c]
        cnt[f, c] += 1.0
        s1[f, c] += d
        s2[f, c] += d * d
        dg = xs[i] - g_centre
        g1[f] += dg
        g2[f] += dg * dg
    cnt_t = np.zeros(k)
    s1_t = np.zeros(k)
    s2_t = np.zeros(k)
    for f in range(n_folds):
        for c in range(k):
            cnt_t[c] += cnt[f, c]
            s1_t[c] += s1[f, c]
            s2_t[c] += s2[f, c]
    g1_t = g1.sum()
    g2_t = g2.sum()
    fold_size = np.zeros(n_folds)
    for f in range(n_folds):
        for c in range(k):
            fold_size[f] += cnt[f, c]

    # Per fold and class: log prior - 0.5 log(2 pi var), mean and variance. A fold whose
    # training x is constant gets the class priors (flag), see the public docstring.
    const = np.empty((n_folds, k))
    mean = np.empty((n_folds, k))
    var = np.empty((n_folds, k))
    state = np.zeros(n_folds, dtype=np.int64)  # 0 fitted, 1 priors only, 2 no training
    for f in range(n_folds):
        n_tr = n - fold_size[f]
        if n_tr <= 0.0:
            state[f] = 2
            continue
        lo = 0
        while fs[lo] == f:
            lo += 1
        hi = n - 1
        while fs[hi] == f:
            hi -= 1
        if xs[lo] == xs[hi]:
            state[f] = 1
            for c in range(k):
                nc = cnt_t[c] - cnt[f, c]
                const[f, c] = np.log(nc / n_tr) if nc > 0.0 else -np.inf
            continue
        gm = (g1_t - g1[f]) / n_tr
        var_all = max((g2_t - g2[f]) / n_tr - gm * gm, 0.0)
        epsilon = var_smoothing * var_all
        for c in range(k):
            nc = cnt_t[c] - cnt[f, c]
            if nc <= 0.0:
                const[f, c] = -np.inf
                mean[f, c] = 0.0
                var[f, c] = 1.0
                continue
            # Training minimum and maximum of the class: a tied class has variance
            # exactly 0 (then only epsilon), whatever the rounding of the sums.
            a = class_start[c]
            while fs[class_pos[a]] == f:
                a += 1
            b = class_start[c + 1] - 1
            while fs[class_pos[b]] == f:
                b -= 1
            if xs[class_pos[a]] == xs[class_pos[b]]:
                mu = xs[class_pos[a]]
                vc = 0.0
            else:
                d1 = (s1_t[c] - s1[f, c]) / nc
                mu = centre[c] + d1
                vc = max((s2_t[c] - s2[f, c]) / nc - d1 * d1, 0.0)
            vc += epsilon
            mean[f, c] = mu
            var[f, c] = vc
            const[f, c] = np.log(nc / n_tr) - 0.5 * np.log(2.0 * np.pi * vc)

    jll = np.empty(k)
    for i in range(n):
        f = fs[i]
        if state[f] == 2:
            continue
        mx = -np.inf
        for c in range(k):
            if state[f] == 1 or const[f, c] == -np.inf:
                jll[c] = const[f, c]
            else:
                d = xs[i] - mean[f, c]
                jll[c] = const[f, c] - 0.5 * d * d / var[f, c]
            if jll[c] > mx:
                mx = jll[c]
        tot = 0.0
        for c in range(k):
            tot += np.exp(jll[c] - mx)
        lse = mx + np.log(tot)
        for c in range(k):
            out[i, c] = np.exp(jll[c] - lse)
    return out


# --------------------------------------------------------------------------------------
# Logistic regression (binary or multinomial), Newton's method
# --------------------------------------------------------------------------------------
#
# Cost model: a pass over the m distinct training inputs (kp exponentials each, plus
# 3 kp^2 / 2 multiply-adds when it also builds the Hessian) is the unit of work, and the
# solver is arranged to need few:
# - one pass gives the gradient and, optionally, the Hessian and the objective (only line
#   searches need it);
# - the fit on all points is solved on at most _N_COARSE groups of neighbouring inputs
#   (cheap and close), followed by one exact pass there for the full gradient and
#   Hessian;
# - a fold's objective is the full one minus its own points' terms, so its first Newton
#   step from that point needs only O(n / K) work; it lands about 3e-3 from the fold's
#   optimum;
# - near the optimum (steps below _CHORD_TOL) Newton runs without line search and reuses
#   the last Hessian once (a gradient-only pass): with a Hessian that stale by 3e-3 the
#   next step is still accurate to ~1e-7 relative;
# - it stops after applying a step below _STEP_TOL: convergence is quadratic there, so
#   about 1e-8 is left in the parameters (the tests check 1e-6 on probabilities against
#   scikit-learn at tol=1e-12).
# So a fold that sees every class costs one full and one gradient-only pass.

_STEP_TOL = 1e-4
_CHORD_TOL = 1e-2
_WARM_TOL = 1e-3
_N_COARSE = 64


@jit
def _logit_layout(kp, b_idx, w_idx):
    """Parameter positions of each present class; -1 where the class has none.

    Binary (kp == 2): one logit ``b + w z`` for the second class (scikit-learn's binary
    model), so ``theta = [b, w]``. Multinomial (kp >= 3): a logit ``b_c + w_c z`` per
    class with ``b_{kp-1} = 0`` (intercepts are unpenalised, so one can be fixed without
    changing the fit), so ``theta = [b_0..b_{kp-2}, w_0..w_{kp-1}]``.
    """
    if kp == 2:
        b_idx[0] = -1
        w_idx[0] = -1
        b_idx[1] = 0
        w_idx[1] = 1
        return 2
    for c in range(kp):
        b_idx[c] = c if c < kp - 1 else -1
        w_idx[c] = kp - 1 + c
    return 2 * kp - 1


@jit
def _softmax_at(theta, z, kp, b_idx, w_idx, p):
    """Class probabilities at ``z`` into ``p``."""
    mx = -np.inf
    for c in range(kp):
        eta = 0.0
        if b_idx[c] >= 0:
            eta += theta[b_idx[c]]
        if w_idx[c] >= 0:
            eta += theta[w_idx[c]] * z
        p[c] = eta
        if eta > mx:
            mx = eta
    tot = 0.0
    for c in range(kp):
        p[c] = np.exp(p[c] - mx)
        tot += p[c]
    for c in range(kp):
        p[c] /= tot


@jit
def _put_block(h, bi, wi, bj, wj, a0, a1, a2):
    """Write the 2x2 Hessian block of classes (i, j) where their parameters exist."""
    if bi >= 0 and bj >= 0:
        h[bi, bj] = a0
    if bi >= 0 and wj >= 0:
        h[bi, wj] = a1
    if wi >= 0 and bj >= 0:
        h[wi, bj] = a1
    if wi >= 0 and wj >= 0:
        h[wi, wj] = a2


@jit
def _logistic_pass(theta, zu, nuc, n_u, m, kp, lam, b_idx, w_idx, pw, g, h, hessian,
                   objective):
    """One pass: the gradient ``g``, the Hessian ``h`` if ``hessian``, and the penalised
    objective (returned) if ``objective``, else NaN.

    Objective: ``sum_u sum_c nuc[u, c] * -log p_c(zu[u]) + lam / 2 * sum_c w_c ** 2``;
    ``n_u[u]`` is the row total of ``nuc``. ``pw`` (kp, m) receives the probabilities.
    Exponentials dominate the cost, so the largest logit's (exp(0) = 1) is skipped and the
    logarithm is only taken when the objective is asked for.
    """
    bvec = np.zeros(kp)
    wvec = np.zeros(kp)
    for c in range(kp):
        if b_idx[c] >= 0:
            bvec[c] = theta[b_idx[c]]
        if w_idx[c] >= 0:
            wvec[c] = theta[w_idx[c]]
    eta = np.empty(kp)
    r0 = np.zeros(kp)
    r1 = np.zeros(kp)
    d0 = np.zeros(kp)
    d1 = np.zeros(kp)
    d2 = np.zeros(kp)
    obj = 0.0
    for u in range(m):
        z = zu[u]
        top = 0
        for c in range(kp):
            eta[c] = bvec[c] + wvec[c] * z
            if eta[c] > eta[top]:
                top = c
        mx = eta[top]
        tot = 0.0
        for c in range(kp):
            e = 1.0 if c == top else np.exp(eta[c] - mx)
            pw[c, u] = e
            tot += e
        inv = 1.0 / tot
        nn = n_u[u]
        if objective:
            lse = mx + np.log(tot)
            for c in range(kp):
                # -log p_c = lse - eta_c: finite even where p_c underflows to 0
                obj += nuc[u, c] * (lse - eta[c])
        for c in range(kp):
            pc = pw[c, u] * inv
            pw[c, u] = pc
            res = nn * pc - nuc[u, c]
            r0[c] += res
            r1[c] += res * z
            t = nn * pc
            d0[c] += t
            d1[c] += t * z
            d2[c] += t * z * z
    for j in range(g.shape[0]):
        g[j] = 0.0
    for c in range(kp):
        obj += 0.5 * lam * wvec[c] * wvec[c]
        if b_idx[c] >= 0:
            g[b_idx[c]] += r0[c]
        if w_idx[c] >= 0:
            g[w_idx[c]] += r1[c] + lam * wvec[c]
    if hessian:
        # Blocks: sum_u n_u (p_c [c == d] - p_c p_d) [1, z; z, z^2]; the outer-product
        # part is summed class pair by class pair over contiguous rows of pw.
        for c in range(kp):
            for d in range(c, kp):
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                for u in range(m):
                    t = n_u[u] * pw[c, u] * pw[d, u]
                    s0 += t
                    t *= zu[u]
                    s1 += t
                    s2 += t * zu[u]
                a0 = -s0
                a1 = -s1
                a2 = -s2
                if c == d:
                    a0 += d0[c]
                    a1 += d1[c]
                    a2 += d2[c] + (lam if w_idx[c] >= 0 else 0.0)
                _put_block(h, b_idx[c], w_idx[c], b_idx[d], w_idx[d], a0, a1, a2)
                if c != d:
                    _put_block(h, b_idx[d], w_idx[d], b_idx[c], w_idx[c], a0, a1, a2)
    return obj if objective else np.nan


@jit
def _cholesky_solve(h, g, size, step):
    """Solve ``h @ step = -g`` for symmetric positive definite ``h`` (overwritten)."""
    for j in range(size):
        s = h[j, j]
        for t in range(j):
            s -= h[j, t] * h[j, t]
        if s <= 1e-300:
            s = 1e-300  # numerically singular direction: a tiny pivot keeps the step finite
        h[j, j] = np.sqrt(s)
        for i in range(j + 1, size):
            s = h[i, j]
            for t in range(j):
                s -= h[i, t] * h[j, t]
            h[i, j] = s / h[j, j]
    for i in range(size):
        s = -g[i]
        for t in range(i):
            s -= h[i, t] * step[t]
        step[i] = s / h[i, i]
    for i in range(size - 1, -1, -1):
        s = step[i]
        for t in range(i + 1, size):
            s -= h[t, i] * step[t]
        step[i] = s / h[i, i]


@jit
def _logistic_newton(theta, zu, nuc, m, kp, lam, class_n, coarse_start, step_tol,
                     max_passes, g_out, h_out):
    """Minimise the penalised logistic objective by Newton's method (``theta`` in place).

    ``zu[:m]`` are distinct standardised inputs, ``nuc[:m, :kp]`` the count of each class
    at each. Starts from ``theta`` as given or, with ``coarse_start``, from an approximate
    fit on at most _N_COARSE groups of neighbouring inputs (itself started at the
    intercept-only optimum given by the class counts ``class_n``). The Hessian is
    positive definite (penalty on the slopes, one intercept fixed); far from the optimum
    a backtracking (Armijo) line search keeps every step a descent, near it the steps are
    taken whole (see the cost notes above). Stops after applying a step below
    ``step_tol``, or after ``max_passes`` passes, leaving the gradient and Hessian of the
    last accepted point in ``g_out`` and ``h_out`` (with ``max_passes = 1``: an
    evaluation at ``theta``, which is then left unchanged). Returns the number of passes.

    Written around a single call site of the pass, and called from a single site: each
    call site of a large jitted function is compiled again where LLVM inlines it, which
    used to dominate the compile time.
    """
    b_idx = np.empty(kp, dtype=np.int64)
    w_idx = np.empty(kp, dtype=np.int64)
    size = _logit_layout(kp, b_idx, w_idx)
    m_coarse = min(m, _N_COARSE)
    zu_c = np.empty(m_coarse)
    nuc_c = np.empty((m_coarse, kp))
    if coarse_start:
        m_coarse = _coarsen(zu, nuc, m, kp, m_coarse, zu_c, nuc_c)
        _logistic_start(theta, class_n, kp)
    n_u = np.zeros(m)
    pw = np.empty((kp, m))
    g = np.empty(size)
    h = np.empty((size, size))
    h_work = np.empty((size, size))
    g_try = np.empty(size)
    h_try = np.empty((size, size))
    step = np.empty(size)
    trial = np.empty(size)
    total_passes = 0
    for stage in range(2):
        if stage == 0 and not coarse_start:
            continue
        if stage == 0:
            z_use, n_use, m_use, tol, cap = zu_c, nuc_c, m_coarse, _WARM_TOL, np.int64(200)
        else:
            z_use, n_use, m_use, tol, cap = zu, nuc, m, step_tol, max_passes
        for u in range(m_use):
            n_u[u] = 0.0
            for c in range(kp):
                n_u[u] += n_use[u, c]
        for j in range(size):
            trial[j] = theta[j]
        obj = np.nan
        slope = 0.0
        t = 1.0
        # What the next pass evaluates: 0 = a point to accept as is, 1 = a line-search
        # trial, 2 = the objective at the current point (before a line search).
        mode = 0
        want_h = np.bool_(True)  # not literals: see _LITERALS
        want_obj = np.bool_(False)
        fresh = np.bool_(True)
        passes = 0
        while True:
            val = _logistic_pass(trial, z_use, n_use, n_u, m_use, kp, lam, b_idx, w_idx, pw,
                                 g_try, h_try, want_h, want_obj)
            passes += 1
            if mode == 2:
                obj = val
            elif mode == 1 and not val <= obj + 1e-4 * t * slope:
                t *= 0.5
                if t < 1e-10:
                    break  # rounding noise only: stay at the current point
                for j in range(size):
                    trial[j] = theta[j] + t * step[j]
                continue
            else:
                # Accept the evaluated point.
                for j in range(size):
                    theta[j] = trial[j]
                for i in range(size):
                    g[i] = g_try[i]
                    if want_h:
                        for j in range(size):
                            h[i, j] = h_try[i, j]
                fresh = want_h
                obj = val
                for i in range(size):
                    g_out[i] = g[i]
                    for j in range(size):
                        h_out[i, j] = h[i, j]
            if passes >= cap:
                break
            if mode != 2:
                for i in range(size):
                    for j in range(size):
                        h_work[i, j] = h[i, j]
                _cholesky_solve(h_work, g, size, step)
                big = 0.0
                slope = 0.0
                for j in range(size):
                    big = max(big, abs(step[j]))
                    slope += g[j] * step[j]
                if big < tol:
                    for j in range(size):
                        theta[j] += step[j]
                    break
                if not slope < 0.0:
                    break  # no descent direction left: at the optimum to rounding
                if big < _CHORD_TOL:
                    # Near the optimum: take the step whole; reuse a fresh Hessian once.
                    for j in range(size):
                        trial[j] = theta[j] + step[j]
                    mode = 0
                    want_h = not fresh
                    want_obj = False
                    continue
                if np.isnan(obj):
                    # The objective is only computed when a line search needs it.
                    for j in range(size):
                        trial[j] = theta[j]
                    mode = 2
                    want_h = False
                    want_obj = True
                    continue
            # Start a line search from the current point along the Newton step.
            t = 1.0
            for j in range(size):
                trial[j] = theta[j] + step[j]
            mode = 1
            want_h = True
            want_obj = True
        total_passes += passes
    return total_passes


@jit
def _logistic_start(theta, class_n, kp):
    """The intercept-only optimum: log-odds of the class shares, zero slopes."""
    if kp == 2:
        theta[0] = np.log(class_n[1] / class_n[0])
        theta[1] = 0.0
        return
    for c in range(kp - 1):
        theta[c] = np.log(class_n[c] / class_n[kp - 1])
    for c in range(kp):
        theta[kp - 1 + c] = 0.0


@jit
def _coarsen(zu, nuc, m, kp, n_groups, zu_c, nuc_c):
    """Merge the m distinct inputs into at most ``n_groups`` runs of neighbours.

    Each group gets the count-weighted mean input and the summed class counts; groups
    hold about equal numbers of points. Returns the number of groups.
    """
    if m <= n_groups:
        for u in range(m):
            zu_c[u] = zu[u]
            for c in range(kp):
                nuc_c[u, c] = nuc[u, c]
        return m
    total = 0.0
    for u in range(m):
        for c in range(kp):
            total += nuc[u, c]
    g = 0
    seen = 0.0
    zsum = 0.0
    nsum = 0.0
    for c in range(kp):
        nuc_c[0, c] = 0.0
    for u in range(m):
        n_here = 0.0
        for c in range(kp):
            nuc_c[g, c] += nuc[u, c]
            n_here += nuc[u, c]
        zsum += n_here * zu[u]
        nsum += n_here
        seen += n_here
        if seen * n_groups >= (g + 1) * total or u == m - 1:
            zu_c[g] = zsum / nsum
            g += 1
            zsum = 0.0
            nsum = 0.0
            if g < n_groups:
                for c in range(kp):
                    nuc_c[g, c] = 0.0
    return g


@jit
def _compress_training(starts, codes_s, fs, fold, z_run, k, zu, nuc, n_per_class):
    """Distinct training inputs and their class counts (all classes, fold != ``fold``)."""
    n_runs = starts.shape[0] - 1
    m = 0
    for c in range(k):
        n_per_class[c] = 0.0
    for r in range(n_runs):
        any_point = False
        for c in range(k):
            nuc[m, c] = 0.0
        for j in range(starts[r], starts[r + 1]):
            if fs[j] != fold:
                nuc[m, codes_s[j]] += 1.0
                n_per_class[codes_s[j]] += 1.0
                any_point = True
        if any_point:
            zu[m] = z_run[r]
            m += 1
    return m


@jit
def _fold_first_step(theta, theta_full, g_full, h_full, z_pts, c_pts, n_pts, k):
    """Newton step of a fold's objective from ``theta_full``, without a pass over the data.

    The fold objective is the full objective minus the fold points' terms, so its
    gradient and Hessian at ``theta_full`` are the full ones (``g_full``, ``h_full``, from
    one pass) minus the fold points' own (unpenalised): O(n_pts k^2) work.
    """
    b_idx = np.empty(k, dtype=np.int64)
    w_idx = np.empty(k, dtype=np.int64)
    size = _logit_layout(k, b_idx, w_idx)
    g = np.empty(size)
    h = np.empty((size, size))
    for i in range(size):
        g[i] = g_full[i]
        for j in range(size):
            h[i, j] = h_full[i, j]
    # Per-class moments of the points: residuals (r0, r1) and Hessian blocks (a0..a2).
    p = np.empty(k)
    r0 = np.zeros(k)
    r1 = np.zeros(k)
    a0 = np.zeros((k, k))
    a1 = np.zeros((k, k))
    a2 = np.zeros((k, k))
    for i in range(n_pts):
        z = z_pts[i]
        _softmax_at(theta_full, z, k, b_idx, w_idx, p)
        r0[c_pts[i]] -= 1.0
        r1[c_pts[i]] -= z
        for c in range(k):
            r0[c] += p[c]
            r1[c] += p[c] * z
            a0[c, c] += p[c]
            a1[c, c] += p[c] * z
            a2[c, c] += p[c] * z * z
            for d in range(k):
                q = p[c] * p[d]
                a0[c, d] -= q
                a1[c, d] -= q * z
                a2[c, d] -= q * z * z
    for c in range(k):
        if b_idx[c] >= 0:
            g[b_idx[c]] -= r0[c]
        if w_idx[c] >= 0:
            g[w_idx[c]] -= r1[c]
        for d in range(k):
            bc, wc, bd, wd = b_idx[c], w_idx[c], b_idx[d], w_idx[d]
            if bc >= 0 and bd >= 0:
                h[bc, bd] -= a0[c, d]
            if bc >= 0 and wd >= 0:
                h[bc, wd] -= a1[c, d]
            if wc >= 0 and bd >= 0:
                h[wc, bd] -= a1[c, d]
            if wc >= 0 and wd >= 0:
                h[wc, wd] -= a2[c, d]
    step = np.empty(size)
    _cholesky_solve(h, g, size, step)
    for j in range(size):
        theta[j] = theta_full[j] + step[j]


@jit
def _oof_logistic_sorted(xs, codes_s, fs, k, c_inv_reg):
    """Core of :func:`oof_logistic` on sorted data; ``c_inv_reg`` is scikit-learn's ``C``."""
    n = xs.shape[0]
    out = np.full((n, k), np.nan)
    if not _usable_sorted(xs, k):
        return out
    lam = 1.0 / c_inv_reg
    n_folds = fold_count(fs)
    mu = 0.0
    for i in range(n):
        mu += xs[i]
    mu /= n
    ss = 0.0
    for i in range(n):
        ss += (xs[i] - mu) ** 2
    sd = np.sqrt(ss / n)
    starts = _run_starts(xs)
    n_runs = starts.shape[0] - 1
    z_run = np.empty(n_runs)
    for r in range(n_runs):
        z_run[r] = (xs[starts[r]] - mu) / sd if sd > 0.0 else 0.0
    # Fold members grouped by fold (a counting sort), with their input and class.
    fold_start = np.zeros(n_folds + 1, dtype=np.int64)
    for i in range(n):
        fold_start[fs[i] + 1] += 1
    for f in range(n_folds):
        fold_start[f + 1] += fold_start[f]
    fill = np.empty(n_folds, dtype=np.int64)
    for f in range(n_folds):
        fill[f] = fold_start[f]
    z_by_fold = np.empty(n)
    c_by_fold = np.empty(n, dtype=np.int64)
    for r in range(n_runs):
        for i in range(starts[r], starts[r + 1]):
            z_by_fold[fill[fs[i]]] = z_run[r]
            c_by_fold[fill[fs[i]]] = codes_s[i]
            fill[fs[i]] += 1

    zu = np.empty(n_runs)
    nuc_all = np.empty((n_runs, k))
    nuc = np.empty((n_runs, k))
    n_per_class = np.empty(k)
    present = np.empty(k, dtype=np.int64)
    class_n = np.empty(k)
    full_size = 2 if k == 2 else 2 * k - 1
    b_idx = np.empty(k, dtype=np.int64)
    w_idx = np.empty(k, dtype=np.int64)
    p = np.empty(k)
    theta_full = np.empty(full_size)
    theta = np.empty(full_size)
    g_full = np.empty(full_size)
    h_full = np.empty((full_size, full_size))
    g_scratch = np.empty(full_size)
    h_scratch = np.empty((full_size, full_size))
    # Job -1: the warm start shared by the folds, an approximate fit on all points and
    # the exact gradient and Hessian of the full objective there (one pass). Jobs 0..K-1:
    # the folds. One call site for every fit (see _logistic_newton). Fits only see the
    # classes present in their training set, in columns 0..kp-1 of their counts (a core
    # caller may also pass codes with classes absent from the whole data).
    kp_full = np.int64(0)  # not a literal 0: see _LITERALS
    for f in range(-1, n_folds):
        m = _compress_training(starts, codes_s, fs, f, z_run, k, zu, nuc_all, n_per_class)
        kp = np.int64(0)
        for c in range(k):
            if n_per_class[c] > 0.0:
                present[kp] = c
                class_n[kp] = n_per_class[c]
                kp += 1
        if f == -1:
            kp_full = kp
            if kp < 2:
                continue  # no warm start: every fold sees at most one class
            # Fold points' classes as columns of the full fit, for the first steps.
            compact = np.full(k, -1, dtype=np.int64)
            for j in range(kp):
                compact[present[j]] = j
            for i in range(n):
                c_by_fold[i] = compact[c_by_fold[i]]
        else:
            n_pts = fold_start[f + 1] - fold_start[f]
            if n_pts == 0 or kp == 0:
                continue  # no test point, or no training point (the rows stay NaN)
            if kp == 1:
                for i in range(n):
                    if fs[i] == f:
                        for c in range(k):
                            out[i, c] = 0.0
                        out[i, present[0]] = 1.0
                continue
        counts = nuc_all
        if kp < k:
            for u in range(m):
                for c in range(kp):
                    nuc[u, c] = nuc_all[u, present[c]]
            counts = nuc
        if f == -1:
            th, coarse, tol, cap, g_o, h_o = (theta_full, np.bool_(True), 0.0, np.int64(1),
                                              g_full, h_full)
        else:
            th, tol, cap, g_o, h_o = theta, _STEP_TOL, np.int64(200), g_scratch, h_scratch
            if kp == kp_full:
                # The fold sees every class: one cheap Newton step from the warm start.
                a = fold_start[f]
                _fold_first_step(theta, theta_full, g_full, h_full,
                                 z_by_fold[a:a + n_pts], c_by_fold[a:a + n_pts], n_pts, kp)
                coarse = np.bool_(False)
            else:
                # A class is missing from this training fold: fit on the present ones
                # only (binary if two remain), from its own warm start.
                coarse = np.bool_(True)
        _logistic_newton(th, zu, counts, m, kp, lam, class_n, coarse, tol, cap, g_o, h_o)
        if f == -1:
            continue
        _logit_layout(kp, b_idx, w_idx)
        for r in range(n_runs):
            done = False
            for i in range(starts[r], starts[r + 1]):
                if fs[i] != f:
                    continue
                if not done:
                    _softmax_at(theta, z_run[r], kp, b_idx, w_idx, p)
                    done = True
                for c in range(k):
                    out[i, c] = 0.0
                for c in range(kp):
                    out[i, present[c]] = p[c]
    return out


# --------------------------------------------------------------------------------------
# Classification tree (CART, Gini)
# --------------------------------------------------------------------------------------

@jit
def _best_split(xt, ct, lo, hi, cnt, k, inv, cnt_l, cnt_r, snap, bufs, pos_buf):
    """Best Gini split of the node ``[lo, hi)`` with class counts ``cnt`` (int64).

    The winner maximises scikit-learn's proxy ``-n_r * (1 - sq_r / n_r^2) - n_l * (1 -
    sq_l / n_l^2)`` (``sq`` = sum of squared class counts) computed with exactly
    scikit-learn's floating-point operations, the leftmost among equal values. Divisions
    are the cost, so a first scan ranks the candidates with precomputed reciprocals
    (``inv[j] = 1 / j``) and only those within 1e-9 (relative) of the best are
    re-evaluated exactly. Returns ``(position, threshold, snapshot_position)``; ``snap``
    holds the left class counts at ``snapshot_position`` (the first scan's best), which
    spares the children a counting pass when it is the winner. Position -1: no split.
    """
    sq_l = 0
    sq_r = 0
    for c in range(k):
        cnt_l[c] = 0
        cnt_r[c] = cnt[c]
        sq_r += cnt[c] * cnt[c]
    n_cand = 0
    top = -np.inf
    top_pos = -1
    for t in range(lo + 1, hi):
        c = ct[t - 1]
        sq_l += 2 * cnt_l[c] + 1
        sq_r -= 2 * cnt_r[c] - 1
        cnt_l[c] += 1
        cnt_r[c] -= 1
        if xt[t] == xt[t - 1]:
            continue
        # sq_l / n_l + sq_r / n_r - n is the same proxy, up to rounding. Only candidates
        # near the running best can end near the final best: keep just those.
        score = sq_l * inv[t - lo] + sq_r * inv[hi - t]
        if score >= top - 1e-9 * abs(top):
            pos_buf[n_cand] = t
            bufs[0, n_cand] = score
            bufs[1, n_cand] = sq_l
            bufs[2, n_cand] = sq_r
            n_cand += 1
            if score > top:
                top = score
                top_pos = t
                for cc in range(k):
                    snap[cc] = cnt_l[cc]
    if n_cand == 0:
        return -1, 0.0, -1
    cutoff = top - 1e-9 * abs(top)
    best = -np.inf
    best_pos = -1
    for j in range(n_cand):
        if bufs[0, j] < cutoff:
            continue
        t = pos_buf[j]
        n_l = float(t - lo)
        n_r = float(hi - t)
        imp_l = 1.0 - bufs[1, j] / (n_l * n_l)
        imp_r = 1.0 - bufs[2, j] / (n_r * n_r)
        proxy = -n_r * imp_r - n_l * imp_l
        if proxy > best:
            best = proxy
            best_pos = t
    return best_pos, xt[best_pos - 1] / 2.0 + xt[best_pos] / 2.0, top_pos


@jit
def _fit_tree(xt, ct, n_tr, k, max_depth, inv, thr, left, right, leaf_prob):
    """Grow a Gini tree on the training points ``xt[:n_tr]`` (sorted), classes ``ct``.

    Nodes are contiguous ranges (x is one-dimensional and sorted), stored breadth first;
    ``left[node] == -1`` marks a leaf, whose class shares go to ``leaf_prob[node]``.
    Returns the number of nodes.
    """
    max_nodes = thr.shape[0]
    lo_of = np.empty(max_nodes, dtype=np.int64)
    hi_of = np.empty(max_nodes, dtype=np.int64)
    depth_of = np.empty(max_nodes, dtype=np.int64)
    node_cnt = np.zeros((max_nodes, k), dtype=np.int64)
    cnt_l = np.empty(k, dtype=np.int64)
    cnt_r = np.empty(k, dtype=np.int64)
    snap = np.empty(k, dtype=np.int64)
    pos_buf = np.empty(n_tr, dtype=np.int64)
    bufs = np.empty((3, n_tr))
    lo_of[0] = 0
    hi_of[0] = n_tr
    depth_of[0] = 0
    for t in range(n_tr):
        node_cnt[0, ct[t]] += 1
    n_nodes = 1
    node = 0
    while node < n_nodes:
        lo = lo_of[node]
        hi = hi_of[node]
        size = hi - lo
        cnt = node_cnt[node]
        n_classes_here = 0
        for c in range(k):
            leaf_prob[node, c] = cnt[c] / size
            if cnt[c] > 0:
                n_classes_here += 1
        left[node] = -1
        right[node] = -1
        # A leaf: deep enough, fewer than 2 points, pure (Gini 0), or constant x. Like
        # scikit-learn, any other node is split, even when the best split gains nothing.
        if (depth_of[node] >= max_depth or size < 2 or n_classes_here < 2
                or xt[lo] == xt[hi - 1]):
            node += 1
            continue
        pos, threshold, snap_pos = _best_split(xt, ct, lo, hi, cnt, k, inv, cnt_l, cnt_r,
                                               snap, bufs, pos_buf)
        thr[node] = threshold
        a = n_nodes
        left[node] = a
        right[node] = a + 1
        lo_of[a] = lo
        hi_of[a] = pos
        lo_of[a + 1] = pos
        hi_of[a + 1] = hi
        depth_of[a] = depth_of[node] + 1
        depth_of[a + 1] = depth_of[node] + 1
        if pos == snap_pos:
            for c in range(k):
                node_cnt[a, c] = snap[c]
        else:
            for t in range(lo, pos):
                node_cnt[a, ct[t]] += 1
        for c in range(k):
            node_cnt[a + 1, c] = cnt[c] - node_cnt[a, c]
        n_nodes += 2
        node += 1
    return n_nodes


@jit
def _oof_classification_tree_sorted(xs, codes_s, fs, k, max_depth):
    """Core of :func:`oof_classification_tree` on sorted data (see there)."""
    n = xs.shape[0]
    out = np.full((n, k), np.nan)
    if not _usable_sorted(xs, k):
        return out
    n_folds = fold_count(fs)
    max_nodes = 2 ** (max_depth + 1) - 1
    thr = np.empty(max_nodes)
    left = np.empty(max_nodes, dtype=np.int64)
    right = np.empty(max_nodes, dtype=np.int64)
    leaf_prob = np.empty((max_nodes, k))
    inv = np.empty(n + 1)
    inv[0] = 0.0
    for j in range(1, n + 1):
        inv[j] = 1.0 / j
    xt = np.empty(n)
    ct = np.empty(n, dtype=np.int64)
    has_test = np.zeros(n_folds, dtype=np.bool_)
    for i in range(n):
        has_test[fs[i]] = True
    for f in range(n_folds):
        if not has_test[f]:
            continue
        n_tr = np.int64(0)  # not a literal 0: see _LITERALS
        for i in range(n):
            if fs[i] != f:
                xt[n_tr] = xs[i]
                ct[n_tr] = codes_s[i]
                n_tr += 1
        if n_tr == 0:
            continue
        _fit_tree(xt, ct, n_tr, k, max_depth, inv, thr, left, right, leaf_prob)
        for i in range(n):
            if fs[i] != f:
                continue
            node = 0
            while left[node] >= 0:
                node = left[node] if xs[i] <= thr[node] else right[node]
            for c in range(k):
                out[i, c] = leaf_prob[node, c]
    return out


# --------------------------------------------------------------------------------------
# Public wrappers
# --------------------------------------------------------------------------------------

def _dense_ids(arr: np.ndarray) -> np.ndarray | None:
    """Ids 0..K-1 in the sorted order of the distinct values of a non-negative integer
    array whose maximum is below ``4 * len + 16``, in O(n); None if that does not apply.

    Same result as ``np.unique(arr, return_inverse=True)[1]``, without the sort.
    """
    if len(arr) == 0 or arr.dtype.kind not in "iub":
        return None
    lo = arr.min()
    hi = arr.max()
    if lo < 0 or hi >= 4 * len(arr) + 16:
        return None
    arr = arr.astype(np.int64, copy=False)
    counts = np.bincount(arr)
    if counts.all():
        return np.ascontiguousarray(arr, dtype=np.int64)
    lookup = np.cumsum(counts > 0) - 1
    return lookup[arr].astype(np.int64)


def _prepare(x, y, folds):
    """Validate once; return ``(order, xs, codes_s, fs, k, ok)`` for a sorted-data core.

    ``ok`` is False when the result is all-NaN by policy (a non-finite target); the
    cores themselves handle non-finite x, n < 2 and a single class.
    """
    x = as_float_vector(x, "x")
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y_arr.shape}")
    if len(y_arr) != len(x):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y_arr)}")
    fs = as_folds(folds, len(x))
    ok = True
    if y_arr.dtype.kind == "f" and not np.isfinite(y_arr).all():
        # A non-finite class label is a bad value, not an error: all-NaN output with one
        # column per distinct finite label.
        codes = np.zeros(len(x), dtype=np.int64)
        k = len(np.unique(y_arr[np.isfinite(y_arr)]))
        ok = False
    else:
        # Small non-negative integer labels (class codes already) skip as_codes' sort;
        # the codes are the same.
        codes = _dense_ids(y_arr)
        if codes is None:
            codes, k = as_codes(y_arr, "y")
        else:
            k = int(codes.max()) + 1
    order = np.argsort(x, kind="stable")
    return order, x[order], codes[order], fs[order], k, ok


def _fit(name, x, y, folds, **params) -> np.ndarray:
    """Check the parameters by the model's ``CORES`` entry, validate and sort the data, run
    the core on sorted data and return the ``(n, k)`` rows in the original order."""
    model = CORES[name]
    args = model.core_args(**params)
    order, xs, cs, fs, k, ok = _prepare(x, y, folds)
    if not ok:
        return np.full((len(xs), k), np.nan)
    return unsort(model.core(xs, cs, fs, k, *args), order)


def oof_bin_frequencies(x, y, folds, n_bins: int = 10, alpha: float = 1.0) -> np.ndarray:
    """Out-of-fold class frequencies per equal-frequency bin of ``x``.

    ``x`` is cut into ``n_bins`` equal-frequency bins using ``x`` alone (all points, no
    target), and a point's prediction is the smoothed class frequencies of the training
    points (other folds) in its bin.

    Parameters
    ----------
    x : array-like of shape (n,)
        Numeric input.
    y : array-like of shape (n,)
        Class labels (any sortable values); coded 0..k-1 in sorted order.
    folds : array-like of int, shape (n,)
        Fold id of each point, e.g. from ``make_folds``.
    n_bins : int, default 10
        Number of bins, >= 1.
    alpha : float, default 1.0
        Additive smoothing, >= 0: ``p_c = (n_c + alpha) / (n_bin + alpha * k)`` where
        ``n_c`` counts training points of class ``c`` in the bin.

    Returns
    -------
    numpy.ndarray of shape (n, k)
        Class probabilities, rows in the original order of ``x``.

    Notes
    -----
    Bin of a point: ``floor(n_bins * #{j : x_j < x_i} / n)``, so tied values always share
    a bin (then some bins are empty and others larger) and the result does not depend on
    the order of the points. A bin with no training point falls back to the training
    fold's overall class frequencies, smoothed the same way. All-NaN for non-finite
    ``x``, n < 2 or a single class.
    """
    return _fit("oof_bin_frequencies", x, y, folds, n_bins=n_bins, alpha=alpha)


def oof_knn_classification(x, y, folds, n_neighbors: int = 5,
                           alpha: float = 0.0) -> np.ndarray:
    """Out-of-fold k-nearest-neighbour class shares.

    A point's prediction is the share of each class among its ``n_neighbors`` nearest
    training points (other folds) by ``|x_j - x_i|``, smoothed by ``alpha``.

    Parameters
    ----------
    x : array-like of shape (n,)
        Numeric input.
    y : array-like of shape (n,)
        Class labels; coded 0..k-1 in sorted order.
    folds : array-like of int, shape (n,)
        Fold id of each point.
    n_neighbors : int, default 5
        Number of neighbours, >= 1. When a training set has fewer points, all of them
        are used.
    alpha : float, default 0.0
        Additive smoothing, >= 0: ``p_c = (w_c + alpha) / (n_neighbors + alpha * k)``,
        ``w_c`` the neighbour weight of class ``c``. With ``alpha = 0`` (default) this is
        scikit-learn's ``KNeighborsClassifier(n_neighbors)`` on tie-free data.

    Returns
    -------
    numpy.ndarray of shape (n, k)
        Class probabilities, rows in the original order of ``x``.

    Notes
    -----
    Tie rule (order-independent): if the k-th nearest distance ``d`` is shared by several
    training points, the points strictly closer than ``d`` get weight 1 and the ``t``
    points at exactly ``d`` (both sides) share the remaining ``k - #closer`` equally.
    scikit-learn instead keeps whichever tied points its search meets first. Cost
    O(n (n_neighbors + k)) for tie-free data; points with the same value and fold share
    one computation. All-NaN for non-finite ``x``, n < 2 or a single class.
    """
    return _fit("oof_knn_classification", x, y, folds, n_neighbors=n_neighbors, alpha=alpha)


def oof_naive_bayes(x, y, folds, var_smoothing: float = 1e-9) -> np.ndarray:
    """Out-of-fold Gaussian naive Bayes class probabilities.

    Per training fold: class priors (shares), class means and variances (ddof 0), each
    variance plus ``var_smoothing * var(training x)``; then Bayes' rule with Gaussian
    class densities. This is scikit-learn's ``GaussianNB(var_smoothing=...)`` fitted on
    each training fold.

    Parameters
    ----------
    x : array-like of shape (n,)
        Numeric input.
    y : array-like of shape (n,)
        Class labels; coded 0..k-1 in sorted order.
    folds : array-like of int, shape (n,)
        Fold id of each point.
    var_smoothing : float, default 1e-9
        Share of the training variance of ``x`` added to every class variance, >= 0.

    Returns
    -------
    numpy.ndarray of shape (n, k)
        Class probabilities, rows in the original order of ``x``.

    Notes
    -----
    A class absent from a training fold gets probability 0 there. A training fold whose
    ``x`` is constant (where scikit-learn divides by zero) predicts the class priors: all
    class densities are the same point mass. Cost O(n + K k) for any fold array,
    leave-one-out included. All-NaN for non-finite ``x``, n < 2 or a single class.
    """
    return _fit("oof_naive_bayes", x, y, folds, var_smoothing=var_smoothing)


def oof_logistic(x, y, folds, C: float = 1.0) -> np.ndarray:
    """Out-of-fold L2-penalised logistic regression on standardised ``x``.

    ``x`` is standardised once over all points, ``z = (x - mean) / std`` (ddof 0; ``z = 0``
    for constant ``x``). On each training fold the model minimises ``C * (negative
    log-likelihood) + 0.5 * ||w||^2`` (intercepts unpenalised): one logit ``b + w z`` for
    two classes, a softmax over ``b_c + w_c z`` for three or more. This is scikit-learn's
    ``LogisticRegression(C=C)`` (lbfgs) on ``z``, solved here by Newton's method to about
    1e-8 in the parameters: it agrees with scikit-learn at ``tol=1e-12`` to ~1e-7 in the
    probabilities (scikit-learn's default ``tol=1e-4`` stops up to ~1e-3 away).

    Parameters
    ----------
    x : array-like of shape (n,)
        Numeric input.
    y : array-like of shape (n,)
        Class labels; coded 0..k-1 in sorted order.
    folds : array-like of int, shape (n,)
        Fold id of each point.
    C : float, default 1.0
        Inverse penalty strength, > 0.

    Returns
    -------
    numpy.ndarray of shape (n, k)
        Class probabilities, rows in the original order of ``x``.

    Notes
    -----
    The model is fitted on the classes present in the training fold (binary when only
    two are), and absent classes get probability 0, as with ``cross_val_predict``. A
    training fold with a single class predicts probability 1 for it (scikit-learn
    refuses to fit). Training data are compressed to the m distinct values of ``x``; a
    fold costs about one O(m k^2) and one O(m k) pass (see the solver notes in the
    source). All-NaN for non-finite ``x``, n < 2 or a single class.
    """
    return _fit("oof_logistic", x, y, folds, C=C)


def oof_classification_tree(x, y, folds, max_depth: int = 2) -> np.ndarray:
    """Out-of-fold class shares in the leaves of a Gini classification tree.

    On each training fold, a CART tree of depth ``max_depth`` is grown with exact splits
    (every boundary between distinct training values, threshold at the midpoint,
    ``x <= threshold`` goes left) chosen by Gini impurity; a leaf predicts its training
    class shares. This is scikit-learn's ``DecisionTreeClassifier(max_depth=...)``.

    Parameters
    ----------
    x : array-like of shape (n,)
        Numeric input.
    y : array-like of shape (n,)
        Class labels; coded 0..k-1 in sorted order.
    folds : array-like of int, shape (n,)
        Fold id of each point.
    max_depth : int, default 2
        Depth of the tree, 1 to 16 (1 to 4 is the intended range).

    Returns
    -------
    numpy.ndarray of shape (n, k)
        Class probabilities, rows in the original order of ``x``.

    Notes
    -----
    A node is split unless it is at ``max_depth``, pure, or has constant ``x``; like
    scikit-learn, a split with zero Gini gain is still made. Among equal-gain splits the
    leftmost (smallest threshold) wins; the gain is computed with the same floating-point
    operations as scikit-learn, so ties resolve identically. One difference: scikit-learn
    treats values closer than 1e-7 as equal, this kernel only exactly equal ones. Cost
    O(K n (k + depth)) for K folds. All-NaN for non-finite ``x``, n < 2 or a single class.
    """
    return _fit("oof_classification_tree", x, y, folds, max_depth=max_depth)


#: Every model: public function -> sorted core ``core(xs, codes_s, fs, k, *args)`` and the
#: parameters it takes (see :mod:`causepairs.kernels.cores`). The factory, tests and
#: benchmarks use it.
CORES = table(
    KernelCore(oof_bin_frequencies, _oof_bin_frequencies_sorted,
               (Param("n_bins", integer(1)), Param("alpha", non_negative)), order_only=True),
    KernelCore(oof_knn_classification, _oof_knn_classification_sorted,
               (Param("n_neighbors", integer(1)), Param("alpha", non_negative))),
    KernelCore(oof_naive_bayes, _oof_naive_bayes_sorted,
               (Param("var_smoothing", non_negative),)),
    KernelCore(oof_logistic, _oof_logistic_sorted, (Param("C", positive),)),
    KernelCore(oof_classification_tree, _oof_classification_tree_sorted,
               (Param("max_depth", integer(1, 16)),), order_only=True),
)

#: The kNN classifier's two steps on sorted data, for a caller that fits one input against
#: several targets (the feature factory): ``knn_neighbour_plan(xs, fs, n_neighbors)`` once,
#: then ``knn_plan_class_shares(codes_s, fs, k, plan, alpha)`` per target gives exactly the
#: ``oof_knn_classification`` core's result.
knn_neighbour_plan = _knn_plan_sorted
knn_plan_class_shares = _knn_plan_class_shares
