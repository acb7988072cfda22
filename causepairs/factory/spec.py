"""Feature sets: a declarative product over the registry, read from ``features/*.toml``.

A feature-set file names, per family, the values of each axis, the models and the measures to
use (``"*"`` or a missing key means all registered ones), and optional exclusions::

    name = "fast"
    description = "a few hundred columns for quick work"

    [folds]
    n_folds = 5
    seed = 0

    [[family]]
    name = "regression"
    in = ["raw", "rank"]
    out = ["std"]
    models = ["linear", "knn15", "iso_inc"]
    measures = "*"

    [[family.exclude]]          # drop the cells that match every key given
    in = ["rank"]
    models = ["iso_inc"]

Nothing lists column names: they follow from the product, are sorted, and each knows its
mirror under swapping A and B (:attr:`FeatureSet.mirror_index`, :attr:`FeatureSet.mirror_sign`).
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import CausepairsError
from .names import ColumnName, parse_column
from .registry import Cell, Family, get_family

__all__ = ["FeatureSet", "FamilyPlan", "load_feature_set", "builtin_feature_sets",
           "FEATURE_CODE_VERSION"]

#: Bump when a change in causepairs alters the value of any existing feature column, so a
#: saved feature matrix or model refuses to mix with features computed by the new code. The
#: golden values in tests/golden/ (tests/factory/test_full_set.py) catch a moved value; bump,
#: then regenerate them with ``python scripts/regenerate_golden.py``.
#: 2: ``in=pca1`` columns of a categorical variable with tied largest counts are defined (tie
#: rule in ``one_hot_pca1``; they were NaN); a pair with a constant variable is an all-NaN
#: degenerate row; variables beyond 2**+-64 in magnitude are rescaled by a power of two;
#: classification cells on a target with more than 64 categories are NaN.
#: 3: a ``diff`` column whose two directions agree to 1e-10 (relative) is exactly 0
#: (``compute.direction_difference``); it was their rounding noise, e.g. +-4e-16.
FEATURE_CODE_VERSION = 3

_SCOPES = {"directional": ("A>B", "B>A", "diff"), "univariate": ("A", "B", "diff"),
           "symmetric": ("sym",)}
_DIRECTIONS = {"directional": ("A>B", "B>A"), "univariate": ("A", "B"), "symmetric": ("sym",)}


class FeatureSetError(CausepairsError, ValueError):
    """A feature-set file that does not describe a valid feature set."""


@dataclass(frozen=True)
class FamilyPlan:
    """What a feature set computes for one family: its cells and the measures it keeps.

    ``cells`` are ``(settings, model)`` pairs; ``measure_index`` picks the kept measures out of
    the family's full measure vector; ``scopes`` are the column scopes it emits.
    """

    family: Family
    cells: tuple[tuple[tuple[tuple[str, str], ...], str | None], ...]
    measure_index: np.ndarray
    scopes: tuple[str, ...]

    @property
    def directions(self) -> tuple[str, ...]:
        return _DIRECTIONS[self.family.kind]

    def column_names(self, settings, model, scope: str) -> list[str]:
        measures = [self.family.measures[i] for i in self.measure_index]
        return [_column(scope, settings, model, m) for m in measures]


@dataclass(frozen=True)
class FeatureSet:
    """A resolved feature set: its plans, its sorted columns and their mirrors."""

    name: str
    description: str
    n_folds: int
    fold_seed: int
    plans: tuple[FamilyPlan, ...]
    columns: tuple[str, ...]
    spec: dict
    source: str

    # Derived in __post_init__ (frozen dataclass: set through object.__setattr__).
    def __post_init__(self):
        index = {name: i for i, name in enumerate(self.columns)}
        mirror_index = np.empty(len(self.columns), dtype=np.int64)
        mirror_sign = np.empty(len(self.columns), dtype=np.float32)
        for i, name in enumerate(self.columns):
            mirrored, sign = parse_column(name).mirror()
            j = index.get(str(mirrored))
            if j is None:
                raise FeatureSetError(f"{self.source}: column {name} has no mirror "
                                      f"{mirrored} in the set (keep both directions)")
            mirror_index[i], mirror_sign[i] = j, sign
        object.__setattr__(self, "column_index", index)
        # Where each (plan, cell, scope) writes its kept measures in the sorted column order.
        layout = [[{scope: np.array([index[c] for c in plan.column_names(settings, model, scope)],
                                    dtype=np.int64)
                    for scope in plan.scopes}
                   for settings, model in plan.cells]
                  for plan in self.plans]
        object.__setattr__(self, "layout", layout)
        object.__setattr__(self, "mirror_index", mirror_index)
        object.__setattr__(self, "mirror_sign", mirror_sign)

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def hash(self) -> str:
        """Identifies the columns and how they are computed (spec, code version)."""
        payload = json.dumps({"spec": self.spec, "feature_code_version": FEATURE_CODE_VERSION,
                              "columns": list(self.columns)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def family_names(self) -> tuple[str, ...]:
        """The families the set computes, in the order of its ``[[family]]`` entries."""
        return tuple(plan.family.name for plan in self.plans)

    def family_columns(self, families, scope: str) -> np.ndarray:
        """Sorted indices of the ``scope`` columns (e.g. ``"diff"``) of the named families.

        Raises ``ValueError`` for a family the set does not compute.
        """
        unknown = [f for f in families if f not in self.family_names]
        if unknown:
            raise ValueError(f"feature set {self.name!r} has no family {unknown[0]!r} "
                             f"(its families: {', '.join(self.family_names)})")
        picked = [cell_layout[scope]
                  for plan, plan_layout in zip(self.plans, self.layout)
                  if plan.family.name in families
                  for cell_layout in plan_layout if scope in cell_layout]
        return np.unique(np.concatenate(picked)) if picked else np.empty(0, dtype=np.int64)

    def mirror(self, matrix: np.ndarray) -> np.ndarray:
        """Feature rows of the swapped pairs (B, A), from rows of (A, B): no recomputation."""
        return matrix[:, self.mirror_index] * self.mirror_sign

    def __repr__(self) -> str:
        return f"<FeatureSet {self.name!r}: {len(self.columns)} columns, hash {self.hash}>"

    # A feature set is its spec: it pickles as the spec and resolves again on loading, so
    # what its families hold (compute functions, cell filters, registry entries) never has
    # to pickle, and a model that holds one pickles with the standard library.
    def __reduce__(self):
        return (_unpickle_feature_set, (self.spec, self.source, self.hash))

    # Immutable: copies (scikit-learn's clone deep-copies parameters) are the set itself.
    def __copy__(self) -> "FeatureSet":
        return self

    def __deepcopy__(self, memo) -> "FeatureSet":
        return self


def _unpickle_feature_set(spec: dict, source: str, expected_hash: str) -> FeatureSet:
    feature_set = _resolve(spec, source)
    if feature_set.hash != expected_hash:
        raise FeatureSetError(
            f"{source}: feature set {feature_set.name!r} was pickled with hash {expected_hash}, "
            f"this causepairs resolves it to {feature_set.hash} (its features are computed "
            "differently); recompute the features and refit")
    return feature_set


# ---------------------------------------------------------------------------------------------

def _as_list(value, where: str, key: str) -> list[str] | None:
    if value is None or value == "*":
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        return list(value)
    raise FeatureSetError(f"{where}: {key} must be \"*\", a string or a non-empty list of strings")


def _choose(allowed: tuple[str, ...], chosen: list[str] | None, where: str, key: str) -> list[str]:
    if chosen is None:
        return list(allowed)
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise FeatureSetError(f"{where}: unknown {key} {unknown}; allowed: {', '.join(allowed)}")
    if len(set(chosen)) != len(chosen):
        raise FeatureSetError(f"{where}: {key} lists a value twice")
    return chosen


def _plan_family(entry: dict, where: str) -> tuple[FamilyPlan, list[tuple]]:
    if not isinstance(entry, dict) or "name" not in entry:
        raise FeatureSetError(f"{where}: each [[family]] needs a name")
    try:
        family = get_family(entry["name"])
    except KeyError as exc:
        raise FeatureSetError(f"{where}: {exc.args[0]}") from None
    where = f"{where} (family {family.name})"
    known = {"name", "models", "measures", "exclude", "scopes", *family.axes}
    extra = sorted(set(entry) - known)
    if extra:
        raise FeatureSetError(f"{where}: unknown key(s) {extra}; allowed: {sorted(known)}")

    axis_values = {axis: _choose(values, _as_list(entry.get(axis), where, axis), where, axis)
                   for axis, values in family.axes.items()}
    models = (_choose(family.models, _as_list(entry.get("models"), where, "models"), where,
                      "models") if family.models else [None])
    measures = _choose(family.measures, _as_list(entry.get("measures"), where, "measures"),
                       where, "measures")
    scopes = _choose(_SCOPES[family.kind], _as_list(entry.get("scopes"), where, "scopes"),
                     where, "scopes")
    excludes = entry.get("exclude", [])
    if not isinstance(excludes, list):
        raise FeatureSetError(f"{where}: exclude must be a list of tables ([[family.exclude]])")
    for rule in excludes:
        bad = sorted(set(rule) - {"models", *family.axes})
        if bad:
            raise FeatureSetError(f"{where}: exclude has unknown key(s) {bad}")

    cells = []
    for combo in itertools.product(*axis_values.values(), models):
        settings = tuple(zip(axis_values.keys(), combo[:-1]))
        model = combo[-1]
        probe = Cell(settings, model, _DIRECTIONS[family.kind][0])
        if family.valid is not None and not family.valid(probe):
            continue
        if any(_matches(rule, dict(settings), model) for rule in excludes):
            continue
        cells.append((settings, model))
    if not cells:
        raise FeatureSetError(f"{where}: selects no cell")
    measure_index = np.array([family.measures.index(m) for m in measures], dtype=np.int64)
    plan = FamilyPlan(family, tuple(cells), measure_index, tuple(scopes))
    return plan, [(settings, model, measures) for settings, model in cells]


def _matches(rule: dict, settings: dict, model: str | None) -> bool:
    for key, values in rule.items():
        values = [values] if isinstance(values, str) else values
        actual = model if key == "models" else settings.get(key)
        if actual not in values:
            return False
    return True


def _column(scope: str, settings, model, measure) -> str:
    tokens = (model, measure) if model is not None else (measure,)
    return str(ColumnName(scope, tuple(settings), tokens))


def _resolve(spec: dict, source: str) -> FeatureSet:
    if not isinstance(spec, dict):
        raise FeatureSetError(f"{source}: not a table")
    extra = sorted(set(spec) - {"name", "description", "folds", "family"})
    if extra:
        raise FeatureSetError(f"{source}: unknown top-level key(s) {extra}")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise FeatureSetError(f"{source}: needs a name")
    folds = spec.get("folds", {})
    n_folds, fold_seed = folds.get("n_folds", 10), folds.get("seed", 0)
    if not isinstance(n_folds, int) or n_folds < 2:
        raise FeatureSetError(f"{source}: folds.n_folds must be an integer >= 2")
    if not isinstance(fold_seed, int) or fold_seed < 0:
        raise FeatureSetError(f"{source}: folds.seed must be a non-negative integer")
    entries = spec.get("family")
    if not isinstance(entries, list) or not entries:
        raise FeatureSetError(f"{source}: needs at least one [[family]]")

    plans, columns = [], []
    for i, entry in enumerate(entries):
        plan, cells = _plan_family(entry, f"{source}: family #{i + 1}")
        plans.append(plan)
        for settings, model, _ in cells:
            for scope in plan.scopes:
                columns.extend(plan.column_names(settings, model, scope))
    repeated = [c for c, count in Counter(columns).items() if count > 1]
    if repeated:
        raise FeatureSetError(f"{source}: the families select the same column twice, e.g. "
                              f"{repeated[0]} (merge the [[family]] entries)")
    return FeatureSet(name, spec.get("description", ""), n_folds, fold_seed, tuple(plans),
                      tuple(sorted(columns)), spec, source)


def _builtin_folder():
    """Where the shipped ``features/*.toml`` are: package data once installed, else the
    repository's top-level ``features/`` (a source checkout on ``sys.path``)."""
    installed = resources.files("causepairs") / "_features"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "features"


def builtin_feature_sets() -> list[str]:
    """Names of the feature sets shipped with causepairs (``features/*.toml``)."""
    folder = _builtin_folder()
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_feature_set(name_or_path) -> FeatureSet:
    """A feature set by built-in name (``fast``, ``full``) or from a TOML file path."""
    text = source = None
    path = Path(str(name_or_path))
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise FeatureSetError(f"{path}: feature-set file not found")
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        resource = _builtin_folder() / f"{name_or_path}.toml"
        if not resource.is_file():
            known = ", ".join(builtin_feature_sets()) or "none installed"
            raise FeatureSetError(f"unknown feature set {name_or_path!r}; built-in: {known}; "
                                  "or give a path to a .toml file")
        text, source = resource.read_text(encoding="utf-8"), f"{name_or_path}.toml"
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeatureSetError(f"{source}: not valid TOML ({exc})") from None
    return _resolve(spec, source)
