"""Fit families: out-of-fold 1-D models in both directions, every fit scored by every metric.

A cell is (input view, target view, model). Its compute runs on the input view's one shared
sort: the target is put in that order, the model's sorted core predicts out of fold with the
pair's one fold assignment, and the metrics are computed on the sorted arrays in one pass.
Models that only see the order of their input (isotonic, binned, trees, boosted stumps) are
not crossed with the ``rank`` view, which would repeat the ``raw`` view's values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from ...kernels import classification as clf
from ...kernels import classification_metrics as clf_metrics
from ...kernels import regression as reg
from ...kernels import regression_metrics as reg_metrics
from ...kernels.classification_metrics import CLASSIFICATION_METRIC_NAMES
from ...kernels.cores import KernelCore
from ...kernels.dependence import hsic_given_x_side, hsic_x_side
from ...kernels.regression_metrics import REGRESSION_METRIC_NAMES
from ..registry import Family, register
from ._engines import kernel_module

#: HSIC of a fit's residual with its input is O(n^2): on every fit it would dominate the
#: pair's time (2.9 ms at n = 1,000 against ~0.3 ms for the fit), so it is computed on this
#: many points, evenly spaced in the input's sorted order (0.13 ms).
RESIDUAL_HSIC_POINTS = 200

_INPUT_VIEWS = ("raw", "rank", "freq", "pca1")

#: A classification target with more categories than this gives NaN cells: it is a continuous
#: variable typed Categorical or Binary (binned targets have at most 20), and the logistic
#: model costs O(k^3) per Newton step (a Categorical with 1,000 distinct values ran for minutes).
MAX_TARGET_CLASSES = 64


@dataclass(frozen=True)
class Model:
    """One 1-D model: its entry in the kernel family's ``CORES`` table and the keyword
    arguments of its public function. The numba engine runs the entry's sorted core with the
    arguments the entry derives from ``kwargs``; the reference engine calls the function of the
    same name in ``causepairs.kernels.reference`` with ``kwargs`` itself."""

    kernel: KernelCore
    kwargs: dict

    @property
    def function(self) -> str:
        return self.kernel.name

    @property
    def core(self) -> Callable:
        return self.kernel.core

    @cached_property
    def args(self) -> tuple:
        return self.kernel.core_args(**self.kwargs)

    @property
    def order_only(self) -> bool:
        return self.kernel.order_only


def _regression_models() -> dict[str, Model]:
    def model(function, **kwargs):
        return Model(reg.CORES[function], kwargs)

    models = {"linear": model("oof_linear")}
    for degree in (2, 3, 5):
        models[f"poly{degree}"] = model("oof_polynomial", degree=degree)
    for k in (5, 15, 50):
        models[f"knn{k}"] = model("oof_knn_regression", k=k)
    for bandwidth in (0.1, 0.3, 1.0):
        models[f"nw{bandwidth:g}"] = model("oof_nadaraya_watson", bandwidth=bandwidth)
    for increasing, token in ((True, "iso_inc"), (False, "iso_dec")):
        models[token] = model("oof_isotonic", increasing=increasing)
    for bins in (5, 10, 20):
        models[f"binmeans{bins}"] = model("oof_binned_means", n_bins=bins)
    for depth in (1, 2, 3, 4):
        models[f"tree{depth}"] = model("oof_tree_regression", max_depth=depth)
    models["boost50"] = model("oof_boosted_stumps", n_rounds=50, learning_rate=0.1)
    models["spline"] = model("oof_smoothing_spline", lam=1e-3)
    return models


REGRESSION_MODELS = _regression_models()
_REGRESSION_MEASURES = REGRESSION_METRIC_NAMES + ("resid_hsic",)


def _order_only_not_on_rank(models):
    def valid(cell) -> bool:
        return not (models[cell.model].order_only and cell.get("in") == "rank")
    return valid


def _compute_regression(ctx, cell):
    out = np.full(len(_REGRESSION_MEASURES), np.nan)
    x, y = ctx.roles(cell.direction)
    in_view, out_view = cell.get("in"), cell.get("out")
    sorted_x = x.sorted(in_view)
    target = y.numeric(out_view)
    # Views are None where undefined or non-finite; the check stays here too because a kernel
    # fed NaN has no meaningful answer, and this is where a cell decides to be NaN.
    if sorted_x is None or target is None or not _finite(sorted_x[1], target):
        return out
    order, xs = sorted_x
    model = REGRESSION_MODELS[cell.model]
    if ctx.engine == "reference":
        inputs = x.numeric(in_view)
        fit = getattr(kernel_module("regression", "reference"), model.function)
        preds = fit(inputs, target, ctx.folds, **model.kwargs)
        metrics = kernel_module("regression_metrics", "reference").regression_metrics
        out[:-1] = metrics(target, preds, inputs)
        residual = (target - preds)[order]
        out[-1] = _residual_hsic(xs, residual, kernel_module("dependence", "reference").hsic)
        return out
    ys = target[order]
    preds = model.core(xs, ys, ctx.sorted_folds(x, in_view), *model.args)
    # the metrics' part that depends on the input alone, once per (pair, input view); bitwise
    # the CORES core's metrics
    metrics_x_side = ctx.shared(("metrics_x_side", id(x), in_view),
                                lambda: reg_metrics.metrics_x_side(xs))
    reg_metrics.regression_metrics_given_x_side(ys, preds, xs, metrics_x_side, out)
    # The input's half of the HSIC (its kernel matrix on the kept points) is the same for
    # every fit on this view: computed once per pair, bitwise as hsic() would.
    keep = _hsic_points(len(xs))
    xs_kept = xs if keep is None else xs[keep]
    x_side = ctx.shared(("hsic_x_side", id(x), in_view), lambda: hsic_x_side(xs_kept))
    residual = ys - preds
    out[-1] = hsic_given_x_side(xs_kept, residual if keep is None else residual[keep], x_side)
    return out


def _finite(*arrays: np.ndarray) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)


def _hsic_points(n: int) -> np.ndarray | None:
    """The positions (in the input's sorted order) the residual HSIC keeps; None: all."""
    if n > RESIDUAL_HSIC_POINTS:
        return (np.arange(RESIDUAL_HSIC_POINTS) * n) // RESIDUAL_HSIC_POINTS
    return None


def _residual_hsic(xs: np.ndarray, residual: np.ndarray, reference) -> float:
    keep = _hsic_points(len(xs))
    if keep is not None:
        xs, residual = xs[keep], residual[keep]
    return reference(xs, residual)


register(Family(
    name="regression", kind="directional",
    axes={"in": _INPUT_VIEWS, "out": ("std", "rank")},
    models=tuple(REGRESSION_MODELS), measures=_REGRESSION_MEASURES,
    compute=_compute_regression, cost=4, valid=_order_only_not_on_rank(REGRESSION_MODELS),
    description="out-of-fold regression of the target's numeric view on the input's, scored "
                "by fit and residual metrics"))


def _classification_models() -> dict[str, Model]:
    def model(function, **kwargs):
        return Model(clf.CORES[function], kwargs)

    models = {}
    for bins in (5, 10):
        models[f"binfreq{bins}"] = model("oof_bin_frequencies", n_bins=bins, alpha=1.0)
    for k in (15, 50):
        models[f"knnc{k}"] = model("oof_knn_classification", n_neighbors=k, alpha=1.0)
    models["nb"] = model("oof_naive_bayes", var_smoothing=1e-9)
    models["logistic"] = model("oof_logistic", C=1.0)
    for depth in (2, 4):
        models[f"ctree{depth}"] = model("oof_classification_tree", max_depth=depth)
    return models


CLASSIFICATION_MODELS = _classification_models()
_CLASSIFICATION_METRICS_CORE = clf_metrics.CORES["classification_metrics"].core


def _compute_classification(ctx, cell):
    out = np.full(len(CLASSIFICATION_METRIC_NAMES), np.nan)
    x, y = ctx.roles(cell.direction)
    in_view = cell.get("in")
    sorted_x = x.sorted(in_view)
    codes, k = y.codes(cell.get("out"))
    if sorted_x is None or not 2 <= k <= MAX_TARGET_CLASSES or not _finite(sorted_x[1]):
        return out
    model = CLASSIFICATION_MODELS[cell.model]
    if ctx.engine == "reference":
        inputs = x.numeric(in_view)
        fit = getattr(kernel_module("classification", "reference"), model.function)
        proba = fit(inputs, codes, ctx.folds, **model.kwargs)
        return kernel_module("classification_metrics", "reference").classification_metrics(
            codes, proba)
    order, xs = sorted_x
    codes_s = np.ascontiguousarray(codes[order])
    fs = ctx.sorted_folds(x, in_view)
    if model.function == "oof_knn_classification":
        # The neighbour search depends on the input and folds only: done once per (input
        # view, k) and replayed for each of the six target binnings (the same sums in the
        # same order as the model's core, which runs the same two steps).
        n_neighbors, alpha = model.args
        plan = ctx.shared(("knn_plan", id(x), in_view, n_neighbors),
                          lambda: clf.knn_neighbour_plan(xs, fs, n_neighbors))
        proba = clf.knn_plan_class_shares(codes_s, fs, k, plan, alpha)
    else:
        proba = model.core(xs, codes_s, fs, k, *model.args)
    _CLASSIFICATION_METRICS_CORE(codes_s, proba, k, out)
    return out


_TARGET_CATEGORIES = ("eqfreq2", "eqfreq5", "eqfreq10", "eqwidth10", "kmeans3", "kmeans5")

register(Family(
    name="classification", kind="directional",
    axes={"in": _INPUT_VIEWS, "out": _TARGET_CATEGORIES},
    models=tuple(CLASSIFICATION_MODELS), measures=CLASSIFICATION_METRIC_NAMES,
    compute=_compute_classification, cost=4,
    valid=_order_only_not_on_rank(CLASSIFICATION_MODELS),
    description="out-of-fold classification of the target's categories from the input's "
                "numeric view, scored by classification metrics"))
