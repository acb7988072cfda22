"""The SLOPE-style description length (causepairs.kernels.causal.mdl_score) against its
reference in causepairs.kernels.reference.causal, on random and edge-case inputs (n = 3..12,
40, 200; ties, binary, few levels, constants, Cauchy, huge and tiny scales, NaN/inf, both
directions), a case worked by hand, invariances, and the direction on two clear pairs.

Tolerances: rtol 1e-9, atol 1e-12. Scaling, resolutions and level groups are the same
arithmetic in kernel and reference (identical bits); what differs is the least-squares fit
(Gram-Schmidt against LAPACK's lstsq) and summation order, which move an RSS by ~1e-15
relative, and its logarithm by less.
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
from causepairs.kernels.reference import causal as ref

RTOL = 1e-9
ATOL = 1e-12
NS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 40) + (() if numba.config.DISABLE_JIT else (200,))


def pairs():
    """Named (x, y) pairs: smooth with noise, ties, few levels, binary, constants, heavy
    tails, huge and tiny scales."""
    out = []
    for seed, n in itertools.product((0, 1), NS):
        rng = np.random.default_rng(seed * 1000 + n)
        z = rng.uniform(-2, 2, n)
        w = np.tanh(z) + (0.2 + 0.3 * np.abs(z)) * rng.standard_normal(n)
        out += [(f"smooth-{n}-{seed}", z, w),
                (f"cubic-{n}-{seed}", z, z ** 3 + 0.01 * rng.standard_normal(n)),
                (f"rounded-{n}-{seed}", np.round(z * 10), np.round(w * 10)),
                (f"coarse-{n}-{seed}", np.round(z), np.round(w * 2)),
                (f"levels5-{n}-{seed}", rng.integers(0, 5, n).astype(float), w),
                (f"binary-{n}-{seed}", (z > 0).astype(float), w),
                (f"constant-{n}-{seed}", z, np.full(n, 3.0)),
                (f"cauchy-{n}-{seed}", rng.standard_cauchy(n), w),
                (f"huge-{n}-{seed}", z * 1e150, w * 1e-150),
                (f"tiny-{n}-{seed}", z * 1e-300, w),
                (f"overflow-{n}-{seed}", z * 8e307, w)]
    return out


PAIRS = pairs()


def reference(*args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ref.mdl_score(*args)


def assert_same(got, want, label=""):
    if math.isnan(want):
        assert math.isnan(got), f"{label}: expected NaN, got {got}"
        return
    assert got == pytest.approx(want, rel=RTOL, abs=ATOL), label


def test_matches_reference_both_directions():
    defined = 0
    for label, x, y in PAIRS:
        for a, b, direction in ((x, y, "x->y"), (y, x, "y->x")):
            got = fast.mdl_score(a, b)
            assert_same(got, reference(a, b), label=f"{label} {direction}")
            defined += math.isfinite(got)
    assert defined > len(PAIRS)  # the comparison is not NaN against NaN throughout


few_values = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, 7.0])


@st.composite
def tied_pairs(draw):
    n = draw(st.integers(2, 30))
    x = np.array(draw(st.lists(few_values, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n)))
    return x, y


@settings(max_examples=80, deadline=None, derandomize=True)
@given(tied_pairs())
def test_matches_reference_on_heavy_ties(pair):
    x, y = pair
    for a, b in ((x, y), (y, x)):
        assert_same(fast.mdl_score(a, b), reference(a, b))


def test_bad_values_give_nan():
    x = np.linspace(0, 1, 20)
    y = x ** 2
    for bad in (np.nan, np.inf, -np.inf):
        yb = y.copy()
        yb[3] = bad
        assert math.isnan(fast.mdl_score(x, yb)) and math.isnan(fast.mdl_score(yb, x))
    assert math.isnan(fast.mdl_score(x, np.ones(20)))
    assert math.isnan(fast.mdl_score(np.ones(20), x))
    for n in (0, 1, 2):
        assert math.isnan(fast.mdl_score(x[:n], y[:n]))
        assert math.isnan(reference(x[:n], y[:n]))
    with pytest.raises(ValueError):
        fast.mdl_score(x, y[:5])


def test_a_case_worked_by_hand():
    # x = 0, 0, 1, 1 and y = 0, 1, 1, 1: both already in [0, 1], resolution 1 each (the floor
    # does not bind), n = 4, so a parameter costs log2(4) / 2 = 1 bit
    x = np.array([0.0, 0.0, 1.0, 1.0])
    y = np.array([0.0, 1.0, 1.0, 1.0])
    two_pi_e = 2 * math.pi * math.e

    def gaussian(rss):  # 4 residuals at resolution 1
        return max(4 * 0.5 * math.log2(two_pi_e * rss / 4), 0.0)

    # x -> y: constant (mean 3/4): RSS = 9/16 + 3/16 = 3/4; line = the two group means
    # (0.5 and 1): RSS = 1/2; quadratic and cubic add nothing (two distinct x); per-value
    # means allowed (2 levels, 2^2 <= 4), same RSS as the line, same 2 parameters
    conditional = min(gaussian(0.75) + 1, gaussian(0.5) + 2)
    cause = 4 * math.log2(2)                 # 2 cells of the grid {0, 1}
    model = 1 + math.log2(5)                 # noise scale, name of one of 5 classes
    assert fast.mdl_score(x, y) == pytest.approx((cause + conditional + model) / 4,
                                                 rel=1e-12)
    # y -> x: x given y: constant (mean 1/2): RSS = 1; line through the means of x at y = 0
    # (0) and at y = 1 (2/3): RSS = 0 + 4/9 + 1/9 + 1/9 = 2/3
    conditional = min(gaussian(1.0) + 1, gaussian(2 / 3) + 2)
    assert fast.mdl_score(y, x) == pytest.approx((cause + conditional + model) / 4,
                                                 rel=1e-12)


def test_gaussian_code_is_floored_at_zero_bits():
    # an exact fit costs its parameters only, not negative bits: y = x^2 on 9 points
    x = np.linspace(-1, 1, 9)
    n = 9
    per_parameter = 0.5 * math.log2(n)
    cause = n * math.log2(1 + 8)            # grid of 9 equally spaced values
    want = (cause + 3 * per_parameter + per_parameter + math.log2(5)) / n
    assert fast.mdl_score(x, x ** 2) == pytest.approx(want, rel=1e-12)


def test_resolution_is_floored():
    # two values 1e-12 of the range apart: the grid of the cause is the floor's
    x = np.r_[0.0, 1e-12, np.linspace(0.1, 1, 30)]
    us = np.sort(fast._unit_scale(x))
    assert fast._mdl_resolution_sorted(us) == fast.MDL_RESOLUTION_FLOOR


def test_order_independent():
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal(300) * 2)
    y = np.round(x ** 2 / 2 + rng.standard_normal(300), 1)
    for a, b in ((x, y), (y, x)):
        value = fast.mdl_score(a, b)
        for _ in range(3):
            perm = rng.permutation(300)
            assert fast.mdl_score(a[perm], b[perm]) == value  # same bits: ties sorted


def test_affine_invariant():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 200)
    y = x ** 2 + 0.1 * rng.standard_normal(200)
    for a, b in ((x, y), (y, x)):
        value = fast.mdl_score(a, b)
        # offsets of the data's own magnitude: a larger one rounds the values themselves,
        # and with them the smallest gap (the resolution)
        assert fast.mdl_score(3 * a - 5, 1e-6 * b + 2e-6) == pytest.approx(value, rel=1e-9)
        # a decreasing map mirrors [0, 1]: the same polynomials, the same gaps
        assert fast.mdl_score(-a, -b * 1e100) == pytest.approx(value, rel=1e-9)


def test_prefers_the_causal_direction_on_clear_pairs():
    rng = np.random.default_rng(11)
    # a cubic mechanism with a little noise, uniform cause: the cubic fits x -> y, while
    # x = cbrt(y) is steep near 0, which no cubic in y follows
    x = rng.uniform(-1, 1, 1000)
    y = x ** 3 + 0.02 * rng.standard_normal(1000)
    assert fast.mdl_score(x, y) < fast.mdl_score(y, x) - 0.5
    # a cause with 5 levels and a continuous effect: five means describe y given x; x given
    # y needs a Gaussian code of its levels at the cause's coarse resolution
    x = rng.integers(0, 5, 1000).astype(float)
    y = np.array([0.0, 2.0, 1.0, 3.0, 0.5])[x.astype(int)] + 0.3 * rng.standard_normal(1000)
    assert fast.mdl_score(x, y) < fast.mdl_score(y, x)


def test_level_means_only_for_a_cause_with_few_values():
    # a zig-zag over 5 levels: no cubic follows it, the per-value means do, exactly; with
    # n = 24 (5^2 > 24) they are not allowed, with n = 25 they are
    pattern = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    for n, allowed in ((24, False), (25, True)):
        x = np.arange(n, dtype=float) % 5
        y = pattern[x.astype(int)]
        per_parameter = 0.5 * math.log2(n)
        cause = n * math.log2(5)
        exact = (cause + 5 * per_parameter + per_parameter + math.log2(5)) / n
        got = fast.mdl_score(x, y)
        assert (got == pytest.approx(exact, rel=1e-12)) == allowed
        assert got == pytest.approx(reference(x, y), rel=RTOL)
