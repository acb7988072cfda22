"""causepairs: predict the causal direction between two observed variables."""

__version__ = "0.1.0"

# The entry points, importable from the top level. Each loads its module on first use
# (PEP 562), so ``import causepairs`` stays fast: NumPy, pandas, Numba and LightGBM load only
# when something that needs them is touched.
_LAZY_EXPORTS = {
    "generate_pairs": "causepairs.synth",
    "extract_features": "causepairs.factory.extract",
    "load_feature_set": "causepairs.factory.spec",
    "CausalDirectionModel": "causepairs.model",
    "PairFeatures": "causepairs.transformers",
    "pairs_frame": "causepairs.transformers",
    "read_benchmark": "causepairs.datasets",
}

__all__ = ["__version__", *_LAZY_EXPORTS]


def __getattr__(name):
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'causepairs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value          # later look-ups skip this function
    return value


def __dir__():
    return sorted([*globals(), *_LAZY_EXPORTS])
