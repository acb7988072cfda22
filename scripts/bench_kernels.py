#!/usr/bin/env python
"""Time every Numba kernel against its slow reference, side by side, and print a table.

Cases come from ``scripts/kernel_cases/<family>.py``. For each size n, each case builds its
arguments once from a seeded generator, runs both implementations once to warm up (JIT
compilation is excluded here; ``--cold`` reports it separately), then takes the median of
repeated timings. Family rows add up the medians of their kernels, so a family's speed-up is
the time the factory would save on that family as a whole.

    python scripts/bench_kernels.py                    # n in 500, 1000, 5000
    python scripts/bench_kernels.py --sizes 1000 --family "oof regression"
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from kernel_cases import BenchCase  # noqa: E402


def load_cases(families: list[str] | None) -> list[BenchCase]:
    cases: list[BenchCase] = []
    package = importlib.import_module("kernel_cases")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kernel_cases.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    if families:
        wanted = {f.lower() for f in families}
        cases = [c for c in cases if c.family.lower() in wanted]
    return cases


def median_time(func, args, budget_s: float, min_repeats: int, max_repeats: int) -> float:
    """Median wall time of ``func(*args)`` over repeats that fit in ``budget_s``."""
    times = []
    start = time.perf_counter()
    while len(times) < max_repeats:
        t0 = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - t0)
        if len(times) >= min_repeats and time.perf_counter() - start > budget_s:
            break
    return statistics.median(times)


def run(cases, sizes, budget_s, seed):
    rows = []
    for n in sizes:
        for case in cases:
            args = case.make_args(n, np.random.default_rng(seed))
            case.fast(*args)  # compile / warm caches outside the timing
            case.reference(*args)
            fast = median_time(case.fast, args, budget_s, 5, 2000)
            ref = median_time(case.reference, args, budget_s, 1, 50)
            rows.append({"family": case.family, "kernel": case.name, "n": n,
                         "fast_ms": fast * 1e3, "reference_ms": ref * 1e3,
                         "speedup": ref / fast if fast > 0 else float("inf")})
    return rows


def family_totals(rows):
    totals = {}
    for row in rows:
        key = (row["family"], row["n"])
        total = totals.setdefault(key, {"family": row["family"], "kernel": "(all)", "n": row["n"],
                                        "fast_ms": 0.0, "reference_ms": 0.0})
        total["fast_ms"] += row["fast_ms"]
        total["reference_ms"] += row["reference_ms"]
    for total in totals.values():
        total["speedup"] = total["reference_ms"] / total["fast_ms"]
    return list(totals.values())


def print_table(rows, title):
    print(f"\n{title}")
    header = f"{'family':<22} {'kernel':<28} {'n':>6} {'numba ms':>10} {'reference ms':>13} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['family']:<22} {r['kernel']:<28} {r['n']:>6} {r['fast_ms']:>10.4f} "
              f"{r['reference_ms']:>13.3f} {r['speedup']:>8.1f}x")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 5000])
    parser.add_argument("--family", action="append", help="only this family (repeatable)")
    parser.add_argument("--budget", type=float, default=0.3,
                        help="seconds of repeats per implementation and case (default 0.3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)

    # One thread for NumPy/SciPy/scikit-learn too: the kernels run single-threaded (the
    # factory parallelises over pairs), and a multi-threaded BLAS on tiny problems makes the
    # references slower and the ratios flattering.
    threadpool_limits(1)
    cases = load_cases(args.family)
    if not cases:
        parser.error("no benchmark cases found (check --family)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}; one thread everywhere")
    rows = run(cases, args.sizes, args.budget, args.seed)
    print_table(rows, "per kernel (median wall time per call)")
    totals = family_totals(rows)
    print_table(totals, "per family (sum over its kernels)")
    if args.json:
        args.json.write_text(json.dumps({"kernels": rows, "families": totals}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
