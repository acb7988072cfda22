"""Classification fit metrics against scikit-learn (the reference module).

Tolerance: atol 1e-12 with rtol 1e-12. Counts-based metrics (accuracy, balanced accuracy,
MCC, kappa, AUC from mid-ranks) are exact up to the last operations; log-loss and Brier
are sums of the same terms in a different order (log-loss terms reach -log(eps) = 36).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from causepairs.kernels import classification as models
from causepairs.kernels._validation import make_folds
from causepairs.kernels.classification_metrics import (CLASSIFICATION_METRIC_NAMES,
                                                       _classification_metrics,
                                                       classification_metrics)
from causepairs.kernels.reference import classification_metrics as ref

NAMES = CLASSIFICATION_METRIC_NAMES


def check(codes, proba):
    got = classification_metrics(codes, proba)
    want = ref.classification_metrics(codes, proba)
    assert got.shape == (len(NAMES),)
    assert np.array_equal(np.isnan(got), np.isnan(want)), (got, want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    return dict(zip(NAMES, got))


def random_case(rng, n, k, style):
    codes = rng.integers(0, k, n)
    if style == "dirichlet":
        proba = rng.dirichlet(np.ones(k), n)
    elif style == "tied":  # few distinct values: ties in argmax and in the AUC ranks
        proba = np.round(rng.dirichlet(np.ones(k), n) * 3) + 1e-3
        proba /= proba.sum(axis=1, keepdims=True)
    elif style == "onehot":
        proba = np.eye(k)[rng.integers(0, k, n)]
    elif style == "constant":
        proba = np.tile(rng.dirichlet(np.ones(k)), (n, 1))
    elif style == "informative":
        proba = rng.dirichlet(np.ones(k), n) + 2.0 * np.eye(k)[codes]
        proba /= proba.sum(axis=1, keepdims=True)
    else:
        raise ValueError(style)
    return codes, proba


@pytest.mark.parametrize("style", ["dirichlet", "tied", "onehot", "constant", "informative"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_matches_scikit_learn(style, k):
    rng = np.random.default_rng(k)
    for n in (1, 2, 3, 5, 17, 200):
        for _ in range(3):
            check(*random_case(rng, n, k, style))


def test_single_class_and_absent_classes():
    rng = np.random.default_rng(1)
    proba = rng.dirichlet(np.ones(4), 30)
    out = check(np.full(30, 2), proba)  # one class present
    assert np.isnan(out["auc_ovr_mean"]) and np.isnan(out["brier_skill"])
    codes = rng.choice([0, 3], 30)  # classes 1 and 2 absent: their AUCs are skipped
    out = check(codes, proba)
    assert np.isfinite(out["auc_ovr_mean"])


def test_on_out_of_fold_predictions():
    rng = np.random.default_rng(2)
    x = np.round(rng.standard_normal(300) * 10000)
    codes = (x + 8000 * rng.standard_normal(300) > 0).astype(int) + (x > 9000)
    folds = make_folds(300, 10, 2)
    # Models with cheap compile times (this file should stay fast from a cold cache).
    for func in (models.oof_bin_frequencies, models.oof_knn_classification):
        out = check(codes, func(x, codes, folds))
        assert out["auc_ovr_mean"] > 0.6


def test_hand_made_values():
    codes = np.array([0, 1, 1, 2])
    perfect = np.eye(3)[codes]
    out = dict(zip(NAMES, classification_metrics(codes, perfect)))
    assert out["accuracy"] == out["balanced_accuracy"] == out["mcc"] == 1.0
    assert out["auc_ovr_mean"] == out["auc_ovr_max"] == out["kappa"] == 1.0
    assert out["brier"] == 0.0 and out["brier_skill"] == 1.0
    assert out["accuracy_gain"] == 0.5
    # Equal probabilities: the hard prediction is the lowest code; AUC ties count half.
    flat = np.full((4, 3), 1 / 3)
    out = dict(zip(NAMES, classification_metrics(codes, flat)))
    assert out["accuracy"] == 0.25 and out["mcc"] == 0.0
    assert out["auc_ovr_mean"] == 0.5
    assert out["log_loss"] == pytest.approx(np.log(3.0))
    # log-loss clips a zero probability of the true class at machine epsilon.
    wrong = np.eye(3)[[1, 0, 0, 0]]
    out = dict(zip(NAMES, classification_metrics(codes, wrong)))
    assert out["log_loss"] == pytest.approx(-np.log(np.finfo(float).eps))


def test_non_finite_or_empty_gives_nan():
    rng = np.random.default_rng(3)
    codes, proba = random_case(rng, 20, 3, "dirichlet")
    proba[5, 1] = np.nan
    assert np.isnan(classification_metrics(codes, proba)).all()
    proba[5, 1] = np.inf
    assert np.isnan(classification_metrics(codes, proba)).all()
    assert np.isnan(classification_metrics(np.empty(0, dtype=int), np.empty((0, 3)))).all()
    # The all-NaN output of a degenerate model passes straight through.
    nan_model = models.oof_bin_frequencies(np.full(20, np.nan), codes, make_folds(20, 5))
    assert np.isnan(classification_metrics(codes, nan_model)).all()


def test_names_and_core():
    assert len(NAMES) == len(set(NAMES))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in NAMES)
    assert NAMES[:7] == ("accuracy", "balanced_accuracy", "log_loss", "brier", "mcc",
                         "auc_ovr_mean", "auc_ovr_max")
    rng = np.random.default_rng(4)
    codes, proba = random_case(rng, 50, 4, "tied")
    out = np.full(len(NAMES), -1.0)
    _classification_metrics(codes.astype(np.int64), proba, 4, out)
    np.testing.assert_array_equal(out, classification_metrics(codes, proba))


def test_invalid_arguments_raise():
    proba = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="0..1"):
        classification_metrics(np.array([0, 1, 2, 0]), proba)
    with pytest.raises(ValueError, match="0..1"):
        classification_metrics(np.array([0, -1, 1, 0]), proba)
    with pytest.raises(TypeError, match="integer class codes"):
        classification_metrics(np.array([0.0, 1, 1, 0]), proba)
    with pytest.raises(ValueError, match="same number of rows"):
        classification_metrics(np.array([0, 1, 1]), proba)
    with pytest.raises(ValueError, match="two-dimensional"):
        classification_metrics(np.array([0, 1, 1, 0]), proba[:, 0])
