"""Every kernel module compiles through causepairs.kernels._config, with its one set of options."""

import ast
from pathlib import Path

import pytest

from causepairs.kernels import _config

KERNELS = Path(_config.__file__).resolve().parent
MODULES = sorted(p for p in KERNELS.glob("*.py") if p.name != "_config.py")


def test_options():
    assert _config.JIT_OPTIONS["nogil"] and _config.JIT_OPTIONS["cache"]
    assert not _config.JIT_OPTIONS["fastmath"] and "parallel" not in _config.JIT_OPTIONS
    with pytest.raises(ValueError, match="parallel"):
        _config.jit(parallel=True)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_direct_numba_decorators(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "numba" and node.attr in {"njit", "jit", "prange", "vectorize"}:
                pytest.fail(f"{path.name}:{node.lineno} uses numba.{node.attr}; use _config.jit")
        if isinstance(node, ast.ImportFrom) and node.module == "numba":
            names = {a.name for a in node.names}
            assert not names & {"njit", "jit", "prange"}, f"{path.name} imports {names} from numba"
