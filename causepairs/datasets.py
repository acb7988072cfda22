"""Read the standard cause-effect benchmark folders, and the published methods' scores on them.

Two folder formats are read, each as published (see ``shared/benchmarks/README.md``):

* **Mooij format** (the ``SIM*`` sets of Mooij et al. 2016; the Tuebingen pairs use it too):
  ``pairNNNN.txt`` holds whitespace-separated numbers, one row per sample, one column per
  variable; ``pairmeta.txt`` has one line per pair,
  ``NNNN cause_first cause_last effect_first effect_last weight``, with 1-based column ranges.
  A pair whose cause or effect spans several columns is multivariate: it is skipped, with the
  reason recorded in :attr:`Benchmark.skipped`.
* **ANLSMN format** (the ``AN``, ``AN-s``, ``LS``, ``LS-s``, ``MN-U`` sets of Tagasovska et al.
  2020): ``pair_K.txt`` is a CSV file with a header and an index column, then two data columns;
  ``pairs_gt.txt`` has one line per pair K = 1..N, ``1`` when the second CSV column causes the
  third, ``0`` when the third causes the second. The header names are the same whichever
  column is the cause, so they are never read.

Every pair keeps its stored column order: ``A`` is the first of its two data columns, ``B`` the
second, and the ground truth is +1 when A causes B, -1 when B causes A. Weights are the Mooij
format's own; a format without weights gives every pair weight 1.

Variable types: both formats carry none, so every variable is declared ``Numerical``.
:func:`causepairs.types.effective_type` keeps a declared ``Numerical`` whatever its values,
and guessing ``Categorical`` from integer-looking values would be a rule of ours that the
benchmarks' authors never stated (a count or a rating is a measurement too).

A file that breaks its format raises :class:`~causepairs.errors.ChallengeFormatError`: one line
naming the file, the line and the problem.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ChallengeFormatError
from .io import Pair

__all__ = [
    "MOOIJ",
    "ANLSMN",
    "SkippedPair",
    "Benchmark",
    "Baselines",
    "detect_format",
    "read_benchmark",
    "read_mooij",
    "read_anlsmn",
    "read_baselines",
    "find_baseline_file",
    "benchmark_table",
    "baseline_key",
]

MOOIJ = "mooij"
ANLSMN = "anlsmn"

_MOOIJ_META = "pairmeta.txt"
_ANLSMN_GT = "pairs_gt.txt"
_MOOIJ_PAIR = re.compile(r"pair(\d+)\.txt")
_ANLSMN_PAIR = re.compile(r"pair_(\d+)\.txt")


@dataclass(frozen=True)
class SkippedPair:
    """A pair of the folder that is not scored, and why."""

    pair_id: str
    reason: str


@dataclass(frozen=True)
class Benchmark:
    """One benchmark folder, read: its bivariate pairs in file order and their labels.

    ``pairs[i]``, ``pair_ids[i]``, ``ground_truth[i]`` and ``weights[i]`` describe the same pair.
    ``pair_ids`` are the folder's own numbers (``"0001"`` for ``pair0001.txt``, ``"1"`` for
    ``pair_1.txt``); the pairs' SampleIDs are ``<name>/<file stem>``.
    """

    name: str
    path: Path
    format: str
    pairs: tuple[Pair, ...]
    pair_ids: tuple[str, ...]
    ground_truth: np.ndarray
    weights: np.ndarray
    skipped: tuple[SkippedPair, ...] = ()

    def __len__(self) -> int:
        return len(self.pairs)

    @property
    def weighted(self) -> bool:
        """True when the pairs do not all count the same (e.g. real pairs weighted by source)."""
        return bool(len(self.weights)) and not np.all(self.weights == self.weights[0])

    def publicinfo(self) -> pd.DataFrame:
        """Variable types of the pairs, indexed by SampleID: all ``Numerical`` (see module doc)."""
        ids = pd.Index([p.sample_id for p in self.pairs], name="SampleID")
        return pd.DataFrame({"A type": "Numerical", "B type": "Numerical"}, index=ids)


# --------------------------------------------------------------------------------------------
# Format detection
# --------------------------------------------------------------------------------------------

def detect_format(folder) -> str:
    """:data:`MOOIJ` if ``folder`` has a ``pairmeta.txt``, :data:`ANLSMN` if it has a
    ``pairs_gt.txt``; anything else is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ChallengeFormatError(folder, "not a folder (expected a benchmark folder holding "
                                           f"{_MOOIJ_META} or {_ANLSMN_GT})")
    has_meta = (folder / _MOOIJ_META).is_file()
    has_gt = (folder / _ANLSMN_GT).is_file()
    if has_meta and has_gt:
        raise ChallengeFormatError(folder, f"holds both {_MOOIJ_META} (Mooij format) and "
                                           f"{_ANLSMN_GT} (ANLSMN format); keep one")
    if has_meta:
        return MOOIJ
    if has_gt:
        return ANLSMN
    raise ChallengeFormatError(folder, f"neither {_MOOIJ_META} (Mooij format: pairNNNN.txt) nor "
                                       f"{_ANLSMN_GT} (ANLSMN format: pair_K.txt) found")


def read_benchmark(folder, name: str | None = None) -> Benchmark:
    """Read a benchmark folder in whichever of the two formats it is (:func:`detect_format`).

    ``name`` defaults to the folder's name.
    """
    folder = Path(folder)
    reader = read_mooij if detect_format(folder) == MOOIJ else read_anlsmn
    return reader(folder, name)


def _set_name(folder: Path, name: str | None) -> str:
    name = folder.resolve().name if name is None else name
    if not name or not name.isprintable() or any(c in name for c in ',"/') or name != name.strip():
        raise ChallengeFormatError(folder, f"cannot name a benchmark set {name!r} (no commas, "
                                           "quotes, slashes or control characters)")
    return name


def _numbered_files(folder: Path, pattern: re.Pattern) -> dict[int, Path]:
    files: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        match = pattern.fullmatch(path.name)
        if match is None:
            continue
        number = int(match.group(1))
        if number in files:
            raise ChallengeFormatError(path, f"pair {number} is also in {files[number].name}")
        files[number] = path
    return files


def _number(text: str, path: Path, line: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ChallengeFormatError(path, f"{what} {text!r} is not a number", line=line) from None
    if not math.isfinite(value):
        raise ChallengeFormatError(path, f"{what} is {text!r}; only finite numbers are allowed",
                                   line=line)
    return value


def _read_text(path: Path) -> list[str]:
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as handle:
            return handle.read().splitlines()
    except UnicodeDecodeError:
        raise ChallengeFormatError(path, "not a UTF-8 text file") from None


# --------------------------------------------------------------------------------------------
# Mooij format
# --------------------------------------------------------------------------------------------

def _read_pairmeta(path: Path) -> dict[int, tuple[int, tuple[int, int, int, int], float]]:
    """``{pair number: (line, (cause_first, cause_last, effect_first, effect_last), weight)}``."""
    meta = {}
    for line, text in enumerate(_read_text(path), start=1):
        fields = text.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise ChallengeFormatError(path, f"expected 6 fields (pair cause_first cause_last "
                                             f"effect_first effect_last weight), found "
                                             f"{len(fields)}", line=line)
        if not fields[0].isdigit():
            raise ChallengeFormatError(path, f"pair number {fields[0]!r} is not a number",
                                       line=line)
        number = int(fields[0])
        if number in meta:
            raise ChallengeFormatError(path, f"pair {fields[0]} is also on line "
                                             f"{meta[number][0]}", line=line)
        columns = []
        for what, cell in zip(("cause_first", "cause_last", "effect_first", "effect_last"),
                              fields[1:5]):
            if not cell.isdigit() or int(cell) < 1:
                raise ChallengeFormatError(path, f"{what} {cell!r} is not a column number "
                                                 "(1, 2, ...)", line=line)
            columns.append(int(cell))
        c1, c2, e1, e2 = columns
        if c1 > c2 or e1 > e2:
            raise ChallengeFormatError(path, f"column range {c1}-{c2} or {e1}-{e2} runs "
                                             "backwards", line=line)
        if not (c2 < e1 or e2 < c1):
            raise ChallengeFormatError(path, f"cause columns {c1}-{c2} and effect columns "
                                             f"{e1}-{e2} overlap", line=line)
        weight = _number(fields[5], path, line, "weight")
        if weight < 0:
            raise ChallengeFormatError(path, f"weight {fields[5]} is negative", line=line)
        meta[number] = (line, (c1, c2, e1, e2), weight)
    return meta


def _read_whitespace_table(path: Path) -> np.ndarray:
    """The numbers of a ``pairNNNN.txt`` file: one row per sample, same width on every row."""
    rows = []
    width = None
    for line, text in enumerate(_read_text(path), start=1):
        cells = text.split()
        if not cells:
            continue
        if width is None:
            width = len(cells)
        elif len(cells) != width:
            raise ChallengeFormatError(path, f"expected {width} numbers (as on the first row), "
                                             f"found {len(cells)}", line=line)
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            bad = next(c for c in cells if not _is_float(c))
            raise ChallengeFormatError(path, f"value {bad!r} is not a number",
                                       line=line) from None
        if not all(math.isfinite(v) for v in rows[-1]):
            bad = next(c for c, v in zip(cells, rows[-1]) if not math.isfinite(v))
            raise ChallengeFormatError(path, f"value {bad!r} is not finite", line=line)
    if not rows:
        raise ChallengeFormatError(path, "holds no samples")
    return np.asarray(rows, dtype=np.float64)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_mooij(folder, name: str | None = None) -> Benchmark:
    """Read a Mooij-format folder (``pairNNNN.txt`` + ``pairmeta.txt``).

    Every ``pairNNNN.txt`` needs its ``pairmeta.txt`` line and every line its file. A pair whose
    cause or effect spans more than one column is skipped (noted in ``skipped``). Of a
    bivariate pair, A is the lower-numbered of its two columns, B the other; the ground truth
    is +1 when A is the cause.
    """
    folder = Path(folder)
    name = _set_name(folder, name)
    meta_path = folder / _MOOIJ_META
    meta = _read_pairmeta(meta_path)
    files = _numbered_files(folder, _MOOIJ_PAIR)
    for number, path in files.items():
        if number not in meta:
            raise ChallengeFormatError(meta_path, f"no line for pair {number:04d} "
                                                  f"({path.name} exists)")
    pairs, ids, truth, weights, skipped = [], [], [], [], []
    for number in sorted(meta):
        line, (c1, c2, e1, e2), weight = meta[number]
        pair_id = f"{number:04d}"
        path = files.get(number)
        if path is None:
            raise ChallengeFormatError(meta_path, f"pair {pair_id}: no file pair{pair_id}.txt in "
                                                  f"{folder}", line=line)
        if c1 != c2 or e1 != e2:
            skipped.append(SkippedPair(pair_id, f"multivariate: cause columns {c1}-{c2}, effect "
                                                f"columns {e1}-{e2}"))
            continue
        table = _read_whitespace_table(path)
        if max(c1, e1) > table.shape[1]:
            raise ChallengeFormatError(meta_path, f"pair {pair_id}: column {max(c1, e1)} asked "
                                                  f"for, but {path.name} has {table.shape[1]}",
                                       line=line)
        first, second = sorted((c1, e1))
        pairs.append(Pair(f"{name}/{path.stem}", table[:, first - 1].copy(),
                          table[:, second - 1].copy()))
        ids.append(pair_id)
        truth.append(1 if c1 == first else -1)
        weights.append(weight)
    return Benchmark(name, folder, MOOIJ, tuple(pairs), tuple(ids),
                     np.asarray(truth, dtype=np.int64), np.asarray(weights, dtype=np.float64),
                     tuple(skipped))


# --------------------------------------------------------------------------------------------
# ANLSMN format
# --------------------------------------------------------------------------------------------

def _read_anlsmn_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The two data columns of a ``pair_K.txt`` CSV (header and index column dropped)."""
    a, b = [], []
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header_seen = False
            for cells in reader:
                line = reader.line_num
                if not cells or all(not c.strip() for c in cells):
                    continue
                if len(cells) != 3:
                    raise ChallengeFormatError(path, f"expected 3 comma-separated cells (index, "
                                                     f"then two variables), found {len(cells)}",
                                               line=line)
                if not header_seen:
                    header_seen = True  # names are the same whichever column is the cause
                    continue
                a.append(_number(cells[1].strip(), path, line, "value"))
                b.append(_number(cells[2].strip(), path, line, "value"))
    except csv.Error as exc:
        raise ChallengeFormatError(path, f"malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise ChallengeFormatError(path, "not a UTF-8 text file") from None
    if not a:
        raise ChallengeFormatError(path, "holds no samples (a header at most)")
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)


def read_anlsmn(folder, name: str | None = None) -> Benchmark:
    """Read an ANLSMN-format folder (``pair_K.txt`` + ``pairs_gt.txt``).

    ``pairs_gt.txt`` must have exactly one line per ``pair_K.txt`` file, K = 1..N. A is the
    second CSV column, B the third; the ground truth is +1 when the line says ``1``.
    """
    folder = Path(folder)
    name = _set_name(folder, name)
    gt_path = folder / _ANLSMN_GT
    labels = []
    for line, text in enumerate(_read_text(gt_path), start=1):
        cell = text.strip()
        if not cell:
            continue
        if cell not in ("0", "1"):
            raise ChallengeFormatError(gt_path, f"expected 1 (second column causes third) or 0 "
                                                f"(third causes second), found {cell!r}",
                                       line=line)
        labels.append(1 if cell == "1" else -1)
    files = _numbered_files(folder, _ANLSMN_PAIR)
    if len(labels) != len(files):
        raise ChallengeFormatError(gt_path, f"has {len(labels)} labels but {folder} has "
                                            f"{len(files)} pair_K.txt files; one label per pair "
                                            "is needed")
    missing = [k for k in range(1, len(labels) + 1) if k not in files]
    if missing:
        raise ChallengeFormatError(folder / f"pair_{missing[0]}.txt",
                                   f"file not found ({_ANLSMN_GT} has {len(labels)} labels, so "
                                   f"pair_1.txt to pair_{len(labels)}.txt are expected)")
    pairs = []
    for k in range(1, len(labels) + 1):
        a, b = _read_anlsmn_pair(files[k])
        pairs.append(Pair(f"{name}/{files[k].stem}", a, b))
    return Benchmark(name, folder, ANLSMN, tuple(pairs),
                     tuple(str(k) for k in range(1, len(labels) + 1)),
                     np.asarray(labels, dtype=np.int64), np.ones(len(labels), dtype=np.float64))


# --------------------------------------------------------------------------------------------
# Published methods' per-pair scores: baseline_results/*.tab
# --------------------------------------------------------------------------------------------

#: Columns of a ``.tab`` file that are not a method's scores.
_TAB_LABEL_COLUMNS = ("PairID", "GroundTruth", "Weight")
#: ``RESIT_std`` is the RESIT the published tables report; plain ``RESIT`` is dropped.
_TAB_RENAMES = {"RESIT_std": "RESIT"}
_TAB_DROPPED = ("RESIT",)


@dataclass(frozen=True)
class Baselines:
    """Published methods' scores on one benchmark set, one row per pair.

    ``scores`` is indexed by the pair's number (int) and has one column per method; positive
    means "A causes B", as :attr:`Benchmark.ground_truth`. ``ground_truth`` is the file's own
    (+1/-1), for checking that it describes the same pairs.
    """

    path: Path
    scores: pd.DataFrame
    ground_truth: pd.Series

    @property
    def methods(self) -> list[str]:
        return list(self.scores.columns)

    def for_benchmark(self, bench: Benchmark) -> pd.DataFrame:
        """The scores of ``bench``'s pairs, in its order; checks that the labels agree."""
        numbers = [int(i) for i in bench.pair_ids]
        missing = [n for n in numbers if n not in self.scores.index]
        if missing:
            raise ChallengeFormatError(self.path, f"no row for pair {missing[0]} of set "
                                                  f"{bench.name} ({len(missing)} missing)")
        theirs = self.ground_truth.loc[numbers].to_numpy()
        wrong = np.flatnonzero(theirs != bench.ground_truth)
        if len(wrong):
            raise ChallengeFormatError(
                self.path, f"GroundTruth of pair {numbers[wrong[0]]} is {theirs[wrong[0]]:+d} but "
                           f"set {bench.name} says {bench.ground_truth[wrong[0]]:+d} "
                           f"({len(wrong)} pairs disagree): is it the file of another set?")
        return self.scores.loc[numbers]


def read_baselines(path) -> Baselines:
    """Read a ``baseline_results/*.tab`` file (tab-separated, a header row, one pair a row)."""
    path = Path(path)
    lines = _read_text(path)
    rows = [(line, text.split("\t")) for line, text in enumerate(lines, start=1) if text.strip()]
    if not rows:
        raise ChallengeFormatError(path, "empty file (expected a header PairID, GroundTruth, ...)")
    header = [c.strip() for c in rows[0][1]]
    for needed in ("PairID", "GroundTruth"):
        if needed not in header:
            raise ChallengeFormatError(path, f"header has no {needed} column", line=rows[0][0])
    methods = [c for c in header if c not in _TAB_LABEL_COLUMNS and c not in _TAB_DROPPED]
    if not methods:
        raise ChallengeFormatError(path, "header names no method column", line=rows[0][0])
    ids, truth, values = [], [], []
    seen: dict[int, int] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise ChallengeFormatError(path, f"expected {len(header)} tab-separated cells, found "
                                             f"{len(cells)}", line=line)
        record = dict(zip(header, (c.strip() for c in cells)))
        if not record["PairID"].isdigit():
            raise ChallengeFormatError(path, f"PairID {record['PairID']!r} is not a pair number",
                                       line=line)
        number = int(record["PairID"])
        if number in seen:
            raise ChallengeFormatError(path, f"pair {number} is also on line {seen[number]}",
                                       line=line)
        seen[number] = line
        if record["GroundTruth"] not in ("1", "-1"):
            raise ChallengeFormatError(path, f"GroundTruth {record['GroundTruth']!r} is not 1 "
                                             "or -1", line=line)
        ids.append(number)
        truth.append(int(record["GroundTruth"]))
        values.append([_number(record[m], path, line, f"{m} score") for m in methods])
    index = pd.Index(ids, name="PairID")
    scores = pd.DataFrame(np.asarray(values, dtype=np.float64).reshape(len(ids), len(methods)),
                          index=index, columns=[_TAB_RENAMES.get(m, m) for m in methods])
    return Baselines(path, scores, pd.Series(truth, index=index, name="GroundTruth"))


def baseline_key(name: str) -> str:
    """How set names and ``.tab`` file stems are matched: ``SIM-c``, ``SIMc`` and ``simc`` agree."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def find_baseline_file(location, name: str) -> Path | None:
    """The ``.tab`` file of set ``name`` in folder ``location`` (or ``location`` itself, a file,
    if its stem matches), or None."""
    location = Path(location)
    candidates = [location] if location.is_file() else sorted(location.glob("*.tab"))
    hits = [p for p in candidates if baseline_key(p.stem) == baseline_key(name)]
    if len(hits) > 1:
        raise ChallengeFormatError(location, f"several baseline files match set {name}: "
                                             + ", ".join(p.name for p in hits))
    return hits[0] if hits else None


# --------------------------------------------------------------------------------------------
# One table: a model's scores beside the published methods'
# --------------------------------------------------------------------------------------------

def benchmark_table(benchmarks, scores, baselines=None) -> pd.DataFrame:
    """Accuracy and AUC per set, the published methods beside them, and the mean line.

    Parameters
    ----------
    benchmarks : sequence of Benchmark
    scores : dict of set name -> array of the model's scores, in the set's pair order
    baselines : dict of set name -> DataFrame (:meth:`Baselines.for_benchmark`), optional

    Returns
    -------
    pandas.DataFrame
        Indexed by set name, in this order: the sets whose pairs all count the same, then
        ``mean (k sets)`` over them (when there are any), then the weighted sets (real pairs
        weighted by source, such as Lisbon), which the mean leaves out. Columns: ``pairs``,
        ``weighted``, ``accuracy``, ``auc``, one column per published method (accuracy; NaN
        where a set has no score of it) and ``best`` (the best published accuracy of the set)
        with ``best_method`` (the first of ties, in column order). Accuracies and AUCs of
        weighted sets are weighted.
    """
    from .metrics import direction_accuracy, direction_auc

    baselines = baselines or {}
    methods: list[str] = []
    for frame in baselines.values():
        methods += [m for m in frame.columns if m not in methods]
    rows = {}
    for bench in benchmarks:
        row = {"pairs": len(bench), "weighted": bench.weighted,
               "accuracy": direction_accuracy(bench.ground_truth, scores[bench.name],
                                              bench.weights),
               "auc": direction_auc(bench.ground_truth, scores[bench.name], bench.weights)}
        published = baselines.get(bench.name)
        accuracies = {m: (direction_accuracy(bench.ground_truth, published[m], bench.weights)
                          if published is not None and m in published.columns else np.nan)
                      for m in methods}
        row.update(accuracies)
        known = {m: a for m, a in accuracies.items() if not np.isnan(a)}
        row["best"] = max(known.values()) if known else np.nan
        row["best_method"] = max(known, key=known.get) if known else ""
        rows[bench.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["pairs", "weighted", "accuracy", "auc", *methods,
                                            "best", "best_method"])
    equal = table[~table["weighted"].astype(bool)]
    weighted = table[table["weighted"].astype(bool)]
    if len(equal):
        # A method's mean needs its score on every set; the best is the mean of per-set bests.
        mean = {c: equal[c].mean(skipna=False) for c in ["accuracy", "auc", *methods, "best"]}
        mean.update(pairs=int(equal["pairs"].sum()), weighted=False, best_method="")
        label = f"mean ({len(equal)} set{'s' if len(equal) > 1 else ''})"
        equal = pd.concat([equal, pd.DataFrame([mean], index=[label])])
    return pd.concat([equal, weighted])[table.columns]
