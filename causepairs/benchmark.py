"""A model scored on benchmark folders: the one code path of ``causepairs benchmark`` and of a
pipeline's benchmark step (``causepairs run PIPELINE --benchmark DIR``).

:func:`read_suite` finds the sets named by the folders given (a folder of sets stands for all
of them) and the published methods' scores beside them; :func:`score_table` turns a model's
scores into the one table (per set, the mean of the equal-weight sets, the weighted sets on
their own lines); :func:`format_table` renders it as both commands print it; :func:`write_scores`
writes every pair's score (CSV) or the table with them (JSON).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import (Benchmark, benchmark_table, detect_format, find_baseline_file,
                       read_baselines, read_benchmark)
from .errors import CausepairsError, ChallengeFormatError
from .io import atomic_path, pair_fingerprint

__all__ = ["BenchmarkSuite", "find_benchmark_sets", "read_suite", "score_table",
           "format_table", "table_caption", "score_records", "write_scores",
           "benchmark_fingerprint"]


@dataclass(frozen=True)
class BenchmarkSuite:
    """The sets to score, in the order given, and the published scores found for them."""

    benchmarks: tuple[Benchmark, ...]
    #: Set name -> :meth:`Baselines.for_benchmark` of its ``.tab`` file (sets without one absent).
    baselines: dict[str, pd.DataFrame]

    @property
    def pairs(self) -> list:
        return [p for bench in self.benchmarks for p in bench.pairs]

    def publicinfo(self) -> pd.DataFrame:
        return pd.concat([bench.publicinfo() for bench in self.benchmarks])

    def notes(self) -> list[str]:
        """One line per pair that is not scored (e.g. multivariate), and why."""
        return [f"{bench.name} pair {skipped.pair_id} skipped ({skipped.reason})"
                for bench in self.benchmarks for skipped in bench.skipped]


def find_benchmark_sets(dirs, sets=None) -> list[tuple[Path, Path | None]]:
    """``(set folder, default baseline folder)`` for each set the folders ``dirs`` name.

    A folder that is not itself a set but holds sets stands for all of them; its
    ``baseline_results`` is their default baseline folder (a set's own default is the
    ``baseline_results`` beside it). ``sets``: keep only the sets of these names.
    """
    found = []
    for folder in map(Path, dirs):
        try:
            detect_format(folder)
            beside = folder.resolve().parent / "baseline_results"
            found.append((folder, beside if beside.is_dir() else None))
            continue
        except ChallengeFormatError:
            children = [c for c in sorted(folder.iterdir()) if c.is_dir()] \
                if folder.is_dir() else []
            children = [c for c in children if (c / "pairmeta.txt").is_file()
                        or (c / "pairs_gt.txt").is_file()]
            if not children:
                raise
        inside = folder / "baseline_results"
        found += [(c, inside if inside.is_dir() else None) for c in children]
    if sets:
        names = {f.resolve().name for f, _ in found}
        unknown = [s for s in sets if s not in names]
        if unknown:
            raise CausepairsError(f"--set {unknown[0]}: no such set among "
                                  f"{', '.join(sorted(names))}")
        found = [(f, b) for f, b in found if f.resolve().name in sets]
    return found


def read_suite(dirs, *, sets=None, baselines=None) -> BenchmarkSuite:
    """Read the sets of ``dirs`` (see :func:`find_benchmark_sets`) and their published scores.

    ``baselines``: a folder of ``.tab`` files or one ``.tab`` file, used for every set instead
    of the default baseline folders. Two sets of one name, or a set without a bivariate pair,
    are errors.
    """
    benchmarks, published = [], {}
    for folder, default_baselines in find_benchmark_sets(dirs, sets):
        bench = read_benchmark(folder)
        if any(b.name == bench.name for b in benchmarks):
            raise CausepairsError(f"{folder}: a set named {bench.name} is already given")
        if not len(bench):
            raise CausepairsError(f"{folder}: no bivariate pair to score")
        benchmarks.append(bench)
        location = baselines if baselines is not None else default_baselines
        tab = find_baseline_file(location, bench.name) if location is not None else None
        if tab is not None:
            published[bench.name] = read_baselines(tab).for_benchmark(bench)
    return BenchmarkSuite(tuple(benchmarks), published)


def benchmark_fingerprint(bench: Benchmark) -> str:
    """A digest of what a set's features depend on: every pair's SampleID, values and types.

    Read from the parsed pairs, not the files' bytes: a file the readers ignore (a README)
    changes nothing, and an edited value always changes the digest.
    """
    digest = hashlib.sha256()
    info = bench.publicinfo()
    for pair in bench.pairs:
        types = info.loc[pair.sample_id]
        digest.update(f"{pair_fingerprint(pair)}\0{types['A type']}\0{types['B type']}\n"
                      .encode("utf-8"))
    return digest.hexdigest()[:16]


def score_table(suite: BenchmarkSuite, scores: pd.Series) -> pd.DataFrame:
    """:func:`~causepairs.datasets.benchmark_table` of a model's scores (indexed by SampleID)."""
    return benchmark_table(suite.benchmarks, _per_set(suite, scores), suite.baselines)


def _per_set(suite: BenchmarkSuite, scores: pd.Series) -> dict[str, np.ndarray]:
    return {b.name: scores.loc[[p.sample_id for p in b.pairs]].to_numpy(dtype=np.float64)
            for b in suite.benchmarks}


def table_caption(model) -> str:
    """The line printed above the table."""
    return (f"direction accuracy (sign of score; weighted where weighted=yes) and AUC of model "
            f"{model}; published methods' accuracies from baseline_results; best = best "
            "published:")


def format_table(table: pd.DataFrame) -> str:
    """The table as ``causepairs benchmark`` prints it: a rule above the mean line, whose
    sets are those above it."""
    shown = table.drop(columns=["best_method"]).copy()
    shown["weighted"] = shown["weighted"].map({True: "yes", False: "no"})
    text = shown.to_string(float_format=lambda v: f"{v:.2f}", na_rep="-")
    lines = text.splitlines()
    mean_at = next((i for i, line in enumerate(lines) if line.startswith("mean (")), None)
    if mean_at is not None:
        lines.insert(mean_at, "-" * len(lines[0]))
    return "\n".join(lines)


def score_records(suite: BenchmarkSuite, scores: pd.Series) -> pd.DataFrame:
    """One row per scored pair: set, pair, SampleID, ground truth, weight, score."""
    per_set = _per_set(suite, scores)
    benchmarks = suite.benchmarks
    return pd.DataFrame({
        "set": [b.name for b in benchmarks for _ in b.pairs],
        "pair": [i for b in benchmarks for i in b.pair_ids],
        "SampleID": [p.sample_id for b in benchmarks for p in b.pairs],
        "ground_truth": np.concatenate([b.ground_truth for b in benchmarks]),
        "weight": np.concatenate([b.weights for b in benchmarks]),
        "score": np.concatenate([per_set[b.name] for b in benchmarks])})


def _json_scalar(value):
    """NumPy scalars (a table's counts and flags) as the JSON numbers and booleans they are."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_scores(path, model, table: pd.DataFrame, records: pd.DataFrame) -> Path:
    """Every pair's score: ``.csv`` the records, ``.json`` the table too (atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".json":
            summary = table.astype(object).where(table.notna(), None)
            tmp.write_text(json.dumps({
                "model": str(model),
                "table": {str(k): v for k, v in summary.to_dict(orient="index").items()},
                "pairs": records.to_dict(orient="records")}, indent=1,
                default=_json_scalar) + "\n")
        else:
            records.to_csv(tmp, index=False, lineterminator="\n")
    return path
