"""Input checks shared by the public kernel wrappers: validate once, at the boundary.

Shape and type problems are programming errors and raise with a message that says what was
expected. Bad *values* (NaN, inf, a constant variable, too few points) are data, not errors:
the wrappers turn them into NaN results, and these helpers say when that applies.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_float_vector", "as_float_pair", "as_codes", "all_finite", "check_int",
           "make_folds", "as_folds"]


def as_float_vector(x, name: str = "x") -> np.ndarray:
    """``x`` as a contiguous 1-D float64 array; raise if it is not one-dimensional numbers."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def as_float_pair(x, y, names: tuple[str, str] = ("x", "y")) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D float64 arrays of the same length."""
    x = as_float_vector(x, names[0])
    y = as_float_vector(y, names[1])
    if len(x) != len(y):
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, "
                         f"got {len(x)} and {len(y)}")
    return x, y


def as_codes(labels, name: str = "labels") -> tuple[np.ndarray, int]:
    """Integer codes 0..k-1 for the distinct values of ``labels`` (sorted), and k.

    Codes follow the sorted order of the distinct values, so the result does not depend on
    the order the values first appear in.
    """
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite to be used as class labels")
    uniques, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.int64), len(uniques)


def check_int(value, name: str, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int, if it is an integer (not a bool) in ``minimum..maximum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def all_finite(*arrays: np.ndarray) -> bool:
    """True when every value of every array is finite."""
    return all(bool(np.isfinite(a).all()) for a in arrays)


def make_folds(n: int, n_folds: int = 10, seed: int = 0) -> np.ndarray:
    """A balanced, seeded assignment of ``n`` points to ``n_folds`` folds (ids 0..n_folds-1).

    Every model of a pair shares one assignment, so their out-of-fold predictions are
    comparable. With ``n_folds >= n`` each point is its own fold: leave-one-out.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n_folds < 2:
        raise ValueError(f"n_folds must be >= 2, got {n_folds}")
    if n_folds >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n, dtype=np.int64) % n_folds)


def as_folds(folds, n: int) -> np.ndarray:
    """Fold ids for ``n`` points as int64 codes ``0..K-1``: the one rule for every kernel.

    Any integer ids are accepted and are only labels: they are renumbered in their sorted
    order, so ``[5, -7, 5]`` is two folds, ``[1, 0, 1]``. Booleans and floats are refused
    (a mask or a float array passed as folds is a mistake, not a fold assignment).
    """
    arr = np.asarray(folds)
    if arr.ndim != 1:
        raise ValueError(f"folds must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"folds must hold integer fold ids, got dtype {arr.dtype}; "
                        "build them with causepairs.kernels._validation.make_folds")
    if len(arr) != n:
        raise ValueError(f"folds must have one id per point: expected {n}, got {len(arr)}")
    if n == 0:
        return np.zeros(0, np.int64)
    low, high = arr.min(), arr.max()
    if low >= 0 and high < 4 * n + 64:
        # Small non-negative ids (the usual case): relabel through a lookup table, O(n + K).
        ids = np.ascontiguousarray(arr, dtype=np.int64)
        present = np.bincount(ids, minlength=int(high) + 1) > 0
        if present.all():
            return ids
        return (np.cumsum(present) - 1)[ids]
    _, codes = np.unique(arr, return_inverse=True)
    return np.ascontiguousarray(codes.reshape(-1), dtype=np.int64)
