"""The table that ties a public kernel to the jitted core it runs on sorted data.

A kernel family with fitted models or per-fit metrics keeps one table, ``CORES``, in its
module: public function name -> :class:`KernelCore`. An entry says which core the function
runs, which of the function's parameters the core takes after its data arguments (in order)
and how each is checked. The public function itself computes its core arguments through its
entry (:meth:`KernelCore.core_args`), so the table is the only description of the mapping:
the feature factory (which sorts each input once and calls the cores directly), the tests
(sorted-core contracts) and the benchmarks read the same entries and never reach for a
private name.

Defaults live in one place, the public function's signature; ``core_args`` fills them in.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

from ._validation import check_int

__all__ = ["Param", "KernelCore", "table", "integer", "positive", "non_negative", "flag"]


@dataclass(frozen=True)
class Param:
    """A public parameter that the core takes: its name and ``convert(value, name)``, which
    returns the value the core receives or raises ``TypeError``/``ValueError``."""

    name: str
    convert: Callable[[object, str], object]


def integer(minimum: int, maximum: int | None = None) -> Callable[[object, str], int]:
    """An integer (not a bool) in ``minimum..maximum``."""
    return lambda value, name: check_int(value, name, minimum, maximum)


def _number(value, name: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None


def positive(value, name: str) -> float:
    """A finite number > 0, as float."""
    v = _number(value, name)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return v


def non_negative(value, name: str) -> float:
    """A finite number >= 0, as float."""
    v = _number(value, name)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return v


def flag(value, name: str) -> bool:
    """A truth value, as bool."""
    return bool(value)


@dataclass(frozen=True)
class KernelCore:
    """One public kernel and its jitted core.

    function : the public function (validates, sorts, runs ``core``, restores the order)
    core : the core; its data arguments are the family's (e.g. ``xs, ys, fs`` for regression),
        followed by :meth:`core_args`
    params : the public parameters the core takes after its data arguments, in that order
    order_only : the result depends on the input only through its order (so a rank view of
        the input gives the same result as the raw one)
    sorted_input : the core takes its data sorted ascending by the input and returns its
        result in that order (False: any order, result in the same order)
    """

    function: Callable
    core: Callable
    params: tuple[Param, ...] = ()
    order_only: bool = False
    sorted_input: bool = True

    @property
    def name(self) -> str:
        return self.function.__name__

    @cached_property
    def defaults(self) -> dict:
        """The public function's defaults for :attr:`params` (``inspect.Parameter.empty`` for a
        parameter without one)."""
        signature = inspect.signature(self.function)
        return {p.name: signature.parameters[p.name].default for p in self.params}

    def core_args(self, **kwargs) -> tuple:
        """The core's trailing arguments for ``function(..., **kwargs)``: each parameter given or
        defaulted, then checked and converted."""
        unknown = sorted(set(kwargs) - set(self.defaults))
        if unknown:
            raise TypeError(f"{self.name}() has no parameter {unknown[0]!r}")
        args = []
        for p in self.params:
            value = kwargs.get(p.name, self.defaults[p.name])
            if value is inspect.Parameter.empty:
                raise TypeError(f"{self.name}() needs the parameter {p.name!r}")
            args.append(p.convert(value, p.name))
        return tuple(args)


def table(*entries: KernelCore) -> dict[str, KernelCore]:
    """A family's ``CORES``: its entries by public function name."""
    return {entry.name: entry for entry in entries}
