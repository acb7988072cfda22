"""Write a generated data set as challenge files (shared by ``causepairs generate`` and pipelines)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from causepairs.synth.config import GeneratorConfig
from causepairs.synth.generator import SyntheticPairs, generate_pairs

__all__ = ["DATASET_FILES", "dataset_paths", "write_synthetic_dataset"]

#: The files of a generated data set, by kind: DIR/PREFIX_<kind>.csv.
DATASET_FILES = ("pairs", "publicinfo", "target", "recipes")


def dataset_paths(directory, prefix: str) -> dict[str, Path]:
    """``{kind: DIR/PREFIX_kind.csv}`` for every kind in :data:`DATASET_FILES`."""
    directory = Path(directory)
    return {kind: directory / f"{prefix}_{kind}.csv" for kind in DATASET_FILES}


def _counting(items: Iterable, progress: Callable[[int], object] | None) -> Iterator:
    for item in items:
        yield item
        if progress is not None:
            progress(1)


def write_synthetic_dataset(directory, n_pairs: int, seed: int, *, prefix: str = "train",
                            config: GeneratorConfig | None = None, n_jobs: int | None = None,
                            progress: Callable[[int], object] | None = None,
                            write_progress: Callable[[int], object] | None = None,
                            ) -> tuple[SyntheticPairs, dict[str, Path]]:
    """Generate ``n_pairs`` labelled pairs and write them as challenge CSV files.

    Every file is written atomically, the pairs file last-but-one and the recipes last, so a
    directory holding ``PREFIX_recipes.csv`` holds a complete data set. The bytes depend only
    on ``n_pairs``, ``seed``, ``prefix`` and ``config``, never on ``n_jobs``.

    Returns
    -------
    (SyntheticPairs, dict)
        The data in memory, and the paths written by kind (see :func:`dataset_paths`).
    """
    from causepairs.io import Pair, write_csv_table, write_pairs, write_publicinfo, write_target

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        from causepairs.errors import CausepairsError

        raise CausepairsError(f"{directory}: exists and is not a directory")
    data = generate_pairs(n_pairs, seed, config=config, prefix=prefix, n_jobs=n_jobs,
                          progress=progress)
    directory.mkdir(parents=True, exist_ok=True)
    paths = dataset_paths(directory, prefix)
    write_publicinfo(paths["publicinfo"], data.publicinfo)
    write_target(paths["target"], data.target)
    pairs = (Pair(sid, a, b) for sid, a, b in zip(data.sample_ids, data.a, data.b))
    write_pairs(paths["pairs"], _counting(pairs, write_progress))
    write_csv_table(paths["recipes"], data.recipes)
    return data, paths
