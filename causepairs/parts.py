"""A directory of Parquet parts, one per chunk: resumable, atomic batch output.

Layout of a store ``features.parquet/``::

    _manifest.json        what the caller declared about the run (feature-set hash, input
                          fingerprint, chunk size, version...), checked on every reopen
    part-00000.parquet    rows of chunk 0, index (SampleID) stored as a column
    part-00001.parquet    ...
    _complete.json        written by :meth:`PartStore.complete` once every chunk is there
    .lock                 held (``flock``) while a process has the store open

``pandas.read_parquet("features.parquet")`` reads the whole directory (files starting with
``.`` or ``_`` are skipped by pyarrow), in part order up to part 99,999; :func:`read_features`
gives the same frame in a fraction of the memory (for wide feature sets);
:meth:`PartStore.read` reads in part order always and checks that nothing is missing.

A part is written to a temporary file in the same directory, flushed to disk and renamed over
its final name, so a part that exists is complete: a crash, an exception or SIGKILL during a
write leaves at most a ``.part-*.tmp`` file, which readers ignore and the next open deletes.
A rerun with the same manifest finds the finished parts with :meth:`PartStore.done` and writes
only the others; a rerun with a different manifest is refused instead of mixing two runs.
"""

from __future__ import annotations

import contextlib
import json
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import CausepairsError
from .io import atomic_path

try:  # POSIX only; without it (Windows) the store is not guarded against a second writer.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = ["PartStore", "MANIFEST_NAME", "COMPLETE_NAME", "LOCK_NAME", "part_name",
           "read_store_facts"]

MANIFEST_NAME = "_manifest.json"
COMPLETE_NAME = "_complete.json"
LOCK_NAME = ".lock"
#: Written in the manifest file beside the caller's manifest, to recognise a store.
_FORMAT = "causepairs-parts"
_FORMAT_VERSION = 1

#: Key of a part's input fingerprint in its Parquet schema metadata.
_FINGERPRINT_KEY = b"causepairs.input_fingerprint"

_PART_RE = re.compile(r"part-(\d{5,})\.parquet")
# Temporary files made by io.atomic_path: ".<final name>.<random>.tmp".
_TEMP_RE = re.compile(r"\.(?:part-\d{5,}\.parquet|_manifest\.json|_complete\.json)\..+\.tmp")
_HINT = "use another --out or delete it to start again"


def part_name(index: int) -> str:
    """File name of chunk ``index``'s part: ``part-00042.parquet``."""
    return f"part-{index:05d}.parquet"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _normalise_manifest(manifest) -> dict:
    if not isinstance(manifest, Mapping):
        raise ValueError(f"manifest must be a dict, got {type(manifest).__name__}")
    try:
        # Round trip through JSON so that what is compared is what is stored (tuples become
        # lists, keys become strings).
        return json.loads(json.dumps(dict(manifest), sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"manifest must be JSON-serialisable ({exc})") from None


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Makes a rename durable. Not possible on Windows, where os.replace is durable enough.
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, content: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _fsync_file(tmp)
    _fsync_dir(path.parent)


def _write_table(table: pa.Table, path: Path) -> None:
    """Write one part's rows (the only place that writes Parquet; tests replace it)."""
    # Column statistics are left out: nobody filters on feature values, and with thousands of
    # columns they are ~7% of the file and of the footer every reader parses.
    pq.write_table(table, path, write_statistics=False)


class _TableMaker:
    """Turn DataFrames into Arrow tables with pandas metadata, fast for wide numeric frames.

    ``pyarrow.Table.from_pandas`` costs ~1-2 s for a frame of 10,000 columns whatever its
    number of rows (per-column Python work, mostly building a Series per column). A feature
    matrix has one numeric dtype, and all parts of a store share their columns, so the schema
    (with the pandas metadata that lets ``read_parquet`` restore the index and dtypes) is
    derived once and each part's columns are handed to Arrow straight from the 2-D array
    (~0.05 s). Anything else (mixed dtypes, extension dtypes, a MultiIndex) takes the
    ordinary path.
    """

    def __init__(self):
        self._key = None
        self._schema: pa.Schema | None = None

    def __call__(self, frame: pd.DataFrame) -> pa.Table:
        dtypes = frame.dtypes
        dtype = dtypes.iloc[0] if len(dtypes) else None
        if (len(frame) == 0 or dtype is None or not isinstance(dtype, np.dtype)
                or dtype.kind not in "fiub" or not (dtypes == dtype).all()
                or isinstance(frame.index, pd.MultiIndex) or not frame.columns.is_unique):
            return pa.Table.from_pandas(frame, preserve_index=True)
        key = (tuple(frame.columns), dtype, frame.index.dtype, frame.index.name)
        if key != self._key:
            # One row, not zero: the index type of an object column is inferred from values.
            self._schema = pa.Schema.from_pandas(frame.iloc[:1], preserve_index=True)
            self._key = key
        schema = self._schema
        index_name = schema.pandas_metadata["index_columns"][0]
        position = schema.get_field_index(index_name)
        values = frame.to_numpy()
        try:
            arrays = [pa.array(values[:, j], type=schema.field(j if j < position else j + 1).type,
                               from_pandas=True) for j in range(values.shape[1])]
            arrays.insert(position, pa.array(frame.index.to_numpy(),
                                             type=schema.field(position).type, from_pandas=True))
        except (pa.ArrowException, TypeError, ValueError):
            return pa.Table.from_pandas(frame, preserve_index=True)
        return pa.Table.from_arrays(arrays, schema=schema)


def _first_difference(old: dict, new: dict) -> str | None:
    for key in sorted(set(old) | set(new)):
        if key not in old:
            return f"it has no {key!r} (now {_short(new[key])})"
        if key not in new:
            return f"it has {key!r} = {_short(old[key])}, which is not declared now"
        if old[key] != new[key]:
            return f"{key!r} is {_short(old[key])} there, {_short(new[key])} now"
    return None


class PartStore:
    """Open (creating it if needed) the part store at ``path`` for a run described by ``manifest``.

    Parameters
    ----------
    path : str or os.PathLike
        A directory, e.g. ``features.parquet``; created with its parents when absent.
    manifest : dict
        JSON-serialisable facts that must be equal for parts to be reused: e.g. a hash of the
        feature set and of the column list, a fingerprint of the input, the chunk size, the
        causepairs version. Written to ``_manifest.json`` when the store is created and compared
        key by key when it is reopened.
    fingerprints : sequence of str, optional
        A fingerprint of each chunk's input (e.g. a digest of its values), by chunk index.
        Each part stores its chunk's; :meth:`done` treats a part whose stored fingerprint
        differs (or is absent) as not done, so an edited input recomputes exactly the chunks
        that changed and resumes the others.

    Raises
    ------
    CausepairsError
        If ``path`` is a file, a directory holding files that are not the store's, a store
        written with a different manifest (the message names the first differing key), or a
        store already open (by another PartStore, in this process or another).

    Notes
    -----
    Opening deletes temporary files left by a killed writer. The store holds a lock (``flock``
    on ``.lock``, POSIX only) until :meth:`close`, the end of a ``with`` block or the end of
    the process, so two runs cannot write to one store. Only the opening object writes: with
    worker processes, workers return frames and the parent writes them.

    Examples
    --------
    >>> with PartStore(out, {"feature_set": digest}) as store:      # doctest: +SKIP
    ...     for index, chunk in enumerate(chunks):
    ...         if not store.done(index, [p.sample_id for p in chunk]):
    ...             store.write(index, compute(chunk))
    ...     store.complete(len(chunks))
    """

    def __init__(self, path, manifest: Mapping[str, Any], *,
                 fingerprints: Sequence[str] | None = None):
        self.path = Path(path)
        self._manifest = _normalise_manifest(manifest)
        self._fingerprints = None if fingerprints is None else [str(f) for f in fingerprints]
        self._lock_fd: int | None = None
        self._closed = False
        self._finished: set[int] = set()
        self._completed: int | None = None
        self._columns: list[str] | None = None
        self._to_table = _TableMaker()
        self._open()

    # ----------------------------------------------------------------------------------------
    # Opening
    # ----------------------------------------------------------------------------------------

    def _open(self) -> None:
        path = self.path
        if path.exists() and not path.is_dir():
            raise CausepairsError(f"{path} is a file, not a directory of feature parts; {_HINT}")
        path.mkdir(parents=True, exist_ok=True)
        parts, temps, has_manifest = self._classify()
        self._lock()
        try:
            if has_manifest:
                self._check_manifest()
            elif parts:
                raise CausepairsError(f"{path} holds parts but no {MANIFEST_NAME}, so they cannot "
                                      f"be checked against this run; {_HINT}")
            else:
                _write_json(path / MANIFEST_NAME, {"format": _FORMAT,
                                                   "format_version": _FORMAT_VERSION,
                                                   "manifest": self._manifest})
            for name in temps:
                with contextlib.suppress(FileNotFoundError):
                    (path / name).unlink()
            self._finished = set(parts)
            self._completed = self._read_complete_marker()
        except BaseException:
            self.close()
            raise

    def _classify(self) -> tuple[dict[int, str], list[str], bool]:
        """Sort the directory's entries; refuse a directory that holds anything else."""
        parts: dict[int, str] = {}
        temps: list[str] = []
        has_manifest = False
        for entry in sorted(os.scandir(self.path), key=lambda e: e.name):
            name = entry.name
            if entry.is_symlink():
                raise CausepairsError(f"{self.path}: {name!r} is a symbolic link; a part store "
                                      f"holds only its own files; {_HINT}")
            match = _PART_RE.fullmatch(name)
            if match and entry.is_file():
                parts[int(match.group(1))] = name
            elif _TEMP_RE.fullmatch(name) and entry.is_file():
                temps.append(name)
            elif name == MANIFEST_NAME and entry.is_file():
                has_manifest = True
            elif name in (COMPLETE_NAME, LOCK_NAME) and entry.is_file():
                pass
            elif name.startswith(".") and entry.is_file():
                pass  # e.g. .DS_Store; readers skip dot files too
            else:
                raise CausepairsError(f"{self.path} is not a causepairs part store (it holds "
                                      f"{name!r}); {_HINT}")
        return parts, temps, has_manifest

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        # O_NOFOLLOW: a planted .lock symbolic link must not make us truncate its target.
        try:
            fd = os.open(self.path / LOCK_NAME,
                         os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as exc:
            if (self.path / LOCK_NAME).is_symlink():
                raise CausepairsError(f"{self.path / LOCK_NAME} is a symbolic link; refusing to "
                                      f"open it; {_HINT}") from None
            raise exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" by process {holder}" if holder.isdigit() else ""
            raise CausepairsError(f"{self.path} is open{who} (a run writing to it); wait for it "
                                  "to finish or write to another --out") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._lock_fd = fd

    def _check_manifest(self) -> None:
        file = self.path / MANIFEST_NAME
        try:
            stored = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CausepairsError(f"{file} cannot be read ({exc}); {_HINT}") from None
        if (not isinstance(stored, dict) or stored.get("format") != _FORMAT
                or not isinstance(stored.get("manifest"), dict)):
            raise CausepairsError(f"{file} is not a causepairs part store manifest; {_HINT}")
        if stored.get("format_version") != _FORMAT_VERSION:
            raise CausepairsError(f"{self.path} was written in part store format "
                                  f"{stored.get('format_version')!r}, this version reads "
                                  f"{_FORMAT_VERSION}; {_HINT}")
        difference = _first_difference(stored["manifest"], self._manifest)
        if difference is not None:
            raise CausepairsError(f"{self.path} was written by a different run: {difference}; "
                                  f"{_HINT}")

    def _read_complete_marker(self) -> int | None:
        file = self.path / COMPLETE_NAME
        if not file.exists():
            return None
        try:
            n_chunks = json.loads(file.read_text(encoding="utf-8"))["n_chunks"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CausepairsError(f"{file} cannot be read ({exc}); {_HINT}") from None
        return int(n_chunks)

    # ----------------------------------------------------------------------------------------
    # Life cycle
    # ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the store's lock; reading and writing are refused afterwards."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> PartStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_lock_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._finished)} parts"
        return f"PartStore({str(self.path)!r}, {state})"

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"{self!r} is closed")

    # ----------------------------------------------------------------------------------------
    # Queries
    # ----------------------------------------------------------------------------------------

    @property
    def manifest(self) -> dict:
        """The manifest of this run (a copy)."""
        return json.loads(json.dumps(self._manifest))

    @property
    def completed(self) -> int | None:
        """The number of chunks if :meth:`complete` has marked the store finished, else None."""
        return self._completed

    def part_path(self, index: int) -> Path:
        """Where chunk ``index``'s part is (or will be) stored."""
        return self.path / part_name(_check_index(index))

    def finished_indices(self) -> list[int]:
        """Sorted indices of the chunks whose part is written."""
        return sorted(self._finished)

    def done(self, index: int, expected_ids: Iterable | None = None) -> bool:
        """True if chunk ``index``'s part is written.

        With ``expected_ids`` (the SampleIDs of that chunk of the current input, in order), an
        existing part must hold exactly those rows; otherwise the input changed since the part
        was written and a :class:`CausepairsError` is raised rather than mixing two inputs.
        """
        self._check_open()
        index = _check_index(index)
        if index not in self._finished:
            return False
        if expected_ids is not None:
            expected = list(expected_ids)
            stored = self._read_ids(index)
            if stored != expected:
                raise CausepairsError(
                    f"{self.part_path(index)} holds other rows than chunk {index} of the input "
                    f"({_ids_difference(stored, expected)}): the input changed since this store "
                    f"was written; {_HINT}")
        if self._fingerprints is not None and index < len(self._fingerprints):
            if self._read_fingerprint(index) != self._fingerprints[index]:
                self._reopen_for(index)
                return False
        return True

    def _read_fingerprint(self, index: int) -> str | None:
        path = self.part_path(index)
        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, pa.ArrowException) as exc:
            raise CausepairsError(f"{path} cannot be read ({exc}); delete it and rerun") from None
        value = metadata.get(_FINGERPRINT_KEY)
        return None if value is None else value.decode("ascii", "replace")

    def _reopen_for(self, index: int) -> None:
        """Part ``index`` is stale (its input changed): it will be written again."""
        self._finished.discard(index)
        if self._completed is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.path / COMPLETE_NAME).unlink()
            self._completed = None

    def _read_ids(self, index: int) -> list:
        path = self.part_path(index)
        try:
            metadata = pq.read_schema(path).pandas_metadata or {}
            columns = metadata.get("index_columns") or []
            if len(columns) != 1 or not isinstance(columns[0], str):
                raise ValueError(f"expected one stored index column, found {columns!r}")
            return pq.read_table(path, columns=columns).column(0).to_pylist()
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise CausepairsError(f"{path} cannot be read ({exc}); delete it and rerun") from None

    # ----------------------------------------------------------------------------------------
    # Writing
    # ----------------------------------------------------------------------------------------

    def write(self, index: int, frame: pd.DataFrame) -> Path:
        """Store ``frame`` as chunk ``index``'s part, atomically; return the part's path.

        The frame's index (SampleID) is stored and read back as the index; dtypes (float32
        stays float32) are kept. Every part of a store must have the same columns, in the
        same order. Rewriting a finished part replaces it.
        """
        self._check_open()
        index = _check_index(index)
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"a part must be a pandas DataFrame, got {type(frame).__name__}")
        if self._completed is not None:
            raise ValueError(f"{self.path} is marked complete ({self._completed} chunks); "
                             "it takes no more parts")
        columns = [str(column) for column in frame.columns]
        reference = self._reference_columns()
        if reference is not None and columns != reference:
            raise ValueError(f"part {index} has columns that differ from the store's other parts "
                             f"({len(columns)} vs {len(reference)} columns, first difference "
                             f"{_ids_difference(reference, columns)})")
        table = self._to_table(frame)
        if self._fingerprints is not None and index < len(self._fingerprints):
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}),
                 _FINGERPRINT_KEY: self._fingerprints[index].encode("ascii")})
        path = self.part_path(index)
        with atomic_path(path) as tmp:
            _write_table(table, tmp)
            _fsync_file(tmp)
        _fsync_dir(self.path)
        self._finished.add(index)
        self._columns = columns
        return path

    def _reference_columns(self) -> list[str] | None:
        if self._columns is None and self._finished:
            schema = pq.read_schema(self.part_path(min(self._finished)))
            stored_index = set((schema.pandas_metadata or {}).get("index_columns") or [])
            self._columns = [name for name in schema.names if name not in stored_index]
        return self._columns

    def complete(self, n_chunks: int) -> None:
        """Mark the store finished: parts ``0 .. n_chunks - 1`` and no others must be written."""
        self._check_open()
        n_chunks = _check_index(n_chunks)
        self._check_indices(n_chunks)
        _write_json(self.path / COMPLETE_NAME, {"n_chunks": n_chunks})
        self._completed = n_chunks

    def _check_indices(self, expected_count: int) -> None:
        missing = sorted(set(range(expected_count)) - self._finished)
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
            raise CausepairsError(f"{self.path} lacks {len(missing)} of {expected_count} parts "
                                  f"(chunks {shown}); rerun the same command to finish it")
        extra = sorted(i for i in self._finished if i >= expected_count)
        if extra:
            raise CausepairsError(f"{self.path} holds parts beyond the expected {expected_count} "
                                  f"chunks (first: {part_name(extra[0])}); {_HINT}")

    # ----------------------------------------------------------------------------------------
    # Reading
    # ----------------------------------------------------------------------------------------

    def read(self, expected_count: int | None = None) -> pd.DataFrame:
        """All parts' rows, in chunk order, indexed as written.

        Parameters
        ----------
        expected_count : int, optional
            The number of chunks of the run: a :class:`CausepairsError` names the missing ones
            (or the unexpected ones beyond it).

        Raises
        ------
        CausepairsError
            Missing or extra parts, an unreadable part, or a row index (SampleID) that occurs in
            more than one place.
        """
        self._check_open()
        if expected_count is not None:
            self._check_indices(_check_index(expected_count))
        indices = self.finished_indices()
        if not indices:
            return pd.DataFrame()
        tables = []
        for index in indices:
            path = self.part_path(index)
            try:
                tables.append(pq.read_table(path))
            except (OSError, pa.ArrowException) as exc:
                raise CausepairsError(f"{path} cannot be read ({exc}); delete it and "
                                      "rerun") from None
        # One Arrow table (no copy) converted once: half the peak memory of concatenating
        # per-part DataFrames.
        frame = pa.concat_tables(tables).to_pandas()
        if not frame.index.is_unique:
            duplicate = frame.index[frame.index.duplicated()][0]
            raise CausepairsError(f"{self.path}: row {duplicate!r} is in more than one part; "
                                  f"{_HINT}")
        return frame


def read_features(path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A Parquet feature file, or a part store, as one DataFrame: what
    ``pandas.read_parquet(path, columns=columns)`` returns, in a fraction of its memory.

    A store of a wide set holds more metadata than values (the full set's 13,366 columns in
    parts of 32 pairs: 10 MB of footer per part, for 1.7 MB of values), and pandas'
    whole-directory read keeps every part's metadata at once: 11.6 GB to read the 216 MB of
    values of 4,050 pairs. Reading a part at a time: 1.1 GB. Parts are read in name order
    (chunk order), skipping names that start with ``.`` or ``_`` as pyarrow does.
    """
    path = Path(path)
    if not path.is_dir():
        return pd.read_parquet(path, columns=columns)
    files = sorted(p for p in path.iterdir()
                   if p.suffix == ".parquet" and not p.name.startswith((".", "_")))
    if not files:
        return pd.read_parquet(path, columns=columns)
    frames = []
    for file in files:
        try:
            table = pq.read_table(file, columns=columns, use_pandas_metadata=True)
        except (OSError, pa.ArrowException) as exc:
            raise CausepairsError(f"{file} cannot be read ({exc})") from None
        frames.append(table.to_pandas())
        del table
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def read_store_facts(path) -> tuple[dict, dict[int, str | None]] | None:
    """The manifest and each part's input fingerprint of a store, read only (no lock taken).

    Returns None if ``path`` is not a part store (e.g. a single Parquet file); lets a reader
    of finished features check that they were computed from the input it has now.
    """
    path = Path(path)
    file = path / MANIFEST_NAME
    if not path.is_dir() or not file.is_file():
        return None
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
        manifest = dict(stored["manifest"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CausepairsError(f"{file} cannot be read ({exc})") from None
    fingerprints: dict[int, str | None] = {}
    for entry in os.scandir(path):
        match = _PART_RE.fullmatch(entry.name)
        if match is None:
            continue
        try:
            metadata = pq.read_schema(entry.path).metadata or {}
        except (OSError, pa.ArrowException) as exc:
            raise CausepairsError(f"{entry.path} cannot be read ({exc})") from None
        value = metadata.get(_FINGERPRINT_KEY)
        fingerprints[int(match.group(1))] = None if value is None else value.decode("ascii")
    return manifest, fingerprints


def _check_index(index) -> int:
    if isinstance(index, bool) or not isinstance(index, numbers.Integral) or index < 0:
        raise ValueError(f"a chunk index or count must be an integer >= 0, got {index!r}")
    return int(index)


def _ids_difference(stored: list, expected: list) -> str:
    for position, (old, new) in enumerate(zip(stored, expected)):
        if old != new:
            return f"row {position}: {_short(old, 40)} stored, {_short(new, 40)} expected"
    return f"{len(stored)} rows stored, {len(expected)} expected"
