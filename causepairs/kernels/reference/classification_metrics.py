"""Slow, obvious twin of :mod:`causepairs.kernels.classification_metrics`, from scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, brier_score_loss,
                             cohen_kappa_score, log_loss, matthews_corrcoef, roc_auc_score)

from ..classification_metrics import CLASSIFICATION_METRIC_NAMES

__all__ = ["CLASSIFICATION_METRIC_NAMES", "classification_metrics"]


def classification_metrics(codes, proba):
    """Reference for ``classification_metrics``: one scikit-learn call per metric."""
    codes = np.asarray(codes)
    proba = np.asarray(proba, dtype=float)
    n, k = proba.shape
    result = dict.fromkeys(CLASSIFICATION_METRIC_NAMES, np.nan)
    if n == 0 or not np.isfinite(proba).all():
        return np.array([result[name] for name in CLASSIFICATION_METRIC_NAMES])
    labels = np.arange(k)
    pred = np.argmax(proba, axis=1)  # the first maximum: lowest code on ties
    q = np.bincount(codes, minlength=k) / n
    q = q[q > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-class and missing-class warnings
        result["accuracy"] = accuracy_score(codes, pred)
        result["balanced_accuracy"] = balanced_accuracy_score(codes, pred)
        result["log_loss"] = log_loss(codes, proba, labels=labels)
        result["brier"] = brier_score_loss(codes, proba, labels=labels, scale_by_half=False)
        result["mcc"] = matthews_corrcoef(codes, pred)
        result["kappa"] = cohen_kappa_score(codes, pred)
    aucs, weights = [], []
    for c in labels:
        positive = codes == c
        if 0 < positive.sum() < n:
            aucs.append(roc_auc_score(positive, proba[:, c]))
            weights.append(positive.sum())
    if aucs:
        result["auc_ovr_mean"] = np.mean(aucs)
        result["auc_ovr_max"] = np.max(aucs)
        result["auc_ovr_weighted"] = np.average(aucs, weights=weights)
    result["accuracy_gain"] = result["accuracy"] - q.max()
    result["log_loss_gain"] = -np.sum(q * np.log(q)) - result["log_loss"]
    brier_ref = 1.0 - np.sum(q ** 2)
    if brier_ref > 0:
        result["brier_skill"] = 1.0 - result["brier"] / brier_ref
    return np.array([result[name] for name in CLASSIFICATION_METRIC_NAMES], dtype=float)
