"""Batch feature extraction: chunks of pairs, computed in worker processes, resumable on disk.

:func:`extract_features` returns (or writes) the whole matrix; :func:`iter_feature_blocks`
streams it, one chunk's rows at a time, for consumers that need no more than a chunk in
memory (e.g. prediction). Both run the same code. Pairs are processed in chunks (the unit of
work of a worker and of an output part); every pair is computed independently, so the result
is the same bits for any ``n_jobs``, any back end (in-process, joblib, Dask) and any chunk
size.

A pair whose computation kills its worker process (a segfault in a kernel, the out-of-memory
killer) gets a NaN row and is named in :attr:`ExtractionReport.crashed` and in the warning;
the other pairs of its chunk, and chunks lost with it, are redone in fresh processes and keep
their bits (see ``recover`` in :func:`causepairs.execution.map_ordered`). With ``n_jobs=1``
the work runs in the calling process, which such a pair kills.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from ..execution import Crashed, Recovery, map_ordered
from ..defaults import FEATURE_CHUNK_SIZE, READ_CHUNK_SIZE
from ..io import Pair, check_dataset, check_sample_id, iter_pair_chunks, pair_fingerprint
from ..types import (TYPE_RULE_VERSION, VARIABLE_TYPES, canonical_type, effective_type,
                     retype_note)
from . import kernel_cache
from .compute import ENGINES, compute_pair
from .spec import FeatureSet, _resolve, load_feature_set

__all__ = ["DEFAULT_CHUNK_SIZE", "ExtractionReport", "extract_features", "iter_feature_blocks",
           "warm_up", "feature_code_identity"]

#: Pairs per task and per Parquet part (see :mod:`causepairs.defaults`).
DEFAULT_CHUNK_SIZE = FEATURE_CHUNK_SIZE


def feature_code_identity(feature_set: FeatureSet) -> dict:
    """What decides a feature set's values besides the pairs: the set's hash (its spec, its
    columns and ``FEATURE_CODE_VERSION``), ``FEATURE_CODE_VERSION`` itself, the causepairs
    version and the type rule's version.

    Stored features (a part store's manifest, a pipeline step's fingerprint) are reused only
    when all of these are equal: a kernel change must not resume parts the old code computed.
    """
    from .. import __version__
    from . import spec

    return {"feature_set_hash": feature_set.hash,
            "feature_code_version": spec.FEATURE_CODE_VERSION,
            "causepairs_version": __version__, "type_rule_version": TYPE_RULE_VERSION}


@dataclass
class ExtractionReport:
    """What happened in a batch: pairs computed, pairs with NaN rows, per-cell failures.

    ``crashed`` lists the pairs whose computation killed the worker process running it
    (a segfault, an abort, the out-of-memory killer), in input order: each got a NaN row, and
    every other pair of the batch its ordinary row. ``retyped`` lists the variables whose
    declared type their values rule out (see :mod:`causepairs.types`), ``rescaled`` those of
    extreme scale brought to ``[1, 2)`` by an exact power of two (see
    :func:`~causepairs.factory.compute.power_of_two_rescale`), as ``"SampleID:A"``.
    """

    n_pairs: int = 0
    n_resumed: int = 0
    degenerate: list[str] = field(default_factory=list)
    failed_cells: int = 0
    messages: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)
    rescaled: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.n_pairs} pairs"]
        if self.n_resumed:
            parts.append(f"{self.n_resumed} resumed from finished parts")
        if self.crashed:
            parts.append(crashed_summary(self.crashed))
        if self.degenerate:
            parts.append(f"{len(self.degenerate)} degenerate (all-NaN rows, e.g. "
                         f"{', '.join(self.degenerate[:3])})")
        if self.failed_cells:
            parts.append(f"{self.failed_cells} failed cells left NaN (first: {self.messages[0]})")
        if self.retyped:
            parts.append(f"{len(self.retyped)} variables retyped by their values (first: "
                         f"{self.retyped[0]})")
        if self.rescaled:
            parts.append(f"{len(self.rescaled)} variables of extreme scale rescaled by a power "
                         f"of two (first: {self.rescaled[0]})")
        return "; ".join(parts)


def crashed_summary(crashed: list[str], shown: int = 10) -> str:
    """``"2 pairs killed their worker process (NaN rows): P3, P7"``, naming at most ``shown``."""
    names = ", ".join(crashed[:shown])
    if len(crashed) > shown:
        names += f" and {len(crashed) - shown} more"
    subject = "pair killed its" if len(crashed) == 1 else "pairs killed their"
    return f"{len(crashed)} {subject} worker process (NaN rows): {names}"


# -- the unit of work (runs in the worker processes) -----------------------------------------

_FEATURE_SETS: dict[str, FeatureSet] = {}


def _feature_set_in_worker(spec: dict, source: str, key: str) -> FeatureSet:
    # Workers rebuild the feature set from its spec once (the registry's functions are not
    # shipped with every task).
    if key not in _FEATURE_SETS:
        _FEATURE_SETS[key] = _resolve(spec, source)
    return _FEATURE_SETS[key]


#: Test-only hook: a comma-separated list of SampleIDs whose computation kills its process
#: with a real segmentation fault, to test what a batch does when a worker dies. Read once per
#: chunk; unset, it costs one dictionary lookup.
TEST_CRASH_ENV = "CAUSEPAIRS_TEST_CRASH_ON"


def _crash_for_test() -> None:
    import ctypes

    ctypes.string_at(0)  # reads address 0: SIGSEGV


class _ChunkResult(NamedTuple):
    """What a worker sends back for one chunk: its rows and what went wrong in them."""

    index: int
    ids: list[str]
    matrix: np.ndarray
    degenerate: list[str]
    failed: int
    messages: list[str]
    crashed: list[str]
    rescaled: list[str]


def _compute_chunk(task) -> _ChunkResult:
    index, spec, source, key, engine, rows = task
    feature_set = _feature_set_in_worker(spec, source, key)
    ids = [row[0] for row in rows]
    matrix = np.empty((len(rows), len(feature_set)), dtype=np.float32)
    degenerate, failed, messages, rescaled = [], 0, [], []
    crash_on = os.environ.get(TEST_CRASH_ENV)
    crash_on = frozenset(crash_on.split(",")) if crash_on else ()
    for i, (sid, a, b, a_type, b_type) in enumerate(rows):
        if sid in crash_on:
            _crash_for_test()
        try:
            result = compute_pair(feature_set, a, b, a_type, b_type, engine=engine)
        except Exception as exc:  # a bug for one pair must not cost the batch
            matrix[i] = np.nan
            degenerate.append(sid)
            failed += 1
            messages.append(f"{sid}: {type(exc).__name__}: {exc}")
            continue
        matrix[i] = result.values
        if result.degenerate:
            degenerate.append(sid)
        if result.errors:
            failed += len(result.errors)
            messages.extend(f"{sid}: {m}" for m in result.errors[:3])
        rescaled.extend(f"{sid}:{variable}" for variable in result.rescaled)
    return _ChunkResult(index, ids, matrix, degenerate, failed, messages, [], rescaled)


def _split_chunk(task) -> list[tuple]:
    # A chunk lost with its worker is redone pair by pair: one chunk of one pair per pair.
    return [task[:5] + ([row],) for row in task[5]]


def _join_chunk(task, results: list) -> _ChunkResult:
    """The chunk's result from its pairs' (see _split_chunk); a crashed pair gets a NaN row."""
    index, spec, source, key, engine, rows = task
    n_columns = len(_feature_set_in_worker(spec, source, key))
    matrix = np.full((len(rows), n_columns), np.nan, dtype=np.float32)
    joined = _ChunkResult(index, [row[0] for row in rows], matrix, [], 0, [], [], [])
    failed = 0
    for i, (row, result) in enumerate(zip(rows, results)):
        if isinstance(result, Crashed):
            joined.crashed.append(row[0])
            continue
        matrix[i] = result.matrix[0]
        joined.degenerate.extend(result.degenerate)
        failed += result.failed
        joined.messages.extend(result.messages)
        joined.rescaled.extend(result.rescaled)
    return joined._replace(failed=failed)


_CHUNK_RECOVERY = Recovery(split=_split_chunk, join=_join_chunk)


#: A warm-up still running after this many seconds is compiling, not loading Numba's cache
#: (loading the whole fast set takes about a second): then say so, once, on stderr.
COMPILE_NOTICE_AFTER_SECONDS = 3.0


def warm_up(feature_set: FeatureSet, engine: str = "numba") -> None:
    """Compile (or load from Numba's disk cache) every kernel the set uses, in this process.

    Run before worker processes start, so they only read the cache: concurrent first writes
    of Numba's cache are a known source of crashes, and every worker compiling again would
    multiply the start-up time. A first run after installing compiles for a minute or so with
    nothing else to show; a notice on stderr says what is happening and, at the end, how long
    it took, so a silent 0% progress bar is never all a user sees.
    """
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal(64) * 10000.0)
    y = np.round(np.tanh(x / 10000.0) * 10000.0 + rng.standard_normal(64) * 3000.0)
    c = rng.integers(1, 5, size=64).astype(np.float64)
    z = rng.integers(0, 2, size=64).astype(np.float64)
    started = time.perf_counter()
    finished = threading.Event()
    noticed = threading.Event()

    def notice() -> None:
        if not finished.wait(COMPILE_NOTICE_AFTER_SECONDS):
            noticed.set()
            print(f"causepairs: compiling the feature kernels of set {feature_set.name!r} with "
                  "Numba (first run only; cached for later runs)...", file=sys.stderr, flush=True)

    watcher = threading.Thread(target=notice, daemon=True)
    if engine == "numba":
        watcher.start()
    try:
        for a, b, ta, tb in ((x, y, "Numerical", "Numerical"), (c, y, "Categorical", "Numerical"),
                             (x, z, "Numerical", "Binary")):
            compute_pair(feature_set, a, b, ta, tb, engine=engine)
    finally:
        finished.set()
        if watcher.is_alive():
            watcher.join()
    if noticed.is_set():
        print(f"causepairs: compiled in {time.perf_counter() - started:.0f} s", file=sys.stderr,
              flush=True)
    if engine == "numba" and not kernel_cache.is_warm(feature_set):
        kernel_cache.mark_warm(feature_set)


def _compile_before_workers(feature_set: FeatureSet, engine: str) -> None:
    """What a batch runs before its workers start: :func:`warm_up`, unless the set's kernels
    are known to be in Numba's cache. Then there is nothing to compile, and loading them here
    (about a second for the fast set) would only delay the start: every process that computes
    loads what it uses on its first call."""
    if engine == "numba" and kernel_cache.is_warm(feature_set):
        return
    warm_up(feature_set, engine)


def _warm_up_in_worker(spec: dict, source: str, key: str, engine: str) -> None:
    # What a Dask worker on another machine runs before its first task (see DaskBackend).
    warm_up(_feature_set_in_worker(spec, source, key), engine)


# -- inputs ----------------------------------------------------------------------------------

def _rows_from_pairs(pairs: Iterable[Pair], types: dict[str, tuple[str, str]],
                     report: ExtractionReport | None = None) -> Iterator[tuple]:
    """``(id, a, b, a_type, b_type)`` rows, each type the effective one of its values.

    ``types`` maps every SampleID to its declared (canonical) types, checked before any work
    (see :func:`_declared_types`). A declared type the values rule out is replaced by what
    they are (:func:`causepairs.types.effective_type`), listed in ``report.retyped`` and said
    in one warning once the input is exhausted.
    """
    retyped: list[str] = []
    for pair in pairs:
        declared = types[pair.sample_id]
        actual = tuple(effective_type(values, kind)
                       for values, kind in zip((pair.a, pair.b), declared))
        for column, values, kind, now in zip("AB", (pair.a, pair.b), declared, actual):
            if now != kind:
                retyped.append(f"{pair.sample_id} {column} {retype_note(values, kind, now)}")
                if report is not None:
                    report.retyped.append(retyped[-1])
        yield pair.sample_id, pair.a, pair.b, actual[0], actual[1]
    if retyped:
        warnings.warn(f"feature extraction: {len(retyped)} variables treated by their values, "
                      f"not their declared type (first: {retyped[0]}; rule: "
                      "causepairs.types.effective_type)", RuntimeWarning, stacklevel=2)


def _declared_types(types: pd.DataFrame, ids: list[str], where: str) -> dict[str, tuple[str, str]]:
    """Canonical declared ``(A type, B type)`` of every SampleID in ``ids``, checked now.

    Raises :class:`~causepairs.errors.InvalidInputError` (a ValueError) naming the SampleID
    for a missing row or an unknown type string, so none ever reaches a kernel.
    """
    if "SampleID" in types.columns:
        types = types.set_index("SampleID")
    missing = [c for c in ("A type", "B type") if c not in types.columns]
    if missing:
        raise InvalidInputError(f"{where}: no column {missing[0]!r} (has "
                                f"{', '.join(map(str, types.columns))})")
    if not types.index.is_unique:
        duplicate = types.index[types.index.duplicated()][0]
        raise InvalidInputError(f"{where}: SampleID {duplicate} has more than one row")
    known = dict(zip(types.index, zip(types["A type"], types["B type"])))
    declared = {}
    for sid in ids:
        if sid not in known:
            raise InvalidInputError(f"{where}: no row for SampleID {sid} (a pair to compute)")
        pair_types = []
        for column, raw in zip(("A type", "B type"), known[sid]):
            canonical = canonical_type(raw)
            if canonical is None:
                raise InvalidInputError(f"{where}: SampleID {sid}: {column} is {raw!r}; expected "
                                        f"one of {', '.join(VARIABLE_TYPES)}")
            pair_types.append(canonical)
        declared[sid] = tuple(pair_types)
    return declared


def _typed_fingerprints(fingerprints: Iterable[str], ids: list[str],
                        declared: dict[str, tuple[str, str]]) -> list[str]:
    # A pair's values and its declared types: what its feature row is computed from.
    return [f"{fp}:{declared[sid][0]}:{declared[sid][1]}" for fp, sid in zip(fingerprints, ids)]


def _chunked(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _as_feature_set(feature_set) -> FeatureSet:
    return feature_set if isinstance(feature_set, FeatureSet) else load_feature_set(feature_set)


# -- the shared loop -------------------------------------------------------------------------

def _check_options(feature_set, engine, chunk_size, backend, client) -> FeatureSet:
    feature_set = _as_feature_set(feature_set)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if client is not None and backend != "dask":
        raise ValueError(f"client= is for backend='dask', got backend={backend!r}")
    return feature_set


def _backend_for(backend, client, feature_set: FeatureSet, engine: str):
    """What :func:`map_ordered` gets as ``backend``: the name, or a Dask back end on ``client``.

    Called before any output is written, so that a missing Dask is reported first.
    """
    if backend != "dask":
        return backend
    from ..distributed import DaskBackend

    DaskBackend.check_available()
    if client is None:
        return backend
    warmup = functools.partial(_warm_up_in_worker, feature_set.spec, feature_set.source,
                               feature_set.hash, engine)
    return DaskBackend(client, worker_warmup=warmup)


def _computed_chunks(feature_set: FeatureSet, rows: Iterator[tuple], *, chunk_size: int,
                     engine: str, n_jobs, backend, progress, report: ExtractionReport,
                     skip: frozenset[int] = frozenset(), n_tasks: int | None = None
                     ) -> Iterator[tuple[int, list[str], np.ndarray]]:
    """``(chunk index, SampleIDs, float32 rows)`` of every chunk not in ``skip``, in order.

    The one loop under both entry points: rows stream from their source, chunks in ``skip``
    (finished on an earlier run) are read past without computing, at most a window of chunks
    is in flight, and each result is handed over, then dropped. Arguments of the execution
    layer (``n_jobs``, ``backend``) are checked now, the work starts with the first item.
    """
    key = feature_set.hash
    tasks = ((index, feature_set.spec, feature_set.source, key, engine, chunk)
             for index, chunk in enumerate(_chunked(rows, chunk_size)) if index not in skip)
    results = map_ordered(_compute_chunk, tasks, n_jobs=n_jobs, backend=backend,
                          progress=progress, size=lambda task: len(task[5]),
                          warmup=lambda: _compile_before_workers(feature_set, engine),
                          n_tasks=n_tasks,
                          recover=_CHUNK_RECOVERY)
    return _record(results, report)


def _record(results, report: ExtractionReport) -> Iterator[tuple[int, list[str], np.ndarray]]:
    try:
        for chunk in results:
            report.crashed.extend(chunk.crashed)
            report.degenerate.extend(chunk.degenerate)
            report.failed_cells += chunk.failed
            report.messages.extend(chunk.messages)
            report.rescaled.extend(chunk.rescaled)
            report.n_pairs += len(chunk.ids)
            yield chunk.index, chunk.ids, chunk.matrix
    finally:
        results.close()


def _warn_if_incomplete(report: ExtractionReport, stacklevel: int) -> None:
    if report.degenerate or report.failed_cells or report.crashed or report.rescaled:
        warnings.warn(f"feature extraction: {report.summary()}", RuntimeWarning,
                      stacklevel=stacklevel + 1)


# -- the entry points -----------------------------------------------------------------------

def iter_feature_blocks(pairs, publicinfo=None, feature_set="fast", *, n_jobs: int | None = None,
                        chunk_size: int = DEFAULT_CHUNK_SIZE, backend="joblib", client=None,
                        progress=None, report: ExtractionReport | None = None,
                        engine: str = "numba") -> Iterator[tuple[pd.Index, np.ndarray]]:
    """Stream the feature matrix of many pairs, one chunk of rows at a time, in input order.

    Arguments are checked, and a pairs file validated, at the call; the work starts with the
    first block requested. Memory stays that of a few chunks, whatever the number of pairs:
    a consumer that keeps only a summary of each block (e.g. a model's scores) runs in
    constant memory. Closing the iterator early cancels the chunks not yet started.

    Parameters
    ----------
    pairs : path, or iterable of :class:`~causepairs.io.Pair`, or SyntheticPairs
        A ``*_pairs.csv`` file (validated whole before any work starts, then streamed), or
        pairs in memory.
    publicinfo : path or pandas.DataFrame, optional
        Variable types (``A type``, ``B type``) indexed by SampleID. Required unless ``pairs``
        is a :class:`~causepairs.synth.SyntheticPairs`, which carries its own.
    feature_set : str, path or FeatureSet
        ``"fast"``, ``"full"``, a ``.toml`` path, or a loaded set.
    n_jobs : int or None
        Worker processes (None: the default, 1 = in-process unless ``CAUSEPAIRS_N_JOBS`` says
        otherwise; -1: all cores; see :mod:`causepairs.defaults`). With ``backend="dask"`` and no
        ``client`` (or ``client="local"``): the workers of a local Dask cluster started for
        this call; ignored for a running cluster, whose worker threads are all used.
    chunk_size : int
        Pairs per task.
    backend : {"joblib", "dask", "serial"} or Backend
        Where chunks are computed (see :func:`causepairs.execution.map_ordered`).
    client : distributed.Client or str, optional
        With ``backend="dask"``: a client, a scheduler address (``"tcp://host:8786"``) or
        ``"local"`` (the default, see ``n_jobs``).
    progress : callable, optional
        Called with the number of pairs finished after each chunk.
    report : ExtractionReport, optional
        Filled in, chunk by chunk, with counts of pairs, degenerate pairs and failed cells.
    engine : {"numba", "reference"}
        ``reference`` computes the same columns with the slow scikit-learn/SciPy/NumPy
        references of the kernels (for checking and benchmarking).

    Yields
    ------
    ids : pandas.Index
        The chunk's SampleIDs, named ``SampleID``.
    matrix : numpy.ndarray
        float32, one row per pair of ``ids``, columns in the order of ``feature_set.columns``;
        the rows :func:`extract_features` returns for these pairs, bit for bit.

    Warns
    -----
    RuntimeWarning
        After the last block, if pairs were degenerate or cells failed (see ``report``).
    """
    feature_set = _check_options(feature_set, engine, chunk_size, backend, client)
    report = report if report is not None else ExtractionReport()
    backend = _backend_for(backend, client, feature_set, engine)
    ids, rows, _ = _plan_rows(pairs, publicinfo, report)
    n_tasks = -(-len(ids) // chunk_size) or None
    del ids  # only the count is needed: blocks carry their own SampleIDs
    chunks = _computed_chunks(feature_set, rows, chunk_size=chunk_size, engine=engine,
                              n_jobs=n_jobs, backend=backend, progress=progress,
                              report=report, n_tasks=n_tasks)
    return _blocks(chunks, report)


def _blocks(chunks, report: ExtractionReport) -> Iterator[tuple[pd.Index, np.ndarray]]:
    for _, ids, matrix in chunks:
        yield pd.Index(ids, name="SampleID"), matrix
    _warn_if_incomplete(report, stacklevel=2)


def extract_features(pairs, publicinfo=None, feature_set="fast", *, n_jobs: int | None = None,
                     chunk_size: int = DEFAULT_CHUNK_SIZE, out=None, progress=None,
                     report: ExtractionReport | None = None,
                     engine: str = "numba", load: bool = True, backend="joblib",
                     client=None) -> pd.DataFrame | None:
    """Compute a feature matrix for many pairs.

    Parameters
    ----------
    pairs : path, or iterable of :class:`~causepairs.io.Pair`, or SyntheticPairs
        A ``*_pairs.csv`` file (validated whole before any work starts, then streamed), or
        pairs in memory.
    publicinfo : path or pandas.DataFrame, optional
        Variable types (``A type``, ``B type``) indexed by SampleID. Required unless ``pairs``
        is a :class:`~causepairs.synth.SyntheticPairs`, which carries its own.
    feature_set : str, path or FeatureSet
        ``"fast"``, ``"full"``, a ``.toml`` path, or a loaded set.
    n_jobs : int or None
        Worker processes (None: the default, 1 = in-process unless ``CAUSEPAIRS_N_JOBS`` says
        otherwise; -1: all cores; see :mod:`causepairs.defaults`). With ``backend="dask"`` and no
        ``client`` (or ``client="local"``): the workers of a local Dask cluster started for
        this call; ignored for a running cluster, whose worker threads are all used.
    chunk_size : int
        Pairs per task and per output part.
    out : path, optional
        A Parquet directory: one part per chunk, each written atomically. Rerunning with the
        same ``out`` skips the chunks already finished (resume after a crash), whatever the
        back end and ``n_jobs`` of either run.
    load : bool
        With ``out``, False skips reading the finished matrix back and returns None: a
        command-line run only needs the parts on disk, and reading thousands of columns back
        costs time and memory.
    backend : {"joblib", "dask", "serial"} or Backend
        Where chunks are computed (see :func:`causepairs.execution.map_ordered`); the result
        is the same bits whatever the back end.
    client : distributed.Client or str, optional
        With ``backend="dask"``: a client, a scheduler address (``"tcp://host:8786"``) or
        ``"local"`` (the default, see ``n_jobs``).
    progress : callable, optional
        Called with the number of pairs finished after each chunk.
    report : ExtractionReport, optional
        Filled in with counts of degenerate pairs and failed cells.
    engine : {"numba", "reference"}
        ``reference`` computes the same columns with the slow scikit-learn/SciPy/NumPy
        references of the kernels (for checking and benchmarking).

    Returns
    -------
    pandas.DataFrame or None
        float32 features, one row per pair indexed by SampleID, columns sorted by name. A
        degenerate pair (constant, too short, non-finite) gives a NaN row; a failure in one
        cell leaves NaN in its columns; both are counted in ``report`` and warned about.

    See Also
    --------
    iter_feature_blocks : the same rows, streamed one chunk at a time.
    """
    feature_set = _check_options(feature_set, engine, chunk_size, backend, client)
    report = report if report is not None else ExtractionReport()
    columns = list(feature_set.columns)
    backend = _backend_for(backend, client, feature_set, engine)

    ids, rows, fingerprints = _plan_rows(pairs, publicinfo, report)
    n_chunks = -(-len(ids) // chunk_size)
    store = None
    if out is not None:
        from ..parts import PartStore

        store = PartStore(out, {"feature_set": feature_set.name, "engine": engine,
                                "n_columns": len(feature_set), "chunk_size": chunk_size,
                                "n_pairs": len(ids), "first_id": ids[0] if ids else "",
                                "last_id": ids[-1] if ids else "",
                                **feature_code_identity(feature_set)},
                           fingerprints=[_chunk_fingerprint(fingerprints[i * chunk_size:
                                                                         (i + 1) * chunk_size])
                                         for i in range(n_chunks)])
    try:
        done = frozenset(i for i in range(n_chunks) if store is not None and store.done(
            i, ids[i * chunk_size:(i + 1) * chunk_size]))
        report.n_resumed = sum(len(ids[i * chunk_size:(i + 1) * chunk_size]) for i in done)
        if progress is not None and report.n_resumed:
            progress(report.n_resumed)

        blocks: list[pd.DataFrame] = []
        chunks = _computed_chunks(feature_set, rows, chunk_size=chunk_size, engine=engine,
                                  n_jobs=n_jobs, backend=backend,
                                  progress=progress, report=report, skip=done,
                                  n_tasks=(n_chunks - len(done)) or None)
        for index, cids, matrix in chunks:
            frame = pd.DataFrame(matrix, index=pd.Index(cids, name="SampleID"),
                                 columns=columns, copy=False)
            if store is not None:
                store.write(index, frame)
            else:
                blocks.append(frame)
            del frame, matrix
        report.n_pairs = len(ids)
        if store is not None:
            store.complete(n_chunks)
            result = store.read(expected_count=n_chunks) if load else None
        else:
            result = (pd.concat(blocks) if blocks else
                      pd.DataFrame(np.empty((0, len(feature_set)), np.float32),
                                   columns=columns, index=pd.Index([], name="SampleID")))
    finally:
        if store is not None:
            store.close()
    _warn_if_incomplete(report, stacklevel=2)
    return result



def _plan_rows(pairs, publicinfo, report: ExtractionReport | None = None
               ) -> tuple[list[str], Iterator[tuple], list[str]]:
    """SampleIDs in order, a lazy stream of ``(id, a, b, a_type, b_type)`` rows, and a
    fingerprint per pair (its values and declared types, see :func:`_chunk_fingerprint`).

    Everything that can be checked before the work is checked here: SampleIDs, duplicates,
    a row of types per pair, every type string.
    """
    # A SyntheticPairs exists only once causepairs.synth is imported; importing it here would
    # cost every command on a pairs file half a second of SciPy start-up.
    synth = sys.modules.get("causepairs.synth")
    if synth is not None and isinstance(pairs, synth.SyntheticPairs):
        ids = list(pairs.sample_ids)
        declared = _declared_types(pairs.publicinfo, ids, "synthetic publicinfo")
        memory = [Pair(s, a, b) for s, a, b in zip(pairs.sample_ids, pairs.a, pairs.b)]
        fingerprints = _typed_fingerprints(map(pair_fingerprint, memory), ids, declared)
        return ids, _rows_from_pairs(iter(memory), declared, report), fingerprints
    if isinstance(pairs, (str, os.PathLike)):
        if publicinfo is None:
            raise ValueError("a pairs file needs its publicinfo (variable types)")
        if not isinstance(publicinfo, (str, os.PathLike)):
            raise ValueError("with a pairs file, give publicinfo as a file path too")
        summary, types, _ = check_dataset(pairs, publicinfo)
        ids = list(summary.sample_ids)
        declared = _declared_types(types, ids, os.fspath(publicinfo))
        fingerprints = _typed_fingerprints(summary.fingerprints, ids, declared)
        chunks = iter_pair_chunks(pairs, READ_CHUNK_SIZE)
        stream = (pair for chunk in chunks for pair in chunk)
        return ids, _rows_from_pairs(stream, declared, report), fingerprints
    if publicinfo is None:
        raise ValueError("pairs in memory need publicinfo: a DataFrame of 'A type' and "
                         "'B type' indexed by SampleID")
    if isinstance(publicinfo, pd.DataFrame):
        types, where = publicinfo, "publicinfo"
    else:
        from ..io import read_publicinfo
        types, where = read_publicinfo(publicinfo), os.fspath(publicinfo)
    pairs = list(pairs)
    seen = set()
    for pair in pairs:
        if not isinstance(pair, Pair):
            raise InvalidInputError(f"pairs must be causepairs.io.Pair objects, got "
                                    f"{type(pair).__name__}")
        try:
            check_sample_id(pair.sample_id)
        except ValueError as exc:
            raise InvalidInputError(f"pairs: {exc}") from None
        if pair.sample_id in seen:
            raise InvalidInputError(f"pairs: duplicate SampleID {pair.sample_id}")
        seen.add(pair.sample_id)
        _check_pair_values(pair)
    ids = [p.sample_id for p in pairs]
    declared = _declared_types(types, ids, where)
    fingerprints = _typed_fingerprints(map(pair_fingerprint, pairs), ids, declared)
    return ids, _rows_from_pairs(iter(pairs), declared, report), fingerprints


def _check_pair_values(pair: Pair) -> None:
    # What io.iter_pairs guarantees for a file, checked for pairs built in memory.
    a, b = np.asarray(pair.a), np.asarray(pair.b)
    sid = pair.sample_id
    if a.ndim != 1 or b.ndim != 1 or len(a) != len(b) or len(a) == 0:
        raise InvalidInputError(f"pairs: SampleID {sid}: A and B must be non-empty 1-D arrays "
                                f"of equal length, got shapes {a.shape} and {b.shape}")
    for column, values in (("A", a), ("B", b)):
        if values.dtype.kind not in "iuf":
            raise InvalidInputError(f"pairs: SampleID {sid}: {column} has dtype {values.dtype}, "
                                    "expected numbers")
        if not np.isfinite(values).all():
            raise InvalidInputError(f"pairs: SampleID {sid}: {column} holds NaN or infinite "
                                    "values")


def _chunk_fingerprint(pair_fingerprints: list[str]) -> str:
    """One chunk's input fingerprint: its pairs' values and declared types, in order."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"type-rule-{TYPE_RULE_VERSION}".encode())
    for fingerprint in pair_fingerprints:
        digest.update(fingerprint.encode() + b"\n")
    return digest.hexdigest()
