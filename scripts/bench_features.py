"""Time the feature factory: ms per pair, numba against reference, pairs/s with 1 and 2 workers.

Usage::

    python scripts/bench_features.py                      # n = 500, 1000, 4000; fast and full
    python scripts/bench_features.py --sizes 1000 --profile
    python scripts/bench_features.py --cold               # first call in a fresh process
    python scripts/bench_features.py --scaling --sizes 500 1000 4000 8000 --sets full

Pairs are generated Numerical-Numerical pairs of exactly ``n`` samples (the generator with
``min_size = max_size = n``, so values are rounded like the challenge's). Everything is warmed
up (Numba kernels compiled or loaded from their disk cache, worker processes started) before
it is timed; ``--cold`` measures the cold start separately, in a fresh process.

Tables:

- per pair, one process: ms per pair and pairs/s for each feature set, engine and n. The
  numba engine is timed on ``--pairs`` pairs; the reference engine (slow) on the first
  ``--reference-pairs`` of them (``--reference-pairs-full`` for the full set, and only up to
  ``--full-reference-max-n``). The speed-up compares the two engines on the same pairs.
- batch: ``extract_features`` on ``--batch-pairs`` pairs with ``n_jobs`` 1 and 2 (workers
  started beforehand), pairs/s and the scaling.
- ``--profile``: where the time of one pair goes, per family and per (family, model).
- ``--scaling``: ms per pair of every family at each of ``--sizes`` and the exponent ``k`` of
  the least-squares fit of cost ~ n^k (n log n gives about 1.1-1.2 between 500 and 8,000
  points; the families whose O(n^2) measures run on a subsample of at most
  ``HSIC_MAX_EXACT`` points above that size flatten out, by design).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a source checkout without installing
    sys.path.insert(0, str(ROOT))

SETS = ("fast", "full")
_T0 = time.perf_counter()
TYPES = ("Numerical", "Numerical")


# --------------------------------------------------------------------------------------------
# arguments
# --------------------------------------------------------------------------------------------

def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _size(text: str) -> int:
    value = int(text)
    if value < 10:
        raise argparse.ArgumentTypeError(f"pair sizes start at 10, got {value}")
    return value


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", type=_size, nargs="+", default=[500, 1000, 4000],
                        metavar="N", help="samples per pair")
    parser.add_argument("--sets", nargs="+", default=list(SETS), metavar="SET",
                        help="feature sets (built-in names or .toml paths)")
    parser.add_argument("--pairs", type=_positive, default=4,
                        help="pairs per size timed with the numba engine")
    parser.add_argument("--reference-pairs", type=_non_negative, default=2,
                        help="of those, pairs also timed with the reference engine (0: none)")
    parser.add_argument("--reference-pairs-full", type=_non_negative, default=1,
                        help="the same for the full set (about 30 s a pair at n = 1000)")
    parser.add_argument("--full-reference-max-n", type=_non_negative, default=1000,
                        help="largest n at which the full set's reference is timed (about "
                             "130 s a pair at n = 4000)")
    parser.add_argument("--batch-pairs", type=_non_negative, nargs=2, default=[64, 16],
                        metavar=("FAST", "FULL"),
                        help="pairs per batch for the n_jobs 1 / 2 rows, for fast and for "
                             "full (and any other set); 0 skips the batch rows")
    parser.add_argument("--jobs", type=_positive, nargs="+", default=[1, 2],
                        help="worker counts of the batch rows")
    parser.add_argument("--seed", type=_non_negative, default=0, help="generator seed")
    parser.add_argument("--profile", action="store_true",
                        help="also print where the time of one pair goes, per family and model")
    parser.add_argument("--profile-n", type=_size, default=1000, help="pair size for --profile")
    parser.add_argument("--profile-pairs", type=_positive, default=3,
                        help="pairs summed in --profile (after one warm-up pair)")
    parser.add_argument("--scaling", action="store_true",
                        help="only this table: per-family ms per pair at each of --sizes, with "
                             "the exponent of cost against n")
    parser.add_argument("--cold", action="store_true",
                        help="also time the cold start: import, feature set, first pair, in a "
                             "fresh process")
    parser.add_argument("--cold-no-cache", action="store_true",
                        help="with --cold, also time a fresh process with an empty Numba cache "
                             "(every kernel compiled: a minute or more)")
    parser.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    import numba

    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"machine: {cpu}; {os.cpu_count()} cores ({usable} usable); load average {load}\n"
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"numba {numba.__version__}, {platform.system()} {platform.release()}")


def make_pairs(n: int, count: int, seed: int):
    """``count`` Numerical-Numerical pairs of exactly ``n`` samples, rounded like the challenge."""
    from causepairs.synth import generate_pairs
    from causepairs.synth.config import GeneratorConfig

    config = GeneratorConfig(min_size=n, max_size=n, type_weights=(1.0, 0.0, 0.0))
    data = generate_pairs(count, seed, config=config, prefix=f"n{n}_")
    assert all(len(a) == n for a in data.a)
    return data


def time_pairs(feature_set, data, indices, engine: str) -> list[float]:
    """Seconds of ``compute_pair`` for each pair in ``indices``, in this process."""
    from causepairs.factory.compute import compute_pair

    seconds = []
    for i in indices:
        start = time.perf_counter()
        compute_pair(feature_set, data.a[i], data.b[i], *TYPES, engine=engine)
        seconds.append(time.perf_counter() - start)
    return seconds


def _fmt_ms(seconds: float) -> str:
    ms = seconds * 1000.0
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def _fmt_rate(per_second: float) -> str:
    return f"{per_second:.1f}" if per_second >= 1 else f"{per_second:.3f}"


def print_table(header: Sequence[str], rows: list[Sequence[str]], left: int = 2) -> None:
    """A plain-text table: the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) if i < left else str(c).rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# the benchmarks
# --------------------------------------------------------------------------------------------

def warm_reference(feature_set) -> None:
    """Import SciPy/scikit-learn and make their first calls (~10 s of one-time costs for the
    full set) on one tiny pair, so they are not charged to the first timed pair."""
    data = make_pairs(12, 1, 12345)
    time_pairs(feature_set, data, [0], "reference")


def bench_per_pair(args, feature_sets) -> None:
    from causepairs.factory.extract import warm_up

    rows = []
    for name, feature_set in feature_sets.items():
        full_like = name != "fast"
        n_reference = args.reference_pairs_full if full_like else args.reference_pairs
        n_reference = min(n_reference, args.pairs)
        warm_up(feature_set, "numba")
        reference_warm = False
        for n in args.sizes:
            data = make_pairs(n, args.pairs, args.seed)
            time_pairs(feature_set, data, [0], "numba")  # first pair of this size: warm caches
            numba_s = time_pairs(feature_set, data, range(args.pairs), "numba")
            mean = float(np.mean(numba_s))
            rows.append([name, "numba", n, args.pairs, _fmt_ms(mean), _fmt_rate(1 / mean), ""])
            do_reference = n_reference > 0 and not (full_like and n > args.full_reference_max_n)
            if do_reference:
                if not reference_warm:
                    warm_reference(feature_set)
                    reference_warm = True
                reference_s = time_pairs(feature_set, data, range(n_reference), "reference")
                ref_mean = float(np.mean(reference_s))
                same = float(np.mean(numba_s[:n_reference]))
                rows.append([name, "reference", n, n_reference, _fmt_ms(ref_mean),
                             _fmt_rate(1 / ref_mean), f"{ref_mean / same:.0f}x"])
            else:
                rows.append([name, "reference", n, 0, "skipped", "", ""])
            print(f"  ... {name} n={n} done ({time.perf_counter() - _T0:.0f} s)",
                  file=sys.stderr, flush=True)
    columns = ", ".join(f"{k} {len(v)}" for k, v in feature_sets.items())
    print(f"\nper pair, one process (columns: {columns})")
    print_table(["set", "engine", "n", "pairs", "ms/pair", "pairs/s", "numba speed-up"], rows)


def bench_batch(args, feature_sets) -> None:
    from causepairs.factory.extract import DEFAULT_CHUNK_SIZE, extract_features

    if not any(args.batch_pairs):
        return
    rows = []
    for name, feature_set in feature_sets.items():
        count = args.batch_pairs[0] if name == "fast" else args.batch_pairs[1]
        if count == 0:
            continue
        # Two tasks per worker of the largest count, the same chunks for every count.
        chunk_size = max(1, min(DEFAULT_CHUNK_SIZE, -(-count // (2 * max(args.jobs)))))
        for n in args.sizes:
            data = make_pairs(n, count, args.seed + 1)
            rates = {}
            for n_jobs in args.jobs:
                # Start the workers (and load the kernels in them) before timing.
                warm = make_pairs(n, 2 * n_jobs, args.seed + 2)
                extract_features(warm, feature_set=feature_set, n_jobs=n_jobs, chunk_size=1)
                chunk = chunk_size
                start = time.perf_counter()
                extract_features(data, feature_set=feature_set, n_jobs=n_jobs, chunk_size=chunk)
                rates[n_jobs] = count / (time.perf_counter() - start)
            first = rates[args.jobs[0]]
            rows.append([name, n, count] + [_fmt_rate(rates[j]) for j in args.jobs]
                        + [f"{rates[args.jobs[-1]] / first:.2f}x"])
            print(f"  ... batch {name} n={n} done ({time.perf_counter() - _T0:.0f} s)",
                  file=sys.stderr, flush=True)
    print("\nbatch, extract_features (pairs/s; workers started before timing; two chunks "
          "per worker)")
    print_table(["set", "n", "pairs"] + [f"n_jobs={j}" for j in args.jobs]
                + [f"{args.jobs[-1]} vs {args.jobs[0]}"], rows, left=1)


class _ViewTimer:
    """Counts the time spent building a pair's views (cached on first use), outermost only."""

    def __init__(self):
        self.seconds = 0.0
        self._depth = 0

    def wrap(self, method):
        def timed(*args, **kwargs):
            if self._depth:
                return method(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self._depth -= 1
        return timed


def profile_pair(feature_set, a, b, engine="numba"):
    """Seconds per (family, model), per family, in views and in the pair context, for one pair.

    The loop is the one of ``compute_pair``: every plan's cells in every direction; the time of
    building views (on first use, inside some family's call) is counted apart as ``(views)``.
    """
    from causepairs.factory.compute import PairContext
    from causepairs.factory.registry import Cell

    start = time.perf_counter()
    ctx = PairContext(a, b, *TYPES, n_folds=feature_set.n_folds,
                      fold_seed=feature_set.fold_seed, engine=engine)
    context_s = time.perf_counter() - start
    views = _ViewTimer()
    for variable in ctx.variables.values():
        for method in ("numeric", "sorted", "codes"):
            setattr(variable, method, views.wrap(getattr(variable, method)))
    by_model = defaultdict(float)
    calls = defaultdict(int)
    for plan in feature_set.plans:
        for settings, model in plan.cells:
            for direction in plan.directions:
                before = views.seconds
                start = time.perf_counter()
                try:
                    plan.family.compute(ctx, Cell(settings, model, direction))
                except Exception:  # noqa: BLE001 - the features leave NaN; time counts anyway
                    pass
                spent = time.perf_counter() - start - (views.seconds - before)
                key = (plan.family.name, model or "-")
                by_model[key] += spent
                calls[key] += 1
    return context_s, views.seconds, by_model, calls


def bench_profile(args, feature_sets) -> None:
    from causepairs.factory.extract import warm_up

    data = make_pairs(args.profile_n, args.profile_pairs + 1, args.seed + 3)
    for name, feature_set in feature_sets.items():
        warm_up(feature_set, "numba")
        profile_pair(feature_set, data.a[0], data.b[0])  # warm-up pair
        context = view = 0.0
        by_model = defaultdict(float)
        calls = defaultdict(int)
        for i in range(1, args.profile_pairs + 1):
            c, v, m, k = profile_pair(feature_set, data.a[i], data.b[i])
            context += c
            view += v
            for key in m:
                by_model[key] += m[key]
                calls[key] += k[key]
        pairs = args.profile_pairs
        total = context + view + sum(by_model.values())
        by_family = defaultdict(float)
        family_calls = defaultdict(int)
        for (family, _), seconds in by_model.items():
            by_family[family] += seconds
        for (family, _), count in calls.items():
            family_calls[family] += count
        print(f"\nprofile: set {name}, n = {args.profile_n}, mean of {pairs} pairs "
              f"(numba): {total / pairs * 1000:.1f} ms per pair")
        rows = [["(pair context: folds)", "", _fmt_ms(context / pairs),
                 f"{100 * context / total:.1f}", ""],
                ["(views: conversions, sorts)", "", _fmt_ms(view / pairs),
                 f"{100 * view / total:.1f}", ""]]
        for family, seconds in sorted(by_family.items(), key=lambda kv: -kv[1]):
            count = family_calls[family] // pairs
            rows.append([family, count, _fmt_ms(seconds / pairs),
                         f"{100 * seconds / total:.1f}",
                         f"{seconds / pairs / count * 1e6:.0f}"])
        print_table(["family", "calls", "ms/pair", "%", "us/call"], rows, left=1)
        rows = []
        for (family, model), seconds in sorted(by_model.items(), key=lambda kv: -kv[1]):
            if model == "-":
                continue
            count = calls[(family, model)] // pairs
            rows.append([family, model, count, _fmt_ms(seconds / pairs),
                         f"{100 * seconds / total:.1f}", f"{seconds / pairs / count * 1e6:.0f}"])
        if rows:
            print(f"\nprofile: set {name}, per model")
            print_table(["family", "model", "calls", "ms/pair", "%", "us/call"], rows)


def family_seconds(feature_set, data) -> tuple[dict[str, float], float]:
    """Mean seconds per pair of each family (views and context counted apart) over ``data``'s
    pairs after its first (a warm-up), and the mean total."""
    profile_pair(feature_set, data.a[0], data.b[0])
    by_family = defaultdict(float)
    total = 0.0
    pairs = len(data.a) - 1
    for i in range(1, len(data.a)):
        context, views, by_model, _ = profile_pair(feature_set, data.a[i], data.b[i])
        by_family["(pair context and views)"] += context + views
        for (family, _), seconds in by_model.items():
            by_family[family] += seconds
        total += context + views + sum(by_model.values())
    return {k: v / pairs for k, v in by_family.items()}, total / pairs


def cost_exponent(sizes: Sequence[int], seconds: Sequence[float]) -> float:
    """Slope of log(seconds) against log(n): the k of cost ~ n^k."""
    return float(np.polyfit(np.log(sizes), np.log(np.maximum(seconds, 1e-9)), 1)[0])


def bench_scaling(args, feature_sets) -> None:
    from causepairs.factory.extract import warm_up

    sizes = sorted(args.sizes)
    datasets = {n: make_pairs(n, args.profile_pairs + 1, args.seed + 5) for n in sizes}
    for name, feature_set in feature_sets.items():
        warm_up(feature_set, "numba")
        per_size = {n: family_seconds(feature_set, datasets[n]) for n in sizes}
        families = sorted(per_size[sizes[0]][0], key=lambda f: -per_size[sizes[-1]][0].get(f, 0))
        rows = []
        for family in [*families, "total"]:
            seconds = [per_size[n][1] if family == "total" else per_size[n][0].get(family, 0.0)
                       for n in sizes]
            rows.append([family, *(_fmt_ms(s) for s in seconds),
                         f"{cost_exponent(sizes, seconds):.2f}" if len(sizes) > 1 else "-"])
        print(f"\nscaling: set {name}, ms per pair by family (numba, one core, mean of "
              f"{args.profile_pairs} pairs per n); k: cost ~ n^k")
        print_table(["family", *(f"n={n}" for n in sizes), "k"], rows, left=1)


def cold_child(args) -> None:
    """In a fresh process: import, load the set, first pair (kernels from cache or compiled)."""
    result = {}
    start = time.perf_counter()
    from causepairs.factory.compute import compute_pair
    from causepairs.factory.spec import load_feature_set
    result["import_s"] = time.perf_counter() - start
    data = make_pairs(args.profile_n, 2, args.seed)
    for name in args.sets:
        start = time.perf_counter()
        feature_set = load_feature_set(name)
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        compute_pair(feature_set, data.a[0], data.b[0], *TYPES)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        compute_pair(feature_set, data.a[1], data.b[1], *TYPES)
        second_s = time.perf_counter() - start
        result[name] = {"load_s": load_s, "first_s": first_s, "second_s": second_s}
    print(json.dumps(result))


def bench_cold(args) -> None:
    """One fresh process per set, so each first pair pays for loading all of its kernels."""
    import tempfile

    rows = []
    caches = ["disk cache"] + (["no cache"] if args.cold_no_cache else [])
    for name in args.sets:
        for cache in caches:
            command = [sys.executable, str(Path(__file__).resolve()), "--cold-child", "--sets",
                       name, "--profile-n", str(args.profile_n), "--seed", str(args.seed)]
            with tempfile.TemporaryDirectory() as empty:
                env = dict(os.environ)
                if cache == "no cache":  # an empty cache: every kernel is compiled
                    env["NUMBA_CACHE_DIR"] = empty
                start = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, env=env)
                wall = time.perf_counter() - start
            if done.returncode != 0:
                print(f"\ncold start of {name} ({cache}) failed:\n{done.stderr}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            r = result[name]
            rows.append([name, cache, f"{wall:.1f}", f"{result['import_s']:.2f}",
                         f"{r['load_s']:.2f}", f"{r['first_s']:.2f}",
                         f"{r['second_s'] * 1000:.0f}"])
    print(f"\ncold start, one fresh process per set (n = {args.profile_n}; the first pair loads "
          "every kernel from Numba's disk cache, or compiles it if the cache is missing or "
          "stale)")
    print_table(["set", "kernels", "process s", "import s", "load set s", "first pair s",
                 "second pair ms"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables; returns the exit status."""
    args = _parse_arguments(argv)
    if args.cold_child:
        cold_child(args)
        return 0
    from causepairs.factory.spec import load_feature_set

    feature_sets = {name: load_feature_set(name) for name in args.sets}
    feature_sets = {Path(k).stem if k.endswith(".toml") else k: v
                    for k, v in feature_sets.items()}
    print(machine_info())
    print(f"pairs: Numerical-Numerical, exactly n samples (generator seed {args.seed})")
    started = time.perf_counter()
    if args.cold:
        bench_cold(args)  # first: a fresh process before this one has loaded anything
    if args.scaling:            # its own table only: it times every size already
        bench_scaling(args, feature_sets)
    else:
        bench_per_pair(args, feature_sets)
        bench_batch(args, feature_sets)
    if args.profile:
        bench_profile(args, feature_sets)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
