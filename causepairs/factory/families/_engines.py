"""Which implementation of a kernel family a feature computes with.

The ``numba`` engine uses ``causepairs.kernels.<family>``; the ``reference`` engine uses the
slow twins in ``causepairs.kernels.reference.<family>`` (same names and signatures). The
references import scikit-learn and SciPy, so they are imported only when first asked for:
worker processes of the numba engine start without them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["kernel_module"]


def kernel_module(family: str, engine: str) -> ModuleType:
    package = "causepairs.kernels" if engine == "numba" else "causepairs.kernels.reference"
    return importlib.import_module(f"{package}.{family}")
