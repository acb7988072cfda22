"""Turning numeric variables into observed ones: Numerical, Categorical or Binary.

Type realisation respects causality:

* a Categorical or Binary *cause* is drawn as categories first (:func:`draw_categorical_cause`);
  each category gets a random value, and the mechanism only sees that value, so the effect
  depends on the category alone;
* a Categorical or Binary *effect* (or a confounded variable) is a discretisation of the numeric
  one at random quantiles (:func:`discretise`);
* a Numerical variable is standardised, multiplied by the scale and rounded
  (:func:`to_scaled_integers`), as in the challenge, sometimes after a coarse "measurement
  resolution" rounding (:func:`coarsen`) that gives ties to causes and effects alike.

Category labels are always a random permutation of ``1..k`` (``0/1`` for Binary), so their
order carries no information.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causepairs.synth._sampling import log_uniform, robust_standardise, standardise

NUMERICAL = "Numerical"
CATEGORICAL = "Categorical"
BINARY = "Binary"
#: The three variable types, in the order used by ``GeneratorConfig.type_weights``.
VARIABLE_TYPES = (NUMERICAL, CATEGORICAL, BINARY)


@dataclass(frozen=True)
class CategoricalCause:
    """A categorical or binary cause drawn as categories first.

    Attributes
    ----------
    codes : numpy.ndarray
        Observed int64 labels (``1..k`` permuted, or ``0/1``).
    mechanism_input : numpy.ndarray
        Standardised random value of each point's category, what the mechanism sees.
    n_levels : int
        Number of distinct labels present.
    """

    codes: np.ndarray
    mechanism_input: np.ndarray
    n_levels: int


def relabel(rng: np.random.Generator, bins: np.ndarray, first_label: int) -> tuple[np.ndarray, int]:
    """Map the distinct values of ``bins`` to a random permutation of consecutive labels.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    bins : numpy.ndarray
        Integer bin or category indices (empty bins are simply absent).
    first_label : int
        1 for Categorical (labels ``1..k``), 0 for Binary (labels ``0/1``).

    Returns
    -------
    codes : numpy.ndarray
        int64 labels.
    n_levels : int
        Number of distinct labels.
    """
    present, position = np.unique(bins, return_inverse=True)
    labels = rng.permutation(present.size).astype(np.int64) + first_label
    return labels[position.ravel()], int(present.size)


def draw_level_count(rng: np.random.Generator, variable_type: str, min_levels: int,
                     max_levels: int) -> int:
    """Return the intended number of levels: 2 for Binary, uniform in the range for Categorical."""
    if variable_type == BINARY:
        return 2
    return int(rng.integers(min_levels, max_levels + 1))


def _level_probabilities(rng: np.random.Generator, n_levels: int) -> np.ndarray:
    if n_levels == 2:
        # Binary variables: anything from balanced to a 5% minority.
        share = rng.uniform(0.05, 0.95)
        return np.array([share, 1.0 - share])
    # A small concentration gives a few dominant categories, a large one near-equal ones.
    return rng.dirichlet(np.full(n_levels, log_uniform(rng, 0.3, 5.0)))


def draw_categorical_cause(rng: np.random.Generator, n: int, variable_type: str,
                           min_levels: int, max_levels: int) -> CategoricalCause:
    """Draw a Categorical or Binary cause: categories first, then a random value per category.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of points.
    variable_type : {"Categorical", "Binary"}
        Observed type.
    min_levels, max_levels : int
        Range of the number of levels of a Categorical variable.

    Returns
    -------
    CategoricalCause
    """
    n_levels = draw_level_count(rng, variable_type, min_levels, max_levels)
    categories = rng.choice(n_levels, size=n, p=_level_probabilities(rng, n_levels))
    category_values = rng.standard_normal(n_levels)
    codes, n_present = relabel(rng, categories, 0 if variable_type == BINARY else 1)
    return CategoricalCause(codes, robust_standardise(category_values[categories]), n_present)


def discretise(rng: np.random.Generator, values: np.ndarray, variable_type: str,
               min_levels: int, max_levels: int) -> tuple[np.ndarray, int]:
    """Cut a numeric variable at random quantiles into Categorical or Binary codes.

    Ties in ``values`` can merge bins, so the number of levels returned may be smaller than
    the one drawn (1 only for an almost constant variable, which the caller rejects).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    values : numpy.ndarray
        Numeric variable.
    variable_type : {"Categorical", "Binary"}
        Observed type.
    min_levels, max_levels : int
        Range of the number of levels of a Categorical variable.

    Returns
    -------
    codes : numpy.ndarray
        int64 labels.
    n_levels : int
        Number of distinct labels.
    """
    n_levels = draw_level_count(rng, variable_type, min_levels, max_levels)
    cut_probabilities = np.cumsum(_level_probabilities(rng, n_levels))[:-1]
    cuts = np.quantile(values, cut_probabilities)
    bins = np.searchsorted(cuts, values, side="right")
    return relabel(rng, bins, 0 if variable_type == BINARY else 1)


def coarsen(rng: np.random.Generator, values: np.ndarray,
            step_range: tuple[float, float] = (0.05, 1.0)) -> np.ndarray:
    """Round a variable to a coarse grid, like a measurement of limited resolution.

    The grid step is drawn log-uniformly in ``step_range`` standard deviations; the default
    0.05-1 leaves roughly 5 to 100 distinct values.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    values : numpy.ndarray
        Numeric variable.
    step_range : (float, float)
        Bounds of the grid step, in standard deviations.

    Returns
    -------
    numpy.ndarray
        Standardised, rounded values.
    """
    step = log_uniform(rng, *step_range)
    offset = rng.uniform(0.0, step)
    return np.round((standardise(values) - offset) / step) * step


def replace_marginal(values: np.ndarray, replacement: np.ndarray) -> np.ndarray:
    """Give ``values`` the marginal distribution of ``replacement``, keeping their ranks.

    This is a monotone transform of the variable (ties broken by position, i.e. at random for
    i.i.d. points), the rank-preserving replacement the challenge used on real pairs. Applied
    to causes and effects alike, it stops a model from telling them apart by the shape of
    their marginals (a cause drawn from a textbook distribution, an effect blurred by noise).

    Parameters
    ----------
    values : numpy.ndarray
        Numeric variable.
    replacement : numpy.ndarray
        Sample of the target distribution, same length.

    Returns
    -------
    numpy.ndarray
        ``replacement`` sorted and placed in the rank order of ``values``.
    """
    replaced = np.empty(values.size, dtype=np.float64)
    replaced[np.argsort(values, kind="stable")] = np.sort(replacement)
    return replaced


def to_scaled_integers(values: np.ndarray, scale: float) -> np.ndarray:
    """Standardise, multiply by ``scale`` and round to int64, as the challenge did.

    Parameters
    ----------
    values : numpy.ndarray
        Numeric variable.
    scale : float
        Multiplier (10,000 in the challenge).

    Returns
    -------
    numpy.ndarray
        int64 array (all zeros for a constant input).
    """
    return np.rint(standardise(values) * scale).astype(np.int64)
