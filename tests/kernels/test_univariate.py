"""Univariate kernels against their references (causepairs.kernels.reference.univariate), against
SciPy directly where it computes the same quantity, and on edge cases.

Tolerances: rtol=1e-9 with atol=1e-12 for the moment-based values (skewness, kurtosis,
Jarque-Bera) and the normality statistics: the kernels' two-pass loops and NumPy's pairwise sums
round differently, and a skewness near 0 is a difference of large terms, so its relative error
can reach ~1e-13 with headroom needed; the normal log-CDF (erfc vs SciPy's ndtr) agrees to
~1e-15. The spacing and plug-in entropies use rtol=1e-12 (sums of logs in another order).
Counts, ratios and mode counts are compared exactly.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import scipy.signal
import scipy.special
import scipy.stats

from causepairs.kernels import univariate as fast
from causepairs.kernels.reference import univariate as ref

NS = (2, 3, 4, 5, 17, 200, 500)
SEEDS = (0, 1)
NUMERIC = [name for name in fast.__all__ if name != "entropy_discrete"]
RTOL = {"entropy_spacing": 1e-12, "entropy_vasicek": 1e-12, "entropy_binned": 1e-12,
        "skewness": 1e-9, "kurtosis": 1e-9, "jarque_bera": 1e-9, "anderson_darling": 1e-9,
        "lilliefors": 1e-9, "unique_count": 0, "unique_ratio": 0, "discreteness": 0,
        "mode_count": 0}
SHAPE_MEASURES = ("entropy_spacing", "entropy_vasicek", "entropy_binned", "skewness",
                  "kurtosis", "jarque_bera", "anderson_darling", "lilliefors", "mode_count")


def numeric_inputs():
    out = []
    for seed, n in itertools.product(SEEDS, NS):
        rng = np.random.default_rng(seed)
        z = rng.standard_normal(n)
        mix = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(4, 1, n - n // 2)])
        out += [(f"normal-{n}-{seed}", z),
                (f"x10000-{n}-{seed}", np.round(z * 10000)),
                (f"coarse-{n}-{seed}", np.round(z * 3)),
                (f"expon-{n}-{seed}", np.round(rng.exponential(size=n) * 2)),
                (f"mixture-{n}-{seed}", mix),
                (f"t2-{n}-{seed}", np.round(rng.standard_t(2, size=n) * 10000))]
    return out


NUMERIC_INPUTS = numeric_inputs()
NUMERIC_IDS = [name for name, _ in NUMERIC_INPUTS]


def reference_value(name, x, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's small-sample and precision-loss warnings
        return getattr(ref, name)(x, *args)


@pytest.mark.parametrize("x", [x for _, x in NUMERIC_INPUTS], ids=NUMERIC_IDS)
def test_numeric_measures_match_reference(x):
    for name in NUMERIC:
        got = getattr(fast, name)(x)
        assert isinstance(got, float)
        expected = reference_value(name, x)
        if math.isnan(expected):
            assert math.isnan(got), name
        else:
            assert got == pytest.approx(expected, rel=RTOL[name], abs=1e-12), name


def test_parameters_match_reference():
    rng = np.random.default_rng(4)
    for x in (rng.standard_normal(300), np.round(rng.standard_normal(300) * 4)):
        for n_bins in (2, 5, 20):
            assert fast.entropy_binned(x, n_bins) == pytest.approx(
                ref.entropy_binned(x, n_bins), rel=1e-12)
        for m in (1, 3, 40):
            assert fast.entropy_vasicek(x, m) == pytest.approx(
                ref.entropy_vasicek(x, m), rel=1e-12)
        for n_grid, prom in ((16, 0.01), (64, 0.2), (128, 0.05)):
            assert fast.mode_count(x, n_grid, prom) == ref.mode_count(x, n_grid, prom)


def test_entropy_discrete_matches_reference_and_scipy():
    rng = np.random.default_rng(2)
    for n in (2, 3, 5, 17, 200):
        for labels in (rng.integers(0, 4, n), np.round(rng.standard_normal(n) * 2) / 2,
                       rng.choice(np.array(["a", "b", "c"]), n)):
            got = fast.entropy_discrete(labels)
            expected = ref.entropy_discrete(labels)
            if math.isnan(expected):
                assert math.isnan(got)
            else:
                assert got == pytest.approx(expected, rel=1e-12)
                _, counts = np.unique(labels, return_counts=True)
                assert got == pytest.approx(scipy.stats.entropy(counts), rel=1e-12)
    assert fast.entropy_discrete([0, 1, 0, 1]) == pytest.approx(math.log(2))
    assert math.isnan(fast.entropy_discrete([3, 3, 3]))
    assert math.isnan(fast.entropy_discrete(np.zeros(0)))
    assert math.isnan(fast.entropy_discrete([1.0, np.nan]))
    with pytest.raises(ValueError, match="one-dimensional"):
        fast.entropy_discrete(np.zeros((2, 2)))


# --------------------------------------------------------------------------------------------
# the kernels against SciPy itself, on tie-free data where SciPy's rules are the same
# --------------------------------------------------------------------------------------------

def test_vasicek_equals_scipy_on_tie_free_data():
    rng = np.random.default_rng(8)
    for n in (5, 17, 200, 500):
        x = rng.standard_normal(n)
        assert fast.entropy_vasicek(x) == pytest.approx(
            scipy.stats.differential_entropy(x, method="vasicek"), rel=1e-12)
        assert fast.entropy_vasicek(x, 2) == pytest.approx(
            scipy.stats.differential_entropy(x, window_length=2, method="vasicek"), rel=1e-12)


def test_entropy_spacing_formula_and_consistency():
    # psi(n) - psi(1) + mean log spacing, written out for three points
    x = np.array([0.0, 1.0, 3.0])
    expected = (math.log(1.0) + math.log(2.0)) / 2 + scipy.special.digamma(3) \
        - scipy.special.digamma(1)
    assert fast.entropy_spacing(x) == pytest.approx(expected, rel=1e-14)
    # a large uniform sample on [0, 1] has entropy close to 0, a standard normal 1.419
    rng = np.random.default_rng(0)
    assert abs(fast.entropy_spacing(rng.uniform(size=20000))) < 0.02
    assert fast.entropy_spacing(rng.standard_normal(20000)) == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e), abs=0.02)
    # ties: zero spacings are skipped, not turned into -inf
    assert math.isfinite(fast.entropy_spacing([1.0, 1.0, 2.0, 2.0, 4.0]))


def test_binned_entropy_equals_scipy_histogram_entropy():
    rng = np.random.default_rng(9)
    x = rng.standard_normal(400)
    for n_bins in (2, 10, 30):
        counts, _ = np.histogram(x, bins=n_bins)
        assert fast.entropy_binned(x, n_bins) == pytest.approx(scipy.stats.entropy(counts),
                                                               rel=1e-12)


def test_moments_and_normality_equal_scipy():
    rng = np.random.default_rng(10)
    for x in (rng.standard_normal(300), rng.exponential(size=50), rng.standard_t(3, 200)):
        assert fast.skewness(x) == pytest.approx(scipy.stats.skew(x), rel=1e-9)
        assert fast.kurtosis(x) == pytest.approx(scipy.stats.kurtosis(x), rel=1e-9)
        assert fast.jarque_bera(x) == pytest.approx(scipy.stats.jarque_bera(x).statistic,
                                                    rel=1e-9)
        assert fast.anderson_darling(x) == pytest.approx(
            scipy.stats.anderson(x, "norm", method="interpolate").statistic, rel=1e-9)
        z = (x - x.mean()) / x.std(ddof=1)
        assert fast.lilliefors(x) == pytest.approx(scipy.stats.kstest(z, "norm").statistic,
                                                   rel=1e-12)


def test_mode_count_equals_scipy_find_peaks_on_continuous_mixtures():
    rng = np.random.default_rng(12)
    for n, gap in itertools.product((50, 200, 500), (0.0, 2.0, 4.0, 8.0)):
        x = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(gap, 1, n - n // 2)])
        smooth = ref.smoothed_histogram(x, 64)
        padded = np.concatenate([[0.0], smooth, [0.0]])
        peaks, _ = scipy.signal.find_peaks(padded, prominence=0.05 * smooth.max())
        assert fast.mode_count(x) == len(peaks)
    x = np.concatenate([rng.normal(0, 1, 500), rng.normal(8, 1, 500)])
    assert fast.mode_count(x) == 2.0
    assert fast.mode_count(rng.normal(0, 1, 1000)) == 1.0


def test_peak_counter_equals_elder_rule_prominence():
    """The one-pass hysteresis core against explicit prominences, ties and plateaus included."""
    rng = np.random.default_rng(13)
    for trial in range(3000):
        g = int(rng.integers(1, 15))
        if trial % 2:
            s, thr = rng.integers(0, 6, g).astype(float), float(rng.choice([0.5, 1.0, 2.0]))
        else:
            s, thr = rng.random(g), float(rng.random() * 0.5 + 1e-3)
        padded = np.concatenate([[0.0], s, [0.0]])
        expected = int(np.sum(ref.prominences_elder(padded) >= thr))
        assert fast._count_prominent_peaks(s, thr) == expected
    # equal peaks over a shallow dip count once (SciPy's find_peaks would count two)
    assert fast._count_prominent_peaks(np.array([5.0, 4.5, 5.0]), 1.0) == 1
    assert fast._count_prominent_peaks(np.array([5.0, 3.0, 5.0]), 1.0) == 2


def test_log_ndtr_against_scipy_in_both_tails():
    z = np.concatenate([np.linspace(-60, 40, 2001), [-1e3, -25.0, -20.0, -19.999, 6.0, 6.001]])
    got = np.array([fast._log_ndtr(v) for v in z])
    # libm's erfc and SciPy's ndtr differ by up to ~3e-13 relative deep in the upper tail
    np.testing.assert_allclose(got, scipy.special.log_ndtr(z), rtol=1e-12, atol=1e-300)


def test_log_cdf_sf_pair():
    z = np.concatenate([np.linspace(-60, 60, 1201), [-1e3, -40.5, -20.0, 0.0, 20.0, 1e3]])
    pairs = np.array([fast._log_cdf_sf(v) for v in z])
    np.testing.assert_allclose(pairs[:, 0], scipy.special.log_ndtr(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(pairs[:, 1], scipy.special.log_ndtr(-z), rtol=1e-12,
                               atol=1e-300)


def test_anderson_darling_survives_extreme_outliers():
    x = np.concatenate([np.zeros(500), np.arange(3.0), [1e9]])
    a2 = fast.anderson_darling(x)
    assert math.isfinite(a2) and a2 > 100


# --------------------------------------------------------------------------------------------
# degenerate input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NUMERIC)
def test_degenerate_input(name):
    f = getattr(fast, name)
    for bad in (np.nan, np.inf, -np.inf):
        assert math.isnan(f(np.array([1.0, 2.0, bad, 3.0])))
    assert math.isnan(f(np.zeros(0)))
    constant = np.full(20, 7.0)
    if name in SHAPE_MEASURES:
        assert math.isnan(f(constant)) and math.isnan(f([7.0]))
    else:
        expected = {"unique_count": 1.0, "unique_ratio": 1 / 20, "discreteness": 1.0}[name]
        assert f(constant) == expected
    for n in (2, 3, 4, 5):  # tiny samples: never raise, agree with the reference
        x = np.arange(n, dtype=float) ** 2
        got, expected = f(x), reference_value(name, x)
        assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(
            expected, rel=1e-9, abs=1e-12)
    with pytest.raises(ValueError, match="one-dimensional"):
        f(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="numbers"):
        f(np.array(["a", "b"]))


def test_range_beyond_float64_maximum():
    x = np.array([-1e308, 1e308, 0.0, 5e307, 9e307, 1.0, 2.0])
    for name in ("entropy_binned", "mode_count"):
        with np.errstate(over="ignore"):  # the sd overflows to inf (NumPy warns without JIT)
            got = getattr(fast, name)(x)
        assert math.isfinite(got) and got == pytest.approx(reference_value(name, x), rel=1e-12)


def test_small_sample_rules():
    assert math.isnan(fast.entropy_vasicek([1.0, 2.0, 3.0]))  # default m=2 needs 2m < n
    assert math.isfinite(fast.entropy_vasicek([1.0, 2.0, 3.0], 1))
    assert math.isnan(fast.entropy_vasicek([1.0, 2.0, 3.0, 4.0], 2))
    assert fast.skewness([1.0, 2.0]) == 0.0 and fast.kurtosis([1.0, 2.0]) == -2.0
    assert fast.unique_ratio([1.0, 1.0, 2.0, 3.0]) == 0.75
    assert fast.discreteness([1.0, 1.0, 2.0, 3.0]) == 0.5
    assert fast.unique_count(np.array([3, 1, 3])) == 2.0


def test_order_does_not_matter():
    rng = np.random.default_rng(14)
    x = np.round(rng.standard_normal(200) * 3)
    perm = rng.permutation(200)
    for name in NUMERIC:
        assert getattr(fast, name)(x[perm]) == pytest.approx(getattr(fast, name)(x), rel=1e-12)


def test_bad_parameters_raise():
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="n_bins"):
        fast.entropy_binned(x, 1)
    with pytest.raises(TypeError, match="n_bins"):
        fast.entropy_binned(x, 2.0)
    with pytest.raises(ValueError, match="m must be"):
        fast.entropy_vasicek(x, 0)
    with pytest.raises(ValueError, match="n_grid"):
        fast.mode_count(x, 1)
    with pytest.raises(ValueError, match="min_prominence"):
        fast.mode_count(x, 64, 0.0)
