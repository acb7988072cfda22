"""Small numeric helpers shared by the generator's modules.

Everything here is deterministic given its inputs (and the generator passed in), never raises on
degenerate data, and works on one pair's vector at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Below this spread a vector is treated as constant; far smaller than any real spread after the
#: generator's own standardisation, far larger than float64 round-off on values of order one.
CONSTANT_SPREAD = 1e-12


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """Draw one number whose logarithm is uniform on ``[log(low), log(high)]``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    low, high : float
        Positive bounds, ``low <= high``.

    Returns
    -------
    float
    """
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def standardise(values: np.ndarray) -> np.ndarray:
    """Return ``values`` shifted to mean 0 and scaled to standard deviation 1.

    A constant vector comes back as zeros rather than NaN, so callers can detect it afterwards.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional float array.

    Returns
    -------
    numpy.ndarray
        New float64 array of the same length.
    """
    # Overflow (possible only for absurd user settings) ends as a non-finite spread -> zeros.
    with np.errstate(over="ignore", invalid="ignore"):
        centred = np.asarray(values, dtype=np.float64) - np.mean(values)
        spread = float(np.std(centred))
    if not np.isfinite(spread) or spread <= CONSTANT_SPREAD:
        return np.zeros_like(centred)
    return centred / spread


def robust_standardise(values: np.ndarray) -> np.ndarray:
    """Centre on the median and scale by the interquartile range (normal-equivalent).

    Mechanisms are defined on inputs of order one; scaling by the IQR rather than the standard
    deviation keeps the bulk of a heavy-tailed cause at that order instead of letting a few
    outliers squeeze it towards zero. Falls back to the standard deviation when the IQR is 0 (a
    discrete variable with one dominant value) and to zeros for a constant vector.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional array.

    Returns
    -------
    numpy.ndarray
        New float64 array of the same length.
    """
    values = np.asarray(values, dtype=np.float64)
    q25, median, q75 = np.percentile(values, [25.0, 50.0, 75.0])
    spread = (q75 - q25) / 1.349
    if spread <= CONSTANT_SPREAD:
        spread = float(np.std(values))
    if not np.isfinite(spread) or spread <= CONSTANT_SPREAD:
        return np.zeros_like(values)
    return (values - median) / spread


def random_quantiles(rng: np.random.Generator, values: np.ndarray, count: int,
                     low: float = 0.02, high: float = 0.98) -> np.ndarray:
    """Return ``count`` sorted quantiles of ``values`` at uniformly random probabilities.

    Knots and thresholds placed at data quantiles (rather than uniformly over the range) always
    fall where the data are, whatever the shape of the cause's distribution.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    values : numpy.ndarray
        Data whose quantiles are taken.
    count : int
        Number of quantiles.
    low, high : float, optional
        Range of the probabilities.

    Returns
    -------
    numpy.ndarray
        Sorted array of length ``count`` (values may repeat for discrete data).
    """
    probabilities = np.sort(rng.uniform(low, high, size=count))
    return np.quantile(values, probabilities)


def data_domain(values: np.ndarray) -> tuple[float, float]:
    """Return the range holding the central 99% of ``values``, never of zero width.

    Parameters
    ----------
    values : numpy.ndarray
        Mechanism input.

    Returns
    -------
    tuple of float
        ``(low, high)`` with ``low < high``.
    """
    low, high = np.quantile(values, [0.005, 0.995])
    if high - low <= CONSTANT_SPREAD:
        low, high = float(np.min(values)), float(np.max(values))
    if high - low <= CONSTANT_SPREAD:
        low, high = low - 1.0, high + 1.0
    return float(low), float(high)


def choose_name(rng: np.random.Generator, weighted_names: Sequence[tuple[str, float]]) -> str:
    """Draw one name with probability proportional to its weight.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    weighted_names : sequence of (str, float)
        Candidates in a fixed order (the order matters for reproducibility), weights >= 0 with a
        positive sum.

    Returns
    -------
    str
    """
    # Inverse-CDF on one uniform: ten times cheaper than Generator.choice(p=...), which
    # re-validates the probabilities on every call (thousands of calls per set).
    cumulative = np.cumsum([weight for _, weight in weighted_names])
    # side="right" never lands on a name of weight 0, even for a uniform of exactly 0.
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return weighted_names[min(index, len(weighted_names) - 1)][0]


def weights_from_registry(registry: Mapping[str, object],
                          overrides: Sequence[tuple[str, float]] | None) -> tuple[tuple[str, float], ...]:
    """Return ``(name, weight)`` pairs in registry order, using ``overrides`` where given.

    Parameters
    ----------
    registry : mapping
        Name -> entry; each entry has a ``weight`` attribute (its default weight).
    overrides : sequence of (str, float) or None
        Weights replacing the defaults; names left out get weight 0. ``None`` keeps the defaults.

    Returns
    -------
    tuple of (str, float)
    """
    if overrides is None:
        return tuple((name, float(entry.weight)) for name, entry in registry.items())
    chosen = dict(overrides)
    return tuple((name, float(chosen.get(name, 0.0))) for name in registry)
