"""Run the batch layer's tasks on a Dask cluster: ``map_ordered(..., backend="dask")``.

:class:`DaskBackend` is one more :class:`~causepairs.execution.Backend`: Dask only runs single
tasks (``client.submit(func, task, pure=False)``), while the bounded window, the in-order
results and the progress reports stay those of :func:`~causepairs.execution.map_ordered`, so a
chunk of pairs gives the same bits on Dask as in joblib's workers or in-process.

Three kinds of cluster:

- ``"local"``: a :class:`distributed.LocalCluster` on this machine, one single-threaded worker
  process per requested worker, started and closed by the back end; its workers get the same
  one-thread environment as joblib's (:data:`~causepairs.execution.WORKER_ENV`);
- ``"tcp://host:8786"``: the scheduler of a running cluster; the back end connects a client
  and closes it afterwards, the cluster stays up;
- a :class:`distributed.Client` made by the caller, used as is and left open.

Dask is imported here only, and only when a back end is made, so causepairs works without the
``dask`` extra as long as nobody asks for this back end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from .errors import CausepairsError
from .execution import WORKER_ENV, Backend

__all__ = ["DaskBackend", "INSTALL_HINT", "MissingExtraError", "worker_environment"]

#: How to get the optional dependencies of this module.
INSTALL_HINT = 'pip install "causepairs[dask]"'


class MissingExtraError(CausepairsError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def _import_distributed():
    """Dask's ``distributed`` module, or a :class:`MissingExtraError` naming the extra."""
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError(f"the dask back end needs dask.distributed, which is not "
                                f"installed: {INSTALL_HINT}") from exc
    return distributed


#: Dask config for the clusters and clients this module makes. Dask keeps, for debugging, the
#: last ``distributed.admin.low-level-log-length`` (default 1000) messages of every batched
#: stream (client -> scheduler, scheduler -> each worker) with the objects they carry, plus
#: the scheduler's transition and event logs and the workers' stimulus logs. A task message
#: carries the task itself, here a chunk of pairs (~0.3 MB of arrays for 32 pairs of 600
#: values; Dask logs every message under 1 MB). With the scheduler in this process (a
#: LocalCluster), the client's and the scheduler's logs held on to the chunks of the last
#: ~1000 tasks: the driver's memory grew by ~0.5 MB per task, i.e. with the number of pairs
#: up to ~30,000 pairs, despite map_ordered's bounded window. These logs only serve
#: debugging (``Scheduler.story``, ``Client.get_events``); 0 keeps none of them.
_NO_MESSAGE_LOGS = {"distributed.admin.low-level-log-length": 0}

#: Dask config for the local cluster only. The scheduler reschedules the tasks of a worker that
#: died, and gives up on one (KilledWorker) after `allowed-failures` deaths: a chunk holding a
#: pair that kills its process would kill four workers (each restarted by its nanny, seconds
#: each) before failing. The batch layer redoes such a task pair by pair in isolated
#: processes (see map_ordered's `recover`), so the first death hands it over.
_NO_TASK_RETRIES = {"distributed.scheduler.allowed-failures": 0}


class _QuietAboutDeadWorkers(logging.Filter):
    """Drops the scheduler's error lines about a worker that died under a task (the task
    given up, a result not gathered from it): the batch layer redoes those tasks and reports
    the pair in one line, so the scheduler's lines would only repeat it, five at a time."""

    _HANDLED = ("Task %s marked as failed because %d workers died", "Couldn't gather keys")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(self._HANDLED))


_SCHEDULER_LOG = logging.getLogger("distributed.scheduler")


class DaskBackend(Backend):
    """Tasks run on the workers of a Dask cluster.

    Parameters
    ----------
    client : "local", str or distributed.Client, optional
        ``"local"`` (default) starts a :class:`distributed.LocalCluster` of as many
        single-threaded worker processes as :meth:`start` is asked for, with the environment of
        :data:`~causepairs.execution.WORKER_ENV`, and closes it in :meth:`close`. Any other
        string is a scheduler address (``"tcp://host:8786"``) to connect to. A client made by
        the caller is used as is and never closed here.
    worker_warmup : callable, optional
        Run once per worker host, one host at a time, before the first task, on a cluster this
        back end did not start (see Notes). Must be picklable (a module-level function or a
        ``functools.partial`` of one).

    Raises
    ------
    MissingExtraError
        If Dask's ``distributed`` is not installed.
    ValueError
        If ``client`` is neither a string nor a client.

    Notes
    -----
    The number of tasks run at once (the ``slots`` :meth:`start` returns) is the total number
    of worker threads; :func:`~causepairs.execution.map_ordered` keeps twice that many tasks in
    flight and releases each result once handed over, so Dask holds a bounded number of
    results whatever the number of tasks.

    Numba kernels are compiled by the caller's warm-up, in the calling process, into Numba's
    disk cache before any task runs; workers on this machine then only read that cache. A
    cluster this back end did not start may have workers on other machines, whose caches are
    empty: there, several workers compiling the same kernels at once would race to write the
    same cache files, a known source of crashes. So ``worker_warmup`` runs on one worker per
    host, host after host (in case hosts share a file system), and the other workers of the
    host read what it wrote. Workers that join the cluster later compile on their first task.

    Dask's debugging logs of recent messages (``distributed.admin.low-level-log-length``)
    would keep the last thousand tasks, chunks of pairs included, in the client and the
    scheduler, so memory would grow with the number of tasks: the back end turns them off for
    the local cluster and for the client it connects to an address. A scheduler started
    elsewhere keeps its own setting: start it with
    ``DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH=0`` (and likewise for a client passed in,
    set it before making the client) to keep its memory flat as well.

    A worker that dies under a task (a segfault, the out-of-memory killer) makes the
    scheduler retry the task elsewhere, up to ``distributed.scheduler.allowed-failures``
    times (default 3), before giving up with ``KilledWorker``;
    :func:`~causepairs.execution.map_ordered` then redoes it pair by pair in isolated
    processes on the calling machine (see its ``recover``). The local cluster gives up at the first death (its retries would only
    kill more workers); a cluster started elsewhere keeps its own setting.

    Workers of a cluster started elsewhere keep their own environment: start them with one
    thread each (``dask worker ADDRESS --nthreads 1``) and with the variables of
    :data:`~causepairs.execution.WORKER_ENV` set, or native thread pools may oversubscribe
    the cores.
    """

    name = "dask"

    def __init__(self, client: Any = "local", *,
                 worker_warmup: Callable[[], Any] | None = None):
        self.check_available()
        if not isinstance(client, str) and not callable(getattr(client, "submit", None)):
            raise ValueError(f"client must be 'local', a scheduler address or a "
                             f"distributed.Client, got {client!r}")
        if worker_warmup is not None and not callable(worker_warmup):
            raise ValueError(f"worker_warmup must be a callable or None, got {worker_warmup!r}")
        self._target = client
        self._worker_warmup = worker_warmup
        self._client = None
        self._cluster = None
        self._owns_client = False
        self._saved_environ: dict[str, str | None] | None = None
        self._log_filter: logging.Filter | None = None

    @classmethod
    def check_available(cls) -> None:
        _import_distributed()

    def __repr__(self) -> str:
        target = self._target if isinstance(self._target, str) else type(self._target).__name__
        return f"DaskBackend({target!r})"

    def start(self, workers: int) -> int:
        distributed = _import_distributed()
        import dask

        target = self._target
        try:
            if target == "local":
                self._saved_environ = _snapshot_pre_spawn_environ()
                # The scheduler runs in this process: its log is the caller's stderr.
                self._log_filter = _QuietAboutDeadWorkers()
                _SCHEDULER_LOG.addFilter(self._log_filter)
                # The scheduler, the client and (through the nannies, which copy this
                # process's config to their workers) the workers read the setting as they
                # are made, so it holds for this cluster only (see _NO_MESSAGE_LOGS).
                with dask.config.set({**_NO_MESSAGE_LOGS, **_NO_TASK_RETRIES}):
                    self._cluster = distributed.LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", silence_logs=logging.ERROR,
                        # The scheduler serves HTTP (health, metrics) even without a
                        # dashboard, on 8787 unless told otherwise: a free local port avoids a
                        # warning, and a clash, when another cluster runs.
                        dashboard_address="127.0.0.1:0",
                        # Set in each worker process before it imports Numba or runs a task
                        # (the nanny's `env`). `pre-spawn-environ` would also work, but the
                        # nanny applies it to its own process, which for a LocalCluster is
                        # this one.
                        env=dict(WORKER_ENV))
                    self._client = distributed.Client(self._cluster, set_as_default=False)
                self._owns_client = True
            elif isinstance(target, str):
                try:
                    # Only this client's own message log (in this process); the scheduler's
                    # are set where it runs (see the class Notes).
                    with dask.config.set(_NO_MESSAGE_LOGS):
                        self._client = distributed.Client(target, set_as_default=False)
                except (OSError, ValueError) as exc:
                    raise CausepairsError(f"cannot connect to the Dask scheduler at {target!r} "
                                          f"({exc})") from None
                self._owns_client = True
            else:
                self._client = target
            slots = sum(self._client.nthreads().values())
            if slots < 1:
                raise CausepairsError(f"the Dask cluster of {self!r} has no workers; start some "
                                      "with `dask worker SCHEDULER_ADDRESS --nthreads 1`")
            if self._cluster is None and self._worker_warmup is not None:
                self._warm_up_workers(distributed)
        except BaseException:
            self.close()
            raise
        return slots

    def _warm_up_workers(self, distributed) -> None:
        """Run ``worker_warmup`` on one worker per host, one host at a time (see Notes)."""
        by_host: dict[str, str] = {}
        for address in sorted(self._client.nthreads()):
            by_host.setdefault(distributed.comm.get_address_host(address), address)
        for address in by_host.values():
            self._client.run(self._worker_warmup, workers=[address])

    def submit(self, func, task):
        # pure=False: two equal tasks are still two tasks (Dask would otherwise hash the
        # arguments, costly for arrays of pairs, and share the result).
        return self._client.submit(func, task, pure=False)

    def lost(self, error: BaseException) -> bool:
        # Raised once the scheduler gives up on a task whose workers died (see
        # _NO_TASK_RETRIES); its other tasks were rescheduled on live workers.
        from distributed import KilledWorker

        return isinstance(error, KilledWorker)

    def close(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None and self._owns_client:
                client.close()
        finally:
            self._owns_client = False
            try:
                if cluster is not None:
                    cluster.close()
            finally:
                if self._saved_environ is not None:
                    _restore_environ(self._saved_environ)
                    self._saved_environ = None
                if self._log_filter is not None:
                    _SCHEDULER_LOG.removeFilter(self._log_filter)
                    self._log_filter = None


def _snapshot_pre_spawn_environ() -> dict[str, str | None]:
    # A LocalCluster's nannies run in this process and apply Dask's
    # `distributed.nanny.pre-spawn-environ` (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_...) to
    # its environment before spawning workers; the caller gets its own values back in close().
    import dask

    names = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    return {name: os.environ.get(name) for name in names}


def _restore_environ(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def worker_environment() -> dict[str, str | None]:
    """The values of :data:`~causepairs.execution.WORKER_ENV`'s variables in this process.

    Handy to check a cluster's workers: ``client.run(worker_environment)``.
    """
    return {name: os.environ.get(name) for name in WORKER_ENV}
