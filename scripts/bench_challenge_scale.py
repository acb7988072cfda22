"""The challenge's scale on this machine: features and training for 4,050 pairs of 500-8,000 points.

Usage::

    python scripts/bench_challenge_scale.py                       # 4,050 pairs, full set, 2 workers
    python scripts/bench_challenge_scale.py --n-pairs 400 --set fast --n-jobs 1

The 2013 challenge's training file held 4,050 pairs whose sizes ran from about 500 to 8,000
points. This script generates as many pairs (``--seed``; sizes log-uniform in ``--min-size`` to
``--max-size``, the generator's own size rule) and times, each as a subprocess of this checkout
with its process tree's memory polled (``bench_memory.run_measured``):

1. ``causepairs features`` with ``--set`` on ``--n-jobs`` workers (Numba kernels are compiled
   before, outside the timed run);
2. ``causepairs train`` on those features (cross-validation with ``--folds`` folds, then the
   final fit).

Printed: a Markdown table of wall time, pairs/s, the driver's peak RSS and the largest worker's,
the feature file's size and the model's CV score; the data set's size distribution; the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import (MB, causepairs_command, run_measured, source_env,  # noqa: E402
                          warm_up_cache, write_dataset)

CHALLENGE_PAIRS = 4050


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-pairs", type=int, default=CHALLENGE_PAIRS)
    p.add_argument("--min-size", type=int, default=500)
    p.add_argument("--max-size", type=int, default=8000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="feature_set", default="full")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--folds", dest="cv_folds", type=int, default=5)
    p.add_argument("--workdir", type=Path, default=None,
                   help="keep the data, features and model here (default: a temporary directory)")
    return p


def _size_summary(pairs_csv: Path) -> str:
    from causepairs.io import read_pairs

    sizes = np.array([len(pair.a) for pair in read_pairs(pairs_csv)])
    q = np.percentile(sizes, [0, 25, 50, 75, 100])
    return (f"{len(sizes)} pairs; points per pair: min {q[0]:.0f}, quartiles {q[1]:.0f} / "
            f"{q[2]:.0f} / {q[3]:.0f}, max {q[4]:.0f}; {sizes.sum():,} points in all")


def _directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    env = source_env()
    with tempfile.TemporaryDirectory(prefix="bench_challenge_") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        warm_up_cache(folder, args.feature_set, env)
        t0 = time.perf_counter()
        pairs, info, target = write_dataset(folder / "data", args.n_pairs, args.seed,
                                            args.min_size, args.max_size, args.n_jobs)
        generate_s = time.perf_counter() - t0
        sizes = _size_summary(pairs)
        print(f"# generated in {generate_s:.0f} s: {sizes}", file=sys.stderr, flush=True)

        features = folder / "features.parquet"
        model = folder / "model"
        steps = [
            ("features", causepairs_command(
                "features", "--pairs", pairs, "--publicinfo", info, "--set", args.feature_set,
                "--out", features, "--n-jobs", args.n_jobs, "--quiet")),
            ("train", causepairs_command(
                "train", "--pairs", pairs, "--publicinfo", info, "--target", target,
                "--set", args.feature_set, "--features", features, "--out", model,
                "--folds", args.cv_folds, "--n-jobs", args.n_jobs, "--quiet")),
        ]
        rows = []
        for name, command in steps:
            wall, peaks, _ = run_measured(command, env=env)
            rows.append((name, wall, peaks))
            print(f"# {name}: {wall:.0f} s, driver {peaks.driver / MB:.0f} MB, largest worker "
                  f"{peaks.max_worker / MB:.0f} MB", file=sys.stderr, flush=True)
        metadata = json.loads((model / "metadata.json").read_text())
        n_columns = len(metadata["columns"])
        cv = metadata.get("cv_scores")
        feature_mb = _directory_size(features) / MB

    print(f"\n{args.n_pairs} generated pairs (seed {args.seed}), set {args.feature_set}"
          f"{f' ({n_columns} columns)' if n_columns else ''}, {args.n_jobs} workers; "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"data: {sizes}; generated in {generate_s:.0f} s\n")
    print("| step | wall s | pairs/s | ms per pair per worker | driver peak MB | "
          "largest worker peak MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, wall, peaks in rows:
        per_pair = 1000 * wall * args.n_jobs / args.n_pairs
        print(f"| {name} | {wall:.0f} | {args.n_pairs / wall:.1f} | {per_pair:.0f} | "
              f"{peaks.driver / MB:.0f} | {peaks.max_worker / MB:.0f} |")
    total = sum(wall for _, wall, _ in rows)
    print(f"| features + training | {total:.0f} | {args.n_pairs / total:.1f} | | | |")
    print(f"\nfeature file {feature_mb:.0f} MB; model CV: {cv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
