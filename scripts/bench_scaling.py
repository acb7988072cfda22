"""Throughput of ``causepairs features`` for 1, 2, 4, ... workers, joblib and Dask.

Usage::

    python scripts/bench_scaling.py --workers 1,2,4,8,16 --n-pairs 1000 --set fast
    python scripts/bench_scaling.py --workers 1,2 --backends joblib

One generated data set (``--n-pairs``, ``--seed``, pair sizes ``--min-size`` to
``--max-size``) is written once; then, for each back end and each number of workers, the
command runs as a subprocess of this checkout (``--n-jobs W``, and for Dask a local cluster
of W single-threaded workers). Reported: seconds as the command times itself (validation,
worker start-up and extraction; not the interpreter's start), pairs/s, speed-up against one
worker of the same back end, and the largest peak RSS of a worker process (psutil, polled every
0.2 s; see ``bench_memory.py``). Rows with more workers than cores are marked oversubscribed:
they measure contention, not scaling. Numba kernels are compiled once before any timed run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import (MB, _backends, _int_list, backend_flags,  # noqa: E402
                          causepairs_command, run_measured, source_env, warm_up_cache,
                          write_dataset)

_TIME = re.compile(r"^time: ([0-9.]+) s", re.MULTILINE)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=_int_list, default=[1, 2, 4, 8, 16], metavar="W[,W...]")
    p.add_argument("--n-pairs", type=int, default=1000)
    p.add_argument("--min-size", type=int, default=None, help="smallest pair (default 500)")
    p.add_argument("--max-size", type=int, default=None, help="largest pair (default 8000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="feature_set", default="fast")
    p.add_argument("--backends", type=_backends, default=["joblib", "dask"],
                   metavar="joblib,dask")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    env = source_env()
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_scaling_") as tmp:
        folder = Path(tmp)
        warm_up_cache(folder, args.feature_set, env)
        pairs, info, _ = write_dataset(folder / "data", args.n_pairs, args.seed, args.min_size,
                                       args.max_size, min(2, cores))
        for backend in args.backends:
            for workers in args.workers:
                out = folder / f"{backend}_{workers}.parquet"
                _, peaks, stdout = run_measured(causepairs_command(
                    "features", "--pairs", pairs, "--publicinfo", info, "--set",
                    args.feature_set, "--out", out, "--n-jobs", workers, "--quiet",
                    *backend_flags(backend)), env=env)
                seconds = float(_TIME.search(stdout).group(1))
                rows.append((backend, workers, seconds, peaks.max_worker))
                print(f"# {backend} {workers} workers: {seconds:.1f} s", file=sys.stderr,
                      flush=True)
    sizes = f"{args.min_size or 500}-{args.max_size or 8000}"
    print(f"\n{args.n_pairs} pairs (sizes {sizes}, seed {args.seed}), set {args.feature_set}; "
          f"this machine: {cores} cores ({platform.machine()}, Python "
          f"{platform.python_version()})\n")
    print("| backend | workers | s | pairs/s | speed-up | max worker peak MB | note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for backend, workers, seconds, worker_peak in rows:
        base = next((s for b, w, s, _ in rows if b == backend and w == 1), None)
        speedup = f"{base / seconds:.2f}" if base else "-"
        note = f"oversubscribed ({workers} > {cores} cores)" if workers > cores else ""
        # One worker runs in-process (no worker processes): its memory is the driver's.
        peak = f"{worker_peak / MB:.0f}" if worker_peak else "- (in-process)"
        print(f"| {backend} | {workers} | {seconds:.1f} | {args.n_pairs / seconds:.1f} | "
              f"{speedup} | {peak} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
