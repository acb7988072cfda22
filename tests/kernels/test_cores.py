"""The kernel families' ``CORES`` tables (causepairs.kernels.cores): complete, consistent with
the public functions and their references, and the only way the feature factory reaches a core.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import causepairs.factory
from causepairs.kernels import (causal, classification, classification_metrics, conversions,
                                regression, regression_metrics)
from causepairs.kernels._validation import make_folds
from causepairs.kernels.cores import KernelCore
from causepairs.kernels.reference import causal as ref_causal
from causepairs.kernels.reference import classification as ref_classification
from causepairs.kernels.reference import conversions as ref_conversions
from causepairs.kernels.reference import regression as ref_regression

FAMILIES = {"regression": (regression, ref_regression, "oof_"),
            "classification": (classification, ref_classification, "oof_"),
            "conversions": (conversions, ref_conversions, ""),
            "causal": (causal, ref_causal, "")}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_model_has_one_entry_and_a_reference(family):
    module, reference, prefix = FAMILIES[family]
    entries = module.CORES
    if prefix:  # every public model is in the table
        public = {name for name in module.__all__ if name.startswith(prefix)}
        assert set(entries) == public
    if module is causal:  # every causal score is in the table
        assert set(entries) == set(module.__all__) - {"CORES", "REFERENCE_MEASURES"}
    for name, entry in entries.items():
        assert isinstance(entry, KernelCore)
        assert entry.name == name and getattr(module, name) is entry.function
        assert callable(getattr(reference, name)), f"{name} has no reference"
        # every parameter the core takes is a parameter of the public function and its
        # reference
        for param in entry.params:
            assert param.name in inspect.signature(entry.function).parameters
            assert param.name in inspect.signature(getattr(reference, name)).parameters


def test_core_args_fill_defaults_and_check_like_the_public_function():
    entry = regression.CORES["oof_boosted_stumps"]
    assert entry.core_args() == (100, 0.1)
    assert entry.core_args(n_rounds=50) == (50, 0.1)
    args = classification.CORES["oof_bin_frequencies"].core_args(n_bins=5)
    assert args == (5, 1.0) and isinstance(args[1], float)
    with pytest.raises(TypeError, match="no parameter 'rounds'"):
        entry.core_args(rounds=3)
    with pytest.raises(TypeError, match="needs the parameter 'k'"):
        conversions.CORES["kmeans_bins"].core_args()
    x = np.arange(10.0)
    folds = make_folds(10, 2, 0)
    for bad, error in (({"n_rounds": 0}, ValueError), ({"n_rounds": 2.5}, TypeError),
                       ({"learning_rate": -1.0}, ValueError),
                       ({"learning_rate": "fast"}, TypeError)):
        with pytest.raises(error):
            entry.core_args(**bad)
        with pytest.raises(error):
            regression.oof_boosted_stumps(x, x, folds, **bad)


def _average_ranks(v):
    return np.unique(v, return_inverse=True)[1].astype(np.float64)


@pytest.mark.parametrize("family", ["regression", "classification"])
def test_order_only_models_see_only_the_order_of_their_input(family):
    # The factory skips the rank view for these models: a monotone transform of x must not
    # change their predictions.
    module = FAMILIES[family][0]
    rng = np.random.default_rng(5)
    x = np.sort(np.round(rng.standard_normal(80) * 4))
    y = np.sin(x) + 0.3 * rng.standard_normal(80)
    target = y if family == "regression" else (y > 0).astype(np.int64) + (y > 0.8)
    folds = make_folds(80, 5, 5)
    transformed = np.exp(x / 3.0) * 7.0 + _average_ranks(x)
    for name, entry in module.CORES.items():
        if not entry.order_only:
            continue
        extra = () if family == "regression" else (3,)
        args = entry.core_args()
        raw = entry.core(x, target, folds, *extra, *args)
        mapped = entry.core(np.sort(transformed), target, folds, *extra, *args)
        np.testing.assert_allclose(mapped, raw, rtol=1e-12, atol=1e-12, err_msg=name)


def test_metric_tables_name_the_public_functions():
    assert regression_metrics.CORES["regression_metrics"].function is \
        regression_metrics.regression_metrics
    assert classification_metrics.CORES["classification_metrics"].function is \
        classification_metrics.classification_metrics


def _private_kernel_references(path: Path) -> list[str]:
    """Private kernel names a module imports or reads: ``from ..kernels._x import y``,
    ``from ..kernels.x import _y``, ``kernel_module._y``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and "kernels" in node.module:
            parts = node.module.split(".")
            if any(part.startswith("_") for part in parts):
                found.append(f"from {node.module}")
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
                if parts[-1] == "kernels" or "kernels" in parts:
                    aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_the_factory_reaches_no_private_kernel_name():
    root = Path(causepairs.factory.__file__).parent
    offenders = {str(path.relative_to(root)): refs for path in sorted(root.rglob("*.py"))
                 if (refs := _private_kernel_references(path))}
    assert not offenders, offenders


def test_the_guard_sees_a_private_reach_in(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from ..kernels import regression as reg\n"
                      "from ..kernels._validation import make_folds\n"
                      "from ..kernels.dependence import _hsic_all\n"
                      "core = reg._oof_linear_sorted\n", encoding="utf-8")
    assert _private_kernel_references(source) == [
        "from kernels._validation", "kernels.dependence._hsic_all", "reg._oof_linear_sorted"]
