"""Random causal mechanisms: functions from a standardised cause to a signal.

A mechanism is registered once with :func:`register_mechanism` as a *maker*:
``make(rng, u) -> f``, where ``u`` is the (robustly standardised) mechanism input and ``f`` is a
vectorised function. The maker sees ``u`` so that knots, thresholds and centres are placed at
data quantiles, where the points are, whatever the cause's distribution. Each mechanism belongs
to a coarse *family* (used for leave-one-family-out validation) and says whether it is monotone
by construction.

Functions that grow without bound (splines, polynomials) are continued linearly outside the
central 99% of the data, so a heavy-tailed cause gives outliers in the effect rather than a
cubic explosion that would squeeze every other point to one value after standardising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev
from scipy.interpolate import CubicSpline, PchipInterpolator
from scipy.special import expit

from causepairs.synth._sampling import (
    data_domain, log_uniform, random_quantiles, standardise,
)

Function = Callable[[np.ndarray], np.ndarray]
MechanismMaker = Callable[[np.random.Generator, np.ndarray], Function]

#: Coarse mechanism families; "none" is what independent pairs record.
MECHANISM_FAMILIES = ("spline", "network", "polynomial", "sigmoid", "periodic", "piecewise", "step",
                      "gp")


@dataclass(frozen=True)
class Mechanism:
    """One registered mechanism.

    Attributes
    ----------
    name : str
        Registry key, recorded in recipes.
    family : str
        One of :data:`MECHANISM_FAMILIES`.
    monotone : bool
        True when every random instance is monotone.
    make : callable
        ``make(rng, u)`` returns a random instance ``f``.
    weight : float
        Default relative frequency.
    """

    name: str
    family: str
    monotone: bool
    make: MechanismMaker
    weight: float


#: Name -> :class:`Mechanism`, in registration order (the order fixes random draws).
MECHANISMS: dict[str, Mechanism] = {}


def register_mechanism(name: str, *, family: str, monotone: bool,
                       weight: float = 1.0) -> Callable[[MechanismMaker], MechanismMaker]:
    """Register a mechanism maker under ``name`` (decorator).

    Parameters
    ----------
    name : str
        Unique name recorded in recipes.
    family : str
        Coarse family, one of :data:`MECHANISM_FAMILIES`.
    monotone : bool
        Whether every instance is monotone.
    weight : float, optional
        Default relative frequency.

    Returns
    -------
    callable
        The decorator, which returns the maker unchanged.
    """
    if family not in MECHANISM_FAMILIES:
        raise ValueError(f"mechanism family must be one of {MECHANISM_FAMILIES}, got {family!r}")

    def decorator(make: MechanismMaker) -> MechanismMaker:
        if name in MECHANISMS:
            raise ValueError(f"mechanism {name!r} is already registered")
        MECHANISMS[name] = Mechanism(name, family, monotone, make, weight)
        return make
    return decorator


def evaluate_mechanism(rng: np.random.Generator, name: str, u: np.ndarray,
                       inputs: np.ndarray | None = None, *, max_draws: int = 5) -> np.ndarray:
    """Draw a random instance of mechanism ``name`` and return its standardised output.

    An instance that is (almost) constant on the data, e.g. a step whose thresholds all fall
    on one side of a binary cause, is redrawn up to ``max_draws`` times; if all are flat the
    output is zeros, which the pair-level validity check then rejects.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    name : str
        Registered mechanism name.
    u : numpy.ndarray
        Standardised cause, used to place the instance's knots and thresholds.
    inputs : numpy.ndarray, optional
        Values the instance is evaluated at (the cause with noise added); defaults to ``u``.
    max_draws : int, optional
        Number of instances tried before giving up.

    Returns
    -------
    numpy.ndarray
        Output with mean 0 and standard deviation 1 (or zeros).
    """
    mechanism = MECHANISMS[name]
    inputs = u if inputs is None else inputs
    signal = np.zeros_like(inputs, dtype=np.float64)
    for _ in range(max_draws):
        signal = standardise(mechanism.make(rng, u)(inputs))
        if np.any(signal != 0.0) and np.all(np.isfinite(signal)):
            return signal
    return signal


#: Families never used as a monotone warp: a monotone step would turn a continuous variable into a
#: few values.
_WARP_EXCLUDED_FAMILIES = ("step",)


def monotone_warp_names() -> tuple[str, ...]:
    """Return the mechanisms usable as a random smooth monotone warp of a variable.

    Used as the outer function of post-nonlinear noise and to reshape cause distributions:
    monotone and continuous mechanisms except the straight line (which changes nothing after
    standardising).

    Returns
    -------
    tuple of str
        Mechanism names, in registry order.
    """
    return tuple(name for name, mechanism in MECHANISMS.items()
                 if mechanism.monotone and mechanism.family not in _WARP_EXCLUDED_FAMILIES
                 and name != "linear")


def _with_linear_tails(function: Function, low: float, high: float) -> Function:
    """Continue ``function`` outside ``[low, high]`` by straight lines with its edge slopes."""
    step = (high - low) * 1e-4
    edges = np.array([low, low + step, high - step, high])
    edge_values = function(edges)
    slope_low = (edge_values[1] - edge_values[0]) / step
    slope_high = (edge_values[3] - edge_values[2]) / step

    def extended(x: np.ndarray) -> np.ndarray:
        inside = np.clip(x, low, high)
        return (function(inside) + slope_low * np.minimum(x - low, 0.0)
                + slope_high * np.maximum(x - high, 0.0))
    return extended


def _knots(rng: np.random.Generator, u: np.ndarray, n_interior: int) -> np.ndarray:
    """Return strictly increasing knot positions: the data range ends plus random quantiles."""
    low, high = data_domain(u)
    interior = random_quantiles(rng, u, n_interior)
    return np.unique(np.concatenate([[low], interior[(interior > low) & (interior < high)], [high]]))


def _random_direction(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


# ----------------------------------------------------------------------------------- splines

@register_mechanism("spline", family="spline", monotone=False, weight=1.5)
def make_spline(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a natural cubic spline through 3-9 knots with random heights (RCC/NCC style)."""
    x = _knots(rng, u, int(rng.integers(1, 8)))
    spline = CubicSpline(x, rng.normal(size=x.size), bc_type="natural")
    return _with_linear_tails(spline, x[0], x[-1])


@register_mechanism("monotone_spline", family="spline", monotone=True)
def make_monotone_spline(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a shape-preserving (PCHIP) spline through knots with increasing random heights."""
    x = _knots(rng, u, int(rng.integers(1, 7)))
    heights = _random_direction(rng) * np.cumsum(rng.exponential(size=x.size))
    spline = PchipInterpolator(x, heights)
    return _with_linear_tails(spline, x[0], x[-1])


# ---------------------------------------------------------------------------- Gaussian process

#: Grid points a Gaussian-process draw is evaluated on before cubic interpolation: enough for
#: the shortest length scale drawn (a tenth of the range), cheap to factorise.
_GP_GRID_SIZE = 48


def gaussian_process_draw(rng: np.random.Generator, low: float, high: float,
                          length_scale: float) -> Function:
    """Draw a function from a zero-mean GP with a squared-exponential kernel on ``[low, high]``.

    The draw is exact on an even grid and interpolated by a natural cubic spline between grid
    points. Unlike the knot-based mechanisms, nothing depends on where the data are: the
    function's wiggles are independent of the input's density, as in the benchmark generator of
    Mooij et al. (JMLR 2016) and as IGCI-type reasoning assumes of nature.
    """
    grid = np.linspace(low, high, _GP_GRID_SIZE)
    covariance = np.exp(-0.5 * (np.subtract.outer(grid, grid) / length_scale) ** 2)
    # Square-exponential covariances are numerically singular; the eigen-decomposition with
    # negative eigenvalues clipped is a stable square root where Cholesky would fail.
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    values = root @ rng.standard_normal(_GP_GRID_SIZE)
    return CubicSpline(grid, values, bc_type="natural")


@register_mechanism("gaussian_process", family="gp", monotone=False, weight=1.5)
def make_gaussian_process(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a GP sample with a length scale of 0.1-1 times the data range (smooth to wiggly)."""
    low, high = data_domain(u)
    draw = gaussian_process_draw(rng, low, high, log_uniform(rng, 0.1, 1.0) * (high - low))
    return _with_linear_tails(draw, low, high)


# ---------------------------------------------------------------------------------- networks

def _tanh_layer(rng: np.random.Generator, u: np.ndarray, *, monotone: bool) -> Function:
    width = int(rng.integers(2, 11))
    # The input weight scale is the "strength" of the nonlinearity: small weights keep every unit
    # in tanh's linear part, large ones make sharp, almost step-like units.
    in_weights = rng.normal(0.0, log_uniform(rng, 0.3, 4.0), size=width)
    centres = random_quantiles(rng, u, width, 0.05, 0.95)
    out_weights = rng.normal(size=width)
    if monotone:
        in_weights = np.abs(in_weights)
        out_weights = _random_direction(rng) * np.abs(out_weights)
    biases = -in_weights * centres

    def network(x: np.ndarray) -> np.ndarray:
        return np.tanh(np.multiply.outer(x, in_weights) + biases) @ out_weights
    return network


@register_mechanism("tanh_network", family="network", monotone=False)
def make_tanh_network(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a one-hidden-layer tanh network with 2-10 units and random weights."""
    return _tanh_layer(rng, u, monotone=False)


@register_mechanism("monotone_tanh_network", family="network", monotone=True)
def make_monotone_tanh_network(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a tanh network whose weights all push the same way, hence monotone."""
    return _tanh_layer(rng, u, monotone=True)


# ------------------------------------------------------------------------------- polynomials

@register_mechanism("polynomial", family="polynomial", monotone=False)
def make_polynomial(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a random polynomial of degree 2-5 (Chebyshev coefficients on the data range)."""
    low, high = data_domain(u)
    degree = int(rng.integers(2, 6))
    # Decaying coefficients keep low-order shapes (bends, humps) more common than wiggles.
    coefficients = rng.normal(size=degree + 1) / np.arange(1, degree + 2) ** rng.uniform(0.0, 1.5)
    middle, half_width = (high + low) / 2.0, (high - low) / 2.0

    def polynomial(x: np.ndarray) -> np.ndarray:
        return chebyshev.chebval((x - middle) / half_width, coefficients)
    return _with_linear_tails(polynomial, low, high)


@register_mechanism("linear", family="polynomial", monotone=True, weight=0.5)
def make_linear(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a straight line (the standardised output does not depend on its slope's size)."""
    direction = _random_direction(rng)
    return lambda x: direction * x


# ----------------------------------------------------------------------------------- sigmoid

@register_mechanism("sigmoid", family="sigmoid", monotone=True)
def make_sigmoid(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a logistic curve with a random centre (a data quantile) and steepness 0.3-10."""
    centre = float(random_quantiles(rng, u, 1, 0.1, 0.9)[0])
    steepness = _random_direction(rng) * log_uniform(rng, 0.3, 10.0)
    return lambda x: expit(steepness * (x - centre))


# ---------------------------------------------------------------------------------- periodic

@register_mechanism("sine", family="periodic", monotone=False)
def make_sine(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a sine of random frequency (0.4-6 rad per unit of cause) and phase, plus a trend."""
    frequency = log_uniform(rng, 0.4, 6.0)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    trend = rng.normal(0.0, 0.3)
    return lambda x: np.sin(frequency * x + phase) + trend * x


# --------------------------------------------------------------------------- piecewise linear

def _piecewise_linear(rng: np.random.Generator, u: np.ndarray, *, monotone: bool) -> Function:
    breakpoints = random_quantiles(rng, u, int(rng.integers(1, 6)), 0.05, 0.95)
    if monotone:
        slopes = _random_direction(rng) * rng.exponential(size=breakpoints.size + 1)
    else:
        slopes = rng.normal(size=breakpoints.size + 1)
    slope_changes = np.diff(slopes)

    def piecewise(x: np.ndarray) -> np.ndarray:
        hinges = np.maximum(np.subtract.outer(x, breakpoints), 0.0)
        return slopes[0] * x + hinges @ slope_changes
    return piecewise


@register_mechanism("piecewise_linear", family="piecewise", monotone=False)
def make_piecewise_linear(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a continuous broken line with 1-5 breakpoints and random slopes."""
    return _piecewise_linear(rng, u, monotone=False)


@register_mechanism("monotone_piecewise_linear", family="piecewise", monotone=True)
def make_monotone_piecewise_linear(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a continuous broken line whose slopes all have the same sign."""
    return _piecewise_linear(rng, u, monotone=True)


# -------------------------------------------------------------------------------------- step

def _step(rng: np.random.Generator, u: np.ndarray, *, monotone: bool) -> Function:
    thresholds = random_quantiles(rng, u, int(rng.integers(1, 6)), 0.05, 0.95)
    if monotone:
        levels = _random_direction(rng) * np.cumsum(rng.exponential(size=thresholds.size + 1))
    else:
        levels = rng.normal(size=thresholds.size + 1)
    return lambda x: levels[np.searchsorted(thresholds, x, side="right")]


@register_mechanism("step", family="step", monotone=False)
def make_step(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a step function with 1-5 thresholds (data quantiles) and random levels."""
    return _step(rng, u, monotone=False)


@register_mechanism("monotone_step", family="step", monotone=True)
def make_monotone_step(rng: np.random.Generator, u: np.ndarray) -> Function:
    """Make a staircase: a step function with increasing (or decreasing) levels."""
    return _step(rng, u, monotone=True)
