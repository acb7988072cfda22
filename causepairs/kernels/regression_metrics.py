"""Fit metrics of a numeric prediction: how well, and how cleanly, ``pred`` explains ``y``.

:func:`regression_metrics` scores one prediction vector (usually out of fold, from
:mod:`causepairs.kernels.regression`) against its target ``y`` and the model input ``x``, and
returns every metric at once, named by :data:`REGRESSION_METRIC_NAMES`. The moments take two
linear passes; the rank- and quantile-based metrics share one (radix) sort of the residual
(``x`` is sorted by the caller, or once here). HSIC between residual and input lives in the
dependence module, not here.

Notation: ``r = y - pred`` (the residual), ``sy = std(y)``, all moments are population moments
(``ddof = 0``), ``median`` as NumPy's.

Metrics, in order:

- ``r2``: ``1 - sum r^2 / sum (y - mean y)^2`` (equals ``1 - mse_std``).
- ``mse_std``: ``mean(r^2) / sy^2``, the MSE of the target standardised by ``sy``.
- ``mae_std``: ``mean|r| / sy``.
- ``medae_std``: ``median|r| / sy``.
- ``max_abs_err_std``: ``max|r| / sy``.
- ``resid_mean_std``: ``mean(r) / sy`` (the bias of an out-of-fold prediction).
- ``resid_var_ratio``: ``var(r) / var(y)``.
- ``gauss_loglik``: mean log-density of ``e = r / sy`` under ``N(mean e, var e)``, i.e.
  ``-(log(2 pi var e) + 1) / 2``.
- ``resid_skew``: ``m3 / m2^1.5`` of ``r`` (``scipy.stats.skew``).
- ``resid_kurt``: ``m4 / m2^2 - 3`` of ``r`` (``scipy.stats.kurtosis``).
- ``resid_entropy``: binned differential entropy of ``r / std(r)``: ``b = ceil(2 n^(1/3))``
  equal-width bins over ``[min r, max r]`` (``np.histogram``'s bin rule), then
  ``-sum p log p + log(bin width / std r)``.
- ``resid_x_corr``: Pearson correlation of ``r`` and ``x``.
- ``abs_resid_x_corr``: Pearson correlation of ``|r|`` and ``x``.
- ``abs_resid_xdev_corr``: Pearson correlation of ``|r|`` and ``|x - median x|``
  (heteroscedasticity).
- ``abs_resid_x_spearman``: Spearman correlation (average ranks for ties) of ``|r|`` and ``x``.
- ``abs_resid_xdev_spearman``: Spearman correlation of ``|r|`` and ``|x - median x|``.
- ``resid_x_mi``: plug-in mutual information (nats) of ``r`` and ``x``, each cut into 8
  equal-frequency bins: edges ``np.quantile(v, j / 8)``, bin = number of edges ``<= v`` (ties
  share a bin).

NaN rules: every metric is NaN when ``n < 2`` or any of ``y``, ``pred``, ``x`` holds NaN or inf.
A constant ``y`` (exactly: ``min == max``) makes the ``sy``-scaled metrics, ``r2`` and
``resid_var_ratio`` NaN; a constant residual makes the skew, kurtosis, entropy, log-likelihood
and the correlations of ``r`` / ``|r|`` NaN; a constant ``x`` (or ``|x - median|``) makes its
correlations NaN. ``resid_x_mi`` is always defined (0 when either side is constant).
"""

from __future__ import annotations

import math

import numpy as np

from ._config import jit
from ._validation import all_finite, as_float_pair, as_float_vector
from .binning import QUANTILE_EDGES, equal_frequency_bins_sorted, histogram_bins
from .cores import KernelCore, table
from .shared import average_ranks_by_order, entropy_of_counts, pearson_correlation
from .shared import argsort_radix as _argsort_radix

__all__ = ["CORES", "REGRESSION_METRIC_NAMES", "regression_metrics"]

REGRESSION_METRIC_NAMES = (
    "r2",
    "mse_std",
    "mae_std",
    "medae_std",
    "max_abs_err_std",
    "resid_mean_std",
    "resid_var_ratio",
    "gauss_loglik",
    "resid_skew",
    "resid_kurt",
    "resid_entropy",
    "resid_x_corr",
    "abs_resid_x_corr",
    "abs_resid_xdev_corr",
    "abs_resid_x_spearman",
    "abs_resid_xdev_spearman",
    "resid_x_mi",
)
N_REGRESSION_METRICS = len(REGRESSION_METRIC_NAMES)
# Equal-frequency bins per variable for resid_x_mi.
MI_BINS = 8

(_R2, _MSE, _MAE, _MEDAE, _MAXAE, _RMEAN, _VRATIO, _LOGLIK, _SKEW, _KURT, _ENTROPY,
 _R_X, _ABS_X, _ABS_XDEV, _ABS_X_SP, _ABS_XDEV_SP, _MI) = range(N_REGRESSION_METRICS)


@jit
def _entropy_bins(n):
    """``ceil(2 n^(1/3))`` computed exactly: the smallest ``b`` with ``b^3 >= 8 n``."""
    b = max(1, int(2.0 * n ** (1.0 / 3.0)) - 1)
    while b * b * b < 8 * n:
        b += 1
    while b > 1 and (b - 1) * (b - 1) * (b - 1) >= 8 * n:
        b -= 1
    return b


@jit
def _merge_abs_order(values, order, centre, out):
    """Ascending order of ``|values - centre|`` from an ascending ``order`` of ``values``.

    The values below ``centre`` give increasing distances walked backwards, those at or above
    it increasing distances walked forwards: merging the two runs is O(n), no second sort.
    """
    n = order.shape[0]
    split = 0
    while split < n and values[order[split]] < centre:
        split += 1
    lo = split - 1
    hi = split
    for q in range(n):
        if hi >= n or (lo >= 0 and centre - values[order[lo]] <= values[order[hi]] - centre):
            out[q] = order[lo]
            lo -= 1
        else:
            out[q] = order[hi]
            hi += 1


@jit
def _metrics_x_side(xs):
    """What the metrics need of the sorted input ``xs`` alone (the same for every fit on one
    input view): ``|x - median x|``, the average ranks of ``xs`` and of that deviation, and
    the equal-frequency bins of ``xs``. Computed as :func:`_regression_metrics_sorted` would
    compute them (an empty ``xs`` gives empty parts)."""
    n = xs.shape[0]
    half = n // 2
    if n == 0:
        med_x = np.nan
    elif n % 2 == 1:
        med_x = xs[half]
    else:
        med_x = (xs[half - 1] + xs[half]) / 2.0
    xdev = np.empty(n)
    for i in range(n):
        xdev[i] = abs(xs[i] - med_x)
    identity = np.arange(n)
    rank_x = np.empty(n)
    average_ranks_by_order(xs, identity, rank_x)
    order_dev = np.empty(n, np.int64)
    _merge_abs_order(xs, identity, med_x, order_dev)
    rank_dev = np.empty(n)
    average_ranks_by_order(xdev, order_dev, rank_dev)
    bins_x = equal_frequency_bins_sorted(xs, MI_BINS, QUANTILE_EDGES)
    return xdev, rank_x, rank_dev, bins_x


@jit
def _regression_metrics_sorted(ys, preds, xs, out):
    """Fill ``out`` (length ``N_REGRESSION_METRICS``) with the metrics of ``preds`` for ``ys``.

    ``xs`` must be sorted ascending with ``ys`` and ``preds`` in the same order (the factory's
    sorted view, in which the model cores return their predictions). NaN/inf in any input or
    ``n < 2``: all NaN. See the module docstring for definitions and NaN rules.
    """
    n = ys.shape[0]
    for i in range(n):
        if not math.isfinite(xs[i]):
            n = 0  # all NaN, as below; the input's part is not computed on non-finite x
    if n < 2:
        for j in range(out.shape[0]):
            out[j] = np.nan
        return
    _regression_metrics_given_x_side(ys, preds, xs, _metrics_x_side(xs), out)


@jit
def _regression_metrics_given_x_side(ys, preds, xs, x_side, out):
    """:func:`_regression_metrics_sorted` with ``x_side = _metrics_x_side(xs)`` computed
    once for every fit on one input (bitwise the same metrics)."""
    n = ys.shape[0]
    for j in range(out.shape[0]):
        out[j] = np.nan
    if n < 2:
        return
    for i in range(n):
        if not (math.isfinite(ys[i]) and math.isfinite(preds[i]) and math.isfinite(xs[i])):
            return
    # Pass 1: means, extremes.
    res = np.empty(n)
    absr = np.empty(n)
    sum_y = 0.0
    sum_r = 0.0
    sum_abs = 0.0
    y_min = ys[0]
    y_max = ys[0]
    for i in range(n):
        r = ys[i] - preds[i]
        res[i] = r
        absr[i] = abs(r)
        sum_y += ys[i]
        sum_r += r
        sum_abs += abs(r)
        y_min = min(y_min, ys[i])
        y_max = max(y_max, ys[i])
    mean_y = sum_y / n
    mean_r = sum_r / n
    # Pass 2: centred moments of y and r, raw second moment of r.
    ssy = 0.0
    ss_r = 0.0
    m2 = 0.0
    m3 = 0.0
    m4 = 0.0
    for i in range(n):
        dy = ys[i] - mean_y
        ssy += dy * dy
        r = res[i]
        ss_r += r * r
        d = r - mean_r
        d2 = d * d
        m2 += d2
        m3 += d2 * d
        m4 += d2 * d2
    m2 /= n
    m3 /= n
    m4 /= n
    var_y = ssy / n
    # One sort of the residual serves its median, ranks and quantile bins.
    order_r = _argsort_radix(res)
    r_min = res[order_r[0]]
    r_max = res[order_r[n - 1]]
    r_const = r_min == r_max
    order_abs = np.empty(n, np.int64)
    _merge_abs_order(res, order_r, 0.0, order_abs)
    half = n // 2
    if n % 2 == 1:
        med_abs = absr[order_abs[half]]
    else:
        med_abs = (absr[order_abs[half - 1]] + absr[order_abs[half]]) / 2.0
    if y_min != y_max:
        sy = math.sqrt(var_y)
        out[_R2] = 1.0 - ss_r / ssy
        out[_MSE] = (ss_r / n) / var_y
        out[_MAE] = (sum_abs / n) / sy
        out[_MEDAE] = med_abs / sy
        out[_MAXAE] = max(abs(r_min), abs(r_max)) / sy
        out[_RMEAN] = mean_r / sy
        out[_VRATIO] = m2 / var_y
        if not r_const:
            out[_LOGLIK] = -0.5 * (math.log(2.0 * math.pi * (m2 / var_y)) + 1.0)
    if not r_const:
        out[_SKEW] = m3 / m2 ** 1.5
        out[_KURT] = m4 / (m2 * m2) - 3.0
        n_bins = _entropy_bins(n)
        counts = np.zeros(n_bins)
        step = (r_max - r_min) / n_bins
        raw = histogram_bins(res, n_bins, r_min, r_max)
        for i in range(n):
            counts[raw[i]] += 1.0
        out[_ENTROPY] = entropy_of_counts(counts, n) + math.log(step / math.sqrt(m2))
    # Residual-input dependence. xs is sorted: its order is the identity.
    xdev, rank_x, rank_dev, bins_x = x_side
    out[_R_X] = pearson_correlation(res, xs)
    out[_ABS_X] = pearson_correlation(absr, xs)
    out[_ABS_XDEV] = pearson_correlation(absr, xdev)
    rank_abs = np.empty(n)
    average_ranks_by_order(absr, order_abs, rank_abs)
    out[_ABS_X_SP] = pearson_correlation(rank_abs, rank_x)
    out[_ABS_XDEV_SP] = pearson_correlation(rank_abs, rank_dev)
    bins_r = np.empty(n, np.int64)
    bins_r_sorted = equal_frequency_bins_sorted(res[order_r], MI_BINS, QUANTILE_EDGES)
    for i in range(n):
        bins_r[order_r[i]] = bins_r_sorted[i]
    joint = np.zeros((MI_BINS, MI_BINS))
    marg_r = np.zeros(MI_BINS)
    marg_x = np.zeros(MI_BINS)
    for i in range(n):
        joint[bins_r[i], bins_x[i]] += 1.0
        marg_r[bins_r[i]] += 1.0
        marg_x[bins_x[i]] += 1.0
    mi = 0.0
    for a in range(MI_BINS):
        for b in range(MI_BINS):
            c = joint[a, b]
            if c > 0:
                mi += c / n * math.log(n * c / (marg_r[a] * marg_x[b]))
    out[_MI] = max(mi, 0.0)


@jit
def _regression_metrics(y, pred, x, out):
    """Fill ``out`` with the metrics of ``pred`` for ``y`` given ``x`` in any order (sorts ``x``
    once by radix sort, then runs :func:`_regression_metrics_sorted`). Inputs: float64 1-D,
    same length."""
    n = y.shape[0]
    if n < 2:
        for j in range(out.shape[0]):
            out[j] = np.nan
        return
    order = _argsort_radix(x)
    _regression_metrics_sorted(y[order], pred[order], x[order], out)


def regression_metrics(y, pred, x) -> np.ndarray:
    """Compute every fit metric of ``pred`` for target ``y`` and model input ``x`` at once.

    See the module docstring for the definitions; ``REGRESSION_METRIC_NAMES[j]`` names
    ``result[j]``. O(n log n) (one sort of ``x``, one of the residual).

    Parameters
    ----------
    y, pred, x : array_like of shape (n,)
        Target, its (out-of-fold) prediction, and the input the model used.

    Returns
    -------
    numpy.ndarray of float64, shape (len(REGRESSION_METRIC_NAMES),)
        The metrics; all NaN if ``n < 2`` or any input holds NaN or inf; single metrics NaN
        where undefined (constant ``y``, residual or ``x``).
    """
    y, pred = as_float_pair(y, pred, ("y", "pred"))
    x = as_float_vector(x, "x")
    if len(x) != len(y):
        raise ValueError(f"x must have the same length as y, got {len(x)} and {len(y)}")
    out = np.full(N_REGRESSION_METRICS, np.nan)
    if not all_finite(y, pred, x):
        return out
    _regression_metrics(y, pred, x, out)
    return out


#: The metrics' core for the factory, which holds the data sorted by the model input already:
#: ``core(ys, preds, xs, out)`` fills ``out`` (see :mod:`causepairs.kernels.cores`).
CORES = table(KernelCore(regression_metrics, _regression_metrics_sorted))

#: For the feature factory, which scores every fit on one input view against the same sorted
#: ``xs``: ``metrics_x_side(xs)`` once per view, then ``regression_metrics_given_x_side(ys,
#: preds, xs, x_side, out)`` per fit fills ``out`` bitwise as the ``CORES`` core does. Jitted
#: cores: the caller passes finite float64 arrays of equal length, n >= 2.
metrics_x_side = _metrics_x_side
regression_metrics_given_x_side = _regression_metrics_given_x_side
