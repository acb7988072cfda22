"""Benchmark cases for the dependence and causal kernels (causepairs.kernels.dependence and
causepairs.kernels.causal), each against its reference twin on the same challenge-like pair."""

from __future__ import annotations

from causepairs.kernels import causal, dependence
from causepairs.kernels.reference import causal as ref_causal
from causepairs.kernels.reference import dependence as ref_dependence

from . import BenchCase, challenge_like_pair

DEPENDENCE = "dependence"
CAUSAL = "causal"


def _pair(n, rng):
    return challenge_like_pair(n, rng)


def _labels(n, rng):
    """The challenge-like pair coarsened to about a dozen categories each."""
    x, y = challenge_like_pair(n, rng)
    return (x // 5000).astype(int), (y // 5000).astype(int)


CASES = [
    BenchCase(DEPENDENCE, name, getattr(dependence, name), getattr(ref_dependence, name), _pair)
    for name in ("pearson", "spearman", "kendall_tau", "distance_correlation", "hsic",
                 "normalized_hsic", "mutual_info_binned", "mutual_info_ksg")
] + [
    BenchCase(DEPENDENCE, name, getattr(dependence, name), getattr(ref_dependence, name),
              _labels)
    for name in ("chi_square", "cramers_v", "normalized_mutual_info", "adjusted_mutual_info",
                 "adjusted_rand", "conditional_entropy")
] + [
    BenchCase(CAUSAL, name, getattr(causal, name), getattr(ref_causal, name), _pair)
    for name in ("igci_slope", "igci_entropy", "reci", "conditional_distribution_variability",
                 "conditional_distribution_similarity", "anm_score")
] + [
    BenchCase(CAUSAL, "igci_slope_gaussian",
              lambda x, y: causal.igci_slope(x, y, "gaussian"),
              lambda x, y: ref_causal.igci_slope(x, y, "gaussian"), _pair),
    BenchCase(CAUSAL, "igci_entropy_gaussian",
              lambda x, y: causal.igci_entropy(x, y, "gaussian"),
              lambda x, y: ref_causal.igci_entropy(x, y, "gaussian"), _pair),
]
