"""Calibrated three-class probabilities from the antisymmetric direction score, exactly symmetric.

A :class:`~causepairs.model.CausalDirectionModel` scores a pair (X, Y) with ``s``, and the
swapped pair (Y, X) with exactly ``-s``. :class:`Calibration` turns ``s`` into

    P(X->Y), P(Y->X), P(neither)

with a multinomial logistic map whose form is symmetric under ``s -> -s`` by construction:
with ``u = s / scale``,

    even(u) = a + b1 |u| + b2 u^2          (the same for (X, Y) and (Y, X))
    odd(u)  = c1 u + c2 u |u|              (changes sign with u)
    z(X->Y) = even + odd,   z(Y->X) = even - odd,   z(neither) = 0
    P = softmax(z)

Negating ``u`` negates every odd term exactly in floating point, ``even + (-odd)`` is
``even - odd`` bit for bit, and the softmax's normaliser adds the two directed terms in an
order-free way, so ``P(X->Y)`` of (X, Y) equals ``P(Y->X)`` of (Y, X) *bitwise*. Fitting the map on
pairs and their mirrors would change nothing: under this form a mirrored pair has the same
likelihood as the pair, so the fit uses the pairs alone.

The map is fitted by maximum likelihood (L-BFGS, a tiny ridge penalty so that a separable set
stays finite) on held-out generated pairs scored by the final model; never on the validation
benchmarks. Its quality is measured by cross-fitting on the same pairs (each pair's
probabilities come from a map fitted without it): the multiclass Brier score, the log loss,
and a reliability table and plot (:func:`write_calibration_report`).

A calibration is saved as JSON (no pickle) beside the model's LightGBM text files, with the
SHA-256 of the model's metadata it was fitted for, and a digest of its own content; :meth:`Calibration.load`
checks both.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from . import __version__
from .errors import CausepairsError
from .io import atomic_path

__all__ = ["CALIBRATION_FILE", "CLASSES", "Calibration", "CalibrationLoadError", "brier_score",
           "log_loss", "one_hot", "reliability_table", "write_calibration_report"]

#: The file name of a model directory's calibration.
CALIBRATION_FILE = "calibration.json"
#: Column order of every probability array: P(X->Y), P(Y->X), P(neither). Target 1, -1, 0.
CLASSES = ("X->Y", "Y->X", "neither")
_TARGET_OF_CLASS = (1, -1, 0)
#: Bump when the JSON layout or the form of the map changes.
CALIBRATION_FORMAT_VERSION = 1
_FORMAT = "causepairs-calibration"
_COEFFICIENTS = ("intercept", "abs", "square", "odd", "odd_abs")
#: Ridge penalty on the slopes (not the intercept), per pair: keeps a perfectly separated
#: calibration set finite, and is far below the likelihood's curvature on any real set.
_RIDGE = 1e-4
#: Scaled scores are clipped to +-this before the map (1,000 times the mean absolute score).
_U_LIMIT = 1000.0
#: Fewest pairs a calibration is fitted on: below this the cross-fitted Brier score is noise.
MIN_CALIBRATION_PAIRS = 30


class CalibrationLoadError(CausepairsError, ValueError):
    """A calibration file that cannot be used: unreadable, edited, or for another model."""


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(content: Mapping) -> str:
    body = {k: v for k, v in content.items() if k != "calibration_sha256"}
    return _sha256_text(json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False))


def _check_target(target) -> np.ndarray:
    target = np.asarray(target)
    if target.ndim != 1 or target.dtype.kind not in "iuf" or not np.isin(target, (-1, 0, 1)).all():
        raise ValueError("target must be a 1-D array of -1, 0 and 1")
    return target.astype(np.int64)


def _check_scores(scores) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {scores.shape}")
    return scores


def one_hot(target) -> np.ndarray:
    """Target in {1, -1, 0} as rows of indicators in the order of :data:`CLASSES`."""
    target = _check_target(target)
    return np.stack([target == t for t in _TARGET_OF_CLASS], axis=1).astype(np.float64)


def brier_score(proba, target) -> float:
    """Multiclass Brier score: mean over pairs of the squared distance between the three
    probabilities and the indicator of the true class (0 perfect, 2 worst)."""
    proba = np.asarray(proba, dtype=np.float64)
    return float(np.mean(np.sum((proba - one_hot(target)) ** 2, axis=1)))


def log_loss(proba, target) -> float:
    """Mean negative log-probability of the true class (natural log)."""
    proba = np.asarray(proba, dtype=np.float64)
    chosen = np.sum(proba * one_hot(target), axis=1)
    return float(-np.mean(np.log(np.clip(chosen, 1e-300, None))))


# -- the map ---------------------------------------------------------------------------------

def _design(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Even and odd basis functions of ``u``; each odd column changes sign exactly with u."""
    magnitude = np.abs(u)
    even = np.stack([np.ones_like(u), magnitude, u * u], axis=1)
    odd = np.stack([u, u * magnitude], axis=1)
    return even, odd


def _logits(theta: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    even_basis, odd_basis = _design(u)
    # Summed term by term in a fixed order, so that odd(-u) == -odd(u) bit for bit (a dot
    # product may reorder or fuse the additions).
    even = even_basis[:, 0] * theta[0] + even_basis[:, 1] * theta[1] + even_basis[:, 2] * theta[2]
    odd = odd_basis[:, 0] * theta[3] + odd_basis[:, 1] * theta[4]
    return even + odd, even - odd


def _softmax3(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Softmax of (forward, backward, 0), symmetric in its two arguments bit for bit."""
    top = np.maximum(np.maximum(forward, backward), 0.0)
    e_forward = np.exp(forward - top)
    e_backward = np.exp(backward - top)
    e_neither = np.exp(-top)
    # Addition is commutative in IEEE arithmetic: (f + b) is (b + f), so swapping the
    # directions leaves the normaliser unchanged.
    total = (e_forward + e_backward) + e_neither
    return np.stack([e_forward / total, e_backward / total, e_neither / total], axis=1)


def _negative_log_likelihood(theta: np.ndarray, u: np.ndarray, indicator: np.ndarray):
    forward, backward = _logits(theta, u)
    proba = _softmax3(forward, backward)
    n = len(u)
    top = np.maximum(np.maximum(forward, backward), 0.0)
    log_total = top + np.log(np.exp(forward - top) + np.exp(backward - top) + np.exp(-top))
    chosen = indicator[:, 0] * forward + indicator[:, 1] * backward
    value = float(np.sum(log_total - chosen)) / n
    # d/d z_forward = p_f - y_f ; d/d z_backward = p_b - y_b
    d_forward = proba[:, 0] - indicator[:, 0]
    d_backward = proba[:, 1] - indicator[:, 1]
    even_basis, odd_basis = _design(u)
    # Sums, not matrix products: BLAS may split a product across threads and change its
    # rounding with the thread count; the fit must give the same bits on every machine.
    d_even, d_odd = d_forward + d_backward, d_forward - d_backward
    grad = np.array([np.sum(even_basis[:, k] * d_even) for k in range(3)]
                    + [np.sum(odd_basis[:, k] * d_odd) for k in range(2)]) / n
    slopes = theta.copy()
    slopes[0] = 0.0
    value += 0.5 * _RIDGE * float(np.sum(slopes * slopes))
    grad += _RIDGE * slopes
    return value, grad


def _fit_theta(u: np.ndarray, target: np.ndarray) -> np.ndarray:
    from scipy.optimize import minimize

    indicator = one_hot(target)
    # Start from the class frequencies (directed classes pooled: the map is symmetric).
    directed = max(float(indicator[:, :2].sum()) / 2.0, 0.5)
    neither = max(float(indicator[:, 2].sum()), 0.5)
    start = np.array([math.log(directed / neither), 0.0, 0.0, 0.0, 0.0])
    result = minimize(_negative_log_likelihood, start, args=(u, indicator), jac=True,
                      method="L-BFGS-B", options={"maxiter": 1000, "gtol": 1e-9})
    if not np.all(np.isfinite(result.x)):
        raise ValueError("the calibration fit did not converge to finite coefficients")
    return result.x


def _folds(target: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    # Folds stratified on direction vs neither: the map pools the two directions.
    strata = (target != 0).astype(np.int64)
    fold = np.full(len(target), -1, dtype=np.int64)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(target)), strata)):
        fold[test] = k
    return fold


@dataclass
class Calibration:
    """A fitted map from the direction score to three probabilities (see the module).

    Attributes
    ----------
    coefficients : numpy.ndarray
        ``a, b1, b2, c1, c2`` in the order of the module's formula.
    scale : float
        Scores are divided by it first (the mean absolute score of the calibration pairs),
        so the coefficients are of order one.
    model_digest : str or None
        ``metadata_sha256`` of the model the calibration was fitted for.
    fit_info : dict
        Facts about the fit: pairs, class counts, where the pairs came from, cross-fitted
        Brier score, log loss and the same for the class-frequency baseline.
    """

    coefficients: np.ndarray
    scale: float
    model_digest: str | None = None
    fit_info: dict = field(default_factory=dict)
    #: Cross-fitted probabilities of the calibration pairs (only after :meth:`fit`).
    cross_fitted_: np.ndarray | None = field(default=None, repr=False)

    # -- use -------------------------------------------------------------------------------

    def probabilities(self, scores) -> np.ndarray:
        """P(X->Y), P(Y->X), P(neither) for each score, one row per score.

        ``probabilities(-s)`` has the first two columns of ``probabilities(s)`` swapped, bit
        for bit; each row sums to 1 (to rounding). A NaN score gives a NaN row.
        """
        scores = _check_scores(scores)
        # Clipped symmetrically (so still exactly odd): far beyond the calibration pairs' range
        # the map only extrapolates, and u^2 of a huge score would overflow to inf - inf.
        u = np.clip(scores / self.scale, -_U_LIMIT, _U_LIMIT)
        forward, backward = _logits(np.asarray(self.coefficients, dtype=np.float64), u)
        return _softmax3(forward, backward)

    # -- fitting ---------------------------------------------------------------------------

    @classmethod
    def fit(cls, scores, target, *, model_digest: str | None = None, source: str | None = None,
            n_folds: int = 5, seed: int = 0) -> "Calibration":
        """Fit the map on scored, labelled pairs (held-out generated pairs, never benchmarks).

        Parameters
        ----------
        scores : array-like of float
            The model's direction scores of the pairs.
        target : array-like of {-1, 0, 1}
            Their true classes (1: first causes second; -1: second causes first; 0: neither).
        model_digest : str, optional
            ``metadata_sha256`` of the model that scored them (recorded, checked on load).
        source : str, optional
            Where the pairs came from, for the record.
        n_folds : int
            Folds of the cross-fitting that measures the calibration's quality.
        seed : int
            Seed of the cross-fitting folds.

        Returns
        -------
        Calibration
            Fitted on all pairs; ``fit_info`` holds the cross-fitted scores and
            ``cross_fitted_`` each pair's cross-fitted probabilities.
        """
        scores = _check_scores(scores)
        target = _check_target(target)
        if scores.shape != target.shape:
            raise ValueError(f"scores and target differ in length: {len(scores)} vs {len(target)}")
        if not np.all(np.isfinite(scores)):
            raise ValueError("scores must be finite to fit a calibration (a degenerate pair "
                             "has a NaN score: leave it out)")
        if len(scores) < MIN_CALIBRATION_PAIRS:
            raise ValueError(f"a calibration needs at least {MIN_CALIBRATION_PAIRS} pairs, got "
                             f"{len(scores)}")
        n_directed, n_neither = int((target != 0).sum()), int((target == 0).sum())
        if min(n_directed, n_neither) < n_folds:
            raise ValueError(f"a calibration needs at least {n_folds} causal and {n_folds} "
                             f"non-causal pairs, got {n_directed} and {n_neither}")
        scale = float(np.mean(np.abs(scores)))
        if not scale > 0:
            raise ValueError("every score is 0: nothing to calibrate")

        u = scores / scale
        fold = _folds(target, n_folds, seed)
        crossed = np.empty((len(scores), 3))
        for k in range(n_folds):
            test = fold == k
            theta = _fit_theta(u[~test], target[~test])
            crossed[test] = _softmax3(*_logits(theta, u[test]))
        theta = _fit_theta(u, target)

        counts = {str(t): int((target == t).sum()) for t in (-1, 0, 1)}
        directed = (counts["1"] + counts["-1"]) / 2.0 / len(target)
        prior = np.tile([directed, directed, counts["0"] / len(target)], (len(target), 1))
        info = {"n_pairs": int(len(target)), "class_counts": counts, "source": source,
                "n_folds": int(n_folds), "seed": int(seed),
                "brier": brier_score(crossed, target),
                "log_loss": log_loss(crossed, target),
                "brier_class_frequencies": brier_score(prior, target),
                "log_loss_class_frequencies": log_loss(prior, target)}
        return cls(theta, scale, model_digest, info, crossed)

    # -- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The JSON content :meth:`save` writes (with its digest)."""
        content = {
            "format": _FORMAT,
            "format_version": CALIBRATION_FORMAT_VERSION,
            "causepairs_version": __version__,
            "classes": list(CLASSES),
            "method": "symmetric multinomial logistic map of the antisymmetric score "
                      "(causepairs.calibration)",
            "scale": float(self.scale),
            "coefficients": {name: float(v) for name, v in zip(_COEFFICIENTS,
                                                               self.coefficients)},
            "model_metadata_sha256": self.model_digest,
            "fit": self.fit_info,
        }
        # Through JSON first, so that the digest is of exactly what load() reads back.
        content = json.loads(json.dumps(content, allow_nan=False))
        content["calibration_sha256"] = _digest(content)
        return content

    def save(self, path) -> Path:
        """Write the calibration as JSON to ``path`` (a file, or a model directory)."""
        path = Path(path)
        if path.is_dir():
            path = path / CALIBRATION_FILE
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path, model_digest: str | None = None) -> "Calibration":
        """Read a calibration written by :meth:`save`, checking it before use.

        Parameters
        ----------
        path : path
            The JSON file, or a model directory holding :data:`CALIBRATION_FILE`.
        model_digest : str, optional
            ``metadata_sha256`` of the model it will be used with: must equal the recorded
            one (a calibration is only valid for the scores of its own model).

        Raises
        ------
        CalibrationLoadError
            Missing or unreadable file, another format, content edited after saving,
            coefficients that are not finite numbers, or another model's calibration.
        """
        path = Path(path)
        if path.is_dir():
            path = path / CALIBRATION_FILE
        if not path.is_file():
            raise CalibrationLoadError(f"{path}: no calibration file")
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(content, dict):
                raise ValueError("not a JSON object")
            kind, version = content.get("format"), content.get("format_version")
            scale = content["scale"]
            coefficients = [content["coefficients"][name] for name in _COEFFICIENTS]
            recorded_model = content.get("model_metadata_sha256")
            fit_info = dict(content.get("fit") or {})
        except (ValueError, KeyError, TypeError) as exc:
            raise CalibrationLoadError(f"{path}: unreadable calibration ({exc})") from None
        if kind != _FORMAT or version != CALIBRATION_FORMAT_VERSION:
            raise CalibrationLoadError(f"{path}: not a causepairs calibration of format "
                                       f"{CALIBRATION_FORMAT_VERSION} (format {kind!r}, "
                                       f"version {version!r})")
        try:
            digest = _digest(content)
        except ValueError as exc:
            raise CalibrationLoadError(f"{path}: unreadable calibration ({exc})") from None
        if content.get("calibration_sha256") != digest:
            raise CalibrationLoadError(f"{path}: its SHA-256 differs from the one recorded in "
                                       "it (edited after saving); fit it again")
        numbers = [scale, *coefficients]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and math.isfinite(v) for v in numbers) or not scale > 0:
            raise CalibrationLoadError(f"{path}: scale and coefficients must be finite numbers "
                                       "(scale > 0)")
        if model_digest is not None and recorded_model != model_digest:
            raise CalibrationLoadError(f"{path}: fitted for the model with metadata SHA-256 "
                                       f"{recorded_model}, not this model ({model_digest}); "
                                       "calibrate this model again")
        return cls(np.array(coefficients, dtype=np.float64), float(scale), recorded_model,
                   fit_info)


# -- the report ------------------------------------------------------------------------------

def reliability_table(proba, target, n_bins: int = 10) -> pd.DataFrame:
    """Predicted against observed frequency, per class and per bin of predicted probability.

    Rows: one per (class, non-empty bin of width ``1 / n_bins``), with ``n``, the mean
    predicted probability and the observed frequency of the class among the bin's pairs.
    """
    proba = np.asarray(proba, dtype=np.float64)
    indicator = one_hot(target)
    rows = []
    for k, name in enumerate(CLASSES):
        bins = np.minimum((proba[:, k] * n_bins).astype(np.int64), n_bins - 1)
        for b in range(n_bins):
            member = bins == b
            if member.any():
                rows.append({"class": f"P({name})", "bin": f"{b / n_bins:.1f}-{(b + 1) / n_bins:.1f}",
                             "n": int(member.sum()),
                             "mean predicted": float(proba[member, k].mean()),
                             "observed": float(indicator[member, k].mean())})
    return pd.DataFrame(rows).set_index(["class", "bin"])


def _plot_reliability(table: pd.DataFrame, path: Path, title: str) -> None:
    from .report import _pyplot, _save_figure

    plt = _pyplot()
    figure, axes = plt.subplots(1, len(CLASSES), figsize=(12, 4.2), sharey=True)
    for ax, name in zip(axes, CLASSES):
        label = f"P({name})"
        rows = table.loc[label] if label in table.index.get_level_values(0) else None
        ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1)
        if rows is not None:
            ax.plot(rows["mean predicted"], rows["observed"], marker="o", color="tab:blue")
            for x, y, n in zip(rows["mean predicted"], rows["observed"], rows["n"]):
                ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(3, -10),
                            fontsize=7, color="0.35")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("mean predicted probability")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("observed frequency")
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)


def write_calibration_report(calibration: Calibration, target, directory,
                             n_bins: int = 10) -> dict[str, Path]:
    """Write ``report.md``, ``report.json`` and ``reliability.png`` of a calibration's
    cross-fitted probabilities (from :meth:`Calibration.fit`) into ``directory``."""
    from .report import Report

    if calibration.cross_fitted_ is None:
        raise ValueError("only a calibration from Calibration.fit has cross-fitted "
                         "probabilities to report")
    target = _check_target(target)
    info = calibration.fit_info
    table = reliability_table(calibration.cross_fitted_, target, n_bins)
    report = Report("causepairs calibration")
    report.add_facts("Calibration", "calibration", {
        "pairs": info.get("n_pairs"),
        "source": info.get("source"),
        "class counts (-1, 0, 1)": ", ".join(str(info["class_counts"][t])
                                             for t in ("-1", "0", "1")),
        "Brier score (cross-fitted)": info["brier"],
        "Brier score, class frequencies": info["brier_class_frequencies"],
        "log loss (cross-fitted)": info["log_loss"],
        "log loss, class frequencies": info["log_loss_class_frequencies"],
        "folds": info.get("n_folds"),
    })
    report.add_text(None, "P(X->Y), P(Y->X), P(neither) from the antisymmetric score by a "
                          "multinomial logistic map symmetric under swapping X and Y. Each "
                          "pair's probabilities come from a map fitted on the other folds. "
                          "Brier score: mean squared distance of the three probabilities from "
                          "the true class's indicator (0 best, 2 worst); the class-frequency "
                          "line is what a calibrated model with no information would score.")
    flat = table.reset_index()
    flat.index = [f"{c} {b}" for c, b in zip(flat["class"], flat["bin"])]
    report.add_table("Reliability", "reliability", flat[["n", "mean predicted", "observed"]],
                     note="Pairs grouped by predicted probability of each class: a "
                          "calibrated model's observed frequency equals its mean prediction.")
    report.add_text(None, "![Reliability](reliability.png)")
    directory = Path(directory)
    paths = report.write(directory)
    paths["reliability"] = directory / "reliability.png"
    _plot_reliability(table, paths["reliability"],
                      f"Reliability on {info.get('n_pairs')} held-out pairs (cross-fitted; "
                      f"Brier {info['brier']:.4f})")
    return paths
