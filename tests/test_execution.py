"""Tests of causepairs.execution: order, bounded intake, warm-up, worker threads, errors.

Every parallel test uses n_jobs=2, so the whole module shares one loky pool (started once,
~1-2 s) instead of resizing it test by test.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from causepairs.execution import (BACKENDS, SerialBackend, in_worker, map_ordered,
                                  resolve_n_jobs)

# --------------------------------------------------------------------------------------------
# Tasks: module-level so that worker processes can unpickle them.
# --------------------------------------------------------------------------------------------


def _square_shuffled(x: int) -> int:
    # Later tasks often finish first, so order must come from the driver, not from timing.
    time.sleep(0.01 * ((x * 7) % 5))
    return x * x


def _slow_first(x: int) -> int:
    time.sleep(0.4 if x == 0 else 0.0)
    return x


def _chunk_stats(chunk: list[int]) -> np.ndarray:
    rng = np.random.default_rng(chunk)
    values = rng.standard_normal(500)
    return np.array([values.mean(), values.std(), np.sin(values).sum(), len(chunk)])


def _thread_settings(_task) -> dict:
    import numba
    import threadpoolctl

    pools = threadpoolctl.threadpool_info()
    return {"pid": os.getpid(),
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "numba_threads": numba.get_num_threads(),
            "native_pool_threads": sorted({pool["num_threads"] for pool in pools}),
            "in_worker": in_worker()}


def _pid(_task) -> int:
    return os.getpid()


def _nested_pids(_task) -> tuple[int, list[int]]:
    return os.getpid(), list(map_ordered(_pid, range(4), n_jobs=2))


def _die(x: int) -> int:
    if x == 2:
        os._exit(3)  # as a segfault or the kernel's OOM killer would
    return x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad task {x}")
    return x * x


class _Recorder:
    """A task source that records how many tasks have been taken from it."""

    def __init__(self, n: int):
        self.n = n
        self.taken = 0

    def __iter__(self):
        for task in range(self.n):
            self.taken += 1
            yield task


# --------------------------------------------------------------------------------------------
# resolve_n_jobs
# --------------------------------------------------------------------------------------------

def test_resolve_n_jobs_follows_joblib_convention(monkeypatch):
    monkeypatch.delenv("CAUSEPAIRS_N_JOBS", raising=False)
    cores = os.cpu_count() or 1
    assert resolve_n_jobs(None) == 1
    assert resolve_n_jobs(1) == 1
    assert resolve_n_jobs(3) == 3
    assert resolve_n_jobs(np.int64(2)) == 2
    assert resolve_n_jobs(-1) == cores
    assert resolve_n_jobs(-2) == max(1, cores - 1)
    assert resolve_n_jobs(-10_000) == 1


def test_none_takes_the_environment_default(monkeypatch):
    cores = os.cpu_count() or 1
    monkeypatch.setenv("CAUSEPAIRS_N_JOBS", "-1")
    assert resolve_n_jobs(None) == cores
    assert resolve_n_jobs(3) == 3  # an explicit value wins
    monkeypatch.setenv("CAUSEPAIRS_N_JOBS", "2")
    assert resolve_n_jobs(None) == 2
    for bad in ("0", "many"):
        monkeypatch.setenv("CAUSEPAIRS_N_JOBS", bad)
        with pytest.raises(ValueError, match=r"\$CAUSEPAIRS_N_JOBS must be None"):
            resolve_n_jobs(None)


@pytest.mark.parametrize("bad", [0, 1.5, True, "2"])
def test_resolve_n_jobs_rejects_bad_values(bad):
    with pytest.raises(ValueError, match=r"n_jobs must be None .*-1 all cores"):
        resolve_n_jobs(bad)


def test_one_n_jobs_rule_everywhere():
    # The execution layer, the model and the CLI read n_jobs with the one helper of
    # causepairs.defaults, and every API that takes it defaults to None (that rule's default).
    import inspect

    from causepairs import defaults, execution, model
    from causepairs.factory.extract import extract_features, iter_feature_blocks
    from causepairs.synth import generate_pairs, write_synthetic_dataset
    from causepairs.tables import direction_table
    from causepairs.transformers import PairFeatures

    assert execution.resolve_n_jobs is defaults.resolve_n_jobs
    assert model.resolve_n_jobs is defaults.resolve_n_jobs
    for function in (execution.map_ordered, extract_features, iter_feature_blocks,
                     generate_pairs, write_synthetic_dataset, direction_table,
                     model.CausalDirectionModel, model.train_model, PairFeatures):
        default = inspect.signature(function).parameters["n_jobs"].default
        assert default is None, (function, default)


# --------------------------------------------------------------------------------------------
# Order, equivalence, bounded intake
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_jobs", [1, 2])
def test_results_come_in_task_order_from_a_lazy_generator(n_jobs):
    tasks = (x for x in range(20))
    assert list(map_ordered(_square_shuffled, tasks, n_jobs=n_jobs)) == [x * x for x in range(20)]


def test_results_are_bitwise_identical_for_any_n_jobs_and_backend():
    chunks = [list(range(start, start + 5)) for start in range(0, 40, 5)]
    serial = np.stack(list(map_ordered(_chunk_stats, chunks, backend="serial", n_jobs=2)))
    for n_jobs in (1, 2, -1):
        parallel = np.stack(list(map_ordered(_chunk_stats, iter(chunks), n_jobs=n_jobs)))
        assert parallel.tobytes() == serial.tobytes()


@pytest.mark.parametrize("n_jobs, window", [(1, 1), (2, 4)])
def test_intake_is_bounded_while_the_first_task_is_slow(n_jobs, window):
    source = _Recorder(40)
    taken_at_result = []
    for received, _ in enumerate(map_ordered(_slow_first, source, n_jobs=n_jobs), start=1):
        taken_at_result.append(source.taken)
        # Never more than `window` tasks taken and not yet handed back.
        assert source.taken - received <= window - 1
    # The first task sleeps while the others are instant: an unbounded driver would have
    # taken everything by the time its result arrives.
    assert taken_at_result[0] == window
    assert taken_at_result[-1] == 40


def test_max_in_flight_overrides_the_window():
    source = _Recorder(12)
    results = map_ordered(_slow_first, source, n_jobs=2, max_in_flight=3)
    assert next(results) == 0
    assert source.taken == 3
    assert list(results) == list(range(1, 12))


def test_nothing_runs_before_the_first_result_is_requested():
    source = _Recorder(5)
    calls = []
    results = map_ordered(_pid, source, n_jobs=2, warmup=lambda: calls.append(1))
    assert source.taken == 0 and calls == []
    assert len(list(results)) == 5


def test_closing_early_stops_the_intake():
    source = _Recorder(100)
    results = map_ordered(_square_shuffled, source, n_jobs=2)
    assert next(results) == 0
    results.close()
    assert source.taken <= 4


# --------------------------------------------------------------------------------------------
# Warm-up, worker environment, nesting
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_jobs", [1, 2])
def test_warmup_runs_once_in_the_parent_before_any_task(n_jobs):
    source = _Recorder(6)
    calls = []

    def warmup():
        calls.append((os.getpid(), source.taken))

    assert list(map_ordered(_pid, source, n_jobs=n_jobs, warmup=warmup))
    # Called once, here, after the first task was peeked at (to skip it for no tasks) and
    # before any was submitted.
    assert calls == [(os.getpid(), 1)]


def test_warmup_is_skipped_when_there_are_no_tasks():
    calls = []
    assert list(map_ordered(_pid, iter([]), n_jobs=2, warmup=lambda: calls.append(1))) == []
    assert calls == []


def test_workers_run_numba_and_native_pools_with_one_thread():
    settings = list(map_ordered(_thread_settings, range(4), n_jobs=2))
    assert all(s["pid"] != os.getpid() for s in settings)
    for s in settings:
        assert s["NUMBA_NUM_THREADS"] == "1"
        assert s["OMP_NUM_THREADS"] == "1"
        assert s["numba_threads"] == 1
        assert s["native_pool_threads"] in ([], [1])
        assert s["in_worker"] is True
    assert not in_worker()


def test_in_process_runs_do_not_touch_the_environment():
    (settings,) = map_ordered(_thread_settings, [0], n_jobs=1)
    assert settings["pid"] == os.getpid()
    assert settings["in_worker"] is False


def test_a_single_task_asked_for_workers_runs_in_one():
    # So that a task that kills its process cannot take the caller with it.
    (settings,) = map_ordered(_thread_settings, [0], n_jobs=2)
    assert settings["pid"] != os.getpid()
    assert settings["in_worker"] is True


def test_one_job_runs_in_a_worker_when_asked_for_by_the_command_line():
    from causepairs.execution import single_worker_out_of_process

    with single_worker_out_of_process():
        with single_worker_out_of_process():
            pass
        pids = list(map_ordered(_pid, range(4), n_jobs=1))
        assert list(map_ordered(_pid, range(2), n_jobs=1, backend="serial")) == [os.getpid()] * 2
    assert os.getpid() not in pids
    assert list(map_ordered(_pid, range(2), n_jobs=1)) == [os.getpid()] * 2


def test_nested_calls_inside_a_worker_run_in_that_worker():
    for worker, inner in map_ordered(_nested_pids, range(2), n_jobs=2):
        assert worker != os.getpid()
        assert inner == [worker] * 4


# --------------------------------------------------------------------------------------------
# Progress, errors, arguments, back ends
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_reports_each_task_size_in_order(n_jobs):
    chunks = [list(range(k)) for k in (3, 1, 4, 1, 5)]
    reported = []
    results = list(map_ordered(_chunk_stats, (c for c in chunks), n_jobs=n_jobs,
                               progress=reported.append, size=len))
    assert reported == [3, 1, 4, 1, 5]
    assert [int(r[-1]) for r in results] == reported


def test_progress_counts_one_per_task_by_default():
    reported = []
    list(map_ordered(_pid, range(7), n_jobs=2, progress=reported.append))
    assert reported == [1] * 7


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_exception_in_a_task_propagates_after_the_earlier_results(n_jobs):
    received = []
    with pytest.raises(ValueError, match="bad task 3"):
        for result in map_ordered(_fail_on_three, range(10), n_jobs=n_jobs):
            received.append(result)
    assert received == [0, 1, 4]
    # The pool survives a failed task.
    assert list(map_ordered(_fail_on_three, [0, 1, 2], n_jobs=n_jobs)) == [0, 1, 4]


def test_a_dead_worker_fails_the_call_and_the_next_call_gets_a_new_pool():
    from concurrent.futures import BrokenExecutor

    with pytest.raises(BrokenExecutor, match="terminated"):
        list(map_ordered(_die, range(6), n_jobs=2))
    assert list(map_ordered(_die, [0, 1, 3], n_jobs=2)) == [0, 1, 3]


def test_joblib_parallel_and_map_ordered_can_alternate():
    # Regression: sharing loky's global executor with joblib.Parallel broke Parallel.
    from joblib import Parallel, delayed

    list(map_ordered(_pid, range(4), n_jobs=2))
    assert Parallel(n_jobs=2)(delayed(abs)(-x) for x in range(4)) == [0, 1, 2, 3]
    assert list(map_ordered(_pid, range(4), n_jobs=2)) != [os.getpid()] * 4


@pytest.mark.parametrize("kwargs, match", [
    ({"n_jobs": 0}, "n_jobs"),
    ({"backend": "ray"}, r"backend must be one of 'serial', 'joblib', 'dask', got 'ray'"),
    ({"backend": None}, "backend must be one of"),
    ({"progress": 3}, "progress must be a callable"),
    ({"size": "len"}, "size must be a callable"),
    ({"warmup": True}, "warmup must be a callable"),
    ({"max_in_flight": 0}, "max_in_flight must be an integer >= 1"),
    ({"n_tasks": -1}, "n_tasks must be an integer >= 1"),
])
def test_bad_arguments_are_refused_at_the_call(kwargs, match):
    with pytest.raises(ValueError, match=match):
        map_ordered(_pid, range(3), **kwargs)


def test_func_must_be_callable():
    with pytest.raises(ValueError, match="func must be a callable"):
        map_ordered(None, range(3))


def test_a_backend_object_plugs_into_the_same_driver():
    class Recording(SerialBackend):
        name = "recording"

        def __init__(self):
            self.events = []

        def start(self, workers):
            self.events.append(("start", workers))
            return 3

        def submit(self, func, task):
            self.events.append(("submit", task))
            return super().submit(func, task)

        def close(self):
            self.events.append(("close",))

    backend = Recording()
    assert list(map_ordered(_square_shuffled, range(4), n_jobs=2, backend=backend,
                            max_in_flight=2)) == [0, 1, 4, 9]
    assert backend.events[0] == ("start", 2)
    assert [e for e in backend.events if e[0] == "submit"] == [("submit", t) for t in range(4)]
    assert backend.events[-1] == ("close",)
    assert set(BACKENDS) == {"serial", "joblib", "dask"}


def test_importing_the_execution_layer_does_not_import_dask():
    # "dask" is registered by name; neither Dask nor causepairs.distributed (which imports the
    # execution layer: the dependency runs one way) is imported until it is used.
    import subprocess
    import sys

    code = ("import sys, causepairs.execution as e; assert 'dask' in e.BACKENDS; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')"
            " or m == 'causepairs.distributed'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_execution_and_distributed_do_not_import_each_other():
    import ast
    from pathlib import Path

    import causepairs

    def imported(module):
        tree = ast.parse(Path(causepairs.__file__).with_name(f"{module}.py").read_text())
        return {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module} | {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module is None for alias in node.names}

    assert "execution" in imported("distributed")
    assert not {"distributed", "causepairs.distributed"} & imported("execution")