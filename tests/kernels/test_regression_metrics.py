"""Regression fit metrics against their one-function-per-metric NumPy/SciPy references.

Tolerance: ``|kernel - reference| <= 1e-9 * max(1, |reference|)``. The kernel sums moments in
another order than NumPy/SciPy (sequential vs pairwise), which moves results by ~1e-15
relative; skew and kurtosis divide by powers of the variance and correlations by products of
norms, which can amplify that to ~1e-12 when a residual is nearly constant. Bin-based metrics
(entropy, MI, medians, ranks) are computed with NumPy's exact bin rules and agree to rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from causepairs.kernels.reference import regression_metrics as RM
from causepairs.kernels.regression_metrics import (CORES, N_REGRESSION_METRICS,
                                                   REGRESSION_METRIC_NAMES, _regression_metrics,
                                                   regression_metrics)

RTOL = 1e-9


def reference(y, pred, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RM.regression_metrics(y, pred, x)


def assert_metrics_close(got, want, context):
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want),
                                  err_msg=f"{context}: NaN pattern {got} vs {want}")
    ok = ~np.isnan(want)
    bound = RTOL * np.maximum(1.0, np.abs(want[ok]))
    bad = np.abs(got[ok] - want[ok]) > bound
    names = np.array(REGRESSION_METRIC_NAMES)[ok][bad]
    assert not bad.any(), f"{context}: {list(names)} {got[ok][bad]} vs {want[ok][bad]}"


def make_pair(kind, n, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    w = np.tanh(z) + 0.4 * (1 + np.abs(z)) * rng.standard_normal(n)
    if kind == "fine":
        return np.round(z * 10000), np.round(w * 10000)
    if kind == "coarse":
        return np.round(z * 3), np.round(w * 3)
    return z, w


def step_fit(x, y, n_bins):
    """Mean of y per equal-frequency bin of x (a regressogram, in sample: residual ties)."""
    bins = np.searchsorted(np.quantile(x, np.arange(1, n_bins) / n_bins), x, side="right")
    means = np.array([y[bins == b].mean() if (bins == b).any() else 0.0
                      for b in range(n_bins)])
    return means[bins]


def predictions(x, y, seed):
    """A few realistic predictions (polynomial and step fits), a noisy and a constant one."""
    n = len(x)
    rng = np.random.default_rng(seed + 100)
    yield "noisy", y + rng.standard_normal(n) * (np.std(y) + 1.0)
    yield "constant", np.full(n, float(np.mean(y)))
    if n >= 4 and np.ptp(x) > 0:
        z = (x - x.mean()) / x.std()
        yield "linear", np.polyval(np.polyfit(z, y, 1), z)
        if len(np.unique(x)) >= 4:
            yield "cubic", np.polyval(np.polyfit(z, y, 3), z)
        yield "binned", step_fit(x, y, 4)


def test_names():
    assert len(REGRESSION_METRIC_NAMES) == len(set(REGRESSION_METRIC_NAMES))
    assert N_REGRESSION_METRICS == len(REGRESSION_METRIC_NAMES)
    for name in REGRESSION_METRIC_NAMES:
        assert name == name.lower() and " " not in name and len(name) <= 24
        assert callable(getattr(RM, name))


@pytest.mark.parametrize("kind", ["cont", "fine", "coarse"])
def test_matches_reference(kind):
    for n in (2, 3, 5, 17, 200, 500):
        for seed in (0, 1):
            a, b = make_pair(kind, n, seed)
            for x, y, direction in ((a, b, "a>b"), (b, a, "b>a")):
                for label, pred in predictions(x, y, seed):
                    context = (kind, n, seed, direction, label)
                    assert_metrics_close(regression_metrics(y, pred, x), reference(y, pred, x),
                                         context)


def test_definitions_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    pred = np.array([1.5, 1.5, 3.5, 3.5])
    x = np.array([10.0, 20.0, 30.0, 40.0])
    m = dict(zip(REGRESSION_METRIC_NAMES, regression_metrics(y, pred, x)))
    var_y = np.var(y)  # 1.25
    assert m["r2"] == pytest.approx(1 - 1.0 / 5.0)
    assert m["mse_std"] == pytest.approx(0.25 / var_y)
    assert m["mae_std"] == pytest.approx(0.5 / np.sqrt(var_y))
    assert m["max_abs_err_std"] == pytest.approx(0.5 / np.sqrt(var_y))
    assert m["resid_mean_std"] == pytest.approx(0.0)
    assert m["resid_var_ratio"] == pytest.approx(0.25 / var_y)
    assert m["gauss_loglik"] == pytest.approx(-0.5 * (np.log(2 * np.pi * 0.25 / var_y) + 1))
    # |r| is constant: every correlation with |r| is undefined.
    assert np.isnan(m["abs_resid_x_corr"]) and np.isnan(m["abs_resid_x_spearman"])
    assert m["resid_x_corr"] == pytest.approx(10.0 / np.sqrt(500.0))  # r = -+0.5, x = 10..40


def test_degenerate_inputs():
    rng = np.random.default_rng(3)
    n = 30
    x = rng.standard_normal(n)
    y = x + rng.standard_normal(n)
    pred = 0.8 * x
    names = np.array(REGRESSION_METRIC_NAMES)
    # Constant y: everything scaled by std(y) is NaN; residual shape metrics stay defined.
    got = regression_metrics(np.full(n, 2.0), pred, x)
    assert_metrics_close(got, reference(np.full(n, 2.0), pred, x), "constant y")
    scaled = ["r2", "mse_std", "mae_std", "medae_std", "max_abs_err_std", "resid_mean_std",
              "resid_var_ratio", "gauss_loglik"]
    assert np.isnan(got[np.isin(names, scaled)]).all()
    assert np.isfinite(got[~np.isin(names, scaled)]).all()
    # Perfect prediction: zero residual; its shape, entropy and correlations are NaN, MI is 0.
    got = regression_metrics(y, y.copy(), x)
    assert_metrics_close(got, reference(y, y.copy(), x), "perfect")
    assert got[names == "r2"][0] == 1.0 and got[names == "resid_x_mi"][0] == 0.0
    # Constant x: its correlations are NaN, MI is 0.
    got = regression_metrics(y, pred, np.full(n, 1.0))
    assert_metrics_close(got, reference(y, pred, np.full(n, 1.0)), "constant x")
    # n < 2 and non-finite values: all NaN, never an exception.
    assert np.isnan(regression_metrics([1.0], [1.0], [1.0])).all()
    assert np.isnan(regression_metrics([], [], [])).all()
    for bad in (np.nan, np.inf, -np.inf):
        for which in range(3):
            arrays = [y.copy(), pred.copy(), x.copy()]
            arrays[which][5] = bad
            assert np.isnan(regression_metrics(*arrays)).all()
            assert np.isnan(reference(*arrays)).all()


def test_cores():
    """The factory's cores fill a preallocated array; the sorted core takes x-sorted data."""
    x, y = make_pair("fine", 300, 4)
    pred = step_fit(x, y, 7) + np.sin(x)
    want = regression_metrics(y, pred, x)
    out = np.empty(N_REGRESSION_METRICS)
    _regression_metrics(y, pred, x, out)
    np.testing.assert_array_equal(out, want)
    order = np.argsort(x, kind="stable")
    out_sorted = np.empty(N_REGRESSION_METRICS)
    sorted_core = CORES["regression_metrics"].core
    sorted_core(y[order], pred[order], x[order], out_sorted)
    np.testing.assert_allclose(out_sorted, want, rtol=1e-12, atol=1e-14)
    # The sorted core also rejects non-finite predictions (a model's NaN output).
    bad = pred[order].copy()
    bad[0] = np.nan
    sorted_core(y[order], bad, x[order], out_sorted)
    assert np.isnan(out_sorted).all()


def test_permutation_invariance():
    x, y = make_pair("coarse", 200, 6)
    pred = step_fit(x, y, 5)
    perm = np.random.default_rng(1).permutation(200)
    np.testing.assert_allclose(regression_metrics(y[perm], pred[perm], x[perm]),
                               regression_metrics(y, pred, x), rtol=1e-12, atol=1e-14)


def test_argument_errors():
    with pytest.raises(ValueError):
        regression_metrics(np.zeros(3), np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError):
        regression_metrics(np.zeros(3), np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError):
        regression_metrics(np.zeros((3, 1)), np.zeros(3), np.zeros(3))
    with pytest.raises(TypeError):
        regression_metrics(np.array(["a", "b"]), np.zeros(2), np.zeros(2))


def test_metrics_given_the_input_side_are_bitwise_the_core():
    """The factory's split (the input's part once per view, then each fit) fills the same
    bits as the CORES core: continuous, tied and two-valued x, constant y, an exact fit,
    n = 2 and 3, NaN and inf in the target or prediction."""
    from causepairs.kernels.regression_metrics import (metrics_x_side,
                                                       regression_metrics_given_x_side)
    core = CORES["regression_metrics"].core
    rng = np.random.default_rng(61)
    cases = []
    for n in (2, 3, 4, 17, 200):
        xs = np.sort(rng.standard_normal(n))
        y = np.sin(xs) + 0.3 * rng.standard_normal(n)
        cases += [(xs, y, 0.5 * y), (np.sort(np.round(xs)), y, np.zeros(n)),
                  (np.sort(rng.integers(0, 2, n).astype(float)), y, y.copy()),
                  (xs, np.full(n, 2.0), 0.1 * xs), (np.full(n, 1.0), y, 0.2 * y)]
    y = rng.standard_normal(30)
    pred = 0.5 * y
    pred[4] = np.nan
    cases.append((np.sort(rng.standard_normal(30)), y, pred))
    y_inf = y.copy()
    y_inf[9] = np.inf
    cases.append((np.sort(rng.standard_normal(30)), y_inf, 0.5 * y))
    for xs, y, pred in cases:
        want = np.empty(N_REGRESSION_METRICS)
        core(y, pred, xs, want)
        got = np.empty(N_REGRESSION_METRICS)
        regression_metrics_given_x_side(y, pred, xs, metrics_x_side(xs), got)
        assert np.array_equal(got.view(np.int64), want.view(np.int64)), (len(xs), got, want)
