"""The principled direction scores added for issue 11 (QCCD-style quantile score, LOCI-style
location-scale HSIC and likelihood, RECI with isotonic and kNN fits, in
causepairs.kernels.causal) against their references in
causepairs.kernels.reference.causal, on random and edge-case inputs: ties, heavy ties,
constants, n = 2..12, huge and tiny scales, NaN/inf, both directions, permuted input.

Tolerances: rtol 1e-9 with atol 1e-12. Window and tie decisions are taken on identical bits in
kernel and reference (ranks / n for the quantile score; the same standardisation, summed in
sorted order, for the location-scale fits), so the differences left are sums in another order:
prefix-sum kNN means against direct means, NumPy's quantile interpolation formula, the HSIC
and entropy sums (largest seen ~1e-12 relative).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causepairs.kernels import causal as fast
from causepairs.kernels.dependence import median_heuristic
from causepairs.kernels.reference import causal as ref

RTOL = 1e-9
ATOL = 1e-12
KNN_SCORES = ("quantile_score", "location_scale_hsic", "location_scale_likelihood", "reci_knn")
SCORES = KNN_SCORES + ("reci_isotonic",)
VARIANTS = [(name, {}) for name in SCORES] + [(name, {"n_neighbors": k}) for name in KNN_SCORES
                                               for k in (1, 4)]
VARIANT_IDS = [name + "".join(f"-k{v}" for v in kw.values()) for name, kw in VARIANTS]
# n = 450 takes the location-scale HSIC past its exact limit (stratified subsample); without
# JIT the kernels are plain Python, so that run keeps to the small sizes
NS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 40) + (() if numba.config.DISABLE_JIT else (200, 450))


def pairs():
    """Named (x, y) pairs: smooth with heteroscedastic noise, ties, heavy ties, constants,
    binary, heavy tails, huge and tiny scales."""
    out = []
    for seed, n in itertools.product((0, 1), NS):
        rng = np.random.default_rng(seed * 1000 + n)
        z = rng.uniform(-2, 2, n)
        w = np.tanh(z) + (0.2 + 0.3 * np.abs(z)) * rng.standard_normal(n)
        out += [(f"ls-{n}-{seed}", z, w),
                (f"rounded-{n}-{seed}", np.round(z * 10), np.round(w * 10)),
                (f"coarse-{n}-{seed}", np.round(z), np.round(w * 2)),
                (f"binary-{n}-{seed}", (z > 0).astype(float), w),
                (f"constant-{n}-{seed}", z, np.full(n, 3.0)),
                (f"t1-{n}-{seed}", rng.standard_cauchy(n), w),
                (f"huge-{n}-{seed}", z * 1e150, w * 1e-150),
                # 1e-120, not 1e-300: the HSIC *reference* squares its bandwidth, which
                # underflows below ~1e-154 (the kernel does not); the tiny scale is the point
                (f"tiny-{n}-{seed}", z * 1e-120, w)]
    return out


PAIRS = pairs()


def reference(name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(ref, name)(*args, **kwargs)


def assert_same(got, want, label=""):
    if math.isnan(want):
        assert math.isnan(got), f"{label}: expected NaN, got {got}"
        return
    assert got == pytest.approx(want, rel=RTOL, abs=ATOL), label


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=VARIANT_IDS)
def test_matches_reference_both_directions(name, kwargs):
    defined = 0
    for label, x, y in PAIRS:
        for a, b, direction in ((x, y, "x->y"), (y, x, "y->x")):
            got = getattr(fast, name)(a, b, **kwargs)
            assert_same(got, reference(name, a, b, **kwargs),
                        label=f"{name} {label} {direction}")
            defined += math.isfinite(got)
    assert defined > len(PAIRS)  # the comparison is not NaN against NaN throughout


# few values: ties and constants are the common case, n from 2
few_values = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, 7.0])


@st.composite
def tied_pairs(draw):
    n = draw(st.integers(2, 24))
    x = np.array(draw(st.lists(few_values, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n)))
    return x, y


@settings(max_examples=60, deadline=None, derandomize=True)
@given(tied_pairs(), st.sampled_from(SCORES), st.integers(1, 30))
def test_matches_reference_on_heavy_ties(pair, name, k):
    x, y = pair
    kwargs = {"n_neighbors": k} if name in KNN_SCORES else {}
    for a, b in ((x, y), (y, x)):
        assert_same(getattr(fast, name)(a, b, **kwargs), reference(name, a, b, **kwargs),
                    label=f"{name} {kwargs}")


@pytest.mark.parametrize("name", SCORES)
def test_bad_values_give_nan(name):
    f = getattr(fast, name)
    x = np.linspace(0, 1, 20)
    y = x ** 2
    for bad in (np.nan, np.inf, -np.inf):
        yb = y.copy()
        yb[3] = bad
        assert math.isnan(f(x, yb)) and math.isnan(f(yb, x))
    assert math.isnan(f(x, np.ones(20))) and math.isnan(f(np.ones(20), x))
    assert math.isnan(f(x[:1], y[:1])) and math.isnan(f(x[:0], y[:0]))
    if name in KNN_SCORES:
        with pytest.raises(ValueError):
            f(x, y, n_neighbors=0)
    with pytest.raises(ValueError):
        f(x, y[:5])


@pytest.mark.parametrize("name", SCORES)
def test_order_independent(name):
    # heavy ties: every window rule must depend on the multiset of points only
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal(300) * 2)
    y = np.round(x ** 2 / 2 + rng.standard_normal(300))
    f = getattr(fast, name)
    for a, b in ((x, y), (y, x)):
        value = f(a, b)
        for _ in range(3):
            perm = rng.permutation(300)
            assert f(a[perm], b[perm]) == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_quantile_score_sees_only_ranks():
    # the copula transform: any strictly increasing map of either variable gives the same bits
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300)
    y = np.round(np.sin(2 * x) + 0.3 * rng.standard_normal(300), 1)
    value = fast.quantile_score(x, y)
    assert fast.quantile_score(np.exp(x), y ** 3 * 1e-200) == value
    assert fast.quantile_score(x * 1e250 + 7, y) == value


def test_quantile_score_matches_a_direct_pinball_loss_on_a_toy_case():
    # n = 4, k = 1, distinct ranks: each point's window is its single nearest rank neighbour
    # (the left one on an equal-distance tie is not a tie here: ranks 1..4, ends have one side)
    x = np.array([1.0, 2.0, 4.0, 8.0])
    y = np.array([3.0, 1.0, 4.0, 2.0])   # copula v = rank / 4 = .75, .25, 1, .5
    v = np.array([0.75, 0.25, 1.0, 0.5])
    # windows (|u_j - u_i| <= distance of the nearest, both sides kept when tied):
    windows = [[0.25], [0.75, 1.0], [0.25, 0.5], [1.0]]
    levels = fast.QUANTILE_LEVELS
    losses = []
    for vi, window in zip(v, windows):
        q = np.quantile(window, levels)
        r = vi - q
        losses.append(np.where(r < 0, r * (levels - 1), r * levels))
    assert fast.quantile_score(x, y, n_neighbors=1) == pytest.approx(np.mean(losses),
                                                                     rel=1e-14)


def test_location_scale_scores_are_affine_invariant():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 200)
    y = x ** 2 + (0.1 + np.abs(x)) * rng.standard_normal(200)
    for name in ("location_scale_hsic", "location_scale_likelihood"):
        f = getattr(fast, name)
        assert f(3 * x - 5, 1e-6 * y + 2) == pytest.approx(f(x, y), rel=1e-9)


def test_location_scale_fit_floors_the_scale_on_exact_neighbourhoods():
    # y constant on the left half: every left neighbourhood has zero residuals, so the fitted
    # sd there is the floor, not zero (no division by zero, finite standardised residuals)
    xs = np.arange(20.0)
    ys = np.r_[np.zeros(10), np.arange(10.0) ** 2]
    standardised, scale = fast._location_scale_fit_sorted(xs, ys, 3)
    assert np.isfinite(standardised).all()
    assert scale[:5].min() == pytest.approx(fast.LOCATION_SCALE_SD_FLOOR)


def test_directions_on_clear_pairs():
    # light sanity checks with fixed seeds: location-scale noise (LOCI's model), and additive
    # noise on a non-injective mechanism for the quantile score (its clear case: the
    # quantiles of y given x are simple, those of x given y bimodal; on monotone mechanisms
    # the copula loss is close both ways)
    rng = np.random.default_rng(7)
    x = rng.standard_normal(1000)
    y = np.tanh(2 * x) + (0.1 + 0.2 * (x > 0)) * rng.uniform(-1, 1, 1000)
    assert fast.location_scale_likelihood(x, y) < fast.location_scale_likelihood(y, x)
    assert fast.location_scale_hsic(x, y) < fast.location_scale_hsic(y, x)
    x = rng.uniform(-2, 2, 1000)
    y = np.sin(2 * x) + 0.3 * rng.standard_normal(1000)
    assert fast.quantile_score(x, y) < fast.quantile_score(y, x)


def test_reci_isotonic_and_knn_prefer_the_monotone_direction():
    # RECI's setting: a monotone mechanism with additive noise, cause uniform
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 1, 500)
    y = np.exp(2 * x) + 0.3 * rng.standard_normal(500)
    assert fast.reci_isotonic(x, y) < fast.reci_isotonic(y, x)
    assert fast.reci_knn(x, y) < fast.reci_knn(y, x)
    # a decreasing mechanism is fitted by the non-increasing branch: same score as mirrored
    assert fast.reci_isotonic(x, -y) == pytest.approx(fast.reci_isotonic(x, y), rel=1e-12)


# --- the factory's path: sorted once, the cores directly, LOCI from one fit ----------------------

def _factory_cases():
    rng = np.random.default_rng(31)
    cases = []
    for n in (2, 3, 4, 5, 12, 40, 200):
        x = rng.standard_normal(n)
        cases.append((x, np.sin(2 * x) + 0.3 * rng.standard_normal(n)))
        cases.append((np.round(x, 1), np.round(x * x + rng.standard_normal(n))))  # ties
        cases.append((rng.integers(0, 2, n).astype(float), rng.standard_normal(n)))
        cases.append((x, np.full(n, 1.5)))  # constant effect
        cases.append((np.full(n, -2.0), x))  # constant cause
    bad = rng.standard_normal(30)
    bad[4] = np.nan
    cases.append((bad, rng.standard_normal(30)))
    cases.append((rng.standard_normal(30), np.where(np.arange(30) == 7, np.inf, 1.0)))
    return cases


def _bitwise(got, want):
    return got == want or (math.isnan(got) and math.isnan(want))


@pytest.mark.parametrize("name", sorted(fast.CORES))
def test_cores_on_argsorted_data_are_bitwise_the_public_function(name):
    """The factory sorts by ``argsort`` once and calls each core; it must give the public
    function's bits (ties in x included: the same tie order as the public function's sort)."""
    entry = fast.CORES[name]
    for x, y in _factory_cases():
        for a, b in ((x, y), (y, x)):
            want = getattr(fast, name)(a, b)
            args = entry.core_args()
            if entry.sorted_input:
                order = fast.argsort(a)
                got = entry.core(a[order], b[order], *args)
            else:
                got = entry.core(a, b, *args)
            assert _bitwise(got, want), (name, len(a), got, want)


@pytest.mark.parametrize("k", [1, 3, 30])
def test_factory_cores_with_a_shared_bandwidth_are_bitwise_the_public_functions(k):
    """Both LOCI scores from one fit, and ANM, with x's HSIC bandwidth computed once per
    pair (``dependence.median_heuristic`` of x in its original order)."""
    for x, y in _factory_cases():
        for a, b in ((x, y), (y, x)):
            order = fast.argsort(a)
            xs, ys = a[order], b[order]
            sigma = median_heuristic(a)
            h, nll = fast.location_scale_scores_sorted(xs, ys, k, True, True, sigma)
            assert _bitwise(h, fast.location_scale_hsic(a, b, n_neighbors=k))
            assert _bitwise(nll, fast.location_scale_likelihood(a, b, n_neighbors=k))
            h_only, nll_none = fast.location_scale_scores_sorted(xs, ys, k, True, False, sigma)
            assert _bitwise(h_only, h) and math.isnan(nll_none)
            assert _bitwise(fast.anm_score_given_sigma(xs, ys, k, sigma),
                            fast.anm_score(a, b, n_neighbors=k))


@pytest.mark.parametrize("reference", sorted(fast.REFERENCE_MEASURES))
def test_igci_entropy_from_each_variables_entropy_is_bitwise(reference):
    code = fast.REFERENCE_MEASURES[reference]
    for x, y in _factory_cases():
        for a, b in ((x, y), (y, x)):
            got = fast.igci_reference_entropy(b, code) - fast.igci_reference_entropy(a, code)
            assert _bitwise(got, fast.igci_entropy(a, b, reference)), (len(a), reference)
