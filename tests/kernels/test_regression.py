"""Out-of-fold regression kernels against their scikit-learn / NumPy references.

Tolerances are absolute, in units of ``scale = max(std(y), max |reference|)`` (predictions of
extrapolating models can exceed std(y) by orders of magnitude), per model:

- ``EXACT`` 1e-10: kNN, isotonic, binned means, tree, boosted stumps compute the same sums as
  their references in another order; only rounding differs (tree and boosting agree bitwise on
  float32-exact data, including ties).
- ``LSQ`` 1e-8: linear and polynomial least squares by different algorithms (orthonormal basis
  + Cholesky/QR vs scikit-learn's lstsq); degree-5 fits on a few points extrapolate by 1e3
  std(y), where both lose ~1e-11 relative to the prediction.
- ``NW`` 1e-9: the kernel truncates weights below 1e-10 / n of the nearest one and sums the
  rest with a series of error <= 2e-12 (measured); the reference keeps every weight.
- ``SPLINE`` 1e-5: SciPy's ``make_smoothing_spline`` (the reference for >= 5 knots) loses up
  to ~5e-6 of std(y) where knots nearly coincide at large ``lam``; the kernel's banded QR solve
  stays within ~1e-12 of a 50-digit solution there. On well-separated knots the two agree to
  1e-9 (``test_smoothing_spline_separated_knots``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor

from causepairs.kernels import regression as K
from causepairs.kernels._validation import make_folds
from causepairs.kernels.reference import regression as R

EXACT, LSQ, NW, SPLINE = 1e-10, 1e-8, 1e-9, 1e-5

# (function name, parameters, tolerance). Boosting uses few rounds: its reference is slow.
MODELS = [
    ("oof_linear", {}, LSQ),
    ("oof_polynomial", {"degree": 2}, LSQ),
    ("oof_polynomial", {"degree": 5}, LSQ),
    ("oof_knn_regression", {"k": 1}, EXACT),
    ("oof_knn_regression", {"k": 4}, EXACT),
    ("oof_nadaraya_watson", {"bandwidth": 0.1}, NW),
    ("oof_nadaraya_watson", {"bandwidth": 1.0}, NW),
    ("oof_isotonic", {"increasing": True}, EXACT),
    ("oof_isotonic", {"increasing": False}, EXACT),
    ("oof_binned_means", {"n_bins": 1}, EXACT),
    ("oof_binned_means", {"n_bins": 7}, EXACT),
    ("oof_tree_regression", {"max_depth": 1}, EXACT),
    ("oof_tree_regression", {"max_depth": 3}, EXACT),
    ("oof_boosted_stumps", {"n_rounds": 8, "learning_rate": 0.3}, EXACT),
    ("oof_smoothing_spline", {"lam": 1e-3}, SPLINE),
    ("oof_smoothing_spline", {"lam": 0.1}, SPLINE),
]
MODEL_IDS = [f"{name[4:]}-{'-'.join(f'{v}' for v in p.values()) or 'default'}"
             for name, p, _ in MODELS]


def make_pair(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A noisy nonlinear pair. ``f32``: continuous values exact in float32 (scikit-learn's
    trees cast to float32); ``fine``: rounded like the challenge data (ties in x and y);
    ``coarse``: a handful of distinct values (heavy ties)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    w = np.sin(2 * z) + 0.4 * rng.standard_normal(n)
    if kind == "f32":
        return z.astype(np.float32).astype(float), w.astype(np.float32).astype(float)
    if kind == "fine":
        return np.round(z * 10000), np.round(w * 10000)
    return np.round(z * 3), np.round(w * 3)


def data_cases():
    """(kind, n, seed, n_folds) for the reference comparisons; leave-one-out only where the
    references stay quick."""
    for kind in ("f32", "fine", "coarse"):
        for n in (2, 3, 5, 17):
            for n_folds in (2, n):
                yield kind, n, 0, n_folds
        yield kind, 200, 1, 10
        yield kind, 200, 2, 2


def assert_close(got, want, tol, scale, context):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, context
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=str(context))
    ok = ~np.isnan(want)
    if ok.any():
        err = np.max(np.abs(got[ok] - want[ok]))
        assert err <= tol * scale, f"{context}: max error {err:.3g} > {tol:.1g} * {scale:.3g}"


def compare(name, params, tol, x, y, folds, context):
    got = getattr(K, name)(x, y, folds, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(R, name)(x, y, folds, **params)
    finite = want[np.isfinite(want)]
    scale = max(float(np.std(y)), float(np.max(np.abs(finite), initial=0.0)), 1e-300)
    assert_close(got, want, tol, scale, context)
    return got


@pytest.mark.parametrize(("name", "params", "tol"), MODELS, ids=MODEL_IDS)
def test_matches_reference(name, params, tol):
    for kind, n, seed, n_folds in data_cases():
        a, b = make_pair(kind, n, seed)
        folds = make_folds(n, n_folds, seed)
        for x, y, direction in ((a, b, "a>b"), (b, a, "b>a")):
            compare(name, params, tol, x, y, folds, (kind, n, seed, n_folds, direction))


@pytest.mark.parametrize(("name", "params", "tol"), MODELS, ids=MODEL_IDS)
def test_degenerate_inputs(name, params, tol):
    fn = getattr(K, name)
    rng = np.random.default_rng(7)
    n = 12
    x = np.round(rng.standard_normal(n) * 3)
    y = np.round(rng.standard_normal(n) * 3)
    folds = make_folds(n, 3, 7)
    # Constant x (a single distinct value): every model falls back to the training mean.
    const_x = np.full(n, 4.0)
    compare(name, params, tol, const_x, y, folds, "constant x")
    expected = np.array([y[folds != folds[i]].mean() for i in range(n)])
    np.testing.assert_allclose(fn(const_x, y, folds, **params), expected, rtol=1e-12)
    # Constant y: the prediction is that constant.
    np.testing.assert_allclose(fn(x, np.full(n, -2.5), folds, **params), -2.5, rtol=1e-12)
    # One fold only: every training set is empty.
    assert np.isnan(fn(x, y, np.zeros(n, np.int64), **params)).all()
    # n = 0 and n = 1.
    assert fn(np.zeros(0), np.zeros(0), np.zeros(0, np.int64), **params).shape == (0,)
    assert np.isnan(fn([1.0], [2.0], [0], **params)).all()
    # NaN or inf anywhere: all NaN, never an exception; the reference agrees.
    for bad in (np.nan, np.inf, -np.inf):
        for target in ("x", "y"):
            xb, yb = x.copy(), y.copy()
            (xb if target == "x" else yb)[3] = bad
            got = fn(xb, yb, folds, **params)
            assert got.shape == (n,) and np.isnan(got).all()
            assert np.isnan(getattr(R, name)(xb, yb, folds, **params)).all()


@pytest.mark.parametrize(("name", "params", "tol"), MODELS, ids=MODEL_IDS)
def test_order_and_labels_do_not_matter(name, params, tol):
    """Tie rules are order independent: permuting the input permutes the output; fold labels
    are only labels."""
    fn = getattr(K, name)
    x, y = make_pair("coarse", 60, 3)
    folds = make_folds(60, 5, 3)
    base = fn(x, y, folds, **params)
    perm = np.random.default_rng(4).permutation(60)
    scale = max(float(np.std(y)), float(np.max(np.abs(base))))
    np.testing.assert_allclose(fn(x[perm], y[perm], folds[perm], **params), base[perm],
                               rtol=0, atol=1e-11 * scale)
    for labels in ([-7, 3, 100, 42, 5], [0, 2, 4, 6, 9], [2**40, 1, 2, 3, 4]):
        relabelled = np.array(labels, dtype=np.int64)[folds]
        np.testing.assert_allclose(fn(x, y, relabelled, **params), base, rtol=0,
                                   atol=1e-11 * scale)
    np.testing.assert_allclose(fn(x, y, folds.astype(np.uint8), **params), base, rtol=0,
                               atol=1e-11 * scale)


@pytest.mark.parametrize(("name", "params", "tol"), MODELS, ids=MODEL_IDS)
def test_sorted_core_contract(name, params, tol):
    """The core of the model's CORES entry, on (xs, ys, fs) sorted by x with the arguments the
    entry derives from the parameters, returns the sorted-order predictions."""
    x, y = make_pair("fine", 50, 5)
    folds = make_folds(50, 4, 5)
    order = np.argsort(x, kind="stable")
    entry = K.CORES[name]
    got = entry.core(x[order], y[order], folds[order], *entry.core_args(**params))
    np.testing.assert_array_equal(got, getattr(K, name)(x, y, folds, **params)[order])


def test_knn_matches_scikit_learn_without_ties():
    """On tie-free data the tie rule is irrelevant: equal to KNeighborsRegressor."""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x = rng.uniform(-2, 2, 150)
        y = np.cos(x) + 0.2 * rng.standard_normal(150)
        folds = make_folds(150, 10, seed)
        for k in (1, 3, 10):
            want = cross_val_predict(KNeighborsRegressor(k), x[:, None], y,
                                     cv=PredefinedSplit(folds))
            np.testing.assert_allclose(K.oof_knn_regression(x, y, folds, k), want,
                                       rtol=0, atol=1e-12)
            np.testing.assert_allclose(R.oof_knn_regression_sklearn(x, y, folds, k), want)


def test_knn_tie_rule_by_hand():
    # Point 0 (x=0, fold 0) sees x = 1, -1, 1 at distance 1 (three-way tie) and x=5 further.
    x = np.array([0.0, 1.0, -1.0, 1.0, 5.0])
    y = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    folds = np.array([0, 1, 1, 1, 1])
    # k = 2: the tied three share the 2 slots: 2 * mean(10, 20, 30) / 2 = 20.
    assert K.oof_knn_regression(x, y, folds, 2)[0] == pytest.approx(20.0)
    # k = 4: all four points, the fourth one strictly further.
    assert K.oof_knn_regression(x, y, folds, 4)[0] == pytest.approx(25.0)
    # k = 9 > 4 training points: their mean.
    assert K.oof_knn_regression(x, y, folds, 9)[0] == pytest.approx(25.0)


def test_nadaraya_watson_paths():
    """Heavy tails (isolated targets: direct sums), tiny and huge bandwidths (all direct / one
    box) and leave-one-out at n = 300 agree with the full-weight reference."""
    rng = np.random.default_rng(11)
    n = 300
    x = rng.standard_t(1.5, n)
    y = np.tanh(x) + 0.3 * rng.standard_normal(n)
    for bandwidth in (0.01, 0.3, 50.0):
        for folds in (make_folds(n, 10, 1), make_folds(n, n)):
            compare("oof_nadaraya_watson", {"bandwidth": bandwidth}, NW, x, y, folds,
                    ("t", bandwidth, folds.max()))
    # Targets far from every training point do not underflow to 0/0.
    # Here h is about 0.2 and the last point lies 5,000 h away: its nearest training point
    # (x = 1) takes all the weight.
    far = np.append(np.linspace(0.0, 1.0, 20), 1000.0)
    target = np.arange(21.0)
    got = K.oof_nadaraya_watson(far, target, np.arange(21), 0.5)
    assert np.isfinite(got).all() and got[20] == 19.0


def test_polynomial_reduces_degree_to_distinct_values():
    # Three distinct x: a degree-5 request fits the interpolating parabola of the training set.
    x = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0])
    y = x ** 2 + np.array([0.1, -0.1, 0.2, -0.2, 0.05, -0.05, 0.0])
    folds = np.array([0, 1, 0, 1, 0, 1, 2])
    got = K.oof_polynomial(x, y, folds, degree=5)
    assert got[6] == pytest.approx(9.0, abs=1e-9)
    np.testing.assert_allclose(got, R.oof_polynomial(x, y, folds, degree=5), atol=1e-9)


def test_smoothing_spline_limits():
    """A huge penalty gives the least-squares line; beyond the training range the (natural)
    spline is a straight line."""
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(0, 1, 40))
    y = np.sin(6 * x) + 0.1 * rng.standard_normal(40)
    folds = np.where(np.arange(40) % 5 == 0, 0, 1)
    np.testing.assert_allclose(K.oof_smoothing_spline(x, y, folds, lam=1e6),
                               K.oof_linear(x, y, folds), atol=1e-6)
    x_out = np.concatenate([x, [1.5, 2.0, 2.5, -1.0, -2.0, -3.0]])
    y_out = np.concatenate([y, np.zeros(6)])
    f_out = np.concatenate([folds, np.zeros(6, np.int64)])
    pred = K.oof_smoothing_spline(x_out, y_out, f_out, lam=1e-3)[-6:]
    assert pred[2] - pred[1] == pytest.approx(pred[1] - pred[0], abs=1e-10)
    assert pred[5] - pred[4] == pytest.approx(pred[4] - pred[3], abs=1e-10)


def test_smoothing_spline_separated_knots():
    rng = np.random.default_rng(9)
    for n, lam in ((40, 1e-4), (150, 1e-2), (150, 1.0)):
        x = np.arange(n) + rng.uniform(0, 0.5, n)
        y = np.sin(x / 5) + 0.2 * rng.standard_normal(n)
        folds = make_folds(n, 5, 9)
        compare("oof_smoothing_spline", {"lam": lam}, 1e-9, x, y, folds, ("separated", n, lam))


def test_robust_scale():
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal(101), rng.standard_t(1, 50), np.round(rng.standard_normal(80)),
              np.array([1.0, 1.0, 1.0, 1.0, 9.0]), np.array([3.0]), np.full(4, 2.0)):
        assert K.robust_scale(x) == pytest.approx(R.robust_scale(x), rel=1e-12, abs=0)
    assert np.isnan(K.robust_scale([1.0, np.nan]))


def test_argument_errors():
    x = np.arange(5.0)
    folds = np.array([0, 1, 0, 1, 0])
    with pytest.raises(ValueError):
        K.oof_linear(x, x[:4], folds)
    with pytest.raises(ValueError):
        K.oof_linear(x, x, folds[:4])
    with pytest.raises(ValueError):
        K.oof_linear(x[:, None], x, folds)
    with pytest.raises(TypeError):
        K.oof_linear(x, x, folds.astype(float))
    with pytest.raises(TypeError):
        K.oof_linear(x.astype(str), x, folds)
    with pytest.raises(ValueError):
        K.oof_polynomial(x, x, folds, degree=6)
    with pytest.raises(TypeError):
        K.oof_knn_regression(x, x, folds, k=2.5)
    with pytest.raises(ValueError):
        K.oof_knn_regression(x, x, folds, k=0)
    with pytest.raises(ValueError):
        K.oof_nadaraya_watson(x, x, folds, bandwidth=0.0)
    with pytest.raises(TypeError):
        K.oof_isotonic(x, x, folds, increasing="yes")
    with pytest.raises(ValueError):
        K.oof_tree_regression(x, x, folds, max_depth=0)
    with pytest.raises(ValueError):
        K.oof_boosted_stumps(x, x, folds, learning_rate=-1.0)
    with pytest.raises(ValueError):
        K.oof_smoothing_spline(x, x, folds, lam=float("nan"))
