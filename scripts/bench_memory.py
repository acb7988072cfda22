"""Peak memory of ``causepairs features`` (and ``predict``) as the number of pairs grows.

Usage::

    python scripts/bench_memory.py --n-pairs 1000,10000 --min-size 200 --max-size 1000
    python scripts/bench_memory.py --n-pairs 1000 --model runs/model --backends joblib

For each number of pairs, generated pairs (``--seed``, pair sizes ``--min-size`` to
``--max-size``, default the generator's 500-8000) are written to a challenge CSV in a temporary
directory; then each command runs as a subprocess (``python -m causepairs ...``, this
checkout) once per back end. The process tree is polled every ``--interval`` seconds
(psutil): the driver is the command's own process, the workers are all its descendants
(joblib's loky workers; Dask's worker processes, whose nannies run in the driver). Printed:
wall time, pairs/s, the driver's peak RSS and the largest peak RSS of any worker, and for the
largest ``n`` the change against the smallest. Streaming means these peaks stay flat.

Numba kernels are compiled (or loaded from the cache) by a small run first, so that no
measured run pays for compilation.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a source checkout without installing
    sys.path.insert(0, str(ROOT))

MB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# Measuring a process tree
# --------------------------------------------------------------------------------------------

@dataclass
class TreePeaks:
    """Peak RSS (bytes) of a process and of each of its descendants, by pid."""

    root: int
    peaks: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @property
    def driver(self) -> int:
        return self.peaks.get(self.root, 0)

    @property
    def workers(self) -> dict[int, int]:
        return {pid: peak for pid, peak in self.peaks.items() if pid != self.root}

    @property
    def max_worker(self) -> int:
        return max(self.workers.values(), default=0)


def _poll(process, peaks: TreePeaks, interval: float, stop: threading.Event) -> None:
    import psutil

    while not stop.is_set():
        try:
            members = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for member in members:
            try:
                rss = member.memory_info().rss
                if member.pid not in peaks.names:
                    peaks.names[member.pid] = " ".join(member.cmdline()[:3])[:80]
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            if rss > peaks.peaks.get(member.pid, 0):
                peaks.peaks[member.pid] = rss
        stop.wait(interval)


def run_measured(command: list[str], *, interval: float = 0.2, env: dict | None = None,
                 cwd=None) -> tuple[float, TreePeaks, str]:
    """Run ``command``; return (wall seconds, peaks of its process tree, stdout).

    Raises
    ------
    RuntimeError
        If the command fails (its stderr tail is in the message).
    """
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)
    peaks = TreePeaks(proc.pid)
    stop = threading.Event()
    poller = threading.Thread(target=_poll, args=(psutil.Process(proc.pid), peaks, interval,
                                                  stop), daemon=True)
    poller.start()
    try:
        out, err = proc.communicate()
    finally:
        stop.set()
        poller.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join(err.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}:\n{tail}")
    return wall, peaks, out


def source_env() -> dict:
    """The environment for subprocesses that import causepairs from this checkout."""
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return dict(os.environ, PYTHONPATH=path)


def causepairs_command(*argv) -> list[str]:
    return [sys.executable, "-m", "causepairs", *map(str, argv)]


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def write_dataset(folder: Path, n_pairs: int, seed: int, min_size: int | None,
                  max_size: int | None, n_jobs: int) -> tuple[Path, Path, Path]:
    """Generate pairs, write ``NAME_pairs.csv``, ``_publicinfo.csv`` and ``_target.csv``."""
    from causepairs.io import Pair, write_pairs, write_publicinfo, write_target
    from causepairs.synth import GeneratorConfig, generate_pairs

    sizes = {k: v for k, v in (("min_size", min_size), ("max_size", max_size)) if v}
    data = generate_pairs(n_pairs, seed, config=GeneratorConfig(**sizes), n_jobs=n_jobs)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "bench_pairs.csv", folder / "bench_publicinfo.csv",
             folder / "bench_target.csv")
    write_pairs(paths[0], (Pair(s, a, b) for s, a, b in zip(data.sample_ids, data.a, data.b)))
    write_publicinfo(paths[1], data.publicinfo)
    write_target(paths[2], data.target)
    return paths


def backend_flags(backend: str) -> list[str]:
    return ["--backend", "dask", "--scheduler", "local"] if backend == "dask" else []


def warm_up_cache(folder: Path, feature_set: str, env: dict) -> None:
    """Compile (or load) the Numba kernels once, outside any measured run."""
    pairs, info, _ = write_dataset(folder / "warmup", 4, 0, 100, 200, 1)
    run_measured(causepairs_command("features", "--pairs", pairs, "--publicinfo", info,
                                    "--set", feature_set, "--out", folder / "warmup.parquet",
                                    "--quiet"), env=env)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _backends(text: str) -> list[str]:
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names or any(n not in ("joblib", "dask") for n in names):
        raise argparse.ArgumentTypeError(f"expected joblib and/or dask, got {text!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-pairs", type=_int_list, default=[1000, 10000], metavar="N[,N...]")
    p.add_argument("--min-size", type=int, default=None, help="smallest pair (default 500)")
    p.add_argument("--max-size", type=int, default=None, help="largest pair (default 8000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="feature_set", default="fast")
    p.add_argument("--n-jobs", type=int, default=2, help="workers per run (default 2)")
    p.add_argument("--backends", type=_backends, default=["joblib", "dask"],
                   metavar="joblib,dask")
    p.add_argument("--model", type=Path, default=None,
                   help="also measure `predict` with this model directory (its feature set)")
    p.add_argument("--interval", type=float, default=0.2, help="polling period, s")
    p.add_argument("--workdir", type=Path, default=None,
                   help="keep the data and outputs here (default: a temporary directory)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    env = source_env()
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        folder = args.workdir or Path(tmp)
        warm_up_cache(folder, args.feature_set, env)
        rows = []
        for n in args.n_pairs:
            data_dir = folder / f"n{n}"
            t0 = time.perf_counter()
            pairs, info, _ = write_dataset(data_dir, n, args.seed, args.min_size,
                                           args.max_size, args.n_jobs)
            print(f"# {n} pairs generated in {time.perf_counter() - t0:.0f} s "
                  f"({pairs.stat().st_size / MB:.0f} MB of CSV)", file=sys.stderr, flush=True)
            for backend in args.backends:
                commands = [("features", causepairs_command(
                    "features", "--pairs", pairs, "--publicinfo", info, "--set",
                    args.feature_set, "--out", data_dir / f"features_{backend}.parquet",
                    "--n-jobs", args.n_jobs, "--quiet", *backend_flags(backend)))]
                if args.model is not None:
                    commands.append(("predict", causepairs_command(
                        "predict", "--model", args.model, "--pairs", pairs, "--publicinfo",
                        info, "--out", data_dir / f"submission_{backend}.csv", "--n-jobs",
                        args.n_jobs, "--quiet", *backend_flags(backend))))
                for name, command in commands:
                    wall, peaks, _ = run_measured(command, interval=args.interval, env=env)
                    rows.append((name, backend, n, wall, peaks))
                    print(f"# {name} {backend} n={n}: {wall:.1f} s, driver "
                          f"{peaks.driver / MB:.0f} MB, max worker {peaks.max_worker / MB:.0f} MB "
                          f"({len(peaks.workers)} child processes)", file=sys.stderr, flush=True)
    print_table(rows, args)
    return 0


def print_table(rows, args) -> None:
    sizes = (f"{args.min_size or 500}-{args.max_size or 8000}")
    print(f"\nset {args.feature_set}, n_jobs {args.n_jobs}, pair sizes {sizes}, seed "
          f"{args.seed}; {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}\n")
    print("| command | backend | n_pairs | wall s | pairs/s | driver peak MB | "
          "max worker peak MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, backend, n, wall, peaks in rows:
        print(f"| {name} | {backend} | {n} | {wall:.1f} | {n / wall:.1f} | "
              f"{peaks.driver / MB:.0f} | {peaks.max_worker / MB:.0f} |")
    smallest, largest = min(args.n_pairs), max(args.n_pairs)
    if smallest == largest:
        return
    print(f"\ngrowth of the peaks from {smallest} to {largest} pairs:")
    for name in dict.fromkeys(r[0] for r in rows):
        for backend in args.backends:
            by_n = {r[2]: r[4] for r in rows if r[0] == name and r[1] == backend}
            low, high = by_n[smallest], by_n[largest]
            print(f"  {name} {backend}: driver {_growth(low.driver, high.driver)}, "
                  f"max worker {_growth(low.max_worker, high.max_worker)}")


def _growth(low: int, high: int) -> str:
    if not low:
        return "-"
    return f"{(high - low) / low:+.1%}"


if __name__ == "__main__":
    sys.exit(main())
