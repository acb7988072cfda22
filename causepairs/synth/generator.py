"""The driver: :func:`generate_pairs` and its result, :class:`SyntheticPairs`.

Pairs are generated in chunks of consecutive indices, in-process for ``n_jobs=1`` and otherwise
in joblib's process-based (loky) workers. Every pair has its own seed derived from its index,
so the result depends only on ``(n_pairs, seed, config, prefix)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from causepairs.defaults import GENERATOR_CHUNK_SIZE
from causepairs.execution import map_ordered
from causepairs.synth.config import GeneratorConfig
from causepairs.synth.pair import RECIPE_COLUMNS, GeneratedPair, generate_pair

#: Pairs per task sent to a worker process (see :mod:`causepairs.defaults`).
DEFAULT_CHUNK_SIZE = GENERATOR_CHUNK_SIZE

_INT_RECIPE_COLUMNS = ("details", "target", "a_levels", "b_levels", "n", "attempts", "seed",
                       "spawn_key")
_BOOL_RECIPE_COLUMNS = ("noise_on_cause", "a_coarsened", "b_coarsened")
_FLOAT_RECIPE_COLUMNS = ("snr", "cause_noise_snr", "snr_b", "cause_noise_snr_b", "confounding",
                         "a_measurement_snr", "b_measurement_snr")


@dataclass
class SyntheticPairs:
    """A generated labelled set, in the challenge's layout.

    Attributes
    ----------
    sample_ids : list of str
        ``prefix + str(i + 1)`` for pair index ``i``.
    a, b : list of numpy.ndarray
        int64 values of each pair's variables (same length within a pair).
    publicinfo : pandas.DataFrame
        Columns ``SampleID``, ``A type``, ``B type`` (Numerical, Categorical or Binary).
    target : pandas.DataFrame
        Columns ``SampleID``, ``Target`` (1, -1, 0) and ``Details`` (1-4).
    recipes : pandas.DataFrame
        ``SampleID`` then one column per field of :data:`causepairs.synth.pair.RECIPE_COLUMNS`.
    """

    sample_ids: list[str]
    a: list[np.ndarray]
    b: list[np.ndarray]
    publicinfo: pd.DataFrame
    target: pd.DataFrame
    recipes: pd.DataFrame

    def __len__(self) -> int:
        return len(self.sample_ids)


def _generate_chunk(task: tuple[int, int, int, GeneratorConfig]) -> list[GeneratedPair]:
    """Generate pairs ``start .. stop - 1`` (the unit of work of one task)."""
    seed, start, stop, config = task
    return [generate_pair(seed, index, config) for index in range(start, stop)]


def _check_arguments(n_pairs: int, seed: int, prefix: str, chunk_size: int,
                     progress: Callable[[int], None] | None) -> None:
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, numbers.Integral) or n_pairs < 1:
        raise ValueError(f"n_pairs must be an integer >= 1, got {n_pairs!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if (not isinstance(prefix, str) or not prefix
            or any(character.isspace() or character in ',"' for character in prefix)):
        raise ValueError("prefix must be a non-empty string without whitespace, commas or quotes "
                         f"(it starts every SampleID), got {prefix!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable taking a number of pairs, or None, got {progress!r}")


def _assemble(pairs: list[GeneratedPair], sample_ids: list[str]) -> SyntheticPairs:
    recipes = pd.DataFrame([pair.recipe for pair in pairs], columns=list(RECIPE_COLUMNS))
    for column in _INT_RECIPE_COLUMNS:
        recipes[column] = recipes[column].astype(np.int64)
    for column in _BOOL_RECIPE_COLUMNS:
        recipes[column] = recipes[column].astype(bool)
    for column in _FLOAT_RECIPE_COLUMNS:
        recipes[column] = recipes[column].astype(np.float64)
    recipes.insert(0, "SampleID", sample_ids)
    publicinfo = pd.DataFrame({"SampleID": sample_ids,
                               "A type": recipes["a_type"].to_list(),
                               "B type": recipes["b_type"].to_list()})
    target = pd.DataFrame({"SampleID": sample_ids,
                           "Target": recipes["target"].to_numpy(np.int64),
                           "Details": recipes["details"].to_numpy(np.int64)})
    return SyntheticPairs(sample_ids, [pair.a for pair in pairs], [pair.b for pair in pairs],
                          publicinfo, target, recipes)


def generate_pairs(n_pairs: int, seed: int, *, config: GeneratorConfig | None = None,
                   prefix: str = "train", n_jobs: int | None = None,
                   progress: Callable[[int], None] | None = None,
                   chunk_size: int = DEFAULT_CHUNK_SIZE) -> SyntheticPairs:
    """Generate ``n_pairs`` labelled synthetic cause-effect pairs.

    Parameters
    ----------
    n_pairs : int
        Number of pairs, >= 1.
    seed : int
        Non-negative root seed. Pair ``i`` uses ``SeedSequence(seed, spawn_key=(i,))``, so it is
        the same whatever ``n_pairs``, ``n_jobs`` or ``chunk_size``.
    config : GeneratorConfig, optional
        Settings; defaults to ``GeneratorConfig()`` (challenge-like).
    prefix : str, optional
        Start of every ``SampleID`` (``train1``, ``train2``, ...).
    n_jobs : int, optional
        Worker processes (None: the default, 1 = in-process unless ``CAUSEPAIRS_N_JOBS`` says
        otherwise; -1: all cores; see :mod:`causepairs.defaults`).
    progress : callable, optional
        Called in the calling process with the number of pairs just finished, once per chunk.
    chunk_size : int, optional
        Pairs per task; affects speed and progress granularity only.

    Returns
    -------
    SyntheticPairs

    Raises
    ------
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> pairs = generate_pairs(4, seed=0, prefix="demo")
    >>> pairs.sample_ids
    ['demo1', 'demo2', 'demo3', 'demo4']
    """
    _check_arguments(n_pairs, seed, prefix, chunk_size, progress)
    if config is None:
        config = GeneratorConfig()
    elif not isinstance(config, GeneratorConfig):
        raise ValueError(f"config must be a GeneratorConfig or None, got {type(config).__name__}")
    tasks = [(int(seed), start, min(start + chunk_size, n_pairs), config)
             for start in range(0, n_pairs, chunk_size)]
    results = map_ordered(_generate_chunk, tasks, n_jobs=n_jobs, progress=progress,
                          size=lambda task: task[2] - task[1])
    pairs = [pair for chunk in results for pair in chunk]
    sample_ids = [f"{prefix}{index + 1}" for index in range(n_pairs)]
    return _assemble(pairs, sample_ids)
