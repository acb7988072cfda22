#!/usr/bin/env python
"""Fuzz every kernel and both feature sets with the adversarial corpus, bounds checking on.

The corpus is ``causepairs.synth.adversarial`` (all nine type combinations, tied and
degenerate levels, extreme magnitudes, duplicated points, sizes on every loop boundary).
Chunks of pairs run in worker subprocesses with ``NUMBA_BOUNDSCHECK=1`` and a cache directory
of their own, so that an out-of-bounds index is an IndexError (counted and named) and a crash
(a signal) costs only its chunk: the worker announces every pair before computing it, the
parent names the pair that killed it, and the chunk resumes after that pair.

    python scripts/fuzz_kernels.py                         # 2,000 pairs: kernels, fast, full
    python scripts/fuzz_kernels.py --pairs 300 --stages kernels,fast --jobs 2
    python scripts/fuzz_kernels.py --hypothesis 300        # also a shrinking search

Stages: ``kernels`` calls every public kernel (``kernel_calls``) on A and B, on every fold
layout, and again with a NaN and an inf injected; ``fast`` and ``full`` compute the pair with
that feature set (``--engines numba,reference`` for both engines). The table counts pairs,
crashes, bounds-check errors, failed cells by cause, and all-NaN columns. Exit status 1 if any
crash, bounds-check error or failed cell was seen.
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "causepairs-numba-boundscheck"


# ---------------------------------------------------------------------------------------------
# worker: one chunk of pairs, one JSON line per event on stdout
# ---------------------------------------------------------------------------------------------

def _emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _cause(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:160]


def _run_kernels(pair, calls) -> tuple[list[str], list[str]]:
    """Every kernel on the pair and on its non-finite copy: (bounds errors, other failures)."""
    from causepairs.synth.adversarial import _fold_layouts, with_non_finite

    bounds, failures = [], []
    folds = _fold_layouts(len(pair.a))
    for label, (a, b) in (("", (pair.a, pair.b)), (" +nan", with_non_finite(pair))):
        for name, call in calls.items():
            try:
                call(a, b, folds)
            except IndexError as exc:
                bounds.append(f"{name}{label}: {_cause(exc)}")
            except (ValueError, TypeError) as exc:
                # a documented refusal of the input (e.g. too few points for a parameter)
                # is not a failure; anything else is
                if "out of bounds" in str(exc):
                    bounds.append(f"{name}{label}: {_cause(exc)}")
            except Exception as exc:  # noqa: BLE001 - every other exception is a finding
                failures.append(f"{name}{label}: {_cause(exc)}")
    return bounds, failures


def worker(args) -> None:
    import numpy as np

    from causepairs.factory import load_feature_set
    from causepairs.factory.compute import compute_pair
    from causepairs.synth.adversarial import adversarial_pair, kernel_calls

    stage, engine = args.stage.split(":") if ":" in args.stage else (args.stage, "numba")
    feature_set = None if stage == "kernels" else load_feature_set(stage)
    calls = kernel_calls() if stage == "kernels" else None
    for index in range(args.start, args.start + args.count):
        pair = adversarial_pair(index, args.seed, args.max_n)
        _emit({"event": "begin", "index": index, "name": pair.name})
        # A pair that runs this long is a hang: dump where it is and end the worker (the
        # parent names the pair, like a crash). The first pair of a worker also compiles.
        faulthandler.dump_traceback_later(args.pair_timeout * (10 if index == args.start else 1),
                                          exit=True)
        record = {"event": "done", "index": index, "name": pair.name, "bounds": [],
                  "failed": [], "degenerate": False, "nan_columns": None}
        if stage == "kernels":
            record["bounds"], record["failed"] = _run_kernels(pair, calls)
        else:
            try:
                result = compute_pair(feature_set, pair.a, pair.b, pair.a_type, pair.b_type,
                                      engine=engine)
            except Exception as exc:  # noqa: BLE001 - compute_pair must not raise on a pair
                record["failed"].append(f"compute_pair: {_cause(exc)}")
            else:
                for message in result.errors:
                    key = "bounds" if "out of bounds" in message else "failed"
                    record[key].append(message)
                record["degenerate"] = bool(result.degenerate)
                if not result.degenerate:
                    record["nan_columns"] = np.flatnonzero(np.isnan(result.values)).tolist()
        faulthandler.cancel_dump_traceback_later()
        _emit(record)


# ---------------------------------------------------------------------------------------------
# parent: chunks in subprocesses, crashes named, table
# ---------------------------------------------------------------------------------------------

def _worker_env(cache_dir: Path) -> dict:
    env = dict(os.environ)
    env["NUMBA_BOUNDSCHECK"] = "1"
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env["PYTHONFAULTHANDLER"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def run_chunk(stage: str, start: int, count: int, args, cache_dir: Path):
    """Run pairs ``start..start+count-1`` of ``stage``; restart after any pair that kills its
    worker. Returns (records, crashes) with crashes as (index, name, exit status, tail)."""
    records, crashes = [], []
    end = start + count
    while start < end:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--stage", stage,
                   "--start", str(start), "--count", str(end - start), "--seed",
                   str(args.seed), "--max-n", str(args.max_n), "--pair-timeout",
                   str(args.pair_timeout)]
        proc = subprocess.run(command, capture_output=True, text=True, env=_worker_env(cache_dir))
        last_begun = None
        finished = set()
        for line in proc.stdout.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record["event"] == "begin":
                last_begun = record
            else:
                finished.add(record["index"])
                records.append(record)
        if proc.returncode == 0:
            break
        if last_begun is None or last_begun["index"] in finished:
            crashes.append((start, f"(worker start, pairs {start}..{end - 1})", proc.returncode,
                            proc.stderr[-2000:]))
            break
        crashes.append((last_begun["index"], last_begun["name"], proc.returncode,
                        proc.stderr[-2000:]))
        start = last_begun["index"] + 1
    return records, crashes


def _n_columns(stage: str) -> int | None:
    if stage.split(":")[0] == "kernels":
        return None
    from causepairs.factory import load_feature_set

    return len(load_feature_set(stage.split(":")[0]))


def summarise(stage: str, records, crashes, seconds: float) -> dict:
    causes = collections.Counter()
    for record in records:
        for message in record["failed"]:
            # "family {settings} model dir: Type: message" -> family and exception type
            head = message.split(":")[0].split(" ")[0]
            exc = message.split(": ")[1] if ": " in message else message
            causes[f"{head} {exc}"] += 1
    computed = [r for r in records if r["nan_columns"] is not None]
    n_columns = _n_columns(stage)
    all_nan = None
    if computed and n_columns is not None:
        nan_sets = [set(r["nan_columns"]) for r in computed]
        all_nan = len(set.intersection(*nan_sets))
    return {
        "stage": stage, "pairs": len(records) + len(crashes),
        "crashes": len(crashes),
        "bounds_errors": sum(len(r["bounds"]) for r in records),
        "pairs_with_bounds_errors": sum(bool(r["bounds"]) for r in records),
        "failed_cells": sum(len(r["failed"]) for r in records),
        "degenerate_pairs": sum(r["degenerate"] for r in records),
        "computed_pairs": len(computed),
        "columns": n_columns,
        "all_nan_columns": all_nan,
        "mean_nan_columns": (sum(len(r["nan_columns"]) for r in computed) / len(computed)
                             if computed else None),
        "failed_by_cause": dict(causes.most_common(12)),
        "seconds": round(seconds, 1),
    }


def run_stage(stage: str, args, cache_dir: Path) -> tuple[dict, list, list]:
    from concurrent.futures import ThreadPoolExecutor

    t0 = time.perf_counter()
    # The first chunk runs alone: it compiles (bounds-checked code is not in the normal cache)
    # and fills the cache the other workers load.
    first = min(args.chunk, args.pairs)
    records, crashes = run_chunk(stage, 0, first, args, cache_dir)
    starts = list(range(first, args.pairs, args.chunk))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = pool.map(lambda s: run_chunk(stage, s, min(args.chunk, args.pairs - s), args,
                                               cache_dir), starts)
        for chunk_records, chunk_crashes in results:
            records += chunk_records
            crashes += chunk_crashes
    return summarise(stage, records, crashes, time.perf_counter() - t0), records, crashes


def print_table(rows: list[dict]) -> None:
    header = ("stage", "pairs", "crashes", "bounds_errors", "failed_cells", "degenerate_pairs",
              "computed_pairs", "columns", "all_nan_columns", "mean_nan_columns", "seconds")
    print(" | ".join(header))
    for row in rows:
        cells = []
        for key in header:
            value = row[key]
            cells.append(f"{value:.1f}" if isinstance(value, float) else str(value))
        print(" | ".join(cells))
    for row in rows:
        if row["failed_by_cause"]:
            print(f"\n{row['stage']}: failed cells by cause")
            for cause, count in row["failed_by_cause"].items():
                print(f"  {count:6d}  {cause}")


# ---------------------------------------------------------------------------------------------
# hypothesis: a shrinking search beyond the fixed corpus (in-process, bounds checking on)
# ---------------------------------------------------------------------------------------------

def hypothesis_search(args) -> int:
    """Search pairs for a bounds-check error, a failed cell or an exception in a kernel; print
    the shrunk counterexample. Runs in this process (bounds checking set before importing
    Numba), so it finds IndexErrors, not crashes: a crash would show as this process dying."""
    import numpy as np
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from causepairs.factory import load_feature_set
    from causepairs.factory.compute import compute_pair
    from causepairs.synth.adversarial import AdversarialPair, _fold_layouts, kernel_calls

    import warnings

    # Kernels fed 1e200 overflow to inf/NaN by design (NumPy error model); not findings.
    warnings.simplefilter("ignore", RuntimeWarning)
    feature_set = load_feature_set("fast")
    calls = kernel_calls()
    palette = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, 3.0, 1e200, 1e-300, -2.5, 7.0, 1e-3])
    values = st.one_of(palette, st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))

    @st.composite
    def pairs(draw):
        n = draw(st.integers(2, 60))
        a = np.array(draw(st.lists(values, min_size=n, max_size=n)))
        b = np.array(draw(st.lists(values, min_size=n, max_size=n)))
        types = st.sampled_from(["Numerical", "Categorical", "Binary"])
        return AdversarialPair(-1, "hypothesis", a, b, draw(types), draw(types))

    findings = []

    @settings(max_examples=args.hypothesis, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(pairs())
    def check(pair):
        result = compute_pair(feature_set, pair.a, pair.b, pair.a_type, pair.b_type)
        assert not result.errors, result.errors[:3]
        folds = _fold_layouts(len(pair.a))
        for name, call in calls.items():
            try:
                call(pair.a, pair.b, folds)
            except (ValueError, TypeError) as exc:
                assert "out of bounds" not in str(exc), f"{name}: {exc}"

    try:
        check()
    except Exception as exc:  # noqa: BLE001 - report the shrunk example
        findings.append(exc)
        traceback.print_exc()
    print(f"hypothesis: {args.hypothesis} examples (n 2..60, fast set and every kernel): "
          f"{'FAILED, shrunk example above' if findings else 'no failure'}")
    return 1 if findings else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-n", type=int, default=3000)
    parser.add_argument("--stages", default="kernels,fast,full",
                        help="comma-separated: kernels, fast, full")
    parser.add_argument("--engines", default="numba",
                        help="comma-separated engines for the feature-set stages")
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--pair-timeout", type=float, default=120.0,
                        help="seconds after which a pair counts as a hang (x10 for a worker's "
                             "first pair, which compiles)")
    parser.add_argument("--hypothesis", type=int, default=0,
                        help="examples of a hypothesis search after the corpus (0: none)")
    parser.add_argument("--json", type=Path, help="also write the table and crashes here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if args.hypothesis:
        os.environ.update({"NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(args.cache_dir)})

    rows, all_crashes, examples = [], [], {}
    for stage in args.stages.split(","):
        engines = ["numba"] if stage == "kernels" else args.engines.split(",")
        for engine in engines:
            name = stage if engine == "numba" else f"{stage}:{engine}"
            row, records, crashes = run_stage(name, args, args.cache_dir)
            rows.append(row)
            all_crashes += [(name, *c) for c in crashes]
            examples[name] = [m for r in records for m in (r["bounds"] + r["failed"])
                              for m in [f"pair {r['name']}: {m}"]][:10]
            print(f"[{name}] {row['pairs']} pairs in {row['seconds']} s", file=sys.stderr)
    print(f"adversarial corpus: seed {args.seed}, max n {args.max_n}, NUMBA_BOUNDSCHECK=1, "
          f"cache {args.cache_dir}")
    print_table(rows)
    for stage, index, name, status, tail in all_crashes:
        print(f"\nCRASH {stage} pair {name} (exit {status}):\n{tail[-800:]}")
    for stage, messages in examples.items():
        if messages:
            print(f"\n{stage}: first findings")
            for m in messages:
                print(f"  {m[:300]}")
    status = int(any(r["crashes"] or r["bounds_errors"] or r["failed_cells"] for r in rows))
    if args.hypothesis:
        status |= hypothesis_search(args)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "crashes": all_crashes}, indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
