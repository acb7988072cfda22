"""Time the synthetic pair generator at several worker counts.

Usage::

    python scripts/bench_generate.py --pairs 500 --jobs 1 2

Prints one row per worker count: wall time, pairs per second, milliseconds per pair and the
speed-up over the first count. Each count is timed ``--repeats`` times and the best time kept;
a warm-up call first starts joblib's worker processes, whose start-up (about a second) is paid
once per program and would otherwise be charged to the first parallel row.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from causepairs.synth import generate_pairs


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=500, help="pairs per run (default 500)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="worker counts to compare, first one is the reference (default 1 2)")
    parser.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per worker count (default 2)")
    parser.add_argument("--cold", action="store_true",
                        help="skip the warm-up, so worker start-up is included in the timings")
    arguments = parser.parse_args(argv)
    if arguments.pairs < 1:
        parser.error("--pairs must be >= 1")
    if arguments.repeats < 1:
        parser.error("--repeats must be >= 1")
    if any(jobs == 0 for jobs in arguments.jobs):
        parser.error("--jobs values must be non-zero (-1 means all cores)")
    return arguments


def _best_time(n_pairs: int, seed: int, n_jobs: int, repeats: int) -> float:
    """Return the shortest wall time of ``repeats`` runs of ``generate_pairs``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        generate_pairs(n_pairs, seed, n_jobs=n_jobs)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; returns the process exit status."""
    arguments = _parse_arguments(argv)
    if not arguments.cold:
        for n_jobs in sorted(set(arguments.jobs)):
            generate_pairs(min(arguments.pairs, 64), arguments.seed, n_jobs=n_jobs, chunk_size=8)
    print(f"generate_pairs: {arguments.pairs} pairs, seed {arguments.seed}, "
          f"best of {arguments.repeats}{', cold' if arguments.cold else ''}")
    print(f"{'n_jobs':>6} {'seconds':>8} {'pairs/s':>8} {'ms/pair':>8} {'speed-up':>8}")
    reference = None
    for n_jobs in arguments.jobs:
        seconds = _best_time(arguments.pairs, arguments.seed, n_jobs, arguments.repeats)
        reference = seconds if reference is None else reference
        print(f"{n_jobs:>6} {seconds:>8.2f} {arguments.pairs / seconds:>8.0f} "
              f"{1000.0 * seconds / arguments.pairs:>8.2f} {reference / seconds:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
