"""Benchmark cases for the shared helpers (causepairs.kernels.shared, .binning) against their
NumPy/SciPy twins in causepairs.kernels.reference, on challenge-like data (ties)."""

from __future__ import annotations

import numpy as np

from causepairs.kernels import binning, shared
from causepairs.kernels.reference import binning as ref_binning
from causepairs.kernels.reference import shared as ref_shared

from . import BenchCase, challenge_like_pair

FAMILY = "shared helpers"


def _sorted(n, rng):
    return (np.sort(challenge_like_pair(n, rng)[0]),)


def _pair(n, rng):
    return challenge_like_pair(n, rng)


def _one(n, rng):
    return (challenge_like_pair(n, rng)[0],)


def _counts(n, rng):
    counts = np.bincount(rng.integers(0, 20, n), minlength=20).astype(np.int64)
    return counts, n


def _quartiles(module):
    return lambda xs: (module.quantile_sorted(xs, 0.25), module.quantile_sorted(xs, 0.75))


def _bins(module, rule):
    return lambda xs: module.equal_frequency_bins_sorted(xs, 10, rule)


CASES = [
    BenchCase(FAMILY, "quartiles", _quartiles(shared), _quartiles(ref_shared), _sorted),
    BenchCase(FAMILY, "average_ranks", shared.average_ranks, ref_shared.average_ranks, _one),
    BenchCase(FAMILY, "pearson", shared.pearson_correlation, ref_shared.pearson_correlation,
              _pair),
    BenchCase(FAMILY, "entropy_of_counts", shared.entropy_of_counts,
              ref_shared.entropy_of_counts, _counts),
] + [
    BenchCase(FAMILY, f"eqfreq10_{name}", _bins(binning, rule), _bins(ref_binning, rule), _sorted)
    for name, rule in binning.RULES.items()
] + [
    BenchCase(FAMILY, "histogram10", lambda x: binning.histogram_bins(x, 10, x.min(), x.max()),
              lambda x: ref_binning.histogram_bins(x, 10, x.min(), x.max()), _one),
]
