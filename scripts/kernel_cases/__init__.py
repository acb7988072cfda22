"""Benchmark cases for ``scripts/bench_kernels.py``: one module per kernel family.

Each family module defines ``CASES``, a list of :class:`BenchCase`. A case times the Numba
kernel and its reference on the same arguments, made fresh for each size ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class BenchCase:
    """One kernel timed against its reference.

    family : the row group in the table (e.g. ``"oof regression"``)
    name : the kernel and its parameters (e.g. ``"knn15"``)
    fast : the causepairs kernel; called as ``fast(*make_args(n, rng))``
    reference : its slow twin (scikit-learn's ``cross_val_predict`` for out-of-fold models)
    make_args : builds the arguments for a pair of size ``n`` from a seeded generator
    """

    family: str
    name: str
    fast: Callable
    reference: Callable
    make_args: Callable[[int, np.random.Generator], tuple]


def challenge_like_pair(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A noisy nonlinear pair rounded like the challenge data (standardised x 10,000), with ties."""
    x = rng.standard_normal(n)
    y = np.tanh(1.5 * x) + 0.3 * rng.standard_normal(n)
    def rounded(v):
        return np.round((v - v.mean()) / v.std() * 10000.0)
    return rounded(x), rounded(y)
