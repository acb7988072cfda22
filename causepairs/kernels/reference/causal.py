"""Slow, obvious twins of :mod:`causepairs.kernels.causal`.

Same names, signatures, tie rules and NaN policy as the kernels, written the direct way in
NumPy/SciPy: ``np.lexsort`` and ``np.diff`` for IGCI, ``np.linalg.lstsq`` on a Vandermonde
matrix for RECI, per-bin masks and histograms for the conditional distributions, and a naive
leave-one-out kNN (n full distance rows) with the HSIC reference for the ANM score, the
quantile score (``scipy.stats.rankdata`` copula, ``np.quantile`` on each point's window) and
the location-scale scores (the same kNN twice, then the HSIC and Vasicek entropy references),
scikit-learn's ``isotonic_regression`` on the means of tied x for the monotone RECI, and
``np.linalg.lstsq`` per polynomial degree with ``np.unique`` groups for the description length.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats
from sklearn.isotonic import isotonic_regression

from .._validation import as_float_pair
from ..causal import (CDS_BINS_PER_SD, CDS_MAX_SD, LOCATION_SCALE_GRID,
                      LOCATION_SCALE_HSIC_MAX_EXACT, LOCATION_SCALE_SD_FLOOR, MDL_MAX_DEGREE,
                      MDL_RESOLUTION_FLOOR, QUANTILE_LEVELS)
from . import dependence as ref_dependence
from . import univariate as ref_univariate
from .dependence import _degenerate, _discretize, _sorted_mean_std

__all__ = [
    "igci_slope",
    "igci_entropy",
    "reci",
    "conditional_distribution_variability",
    "conditional_distribution_similarity",
    "anm_score",
    "quantile_score",
    "location_scale_hsic",
    "location_scale_likelihood",
    "reci_isotonic",
    "reci_knn",
    "mdl_score",
]

NAN = float("nan")


def _to_reference(v, reference):
    if reference == "uniform":
        return (v - v.min()) / (v.max() - v.min())
    if reference == "gaussian":
        mean, sd = _sorted_mean_std(v)
        return (v - mean) / sd
    raise ValueError(f"unknown reference {reference!r}")


def igci_slope(x, y, reference="uniform"):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    u = _to_reference(x, reference)
    v = _to_reference(y, reference)
    order = np.lexsort((v, u))  # by x, then y
    dx = np.diff(u[order])
    dy = np.diff(v[order])
    keep = (dx != 0) & (dy != 0)
    if not keep.any():
        return NAN
    return float(np.mean(np.log(np.abs(dy[keep] / dx[keep]))))


def _spacing_entropy(v):
    spacings = np.diff(np.sort(v))
    n = len(v)
    return (np.sum(np.log(spacings[spacings != 0])) / (n - 1)
            + scipy.special.digamma(n) - scipy.special.digamma(1))


def igci_entropy(x, y, reference="uniform"):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    return float(_spacing_entropy(_to_reference(y, reference))
                 - _spacing_entropy(_to_reference(x, reference)))


def reci(x, y):
    x, y = as_float_pair(x, y)
    if len(x) < 5 or _degenerate(x, y):
        return NAN
    u = _to_reference(x, "uniform")
    v = _to_reference(y, "uniform")
    design = np.vander(u, 4)
    coef = np.linalg.lstsq(design, v, rcond=None)[0]
    return float(np.mean((v - design @ coef) ** 2))


def _spread(histograms, counts, min_count):
    """sqrt(sum_a w_a ||p_a - pbar||^2) over the rows with at least min_count points."""
    keep = counts >= min_count
    if keep.sum() < 2:
        return NAN
    histograms = histograms[keep]
    counts = counts[keep]
    weights = counts / counts.sum()
    p = histograms / counts[:, None]
    pbar = weights @ p
    return float(np.sqrt(np.sum(weights * np.sum((p - pbar) ** 2, axis=1))))


def conditional_distribution_variability(x, y, n_bins=10, min_count=10):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    a, ka = _discretize(x, n_bins)
    b, kb = _discretize(y, n_bins)
    histograms = np.array([np.bincount(b[a == code], minlength=kb) for code in range(ka)],
                          dtype=float)
    counts = np.bincount(a, minlength=ka).astype(float)
    return _spread(histograms, counts, min_count)


def conditional_distribution_similarity(x, y, n_bins=10, min_count=10):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    a, ka = _discretize(x, n_bins)
    sd = _sorted_mean_std(y)[1]
    half = CDS_BINS_PER_SD * CDS_MAX_SD
    histograms = np.zeros((ka, 2 * half + 1))
    counts = np.zeros(ka)
    for code in range(ka):
        values = y[a == code]
        if len(values) == 0:
            continue
        mean = np.cumsum(np.sort(values))[-1] / len(values)  # the kernels' summation order
        cells = np.clip(np.rint((values - mean) / sd * CDS_BINS_PER_SD), -half, half)
        histograms[code] = np.bincount(cells.astype(int) + half, minlength=2 * half + 1)
        counts[code] = len(values)
    return _spread(histograms, counts, min_count)


def _loo_knn(x, y, k):
    """Mean of y over every j != i within the k-th smallest distance |x_j - x_i|."""
    n = len(x)
    k = min(k, n - 1)
    prediction = np.empty(n)
    for i in range(n):
        d = np.abs(x - x[i])
        d[i] = np.inf
        radius = np.sort(d)[k - 1]
        prediction[i] = y[d <= radius].mean()
    return prediction


def anm_score(x, y, n_neighbors=10):
    x, y = as_float_pair(x, y)
    if len(x) < 3 or _degenerate(x, y):
        return NAN
    residual = y - _loo_knn(x, y, n_neighbors)
    return ref_dependence.hsic(x, residual)


def quantile_score(x, y, n_neighbors=30):
    x, y = as_float_pair(x, y)
    if _degenerate(x, y):
        return NAN
    n = len(x)
    u = scipy.stats.rankdata(x) / n
    v = scipy.stats.rankdata(y) / n
    k = min(n_neighbors, n - 1)
    losses = []
    for i in range(n):
        d = np.abs(u - u[i])
        d[i] = np.inf
        radius = np.sort(d)[k - 1]
        q = np.quantile(v[d <= radius], QUANTILE_LEVELS)
        r = v[i] - q
        losses.append(np.where(r < 0, r * (QUANTILE_LEVELS - 1), r * QUANTILE_LEVELS))
    return float(np.mean(losses))


def _location_scale_fit(x, y, n_neighbors):
    mean, sd = _sorted_mean_std(y)
    z = (y - mean) / sd
    grid = LOCATION_SCALE_GRID
    residual = np.rint((z - _loo_knn(x, z, n_neighbors)) / grid) * grid
    scale = np.sqrt(np.maximum(_loo_knn(x, residual ** 2, n_neighbors),
                               LOCATION_SCALE_SD_FLOOR ** 2))
    return np.rint(residual / scale / grid) * grid, scale


def location_scale_hsic(x, y, n_neighbors=30):
    x, y = as_float_pair(x, y)
    if len(x) < 3 or _degenerate(x, y):
        return NAN
    standardised, _ = _location_scale_fit(x, y, n_neighbors)
    return ref_dependence.hsic(x, standardised, max_exact=LOCATION_SCALE_HSIC_MAX_EXACT)


def location_scale_likelihood(x, y, n_neighbors=30):
    x, y = as_float_pair(x, y)
    if len(x) < 3 or _degenerate(x, y):
        return NAN
    standardised, scale = _location_scale_fit(x, y, n_neighbors)
    mean, sd = _sorted_mean_std(x)
    return float(ref_univariate.entropy_vasicek((x - mean) / sd) + np.mean(np.log(scale))
                 + ref_univariate.entropy_vasicek(standardised))


def reci_isotonic(x, y):
    x, y = as_float_pair(x, y)
    if len(x) < 3 or _degenerate(x, y):
        return NAN
    v = _to_reference(y, "uniform")
    # exact ties of x merged by hand: IsotonicRegression would also merge x closer than
    # ~1e-15, which the kernel (and the definition) do not
    _, group, counts = np.unique(x, return_inverse=True, return_counts=True)
    means = np.bincount(group, weights=v) / counts
    return float(min(np.mean((v - isotonic_regression(means, sample_weight=counts,
                                                      increasing=inc)[group]) ** 2)
                     for inc in (True, False)))


def reci_knn(x, y, n_neighbors=30):
    x, y = as_float_pair(x, y)
    if len(x) < 3 or _degenerate(x, y):
        return NAN
    v = _to_reference(y, "uniform")
    return float(np.mean((v - _loo_knn(x, v, n_neighbors)) ** 2))


def _unit(v):
    half_width = 0.5 * v.max() - 0.5 * v.min()
    if half_width <= np.finfo(np.float64).max / 2:  # max - min does not overflow
        return (v - v.min()) / (v.max() - v.min())
    return (0.5 * v - 0.5 * v.min()) / half_width


def _gaussian_bits(rss, n, resolution):
    if rss <= 0:
        return 0.0
    return n * max(0.5 * np.log2(2 * np.pi * np.e * rss / n) - np.log2(resolution), 0.0)


def mdl_score(x, y):
    x, y = as_float_pair(x, y)
    n = len(x)
    if n < 3 or _degenerate(x, y):
        return NAN
    u, v = _unit(x), _unit(y)
    resolution = {name: max(np.diff(np.unique(w)).min(), MDL_RESOLUTION_FLOOR)
                  for name, w in (("cause", u), ("effect", v))}
    per_parameter = 0.5 * np.log2(n)
    costs = []
    for degree in range(MDL_MAX_DEGREE + 1):
        design = np.vander(2 * u - 1, degree + 1)
        fit = design @ np.linalg.lstsq(design, v, rcond=None)[0]
        costs.append(_gaussian_bits(np.sum((v - fit) ** 2), n, resolution["effect"])
                     + (degree + 1) * per_parameter)
    levels, group = np.unique(u, return_inverse=True)
    if len(levels) ** 2 <= n:
        means = np.bincount(group, weights=v) / np.bincount(group)
        costs.append(_gaussian_bits(np.sum((v - means[group]) ** 2), n, resolution["effect"])
                     + len(levels) * per_parameter)
    cause_bits = n * np.log2(1 + 1 / resolution["cause"])
    model_bits = per_parameter + np.log2(MDL_MAX_DEGREE + 2)  # noise scale, class name
    return float((cause_bits + min(costs) + model_bits) / n)
