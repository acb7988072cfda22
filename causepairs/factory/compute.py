"""Compute one pair's feature vector: shared views, one fold assignment, every planned cell.

Per pair, each variable's views are computed once (:class:`~causepairs.factory.views.VariableViews`),
each numeric view is sorted once, and one seeded fold assignment is shared by every out-of-fold
model in both directions. A failure inside one cell leaves NaN in that cell's columns and is
reported, so one bad computation never costs the pair, and one bad pair never costs the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels import make_folds
from .registry import Cell
from .spec import FeatureSet
from ..types import check_variable_type
from .views import VariableViews

__all__ = ["DIFF_TIE_TOLERANCE", "ENGINES", "MIN_SAMPLES", "SCALE_LIMITS", "PairContext",
           "PairResult", "compute_pair", "direction_difference", "power_of_two_rescale"]

#: ``numba``: the kernels; ``reference``: their slow twins in ``causepairs.kernels.reference``
#: (scikit-learn, SciPy, NumPy), for checking the kernels and as the benchmarks' baseline.
ENGINES = ("numba", "reference")

#: Pairs with fewer samples get all-NaN features: out-of-fold fits and density estimates on a
#: handful of points measure noise, and LightGBM handles NaN natively.
MIN_SAMPLES = 10

#: A variable whose largest magnitude lies outside ``[2**-64, 2**64)`` is rescaled by a power of
#: two to a largest magnitude in ``[1, 2)`` before the kernels. Squares and moments of values
#: near 1e200 overflow and those of values near 1e-300 underflow, which turned hundreds of
#: features NaN; in this range no kernel comes near either limit. A power of two is exact, so
#: every scale-free feature is bit for bit what it would be at the original scale; the features
#: that measure scale (differential entropies) are those of the rescaled variable.
SCALE_LIMITS = (2.0 ** -64, 2.0 ** 64)

#: A ``diff`` column whose two directions agree to this relative tolerance is exactly 0. Many
#: measures are equal both ways in exact arithmetic (the conditional entropies of two
#: continuous variables binned into equal-frequency bins, on one pair in five) and differ only
#: by rounding, +-1e-16, whose sign is noise; a tree that splits at 0 then turned such noise,
#: and the ~1e-13 by which the kernels and their references differ, into a different score.
DIFF_TIE_TOLERANCE = 1e-10


def direction_difference(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first - second``, exactly 0 where the two agree to :data:`DIFF_TIE_TOLERANCE`
    (relative to the larger magnitude); NaN where either is. Exactly antisymmetric."""
    with np.errstate(invalid="ignore"):       # inf - inf is NaN, as it always was
        difference = first - second
        tied = np.abs(difference) <= DIFF_TIE_TOLERANCE * np.maximum(np.abs(first),
                                                                    np.abs(second))
    difference[tied] = 0.0
    return difference


class PairContext:
    """What every feature of one pair shares: the views of A and B and the fold assignment."""

    def __init__(self, a: np.ndarray, b: np.ndarray, a_type: str, b_type: str, *,
                 n_folds: int, fold_seed: int, engine: str = "numba"):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        self.engine = engine
        reference = engine == "reference"
        self.variables = {"A": VariableViews(a, a_type, reference=reference),
                          "B": VariableViews(b, b_type, reference=reference)}
        self.n = len(a)
        self.folds = make_folds(self.n, n_folds, fold_seed)
        self._sorted_folds: dict[tuple[str, str], np.ndarray] = {}
        self._shared: dict[tuple, object] = {}

    def roles(self, direction: str) -> tuple[VariableViews, VariableViews | None]:
        """``(input, target)`` views for a direction (``A>B``: input A); ``A``/``B``: one
        variable; ``sym``: ``(A, B)``."""
        if direction == "A>B" or direction == "sym":
            return self.variables["A"], self.variables["B"]
        if direction == "B>A":
            return self.variables["B"], self.variables["A"]
        return self.variables[direction], None

    def sorted_folds(self, variable: VariableViews, view: str) -> np.ndarray:
        """Fold ids in the sorted order of ``variable``'s numeric ``view``."""
        key = ("A" if variable is self.variables["A"] else "B", view)
        if key not in self._sorted_folds:
            order, _ = variable.sorted(view)
            self._sorted_folds[key] = self.folds[order]
        return self._sorted_folds[key]

    def shared(self, key: tuple, make):
        """``make()``, computed on the first call with ``key`` and kept for the pair: work that
        several cells need (a model's target-independent part on one input view)."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]


@dataclass
class PairResult:
    """Feature values of one pair (float64, in the feature set's column order) and any errors."""

    values: np.ndarray
    errors: list[str]
    degenerate: bool = False
    #: The variables (``"A"``, ``"B"``) rescaled by :func:`power_of_two_rescale`.
    rescaled: tuple[str, ...] = ()


def power_of_two_rescale(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """``x`` times a power of two bringing ``max |x|`` into ``[1, 2)`` when it lies outside
    :data:`SCALE_LIMITS` (and is not 0), and whether it was rescaled. Exact: equal values stay
    equal, ratios and orders are unchanged."""
    top = float(np.max(np.abs(x))) if len(x) else 0.0
    if top == 0.0 or SCALE_LIMITS[0] <= top < SCALE_LIMITS[1]:
        return x, False
    # frexp: top = m * 2**e with m in [0.5, 1), so top * 2**(1 - e) is in [1, 2); ldexp
    # applies the power in one exact step, whatever e is (even where 2**(1 - e) overflows).
    _, exponent = np.frexp(top)
    return np.ldexp(x, 1 - int(exponent)), True


def compute_pair(feature_set: FeatureSet, a, b, a_type: str, b_type: str, *,
                 engine: str = "numba") -> PairResult:
    """Compute every column of ``feature_set`` for the pair (A = ``a``, B = ``b``).

    Returns NaN features (``degenerate=True``) for a pair with non-finite values, fewer than
    :data:`MIN_SAMPLES` samples, or a constant variable (one distinct value: it carries no
    information about the other, and half the features of the pair are undefined).
    A variable of extreme scale is first rescaled by a power of two (see
    :data:`SCALE_LIMITS`; listed in ``rescaled``). An exception in one cell is caught, its
    columns stay NaN and its message is kept in ``errors``. ``engine`` is one of
    :data:`ENGINES`; ``a_type`` and ``b_type`` one of ``Numerical``, ``Categorical``,
    ``Binary`` (anything else raises ValueError).
    """
    check_variable_type(a_type)
    check_variable_type(b_type)
    values = np.full(len(feature_set), np.nan)
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"A and B must be one-dimensional, got shapes {a.shape}, {b.shape}")
    if len(a) != len(b):
        return PairResult(values, [f"A and B have different lengths ({len(a)}, {len(b)})"], True)
    if len(a) < MIN_SAMPLES or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return PairResult(values, [], True)
    if a.min() == a.max() or b.min() == b.max():
        return PairResult(values, [], True)
    a, a_rescaled = power_of_two_rescale(a)
    b, b_rescaled = power_of_two_rescale(b)
    rescaled = ("A",) * a_rescaled + ("B",) * b_rescaled

    ctx = PairContext(a, b, a_type, b_type, n_folds=feature_set.n_folds,
                      fold_seed=feature_set.fold_seed, engine=engine)
    errors: list[str] = []
    for plan, plan_layout in zip(feature_set.plans, feature_set.layout):
        family = plan.family
        for (settings, model), positions in zip(plan.cells, plan_layout):
            computed = {}
            for direction in plan.directions:
                try:
                    full = family.compute(ctx, Cell(settings, model, direction))
                    computed[direction] = np.asarray(full, dtype=np.float64)[plan.measure_index]
                except Exception as exc:  # one failing cell must not cost the pair
                    errors.append(f"{family.name} {dict(settings)} {model or ''} {direction}: "
                                  f"{type(exc).__name__}: {exc}")
                    computed[direction] = np.full(len(plan.measure_index), np.nan)
            for scope, slots in positions.items():
                if scope == "diff":
                    first, second = plan.directions
                    values[slots] = direction_difference(computed[first], computed[second])
                else:
                    values[slots] = computed[scope]
    return PairResult(values, errors, rescaled=rescaled)
