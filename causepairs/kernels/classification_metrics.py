"""Fit metrics of class-probability predictions, all computed together.

:func:`classification_metrics` scores one ``(n, k)`` matrix of predicted class probabilities
(e.g. the out-of-fold output of a model in :mod:`causepairs.kernels.classification`) against
the true class codes and returns a vector in the order of :data:`CLASSIFICATION_METRIC_NAMES`.
The private core ``_classification_metrics(codes, proba, k, out)`` fills a preallocated
array, for the feature factory. One pass over the rows gives the confusion-matrix margins,
log-loss and Brier score; the one-vs-rest AUCs add one (radix) sort per class column.

Definitions (``q_c`` is the share of class ``c`` among the true codes, ``n_c`` its count)
------------------------------------------------------------------------------------------
- Hard prediction: ``argmax_c proba[i, c]``; equal probabilities go to the lowest code.
- ``accuracy``: share of correct hard predictions.
- ``balanced_accuracy``: mean recall over the classes present in ``codes``.
- ``log_loss``: mean of ``-log p_true`` with ``p`` clipped to ``[eps, 1 - eps]``,
  ``eps = 2.2e-16`` (scikit-learn's ``log_loss`` clipping; rows are not renormalised).
- ``brier``: mean over points of ``sum_c (proba[i, c] - [c == codes[i]]) ** 2``, the
  multiclass Brier score in ``[0, 2]`` (scikit-learn's ``brier_score_loss(...,
  scale_by_half=False)``; for two classes it is twice the usual binary score).
- ``mcc``: multiclass Matthews correlation of the hard predictions; 0 when all hard
  predictions (or all true codes) are one class, as in scikit-learn.
- ``auc_ovr_mean``, ``auc_ovr_max``, ``auc_ovr_weighted``: the AUC of column ``c`` for
  "class c vs the rest" (Mann-Whitney, ties count one half), for every class with both
  positives and negatives in ``codes``; their mean, maximum, and mean weighted by ``n_c``.
  NaN when no class qualifies.
- ``accuracy_gain``: ``accuracy - max_c q_c``, the gain over always predicting the
  majority class.
- ``log_loss_gain``: ``-sum_c q_c log q_c - log_loss``, the gain in nats over predicting
  the class shares (positive when the model beats the marginal distribution).
- ``brier_skill``: ``1 - brier / (1 - sum_c q_c ** 2)``, the Brier skill score against
  predicting the class shares; NaN when ``codes`` has a single class.
- ``kappa``: Cohen's kappa between the hard predictions and ``codes`` (scikit-learn's
  ``cohen_kappa_score``); NaN where it is undefined (zero expected disagreement).

Degenerate input: any non-finite probability (the NaN output of a degenerate model) or
``n == 0`` gives all-NaN metrics.
"""

from __future__ import annotations

import numpy as np

from ._config import jit
from .cores import KernelCore, table
from .shared import argsort_radix

__all__ = ["CORES", "CLASSIFICATION_METRIC_NAMES", "classification_metrics"]

CLASSIFICATION_METRIC_NAMES = (
    "accuracy",
    "balanced_accuracy",
    "log_loss",
    "brier",
    "mcc",
    "auc_ovr_mean",
    "auc_ovr_max",
    "auc_ovr_weighted",
    "accuracy_gain",
    "log_loss_gain",
    "brier_skill",
    "kappa",
)

_EPS = float(np.finfo(np.float64).eps)


@jit
def _ovr_auc(codes, proba, c, n_pos, col):
    """AUC of column ``c`` for class ``c`` vs the rest, ties counting one half.

    Mann-Whitney from mid-ranks: ``(R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)`` with
    ``R_pos`` the sum of the (1-based, tie-averaged) ranks of the positives. The column is
    ordered by radix sort (O(n), the metrics' main cost at k = 10 classes); only the tie
    groups matter, and every term of ``R_pos`` is a half-integer summed exactly, so any
    sort that keeps equal values adjacent gives the same bits.
    """
    n = codes.shape[0]
    for i in range(n):
        col[i] = proba[i, c]
    order = argsort_radix(col)
    rank_sum = 0.0
    a = 0
    while a < n:
        b = a + 1
        n_here = 1.0 if codes[order[a]] == c else 0.0
        while b < n and col[order[b]] == col[order[a]]:
            if codes[order[b]] == c:
                n_here += 1.0
            b += 1
        # positions a..b-1 (0-based) share the mid-rank (a + 1 + b) / 2
        rank_sum += n_here * (a + 1 + b) * 0.5
        a = b
    n_neg = n - n_pos
    return (rank_sum - n_pos * (n_pos + 1.0) * 0.5) / (n_pos * n_neg)


@jit
def _classification_metrics(codes, proba, k, out):
    """Fill ``out`` (length ``len(CLASSIFICATION_METRIC_NAMES)``) with the metrics.

    ``codes`` int64 in ``0..k-1``, ``proba`` float64 ``(n, k)``, both already validated.
    """
    for j in range(out.shape[0]):
        out[j] = np.nan
    n = codes.shape[0]
    if n == 0 or k < 1:
        return
    for i in range(n):
        for c in range(k):
            if not np.isfinite(proba[i, c]):
                return
    n_true = np.zeros(k)
    n_pred = np.zeros(k)
    n_hit = np.zeros(k)
    log_loss = 0.0
    brier = 0.0
    for i in range(n):
        y = codes[i]
        best = 0
        for c in range(1, k):
            if proba[i, c] > proba[i, best]:
                best = c
        n_true[y] += 1.0
        n_pred[best] += 1.0
        if best == y:
            n_hit[y] += 1.0
        p = min(max(proba[i, y], _EPS), 1.0 - _EPS)
        log_loss -= np.log(p)
        for c in range(k):
            d = proba[i, c] - (1.0 if c == y else 0.0)
            brier += d * d
    nf = float(n)
    correct = 0.0
    recall_sum = 0.0
    n_present = 0
    tp_dot = 0.0
    pp_dot = 0.0
    tt_dot = 0.0
    q_max = 0.0
    entropy = 0.0
    q_sq = 0.0
    for c in range(k):
        correct += n_hit[c]
        if n_true[c] > 0.0:
            recall_sum += n_hit[c] / n_true[c]
            n_present += 1
            q = n_true[c] / nf
            q_max = max(q_max, q)
            entropy -= q * np.log(q)
            q_sq += q * q
        tp_dot += n_true[c] * n_pred[c]
        pp_dot += n_pred[c] * n_pred[c]
        tt_dot += n_true[c] * n_true[c]
    accuracy = correct / nf
    log_loss /= nf
    brier /= nf
    out[0] = accuracy
    out[1] = recall_sum / n_present
    out[2] = log_loss
    out[3] = brier
    cov_pp_tt = (nf * nf - pp_dot) * (nf * nf - tt_dot)
    out[4] = 0.0 if cov_pp_tt == 0.0 else (correct * nf - tp_dot) / np.sqrt(cov_pp_tt)
    auc_sum = 0.0
    auc_max = -np.inf
    auc_wsum = 0.0
    w_sum = 0.0
    n_auc = 0
    col = np.empty(n)
    for c in range(k):
        if 0.0 < n_true[c] < nf:
            auc = _ovr_auc(codes, proba, c, n_true[c], col)
            auc_sum += auc
            auc_max = max(auc_max, auc)
            auc_wsum += n_true[c] * auc
            w_sum += n_true[c]
            n_auc += 1
    if n_auc > 0:
        out[5] = auc_sum / n_auc
        out[6] = auc_max
        out[7] = auc_wsum / w_sum
    out[8] = accuracy - q_max
    out[9] = entropy - log_loss
    brier_ref = 1.0 - q_sq
    if brier_ref > 0.0:
        out[10] = 1.0 - brier / brier_ref
    disagree_expected = nf - tp_dot / nf
    if disagree_expected != 0.0:
        out[11] = 1.0 - (nf - correct) / disagree_expected


def classification_metrics(codes, proba) -> np.ndarray:
    """All classification fit metrics of one probability prediction.

    Parameters
    ----------
    codes : array-like of int, shape (n,)
        True class codes in ``0..k-1`` (e.g. from ``as_codes``; column ``c`` of ``proba``
        is class ``c``). A class may be absent from ``codes``.
    proba : array-like of shape (n, k)
        Predicted class probabilities, rows summing to 1.

    Returns
    -------
    numpy.ndarray of shape (len(CLASSIFICATION_METRIC_NAMES),)
        The metrics in the order of :data:`CLASSIFICATION_METRIC_NAMES`; definitions and
        NaN rules in the module docstring. All-NaN for an empty input or any non-finite
        probability.

    Raises
    ------
    ValueError, TypeError
        If ``proba`` is not 2-D numeric with one row per code, or ``codes`` are not
        integers in ``0..k-1``.
    """
    codes_arr = np.asarray(codes)
    if codes_arr.ndim != 1:
        raise ValueError(f"codes must be one-dimensional, got shape {codes_arr.shape}")
    if codes_arr.dtype.kind not in "iub":
        raise TypeError(f"codes must be integer class codes, got dtype {codes_arr.dtype}; "
                        "convert labels with causepairs.kernels._validation.as_codes")
    proba_arr = np.asarray(proba)
    if proba_arr.ndim != 2:
        raise ValueError(f"proba must be two-dimensional (n, k), got shape {proba_arr.shape}")
    if proba_arr.dtype.kind not in "biuf":
        raise TypeError(f"proba must hold numbers, got dtype {proba_arr.dtype}")
    n, k = proba_arr.shape
    if len(codes_arr) != n:
        raise ValueError(f"codes and proba must have the same number of rows, "
                         f"got {len(codes_arr)} and {n}")
    if n and (codes_arr.min() < 0 or codes_arr.max() >= k):
        raise ValueError(f"codes must lie in 0..{k - 1} (one column of proba per class)")
    out = np.empty(len(CLASSIFICATION_METRIC_NAMES))
    _classification_metrics(np.ascontiguousarray(codes_arr, dtype=np.int64),
                            np.ascontiguousarray(proba_arr, dtype=np.float64), k, out)
    return out


#: The metrics' core for the factory, which holds validated codes and probabilities already:
#: ``core(codes, proba, k, out)`` fills ``out`` (see :mod:`causepairs.kernels.cores`).
CORES = table(KernelCore(classification_metrics, _classification_metrics, sorted_input=False))
