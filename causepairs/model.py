"""The direction model: LightGBM on mirror-augmented pairs, scored exactly antisymmetrically.

Every training pair (A, B) with target ``y`` is also shown to the learner as (B, A) with target
``-y``; its feature row comes from :meth:`FeatureSet.mirror`, so nothing is recomputed. A
learned per-row function ``g`` is turned into a score with

    score(A, B) = (g(A, B) - g(B, A)) / 2

so that ``score(B, A) == -score(A, B)`` holds bit for bit (the 2013 winner's f(A,B) - f(B,A)).

Four formulations are offered:

``"regression"``
    one LightGBM regressor on the target in {-1, 0, 1}; ``g`` is its prediction.
``"multiclass"``
    one 3-class LightGBM classifier; ``g = P(1) - P(-1)``.
``"binary_pair"``
    two binary classifiers (A->B vs rest, B->A vs rest); ``g = p(A->B) - p(B->A)``.
``"two_part"``
    two questions, as the 2013 winner (jarfo) asked them: is there a causal link at all (a
    binary classifier on every pair, made symmetric: ``link = (p(A,B) + p(B,A)) / 2``), and
    which way does it go (a regressor on the causal pairs only, target +-1, made antisymmetric
    as above); ``score = link * way``. The direction part never sees a confounded or
    independent pair, so its splits serve only the direction; ``sign(score)`` is its sign.

A fitted model saves to a directory of LightGBM text models plus ``metadata.json`` (no
pickle) and loads back with checks of file hashes, causepairs version and feature set.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import __version__
from .errors import CausepairsError
from .defaults import FOLDS, n_jobs_problem, resolve_n_jobs
from .io import atomic_path
from .factory.spec import FeatureSet, _resolve, load_feature_set
from .metrics import bidirectional_auc
from .model_dir import (METADATA_FILE, MODEL_FORMAT_VERSION, ModelLoadError, metadata_digest,
                        read_checked_metadata, sha256_hex)

_lgb = None


def _lightgbm():
    """LightGBM, imported on first use with its OpenMP threads set to wait passively.

    LightGBM's OpenMP threads spin while they wait for work. On a machine shared with other
    jobs (or with our own feature workers) spinning threads starve each other: one 2-thread
    fit on a loaded 2-core machine took 373 s spinning and 28 s waiting passively. LightGBM
    has no parameter for this; its OpenMP runtime reads ``OMP_WAIT_POLICY`` once, when the
    library loads. So the variable is set only around that load and then restored: the
    process environment (and every child process's) stays as the user left it, and a user's
    own setting wins.
    """
    global _lgb
    if _lgb is None:
        previous = os.environ.get("OMP_WAIT_POLICY")
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            import lightgbm
        finally:
            if previous is None:
                os.environ.pop("OMP_WAIT_POLICY", None)
        _lgb = lightgbm
    return _lgb


__all__ = ["DEFAULT_FORMULATION", "FORMULATIONS", "PARAMETERS", "CausalDirectionModel",
           "ModelLoadError", "cross_validate_model", "cv_folds_problem", "parameter_problem",
           "train_model"]

#: The ways of turning LightGBM outputs into a per-row direction score.
FORMULATIONS = ("regression", "multiclass", "binary_pair", "two_part")
#: LightGBM boosters (model files) each formulation fits.
_BOOSTERS = {"regression": 1, "multiclass": 1, "binary_pair": 2, "two_part": 2}
#: Chosen by cross-validation grouped by generator family (left-out mechanism and noise
#: families), the estimate closest to unseen real pairs. On fast-set features of 600-1,000
#: generated pairs, the mean grouped AUC of multiclass minus that of regression was +0.0037,
#: +0.0046, +0.0005 and -0.0067 in four comparisons (binary_pair never best): a tie within
#: fold noise. Regression fits in a third of multiclass's time, so it is the default.
DEFAULT_FORMULATION = "regression"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, (float, np.floating))) and bool(np.isfinite(value))


#: Each parameter's check and what it must be: the one place both a new model and a saved
#: one's metadata are checked against.
_PARAM_RULES = {
    "formulation": (lambda v: v in FORMULATIONS, f"one of {', '.join(FORMULATIONS)}"),
    "n_estimators": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "learning_rate": (lambda v: _is_number(v) and v > 0, "a number > 0"),
    "num_leaves": (lambda v: _is_int(v) and v >= 2, "an integer >= 2"),
    "min_child_samples": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "subsample": (lambda v: _is_number(v) and 0 < v <= 1, "a number in (0, 1]"),
    "colsample_bytree": (lambda v: _is_number(v) and 0 < v <= 1, "a number in (0, 1]"),
    "reg_lambda": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "n_jobs": (lambda v: n_jobs_problem(v) is None,
               "None or a non-zero integer (N threads, -1 all cores, -2 all but one)"),
    "random_state": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "monotone_families": (
        lambda v: (isinstance(v, (list, tuple)) and len(set(v)) == len(v)
                   and all(isinstance(f, str) and f for f in v)),
        "a list of distinct feature-family names"),
}


#: Parameters newer than the saved-model format, with the value that means "as before".
_ADDED_PARAMETERS = {"monotone_families": ()}


def parameter_problem(name: str, value) -> str | None:
    """Why ``value`` cannot be parameter ``name``, or None."""
    check, expected = _PARAM_RULES[name]
    try:
        ok = bool(check(value))
    except TypeError:
        ok = False
    return None if ok else f"{name} must be {expected}, got {value!r}"


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN when either is constant."""
    if len(x) < 2:
        return np.nan
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = np.sqrt(np.dot(rx, rx) * np.dot(ry, ry))
    return float(np.dot(rx, ry) / denominator) if denominator > 0 else np.nan


def _check_columns(columns, expected: tuple[str, ...], what: str) -> None:
    columns = [str(c) for c in columns]
    if columns == list(expected):
        return
    missing = [c for c in expected if c not in set(columns)]
    extra = [c for c in columns if c not in set(expected)]
    if missing:
        problem = f"missing column {missing[0]!r}" + (
            f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
    elif extra:
        problem = f"unexpected column {extra[0]!r}" + (
            f" (and {len(extra) - 1} more)" if len(extra) > 1 else "")
    elif len(columns) != len(set(columns)):
        problem = "a column appears twice"
    else:
        first = next(i for i, (a, b) in enumerate(zip(columns, expected)) if a != b)
        problem = (f"columns are out of order: position {first} holds {columns[first]!r}, "
                   f"expected {expected[first]!r}")
    raise ValueError(f"{what}: {problem}; the columns must equal the feature set's, in order")


def _as_feature_set(feature_set) -> FeatureSet:
    """A loaded feature set from a FeatureSet, a built-in name or a ``.toml`` path."""
    if isinstance(feature_set, FeatureSet):
        return feature_set
    if isinstance(feature_set, (str, os.PathLike)):
        return load_feature_set(feature_set)
    raise TypeError(f"feature_set must be a FeatureSet, a built-in name such as 'fast' or a "
                    f".toml path, got {type(feature_set).__name__}")


def _refuse_sparse(X) -> None:
    from scipy import sparse

    if sparse.issparse(X):
        raise TypeError("X: sparse input is not supported; features are a dense float matrix "
                        "(NaN marks a missing value)")


class CausalDirectionModel(RegressorMixin, BaseEstimator):
    """Scores the causal direction of pairs from their feature rows, exactly antisymmetric.

    A scikit-learn estimator: it clones, pickles, and works in ``Pipeline``,
    ``cross_val_score`` and ``GridSearchCV``; its :meth:`score` is the bidirectional AUC.

    Parameters
    ----------
    feature_set : FeatureSet, str or path
        The feature set whose columns the model reads; supplies the A<->B mirror mapping. A
        built-in name (``"fast"``, the default) or a ``.toml`` path is loaded by ``fit``.
    formulation : {"regression", "multiclass", "binary_pair", "two_part"}
        How LightGBM models the target (see the module docstring); default
        :data:`DEFAULT_FORMULATION`.
    n_estimators : int
        Boosting rounds (per booster).
    learning_rate : float
        Shrinkage per round.
    num_leaves : int
        Maximum leaves per tree.
    min_child_samples : int
        Minimum training rows (augmented rows included) in a leaf.
    subsample : float
        Fraction of rows sampled for each tree (1.0: no bagging).
    colsample_bytree : float
        Fraction of columns sampled for each tree.
    reg_lambda : float
        L2 regularisation on leaf values.
    n_jobs : int or None
        LightGBM threads, by the rule of :func:`causepairs.defaults.resolve_n_jobs`: None the
        default (1 unless ``CAUSEPAIRS_N_JOBS`` says otherwise), N > 0 exactly N, -1 all
        cores, -2 all but one. Fits and scores do not depend on it.
    random_state : int
        Seed of every random choice LightGBM makes; fits are deterministic given it.
    monotone_families : sequence of str
        Feature families (e.g. ``["causal", "conditional_entropy"]``) whose ``diff`` columns
        the direction score may only follow one way: it can only rise (or only fall) as each
        such column rises, all else equal. The way is learned in ``fit``: the sign of the
        column's Spearman correlation with the target over the causal training pairs. This
        keeps each principled score a piece of evidence with one meaning, as its method
        intends, instead of a cue the trees may read backwards where our generator happens
        to; see :attr:`monotone_signs_`. Needs the ``regression`` or ``two_part``
        formulation (for ``two_part`` it constrains the direction part, hence the score's
        sign; the symmetric link probability stays free). Default: none.

    Attributes
    ----------
    feature_set_ : FeatureSet
        The loaded feature set the model was fitted (or saved) with.
    boosters_ : list of lightgbm.Booster
        One booster (``"regression"``, ``"multiclass"``) or two (``"binary_pair"``;
        ``"two_part"``: the link classifier, then the direction regressor).
    n_pairs_ : int
        Pairs seen in ``fit`` (before mirror augmentation).
    class_counts_ : dict
        Count of each target value among those pairs, keyed ``"-1"``, ``"0"``, ``"1"``.
    fit_seconds_ : float
        Wall time of the last ``fit``.
    monotone_signs_ : dict
        Column -> +1 (the score rises with it) or -1, for the constrained columns of
        ``monotone_families`` (a column constant over the causal pairs stays free).
    """

    def __init__(self, feature_set: FeatureSet | str = "fast",
                 formulation: str = DEFAULT_FORMULATION, *,
                 n_estimators: int = 300, learning_rate: float = 0.05, num_leaves: int = 31,
                 min_child_samples: int = 20, subsample: float = 0.8,
                 colsample_bytree: float = 0.5, reg_lambda: float = 1.0,
                 n_jobs: int | None = None,
                 random_state: int = 0, monotone_families: tuple[str, ...] = ()):
        self.feature_set = feature_set
        self.formulation = formulation
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.monotone_families = monotone_families

    # -- scikit-learn conventions ------------------------------------------------------------
    # get_params / set_params come from BaseEstimator, read off __init__'s signature.

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True          # LightGBM treats NaN as missing
        tags.regressor_tags.poor_score = True     # a score is an AUC, not an R^2
        return tags

    def _more_tags(self):                          # the same, for scikit-learn < 1.6
        return {"allow_nan": True, "poor_score": True}

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        name = getattr(self.feature_set, "name", self.feature_set)
        return (f"CausalDirectionModel(feature_set={name!r}, "
                f"formulation={self.formulation!r}, n_estimators={self.n_estimators})")

    # -- validation --------------------------------------------------------------------------

    def _lgb_params(self) -> dict:
        for name in PARAMETERS:
            problem = parameter_problem(name, getattr(self, name))
            if problem is not None:
                raise ValueError(problem)
        params = {
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_child_samples": int(self.min_child_samples),
            "feature_fraction": float(self.colsample_bytree),
            "bagging_fraction": float(self.subsample),
            "bagging_freq": 1 if self.subsample < 1.0 else 0,
            "lambda_l2": float(self.reg_lambda),
            "num_threads": resolve_n_jobs(self.n_jobs),
            "seed": int(self.random_state),
            # Bitwise-repeatable fits: fixed histogram layout, no thread-order effects.
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }
        return params

    def _matrix(self, X, what: str, feature_set: FeatureSet) -> np.ndarray:
        """Feature rows as float64 (float32 converts exactly), after checking the columns."""
        columns = feature_set.columns
        if isinstance(X, pd.DataFrame):
            _check_columns(X.columns, columns, what)
            bad = [c for c, t in X.dtypes.items() if t not in (np.float32, np.float64)]
            if bad:
                raise ValueError(f"{what}: column {bad[0]!r} has dtype {X[bad[0]].dtype}; "
                                 "features must be float32 or float64")
            return X.to_numpy(dtype=np.float64)
        _refuse_sparse(X)
        matrix = np.asarray(X)
        if matrix.ndim != 2 or matrix.shape[1] != len(columns):
            raise ValueError(f"{what}: expected a DataFrame with the feature set's columns or a "
                             f"2-D array with {len(columns)} columns, got shape {matrix.shape}")
        if matrix.dtype not in (np.float32, np.float64):
            raise ValueError(f"{what}: features must be float32 or float64, got {matrix.dtype}")
        return matrix.astype(np.float64, copy=False)

    @staticmethod
    def _target(y, X, n: int) -> np.ndarray:
        if isinstance(y, pd.Series) and isinstance(X, pd.DataFrame):
            if not y.index.equals(X.index):
                if len(y) != len(X) or not y.index.sort_values().equals(X.index.sort_values()):
                    raise ValueError("y: its index does not match X's index")
                y = y.reindex(X.index)
        target = np.asarray(y)
        if target.shape != (n,):
            raise ValueError(f"y: expected shape ({n},) like X, got {target.shape}")
        if target.dtype.kind not in "iuf" or not np.isin(target, (-1, 0, 1)).all():
            raise ValueError("y: the target must hold only -1, 0 and 1")
        return target.astype(np.int64)

    # -- fit and predict ---------------------------------------------------------------------

    def fit(self, X, y) -> "CausalDirectionModel":
        """Train on pairs and their mirrors.

        Parameters
        ----------
        X : pandas.DataFrame
            float32 or float64 features with exactly ``feature_set.columns``, in order; NaN is
            allowed (LightGBM treats it as missing).
        y : array-like of {-1, 0, 1}
            1 = A causes B, -1 = B causes A, 0 = neither. A Series is aligned on ``X.index``.

        Returns
        -------
        CausalDirectionModel
            ``self``, fitted.
        """
        if y is None:
            raise ValueError("y: CausalDirectionModel requires y to be passed, but the target "
                             "y is None")
        _refuse_sparse(X)
        if not isinstance(X, pd.DataFrame):
            raise ValueError("X: fit expects a pandas DataFrame with the feature set's columns")
        params = self._lgb_params()
        feature_set = _as_feature_set(self.feature_set)
        matrix = self._matrix(X, "X", feature_set)
        target = self._target(y, X, len(matrix))
        if len(matrix) < 2:
            raise ValueError("X: need at least two pairs to fit")
        signs = self._monotone_signs(feature_set, matrix, target)
        direction_params = {}
        if signs:
            constraints = [0] * matrix.shape[1]
            for column, sign in signs.items():
                constraints[feature_set.column_index[column]] = sign
            direction_params = {"monotone_constraints": constraints}
        started = time.perf_counter()
        rows = np.vstack([matrix, feature_set.mirror(matrix)])
        labels = np.concatenate([target, -target])
        names = [f"f{i}" for i in range(matrix.shape[1])]
        everything = slice(None)
        if self.formulation == "regression":
            jobs = [({"objective": "regression", **direction_params}, everything,
                     labels.astype(np.float64))]
        elif self.formulation == "multiclass":
            jobs = [({"objective": "multiclass", "num_class": 3}, everything,
                     (labels + 1).astype(np.float64))]
        elif self.formulation == "binary_pair":
            jobs = [({"objective": "binary"}, everything, (labels == 1).astype(np.float64)),
                    ({"objective": "binary"}, everything, (labels == -1).astype(np.float64))]
        else:
            causal = labels != 0
            if not causal.any():
                raise ValueError("y: the two_part formulation needs causal pairs (target 1 or "
                                 "-1) to learn the direction from; all targets are 0")
            jobs = [({"objective": "binary"}, everything, causal.astype(np.float64)),
                    ({"objective": "regression", **direction_params}, causal,
                     labels[causal].astype(np.float64))]
        boosters = []
        for extra, chosen, label in jobs:
            data = _lightgbm().Dataset(rows[chosen], label=label, feature_name=names,
                               params={"verbose": -1}, free_raw_data=True)
            booster = _lightgbm().train({**params, **extra}, data,
                                        num_boost_round=self.n_estimators)
            # Round-trip through the text format so the model in memory is exactly the one
            # that save() writes: predictions before saving and after loading then agree bitwise.
            boosters.append(_lightgbm().Booster(model_str=booster.model_to_string()))
        self.boosters_ = boosters
        self.feature_set_ = feature_set
        self.n_features_in_ = matrix.shape[1]
        self.n_pairs_ = int(len(matrix))
        self.class_counts_ = {str(v): int((target == v).sum()) for v in (-1, 0, 1)}
        self.monotone_signs_ = signs
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _monotone_signs(self, feature_set: FeatureSet, matrix: np.ndarray,
                        target: np.ndarray) -> dict[str, int]:
        """Column -> the way the score must follow it, for ``monotone_families``' diff columns.

        The sign of the Spearman correlation with the target over the causal pairs (mirrors
        add nothing: a diff column and the target both change sign). NaN rows are left out;
        a column with no variation there stays unconstrained.
        """
        families = list(self.monotone_families)
        if not families:
            return {}
        if self.formulation not in ("regression", "two_part"):
            raise ValueError("monotone_families needs the formulation 'regression' or "
                             f"'two_part' (one score that rises with the evidence), got "
                             f"{self.formulation!r}")
        columns = feature_set.family_columns(families, "diff")
        causal = target != 0
        signs = {}
        for j in columns:
            values, labels = matrix[causal, j], target[causal]
            finite = np.isfinite(values)
            rho = _spearman(values[finite], labels[finite])
            if rho != 0.0 and np.isfinite(rho):
                signs[feature_set.columns[j]] = 1 if rho > 0 else -1
        return signs

    def _check_fitted(self) -> None:
        # NotFittedError is a ValueError too.
        check_is_fitted(self, "boosters_", msg="this CausalDirectionModel is not fitted; "
                                                "call fit first")

    def _row_scores(self, matrix: np.ndarray) -> np.ndarray:
        """The un-antisymmetrised per-row score ``g`` (one column per part for two_part)."""
        threads = resolve_n_jobs(self.n_jobs)
        outputs = [np.asarray(b.predict(matrix, num_threads=threads), dtype=np.float64)
                   for b in self.boosters_]
        if self.formulation == "regression":
            return outputs[0]
        if self.formulation == "multiclass":
            return outputs[0][:, 2] - outputs[0][:, 0]
        if self.formulation == "two_part":
            return np.column_stack(outputs)
        return outputs[0] - outputs[1]

    def predict(self, X) -> np.ndarray:
        """Direction scores: large positive = A->B, large negative = B->A.

        Parameters
        ----------
        X : pandas.DataFrame or numpy.ndarray
            Feature rows (a DataFrame is checked against the feature set's columns; an array
            must already be in that column order).

        Returns
        -------
        numpy.ndarray
            float64 scores, with ``predict(mirror(X)) == -predict(X)`` exactly.
        """
        self._check_fitted()
        matrix = self._matrix(X, "X", self.feature_set_)
        if len(matrix) == 0:
            return np.empty(0, dtype=np.float64)
        # Forward and mirrored rows in one call; mirror(mirror(x)) == x bitwise (signs are
        # +-1), so swapping A and B swaps the two halves and a - b becomes exactly -(b - a).
        both = self._row_scores(np.vstack([matrix, self.feature_set_.mirror(matrix)]))
        forward, backward = both[:len(matrix)], both[len(matrix):]
        if self.formulation == "two_part":
            # a + b == b + a and a - b == -(b - a) bitwise: link symmetric, way antisymmetric.
            link = (forward[:, 0] + backward[:, 0]) * 0.5
            way = (forward[:, 1] - backward[:, 1]) * 0.5
            return link * way
        return (forward - backward) * 0.5

    def score(self, X, y, sample_weight=None) -> float:
        """Bidirectional AUC of the direction scores of ``X`` against ``y`` in {-1, 0, 1}.

        The challenge's metric (:func:`causepairs.metrics.bidirectional_auc`), so that
        ``cross_val_score`` and ``GridSearchCV`` rank models by it; unweighted.
        """
        if sample_weight is not None:
            raise ValueError("score: sample weights are not supported by the bidirectional AUC")
        target = self._target(y, X, len(X))
        return float(bidirectional_auc(target, self.predict(X)))

    def feature_importances(self, kind: str = "gain") -> pd.Series:
        """Importance of each feature column, summed over the model's boosters.

        Parameters
        ----------
        kind : {"gain", "split"}
            Total loss reduction of the splits on a column, or their number.

        Returns
        -------
        pandas.Series
            float64, indexed by the feature set's column names, in their order.
        """
        self._check_fitted()
        if kind not in ("gain", "split"):
            raise ValueError(f"kind must be 'gain' or 'split', got {kind!r}")
        total = np.zeros(len(self.feature_set_.columns))
        for booster in self.boosters_:
            total += booster.feature_importance(importance_type=kind)
        return pd.Series(total, index=pd.Index(self.feature_set_.columns, name="column"),
                         name=kind)

    # -- persistence -------------------------------------------------------------------------

    def _model_files(self) -> list[str]:
        if len(self.boosters_) == 1:
            return ["model.txt"]
        return [f"model-{i}.txt" for i in range(len(self.boosters_))]

    def save(self, directory, *, training_summary: Mapping | None = None,
             cv_scores: Mapping | None = None) -> Path:
        """Write the fitted model to ``directory`` (created if needed), without pickle.

        Parameters
        ----------
        directory : path
            Receives ``model.txt`` (or ``model-0.txt``, ``model-1.txt``) in LightGBM's text
            format and ``metadata.json``.
        training_summary : mapping, optional
            Extra facts about the training data, merged over the computed ones
            (``n_pairs``, ``class_counts``).
        cv_scores : mapping, optional
            Cross-validation scores to record (JSON-serialisable).

        Returns
        -------
        pathlib.Path
            The directory.
        """
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        texts = {name: booster.model_to_string().encode("utf-8")
                 for name, booster in zip(self._model_files(), self.boosters_)}
        hashes = {name: sha256_hex(data) for name, data in texts.items()}
        summary = {"n_pairs": self.n_pairs_, "class_counts": dict(self.class_counts_)}
        summary.update(training_summary or {})
        params = {name: getattr(self, name) for name in PARAMETERS}
        # NumPy scalars as plain numbers, so that they read back as what they are.
        params = {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}
        metadata = {
            "format_version": MODEL_FORMAT_VERSION,
            "causepairs_version": __version__,
            "lightgbm_version": _lightgbm().__version__,
            "formulation": self.formulation,
            "params": params,
            "feature_set": {"name": self.feature_set_.name, "hash": self.feature_set_.hash,
                            "source": self.feature_set_.source, "spec": self.feature_set_.spec},
            "columns": list(self.feature_set_.columns),
            "training": summary,
            "cv_scores": dict(cv_scores) if cv_scores is not None else None,
            "model_files": hashes,
        }
        if self.monotone_signs_:
            metadata["monotone_signs"] = dict(self.monotone_signs_)
        # Through JSON first, so that the digest is of exactly what load() reads back.
        try:
            metadata = json.loads(json.dumps(metadata, default=str, allow_nan=False))
        except ValueError as exc:
            raise ValueError(f"model metadata must be finite JSON ({exc}); e.g. a NaN "
                             "cross-validation score") from None
        metadata["metadata_sha256"] = metadata_digest(metadata)
        # Every file is written to a temporary name first and renamed only once all are
        # written: a full disk (or any error) while writing leaves the directory as it was,
        # never a short file or a model file that its metadata does not describe. Renames run
        # in reverse order of entry: model files first, metadata last (a directory with
        # metadata.json is complete). A planted symbolic link is refused, not written through.
        with contextlib.ExitStack() as stack:
            meta_tmp = stack.enter_context(atomic_path(directory / METADATA_FILE))
            for name, data in texts.items():
                stack.enter_context(atomic_path(directory / name)).write_bytes(data)
            meta_tmp.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory, feature_set: FeatureSet | None = None) -> "CausalDirectionModel":
        """Load a model saved by :meth:`save`, checking it before use.

        Parameters
        ----------
        directory : path
            A directory written by :meth:`save`.
        feature_set : FeatureSet, optional
            The feature set the caller will compute features with. Its hash and columns must
            equal the saved ones. When omitted, the set is rebuilt from the saved spec.

        Returns
        -------
        CausalDirectionModel
            Fitted; predicts bitwise as the saved model did.

        Raises
        ------
        ModelLoadError
            Missing or unreadable files, a model file whose SHA-256 differs from the recorded
            one, a different causepairs major.minor version, or a mismatched feature set.
        """
        directory = Path(directory)
        meta_path = directory / METADATA_FILE
        meta, texts = read_checked_metadata(directory)
        saved_set = dict(meta["feature_set"])
        columns = tuple(meta["columns"])
        # Parameters added after a model format was fixed read as their no-op default when
        # an older model's metadata lacks them: that is how the older model was fitted.
        params = {**_ADDED_PARAMETERS, **meta["params"]}
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            raise ModelLoadError(f"{meta_path}: unknown parameter {unknown[0]!r} in params")
        for name in PARAMETERS:
            problem = ("missing" if name not in params
                       else parameter_problem(name, params[name]))
            if problem is not None:
                raise ModelLoadError(f"{meta_path}: params: "
                                     + (f"{name} is missing" if problem == "missing" else problem))
        params["monotone_families"] = tuple(params["monotone_families"])
        if meta.get("formulation") != params["formulation"]:
            raise ModelLoadError(f"{meta_path}: formulation {meta.get('formulation')!r} differs "
                                 f"from params formulation {params['formulation']!r}")

        if feature_set is None:
            try:
                feature_set = _resolve(saved_set["spec"], saved_set.get("source", str(meta_path)))
            except CausepairsError as exc:
                raise ModelLoadError(f"{meta_path}: cannot rebuild the saved feature set "
                                     f"({exc})") from None
            if feature_set.hash != saved_set["hash"]:
                raise ModelLoadError(
                    f"{directory}: feature set {saved_set['name']!r} (hash {saved_set['hash']}) "
                    f"now resolves to hash {feature_set.hash}; this causepairs computes its "
                    "features differently, retrain the model")
        elif feature_set.hash != saved_set["hash"] or tuple(feature_set.columns) != columns:
            raise ModelLoadError(
                f"{directory}: model trained on feature set {saved_set['name']!r} (hash "
                f"{saved_set['hash']}), given feature set {feature_set.name!r} (hash "
                f"{feature_set.hash})")

        model = cls(feature_set, **params)
        if model.formulation not in FORMULATIONS or len(texts) != _BOOSTERS[model.formulation]:
            raise ModelLoadError(f"{meta_path}: formulation {model.formulation!r} does not "
                                 f"match its {len(texts)} model file(s)")
        try:
            model.boosters_ = [_lightgbm().Booster(model_str=text) for text in texts]
        except _lightgbm().basic.LightGBMError as exc:
            # Only reachable when a file and both recorded hashes were edited together.
            raise ModelLoadError(f"{directory}: a model file is not a LightGBM text model "
                                 f"({' '.join(str(exc).split())})") from None
        if any(b.num_feature() != len(columns) for b in model.boosters_):
            raise ModelLoadError(f"{directory}: a model file expects "
                                 f"{model.boosters_[0].num_feature()} features, the metadata "
                                 f"lists {len(columns)} columns")
        model.feature_set_ = feature_set
        model.n_features_in_ = len(columns)
        training = meta.get("training") or {}
        model.n_pairs_ = training.get("n_pairs")
        model.class_counts_ = training.get("class_counts")
        model.fit_seconds_ = None
        model.monotone_signs_ = dict(meta.get("monotone_signs") or {})
        model.metadata_ = meta
        return model




#: The model's parameters besides its feature set, in the order of ``__init__``, read off its
#: signature (as scikit-learn's ``get_params`` does): the constructor is the one definition,
#: and saving, loading, checking and the pipeline's ``[model]`` table all follow it. Each needs
#: a rule in :data:`_PARAM_RULES`, checked here at import, so that a parameter added without
#: one fails at once rather than being saved unchecked.
PARAMETERS = tuple(name for name in inspect.signature(CausalDirectionModel.__init__).parameters
                   if name not in ("self", "feature_set"))
if set(PARAMETERS) != set(_PARAM_RULES):
    raise ImportError(f"CausalDirectionModel parameters {sorted(PARAMETERS)} and their rules "
                      f"{sorted(_PARAM_RULES)} differ")

# ---------------------------------------------------------------------------------------------

def cv_folds_problem(target, n_folds: int) -> str | None:
    """Why a stratified ``n_folds``-fold cross-validation cannot score ``target``, or None.

    Checked before the work (features can take hours) rather than met in scikit-learn's
    splitter afterwards.
    """
    values, counts = np.unique(np.asarray(target), return_counts=True)
    if len(values) < 2:
        only = f"Target {values[0]}" if len(values) else "no pairs"
        return f"every pair has {only}: cross-validation cannot score a model on a single class"
    if n_folds > len(target):
        return f"{n_folds} folds is more than the {len(target)} pairs"
    if n_folds > counts.max():
        return (f"{n_folds} folds is more than the {counts.max()} pairs of the largest class "
                f"(Target {values[counts.argmax()]}); stratified folds need at most that many")
    return None


def _model_maker(model_factory_or_params) -> Callable[[], CausalDirectionModel]:
    if isinstance(model_factory_or_params, CausalDirectionModel):
        params = model_factory_or_params.get_params()
        return lambda: CausalDirectionModel(**params)
    if isinstance(model_factory_or_params, Mapping):
        params = dict(model_factory_or_params)
        if "feature_set" not in params:
            raise ValueError("model parameters must include feature_set")
        return lambda: CausalDirectionModel(**params)
    if callable(model_factory_or_params):
        return model_factory_or_params
    raise TypeError("expected a CausalDirectionModel, a callable returning one, or a dict of "
                    "its parameters")


def cross_validate_model(model_factory_or_params, X: pd.DataFrame, y, groups=None, *,
                         n_folds: int = FOLDS, seed: int = 0, n_splits: int | None = None) -> dict:
    """Out-of-fold direction scores and their bidirectional AUC.

    Each pair and its mirror stay together: mirrors are made inside ``fit`` from the training
    fold only.

    Parameters
    ----------
    model_factory_or_params : CausalDirectionModel, callable or dict
        A model to copy (unfitted parameters only), a callable returning a fresh model, or
        the keyword arguments of :class:`CausalDirectionModel`.
    X : pandas.DataFrame
        Feature rows, as for :meth:`CausalDirectionModel.fit`.
    y : array-like of {-1, 0, 1}
        Targets.
    groups : array-like, optional
        A group label per pair: grouped K-fold, so no group is split between training and
        scoring (e.g. leave generator families out). Without it, K-fold stratified by target.
    n_folds : int
        Number of folds (at most the number of groups when grouped); default
        :data:`causepairs.defaults.FOLDS`.
    seed : int
        Shuffles the fold assignment.
    n_splits : int, optional
        The former name of ``n_folds`` (deprecated: the CLI's ``--folds`` and a pipeline's
        ``folds`` use the same word).

    Returns
    -------
    dict
        ``oof_score`` (float array, one per pair), ``fold`` (int array), ``fold_auc`` (list),
        ``auc`` (overall bidirectional AUC of the out-of-fold scores), ``n_splits``,
        ``grouped`` and ``fit_seconds`` (total).
    """
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    if n_splits is not None:
        import warnings

        warnings.warn("cross_validate_model(n_splits=) is deprecated; use n_folds=",
                      DeprecationWarning, stacklevel=2)
        n_folds = n_splits
    make = _model_maker(model_factory_or_params)
    target = CausalDirectionModel._target(y, X, len(X))
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (len(X),):
            raise ValueError(f"groups: expected shape ({len(X)},), got {groups.shape}")
        splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        splits = splitter.split(X, target, groups)
    else:
        problem = cv_folds_problem(target, n_folds)
        if problem is not None:
            raise ValueError(problem)
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        splits = splitter.split(X, target)
    oof = np.full(len(X), np.nan)
    fold = np.full(len(X), -1, dtype=np.int64)
    fold_auc, fit_seconds = [], 0.0
    for k, (train, test) in enumerate(splits):
        model = make().fit(X.iloc[train], target[train])
        fit_seconds += model.fit_seconds_
        oof[test] = model.predict(X.iloc[test])
        fold[test] = k
        fold_auc.append(bidirectional_auc(target[test], oof[test]))
    return {"oof_score": oof, "fold": fold, "fold_auc": fold_auc,
            "auc": bidirectional_auc(target, oof), "n_splits": int(fold.max()) + 1,
            "grouped": groups is not None, "fit_seconds": fit_seconds}


@dataclass
class Training:
    """What :func:`train_model` produced."""

    #: The fitted model (saved in ``directory`` when one was given).
    model: CausalDirectionModel
    #: The cross-validation scores recorded with it (None: none).
    cv_scores: dict | None
    #: Where it was saved, or None.
    directory: Path | None


def train_model(features: pd.DataFrame, target, feature_set, *, params: Mapping | None = None,
                n_jobs: int | None = None, folds: int = 1, seed: int = 0,
                cv_scores: Mapping | None = None, training: Mapping | None = None,
                out=None, log: Callable[[str], object] | None = None) -> Training:
    """Fit the direction model on all pairs, after an optional cross-validation, and save it.

    The one training path: ``causepairs train`` and a pipeline's ``train`` step both call it,
    so that the same features, target and parameters give the same model files either way.

    Parameters
    ----------
    features : pandas.DataFrame
        Feature rows indexed by SampleID, holding (at least) ``feature_set``'s columns.
    target : pandas.DataFrame or pandas.Series
        The targets by SampleID (a target file as :func:`causepairs.io.read_target` reads it:
        ``Target`` and ``Details``; or a Series of Target); aligned on ``features.index``.
    feature_set : FeatureSet, str or path
        The columns the model reads.
    params : mapping, optional
        Further :class:`CausalDirectionModel` parameters (:data:`PARAMETERS`).
    n_jobs : int, optional
        LightGBM threads (:func:`causepairs.defaults.resolve_n_jobs`); results do not depend
        on it.
    folds : int
        ``> 1``: first a stratified cross-validation with that many folds (seed ``seed``),
        recorded as ``cv_scores``; 1: none.
    cv_scores : mapping, optional
        Scores to record instead (e.g. a pipeline's evaluation of the same candidate); then
        ``folds`` must be 1.
    training : mapping, optional
        Facts about the training data to record (e.g. ``pairs_file``); ``n_pairs``,
        ``class_counts`` and, when every pair has one, the count of each ``Details`` class
        are added.
    out : path, optional
        The model directory to save to (see :meth:`CausalDirectionModel.save`).
    log : callable, optional
        Receives the cross-validation's one-line result.

    Returns
    -------
    Training

    Raises
    ------
    ValueError
        On a bad argument, or when the cross-validation gives no score (every fold's test
        pairs have one class).
    """
    if cv_scores is not None and folds > 1:
        raise ValueError("give either folds > 1 (cross-validate now) or cv_scores, not both")
    feature_set = _as_feature_set(feature_set)
    columns = list(feature_set.columns)
    X = features if list(features.columns) == columns else features[columns]
    frame = target.to_frame("Target") if isinstance(target, pd.Series) else target
    frame = frame.loc[X.index]
    y = frame["Target"]
    model = CausalDirectionModel(feature_set, **{**dict(params or {}), "n_jobs": n_jobs})
    if folds > 1:
        cv = cross_validate_model(model, X, y, n_folds=folds, seed=seed)
        if log is not None:
            log(f"cross-validated bidirectional_auc={cv['auc']:.4f} ({cv['n_splits']} folds: "
                f"{', '.join(f'{a:.3f}' for a in cv['fold_auc'])})")
        if not np.isfinite(cv["auc"]):
            raise ValueError("cross-validation gave no score (every fold's test pairs have one "
                             "class)")
        # A fold whose test pairs are all one class has no AUC: recorded as null, not NaN.
        cv_scores = {"bidirectional_auc": float(cv["auc"]), "n_splits": int(cv["n_splits"]),
                     "fold_auc": [float(a) if np.isfinite(a) else None for a in cv["fold_auc"]]}
    model.fit(X, y)
    summary = dict(training or {})
    details = frame["Details"] if "Details" in frame else None
    if details is not None and details.notna().all():
        summary["details_counts"] = {str(k): int(v)
                                     for k, v in details.value_counts().sort_index().items()}
    directory = None
    if out is not None:
        directory = model.save(out, training_summary=summary, cv_scores=cv_scores)
    return Training(model, dict(cv_scores) if cv_scores is not None else None, directory)
