"""Noise: the distributions noise is drawn from and the ways it is combined with the signal.

Two registries, each filled once by a decorator:

* :data:`NOISE_DISTRIBUTIONS` -- ``sample(rng, n)`` returning noise with mean 0 and variance 1
  (standardised on the sample, so the signal-to-noise ratio means the same for every shape);
* :data:`NOISE_MODELS` -- ``apply(rng, signal, cause, noise, noise_scale)`` returning the
  effect. ``signal`` is the standardised mechanism output, ``cause`` the standardised cause,
  ``noise`` a unit-variance sample and ``noise_scale = 1 / sqrt(snr)``. The model's name is also
  its coarse family (additive, heteroscedastic, multiplicative, post_nonlinear).

Noise on the cause before the mechanism is not a model here: the generator adds it to the
mechanism's input (see :mod:`causepairs.synth.pair`), and it can combine with any model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from causepairs.synth._sampling import log_uniform, standardise
from causepairs.synth.mechanisms import evaluate_mechanism, monotone_warp_names

NoiseSampler = Callable[[np.random.Generator, int], np.ndarray]
NoiseApplier = Callable[[np.random.Generator, np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class NoiseDistribution:
    """One registered noise distribution (name, unit-variance sampler, default weight)."""

    name: str
    sample: NoiseSampler
    weight: float


@dataclass(frozen=True)
class NoiseModel:
    """One registered way of combining noise with the signal (name = family, applier, weight)."""

    name: str
    apply: NoiseApplier
    weight: float


#: Name -> :class:`NoiseDistribution`, in registration order.
NOISE_DISTRIBUTIONS: dict[str, NoiseDistribution] = {}
#: Name -> :class:`NoiseModel`, in registration order; names double as noise families.
NOISE_MODELS: dict[str, NoiseModel] = {}


def register_noise_distribution(name: str, *, weight: float = 1.0) -> Callable[[NoiseSampler], NoiseSampler]:
    """Register a raw noise sampler under ``name``; samples are standardised on the way out.

    Parameters
    ----------
    name : str
        Unique name recorded in recipes.
    weight : float, optional
        Default relative frequency.

    Returns
    -------
    callable
        The decorator, which returns the function unchanged.
    """
    def decorator(sample: NoiseSampler) -> NoiseSampler:
        if name in NOISE_DISTRIBUTIONS:
            raise ValueError(f"noise distribution {name!r} is already registered")

        def standardised_sample(rng: np.random.Generator, n: int) -> np.ndarray:
            return standardise(sample(rng, n))
        NOISE_DISTRIBUTIONS[name] = NoiseDistribution(name, standardised_sample, weight)
        return sample
    return decorator


def register_noise_model(name: str, *, weight: float = 1.0) -> Callable[[NoiseApplier], NoiseApplier]:
    """Register a noise-combination function under ``name`` (decorator).

    Parameters
    ----------
    name : str
        Unique name, also the noise family recorded in recipes.
    weight : float, optional
        Default relative frequency.

    Returns
    -------
    callable
        The decorator, which returns the function unchanged.
    """
    def decorator(apply: NoiseApplier) -> NoiseApplier:
        if name in NOISE_MODELS:
            raise ValueError(f"noise model {name!r} is already registered")
        NOISE_MODELS[name] = NoiseModel(name, apply, weight)
        return apply
    return decorator


# ------------------------------------------------------------------------------ distributions

@register_noise_distribution("gaussian", weight=2.0)
def gaussian_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample Gaussian noise."""
    return rng.standard_normal(n)


@register_noise_distribution("uniform")
def uniform_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample uniform noise (bounded, flat)."""
    return rng.uniform(-1.0, 1.0, size=n)


@register_noise_distribution("laplace")
def laplace_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample Laplace noise (peaked, exponential tails)."""
    return rng.laplace(0.0, 1.0, size=n)


@register_noise_distribution("student_t")
def student_t_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample Student t noise with 3-10 degrees of freedom (occasional large errors)."""
    return rng.standard_t(log_uniform(rng, 3.0, 10.0), size=n)


@register_noise_distribution("gaussian_mixture")
def gaussian_mixture_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample a 2-3 component Gaussian mixture (multimodal noise, e.g. a hidden binary factor)."""
    n_components = int(rng.integers(2, 4))
    weights = rng.dirichlet(np.full(n_components, 2.0))
    means = rng.normal(0.0, 2.0, size=n_components)
    spreads = np.array([log_uniform(rng, 0.2, 1.0) for _ in range(n_components)])
    component = rng.choice(n_components, size=n, p=weights)
    return means[component] + spreads[component] * rng.standard_normal(n)


@register_noise_distribution("skewed")
def skewed_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample gamma noise (shape 1-5) skewed to a random side."""
    sign = 1.0 if rng.random() < 0.5 else -1.0
    return sign * rng.gamma(log_uniform(rng, 1.0, 5.0), size=n)


# ------------------------------------------------------------------------------------ models

@register_noise_model("additive", weight=2.0)
def additive(rng: np.random.Generator, signal: np.ndarray, cause: np.ndarray,
             noise: np.ndarray, noise_scale: float) -> np.ndarray:
    """Return ``signal + noise_scale * noise`` (the additive noise model)."""
    return signal + noise_scale * noise


@register_noise_model("heteroscedastic")
def heteroscedastic(rng: np.random.Generator, signal: np.ndarray, cause: np.ndarray,
                    noise: np.ndarray, noise_scale: float) -> np.ndarray:
    """Add noise whose scale is a function of the cause (the location-scale model).

    The scale profile is exponential in the cause, grows away from a point, or is a random
    smooth positive function (the exponential of a GP draw, as in the location-scale sets of
    Tagasovska et al. 2020 and Immer et al. 2023). It is normalised to mean square 1, so the
    average signal-to-noise ratio is the one requested.
    """
    bounded_cause = np.clip(cause, -3.0, 3.0)
    kind = rng.random()
    if kind < 1.0 / 3.0:
        profile = np.exp(rng.uniform(-1.0, 1.0) * bounded_cause)
    elif kind < 2.0 / 3.0:
        profile = 0.1 + np.abs(bounded_cause - rng.uniform(-1.0, 1.0))
    else:
        log_profile = evaluate_mechanism(rng, "gaussian_process", cause)
        profile = np.exp(rng.uniform(0.3, 1.2) * np.clip(log_profile, -4.0, 4.0))
    profile /= np.sqrt(np.mean(profile ** 2))
    return signal + noise_scale * profile * noise


@register_noise_model("multiplicative")
def multiplicative(rng: np.random.Generator, signal: np.ndarray, cause: np.ndarray,
                   noise: np.ndarray, noise_scale: float) -> np.ndarray:
    """Multiply a positive version of the signal by positive noise.

    The signal is shifted to be positive (by a random margin that sets how skewed the result
    is). Half the time the noise is log-normal-type, added on the log scale with the SNR
    measured there; otherwise it is a bounded factor in ``(1 - w, 1)``, the noise's own
    distribution mapped through the normal CDF (uniform for Gaussian noise), with a width
    ``w = 1 - exp(-noise_scale)`` (the multiplicative uniform set of Tagasovska et al. 2020).
    """
    positive_signal = signal - signal.min() + log_uniform(rng, 0.2, 3.0)
    if rng.random() < 0.5:
        width = -np.expm1(-noise_scale)
        return positive_signal * (1.0 - width * ndtr(noise))
    log_signal = np.log(positive_signal)
    # The clip only matters for extreme user settings (SNR far below the default range), where
    # exp would overflow to inf; exp(300) still squares to a finite float64.
    return np.exp(np.clip(log_signal + noise_scale * np.std(log_signal) * noise, -300.0, 300.0))


@register_noise_model("post_nonlinear")
def post_nonlinear(rng: np.random.Generator, signal: np.ndarray, cause: np.ndarray,
                   noise: np.ndarray, noise_scale: float) -> np.ndarray:
    """Return ``g(signal + noise)`` with ``g`` a random monotone mechanism (post-nonlinear model)."""
    noisy = standardise(signal + noise_scale * noise)
    warps = monotone_warp_names()
    warp = warps[int(rng.integers(len(warps)))]
    return evaluate_mechanism(rng, warp, noisy)


@register_noise_model("nonadditive")
def nonadditive(rng: np.random.Generator, signal: np.ndarray, cause: np.ndarray,
                noise: np.ndarray, noise_scale: float) -> np.ndarray:
    """Return ``signal + h(signal, noise) - h(signal, 0)``, ``h`` a random tanh network.

    Noise that enters the mechanism non-additively, like the two-input Gaussian-process
    effects ``Y = f(X, E)`` of Mooij et al. (JMLR 2016): its size and shape change with the
    signal. The noise term is scaled to the requested noise-to-signal ratio on average.
    """
    width = int(rng.integers(3, 9))
    signal_weights = rng.normal(0.0, 1.0, size=width)
    noise_weights = rng.normal(0.0, log_uniform(rng, 0.5, 3.0), size=width)
    biases = rng.normal(0.0, 1.0, size=width)
    out_weights = rng.normal(size=width)
    scaled_noise = noise_scale * noise

    def network(s: np.ndarray, e: np.ndarray) -> np.ndarray:
        return np.tanh(np.multiply.outer(s, signal_weights) + np.multiply.outer(e, noise_weights)
                       + biases) @ out_weights
    noise_part = network(signal, scaled_noise) - network(signal, np.zeros_like(signal))
    spread = float(np.std(noise_part))
    if not np.isfinite(spread) or spread <= 0.0:
        return signal + scaled_noise
    return signal + noise_part * (noise_scale / spread)
