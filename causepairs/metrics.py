"""The challenge's bidirectional AUC and its breakdowns by Details class and type combination.

With the target ``Y`` in {1, -1, 0} and a real score ``S``::

    bidirectional_auc = ( AUC([Y == 1], S) + AUC([Y == -1], -S) ) / 2

Class-0 pairs are negatives in both terms; ties count one half (Mann-Whitney), exactly as
scikit-learn's ``roc_auc_score``. A term is undefined when its positive or its negative class
is empty; the score is then the mean of the defined terms, and NaN when neither is defined.
This only matters on small subsets (a breakdown row); the full challenge sets have all classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .io import TYPE_CODES
from .types import canonical_type

__all__ = [
    "TYPE_COMBINATIONS",
    "DETAILS_NAMES",
    "mann_whitney_auc",
    "bidirectional_auc",
    "ScoreBreakdown",
    "score_breakdown",
    "direction_accuracy",
    "direction_auc",
]

#: Type combinations in the order reports list them (first letter: A's type).
TYPE_COMBINATIONS = ("NN", "NC", "CN", "NB", "BN", "CC", "CB", "BC", "BB")
DETAILS_NAMES = {1: "A->B", 2: "B->A", 3: "A-B (confounded)", 4: "A|B (independent)"}


def _as_target(target) -> np.ndarray:
    y = np.asarray(target)
    if y.ndim != 1:
        raise ValueError(f"target must be one-dimensional, got shape {y.shape}")
    if y.dtype.kind not in "iuf" or not np.isin(y, (-1, 0, 1)).all():
        raise ValueError("target must hold only -1, 0 and 1")
    return y.astype(np.int64)


def _as_score(score, n: int) -> np.ndarray:
    s = np.asarray(score, dtype=np.float64)
    if s.shape != (n,):
        raise ValueError(f"score must have shape ({n},) like target, got {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("score must be finite (no NaN or infinity)")
    return s


def mann_whitney_auc(positive, score) -> float:
    """Area under the ROC curve of ``score`` for the boolean labels ``positive``.

    Ties count one half. Returns NaN when either class is empty.
    """
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)  # average ranks: a tie between a positive and a negative gives 1/2
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _terms(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    return mann_whitney_auc(y == 1, s), mann_whitney_auc(y == -1, -s)


def _mean_defined(forward: float, backward: float) -> float:
    defined = [t for t in (forward, backward) if not np.isnan(t)]
    return float(np.mean(defined)) if defined else float("nan")


def bidirectional_auc(target, score) -> float:
    """The challenge's score: the mean of the A->B AUC of ``score`` and the B->A AUC of ``-score``.

    Parameters
    ----------
    target : array-like of {-1, 0, 1}
        1 = A causes B, -1 = B causes A, 0 = neither.
    score : array-like of float
        Large positive = A->B, large negative = B->A. Only its ranking matters.

    Returns
    -------
    float
        In [0, 1]; 0.5 for random scores, 1 for a perfect ranking. When a class is missing its
        term is undefined and the other term alone is returned (NaN if neither is defined).
    """
    y = _as_target(target)
    s = _as_score(score, len(y))
    return _mean_defined(*_terms(y, s))


@dataclass(frozen=True)
class ScoreBreakdown:
    """Bidirectional AUC overall, by Details class and by type combination."""

    overall: float
    by_details: pd.DataFrame
    by_types: pd.DataFrame | None

    def to_text(self) -> str:
        """A plain-text report whose last line is ``bidirectional_auc=0.xxxx``."""
        def table(frame: pd.DataFrame) -> str:
            return frame.to_string(float_format=lambda v: f"{v:.4f}", na_rep="-")

        parts = []
        if self.by_details is not None and len(self.by_details):
            parts += ["By Details class (one-vs-rest AUC: A->B ranked by score, B->A by -score, "
                      "A-B and A|B by -|score|):", table(self.by_details), ""]
        if self.by_types is not None and len(self.by_types):
            parts += ["By type combination (first letter: A; N numerical, C categorical, "
                      "B binary):", table(self.by_types), ""]
        parts.append(f"bidirectional_auc={self.overall:.4f}")
        return "\n".join(parts)

    def to_dict(self) -> dict:
        """A JSON-ready dict of the same numbers (NaN becomes None)."""
        def records(frame):
            if frame is None:
                return None
            clean = frame.astype(object).where(frame.notna(), None)
            return {str(k): v for k, v in clean.to_dict(orient="index").items()}

        return {"bidirectional_auc": None if np.isnan(self.overall) else self.overall,
                "by_details": records(self.by_details), "by_types": records(self.by_types)}


def _type_code(declared, position: int, what: str) -> str:
    canonical = canonical_type(declared)
    if canonical is None:
        raise ValueError(f"{what}[{position}] is {str(declared)!r}; expected one of "
                         f"{', '.join(TYPE_CODES)}")
    return TYPE_CODES[canonical]


def score_breakdown(target, score, details=None, a_type=None, b_type=None) -> ScoreBreakdown:
    """Bidirectional AUC overall and broken down the ways users look for weak spots.

    Parameters
    ----------
    target, score : array-like
        As for :func:`bidirectional_auc`.
    details : array-like of {1, 2, 3, 4}, optional
        The Details class of each pair. With it, each class gets a row with its count, mean
        score and one-vs-rest AUC, ranking A->B pairs by ``score``, B->A pairs by ``-score``
        and the two "neither" classes by ``-|score|`` (a good model scores them near 0).
    a_type, b_type : array-like of str, optional
        Variable types (``Numerical``, ``Categorical``, ``Binary``); with both, each type
        combination gets a row with its counts and its own bidirectional AUC.
    """
    y = _as_target(target)
    s = _as_score(score, len(y))
    overall = _mean_defined(*_terms(y, s))

    by_details = None
    if details is not None:
        d = np.asarray(pd.array(details, dtype="Int64").to_numpy(dtype=float, na_value=np.nan))
        if d.shape != y.shape:
            raise ValueError(f"details must have shape {y.shape} like target, got {d.shape}")
        rows = {}
        ranking = {1: s, 2: -s, 3: -np.abs(s), 4: -np.abs(s)}
        for cls, name in DETAILS_NAMES.items():
            member = d == cls
            rows[f"{cls} {name}"] = {
                "n": int(member.sum()),
                "mean_score": float(s[member].mean()) if member.any() else np.nan,
                "auc_vs_rest": mann_whitney_auc(member, ranking[cls]),
            }
        by_details = pd.DataFrame.from_dict(rows, orient="index")

    by_types = None
    if a_type is not None and b_type is not None:
        combo = np.array([_type_code(a, i, "a_type") + _type_code(b, i, "b_type")
                          for i, (a, b) in enumerate(zip(np.asarray(a_type), np.asarray(b_type)))])
        if combo.shape != y.shape:
            raise ValueError(f"a_type and b_type must have shape {y.shape} like target")
        rows = {}
        for name in TYPE_COMBINATIONS:
            member = combo == name
            if not member.any():
                continue
            forward, backward = _terms(y[member], s[member])
            rows[name] = {
                "n": int(member.sum()),
                "n_A>B": int((y[member] == 1).sum()),
                "n_B>A": int((y[member] == -1).sum()),
                "n_neither": int((y[member] == 0).sum()),
                "auc_A>B": forward,
                "auc_B>A": backward,
                "bidirectional_auc": _mean_defined(forward, backward),
            }
        by_types = pd.DataFrame.from_dict(rows, orient="index")
    return ScoreBreakdown(overall, by_details, by_types)


# --------------------------------------------------------------------------------------------
# Direction benchmarks: every pair causal, the truth +1 (A causes B) or -1 (B causes A).
# --------------------------------------------------------------------------------------------

def _direction_inputs(truth, score, weights):
    y = np.asarray(truth)
    if y.ndim != 1 or y.dtype.kind not in "iuf" or not np.isin(y, (-1, 1)).all():
        raise ValueError("truth must be a one-dimensional array of -1 and 1")
    s = _as_score(score, len(y))
    if weights is None:
        w = np.ones(len(y), dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != y.shape or not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(f"weights must be {len(y)} finite non-negative numbers")
    return y.astype(np.int64), s, w


def direction_accuracy(truth, score, weights=None) -> float:
    """Weighted share of pairs whose ``sign(score)`` is the true direction.

    ``truth`` is +1 (A causes B) or -1; a zero score counts one half (it says nothing). NaN when
    the weights sum to zero (no pairs).
    """
    y, s, w = _direction_inputs(truth, score, weights)
    right = np.where(s == 0, 0.5, (np.sign(s) == y).astype(np.float64))
    total = w.sum()
    return float(np.dot(w, right) / total) if total > 0 else float("nan")


def direction_auc(truth, score, weights=None) -> float:
    """Weighted AUC of ``score`` for "A causes B" (``truth == 1``); ties count one half.

    NaN when all pairs have the same direction.
    """
    from sklearn.metrics import roc_auc_score

    y, s, w = _direction_inputs(truth, score, weights)
    positive = y == 1
    if w[positive].sum() == 0 or w[~positive].sum() == 0:
        return float("nan")
    return float(roc_auc_score(positive, s, sample_weight=w))
