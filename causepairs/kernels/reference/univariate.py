"""Slow, obvious twins of :mod:`causepairs.kernels.univariate` (same names, same NaN rules).

SciPy does the work wherever it computes the same quantity: ``scipy.stats.skew``,
``kurtosis``, ``jarque_bera``, ``anderson``, ``kstest``, ``entropy`` and
``scipy.signal.find_peaks`` (with an explicit elder rule for peaks of equal height); the
spacing estimators are written out in NumPy because the kernels skip zero spacings (SciPy's
Vasicek estimator would take ``log 0``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal
import scipy.special
import scipy.stats

from .._validation import as_codes, as_float_vector

__all__ = [
    "entropy_spacing",
    "entropy_vasicek",
    "entropy_binned",
    "entropy_discrete",
    "skewness",
    "kurtosis",
    "jarque_bera",
    "anderson_darling",
    "lilliefors",
    "unique_count",
    "unique_ratio",
    "discreteness",
    "mode_count",
]

NAN = float("nan")


def _usable(x, min_n=1, need_spread=True):
    """``x`` as float64, or ``None`` when the result is NaN by the shared rules."""
    x = as_float_vector(x)
    if len(x) < max(min_n, 1) or not np.isfinite(x).all():
        return None
    if need_spread and x.min() == x.max():
        return None
    return x


def entropy_spacing(x):
    """``digamma(n) - digamma(1) + mean over n-1 spacings of log(spacing)``, zeros skipped."""
    x = _usable(x, min_n=2)
    if x is None:
        return NAN
    n = len(x)
    gaps = np.diff(np.sort(x))
    gaps = gaps[gaps > 0]
    return float(np.sum(np.log(gaps)) / (n - 1) + scipy.special.digamma(n)
                 - scipy.special.digamma(1))


def entropy_vasicek(x, m=None):
    """SciPy's Vasicek formula (padding by the end values), zero spacings skipped."""
    x = _usable(x, min_n=2)
    if x is None:
        return NAN
    n = len(x)
    if m is None:
        m = math.floor(math.sqrt(n) + 0.5)
    if not 2 * m < n:
        return NAN
    xs = np.sort(x)
    padded = np.concatenate([np.full(m, xs[0]), xs, np.full(m, xs[-1])])
    spacings = padded[2 * m:] - padded[:-2 * m]
    spacings = spacings[spacings > 0]
    return float(np.mean(np.log(n / (2 * m) * spacings)))


def _histogram_counts(x, bins):
    """``np.histogram(x, bins)`` counts; a range too wide for float64 is binned halved (the
    kernels' rule: halving is exact, so the bins are the same)."""
    if 0.5 * x.max() - 0.5 * x.min() >= 4.0e307:
        x = x * 0.5
    return np.histogram(x, bins=bins)[0]


def entropy_binned(x, n_bins=10):
    """``scipy.stats.entropy`` of ``np.histogram(x, bins=n_bins)`` counts."""
    x = _usable(x, min_n=2)
    if x is None:
        return NAN
    return float(scipy.stats.entropy(_histogram_counts(x, n_bins)))


def entropy_discrete(labels):
    """``scipy.stats.entropy`` of the category counts; NaN for one category."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {arr.shape}")
    if len(arr) == 0 or (arr.dtype.kind in "fc" and not np.isfinite(arr).all()):
        return NAN
    codes, k = as_codes(arr)
    if k < 2:
        return NAN
    return float(scipy.stats.entropy(np.bincount(codes)))


def skewness(x):
    """``scipy.stats.skew`` (biased)."""
    x = _usable(x)
    return NAN if x is None else float(scipy.stats.skew(x))


def kurtosis(x):
    """``scipy.stats.kurtosis`` (excess, biased)."""
    x = _usable(x)
    return NAN if x is None else float(scipy.stats.kurtosis(x))


def jarque_bera(x):
    """``scipy.stats.jarque_bera(x).statistic``."""
    x = _usable(x)
    return NAN if x is None else float(scipy.stats.jarque_bera(x).statistic)


def anderson_darling(x):
    """``scipy.stats.anderson(x, "norm").statistic``."""
    x = _usable(x, min_n=2)
    if x is None:
        return NAN
    return float(scipy.stats.anderson(x, "norm", method="interpolate").statistic)


def lilliefors(x):
    """``scipy.stats.kstest`` of the ``ddof=1``-standardised sample against ``N(0, 1)``."""
    x = _usable(x, min_n=2)
    if x is None:
        return NAN
    z = (x - x.mean()) / x.std(ddof=1)
    return float(scipy.stats.kstest(z, "norm").statistic)


def unique_count(x):
    """``len(np.unique(x))``."""
    x = _usable(x, need_spread=False)
    return NAN if x is None else float(len(np.unique(x)))


def unique_ratio(x):
    """``len(np.unique(x)) / n``."""
    x = _usable(x, need_spread=False)
    return NAN if x is None else len(np.unique(x)) / len(x)


def discreteness(x):
    """Largest count of ``np.unique(x, return_counts=True)`` over ``n``."""
    x = _usable(x, need_spread=False)
    if x is None:
        return NAN
    return float(np.unique(x, return_counts=True)[1].max() / len(x))


def smoothed_histogram(x, n_grid=64):
    """The Gaussian-smoothed histogram that :func:`mode_count` reads (finite, non-constant x)."""
    n = len(x)
    counts = _histogram_counts(x, n_grid)
    with np.errstate(over="ignore"):  # a range near the float64 maximum: sd and IQR are inf
        sd = np.std(x, ddof=1)
        q25, q75 = np.percentile(x, [25, 75])
        iqr = q75 - q25
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    bin_width = 2 * ((0.5 * x.max() - 0.5 * x.min()) / n_grid)  # (max - min) / n_grid
    bandwidth = 0.9 * spread * n ** (-0.2) / bin_width
    offsets = np.subtract.outer(np.arange(n_grid), np.arange(n_grid))
    kernel = np.exp(-0.5 * (offsets / bandwidth) ** 2)
    return kernel @ counts


def prominences_elder(values):
    """Topographic prominence of every peak of ``values``, equal heights by the elder rule.

    Peaks (plateaus included) are located by ``scipy.signal.find_peaks``. A peak's reference
    level is the higher of the lowest points on each side before the curve reaches a
    dominating point: on the left a point at least as high (an earlier peak of equal height
    is the elder), on the right a strictly higher point. SciPy's own prominences use
    "strictly higher" on both sides, so two equal peaks would both keep their full height.
    """
    peaks, props = scipy.signal.find_peaks(values, plateau_size=1)
    out = []
    for left_edge, right_edge in zip(props["left_edges"], props["right_edges"]):
        h = values[left_edge]
        i, left_min = left_edge - 1, h
        while i >= 0 and values[i] < h:
            left_min = min(left_min, values[i])
            i -= 1
        i, right_min = right_edge + 1, h
        while i < len(values) and values[i] <= h:
            right_min = min(right_min, values[i])
            i += 1
        out.append(h - max(left_min, right_min))
    return np.array(out)


def mode_count(x, n_grid=64, min_prominence=0.05):
    """Peaks of the zero-padded smoothed histogram with prominence >= share of the top."""
    x = _usable(x, min_n=2)
    if x is None:
        return NAN
    smooth = smoothed_histogram(x, n_grid)
    padded = np.concatenate([[0.0], smooth, [0.0]])
    return float(np.sum(prominences_elder(padded) >= min_prominence * smooth.max()))
