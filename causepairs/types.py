"""Variable types: the one place where a declared type is checked and, if need be, corrected.

A pair's publicinfo declares each variable ``Numerical``, ``Categorical`` or ``Binary``. Two
things can be wrong with a declaration, and both are settled here, where data enters, so that
no kernel ever sees an unknown type or a type its input cannot have:

* an unknown type string (``"Numeric"``, ``""``, ``None``) is an error
  (:func:`canonical_type`); spelling is matched case-insensitively, as the challenge's files
  are read (``"numerical"`` is ``Numerical``);
* a declared type the values cannot have is replaced by what the values are
  (:func:`effective_type`), and the caller counts it (the ``retyped`` of an extraction report).

The rule of :func:`effective_type`, in full (``n`` values, ``k`` distinct values):

1. ``Numerical`` is always kept: any finite values are a valid measurement.
2. ``Binary`` with ``k <= 2`` is kept.
3. Otherwise (``Categorical``, or ``Binary`` with ``k > 2``), the variable is categorical only
   if its values are integer codes and it has few levels: ``k <= 20`` (:data:`FEW_LEVELS`),
   or at least two samples per level on average (``2 k <= n``). It is then ``Categorical``;
   else ``Numerical``: fractional values are measurements, not codes, and many levels that
   are (nearly) all distinct carry no category structure (a continuous column typed
   ``Categorical``, or ``Binary`` with 700 distinct values).

The synthetic generator's variables always satisfy this (Binary codes 0/1; Categorical codes
``1..k`` with ``k <= max_levels``, 12 by default, so ``k <= 20`` whatever the pair size), so
the rule leaves generated training data unchanged unless a configuration asks for more than
20 levels; ``tests/test_bad_input.py`` checks it on generated pairs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VARIABLE_TYPES", "TYPE_RULE_VERSION", "FEW_LEVELS", "canonical_type",
           "check_variable_type", "effective_type", "infer_type", "retype_note"]

VARIABLE_TYPES = ("Numerical", "Categorical", "Binary")
#: Part of every input fingerprint: bump it when the rule of :func:`effective_type` changes,
#: so features computed under the old rule are not reused.
TYPE_RULE_VERSION = 1
#: A Categorical with at most this many levels is kept whatever its size.
FEW_LEVELS = 20

_TYPE_BY_LOWER = {t.lower(): t for t in VARIABLE_TYPES}


def canonical_type(declared) -> str | None:
    """The canonical spelling of a type string, or None if it is not a known type."""
    if not isinstance(declared, str):
        return None
    return _TYPE_BY_LOWER.get(declared.strip().lower())


def check_variable_type(vtype) -> str:
    """``vtype`` if it is a canonical type; a ValueError naming it otherwise.

    For code past the boundary (the feature computation), which gets canonical types: a
    misspelt type must never reach a kernel as some other type.
    """
    if not isinstance(vtype, str) or vtype not in VARIABLE_TYPES:
        raise ValueError(f"unknown variable type {vtype!r}; expected one of "
                         f"{', '.join(VARIABLE_TYPES)}")
    return vtype


def effective_type(values: np.ndarray, declared: str) -> str:
    """The type a variable is treated as: ``declared``, unless its values rule it out.

    Parameters
    ----------
    values : numpy.ndarray
        The variable's finite values.
    declared : {"Numerical", "Categorical", "Binary"}
        The canonical declared type (see :func:`canonical_type`).

    Returns
    -------
    str
        ``declared``, or the corrected type (see the module's rule).
    """
    check_variable_type(declared)
    if declared == "Numerical":
        return declared
    values = np.asarray(values, dtype=np.float64)
    n_levels = len(np.unique(values))
    if declared == "Binary" and n_levels <= 2:
        return declared
    integral = bool(np.all(values == np.round(values)))
    if integral and (n_levels <= FEW_LEVELS or 2 * n_levels <= len(values)):
        return "Categorical"
    return "Numerical"


def infer_type(values: np.ndarray) -> str:
    """The type of a variable that comes with none (a column of a user's table).

    The rule, for the variable's finite values (``k`` distinct):

    1. ``k <= 2``: ``Binary``;
    2. integer values with ``k <= 20`` (:data:`FEW_LEVELS`): ``Categorical`` (integer codes
       of a few levels, as the challenge's and the generator's categorical variables are);
    3. anything else: ``Numerical``.

    Stricter than :func:`effective_type`'s rule for a *declared* ``Categorical`` (which
    also keeps many levels with two samples per level): without a declaration, an integer
    column such as a count or a year with dozens of values is a measurement. A caller that
    knows better declares the type, which :func:`effective_type` then checks.
    """
    values = np.asarray(values, dtype=np.float64)
    n_levels = len(np.unique(values))
    if n_levels <= 2:
        return "Binary"
    if n_levels <= FEW_LEVELS and bool(np.all(values == np.round(values))):
        return "Categorical"
    return "Numerical"


def retype_note(values: np.ndarray, declared: str, actual: str) -> str:
    """Why a variable declared ``declared`` is treated as ``actual``, in a few words."""
    values = np.asarray(values, dtype=np.float64)
    n_levels = len(np.unique(values))
    if actual == "Numerical" and not np.all(values == np.round(values)):
        why = "fractional values"
    else:
        why = f"{n_levels} distinct values in {len(values)}"
    return f"{declared} -> {actual} ({why})"
