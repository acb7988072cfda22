"""The input checks every public kernel shares (causepairs.kernels._validation)."""

from __future__ import annotations

import numpy as np
import pytest

from causepairs.kernels._validation import (all_finite, as_codes, as_float_pair,
                                            as_float_vector, make_folds)


def test_as_float_vector_converts_numbers_to_contiguous_float64():
    for values in ([1, 2, 3], np.array([1, 2, 3], dtype=np.int8), np.array([True, False]),
                   np.arange(10.0)[::2], np.array([1.5, 2.5], dtype=np.float32)):
        out = as_float_vector(values)
        assert out.dtype == np.float64 and out.flags.c_contiguous and out.ndim == 1
        np.testing.assert_array_equal(out, np.asarray(values, dtype=np.float64))
    assert as_float_vector([]).shape == (0,)
    # non-finite values are data, not errors
    assert np.isnan(as_float_vector([1.0, np.nan])[1])


def test_as_float_vector_rejects_shapes_and_non_numbers():
    with pytest.raises(ValueError, match=r"y must be one-dimensional, got shape \(2, 2\)"):
        as_float_vector(np.zeros((2, 2)), "y")
    with pytest.raises(ValueError, match="one-dimensional"):
        as_float_vector(3.0)
    with pytest.raises(TypeError, match="x must hold numbers"):
        as_float_vector(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="numbers"):
        as_float_vector(np.array([1 + 2j]))


def test_as_float_pair():
    x, y = as_float_pair([1, 2], np.array([3.0, 4.0]))
    assert x.dtype == y.dtype == np.float64
    with pytest.raises(ValueError, match="a and b must have the same length, got 2 and 3"):
        as_float_pair([1, 2], [1, 2, 3], names=("a", "b"))
    with pytest.raises(ValueError, match="b must be one-dimensional"):
        as_float_pair([1, 2], np.zeros((2, 1)), names=("a", "b"))


def test_as_codes_follows_sorted_labels_not_first_appearance():
    codes, k = as_codes([30, 10, 20, 10])
    np.testing.assert_array_equal(codes, [2, 0, 1, 0])
    assert k == 3 and codes.dtype == np.int64
    codes, k = as_codes(np.array(["b", "a", "b"]))
    np.testing.assert_array_equal(codes, [1, 0, 1])
    assert k == 2
    codes, k = as_codes([2.5, -1.0])
    np.testing.assert_array_equal(codes, [1, 0])
    codes, k = as_codes([])
    assert codes.shape == (0,) and k == 0


def test_as_codes_rejects_shapes_and_non_finite_floats():
    with pytest.raises(ValueError, match="one-dimensional"):
        as_codes(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        as_codes([1.0, np.nan])
    with pytest.raises(ValueError, match="finite"):
        as_codes(np.array([np.inf, 1.0]))


def test_all_finite():
    assert all_finite(np.arange(3.0), np.ones(2))
    assert all_finite()
    assert all_finite(np.zeros(0))
    assert not all_finite(np.arange(3.0), np.array([1.0, np.inf]))
    assert not all_finite(np.array([np.nan]))


@pytest.mark.parametrize("n, n_folds", [(10, 2), (100, 10), (101, 10), (7, 3)])
def test_make_folds_is_balanced_and_seeded(n, n_folds):
    folds = make_folds(n, n_folds, seed=3)
    assert folds.dtype == np.int64 and folds.shape == (n,)
    counts = np.bincount(folds, minlength=n_folds)
    assert len(counts) == n_folds and counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(folds, make_folds(n, n_folds, seed=3))
    assert not np.array_equal(make_folds(1000, n_folds, seed=1), make_folds(1000, n_folds, 2))


def test_make_folds_leave_one_out_and_errors():
    np.testing.assert_array_equal(make_folds(5, 5), np.arange(5))
    np.testing.assert_array_equal(make_folds(5, 50), np.arange(5))
    assert make_folds(0, 10).shape == (0,)
    with pytest.raises(ValueError, match="n_folds must be >= 2"):
        make_folds(10, 1)
    with pytest.raises(ValueError, match="n must be >= 0"):
        make_folds(-1, 5)
