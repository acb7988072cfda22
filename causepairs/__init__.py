"""causepairs: predict the causal direction between two observed variables.

``causepairs.direction(x, y)`` and ``causepairs.direction_table(df)`` answer with the model
shipped in the package (see :mod:`causepairs.tables`). The other entry points
(``generate_pairs``, ``extract_features``, ``load_feature_set``, ``CausalDirectionModel``,
``PairFeatures``, ``pairs_frame``, ``read_benchmark``) are importable from here too; each is
imported on first use, so ``import causepairs`` stays light.
"""

__version__ = "0.1.0"

#: Names exported lazily: attribute -> module that defines it.
_LAZY = {"direction": "tables", "direction_table": "tables", "DirectionResult": "tables",
         "DirectionModel": "tables", "Calibration": "calibration",
         "generate_pairs": "synth", "extract_features": "factory.extract",
         "load_feature_set": "factory.spec", "CausalDirectionModel": "model",
         "PairFeatures": "transformers", "pairs_frame": "transformers",
         "read_benchmark": "datasets"}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'causepairs' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
