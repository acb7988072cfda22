"""Benchmark cases for the conversion kernels (causepairs.kernels.conversions)."""

from __future__ import annotations

from causepairs.kernels import conversions as fast
from causepairs.kernels.reference import conversions as ref

from . import BenchCase, challenge_like_pair

FAMILY = "conversions"


def _numeric(n, rng):
    return challenge_like_pair(n, rng)[0]


def _binned(k):
    return lambda n, rng: (_numeric(n, rng), k)


def _labels(n, rng):
    """A categorical variable with 6 categories of unequal frequency, as integer labels."""
    return (rng.choice(6, size=n, p=[0.3, 0.25, 0.2, 0.12, 0.08, 0.05]),)


CASES = [
    BenchCase(FAMILY, "eqfreq10", fast.equal_frequency_bins, ref.equal_frequency_bins,
              _binned(10)),
    BenchCase(FAMILY, "eqwidth10", fast.equal_width_bins, ref.equal_width_bins, _binned(10)),
    BenchCase(FAMILY, "kmeans3", fast.kmeans_bins, ref.kmeans_bins, _binned(3)),
    BenchCase(FAMILY, "kmeans10", fast.kmeans_bins, ref.kmeans_bins, _binned(10)),
    BenchCase(FAMILY, "pca1", fast.one_hot_pca1, ref.one_hot_pca1, _labels),
    BenchCase(FAMILY, "freq", fast.frequency_encoding, ref.frequency_encoding, _labels),
    BenchCase(FAMILY, "ordinal", fast.ordinal_codes, ref.ordinal_codes, _labels),
    BenchCase(FAMILY, "rank", fast.rank_uniform, ref.rank_uniform,
              lambda n, rng: (_numeric(n, rng),)),
    BenchCase(FAMILY, "std", fast.standardise, ref.standardise,
              lambda n, rng: (_numeric(n, rng),)),
]
