"""Families that need no fit: statistics of one variable, dependence and causal measures."""

from __future__ import annotations

import numpy as np

from ...kernels import causal, dependence
from ..registry import Family, register
from ...types import VARIABLE_TYPES
from ._engines import kernel_module


def _call(ctx, spec, *args):
    """Call ``(module, function, kwargs)`` from the kernels or, for the reference engine,
    from their twins in ``causepairs.kernels.reference`` (same names and signatures)."""
    module, function, kwargs = spec
    return getattr(kernel_module(module, ctx.engine), function)(*args, **kwargs)

NAN = float("nan")
_NUMERIC_INPUTS = ("raw", "rank", "freq", "pca1")
_CATEGORICAL_VIEWS = ("eqfreq2", "eqfreq3", "eqfreq5", "eqfreq10", "eqfreq20", "eqwidth5",
                      "eqwidth10", "eqwidth20", "kmeans2", "kmeans3", "kmeans5", "kmeans10")


def _nan_vector(n: int) -> np.ndarray:
    return np.full(n, NAN)


# -- one variable ------------------------------------------------------------------------------

def _univariate(function, **kwargs):
    return ("univariate", function, kwargs)


_UNIVARIATE = {
    "entropy_spacing": _univariate("entropy_spacing"),
    "entropy_vasicek": _univariate("entropy_vasicek"),
    "entropy_binned10": _univariate("entropy_binned", n_bins=10),
    "entropy_discrete": _univariate("entropy_discrete"),
    "skewness": _univariate("skewness"),
    "kurtosis": _univariate("kurtosis"),
    "jarque_bera": _univariate("jarque_bera"),
    "anderson_darling": _univariate("anderson_darling"),
    "lilliefors": _univariate("lilliefors"),
    "unique_count": _univariate("unique_count"),
    "unique_ratio": _univariate("unique_ratio"),
    "discreteness": _univariate("discreteness"),
    "mode_count": _univariate("mode_count"),
}


def _compute_univariate(ctx, cell):
    variable, _ = ctx.roles(cell.direction)
    return np.array([_call(ctx, spec, variable.values) for spec in _UNIVARIATE.values()])


register(Family(
    name="univariate", kind="univariate", axes={}, models=(),
    measures=tuple(_UNIVARIATE), compute=_compute_univariate, cost=1,
    description="statistics of each variable alone: entropies, moments, normality, "
                "discreteness, modes"))


def _compute_type(ctx, cell):
    variable, _ = ctx.roles(cell.direction)
    flags = [float(variable.vtype == t) for t in VARIABLE_TYPES]
    levels = NAN if variable.is_numerical else float(len(np.unique(variable.values)))
    return np.array(flags + [levels])


register(Family(
    name="type", kind="univariate", axes={}, models=(),
    measures=("is_numerical", "is_categorical", "is_binary", "n_levels"),
    compute=_compute_type, cost=1,
    description="the declared type of each variable and its number of categories"))


def _compute_size(ctx, cell):
    return np.array([float(ctx.n)])


register(Family(
    name="size", kind="symmetric", axes={}, models=(), measures=("n",),
    compute=_compute_size, cost=1, description="number of samples of the pair"))


# -- dependence --------------------------------------------------------------------------------

def _symmetric_subsample(a: np.ndarray, b: np.ndarray, size: int):
    """Every (n/size)-th sample, by sample index: the same points whichever variable is
    first. (The HSIC kernel's own subsample above its exact limit is stratified on its first
    argument, so hsic(a, b) and hsic(b, a) would differ and a ``sym`` column must not.)"""
    n = len(a)
    if n <= size:
        return a, b
    keep = (np.arange(size) * n) // size
    return a[keep], b[keep]


def _dependence(function, **kwargs):
    return ("dependence", function, kwargs)


_NUMERIC_DEPENDENCE = {
    "pearson": _dependence("pearson"),
    "dcor": _dependence("distance_correlation"),
    "hsic": _dependence("hsic"),
    "hsic_norm": _dependence("normalized_hsic"),
    "mi_ksg3": _dependence("mutual_info_ksg", n_neighbors=3),
}
_SUBSAMPLED = {"hsic", "hsic_norm"}


def _bandwidth(ctx, variable, view):
    """The HSIC bandwidth of a variable's numeric view (median heuristic), once per pair."""
    return ctx.shared(("median_heuristic", id(variable), view),
                      lambda: dependence.median_heuristic(variable.numeric(view)))


def _compute_dependence(ctx, cell):
    view = cell.get("in")
    a, b = ctx.variables["A"].numeric(view), ctx.variables["B"].numeric(view)
    if a is None or b is None or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return _nan_vector(len(_NUMERIC_DEPENDENCE))
    small = _symmetric_subsample(a, b, dependence.HSIC_MAX_EXACT)
    values = {}
    if ctx.engine == "numba":
        # hsic and hsic_norm from one O(n^2) pass over the pairs (each bitwise its own call);
        # unless subsampled, each variable's bandwidth is the one its causal scores use too
        if small[0] is a:
            sigmas = (_bandwidth(ctx, ctx.variables["A"], view),
                      _bandwidth(ctx, ctx.variables["B"], view))
        else:
            sigmas = tuple(dependence.median_heuristic(v) for v in small)
        values["hsic"], values["hsic_norm"] = dependence.hsic_and_normalized_given(
            *small, *sigmas, dependence.HSIC_MAX_EXACT)
    return np.array([values[name] if name in values else
                     _call(ctx, spec, *(small if name in _SUBSAMPLED else (a, b)))
                     for name, spec in _NUMERIC_DEPENDENCE.items()])


register(Family(
    name="dependence", kind="symmetric", axes={"in": _NUMERIC_INPUTS}, models=(),
    measures=tuple(_NUMERIC_DEPENDENCE), compute=_compute_dependence, cost=3,
    description="symmetric dependence of the two variables in one numeric view"))


_RANK_DEPENDENCE = {
    "spearman": _dependence("spearman"),
    "kendall": _dependence("kendall_tau"),
    "mi_binned10": _dependence("mutual_info_binned", n_bins=10),
    "mi_binned5": _dependence("mutual_info_binned", n_bins=5),
}


def _compute_rank_dependence(ctx, cell):
    a, b = ctx.variables["A"].values, ctx.variables["B"].values
    return np.array([_call(ctx, spec, a, b) for spec in _RANK_DEPENDENCE.values()])


register(Family(
    name="rank_dependence", kind="symmetric", axes={}, models=(),
    measures=tuple(_RANK_DEPENDENCE), compute=_compute_rank_dependence, cost=1,
    description="dependence measures that only see ranks (the same in every monotone view)"))


_CATEGORICAL_DEPENDENCE = {
    "chi2": _dependence("chi_square"),
    "cramers_v": _dependence("cramers_v"),
    "nmi": _dependence("normalized_mutual_info"),
    "ami": _dependence("adjusted_mutual_info"),
    "ari": _dependence("adjusted_rand"),
}


def _compute_categorical_dependence(ctx, cell):
    view = cell.get("out")
    a, _ = ctx.variables["A"].codes(view)
    b, _ = ctx.variables["B"].codes(view)
    return np.array([_call(ctx, spec, a, b) for spec in _CATEGORICAL_DEPENDENCE.values()])


register(Family(
    name="categorical_dependence", kind="symmetric", axes={"out": _CATEGORICAL_VIEWS},
    models=(), measures=tuple(_CATEGORICAL_DEPENDENCE),
    compute=_compute_categorical_dependence, cost=1,
    description="dependence of the two variables as categories (binned when numerical)"))


def _compute_conditional_entropy(ctx, cell):
    view = cell.get("out")
    x, y = ctx.roles(cell.direction)
    xc, _ = x.codes(view)
    yc, _ = y.codes(view)
    # H(target | input): how much of the target the input's categories leave unexplained.
    return np.array([_call(ctx, _dependence("conditional_entropy"), xc, yc)])


register(Family(
    name="conditional_entropy", kind="directional", axes={"out": _CATEGORICAL_VIEWS},
    models=(), measures=("cond_entropy",), compute=_compute_conditional_entropy, cost=1,
    description="entropy of the target's categories given the input's"))


# -- causal ------------------------------------------------------------------------------------

def _causal(function, **kwargs):
    return ("causal", function, kwargs)


_CAUSAL = {
    "igci_slope_uniform": _causal("igci_slope", reference="uniform"),
    "igci_slope_gauss": _causal("igci_slope", reference="gaussian"),
    "igci_entropy_uniform": _causal("igci_entropy", reference="uniform"),
    "igci_entropy_gauss": _causal("igci_entropy", reference="gaussian"),
    "reci": _causal("reci"),
    "cdv10": _causal("conditional_distribution_variability", n_bins=10),
    "cds10": _causal("conditional_distribution_similarity", n_bins=10),
    "anm_knn10": _causal("anm_score", n_neighbors=10),
    "qccd_knn30": _causal("quantile_score", n_neighbors=30),
    "loci_hsic_knn30": _causal("location_scale_hsic", n_neighbors=30),
    "loci_nll_knn30": _causal("location_scale_likelihood", n_neighbors=30),
    "reci_iso": _causal("reci_isotonic"),
    "reci_knn30": _causal("reci_knn", n_neighbors=30),
    "slope_mdl": _causal("mdl_score"),
}


#: The numba engine's plan: each measure's kernel entry and core arguments, resolved once.
_CAUSAL_CORES = {name: (causal.CORES[function], causal.CORES[function].core_args(**kwargs))
                 for name, (_, function, kwargs) in _CAUSAL.items()}
#: The two LOCI scores come from one location-scale fit (the fit is most of their cost).
_LOCI = {"location_scale_hsic": 0, "location_scale_likelihood": 1}


def _igci_entropy_of(ctx, variable, reference):
    """A variable's IGCI entropy on the reference measure (code ``reference``), once per pair."""
    return ctx.shared(("igci_entropy", id(variable), reference),
                      lambda: causal.igci_reference_entropy(variable.values, reference))


def _compute_causal(ctx, cell):
    x, y = ctx.roles(cell.direction)
    if ctx.engine == "reference":
        return np.array([_call(ctx, spec, x.values, y.values) for spec in _CAUSAL.values()])
    # x sorted once per pair and direction, into the order each public function sorts into
    # (so every value is bitwise the public function's), for every sorted core
    order = ctx.shared(("causal_order", id(x)), lambda: causal.argsort(x.values))
    xs, ys = x.values[order], y.values[order]
    sigma_x = _bandwidth(ctx, x, "raw")  # x's HSIC bandwidth, as the dependence family's
    out = np.empty(len(_CAUSAL))
    for i, (entry, args) in enumerate(_CAUSAL_CORES.values()):
        if entry.name in _LOCI:
            scores = ctx.shared(("loci", id(x), args), lambda args=args:
                                causal.location_scale_scores_sorted(xs, ys, *args, True, True,
                                                                    sigma_x))
            out[i] = scores[_LOCI[entry.name]]
        elif entry.name == "anm_score":
            out[i] = causal.anm_score_given_sigma(xs, ys, *args, sigma_x)
        elif entry.name == "igci_entropy":  # H(y) - H(x): each H serves both directions
            out[i] = _igci_entropy_of(ctx, y, *args) - _igci_entropy_of(ctx, x, *args)
        elif entry.sorted_input:
            out[i] = entry.core(xs, ys, *args)
        else:
            out[i] = entry.core(x.values, y.values, *args)
    return out


register(Family(
    name="causal", kind="directional", axes={}, models=(), measures=tuple(_CAUSAL),
    compute=_compute_causal, cost=3,
    description="causal scores of input -> target: IGCI, RECI, conditional distribution "
                "variability and similarity, additive-noise-model residual dependence, "
                "quantile pinball loss (QCCD), location-scale residual dependence and "
                "likelihood (LOCI), RECI with isotonic and kNN fits, SLOPE-style description "
                "length"))
