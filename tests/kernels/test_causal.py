"""Causal kernels (causepairs.kernels.causal) against their references
(causepairs.kernels.reference.causal), against scikit-learn/NumPy directly where they compute the
same quantity, and on edge cases: ties, constants, n = 0..5, NaN/inf, both directions (every
measure is directional: f(x, y) scores "x causes y", and f(y, x) is tested too), permuted input.

Tolerances: rtol 1e-9 with atol 1e-12. The IGCI, RECI and conditional-distribution kernels
reproduce the references' scaling bit for bit (means and sds summed in sorted order, the same
elementwise operations), so their tie and bin decisions are identical and the remaining
differences are sums of logs or squares in another order (~1e-14 relative). The RECI fit is a
Gram-Schmidt projection against the reference's SVD least squares: ~1e-15 relative, plus
~1e-30 absolute when the fit is exact (n = 5 points, or x with <= 4 distinct values). The ANM
score chains a prefix-sum kNN mean into HSIC (largest difference seen ~1e-12 relative).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor

from causepairs.kernels import causal as fast
from causepairs.kernels.reference import causal as ref

RTOL = 1e-9
ATOL = 1e-12
NS = (2, 3, 5, 17, 200)
SEEDS = (0, 1)

MEASURES = ["igci_slope", "igci_entropy", "reci", "conditional_distribution_variability",
            "conditional_distribution_similarity", "anm_score"]
VARIANTS = ([("igci_slope", {"reference": r}) for r in ("uniform", "gaussian")]
            + [("igci_entropy", {"reference": r}) for r in ("uniform", "gaussian")]
            + [("reci", {}), ("anm_score", {}), ("anm_score", {"n_neighbors": 3}),
               ("conditional_distribution_variability", {}),
               ("conditional_distribution_variability", {"n_bins": 4, "min_count": 2}),
               ("conditional_distribution_similarity", {}),
               ("conditional_distribution_similarity", {"n_bins": 5, "min_count": 2})])
VARIANT_IDS = [name + "".join(f"-{v}" for v in kw.values()) for name, kw in VARIANTS]


def pairs():
    """Named (x, y) pairs: continuous, challenge-like rounding, coarse ties, binary, heavy tails."""
    out = []
    for seed, n in itertools.product(SEEDS, NS):
        rng = np.random.default_rng(seed)
        z = rng.uniform(-2, 2, n)
        w = z ** 3 + 0.5 * rng.standard_normal(n)
        out += [(f"cubic-{n}-{seed}", z, w),
                (f"x10000-{n}-{seed}", np.round(z * 10000), np.round(w * 10000)),
                (f"coarse-{n}-{seed}", np.round(z * 3), np.round(w * 3)),
                (f"binary-{n}-{seed}", (z > 0.5).astype(float), np.round(w * 3)),
                (f"t2-{n}-{seed}", np.round(rng.standard_t(2, size=n) * 100), w)]
    return out


PAIRS = pairs()


def reference(name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(ref, name)(*args, **kwargs)


def assert_same(got, want, rtol=RTOL, atol=ATOL, label=""):
    if math.isnan(want):
        assert math.isnan(got), f"{label}: expected NaN, got {got}"
        return
    assert got == pytest.approx(want, rel=rtol, abs=atol), label


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=VARIANT_IDS)
def test_matches_reference_both_directions(name, kwargs):
    for label, x, y in PAIRS:
        for a, b, direction in ((x, y, "x->y"), (y, x, "y->x")):
            assert_same(getattr(fast, name)(a, b, **kwargs), reference(name, a, b, **kwargs),
                        label=f"{name} {label} {direction}")


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=VARIANT_IDS)
def test_order_independent(name, kwargs):
    # heavy ties: every tie rule must depend on the multiset of points only
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal(300) * 2)
    y = np.round(x ** 2 / 2 + rng.standard_normal(300))
    f = getattr(fast, name)
    for a, b in ((x, y), (y, x)):
        value = f(a, b, **kwargs)
        for _ in range(3):
            perm = rng.permutation(300)
            assert f(a[perm], b[perm], **kwargs) == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_igci_entropy_is_antisymmetric():
    rng = np.random.default_rng(6)
    x = rng.uniform(size=200)
    y = np.round(np.exp(x) * 50)
    for reference_measure in ("uniform", "gaussian"):
        forward = fast.igci_entropy(x, y, reference_measure)
        assert fast.igci_entropy(y, x, reference_measure) == pytest.approx(-forward, rel=1e-12)


def test_directions_on_clear_pairs():
    # light sanity checks on noiseless or clearly additive-noise pairs with fixed seeds
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, 500)
    y = x ** 3  # IGCI's setting: deterministic, x uniform
    assert fast.igci_slope(x, y) < fast.igci_slope(y, x)
    assert fast.igci_entropy(x, y) < fast.igci_entropy(y, x)
    x = rng.uniform(-2, 2, 500)
    y = x ** 3 + rng.uniform(-1, 1, 500)  # additive noise, independent of x
    assert fast.anm_score(x, y) < fast.anm_score(y, x)
    assert fast.conditional_distribution_similarity(x, y) < \
        fast.conditional_distribution_similarity(y, x)
    assert fast.reci(x, y) < fast.reci(y, x)


def test_loo_knn_equals_scikit_learn_on_tie_free_data():
    # without ties the boundary rule picks exactly k neighbours, as KNeighborsRegressor does
    rng = np.random.default_rng(8)
    x = np.sort(rng.standard_normal(60))
    y = np.sin(x) + rng.standard_normal(60)
    for k in (1, 4, 10):
        want = cross_val_predict(KNeighborsRegressor(n_neighbors=k), x[:, None], y,
                                 cv=LeaveOneOut())
        np.testing.assert_allclose(fast._loo_knn_sorted(x, y, k), want, rtol=1e-12)


def test_loo_knn_ties_average_the_boundary():
    xs = np.array([0.0, 1.0, 1.0, 1.0, 5.0])
    ys = np.array([10.0, 1.0, 2.0, 3.0, 50.0])
    # point 0 with k = 1: the three points at distance 1 are tied, all are averaged
    assert fast._loo_knn_sorted(xs, ys, 1)[0] == pytest.approx(2.0)
    np.testing.assert_allclose(fast._loo_knn_sorted(xs, ys, 2), ref._loo_knn(xs, ys, 2))


def test_reci_equals_polyfit():
    rng = np.random.default_rng(9)
    x = rng.uniform(size=300)
    y = np.sin(5 * x) + 0.2 * rng.standard_normal(300)
    u = (x - x.min()) / np.ptp(x)
    v = (y - y.min()) / np.ptp(y)
    mse = np.mean((v - np.polyval(np.polyfit(u, v, 3), u)) ** 2)
    assert fast.reci(x, y) == pytest.approx(mse, rel=1e-10)


def test_spread_is_zero_for_identical_conditionals():
    # y independent of x's bins with identical histograms in every bin: spread 0
    x = np.repeat(np.arange(4.0), 20)
    y = np.tile(np.arange(20.0), 4)
    assert fast.conditional_distribution_variability(x, y, n_bins=4) == pytest.approx(0.0)
    assert fast.conditional_distribution_similarity(x, y, n_bins=4) == pytest.approx(0.0)
    # a location shift per bin changes the raw histograms, not the centred ones
    y_shift = y + 3 * x
    assert fast.conditional_distribution_variability(x, y_shift, n_bins=4) > 0.1
    assert fast.conditional_distribution_similarity(x, y_shift, n_bins=4) == pytest.approx(0.0)


@pytest.mark.parametrize("name", MEASURES)
def test_degenerate_input_gives_nan(name):
    f = getattr(fast, name)
    z = np.array([0.5, -1.0, 2.0, 3.5, 0.0, 1.0])
    cases = {"empty": (np.array([]), np.array([])), "one": (z[:1], z[1:2]),
             "constant x": (np.full(6, 3.0), z), "constant y": (z, np.full(6, 3.0)),
             "nan": (np.where(z == 2.0, np.nan, z), z), "inf": (z, np.where(z == 0, np.inf, z)),
             "-inf": (np.where(z == 0, -np.inf, z), z)}
    for label, (a, b) in cases.items():
        assert math.isnan(f(a, b)), label
        assert math.isnan(reference(name, a, b)), label


def test_small_n_rules():
    x = np.array([0.0, 1.0, 3.0, 4.0])
    y = np.array([1.0, 0.0, 2.0, 5.0])
    assert math.isnan(fast.reci(x, y))  # n < 5: a cubic interpolates
    assert not math.isnan(fast.reci(np.append(x, 2.0), np.append(y, 1.0)))
    assert math.isnan(fast.anm_score(x[:2], y[:2]))  # n < 3
    assert not math.isnan(fast.igci_slope(x[:2], y[:2]))
    # every consecutive pair has dx = 0 or dy = 0: no slope to average
    assert math.isnan(fast.igci_slope(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])))
    # fewer than two x-bins with min_count points
    assert math.isnan(fast.conditional_distribution_variability(x, y, min_count=10))


def test_argument_errors():
    with pytest.raises(ValueError, match="reference"):
        fast.igci_slope(np.zeros(3), np.zeros(3), reference="lebesgue")
    with pytest.raises(ValueError, match="same length"):
        fast.reci(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="n_neighbors"):
        fast.anm_score(np.zeros(3), np.zeros(3), n_neighbors=0)
    with pytest.raises(ValueError, match="min_count"):
        fast.conditional_distribution_similarity(np.zeros(3), np.zeros(3), min_count=0)
    with pytest.raises(TypeError, match="numbers"):
        fast.igci_entropy(np.array(["a", "b"]), np.zeros(2))


def _knn_window_per_point(xs, i, k):
    """The slow reference of ``_knn_windows_sorted``: a walk of k steps to the k-th distance
    (the nearer side first), then every point within it, found by scanning."""
    n = len(xs)
    left, right, dk = i - 1, i + 1, 0.0
    for _ in range(k):
        d_left = xs[i] - xs[left] if left >= 0 else np.inf
        d_right = xs[right] - xs[i] if right < n else np.inf
        if d_left <= d_right:
            dk, left = d_left, left - 1
        else:
            dk, right = d_right, right + 1
    first = min(j for j in range(i + 1) if xs[i] - xs[j] <= dk)
    stop = max(j for j in range(i, n) if xs[j] - xs[i] <= dk) + 1
    return first, stop


def test_knn_windows_match_the_per_point_search():
    """Every window of the one-sweep search is the per-point walk's: continuous, rounded
    (ties at the k-th distance), two-valued, heavy-tailed, equally spaced (ties on both
    sides), k = 1 .. n - 1, n = 1 .. 60."""
    rng = np.random.default_rng(41)
    arrays = [np.zeros(1), np.array([0.0, 1.0]), np.array([0.0, 0.0, 0.0])]
    for n in (3, 5, 17, 60):
        arrays += [rng.standard_normal(n), np.round(rng.standard_normal(n) * 2),
                   rng.integers(0, 2, n).astype(float), np.round(rng.standard_t(1, n) * 50),
                   np.arange(n) * 0.1, np.exp(rng.standard_normal(n) * 4)]
    for v in arrays:
        xs = np.sort(v)
        n = len(xs)
        for k in sorted({1, 2, 3, 10, 30, n - 1} & set(range(0 if n == 1 else 1, n))):
            firsts, stops = fast._knn_windows_sorted(xs, k)
            for i in range(n):
                assert (firsts[i], stops[i]) == _knn_window_per_point(xs, i, k), (n, k, i)
