"""Read and write the challenge's CSV files: pairs, publicinfo, target and submissions.

The pairs file is streamed row by row (one ``csv`` row holds one pair), so a caller can
iterate a file of any size while holding only the current chunk of pairs in memory. The
small files (publicinfo, target, submission) are read whole into ``pandas`` objects indexed
by ``SampleID``.

Every reader validates what it reads and raises :class:`~causepairs.errors.ChallengeFormatError`
naming the file, the line and the SampleID. Quirks of the real releases are accepted: header
variants of the Target/Details columns, a missing Details column, leading spaces in cells,
CRLF line endings, a UTF-8 byte order mark, integer or float tokens.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from .defaults import READ_CHUNK_SIZE
from .errors import ChallengeFormatError, SymlinkRefusedError
from .types import VARIABLE_TYPES, canonical_type

__all__ = [
    "VARIABLE_TYPES",
    "TYPE_CODES",
    "DETAILS_TO_TARGET",
    "Pair",
    "PairsSummary",
    "iter_pairs",
    "iter_pair_chunks",
    "read_pairs",
    "scan_pairs",
    "read_publicinfo",
    "read_target",
    "read_submission",
    "check_dataset",
    "write_pairs",
    "write_publicinfo",
    "write_target",
    "write_submission",
    "write_csv_table",
    "atomic_path",
    "pair_fingerprint",
    "check_sample_id",
    "MAX_SAMPLE_ID_LENGTH",
]

#: One-letter code per type, used for type combinations such as ``NC``.
TYPE_CODES = {"Numerical": "N", "Categorical": "C", "Binary": "B"}
DETAILS_TO_TARGET = {1: 1, 2: -1, 3: 0, 4: 0}

#: Longer SampleIDs are refused: real ones are ~10 characters, and a cell of thousands is a
#: broken file (e.g. an unterminated quote swallowing the rows after it).
MAX_SAMPLE_ID_LENGTH = 200
# A pairs cell of ~11,000 numbers exceeds csv's default 128 KiB field limit; the largest real
# cells are well under this.
_FIELD_SIZE_LIMIT = 1 << 28


@dataclass(frozen=True, slots=True)
class Pair:
    """One pair of variables observed jointly: ``a[i]`` and ``b[i]`` are one sample."""

    sample_id: str
    a: np.ndarray
    b: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


@dataclass(frozen=True)
class PairsSummary:
    """What :func:`scan_pairs` learns from a full validating pass over a pairs file."""

    path: str
    sample_ids: list[str]
    sizes: np.ndarray
    lines: dict[str, int]
    #: :func:`pair_fingerprint` of each pair, in file order (a part store compares them to
    #: reuse only the parts computed from the same values).
    fingerprints: list[str] | None = None

    def __len__(self) -> int:
        return len(self.sample_ids)


# --------------------------------------------------------------------------------------------
# Low-level helpers
# --------------------------------------------------------------------------------------------

def _open_text(path) -> "contextlib.AbstractContextManager":
    path = Path(path)
    if not path.exists():
        raise ChallengeFormatError(path, "file not found")
    if path.is_dir():
        raise ChallengeFormatError(path, "is a directory, expected a CSV file")
    # utf-8-sig drops a byte order mark; newline="" lets csv handle CRLF and lone CR.
    return open(path, "r", encoding="utf-8-sig", newline="")


def _rows(handle, path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line_number, cells)`` for each non-blank row of an open CSV file."""
    if csv.field_size_limit() < _FIELD_SIZE_LIMIT:
        csv.field_size_limit(_FIELD_SIZE_LIMIT)
    reader = csv.reader(handle)
    try:
        start = 1
        for cells in reader:
            # Report the line a row starts on: a quoted cell can run over several lines.
            line, start = start, reader.line_num + 1
            if not cells or all(not c.strip() for c in cells):
                continue
            if reader.line_num > line and any("\n" in c or "\r" in c for c in cells):
                raise ChallengeFormatError(
                    path, f"a quoted cell runs from line {line} to line {reader.line_num}; "
                          "is a quote (\") left open?", line=line)
            yield line, cells
    except csv.Error as exc:
        raise ChallengeFormatError(path, f"malformed CSV ({exc})", line=reader.line_num) from None
    except UnicodeDecodeError:
        raise ChallengeFormatError(path, "not a UTF-8 text file") from None


def _normalise_header(cell: str) -> str:
    return " ".join(cell.strip().lower().split())


def _find_column(header: list[str], path, *, word: str, label: str,
                 position: int | None = None, required: bool = True) -> int | None:
    """Index of the header cell that contains ``word`` (case-insensitive).

    Header texts differ between releases (``Target [1 for A->B; -1 otherwise]``), so columns
    are matched by a word they contain, not by their exact text.
    """
    norm = [_normalise_header(c) for c in header]
    hits = [i for i, c in enumerate(norm) if word in c]
    if len(hits) > 1:
        raise ChallengeFormatError(path, f"header has several {label} columns: "
                                         + ", ".join(repr(header[i].strip()) for i in hits), line=1)
    if hits:
        return hits[0]
    if required:
        raise ChallengeFormatError(
            path, f"missing column {label!r} (header is {','.join(h.strip() for h in header)!r})",
            line=1)
    return position if position is not None and position < len(header) else None


def _header(rows: Iterator[tuple[int, list[str]]], path) -> list[str]:
    try:
        _, header = next(rows)
    except StopIteration:
        raise ChallengeFormatError(path, "empty file: expected a header row") from None
    return header


def _sample_id(cells: list[str], col: int, path, line: int) -> str:
    sid = cells[col].strip() if col < len(cells) else ""
    problem = _sample_id_problem(sid)
    if problem is not None:
        raise ChallengeFormatError(path, problem, line=line)
    return sid


def _sample_id_problem(sid: str) -> str | None:
    """What makes ``sid`` unusable as a SampleID (it must survive a CSV round trip), or None."""
    if not sid:
        return "empty SampleID"
    shown = repr(sid) if len(sid) <= 40 else repr(sid[:37]) + "..."
    if len(sid) > MAX_SAMPLE_ID_LENGTH:
        return (f"SampleID {shown} is {len(sid)} characters long; at most "
                f"{MAX_SAMPLE_ID_LENGTH} are allowed (is a quote left open?)")
    bad = next((c for c in sid if c in ',"' or not c.isprintable()), None)
    if bad is not None:
        return (f"SampleID {shown} contains {bad!r}; a SampleID cannot hold commas, quotes, "
                "line breaks or other control characters (a submission could not be written)")
    if sid != sid.strip():
        return f"SampleID {shown} has surrounding spaces"
    return None


def check_sample_id(sid) -> str:
    """Return ``sid`` if it can be a SampleID, else raise ValueError saying why."""
    if not isinstance(sid, str):
        raise ValueError(f"SampleID {sid!r} is a {type(sid).__name__}, not a string")
    problem = _sample_id_problem(sid)
    if problem is not None:
        raise ValueError(problem)
    return sid


def pair_fingerprint(pair: Pair) -> str:
    """A digest of a pair's SampleID and values: equal digests mean the same pair, bit for bit."""
    digest = hashlib.blake2b(digest_size=16)
    a = np.ascontiguousarray(pair.a, dtype=np.float64)
    b = np.ascontiguousarray(pair.b, dtype=np.float64)
    digest.update(f"{pair.sample_id}\0{len(a)}\0".encode("utf-8"))
    digest.update(a.tobytes())
    digest.update(b.tobytes())
    return digest.hexdigest()


def _check_width(cells: list[str], width: int, path, line: int, sid: str | None = None) -> None:
    if len(cells) != width:
        raise ChallengeFormatError(
            path, f"expected {width} comma-separated cells, found {len(cells)}", line=line,
            sample_id=sid)


def _parse_values(text: str, path, line: int, sid: str, column: str) -> np.ndarray:
    """Parse one space-separated cell of a pairs file into finite float64 values."""
    if not text.strip():
        raise ChallengeFormatError(path, f"column {column} is empty (a pair needs samples)",
                                   line=line, sample_id=sid)
    # np.fromstring's text mode is ~4x faster than split() + float(); it warns on the first
    # token it cannot read, and then we find that token the slow way for the message.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring(text, dtype=np.float64, sep=" ")
            ok = True
        except (DeprecationWarning, ValueError):
            ok = False
    if not ok or len(values) != len(text.split()):
        tokens = text.split()
        for position, token in enumerate(tokens, start=1):
            try:
                float(token)
            except ValueError:
                raise ChallengeFormatError(
                    path, f"column {column}: value {position} is {token!r}, not a number",
                    line=line, sample_id=sid) from None
        # Every token parses on its own: fall back to the strict path.
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    if not np.isfinite(values).all():
        position = int(np.flatnonzero(~np.isfinite(values))[0]) + 1
        raise ChallengeFormatError(
            path, f"column {column}: value {position} is {text.split()[position - 1]!r}, "
                  "not finite; NaN and infinite values are not allowed",
            line=line, sample_id=sid)
    return values


def _parse_number(text: str, path, line: int, sid: str, column: str) -> float:
    token = text.strip()
    try:
        value = float(token)
    except ValueError:
        raise ChallengeFormatError(path, f"{column} is {token!r}, not a number", line=line,
                                   sample_id=sid) from None
    if not np.isfinite(value):
        raise ChallengeFormatError(path, f"{column} is {token!r}; NaN and infinite values are "
                                         "not allowed", line=line, sample_id=sid)
    return value


class _DuplicateGuard:
    """Remembers SampleIDs seen so far in one file and the line of each."""

    def __init__(self, path):
        self.path = path
        self.lines: dict[str, int] = {}

    def add(self, sid: str, line: int) -> None:
        first = self.lines.setdefault(sid, line)
        if first != line:
            raise ChallengeFormatError(self.path, f"duplicate SampleID (first seen on line {first})",
                                       line=line, sample_id=sid)


# --------------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------------

def iter_pairs(path) -> Iterator[Pair]:
    """Stream the pairs of a ``*_pairs.csv`` file, validating each row as it is read.

    Parameters
    ----------
    path : str or os.PathLike
        A file with columns ``SampleID,A,B``; each A/B cell holds space-separated numbers.

    Yields
    ------
    Pair
        One pair per row, values as float64.

    Raises
    ------
    ChallengeFormatError
        On the first malformed row: missing column, wrong number of cells, empty pair, a
        non-numeric, NaN or infinite token, A and B of unequal length, a duplicate SampleID.
        Rows before it have already been yielded; use :func:`scan_pairs` first to validate the
        whole file before any work starts.
    """
    with _open_text(path) as handle:
        rows = _rows(handle, path)
        header = _header(rows, path)
        norm = [_normalise_header(c) for c in header]
        for name, label in (("sampleid", "SampleID"), ("a", "A"), ("b", "B")):
            if name not in norm:
                raise ChallengeFormatError(
                    path, f"missing column {label!r} (header is "
                          f"{','.join(h.strip() for h in header)!r}; expected SampleID,A,B)",
                    line=1)
        i_id, i_a, i_b = norm.index("sampleid"), norm.index("a"), norm.index("b")
        seen = _DuplicateGuard(path)
        for line, cells in rows:
            sid = _sample_id(cells, i_id, path, line)
            _check_width(cells, len(header), path, line, sid)
            seen.add(sid, line)
            a = _parse_values(cells[i_a], path, line, sid, "A")
            b = _parse_values(cells[i_b], path, line, sid, "B")
            if len(a) != len(b):
                raise ChallengeFormatError(
                    path, f"A has {len(a)} values but B has {len(b)}; a pair needs equal lengths",
                    line=line, sample_id=sid)
            yield Pair(sid, a, b)


def iter_pair_chunks(path, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[list[Pair]]:
    """Stream a pairs file as lists of at most ``chunk_size`` pairs (see :func:`iter_pairs`)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    chunk: list[Pair] = []
    for pair in iter_pairs(path):
        chunk.append(pair)
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_pairs(path) -> list[Pair]:
    """Read a whole pairs file into memory (fine for files of a few thousand pairs)."""
    return list(iter_pairs(path))


def scan_pairs(path) -> PairsSummary:
    """Validate a whole pairs file without keeping its values; return ids, sizes and lines.

    Call this before a long job so that a malformed file stops it before any work starts.
    Memory is that of one row at a time plus a few numbers per pair.
    """
    ids: list[str] = []
    sizes: list[int] = []
    fingerprints: list[str] = []
    for pair in iter_pairs(path):
        ids.append(pair.sample_id)
        sizes.append(len(pair))
        # Hashing runs at ~1 GB/s, a small cost next to parsing the text.
        fingerprints.append(pair_fingerprint(pair))
    lines = _pair_lines(path, ids)
    return PairsSummary(os.fspath(path), ids, np.asarray(sizes, dtype=np.int64), lines,
                        fingerprints)


def _pair_lines(path, ids: list[str]) -> dict[str, int]:
    # Re-reading only the first cell of each row is cheap next to parsing the values and
    # keeps iter_pairs free of bookkeeping nobody else needs.
    lines: dict[str, int] = {}
    with _open_text(path) as handle:
        rows = _rows(handle, path)
        header = [_normalise_header(c) for c in _header(rows, path)]
        col = header.index("sampleid")
        for line, cells in rows:
            lines[cells[col].strip()] = line
    return lines


# --------------------------------------------------------------------------------------------
# Publicinfo, target, submission
# --------------------------------------------------------------------------------------------

def read_publicinfo(path) -> pd.DataFrame:
    """Read ``SampleID,A type,B type``; return a frame indexed by SampleID.

    Type strings are matched case-insensitively and returned in their canonical spelling
    (``Numerical``, ``Categorical``, ``Binary``).
    """
    with _open_text(path) as handle:
        rows = _rows(handle, path)
        header = _header(rows, path)
        i_id = _find_column(header, path, word="sampleid", label="SampleID")
        i_a = _find_column(header, path, word="a type", label="A type")
        i_b = _find_column(header, path, word="b type", label="B type")
        seen = _DuplicateGuard(path)
        ids, a_types, b_types = [], [], []
        for line, cells in rows:
            sid = _sample_id(cells, i_id, path, line)
            _check_width(cells, len(header), path, line, sid)
            seen.add(sid, line)
            ids.append(sid)
            for column, col, out in (("A type", i_a, a_types), ("B type", i_b, b_types)):
                raw = cells[col].strip()
                canonical = canonical_type(raw)
                if canonical is None:
                    raise ChallengeFormatError(
                        path, f"{column} is {raw!r}; expected one of {', '.join(VARIABLE_TYPES)}",
                        line=line, sample_id=sid)
                out.append(canonical)
    frame = pd.DataFrame({"A type": a_types, "B type": b_types},
                         index=pd.Index(ids, name="SampleID"))
    frame.attrs["lines"] = dict(seen.lines)
    frame.attrs["path"] = os.fspath(path)
    return frame


def read_target(path) -> pd.DataFrame:
    """Read ``SampleID,Target[,Details]``; return a frame indexed by SampleID.

    ``Target`` is an int column in {-1, 0, 1}; ``Details`` a nullable int column in {1..4}, all
    missing when the file has no Details column (some releases did not). When present, Details
    must agree with Target (1 -> 1, 2 -> -1, 3 and 4 -> 0).
    """
    with _open_text(path) as handle:
        rows = _rows(handle, path)
        header = _header(rows, path)
        i_id = _find_column(header, path, word="sampleid", label="SampleID")
        i_target = _find_column(header, path, word="target", label="Target")
        i_details = _find_column(header, path, word="detail", label="Details", required=False)
        seen = _DuplicateGuard(path)
        ids, targets, details = [], [], []
        for line, cells in rows:
            sid = _sample_id(cells, i_id, path, line)
            _check_width(cells, len(header), path, line, sid)
            seen.add(sid, line)
            target = _parse_number(cells[i_target], path, line, sid, "Target")
            if target not in (-1.0, 0.0, 1.0):
                raise ChallengeFormatError(path, f"Target is {cells[i_target].strip()!r}; "
                                                 "expected -1, 0 or 1", line=line, sample_id=sid)
            detail = None
            if i_details is not None:
                value = _parse_number(cells[i_details], path, line, sid, "Details")
                if value not in (1.0, 2.0, 3.0, 4.0):
                    raise ChallengeFormatError(path, f"Details is {cells[i_details].strip()!r}; "
                                                     "expected 1, 2, 3 or 4",
                                               line=line, sample_id=sid)
                detail = int(value)
                if DETAILS_TO_TARGET[detail] != int(target):
                    raise ChallengeFormatError(
                        path, f"Details {detail} implies Target {DETAILS_TO_TARGET[detail]}, "
                              f"but Target is {int(target)}", line=line, sample_id=sid)
            ids.append(sid)
            targets.append(int(target))
            details.append(detail)
    frame = pd.DataFrame(
        {"Target": np.asarray(targets, dtype=np.int64),
         "Details": pd.array(details, dtype="Int64")},
        index=pd.Index(ids, name="SampleID"))
    frame.attrs["lines"] = dict(seen.lines)
    frame.attrs["path"] = os.fspath(path)
    return frame


def read_submission(path) -> pd.Series:
    """Read a ``SampleID,Target`` submission; return float scores indexed by SampleID."""
    with _open_text(path) as handle:
        rows = _rows(handle, path)
        header = _header(rows, path)
        i_id = _find_column(header, path, word="sampleid", label="SampleID")
        i_target = _find_column(header, path, word="target", label="Target")
        seen = _DuplicateGuard(path)
        ids, scores = [], []
        for line, cells in rows:
            sid = _sample_id(cells, i_id, path, line)
            _check_width(cells, len(header), path, line, sid)
            seen.add(sid, line)
            ids.append(sid)
            scores.append(_parse_number(cells[i_target], path, line, sid, "Target"))
    series = pd.Series(np.asarray(scores, dtype=np.float64), index=pd.Index(ids, name="SampleID"),
                       name="Target")
    series.attrs["lines"] = dict(seen.lines)
    series.attrs["path"] = os.fspath(path)
    return series


def check_dataset(pairs_path, publicinfo_path, target_path=None):
    """Validate a data set's files and their agreement before any work starts.

    Streams the pairs file once (see :func:`scan_pairs`), reads publicinfo (and target, when
    given) and checks that every file holds exactly the same SampleIDs.

    Returns
    -------
    summary : PairsSummary
    publicinfo : pandas.DataFrame, ordered like the pairs file
    target : pandas.DataFrame or None, ordered like the pairs file
    """
    summary = scan_pairs(pairs_path)
    publicinfo = read_publicinfo(publicinfo_path)
    _check_same_ids(summary, publicinfo, publicinfo_path)
    target = None
    if target_path is not None:
        target = read_target(target_path)
        _check_same_ids(summary, target, target_path)
        target = target.loc[summary.sample_ids]
    return summary, publicinfo.loc[summary.sample_ids], target


def _check_same_ids(summary: PairsSummary, frame: pd.DataFrame, path) -> None:
    known = frame.index
    for sid in summary.sample_ids:
        if sid not in known:
            raise ChallengeFormatError(
                path, f"no row for SampleID {sid}, which is on line {summary.lines[sid]} of "
                      f"{summary.path}")
    if len(known) != len(summary.sample_ids):
        in_pairs = set(summary.sample_ids)
        extra = next(sid for sid in known if sid not in in_pairs)
        raise ChallengeFormatError(path, f"this SampleID has no pair in {summary.path}",
                                   line=frame.attrs.get("lines", {}).get(extra), sample_id=extra)


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; move it over ``path`` only on success.

    A crash or an exception leaves no half-written file behind: readers see the old file or
    the complete new one. A ``path`` that is a symbolic link is refused
    (:class:`~causepairs.errors.SymlinkRefusedError`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        # Replacing it would silently drop a link someone planted or made on purpose; writing
        # through it would overwrite a file outside the output. Neither is ours to decide.
        raise SymlinkRefusedError(f"{path}: is a symbolic link; refusing to write through or "
                                  "over it (remove it, or write elsewhere)")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates the file private (0600); give it the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
            # A write to an open handle (disk full, file too large) names no file: say which.
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from None
        raise


def _format_values(values: np.ndarray) -> str:
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return " ".join(map(str, values.tolist()))
    if values.dtype.kind != "f":
        raise TypeError(f"pair values must be numeric, got dtype {values.dtype}")
    if not np.isfinite(values).all():
        raise ValueError("pair values must be finite")
    if np.all(values == np.round(values)) and np.abs(values).max(initial=0) < 2**53:
        return " ".join(map(str, values.astype(np.int64).tolist()))
    # repr of a Python float is the shortest text that reads back to the same double.
    return " ".join(map(repr, values.tolist()))


def _check_id_for_csv(sid: str) -> str:
    sid = str(sid)
    problem = _sample_id_problem(sid)
    if problem is not None:
        raise ValueError(f"cannot be written: {problem}")
    return sid


def write_pairs(path, pairs: Iterable[Pair]) -> int:
    """Write pairs as ``SampleID,A,B`` atomically; return the number written.

    Integral values are written as integers, other values with the shortest exact float text,
    so a written file reads back to identical arrays.
    """
    count = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write("SampleID,A,B\n")
        for pair in pairs:
            if len(pair.a) != len(pair.b) or len(pair.a) == 0:
                raise ValueError(f"pair {pair.sample_id}: A and B must be non-empty and of equal "
                                 f"length, got {len(pair.a)} and {len(pair.b)}")
            out.write(f"{_check_id_for_csv(pair.sample_id)},{_format_values(pair.a)},"
                      f"{_format_values(pair.b)}\n")
            count += 1
    return count


def _frame_with_ids(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    if "SampleID" in frame.columns:
        frame = frame.set_index("SampleID")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}; has {list(frame.columns)}")
    for sid in frame.index:
        _check_id_for_csv(sid)
    return frame


def write_csv_table(path, frame: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
    """Write a frame indexed (or keyed) by SampleID as CSV, atomically, ``\\n`` line ends."""
    frame = _frame_with_ids(frame, columns or [])
    if columns is not None:
        frame = frame[list(columns)]
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=True, index_label="SampleID", lineterminator="\n")


def write_publicinfo(path, publicinfo: pd.DataFrame) -> None:
    """Write ``SampleID,A type,B type``."""
    frame = _frame_with_ids(publicinfo, ["A type", "B type"])
    bad = ~frame[["A type", "B type"]].isin(VARIABLE_TYPES)
    if bad.to_numpy().any():
        raise ValueError(f"unknown variable type in publicinfo; expected {VARIABLE_TYPES}")
    write_csv_table(path, frame, ["A type", "B type"])


def write_target(path, target: pd.DataFrame) -> None:
    """Write ``SampleID,Target,Details`` (Details left out when the frame has none)."""
    frame = _frame_with_ids(target, ["Target"])
    columns = ["Target"]
    if "Details" in frame.columns and frame["Details"].notna().all():
        columns.append("Details")
    frame = frame[columns].astype("int64")
    write_csv_table(path, frame, columns)


def write_submission(path, scores: pd.Series) -> None:
    """Write a ``SampleID,Target`` submission from scores indexed by SampleID."""
    scores = pd.Series(scores, dtype=np.float64)
    if not np.isfinite(scores.to_numpy()).all():
        raise ValueError("submission scores must be finite")
    for sid in scores.index:
        _check_id_for_csv(sid)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write("SampleID,Target\n")
        for sid, value in zip(scores.index, scores.to_numpy().tolist()):
            out.write(f"{sid},{value!r}\n")
