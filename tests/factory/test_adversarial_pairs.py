"""The factory on the pairs that used to crash it, and its rules for types, constants and scale.

The bounds-checked run of the whole fixed corpus is in ``tests/test_adversarial.py``; these
tests run in-process with the ordinary compiled kernels.
"""

import numpy as np
import pytest

from causepairs.factory import load_feature_set
from causepairs.factory.compute import SCALE_LIMITS, compute_pair, power_of_two_rescale
from causepairs.factory.views import VariableViews
from causepairs.synth.adversarial import TYPES, adversarial_corpus, adversarial_pair


@pytest.fixture(scope="module")
def fast():
    return load_feature_set("fast")


def pca1_columns(fs, direction):
    return [fs.column_index[c] for c in fs.columns if c.startswith(direction + "|in=pca1")]


@pytest.mark.parametrize("b", [
    np.repeat([0.0, 1.0, 2.0], 4),              # the audit's smallest crash: 3 tied levels
    np.arange(12.0)[::-1],                      # every value distinct under Categorical
    np.repeat([-3.0, 5.0, 9.0, 100.0], 3),      # 4 tied levels, codes not starting at 0
    np.tile([0.5, 1.5, 2.5], 4),                # fractional codes, tied
])
def test_tied_categorical_pairs_compute_with_a_defined_pca1_view(fast, b):
    a = np.arange(12.0)
    for a_type, b_type, x, y, direction in (("Numerical", "Categorical", a, b, "B>A"),
                                            ("Categorical", "Numerical", b, a, "A>B")):
        result = compute_pair(fast, x, y, a_type, b_type)
        assert not result.errors and not result.degenerate
        # the categorical side's pca1 view is defined (tie-break rule), so the regressions
        # on it are computed
        values = result.values[pca1_columns(fast, direction)]
        assert np.isfinite(values).mean() > 0.9


def test_unknown_type_strings_are_a_clear_error(fast):
    a = np.arange(20.0)
    for bad in ("numerical", "categorical", "", "Ordinal", None):
        with pytest.raises(ValueError, match="unknown variable type"):
            compute_pair(fast, a, a, bad, "Numerical")
        with pytest.raises(ValueError, match="unknown variable type"):
            compute_pair(fast, a, a, "Numerical", bad)
        with pytest.raises(ValueError, match="unknown variable type"):
            VariableViews(a, bad)


def test_views_reject_non_finite_values_and_hide_non_finite_views():
    with pytest.raises(ValueError, match="finite"):
        VariableViews(np.array([1.0, np.nan, 2.0]), "Numerical")
    constant = VariableViews(np.full(12, 4.0), "Categorical")
    # std and pca1 of one category are undefined: None, never a NaN array for a kernel
    assert constant.numeric("std") is None and constant.numeric("pca1") is None
    assert constant.sorted("pca1") is None
    assert constant.numeric("freq") is not None


@pytest.mark.parametrize("a_type", TYPES)
@pytest.mark.parametrize("b_type", TYPES)
def test_constant_variables_make_a_degenerate_pair(fast, a_type, b_type):
    x = np.linspace(0.0, 1.0, 30)
    for a, b in ((np.full(30, 2.0), x), (x, np.full(30, -1.0)), (np.zeros(30), np.ones(30))):
        result = compute_pair(fast, a, b, a_type, b_type)
        assert result.degenerate and not result.errors
        assert np.isnan(result.values).all()


def test_power_of_two_rescale_is_exact_and_only_outside_the_limits():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(50)
    same, rescaled = power_of_two_rescale(x)
    assert same is x and not rescaled
    for scale in (2.0 ** 80, 2.0 ** -90, 1e200, 1e-300):
        y, rescaled = power_of_two_rescale(x * scale)
        assert rescaled and 1.0 <= np.abs(y).max() < 2.0
        # a power of two: ratios are exact
        np.testing.assert_array_equal(y / y[0], (x * scale) / (x[0] * scale))
    lo, hi = SCALE_LIMITS
    assert not power_of_two_rescale(np.array([lo, -lo]))[1]
    assert power_of_two_rescale(np.array([hi, 1.0]))[1]
    zeros = np.zeros(5)
    assert power_of_two_rescale(zeros)[0] is zeros


@pytest.mark.parametrize("scale", [1e200, 1e-300, 2.0 ** 70])
def test_extreme_scales_give_the_features_of_the_rescaled_pair(fast, scale):
    rng = np.random.default_rng(11)
    a = rng.standard_normal(150)
    b = np.tanh(a) + 0.3 * rng.standard_normal(150)
    base = compute_pair(fast, a, b, "Numerical", "Numerical")
    scaled = compute_pair(fast, a * scale, b * scale, "Numerical", "Numerical")
    assert scaled.rescaled == ("A", "B") and base.rescaled == ()
    assert not scaled.errors
    # the NaN pattern is the ordinary pair's: no extra NaN columns at extreme scales
    np.testing.assert_array_equal(np.isnan(scaled.values), np.isnan(base.values))
    # the rescaled pair is the ordinary one times a power of two per variable, so every
    # scale-free column agrees with the ordinary pair's (differential entropies and other
    # scale-dependent columns differ)
    ra, _ = power_of_two_rescale(a * scale)
    rb, _ = power_of_two_rescale(b * scale)
    direct = compute_pair(fast, ra, rb, "Numerical", "Numerical")
    np.testing.assert_array_equal(direct.values, scaled.values)
    for column in ("sym|in=raw|pearson", "sym|spearman", "A>B|in=raw|out=std|linear|r2"):
        i = fast.column_index[column]
        assert scaled.values[i] == pytest.approx(base.values[i], rel=1e-12, abs=1e-12)


def test_a_small_corpus_computes_without_errors(fast):
    # every type combination, tied and degenerate levels, extreme scales, duplicated points
    for pair in adversarial_corpus(27, seed=5, max_n=250):
        result = compute_pair(fast, pair.a, pair.b, pair.a_type, pair.b_type)
        assert not result.errors, (pair.name, result.errors[:3])


def test_corpus_is_deterministic_and_covers_every_type_combination():
    first = adversarial_corpus(18, seed=2)
    again = [adversarial_pair(i, seed=2) for i in range(18)]
    for p, q in zip(first, again):
        assert p.name == q.name
        np.testing.assert_array_equal(p.a, q.a)
        np.testing.assert_array_equal(p.b, q.b)
    assert {(p.a_type, p.b_type) for p in first} == {(s, t) for s in TYPES for t in TYPES}
