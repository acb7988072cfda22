"""The feature registry: every feature family is declared here once.

A *family* is one kind of computation (fit a 1-D model and score it; a symmetric dependence
measure; a statistic of one variable). Its *axes* are the small named sets its cells range over
(input view, target view, model), and one call of its ``compute`` returns the values of all its
*measures* for one cell. A feature set (``features/*.toml``) chooses a product of axis values
and measures per family; column names, mirrors and the order of columns all follow from that.

Kinds of family, and the scopes of the columns they produce:

- ``directional``: computed with A as input and B as target (``A>B``) and the other way round
  (``B>A``); their difference is a third column (``diff``).
- ``symmetric``: one value for the pair (``sym``); its mirror is itself.
- ``univariate``: computed on A (``A``) and on B (``B``), plus their difference (``diff``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

__all__ = ["KINDS", "Family", "Cell", "register", "REGISTRY", "get_family"]

KINDS = ("directional", "symmetric", "univariate")


@dataclass(frozen=True)
class Family:
    """One registered feature family.

    Attributes
    ----------
    name : str
        Registry key, used in feature-set files.
    kind : {"directional", "symmetric", "univariate"}
    axes : mapping of str to tuple of str
        Setting axes in column-name order (e.g. ``{"in": (...), "out": (...)}``): each becomes
        a ``key=value`` part of the name. Their values are views (see
        :mod:`causepairs.factory.views`).
    models : tuple of str
        Values of the bare model axis (e.g. ``knn15``), or empty when the family has none.
    measures : tuple of str
        What one ``compute`` call returns, in order (e.g. fit metrics).
    compute : callable
        ``compute(context, cell) -> numpy.ndarray`` of ``len(measures)`` values (NaN where
        undefined), where ``cell`` is a :class:`Cell`.
    cost : int
        Rough relative cost per cell (1 cheap .. 5 dear), for choosing feature sets.
    valid : callable, optional
        ``valid(cell) -> bool``; False drops a cell from every feature set, e.g. a model that
        ignores monotone transforms of its input crossed with the rank view (it would repeat
        the raw view's values exactly).
    description : str
    """

    name: str
    kind: str
    axes: Mapping[str, tuple[str, ...]]
    models: tuple[str, ...]
    measures: tuple[str, ...]
    compute: Callable
    cost: int = 1
    valid: Callable | None = None
    description: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"family {self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        for axis, values in self.axes.items():
            if len(set(values)) != len(values) or not values:
                raise ValueError(f"family {self.name}: axis {axis!r} must list distinct values")
        for label, values in (("models", self.models), ("measures", self.measures)):
            if len(set(values)) != len(values):
                raise ValueError(f"family {self.name}: duplicate {label}")
        if not self.measures:
            raise ValueError(f"family {self.name}: needs at least one measure")


@dataclass(frozen=True)
class Cell:
    """One cell of a family's product: the settings (axis -> value) and the model, if any.

    ``direction`` is ``"A>B"`` / ``"B>A"`` for directional families, ``"A"`` / ``"B"`` for
    univariate ones and ``"sym"`` for symmetric ones: the compute function reads the input
    (and target) variable from it.
    """

    settings: tuple[tuple[str, str], ...]
    model: str | None
    direction: str

    def get(self, axis: str) -> str:
        return dict(self.settings)[axis]


REGISTRY: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to the registry; a name may be registered only once."""
    if family.name in REGISTRY:
        raise ValueError(f"feature family {family.name!r} is already registered")
    REGISTRY[family.name] = family
    return family


def get_family(name: str) -> Family:
    """The registered family called ``name``; a KeyError lists the known ones."""
    from . import families  # noqa: F401  (importing registers every family)

    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown feature family {name!r}; known: {', '.join(sorted(REGISTRY))}") \
            from None
