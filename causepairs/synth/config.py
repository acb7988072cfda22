"""The generator's settings: :class:`GeneratorConfig`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from causepairs.synth._sampling import weights_from_registry
from causepairs.synth.distributions import CAUSE_DISTRIBUTIONS
from causepairs.synth.mechanisms import MECHANISMS
from causepairs.synth.noise import NOISE_DISTRIBUTIONS, NOISE_MODELS
from causepairs.synth.variables import VARIABLE_TYPES

WeightedNames = tuple[tuple[str, float], ...]


def _check_weights(field: str, weights: Sequence[float], expected_length: int) -> tuple[float, ...]:
    """Return ``weights`` as a tuple of floats after checking length, sign and sum."""
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise ValueError(f"{field} must be a sequence of {expected_length} non-negative numbers, "
                         f"got {weights!r}")
    if len(weights) != expected_length:
        raise ValueError(f"{field} must have {expected_length} entries, got {len(weights)}: {weights!r}")
    values = tuple(float(weight) for weight in weights)
    if any(not math.isfinite(weight) or weight < 0.0 for weight in values):
        raise ValueError(f"{field} must be finite and non-negative, got {weights!r}")
    if sum(values) <= 0.0:
        raise ValueError(f"{field} must have a positive sum, got {weights!r}")
    return values


def _type_weights_as_tuple(weights: Sequence[float] | Mapping[str, float]) -> tuple[float, ...]:
    """Accept ``{"Numerical": .., "Categorical": .., "Binary": ..}`` or a 3-sequence."""
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(VARIABLE_TYPES)
        if unknown:
            raise ValueError(f"type_weights keys must be among {VARIABLE_TYPES}, got {sorted(unknown)}")
        weights = [weights.get(variable_type, 0.0) for variable_type in VARIABLE_TYPES]
    return _check_weights("type_weights", weights, len(VARIABLE_TYPES))


def _named_weights(field: str, weights: Mapping[str, float] | Sequence[tuple[str, float]] | None,
                   registry: Mapping[str, object]) -> WeightedNames | None:
    """Validate a name -> weight table against ``registry``; ``None`` means registry defaults."""
    if weights is None:
        return None
    table = dict(weights.items() if isinstance(weights, Mapping) else weights)
    unknown = sorted(set(table) - set(registry))
    if unknown:
        raise ValueError(f"{field} names unknown entries {unknown}; known: {list(registry)}")
    values = _check_weights(field, list(table.values()), len(table))
    # Stored in registry order, as a tuple, so the config stays hashable and draws reproducible.
    by_name = dict(zip(table, values))
    return tuple((name, by_name[name]) for name in registry if name in by_name)


def _check_range(field: str, bounds: Sequence[float], *, positive: bool) -> tuple[float, float]:
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, Sequence) or len(bounds) != 2:
        raise ValueError(f"{field} must be a (low, high) pair, got {bounds!r}")
    low, high = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(low) and math.isfinite(high)) or low > high or (positive and low <= 0.0):
        kind = "positive " if positive else ""
        raise ValueError(f"{field} must be finite {kind}numbers with low <= high, got {bounds!r}")
    return low, high


def _check_probability(field: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{field} must be a probability in [0, 1], got {value!r}")
    return value


def _check_int(field: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{field} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class GeneratorConfig:
    """Settings of the synthetic pair generator.

    All fields are validated on construction (``ValueError`` with the field's name). Weights
    need not sum to one; they are normalised when drawing.

    Parameters
    ----------
    details_weights : tuple of 4 float
        Relative frequency of Details 1 (A->B), 2 (B->A), 3 (A-B confounded), 4 (A|B independent).
    type_weights : tuple of 3 float or mapping
        Relative frequency of Numerical, Categorical, Binary, drawn independently for A and B.
        The default gives P(Numerical-Numerical) = 0.76**2 ~ 0.58, as in the challenge.
    min_size, max_size : int
        At least 10. Pair sizes are drawn log-uniformly (uniform on a log2 scale) in ``[min_size, max_size]``.
    scale : float
        Numerical variables are standardised, multiplied by this and rounded to integers.
    min_levels, max_levels : int
        Range of the number of levels of a Categorical variable (Binary always has 2).
    snr_range : (float, float)
        Signal-to-noise variance ratio of the effect, drawn log-uniformly; the default spans
        nearly independent (0.05: a linear correlation of about 0.2) to nearly deterministic.
    noise_on_cause_probability : float
        Probability that noise is also added to the cause before the mechanism.
    cause_noise_snr_range : (float, float)
        Signal-to-noise ratio of that cause noise, drawn log-uniformly.
    cause_warp_probability : float
        Probability that a numeric cause (or confounder, or directly drawn independent variable)
        is passed through a random smooth monotone warp after being drawn, so that causes are
        not always textbook distributions.
    marginal_replacement_probability : float
        Probability that a Numerical variable (cause or effect alike) gets the marginal of a
        fresh sample from a random cause distribution, rank-preservingly (a monotone transform).
        Kept rare: replacing an effect's marginal erases what the mechanism did to the cause's
        density, the very asymmetry IGCI-type reasoning finds in nature; at 0.2 instead of 0.05
        the nine synthetic validation sets' mean fell by 0.01-0.03 (3,000 training pairs).
    coarsen_probability : float
        Probability that a Numerical variable (cause or effect alike) is rounded to a coarse grid
        before scaling, giving many ties, as limited-resolution measurements do.
    coarsen_step_range : (float, float)
        Range of that grid's step in standard deviations, drawn log-uniformly: 1 leaves about 5
        distinct values, 0.005 about a thousand (few ties below a few hundred points).
    causal_confounding_probability : float
        Probability that a causal pair (Details 1 / 2) with a Numerical cause also has a hidden
        confounder acting on both the cause and the effect.
    confounding_strength_range : (float, float)
        Range (within [0, 1)) of that confounder's strength, drawn uniformly: the share of the
        standard deviation of cause and effect it drives.
    measurement_noise_probability : float
        Probability that a Numerical variable (cause or effect alike) is observed with Gaussian
        measurement noise; the mechanism sees the true value.
    measurement_snr_range : (float, float)
        Signal-to-noise variance ratio of that measurement noise, drawn log-uniformly.
    independent_derived_probability : float
        For independent pairs: probability that each variable is made like an effect (a random
        mechanism of its own hidden cause, plus noise) instead of drawn from a cause
        distribution, so independent variables look like those of dependent pairs.
    cause_distribution_weights, mechanism_weights : mapping or None
        Name -> weight over ``CAUSE_DISTRIBUTIONS`` / ``MECHANISMS``; names left out are never
        drawn; ``None`` keeps the registry's default weights. Stored as a tuple of
        ``(name, weight)`` pairs in registry order (a sequence of such pairs is accepted too).
    noise_model_weights, noise_distribution_weights : mapping or None
        The same over ``NOISE_MODELS`` / ``NOISE_DISTRIBUTIONS``.
    max_attempts : int
        A pair that comes out degenerate (constant numeric variable, one-level categorical) is
        redrawn up to this many times in all; the last attempt is kept whatever it is.
    """

    details_weights: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)
    type_weights: tuple[float, float, float] = (0.76, 0.12, 0.12)
    min_size: int = 200
    max_size: int = 8000
    scale: float = 10000.0
    min_levels: int = 3
    max_levels: int = 12
    snr_range: tuple[float, float] = (0.05, 300.0)
    noise_on_cause_probability: float = 0.3
    cause_noise_snr_range: tuple[float, float] = (1.0, 100.0)
    cause_warp_probability: float = 0.4
    marginal_replacement_probability: float = 0.05
    coarsen_probability: float = 0.12
    coarsen_step_range: tuple[float, float] = (0.05, 1.0)
    causal_confounding_probability: float = 0.25
    confounding_strength_range: tuple[float, float] = (0.2, 0.7)
    measurement_noise_probability: float = 0.25
    measurement_snr_range: tuple[float, float] = (3.0, 300.0)
    independent_derived_probability: float = 0.5
    cause_distribution_weights: WeightedNames | None = None
    mechanism_weights: WeightedNames | None = None
    noise_model_weights: WeightedNames | None = None
    noise_distribution_weights: WeightedNames | None = None
    max_attempts: int = 10

    def __post_init__(self) -> None:
        # Normalise in place (frozen dataclass, hence object.__setattr__) so that equal settings
        # compare equal and the config stays hashable and picklable for worker processes.
        normalised = {
            "details_weights": _check_weights("details_weights", self.details_weights, 4),
            "type_weights": _type_weights_as_tuple(self.type_weights),
            "min_size": _check_int("min_size", self.min_size, 10),
            "max_size": _check_int("max_size", self.max_size, 10),
            "min_levels": _check_int("min_levels", self.min_levels, 2),
            "max_levels": _check_int("max_levels", self.max_levels, 2),
            "snr_range": _check_range("snr_range", self.snr_range, positive=True),
            "cause_noise_snr_range": _check_range("cause_noise_snr_range",
                                                  self.cause_noise_snr_range, positive=True),
            "noise_on_cause_probability": _check_probability("noise_on_cause_probability",
                                                             self.noise_on_cause_probability),
            "cause_warp_probability": _check_probability("cause_warp_probability",
                                                         self.cause_warp_probability),
            "marginal_replacement_probability": _check_probability(
                "marginal_replacement_probability", self.marginal_replacement_probability),
            "coarsen_probability": _check_probability("coarsen_probability", self.coarsen_probability),
            "coarsen_step_range": _check_range("coarsen_step_range", self.coarsen_step_range,
                                               positive=True),
            "causal_confounding_probability": _check_probability(
                "causal_confounding_probability", self.causal_confounding_probability),
            "confounding_strength_range": _check_range(
                "confounding_strength_range", self.confounding_strength_range, positive=False),
            "measurement_noise_probability": _check_probability(
                "measurement_noise_probability", self.measurement_noise_probability),
            "measurement_snr_range": _check_range("measurement_snr_range",
                                                  self.measurement_snr_range, positive=True),
            "independent_derived_probability": _check_probability(
                "independent_derived_probability", self.independent_derived_probability),
            "cause_distribution_weights": _named_weights(
                "cause_distribution_weights", self.cause_distribution_weights, CAUSE_DISTRIBUTIONS),
            "mechanism_weights": _named_weights("mechanism_weights", self.mechanism_weights, MECHANISMS),
            "noise_model_weights": _named_weights("noise_model_weights", self.noise_model_weights,
                                                  NOISE_MODELS),
            "noise_distribution_weights": _named_weights(
                "noise_distribution_weights", self.noise_distribution_weights, NOISE_DISTRIBUTIONS),
            "max_attempts": _check_int("max_attempts", self.max_attempts, 1),
        }
        for field, value in normalised.items():
            object.__setattr__(self, field, value)
        if self.max_size < self.min_size:
            raise ValueError(f"max_size must be >= min_size, got min_size={self.min_size}, "
                             f"max_size={self.max_size}")
        if self.max_levels < self.min_levels:
            raise ValueError(f"max_levels must be >= min_levels, got min_levels={self.min_levels}, "
                             f"max_levels={self.max_levels}")
        low, high = self.confounding_strength_range
        if low < 0.0 or high >= 1.0:
            raise ValueError("confounding_strength_range must lie within [0, 1), got "
                             f"{self.confounding_strength_range!r}")
        scale = float(self.scale)
        if not math.isfinite(scale) or scale <= 0.0:
            raise ValueError(f"scale must be a positive finite number, got {self.scale!r}")
        object.__setattr__(self, "scale", scale)

    def cause_distribution_choices(self) -> WeightedNames:
        """Return ``(name, weight)`` for every cause distribution, in registry order."""
        return weights_from_registry(CAUSE_DISTRIBUTIONS, self.cause_distribution_weights)

    def mechanism_choices(self) -> WeightedNames:
        """Return ``(name, weight)`` for every mechanism, in registry order."""
        return weights_from_registry(MECHANISMS, self.mechanism_weights)

    def noise_model_choices(self) -> WeightedNames:
        """Return ``(name, weight)`` for every noise model, in registry order."""
        return weights_from_registry(NOISE_MODELS, self.noise_model_weights)

    def noise_distribution_choices(self) -> WeightedNames:
        """Return ``(name, weight)`` for every noise distribution, in registry order."""
        return weights_from_registry(NOISE_DISTRIBUTIONS, self.noise_distribution_weights)
