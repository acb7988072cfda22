"""Run one function over a stream of tasks, in order, in-process or in worker processes.

This is the batch layer under the feature factory: a task is typically a chunk of pairs and
``func`` turns it into a block of feature rows. :func:`map_ordered` is the one entry point:

- tasks are pulled lazily from any iterable (a generator reading a pairs file works) and at
  most ``max_in_flight`` of them (default ``2 * workers``) are submitted and not yet handed back
  to the caller, so memory does not grow with the number of tasks, whatever the speed of the
  consumer;
- results come back in task order, so output is identical for any ``n_jobs``;
- worker processes (joblib's loky pool) start with every native thread pool limited to one
  thread (Numba, OpenMP, BLAS), so N workers use N cores and do not oversubscribe them;
- ``warmup`` runs once in the calling process before any worker starts (compile and cache Numba
  kernels there, so workers only load the cache: concurrent first writes of Numba's cache are a
  known source of crashes);
- a task lost because its worker process died (segfault, abort, out-of-memory kill), or lost
  with it (loky's whole pool breaks), is redone, when the caller says how (``recover``), in
  fresh single-use processes, part by part: the part that kills its process again is reported
  as :class:`Crashed` and every other part gives its ordinary result (see :func:`run_isolated`);
- worker processes exit when the process that started them dies (even by SIGKILL), so they
  never outlive it holding its stdout and stderr open.

Back ends are small :class:`Backend` objects that submit one task and hand back a handle with
``result()`` and ``cancel()``; the windowing, ordering and progress logic is shared by all of
them: ``"serial"``, ``"joblib"`` and ``"dask"`` (:mod:`causepairs.distributed`, which imports
Dask only when used).
"""

from __future__ import annotations

import abc
import atexit
import functools
import numbers
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from .defaults import resolve_n_jobs
from .errors import CausepairsError

__all__ = ["BACKENDS", "Backend", "backend_class", "Crashed", "JoblibBackend", "Recovery", "SerialBackend",
           "TaskHandle", "WORKER_ENV", "WORKER_MARKER", "in_worker", "map_ordered",
           "resolve_n_jobs", "run_isolated", "single_worker_out_of_process"]

#: Set (to ``"1"``) in the environment of every worker process this module starts; a nested
#: :func:`map_ordered` inside a worker sees it and runs in-process instead of starting a pool
#: of its own.
WORKER_MARKER = "CAUSEPAIRS_WORKER"

#: Environment of the worker processes: one thread for every native pool a task may touch.
#: Set before the interpreter starts, so each library reads it at import (Numba reads
#: ``NUMBA_NUM_THREADS`` once, when first imported). Same variables as joblib's
#: ``inner_max_num_threads``.
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    WORKER_MARKER: "1",
}

#: Seconds an idle worker process waits for new work before it exits (joblib's default).
IDLE_WORKER_TIMEOUT = 300

#: How often (seconds) a worker process checks that the process that started it is alive.
PARENT_CHECK_INTERVAL = 0.5


def in_worker() -> bool:
    """True inside a worker process started by this module."""
    return os.environ.get(WORKER_MARKER) == "1"


def _exit_with_parent(parent_pid: int) -> None:
    """In a worker process: exit as soon as ``parent_pid`` (the caller) is gone.

    Workers inherit the caller's stdout and stderr; one that outlived a killed caller (SIGKILL
    runs no clean-up) kept computing and held those pipes open, so whoever read the caller's
    output waited for it. A daemon thread polls the parent pid, which changes when the parent
    dies and the worker is re-parented; it is portable, costs nothing measurable, and cannot
    kill a worker by mistake (Linux's PR_SET_PDEATHSIG fires when the *thread* that started
    the worker ends, which for a pool reused across threads is not the caller's death). The
    Numba kernels release the GIL (``nogil``), so a worker stuck in one, even in an endless
    loop, still exits; only a native call that holds the GIL delays it until it returns.

    Workers are direct children of the caller (loky and :func:`run_isolated` start them so);
    should a platform start them through a launcher process, the worker watches its actual
    parent instead of exiting at once.
    """
    watched = os.getppid()

    def watch():
        while os.getppid() == watched:
            time.sleep(PARENT_CHECK_INTERVAL)
        os._exit(1)

    if watched != parent_pid and watched == 1:
        os._exit(1)  # the caller died before this worker was ready: re-parented to init
    threading.Thread(target=watch, name="causepairs-parent-watch", daemon=True).start()


# --------------------------------------------------------------------------------------------
# Back ends
# --------------------------------------------------------------------------------------------

class TaskHandle(Protocol):
    """What :meth:`Backend.submit` returns (a ``concurrent.futures.Future`` or Dask future)."""

    def result(self) -> Any: ...

    def cancel(self) -> bool: ...


class Backend(abc.ABC):
    """Where tasks run. Subclasses implement :meth:`submit`, and :meth:`start` / :meth:`close`
    when they hold resources.

    A back end only runs single tasks: pulling tasks lazily, bounding how many are in flight,
    ordering results and reporting progress are done once, by :func:`map_ordered`, for all of
    them. To add one, subclass this and register the class (or its ``"module:Class"``) in
    :data:`BACKENDS`; see
    :class:`causepairs.distributed.DaskBackend` (``start`` connects to a cluster and returns its
    number of worker threads, ``submit`` is ``client.submit(func, task, pure=False)``).
    """

    #: The name users pass as ``backend=``.
    name: ClassVar[str]

    @classmethod
    def check_available(cls) -> None:
        """Raise a one-line error if the back end's optional dependencies are missing.

        Called when the back end is chosen by name, before any work, even when the call then
        runs in-process (one worker), so a missing extra is reported where it was asked for.
        """

    def start(self, workers: int) -> int:
        """Prepare to run up to ``workers`` tasks at once; return how many can run at once."""
        return workers

    @abc.abstractmethod
    def submit(self, func: Callable[[Any], Any], task: Any) -> TaskHandle:
        """Start ``func(task)`` (or schedule it) and return a handle to its result."""

    def close(self) -> None:
        """Release what :meth:`start` acquired. Called once, also after an error."""

    def lost(self, error: BaseException) -> bool:
        """True if ``error``, raised by a task's handle, means the task was lost with a worker
        process that died, rather than raised by the task itself."""
        return False


class _Deferred:
    """A handle that runs its call when the result is asked for (serial back end)."""

    __slots__ = ("_call",)

    def __init__(self, func, task):
        self._call = (func, task)

    def result(self):
        func, task = self._call
        self._call = None
        return func(task)

    def cancel(self) -> bool:
        self._call = None
        return True


class SerialBackend(Backend):
    """Run every task in the calling process, one at a time, when its result is needed."""

    name = "serial"

    def start(self, workers: int) -> int:
        return 1

    def submit(self, func, task) -> _Deferred:
        return _Deferred(func, task)


class JoblibBackend(Backend):
    """Worker processes from joblib's process executor (loky), one native thread each.

    The pool belongs to this module, not to joblib's ``Parallel``: sharing loky's global
    reusable executor with ``Parallel`` breaks it (joblib attaches state to the executor it
    created and assumes nobody else replaced it). The pool is kept for the next call with the
    same number of workers, so a run of many calls, e.g. a test suite, pays the start-up
    (~1 s per worker) once; a call with another number replaces it, and one that finds it
    broken (a worker was killed) starts a new one. Idle workers exit after
    :data:`IDLE_WORKER_TIMEOUT` seconds and are started again on demand.
    """

    name = "joblib"

    def __init__(self, *, reuse_up_to: int | None = None):
        # A call with fewer tasks than the workers asked for starts fewer workers, but may
        # reuse a pool of up to that many: it never runs more tasks at once than it has.
        self._reuse_up_to = reuse_up_to
        self._executor = None
        self._workers = 0

    def start(self, workers: int) -> int:
        self._workers = workers
        self._executor = _shared_pool(workers, self._reuse_up_to or workers)
        return workers

    def submit(self, func, task):
        from concurrent.futures import BrokenExecutor

        try:
            return self._executor.submit(func, task)
        except BrokenExecutor:
            # A worker died since the last submission and broke the pool; the tasks it held
            # come back as lost (see `lost`), the next ones go to a fresh pool.
            self._executor = _shared_pool(self._workers, self._reuse_up_to or self._workers)
            return self._executor.submit(func, task)

    def close(self) -> None:
        # The pool stays up for reuse (see the class docstring).
        self._executor = None

    def lost(self, error: BaseException) -> bool:
        # loky's TerminatedWorkerError for the tasks of the worker that died, and its
        # BrokenProcessPool for every other task the broken pool held.
        from concurrent.futures import BrokenExecutor

        return isinstance(error, BrokenExecutor)


_POOL_LOCK = threading.Lock()
_POOL: tuple[int, Any] | None = None


def _shared_pool(workers: int, reuse_up_to: int):
    """The module's loky executor: the running one if it has between ``workers`` and
    ``reuse_up_to`` processes and is usable, else a new one of ``workers`` processes."""
    global _POOL
    # Imported here so that in-process runs never import loky.
    from joblib.externals.loky import ProcessPoolExecutor

    with _POOL_LOCK:
        if _POOL is not None:
            size, executor = _POOL
            flags = getattr(executor, "_flags", None)
            unusable = flags is None or flags.broken or flags.shutdown
            if workers <= size <= reuse_up_to and not unusable:
                return executor
            # Tasks still running in the old pool finish; its workers then exit.
            executor.shutdown(wait=False)
            _POOL = None
        executor = ProcessPoolExecutor(max_workers=workers, timeout=IDLE_WORKER_TIMEOUT,
                                       env=_pool_env(), initializer=_exit_with_parent,
                                       initargs=(os.getpid(),))
        _POOL = (workers, executor)
        return executor


def _pool_env() -> dict[str, str]:
    env = dict(WORKER_ENV)
    if "PYTHONFAULTHANDLER" not in os.environ:
        # loky turns faulthandler on in its workers unless this variable is set, and an empty
        # value leaves it off: a worker's crash is reported as one line naming the pair (see
        # `run_isolated`), not as a dump of every thread's stack. Set it to 1 to get the dump.
        env["PYTHONFAULTHANDLER"] = ""
    return env


def _shutdown_pool() -> None:
    """Stop the pool at interpreter exit, while the modules loky needs still exist."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL[1].shutdown(wait=True, kill_workers=True)
            _POOL = None


atexit.register(_shutdown_pool)


#: Back ends by name: a Backend class, or ``"module:Class"`` for one whose module is imported
#: only when the back end is asked for. ``"dask"`` is such a reference, so that this module
#: does not import :mod:`causepairs.distributed` (which imports this one): the dependency runs
#: one way, and Dask is imported only by those who use it.
BACKENDS: dict[str, type[Backend] | str] = {"serial": SerialBackend, "joblib": JoblibBackend,
                                            "dask": "causepairs.distributed:DaskBackend"}


def backend_class(name: str) -> type[Backend]:
    """The Backend class registered under ``name`` in :data:`BACKENDS` (imported if needed).

    Raises
    ------
    ValueError
        If no back end has that name (the message names the supported ones).
    """
    if not isinstance(name, str) or name not in BACKENDS:
        supported = ", ".join(repr(n) for n in BACKENDS)
        raise ValueError(f"backend must be one of {supported}, got {name!r}")
    entry = BACKENDS[name]
    if isinstance(entry, str):
        import importlib

        module, _, attribute = entry.partition(":")
        entry = getattr(importlib.import_module(module), attribute)
    return entry


#: Set by :func:`single_worker_out_of_process` (the command line's policy).
_SINGLE_WORKER_OUT_OF_PROCESS = False


class single_worker_out_of_process:
    """Within this block, ``n_jobs=1`` with the ``"joblib"`` or ``"dask"`` back end runs its
    tasks in one worker process instead of in the calling process.

    The library runs ``n_jobs=1`` in-process: nothing to start, and a debugger or profiler sees
    the work. But a task that kills its process (a segfault in native code) then kills the
    caller too, and a rerun dies at the same task. The command line runs every batch in worker
    processes, so that such a task costs its pair only (see ``recover`` in
    :func:`map_ordered`); the price is one worker's start-up (~1 s, plus loading Numba's cached
    kernels, ~2 s for the fast set), once per process: the pool is kept, and an existing pool
    of more workers is reused, one task at a time. Not thread-safe (it sets a module flag);
    blocks may nest.
    """

    def __enter__(self):
        global _SINGLE_WORKER_OUT_OF_PROCESS
        self._previous = _SINGLE_WORKER_OUT_OF_PROCESS
        _SINGLE_WORKER_OUT_OF_PROCESS = True
        return self

    def __exit__(self, *exc):
        global _SINGLE_WORKER_OUT_OF_PROCESS
        _SINGLE_WORKER_OUT_OF_PROCESS = self._previous
        return False


def _make_backend(backend, workers: int, requested: int) -> Backend:
    if isinstance(backend, Backend):
        return backend
    kind = backend_class(backend)
    kind.check_available()
    if requested == 1 and _SINGLE_WORKER_OUT_OF_PROCESS and not in_worker():
        if kind is JoblibBackend:
            # The window of one task (see _drive) keeps it to one core in a larger pool.
            return JoblibBackend(reuse_up_to=os.cpu_count() or 1)
        return kind()
    if requested == 1:
        # One worker process would only add start-up and pickling costs. Asked for more
        # workers, a call with a single task still gets one: a task that kills its process
        # must not take the caller with it.
        return SerialBackend()
    if kind is JoblibBackend:
        return JoblibBackend(reuse_up_to=requested)
    return kind()


# --------------------------------------------------------------------------------------------
# Redoing lost tasks in isolated processes
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crashed:
    """A part of a task whose process died while computing it (what :func:`run_isolated`
    gives in place of its result)."""

    part: Any
    #: How the process ended, e.g. ``"killed by SIGSEGV"`` or ``"exit code 3"``.
    reason: str


@dataclass(frozen=True)
class Recovery:
    """How :func:`map_ordered` redoes a task lost with its worker process.

    ``split(task)`` returns the task's parts, each a task for the same ``func`` (e.g. a chunk
    of one pair for each pair of a chunk); they are run by :func:`run_isolated`, and
    ``join(task, results)`` builds the task's result from theirs, where a part that killed its
    process is a :class:`Crashed`. Both run in the calling process.
    """

    split: Callable[[Any], Sequence[Any]]
    join: Callable[[Any, list[Any]], Any]


# The child's side: read (func, parts) from stdin, send ("ready",), then one ("done", result)
# or ("raised", exception) per part, in order, on a private copy of stdout; what the parts
# print goes to stderr.
_CHILD_CODE = ("import pickle, sys; sys.path[:0] = pickle.load(sys.stdin.buffer); "
               "from causepairs.execution import _isolated_child; _isolated_child()")


def _isolated_child() -> None:
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    parent_pid, func, parts = pickle.load(sys.stdin.buffer)
    _exit_with_parent(parent_pid)
    pickle.dump(("ready",), channel)
    channel.flush()
    for part in parts:
        try:
            message = ("done", func(part))
        except Exception as exc:  # the caller raises it, as map_ordered would
            message = ("raised", exc)
        pickle.dump(message, channel, protocol=pickle.HIGHEST_PROTOCOL)
        channel.flush()
        del message
    channel.close()


def _death(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def run_isolated(func: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
    """``func(part)`` for each part, in order, in fresh processes that nothing else uses.

    The parts run one after the other in one new process (with the environment of
    :data:`WORKER_ENV`). If it dies, the part it was computing is given as a :class:`Crashed`
    and the remaining parts go on in another new process, so each part is attempted once and
    a run costs one process plus one per part that kills its process: it always ends, however
    many parts crash. An exception raised by ``func`` is raised here, as by
    :func:`map_ordered`.

    The processes are ordinary interpreters started with ``sys.executable``, not forks, so a
    caller's ``__main__`` is never re-run; ``func`` and the parts must be picklable.

    Raises
    ------
    CausepairsError
        If a process dies before running its first part (e.g. it cannot import the package);
        the message ends with the end of its stderr.
    """
    results: list[Any] = []
    parts = list(parts)
    env = {**os.environ, **_pool_env()}
    while len(results) < len(parts):
        todo = parts[len(results):]
        with tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen([sys.executable, "-c", _CHILD_CODE], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=stderr, env=env)
            ready = False
            try:
                with proc.stdin:
                    pickle.dump([p for p in sys.path if p], proc.stdin)
                    pickle.dump((os.getpid(), func, todo), proc.stdin,
                                protocol=pickle.HIGHEST_PROTOCOL)
            except BrokenPipeError:
                pass  # it died at start-up: reported below
            with proc.stdout:
                while True:
                    try:
                        message = pickle.load(proc.stdout)
                    except (EOFError, pickle.UnpicklingError):
                        break  # ended, or died while sending a result (that part crashed)
                    if message[0] == "ready":
                        ready = True
                    elif message[0] == "done":
                        results.append(message[1])
                    else:
                        proc.kill()
                        proc.wait()
                        raise message[1]
            returncode = proc.wait()
            if len(results) < len(parts):
                if not ready:
                    stderr.seek(0)
                    tail = stderr.read()[-2000:].decode(errors="replace").strip()
                    raise CausepairsError(f"an isolated worker process died before its first "
                                          f"task ({_death(returncode)}): {tail}")
                # Parts are done in order: the first one without a result killed the process.
                results.append(Crashed(parts[len(results)], _death(returncode)))
    return results


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------

def _check_callable(value, name: str, what: str, *, optional: bool = True) -> None:
    if (value is None and optional) or callable(value):
        return
    raise ValueError(f"{name} must be {what}{' or None' if optional else ''}, got {value!r}")


def _check_count(value, name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1 or None, got {value!r}")


def map_ordered(func: Callable[[Any], Any], tasks: Iterable[Any], *, n_jobs: int | None = None,
                backend: str | Backend = "joblib",
                progress: Callable[[int], Any] | None = None,
                size: Callable[[Any], int] | None = None,
                warmup: Callable[[], Any] | None = None,
                max_in_flight: int | None = None,
                n_tasks: int | None = None,
                recover: Recovery | None = None) -> Iterator[Any]:
    """Yield ``func(task)`` for each task, in task order, computed in-process or by workers.

    Arguments are checked at once; the work starts when the first result is requested. Close
    the returned iterator (or exhaust it) to cancel the tasks not yet started.

    Parameters
    ----------
    func : callable
        Takes one task, returns its result. For worker processes it must be picklable: a
        module-level function (or a ``functools.partial`` of one), not a lambda or a closure;
        tasks and results must be picklable too.
    tasks : iterable
        Consumed lazily, e.g. a generator of chunks of pairs read from a file.
    n_jobs : int, optional
        Worker processes, by the rule of :func:`causepairs.defaults.resolve_n_jobs` (None: the
        default, 1 = in-process unless ``CAUSEPAIRS_N_JOBS`` says otherwise; -1 = all cores,
        -2 = all but one).
        Inside a worker started by this module, always in-process.
    backend : str or Backend, optional
        ``"joblib"`` (loky worker processes), ``"dask"`` (a Dask ``LocalCluster`` of ``n_jobs``
        single-threaded worker processes, started for this call; for a running cluster pass a
        :class:`~causepairs.distributed.DaskBackend`) or ``"serial"`` (in-process whatever
        ``n_jobs``). With ``n_jobs=1``, ``"joblib"`` and ``"dask"`` run in-process too (with
        more, even a single task goes to a worker process, so that it cannot crash the
        caller). A Backend object is used as given.
    progress : callable, optional
        Called in the calling process as ``progress(size(task))`` when a task's result arrives,
        before it is yielded.
    size : callable, optional
        What a task counts for in ``progress``, e.g. ``len`` for a chunk of pairs; default 1.
        Evaluated in the calling process when the task is submitted.
    warmup : callable, optional
        Called once, with no argument, in the calling process, before the first task runs and
        before any worker process is started; not called when there are no tasks.
    max_in_flight : int, optional
        Most tasks pulled from ``tasks`` whose results have not been yielded yet, running,
        queued or finished (default ``2 * workers``; 1 in-process). Bounds memory: what is held
        at any time is at most this many tasks and results.
    n_tasks : int, optional
        The number of tasks, when known (taken from ``len(tasks)`` when it has one); no more
        workers than tasks are started.
    recover : Recovery, optional
        How to redo a task lost because a worker process died (a segfault, an abort, the
        out-of-memory killer), or lost with it (one dead worker breaks loky's whole pool; Dask
        gives up on a task after ``distributed.scheduler.allowed-failures`` dead workers): its
        parts are run by :func:`run_isolated` on the calling process's machine (the tasks
        lost together shared among up to ``n_jobs`` such runs at once) and joined; the next
        tasks go to a fresh pool. A lost task is never resubmitted to the pool, and each of its
        parts runs once isolated, so a run always ends. Without ``recover``, such a task raises
        (``concurrent.futures.BrokenExecutor``, Dask's ``KilledWorker``). In-process runs
        (``n_jobs=1``, see :class:`single_worker_out_of_process`) have no process to lose: a
        crash there ends the caller.

    Yields
    ------
    object
        ``func(task)``, in the order of ``tasks``.

    Raises
    ------
    ValueError
        On a bad argument, including an unknown ``backend`` (the message names the supported
        ones).
    causepairs.distributed.MissingExtraError
        For ``backend="dask"`` without Dask installed (the message names the extra).
    Exception
        Whatever ``func`` raised, when that task's turn comes (a worker's traceback is chained
        as the cause). Tasks not yet started are cancelled.

    Examples
    --------
    >>> list(map_ordered(abs, [-3, 1, -2]))
    [3, 1, 2]
    """
    _check_callable(func, "func", "a callable taking one task", optional=False)
    _check_callable(progress, "progress", "a callable taking a count")
    _check_callable(size, "size", "a callable taking a task and returning a count")
    _check_callable(warmup, "warmup", "a callable taking no argument")
    _check_count(max_in_flight, "max_in_flight")
    _check_count(n_tasks, "n_tasks")
    if recover is not None and not isinstance(recover, Recovery):
        raise ValueError(f"recover must be a Recovery or None, got {recover!r}")
    requested = workers = resolve_n_jobs(n_jobs)
    if in_worker():
        requested = workers = 1
    if n_tasks is None and isinstance(tasks, Sized):
        n_tasks = len(tasks) or None
    if n_tasks is not None:
        workers = min(workers, n_tasks)
    engine = _make_backend(backend, workers, requested)
    return _drive(engine, workers, func, iter(tasks), progress=progress,
                  size=size, warmup=warmup, max_in_flight=max_in_flight, recover=recover)


def _drive(engine: Backend, workers: int, func, tasks: Iterator[Any], *, progress, size,
           warmup, max_in_flight, recover) -> Iterator[Any]:
    """The shared loop: a sliding window of submitted tasks, drained from the left."""
    try:
        first = next(tasks)
    except StopIteration:
        return
    upcoming: Iterator[Any] | None = _chain_first(first, tasks)
    del first
    # (handle, count, task) of every task submitted and not yet yielded, oldest first. Tasks
    # are submitted only while fewer than `window` are held, so a slow consumer (or a slow
    # first task) stops the intake instead of letting finished results pile up in memory. The
    # task is kept (only with `recover`) to redo it if its worker dies.
    pending: deque[tuple[TaskHandle, int, Any]] = deque()
    try:
        if warmup is not None:
            warmup()
        slots = engine.start(workers)
        one_at_a_time = isinstance(engine, SerialBackend) or (
            isinstance(engine, JoblibBackend) and workers == 1)
        window = max_in_flight or (1 if one_at_a_time else 2 * slots)
        while True:
            while upcoming is not None and len(pending) < window:
                task = next(upcoming, _END)
                if task is _END:
                    upcoming = None
                    break
                count = 1 if size is None else int(size(task))
                pending.append((engine.submit(func, task), count,
                                task if recover is not None else None))
                del task
            if not pending:
                return
            handle, count, task = pending.popleft()
            try:
                result = handle.result()
            except Exception as error:
                if recover is None or not engine.lost(error):
                    raise
                del error
                result = _redo_lost(engine, func, recover, task, pending, slots)
            del handle, task
            if progress is not None:
                progress(count)
            yield result
            del result
    finally:
        for handle, _, _ in pending:
            handle.cancel()
        pending.clear()
        engine.close()


_END = object()


class _Resolved:
    """A handle whose result is already known (a lost task redone by _redo_lost)."""

    __slots__ = ("_result",)

    def __init__(self, result):
        self._result = result

    def result(self):
        result, self._result = self._result, None
        return result

    def cancel(self) -> bool:
        self._result = None
        return False


def _redo_lost(engine: Backend, func, recover: Recovery, task, pending: deque,
               workers: int) -> Any:
    """The result of ``task``, lost with its worker.

    Also redoes the pending tasks already known to be lost (loky loses every task of a broken
    pool at once) and puts their results in ``pending`` in place of their handles. They are
    shared among up to ``workers`` isolated runs at once, so a crash costs about one chunk's
    time, not a window of chunks done one after the other, and each run's process start (an
    interpreter and its imports) serves several tasks.
    """
    lost = [(None, task)]
    for i, (handle, _, other) in enumerate(pending):
        try:
            if handle.done() and engine.lost(handle.exception()):
                lost.append((i, other))
        except Exception:  # cancelled, or a handle without done(): left to its turn
            continue
    splits = [recover.split(t) for _, t in lost]
    # The runs are on this machine, whatever the cluster's size.
    n_runs = min(workers, len(lost), os.cpu_count() or 1)
    # Tasks dealt round-robin to the runs, one isolated process at a time each.
    groups = [list(range(len(lost)))[g::n_runs] for g in range(n_runs)]
    runs = [[part for k in group for part in splits[k]] for group in groups]
    if n_runs == 1:
        outcomes = [run_isolated(func, runs[0])]
    else:
        from concurrent.futures import ThreadPoolExecutor

        # Threads only wait on the processes' pipes.
        with ThreadPoolExecutor(n_runs) as threads:
            outcomes = list(threads.map(functools.partial(run_isolated, func), runs))
    own = None
    for group, results in zip(groups, outcomes):
        start = 0
        for k in group:
            i, other = lost[k]
            joined = recover.join(other, results[start:start + len(splits[k])])
            start += len(splits[k])
            if i is None:
                own = joined
            else:
                pending[i] = (_Resolved(joined), pending[i][1], None)
    return own


def _chain_first(first, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    del first
    yield from rest
