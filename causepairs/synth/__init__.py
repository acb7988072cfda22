"""Synthetic labelled cause-effect pairs in the ChaLearn challenge's format.

The generator is the training distribution of causepairs' models, so it aims at diversity:
many cause distributions, mechanisms and noise models, mixed variable types, all four Details
classes, and challenge-like post-processing. Each family of distribution, mechanism or noise is
one small function in a registry; every pair's recipe is returned next to it.

Public API: :class:`GeneratorConfig`, :class:`SyntheticPairs`, :func:`generate_pairs`,
:func:`write_synthetic_dataset`.
"""

from causepairs.synth.config import GeneratorConfig
from causepairs.synth.distributions import CAUSE_DISTRIBUTIONS
from causepairs.synth.files import DATASET_FILES, dataset_paths, write_synthetic_dataset
from causepairs.synth.generator import DEFAULT_CHUNK_SIZE, SyntheticPairs, generate_pairs
from causepairs.synth.mechanisms import MECHANISM_FAMILIES, MECHANISMS
from causepairs.synth.noise import NOISE_DISTRIBUTIONS, NOISE_MODELS
from causepairs.synth.pair import RECIPE_COLUMNS

__all__ = [
    "CAUSE_DISTRIBUTIONS",
    "DATASET_FILES",
    "DEFAULT_CHUNK_SIZE",
    "GeneratorConfig",
    "MECHANISMS",
    "MECHANISM_FAMILIES",
    "NOISE_DISTRIBUTIONS",
    "NOISE_MODELS",
    "RECIPE_COLUMNS",
    "SyntheticPairs",
    "dataset_paths",
    "generate_pairs",
    "write_synthetic_dataset",
]
