"""Benchmark cases for the univariate kernels (causepairs.kernels.univariate)."""

from __future__ import annotations

from causepairs.kernels import univariate as fast
from causepairs.kernels.reference import univariate as ref

from . import BenchCase, challenge_like_pair

FAMILY = "univariate"


def _numeric(n, rng):
    return (challenge_like_pair(n, rng)[1],)


def _labels(n, rng):
    """The challenge-like variable coarsened to about a dozen categories."""
    return ((challenge_like_pair(n, rng)[0] // 5000).astype(int),)


CASES = [
    BenchCase(FAMILY, name, getattr(fast, name), getattr(ref, name), _numeric)
    for name in ("entropy_spacing", "entropy_vasicek", "entropy_binned", "skewness",
                 "kurtosis", "jarque_bera", "anderson_darling", "lilliefors", "unique_count",
                 "unique_ratio", "discreteness", "mode_count")
] + [BenchCase(FAMILY, "entropy_discrete", fast.entropy_discrete, ref.entropy_discrete,
               _labels)]
