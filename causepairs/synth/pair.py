"""One labelled pair: its class, types, size, recipe and values, from its own generator.

:func:`generate_pair` is the whole per-pair recipe. Pair ``i`` draws everything from
``default_rng(SeedSequence(seed, spawn_key=(i,)))`` except its class, which comes from a stream
shared by its block of 32 pairs (for balance, see :func:`draw_details`); so it is the same
whatever the number of pairs requested, the chunking or the number of worker processes.

How each class is made (then each variable is realised by its type, see
:mod:`causepairs.synth.variables`):

* Details 1 / 2 -- a cause X (numeric from a cause distribution, or categories first), an
  effect ``Y = noise_model(mechanism(X [+ cause noise]), noise)``; X goes to A for Details 1 and
  to B for Details 2, so both directions are made the same way. Sometimes a hidden confounder
  also acts on a numeric cause and on the effect (causal *and* confounded, as in real data and
  in the SIM-c benchmark set).
* Details 3 -- a hidden numeric confounder C; A and B are two effects of C with mechanisms of
  the same family and the same noise model but independent instances, noises and SNRs.
* Details 4 -- A and B made separately, each either drawn like a cause or made like an effect of
  its own hidden cause, so their marginals look like those of dependent pairs.

Recipe fields (:data:`RECIPE_COLUMNS`; "" or NaN where a field does not apply):

* ``details``, ``target``, ``a_type``, ``b_type``, ``n``; ``a_levels`` / ``b_levels``: number of
  categories (2 for Binary, 0 for Numerical).
* ``a_role`` / ``b_role``: "cause" or "effect". For Details 4, "effect" means made by a hidden
  mechanism from the variable's own hidden cause.
* ``cause_distribution``: the cause's distribution (``warped_`` prefix when reshaped;
  "categorical"/"binary" for categories-first causes); for Details 4, A's source distribution.
  ``confounder_distribution``: C's (Details 3). ``independent_b_distribution``: B's source
  (Details 4).
* ``mechanism`` / ``mechanism_family`` (one of ``MECHANISM_FAMILIES``, "none" for Details 4);
  ``noise`` ("<model>_<distribution>") / ``noise_family`` (the noise model: additive,
  heteroscedastic, multiplicative, post_nonlinear; "none" for Details 4);
  ``noise_distribution``; ``noise_on_cause``; ``snr`` (signal-to-noise variance ratio);
  ``cause_noise_snr``. For Details 3 these describe A's side and ``mechanism_b``, ``noise_b``,
  ``snr_b``, ``cause_noise_snr_b`` B's side (same mechanism family and noise model).
* ``confounding``: for Details 1 / 2, the strength (0-1) of a hidden confounder acting on both
  the cause and the effect (its distribution in ``confounder_distribution``), NaN if none.
* ``a_measurement_snr`` / ``b_measurement_snr``: signal-to-noise ratio of the measurement
  noise added to a Numerical variable as observed (NaN if none).
* ``a_marginal`` / ``b_marginal``: distribution whose marginal replaced the variable's own;
  ``a_coarsened`` / ``b_coarsened``: rounded to a coarse grid.
* ``attempts`` (draws needed for a usable pair), ``seed`` and ``spawn_key`` (the pair's
  generator is ``default_rng(SeedSequence(seed, spawn_key=(spawn_key,)))``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from causepairs.synth._sampling import choose_name, log_uniform, robust_standardise, standardise
from causepairs.synth.config import GeneratorConfig
from causepairs.synth.distributions import CAUSE_DISTRIBUTIONS
from causepairs.synth.mechanisms import MECHANISMS, evaluate_mechanism, monotone_warp_names
from causepairs.synth.noise import NOISE_DISTRIBUTIONS, NOISE_MODELS
from causepairs.synth.variables import (
    BINARY, NUMERICAL, VARIABLE_TYPES, coarsen, discretise, draw_categorical_cause,
    replace_marginal, to_scaled_integers,
)

#: Details class -> challenge Target.
TARGET_OF_DETAILS = {1: 1, 2: -1, 3: 0, 4: 0}
DETAILS_CLASSES = (1, 2, 3, 4)
#: Classes are assigned by stratified sampling within consecutive blocks of this many pairs, so
#: every block (hence any set) has class counts within one of the expected ones.
CLASS_BLOCK_SIZE = 32
#: Second entropy word of the class-assignment stream, keeping it apart from the per-pair streams.
_CLASS_STREAM_TAG = 0x636C6173
#: What independent pairs record as mechanism and noise (names and families).
NO_MECHANISM = "none"
CAUSE_ROLE = "cause"
EFFECT_ROLE = "effect"

#: Recipe fields, in column order (``SampleID`` is prepended by the driver).
RECIPE_COLUMNS = (
    "details", "target", "a_type", "b_type", "a_levels", "b_levels", "n", "a_role", "b_role",
    "cause_distribution", "confounder_distribution", "independent_b_distribution",
    "mechanism", "mechanism_family", "noise", "noise_family", "noise_distribution",
    "noise_on_cause", "snr", "cause_noise_snr",
    "mechanism_b", "noise_b", "snr_b", "cause_noise_snr_b",
    "confounding", "a_measurement_snr", "b_measurement_snr",
    "a_marginal", "b_marginal", "a_coarsened", "b_coarsened", "attempts", "seed", "spawn_key",
)


@dataclass(frozen=True)
class GeneratedPair:
    """One finished pair.

    Attributes
    ----------
    a, b : numpy.ndarray
        int64 values (scaled integers for Numerical, codes for Categorical/Binary).
    recipe : dict
        Field -> value for every name in :data:`RECIPE_COLUMNS`.
    """

    a: np.ndarray
    b: np.ndarray
    recipe: dict[str, Any]


@dataclass(frozen=True)
class _Observed:
    """One variable as it will be written.

    ``n_levels`` is 0 for Numerical; ``marginal`` names the distribution whose marginal replaced
    the variable's own ("" if none); ``coarsened`` says whether it was rounded to a coarse grid.
    """

    values: np.ndarray
    variable_type: str
    n_levels: int
    marginal: str = ""
    coarsened: bool = False
    measurement_snr: float = float("nan")

    def is_usable(self) -> bool:
        if self.variable_type == NUMERICAL:
            return bool(self.values.min() != self.values.max())
        return self.n_levels >= 2


@dataclass(frozen=True)
class _EffectRecipe:
    """How one effect is made from its cause."""

    mechanism: str
    noise_model: str
    noise_distribution: str
    noise_on_cause: bool


@dataclass(frozen=True)
class _Effect:
    """An effect's numeric values and the random strengths drawn for it."""

    values: np.ndarray
    snr: float
    cause_noise_snr: float
    signal_is_flat: bool


def pair_generator(seed: int, index: int) -> np.random.Generator:
    """Return the random generator of pair ``index`` (0-based) for the root ``seed``.

    Parameters
    ----------
    seed : int
        Root seed of the whole set.
    index : int
        Pair index; ``SampleID`` is ``prefix + str(index + 1)``.

    Returns
    -------
    numpy.random.Generator
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def draw_details(seed: int, index: int, details_weights: tuple[float, ...]) -> int:
    """Return the Details class of pair ``index``, balanced within blocks of pairs.

    Pairs ``32 b .. 32 b + 31`` share one random permutation of 32 equal strata of ``[0, 1)``;
    each pair takes a uniform point in its stratum and maps it through the cumulative class
    weights. Each pair's class still has exactly the configured probabilities, but the counts
    in every block are within one of ``32 * weight``. The class depends only on ``seed`` and
    ``index``, not on how many pairs are requested.

    Parameters
    ----------
    seed : int
        Root seed.
    index : int
        0-based pair index.
    details_weights : tuple of 4 float
        Relative class weights.

    Returns
    -------
    int
        1, 2, 3 or 4.
    """
    block, slot = divmod(index, CLASS_BLOCK_SIZE)
    rng = np.random.default_rng(np.random.SeedSequence([seed, _CLASS_STREAM_TAG], spawn_key=(block,)))
    strata = rng.permutation(CLASS_BLOCK_SIZE)
    offsets = rng.random(CLASS_BLOCK_SIZE)
    point = (strata[slot] + offsets[slot]) / CLASS_BLOCK_SIZE
    cumulative = np.cumsum(details_weights) / np.sum(details_weights)
    # side="right" skips classes of weight 0 even at point 0.0.
    position = int(np.searchsorted(cumulative, point, side="right"))
    return DETAILS_CLASSES[min(position, len(DETAILS_CLASSES) - 1)]


def _draw_size(rng: np.random.Generator, config: GeneratorConfig) -> int:
    log2_size = rng.uniform(np.log2(config.min_size), np.log2(config.max_size))
    return int(np.clip(round(2.0 ** log2_size), config.min_size, config.max_size))


def _draw_type(rng: np.random.Generator, config: GeneratorConfig) -> str:
    return choose_name(rng, tuple(zip(VARIABLE_TYPES, config.type_weights)))


def _observe(rng: np.random.Generator, values: np.ndarray, variable_type: str,
             config: GeneratorConfig) -> _Observed:
    """Realise a numeric variable as Numerical (scaled integers) or as Categorical/Binary codes."""
    if not np.all(np.isfinite(values)):
        # Cannot happen with the registered families; a zero vector is rejected as unusable.
        values = np.zeros_like(values)
    if variable_type == NUMERICAL:
        # Measured with error, then possibly re-expressed monotonically and recorded at a
        # coarse resolution: the order a real measurement goes through.
        measurement_snr = float("nan")
        if rng.random() < config.measurement_noise_probability:
            measurement_snr = log_uniform(rng, *config.measurement_snr_range)
            values = standardise(values) + rng.standard_normal(values.size) / np.sqrt(measurement_snr)
        marginal = ""
        if rng.random() < config.marginal_replacement_probability:
            marginal = choose_name(rng, config.cause_distribution_choices())
            values = replace_marginal(values, CAUSE_DISTRIBUTIONS[marginal].sample(rng, values.size))
        coarsened = bool(rng.random() < config.coarsen_probability)
        if coarsened:
            values = coarsen(rng, values, config.coarsen_step_range)
        return _Observed(to_scaled_integers(values, config.scale), NUMERICAL, 0, marginal, coarsened,
                         measurement_snr)
    codes, n_levels = discretise(rng, values, variable_type, config.min_levels, config.max_levels)
    return _Observed(codes, variable_type, n_levels)


def _draw_numeric_source(rng: np.random.Generator, n: int,
                         config: GeneratorConfig) -> tuple[np.ndarray, np.ndarray, str]:
    """Draw a numeric variable from a cause distribution: (raw values, mechanism input, name).

    With probability ``config.cause_warp_probability`` the draw goes through a random monotone
    warp and its name gets a ``warped_`` prefix.
    """
    name = choose_name(rng, config.cause_distribution_choices())
    raw = CAUSE_DISTRIBUTIONS[name].sample(rng, n)
    if rng.random() < config.cause_warp_probability:
        warps = monotone_warp_names()
        warp = warps[int(rng.integers(len(warps)))]
        raw = evaluate_mechanism(rng, warp, robust_standardise(raw))
        name = f"warped_{name}"
    return raw, robust_standardise(raw), name


def _draw_cause(rng: np.random.Generator, n: int, variable_type: str, config: GeneratorConfig,
                confounder: _Confounder | None = None) -> tuple[_Observed, np.ndarray, str]:
    """Draw a cause of the given type: (observed variable, mechanism input, distribution name).

    A numeric cause with a ``confounder`` is its own draw mixed with a random function of the
    confounder, in variance shares ``1 - strength**2`` and ``strength**2``.
    """
    if variable_type == NUMERICAL:
        raw, mechanism_input, name = _draw_numeric_source(rng, n, config)
        if confounder is not None:
            share = confounder.strength
            raw = (np.sqrt(1.0 - share ** 2) * standardise(mechanism_input)
                   + share * confounder.push(rng, config))
            mechanism_input = robust_standardise(raw)
        return _observe(rng, raw, NUMERICAL, config), mechanism_input, name
    cause = draw_categorical_cause(rng, n, variable_type, config.min_levels, config.max_levels)
    observed = _Observed(cause.codes, variable_type, cause.n_levels)
    return observed, cause.mechanism_input, "binary" if variable_type == BINARY else "categorical"


@dataclass(frozen=True)
class _Confounder:
    """A hidden numeric confounder of a causal pair and the strength of its effects (0-1)."""

    values: np.ndarray
    distribution: str
    strength: float

    def push(self, rng: np.random.Generator, config: GeneratorConfig) -> np.ndarray:
        """A random mechanism of the confounder, standardised: its effect on one variable."""
        return evaluate_mechanism(rng, _draw_mechanism(rng, config), self.values)


def _draw_mechanism(rng: np.random.Generator, config: GeneratorConfig,
                    family: str | None = None) -> str:
    """Draw a mechanism name, optionally restricted to one family."""
    choices = config.mechanism_choices()
    if family is not None:
        choices = tuple((name, weight) for name, weight in choices
                        if MECHANISMS[name].family == family)
    return choose_name(rng, choices)


def _draw_effect_recipe(rng: np.random.Generator, config: GeneratorConfig, *,
                        mechanism: str | None = None, noise_model: str | None = None,
                        noise_on_cause: bool | None = None) -> _EffectRecipe:
    """Draw how an effect is made; arguments given fix that part (confounded pairs share them)."""
    if mechanism is None:
        mechanism = _draw_mechanism(rng, config)
    if noise_model is None:
        noise_model = choose_name(rng, config.noise_model_choices())
    noise_distribution = choose_name(rng, config.noise_distribution_choices())
    if noise_on_cause is None:
        noise_on_cause = bool(rng.random() < config.noise_on_cause_probability)
    return _EffectRecipe(mechanism, noise_model, noise_distribution, noise_on_cause)


def _make_effect(rng: np.random.Generator, cause: np.ndarray, recipe: _EffectRecipe,
                 config: GeneratorConfig) -> _Effect:
    """Make an effect of the standardised ``cause`` following ``recipe``, with a random SNR."""
    n = cause.size
    sample_noise = NOISE_DISTRIBUTIONS[recipe.noise_distribution].sample
    mechanism_input = cause
    cause_noise_snr = float("nan")
    if recipe.noise_on_cause:
        cause_noise_snr = log_uniform(rng, *config.cause_noise_snr_range)
        mechanism_input = cause + sample_noise(rng, n) / np.sqrt(cause_noise_snr)
    signal = evaluate_mechanism(rng, recipe.mechanism, cause, mechanism_input)
    snr = log_uniform(rng, *config.snr_range)
    values = NOISE_MODELS[recipe.noise_model].apply(rng, signal, cause, sample_noise(rng, n),
                                                    1.0 / np.sqrt(snr))
    return _Effect(values, snr, cause_noise_snr, not np.any(signal))


def _effect_fields(recipe: _EffectRecipe, effect: _Effect) -> dict[str, Any]:
    return {
        "mechanism": recipe.mechanism,
        "mechanism_family": MECHANISMS[recipe.mechanism].family,
        "noise": f"{recipe.noise_model}_{recipe.noise_distribution}",
        "noise_family": recipe.noise_model,
        "noise_distribution": recipe.noise_distribution,
        "noise_on_cause": recipe.noise_on_cause,
        "snr": effect.snr,
        "cause_noise_snr": effect.cause_noise_snr,
    }


def _empty_fields() -> dict[str, Any]:
    """Fields that do not apply to a class: names empty, numbers NaN, flags False."""
    return {
        "cause_distribution": "", "confounder_distribution": "", "independent_b_distribution": "",
        "mechanism": NO_MECHANISM, "mechanism_family": NO_MECHANISM, "noise": NO_MECHANISM,
        "noise_family": NO_MECHANISM, "noise_distribution": NO_MECHANISM, "noise_on_cause": False,
        "snr": float("nan"), "cause_noise_snr": float("nan"),
        "mechanism_b": "", "noise_b": "", "snr_b": float("nan"), "cause_noise_snr_b": float("nan"),
        "confounding": float("nan"),
    }


# An attempt returns (A, B, roles, recipe fields, whether some mechanism came out flat).
_Attempt = tuple[_Observed, _Observed, tuple[str, str], dict[str, Any], bool]


def _directed_attempt(rng: np.random.Generator, n: int, cause_type: str, effect_type: str,
                      config: GeneratorConfig) -> tuple[_Observed, _Observed, dict[str, Any], bool]:
    """Make (cause, effect) for Details 1 and 2; the caller puts them in A/B order."""
    confounder = None
    if cause_type == NUMERICAL and rng.random() < config.causal_confounding_probability:
        _, values, confounder_distribution = _draw_numeric_source(rng, n, config)
        confounder = _Confounder(values, confounder_distribution,
                                 rng.uniform(*config.confounding_strength_range))
    cause, mechanism_input, distribution = _draw_cause(rng, n, cause_type, config, confounder)
    recipe = _draw_effect_recipe(rng, config)
    effect = _make_effect(rng, mechanism_input, recipe, config)
    effect_values = effect.values
    fields = _empty_fields() | _effect_fields(recipe, effect) | {"cause_distribution": distribution}
    if confounder is not None:
        # The confounder's push on the effect, sized relative to the effect's own spread.
        effect_values = (standardise(effect_values) * np.sqrt(1.0 - confounder.strength ** 2)
                         + confounder.strength * confounder.push(rng, config))
        fields |= {"confounder_distribution": confounder.distribution,
                   "confounding": confounder.strength}
    observed_effect = _observe(rng, effect_values, effect_type, config)
    return cause, observed_effect, fields, effect.signal_is_flat


def _confounded_attempt(rng: np.random.Generator, n: int, a_type: str, b_type: str,
                        config: GeneratorConfig) -> _Attempt:
    """Make A and B as two effects of a hidden numeric confounder (Details 3)."""
    _, confounder, distribution = _draw_numeric_source(rng, n, config)
    recipe_a = _draw_effect_recipe(rng, config)
    # Sharing the family and the noise model keeps one value per pair for leave-one-family-out
    # validation; the instances, noise shapes and strengths are still independent.
    recipe_b = _draw_effect_recipe(
        rng, config,
        mechanism=_draw_mechanism(rng, config, MECHANISMS[recipe_a.mechanism].family),
        noise_model=recipe_a.noise_model, noise_on_cause=recipe_a.noise_on_cause)
    effect_a = _make_effect(rng, confounder, recipe_a, config)
    effect_b = _make_effect(rng, confounder, recipe_b, config)
    fields = _empty_fields() | _effect_fields(recipe_a, effect_a) | {
        "confounder_distribution": distribution,
        "mechanism_b": recipe_b.mechanism,
        "noise_b": f"{recipe_b.noise_model}_{recipe_b.noise_distribution}",
        "snr_b": effect_b.snr,
        "cause_noise_snr_b": effect_b.cause_noise_snr,
    }
    a = _observe(rng, effect_a.values, a_type, config)
    b = _observe(rng, effect_b.values, b_type, config)
    return a, b, (EFFECT_ROLE, EFFECT_ROLE), fields, effect_a.signal_is_flat or effect_b.signal_is_flat


def _independent_variable(rng: np.random.Generator, n: int, variable_type: str,
                          config: GeneratorConfig) -> tuple[_Observed, str, str, bool]:
    """Make one variable of an independent pair: (observed, role, source distribution, flat)."""
    if rng.random() >= config.independent_derived_probability:
        observed, _, distribution = _draw_cause(rng, n, variable_type, config)
        return observed, CAUSE_ROLE, distribution, False
    # Made like an effect of a hidden cause of any type, so that e.g. the per-category clusters
    # an effect of a categorical cause shows also occur among independent variables.
    _, hidden_cause, distribution = _draw_cause(rng, n, _draw_type(rng, config), config)
    recipe = _draw_effect_recipe(rng, config)
    effect = _make_effect(rng, hidden_cause, recipe, config)
    observed = _observe(rng, effect.values, variable_type, config)
    return observed, EFFECT_ROLE, distribution, effect.signal_is_flat


def _independent_attempt(rng: np.random.Generator, n: int, a_type: str, b_type: str,
                         config: GeneratorConfig) -> _Attempt:
    """Make A and B independently (Details 4)."""
    a, a_role, a_distribution, a_flat = _independent_variable(rng, n, a_type, config)
    b, b_role, b_distribution, b_flat = _independent_variable(rng, n, b_type, config)
    fields = _empty_fields() | {"cause_distribution": a_distribution,
                                "independent_b_distribution": b_distribution}
    return a, b, (a_role, b_role), fields, a_flat or b_flat


def _attempt(rng: np.random.Generator, details: int, n: int, a_type: str, b_type: str,
             config: GeneratorConfig) -> _Attempt:
    if details == 1:
        cause, effect, fields, flat = _directed_attempt(rng, n, a_type, b_type, config)
        return cause, effect, (CAUSE_ROLE, EFFECT_ROLE), fields, flat
    if details == 2:
        cause, effect, fields, flat = _directed_attempt(rng, n, b_type, a_type, config)
        return effect, cause, (EFFECT_ROLE, CAUSE_ROLE), fields, flat
    if details == 3:
        return _confounded_attempt(rng, n, a_type, b_type, config)
    return _independent_attempt(rng, n, a_type, b_type, config)


def generate_pair(seed: int, index: int, config: GeneratorConfig) -> GeneratedPair:
    """Generate pair ``index`` of the set with root ``seed``.

    The class comes from :func:`draw_details`; the two types and the size are drawn first and
    kept; the rest is redrawn (up to ``config.max_attempts`` times in all) while a variable
    comes out unusable (constant, or one category) or a mechanism came out flat. The last
    attempt is kept whatever it is, so this never raises on unlucky draws.

    Parameters
    ----------
    seed : int
        Root seed.
    index : int
        0-based pair index.
    config : GeneratorConfig
        Settings.

    Returns
    -------
    GeneratedPair
    """
    details = draw_details(seed, index, config.details_weights)
    rng = pair_generator(seed, index)
    a_type, b_type = _draw_type(rng, config), _draw_type(rng, config)
    n = _draw_size(rng, config)
    for attempts in range(1, config.max_attempts + 1):
        a, b, roles, fields, flat = _attempt(rng, details, n, a_type, b_type, config)
        if a.is_usable() and b.is_usable() and not flat:
            break
    recipe = {
        "details": details, "target": TARGET_OF_DETAILS[details], "a_type": a_type,
        "b_type": b_type, "a_levels": a.n_levels, "b_levels": b.n_levels, "n": n,
        "a_role": roles[0], "b_role": roles[1], **fields,
        "a_measurement_snr": a.measurement_snr, "b_measurement_snr": b.measurement_snr,
        "a_marginal": a.marginal, "b_marginal": b.marginal,
        "a_coarsened": a.coarsened, "b_coarsened": b.coarsened, "attempts": attempts,
        "seed": int(seed), "spawn_key": int(index),
    }
    for field in ("snr", "cause_noise_snr", "snr_b", "cause_noise_snr_b", "confounding",
                  "a_measurement_snr", "b_measurement_snr"):
        recipe[field] = round(float(recipe[field]), 4)
    return GeneratedPair(a.values, b.values, {column: recipe[column] for column in RECIPE_COLUMNS})
