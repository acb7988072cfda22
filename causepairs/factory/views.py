"""Views of one variable, computed once per pair and shared by every feature that needs them.

A *numeric view* turns a variable into numbers a 1-D model can take as input or target:

| view | Numerical variable | Categorical / Binary variable |
|---|---|---|
| ``raw`` | the values | the codes as given (their order means nothing) |
| ``rank`` | uniform scores (average rank - 1/2) / n | the same, of the codes |
| ``std`` | standardised values (a target view) | standardised codes |
| ``freq`` | undefined (NaN features) | share of the category |
| ``pca1`` | undefined (NaN features) | first principal component of the one-hot codes |

``freq`` and ``pca1`` are encodings of categories; on a continuous variable they would be
near-constant, and every model fitted on them would cost time for no signal. A view that comes
out non-finite anywhere (``std`` or ``pca1`` of a single category) is undefined too: ``numeric``
returns None for it, so no kernel ever receives a NaN view.

A *categorical view* turns a variable into class codes 0..k-1: ``eqfreq{k}``, ``eqwidth{k}``
and ``kmeans{k}`` bin a Numerical variable; a Categorical or Binary variable is its own
categories whatever the view says (binning codes whose order means nothing would invent
structure).

Every view is computed on first use and cached; each numeric view is sorted at most once, and
``rank`` reuses the order of ``raw`` (a monotone map keeps a stable order).
"""

from __future__ import annotations

import re

import numpy as np

from ..kernels import conversions as conv
from ..types import check_variable_type

__all__ = ["NUMERIC_VIEWS", "CATEGORICAL_VIEW", "VariableViews", "is_categorical_view"]

NUMERIC_VIEWS = ("raw", "rank", "std", "freq", "pca1")
#: ``eqfreq10``, ``eqwidth5``, ``kmeans3``: method and number of bins (2..20).
CATEGORICAL_VIEW = re.compile(r"(eqfreq|eqwidth|kmeans)([0-9]+)")


def is_categorical_view(view: str) -> bool:
    match = CATEGORICAL_VIEW.fullmatch(view)
    return bool(match) and 2 <= int(match.group(2)) <= 20


class VariableViews:
    """Cached views of one variable of one pair.

    Parameters
    ----------
    values : numpy.ndarray
        Finite float64 values (checked: anything else is a ValueError).
    vtype : {"Numerical", "Categorical", "Binary"}
        Any other string is a ValueError.
    reference : bool
        Compute views with the slow reference conversions instead of the kernels.
    """

    def __init__(self, values: np.ndarray, vtype: str, *, reference: bool = False):
        values = np.ascontiguousarray(values, dtype=np.float64)
        if values.ndim != 1 or not np.isfinite(values).all():
            raise ValueError("a variable's values must be a finite one-dimensional array")
        self.values = values
        self.vtype = check_variable_type(vtype)
        self.reference = reference
        self.is_numerical = vtype == "Numerical"
        self._numeric: dict[str, np.ndarray | None] = {}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._codes: dict[str, tuple[np.ndarray, int]] = {}

    def __len__(self) -> int:
        return len(self.values)

    # -- numeric views ------------------------------------------------------------------------
    def numeric(self, view: str) -> np.ndarray | None:
        """The numeric view ``view``; None where it is undefined for this variable's type or
        not finite everywhere (see the module docstring)."""
        if view not in self._numeric:
            values = self._make_numeric(view)
            if values is not None and not np.isfinite(values).all():
                values = None
            self._numeric[view] = values
        return self._numeric[view]

    def _make_numeric(self, view: str) -> np.ndarray | None:
        if view == "raw":
            return self.values
        if self.reference:
            return self._make_reference_numeric(view)
        if view == "rank":
            order, xs = self.sorted("raw")
            out = np.empty(len(xs))
            out[order] = conv.CORES["rank_uniform"].core(xs)
            return out
        if view == "std":
            return conv.CORES["standardise"].core(self.values)
        if view == "freq":
            return None if self.is_numerical else conv.frequency_encoding(self.values)
        if view == "pca1":
            return None if self.is_numerical else conv.one_hot_pca1(self.values)
        raise ValueError(f"unknown numeric view {view!r}; expected one of {NUMERIC_VIEWS}")

    def _make_reference_numeric(self, view: str) -> np.ndarray | None:
        from ..kernels.reference import conversions as ref_conv

        if view in ("freq", "pca1") and self.is_numerical:
            return None
        functions = {"rank": ref_conv.rank_uniform, "std": ref_conv.standardise,
                     "freq": ref_conv.frequency_encoding, "pca1": ref_conv.one_hot_pca1}
        if view not in functions:
            raise ValueError(f"unknown numeric view {view!r}; expected one of {NUMERIC_VIEWS}")
        return np.asarray(functions[view](self.values), dtype=np.float64)

    def sorted(self, view: str) -> tuple[np.ndarray, np.ndarray] | None:
        """``(order, sorted values)`` of a numeric view: the one sort every 1-D model shares."""
        if view not in self._sorted:
            if view == "rank" and self.numeric("rank") is not None:
                order, _ = self.sorted("raw")
                values = self.numeric("rank")
                self._sorted[view] = (order, values[order])
            else:
                values = self.numeric(view)
                if values is None:
                    self._sorted[view] = None
                else:
                    order = np.argsort(values, kind="stable")
                    self._sorted[view] = (order, values[order])
        return self._sorted[view]

    # -- categorical views --------------------------------------------------------------------
    def codes(self, view: str) -> tuple[np.ndarray, int]:
        """Class codes 0..k-1 of a categorical view, and k (see the module docstring)."""
        if view not in self._codes:
            self._codes[view] = self._make_codes(view)
        return self._codes[view]

    def _make_codes(self, view: str) -> tuple[np.ndarray, int]:
        match = CATEGORICAL_VIEW.fullmatch(view)
        if not match or not is_categorical_view(view):
            raise ValueError(f"unknown categorical view {view!r}; expected eqfreq{{k}}, "
                             "eqwidth{k} or kmeans{k} with k in 2..20")
        if not self.is_numerical:
            return self._own_categories()
        method, k = match.group(1), int(match.group(2))
        if self.reference:
            from ..kernels.reference import conversions as ref_conv

            functions = {"eqfreq": ref_conv.equal_frequency_bins,
                         "eqwidth": ref_conv.equal_width_bins, "kmeans": ref_conv.kmeans_bins}
            codes = np.asarray(functions[method](self.values, k), dtype=np.int64)
        elif method == "eqwidth":
            codes = conv.CORES["equal_width_bins"].core(self.values, k)
        else:
            order, xs = self.sorted("raw")
            core = conv.CORES["equal_frequency_bins" if method == "eqfreq" else
                              "kmeans_bins"].core
            codes = np.empty(len(xs), dtype=np.int64)
            codes[order] = core(xs, k)
        return codes, int(codes.max()) + 1 if len(codes) else 0

    def _own_categories(self) -> tuple[np.ndarray, int]:
        if "own" not in self._codes:
            uniques, codes = np.unique(self.values, return_inverse=True)
            self._codes["own"] = (codes.astype(np.int64), len(uniques))
        return self._codes["own"]
