"""Adversarial pairs: the inputs that real tables hold and random continuous data never does.

The feature factory and its kernels must be memory-safe and well defined on every finite pair,
whatever its declared types. This corpus is what the fuzz script (``scripts/fuzz_kernels.py``)
and the adversarial tests feed them: every one of the nine type combinations; 2-6 levels,
balanced (tied largest counts), unbalanced, or one level holding 95%; heavy ties; every value
distinct under a Categorical/Binary label; quantile codes; constant and near-constant
variables; magnitudes near 1e200 and 1e-300; duplicated points; codes that are negative, do
not start at 0 or are fractional; a Binary with 3 values. Sizes run from 2 to a few thousand
and concentrate on the boundaries of the fold counts (5, 10), the models' k (5, 10, 15, 50),
bin counts (5, 10, 20) and subsample limits (200).

Everything is deterministic from ``seed``: pair ``i`` of ``adversarial_corpus(n, seed)`` is
the same whatever ``n`` is (each pair draws from its own generator), so a failing pair is
named by its index and rebuilt alone with :func:`adversarial_pair`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["TYPES", "SHAPES", "BOUNDARY_SIZES", "LARGE_SIZES", "AdversarialPair",
           "adversarial_pair", "adversarial_corpus", "kernel_calls", "with_non_finite"]

TYPES = ("Numerical", "Categorical", "Binary")

#: Sample sizes on both sides of every count a kernel loops over: fold counts 5 and 10, k of
#: the kNN models (5, 10, 15, 50), bin counts (5, 10, 20), kmeans clusters, the minimum pair
#: size (10) and the residual-HSIC subsample (200).
BOUNDARY_SIZES = (2, 3, 4, 5, 6, 9, 10, 11, 12, 14, 15, 16, 19, 20, 21, 30, 31, 32, 49, 50,
                  51, 52, 99, 100, 101, 199, 200, 201)
#: Larger sizes, drawn less often (they cost the most).
LARGE_SIZES = (500, 700, 1000, 2000, 3000)


def _levels(rng: np.random.Generator, n: int, n_levels: int, weights=None) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return rng.choice(n_levels, size=n, p=p).astype(np.float64)


def _balanced(rng, n, n_levels):
    """Equal-count levels (every level tied for the largest count when n_levels divides n)."""
    return rng.permutation(np.arange(n) % n_levels).astype(np.float64)


def _quantile_codes(rng, n, n_levels):
    """Quantile bins of a continuous variable: the ordinary way to get tied level counts."""
    z = rng.standard_normal(n)
    edges = np.quantile(z, np.linspace(0, 1, n_levels + 1)[1:-1])
    return np.searchsorted(edges, z).astype(np.float64)


# Each shape makes one variable of length n from a generator and a "driver" (the other
# variable's underlying continuous value, so that some pairs are dependent).
Shape = Callable[[np.random.Generator, int, np.ndarray], np.ndarray]


def _continuous(rng, n, drive):
    return drive + 0.5 * rng.standard_normal(n)


def _rounded(rng, n, drive):
    return np.round(drive + 0.5 * rng.standard_normal(n))


def _challenge_rounded(rng, n, drive):
    v = np.tanh(drive) + 0.3 * rng.standard_normal(n)
    sd = v.std()
    return np.round((v - v.mean()) / (sd if sd > 0 else 1.0) * 10000.0)


def _few_levels(rng, n, drive):
    return _levels(rng, n, int(rng.integers(2, 7)))


def _balanced_levels(rng, n, drive):
    return _balanced(rng, n, int(rng.integers(2, 7)))


def _unbalanced_levels(rng, n, drive):
    k = int(rng.integers(2, 7))
    return _levels(rng, n, k, rng.exponential(size=k) + 0.01)


def _dominant_level(rng, n, drive):
    k = int(rng.integers(2, 7))
    return _levels(rng, n, k, [0.95] + [0.05 / (k - 1)] * (k - 1))


def _quantiles(rng, n, drive):
    return _quantile_codes(rng, n, int(rng.integers(2, 7)))


def _driven_quantiles(rng, n, drive):
    k = int(rng.integers(2, 7))
    edges = np.quantile(drive, np.linspace(0, 1, k + 1)[1:-1])
    return np.searchsorted(edges, drive).astype(np.float64)


def _all_distinct(rng, n, drive):
    return rng.permutation(n).astype(np.float64)


def _all_distinct_floats(rng, n, drive):
    return drive + 1e-3 * np.arange(n)


def _constant(rng, n, drive):
    return np.full(n, float(rng.choice([0.0, 1.0, -7.0, 3.5])))


def _near_constant(rng, n, drive):
    v = np.zeros(n)
    v[int(rng.integers(n))] = 1.0
    return v


def _near_constant_float(rng, n, drive):
    return 1.0 + np.where(rng.random(n) < 0.02, 1e-12, 0.0)


def _negative_codes(rng, n, drive):
    return _levels(rng, n, int(rng.integers(2, 7))) - 3.0


def _offset_codes(rng, n, drive):
    k = int(rng.integers(2, 7))
    labels = np.sort(rng.choice(np.arange(1, 200), size=k, replace=False)).astype(np.float64)
    return labels[_levels(rng, n, k).astype(np.int64)]


def _fractional_codes(rng, n, drive):
    return _levels(rng, n, int(rng.integers(2, 7))) * 0.5 + 0.25


def _three_valued_binary(rng, n, drive):
    return _levels(rng, n, 3, [0.45, 0.45, 0.1])


def _binary(rng, n, drive):
    return (drive + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)


def _huge(rng, n, drive):
    return (drive + 0.5 * rng.standard_normal(n)) * 1e200


def _tiny(rng, n, drive):
    return (drive + 0.5 * rng.standard_normal(n)) * 1e-300


def _huge_levels(rng, n, drive):
    return _levels(rng, n, int(rng.integers(2, 7))) * 1e200


def _tiny_levels(rng, n, drive):
    return _levels(rng, n, int(rng.integers(2, 7))) * 1e-300


def _mixed_magnitudes(rng, n, drive):
    v = drive.copy()
    v[rng.random(n) < 0.1] *= 1e150
    return v


def _heavy_ties_two_values(rng, n, drive):
    return np.where(rng.random(n) < 0.5, -1.0, 2.0)


SHAPES: dict[str, Shape] = {
    "continuous": _continuous,
    "rounded": _rounded,
    "challenge_rounded": _challenge_rounded,
    "few_levels": _few_levels,
    "balanced_levels": _balanced_levels,
    "unbalanced_levels": _unbalanced_levels,
    "dominant_level": _dominant_level,
    "quantile_codes": _quantiles,
    "driven_quantile_codes": _driven_quantiles,
    "all_distinct_codes": _all_distinct,
    "all_distinct_floats": _all_distinct_floats,
    "constant": _constant,
    "near_constant": _near_constant,
    "near_constant_float": _near_constant_float,
    "negative_codes": _negative_codes,
    "offset_codes": _offset_codes,
    "fractional_codes": _fractional_codes,
    "three_valued_binary": _three_valued_binary,
    "binary": _binary,
    "huge": _huge,
    "tiny": _tiny,
    "huge_levels": _huge_levels,
    "tiny_levels": _tiny_levels,
    "mixed_magnitudes": _mixed_magnitudes,
    "two_values": _heavy_ties_two_values,
}


@dataclass(frozen=True)
class AdversarialPair:
    """One corpus pair: A and B (float64), their declared types and how they were made."""

    index: int
    name: str
    a: np.ndarray
    b: np.ndarray
    a_type: str
    b_type: str


def _size(rng: np.random.Generator, max_n: int) -> int:
    sizes = [n for n in BOUNDARY_SIZES if n <= max_n]
    large = [n for n in LARGE_SIZES if n <= max_n]
    if large and rng.random() < 0.08:
        return int(rng.choice(large))
    return int(rng.choice(sizes))


def adversarial_pair(index: int, seed: int = 0, max_n: int = 3000) -> AdversarialPair:
    """Pair ``index`` of the corpus with this ``seed`` (see the module docstring).

    The type combination cycles through all nine with the index; the shapes of A and B, the
    size, whether B depends on A and whether the points are duplicated are drawn from a
    generator seeded by ``(seed, index)``.
    """
    rng = np.random.default_rng([seed, index])
    a_type, b_type = TYPES[index % 3], TYPES[(index // 3) % 3]
    names = list(SHAPES)
    a_shape, b_shape = (names[int(i)] for i in rng.integers(len(names), size=2))
    n = _size(rng, max_n)
    repeats = 1
    if n >= 4 and rng.random() < 0.15:  # duplicated points: the pair tiled 2-4 times
        repeats = int(rng.integers(2, 5))
        n = max(1, n // repeats)
    drive_a = rng.standard_normal(n)
    dependent = rng.random() < 0.7
    drive_b = np.tanh(drive_a) + 0.3 * rng.standard_normal(n) if dependent else \
        rng.standard_normal(n)
    a = np.ascontiguousarray(SHAPES[a_shape](rng, n, drive_a), dtype=np.float64)
    b = np.ascontiguousarray(SHAPES[b_shape](rng, n, drive_b), dtype=np.float64)
    if repeats > 1:
        a, b = np.tile(a, repeats), np.tile(b, repeats)
    name = (f"{index}:{a_type[:3]}-{b_type[:3]}:{a_shape}/{b_shape}:n={len(a)}"
            + (f":x{repeats}" if repeats > 1 else "") + (":dep" if dependent else ""))
    return AdversarialPair(index, name, a, b, a_type, b_type)


def adversarial_corpus(n_pairs: int, seed: int = 0, max_n: int = 3000,
                       start: int = 0) -> list[AdversarialPair]:
    """Pairs ``start .. start + n_pairs - 1`` of the corpus (see :func:`adversarial_pair`)."""
    return [adversarial_pair(i, seed, max_n) for i in range(start, start + n_pairs)]


# ---------------------------------------------------------------------------------------------
# every public kernel, called on one pair
# ---------------------------------------------------------------------------------------------

def _fold_layouts(n: int) -> dict[str, np.ndarray]:
    """Fold arrays that stress the out-of-fold loops: the factory's 5 and 10 folds, leave-one-
    out, everything in one fold (every training set empty) and two folds by halves."""
    from ..kernels._validation import make_folds

    layouts = {"k5": make_folds(n, 5, 0), "k10": make_folds(n, 10, 0),
               "one": np.zeros(n, dtype=np.int64)}
    if n <= 250:  # several models refit per fold: leave-one-out is O(n^2)
        layouts["loo"] = np.arange(n, dtype=np.int64)
    if n >= 2:
        layouts["halves"] = (np.arange(n) >= n // 2).astype(np.int64)
    return layouts


def kernel_calls() -> dict[str, Callable[[np.ndarray, np.ndarray, dict], object]]:
    """Every public kernel of ``causepairs.kernels``, as ``call(a, b, folds_by_layout)``.

    Out-of-fold models run on every fold layout; binned kernels on bin counts either side of
    their boundaries. Any value (finite or not) must give a result or a documented
    ValueError/TypeError, never a crash or an out-of-bounds access.
    """
    from ..kernels import causal as cau
    from ..kernels import classification as clf
    from ..kernels import classification_metrics as cm
    from ..kernels import conversions as conv
    from ..kernels import dependence as dep
    from ..kernels import regression as reg
    from ..kernels import regression_metrics as rm
    from ..kernels import univariate as uni

    calls: dict[str, Callable] = {}

    def one(name, fn):
        calls[name] = lambda a, b, folds: (fn(a), fn(b))

    for k in (2, 3, 5, 10, 11, 20):
        for binner in ("equal_frequency_bins", "equal_width_bins", "kmeans_bins"):
            one(f"conversions.{binner}({k})", lambda x, f=getattr(conv, binner), k=k: f(x, k))
    for name in ("one_hot_pca1", "frequency_encoding", "ordinal_codes", "rank_uniform",
                 "standardise"):
        one(f"conversions.{name}", getattr(conv, name))
    for name in ("entropy_spacing", "entropy_vasicek", "entropy_discrete", "skewness",
                 "kurtosis", "jarque_bera", "anderson_darling", "lilliefors", "unique_count",
                 "unique_ratio", "discreteness", "mode_count"):
        one(f"univariate.{name}", getattr(uni, name))
    for bins in (2, 5, 10, 16):
        one(f"univariate.entropy_binned({bins})",
            lambda x, bins=bins: uni.entropy_binned(x, n_bins=bins))
    one("regression.robust_scale", reg.robust_scale)

    def two(name, fn):
        calls[name] = lambda a, b, folds: (fn(a, b), fn(b, a))

    for name in ("pearson", "spearman", "kendall_tau", "distance_correlation", "hsic",
                 "normalized_hsic", "chi_square", "cramers_v", "normalized_mutual_info",
                 "adjusted_mutual_info", "adjusted_rand", "conditional_entropy"):
        two(f"dependence.{name}", getattr(dep, name))
    two("dependence.hsic(max_exact=16)", lambda x, y: dep.hsic(x, y, max_exact=16))
    two("dependence.hsic_and_normalized", dep.hsic_and_normalized)
    for bins in (2, 5, 10):
        two(f"dependence.mutual_info_binned({bins})",
            lambda x, y, bins=bins: dep.mutual_info_binned(x, y, n_bins=bins))
    for k in (1, 3, 10):
        two(f"dependence.mutual_info_ksg({k})",
            lambda x, y, k=k: dep.mutual_info_ksg(x, y, n_neighbors=k))
    for reference in ("uniform", "gaussian"):
        two(f"causal.igci_slope({reference})",
            lambda x, y, r=reference: cau.igci_slope(x, y, reference=r))
        two(f"causal.igci_entropy({reference})",
            lambda x, y, r=reference: cau.igci_entropy(x, y, reference=r))
    two("causal.reci", cau.reci)
    for bins in (2, 10):
        two(f"causal.cdv({bins})", lambda x, y, bins=bins:
            cau.conditional_distribution_variability(x, y, n_bins=bins))
        two(f"causal.cds({bins})", lambda x, y, bins=bins:
            cau.conditional_distribution_similarity(x, y, n_bins=bins))
    for k in (1, 10, 50):
        two(f"causal.anm_score({k})", lambda x, y, k=k: cau.anm_score(x, y, n_neighbors=k))
    two("causal.reci_isotonic", cau.reci_isotonic)
    two("causal.mdl_score", cau.mdl_score)
    for name in ("quantile_score", "location_scale_hsic", "location_scale_likelihood",
                 "reci_knn"):
        for k in (1, 30, 300):
            two(f"causal.{name}({k})",
                lambda x, y, f=getattr(cau, name), k=k: f(x, y, n_neighbors=k))

    def fitted(name, fn, metrics):
        def call(a, b, folds):
            results = []
            for fold_ids in folds.values():
                for x, y in ((a, b), (b, a)):
                    pred = fn(x, y, fold_ids)
                    results.append(metrics(x, y, pred))
            return results
        calls[name] = call

    def regression_scores(x, y, pred):
        return rm.regression_metrics(y, pred, x)

    regression_models = {
        "oof_linear": {}, "oof_polynomial(2)": {"degree": 2}, "oof_polynomial(5)": {"degree": 5},
        "oof_knn_regression(1)": {"k": 1}, "oof_knn_regression(5)": {"k": 5},
        "oof_knn_regression(15)": {"k": 15}, "oof_knn_regression(50)": {"k": 50},
        "oof_nadaraya_watson(0.1)": {"bandwidth": 0.1},
        "oof_nadaraya_watson(1)": {"bandwidth": 1.0},
        "oof_isotonic(inc)": {"increasing": True}, "oof_isotonic(dec)": {"increasing": False},
        "oof_binned_means(5)": {"n_bins": 5}, "oof_binned_means(20)": {"n_bins": 20},
        "oof_tree_regression(1)": {"max_depth": 1}, "oof_tree_regression(4)": {"max_depth": 4},
        "oof_boosted_stumps(10)": {"n_rounds": 10}, "oof_smoothing_spline": {},
    }
    for label, kwargs in regression_models.items():
        fn = getattr(reg, label.split("(")[0])
        fitted(f"regression.{label}", lambda x, y, f, fn=fn, kw=kwargs: fn(x, y, f, **kw),
               regression_scores)

    def classification_scores(x, y, proba):
        codes, _ = _codes(y)
        if proba.shape[0] == 0 or codes is None:
            return None
        return cm.classification_metrics(codes, proba)

    classification_models = {
        "oof_bin_frequencies(5)": {"n_bins": 5}, "oof_bin_frequencies(10)": {"n_bins": 10},
        "oof_knn_classification(1)": {"n_neighbors": 1},
        "oof_knn_classification(15)": {"n_neighbors": 15, "alpha": 1.0},
        "oof_knn_classification(50)": {"n_neighbors": 50, "alpha": 1.0},
        "oof_naive_bayes": {}, "oof_logistic": {},
        "oof_classification_tree(2)": {"max_depth": 2},
        "oof_classification_tree(4)": {"max_depth": 4},
    }
    def class_target(y):
        # A target of more classes than the factory classifies (a continuous variable typed
        # Categorical) is cut to equal-frequency bins: the logistic model is O(k^3) per step.
        if np.isfinite(y).all() and len(np.unique(y)) > 64:
            return conv.equal_frequency_bins(y, 20)
        return y

    for label, kwargs in classification_models.items():
        fn = getattr(clf, label.split("(")[0])
        fitted(f"classification.{label}",
               lambda x, y, f, fn=fn, kw=kwargs: fn(x, class_target(y), f, **kw),
               lambda x, y, proba: classification_scores(x, class_target(y), proba))
    return calls


def _codes(labels):
    from ..kernels._validation import as_codes

    if not np.isfinite(labels).all():
        return None, 0
    return as_codes(labels)


def with_non_finite(pair: AdversarialPair) -> tuple[np.ndarray, np.ndarray]:
    """A and B with a NaN in A and an inf in B (for the kernels' non-finite input rules)."""
    a, b = pair.a.copy(), pair.b.copy()
    if len(a):
        a[len(a) // 2] = np.nan
        b[0] = np.inf
    return a, b
