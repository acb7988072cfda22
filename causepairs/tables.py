"""Causal direction between the columns of any table, with a shipped, calibrated model.

:func:`direction` answers for two variables, :func:`direction_table` for every pair of columns
of a table; both return P(X->Y), P(Y->X) and P(neither) (see :mod:`causepairs.calibration`)
beside the model's antisymmetric score. The model is the one shipped in the package
(``causepairs/pretrained/``, see :func:`default_model_dir`) unless another is given: any
model directory that holds a ``calibration.json`` beside its LightGBM text files.

How a column becomes a variable (:func:`prepare_column`):

* **missing values**: rows where either variable is missing (NaN, None, an empty CSV cell)
  or not finite (inf) are dropped, pair by pair, and counted;
* **types**, when not given: numbers by :func:`causepairs.types.infer_type` (at most two
  distinct values: Binary; integers with at most 20 distinct values: Categorical; else
  Numerical), a boolean column is Binary, and a text column is categorical: its levels,
  sorted, become codes (0/1 when there are two: Binary; 1..k: Categorical), refused when it
  has too many levels to be categorical (more than 20, and fewer than two rows per level).
  A given type overrides the inference; the values may still rule it out
  (:func:`causepairs.types.effective_type`: e.g. a column of fractions given as Categorical
  is Numerical), which the result's type shows;
* **size**: a pair needs at least 10 complete rows (the feature factory's minimum); a pair
  with more than ``max_rows`` (default 8,000, the largest training pairs) is scored on a
  random subsample of that many rows (fixed seed), and says so.

Swapping X and Y swaps P(X->Y) and P(Y->X) exactly and negates the score exactly: the model
and the calibration are antisymmetric by construction.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .calibration import CALIBRATION_FILE, Calibration
from .defaults import DIRECTION_CHUNK_SIZE, MAX_ROWS
from .errors import CausepairsError, InvalidInputError
from .types import FEW_LEVELS, canonical_type, effective_type, infer_type, VARIABLE_TYPES

__all__ = ["CARD_FILE", "DEFAULT_MAX_ROWS", "DirectionModel", "DirectionResult",
           "MODEL_ENV", "TABLE_COLUMNS", "default_model_dir", "direction", "direction_table",
           "REFERENCE_ENGINE_MAX_ROWS", "prepare_column", "read_card", "read_table"]

#: The file of a shipped model's card (recipe and scores), beside ``metadata.json``.
CARD_FILE = "card.json"
#: An environment variable naming a model directory to use in place of the shipped one.
MODEL_ENV = "CAUSEPAIRS_MODEL"
#: Pairs longer than this are subsampled (see :mod:`causepairs.defaults`).
DEFAULT_MAX_ROWS = MAX_ROWS
_SUBSAMPLE_SEED = 0
#: While Numba's cache does not yet hold the model's kernels, :func:`direction` computes the
#: features of a pair of at most this many rows with the reference engine: plain NumPy/SciPy
#: code that agrees with the kernels to ~1e-13 and needs no compiling (about 1 s at 1,000 rows
#: and about 3 s at 2,500 on one core; some of its measures are O(n^2)), where compiling takes
#: 25-100 s. Longer pairs, and every table, compile once instead.
REFERENCE_ENGINE_MAX_ROWS = 2500
ENGINE_CHOICES = ("auto", "numba", "reference")


def _min_rows() -> int:
    from .factory.compute import MIN_SAMPLES

    return MIN_SAMPLES


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

def default_model_dir() -> Path | None:
    """The model used when none is given: ``$CAUSEPAIRS_MODEL`` if set, else the one shipped
    in the package (``causepairs/pretrained/``); None when neither holds a model."""
    override = os.environ.get(MODEL_ENV)
    if override:
        return Path(override)
    shipped = Path(str(resources.files("causepairs") / "pretrained"))
    return shipped if (shipped / "metadata.json").is_file() else None


@dataclass
class DirectionModel:
    """A direction model with its calibration, and its card when it has one."""

    model: object
    calibration: Calibration
    path: Path
    card: dict | None = None

    @classmethod
    def load(cls, path=None) -> "DirectionModel":
        """Load a model directory holding ``calibration.json`` (default: the shipped model,
        see :func:`default_model_dir`), checking the calibration belongs to the model."""
        from .model import CausalDirectionModel

        if path is None:
            path = default_model_dir()
            if path is None:
                raise CausepairsError(
                    "no model is shipped with this install of causepairs (causepairs/pretrained/ "
                    "holds none); give a model directory (--model DIR), or build the shipped "
                    "one with `python scripts/build_pretrained.py`")
        path = Path(path)
        model = CausalDirectionModel.load(path)
        if not (path / CALIBRATION_FILE).is_file():
            raise CausepairsError(
                f"{path}: no {CALIBRATION_FILE}; probabilities need a calibrated model: "
                "calibrate it on held-out labelled pairs with `causepairs calibrate`")
        calibration = Calibration.load(path / CALIBRATION_FILE,
                                       model_digest=model.metadata_["metadata_sha256"])
        return cls(model, calibration, path, read_card(path))

    def scores_and_probabilities(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        scores = np.asarray(self.model.predict(features), dtype=np.float64)
        return scores, self.calibration.probabilities(scores)


def read_card(path) -> dict | None:
    """A model directory's ``card.json`` (None if it has none)."""
    card = Path(path) / CARD_FILE
    if not card.is_file():
        return None
    try:
        content = json.loads(card.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CausepairsError(f"{card}: unreadable model card ({exc})") from None
    if not isinstance(content, dict):
        raise CausepairsError(f"{card}: unreadable model card (not a JSON object)")
    return content


_LOADED: dict[tuple, DirectionModel] = {}


def _as_model(model) -> DirectionModel:
    """A DirectionModel from one, from a path, or the default (loaded once per process)."""
    if isinstance(model, DirectionModel):
        return model
    path = Path(model) if model is not None else default_model_dir()
    if path is None:
        return DirectionModel.load(None)  # raises: no model shipped
    # Keyed by the files' identity too, so a model rebuilt in place is loaded again.
    stamps = tuple((path / name).stat().st_mtime_ns if (path / name).is_file() else None
                   for name in ("metadata.json", CALIBRATION_FILE))
    key = (str(path.resolve()), stamps)
    if key not in _LOADED:
        _LOADED.clear()  # one model held at a time
        _LOADED[key] = DirectionModel.load(path)
    return _LOADED[key]


# --------------------------------------------------------------------------------------------
# Columns to variables
# --------------------------------------------------------------------------------------------

def _type_given(declared, name: str) -> str | None:
    if declared is None:
        return None
    canonical = canonical_type(declared)
    if canonical is None:
        raise InvalidInputError(f"column {name!r}: unknown type {declared!r}; expected one of "
                                f"{', '.join(VARIABLE_TYPES)}")
    return canonical


def prepare_column(values, name: str = "X", declared: str | None = None
                   ) -> tuple[np.ndarray, str, str | None]:
    """A column as float64 values (NaN where missing), its type, and a note.

    Parameters
    ----------
    values : array-like or pandas.Series
        Numbers, booleans or text; missing values as NaN, None or pandas' NA.
    name : str
        The column's name, for messages.
    declared : str, optional
        ``Numerical``, ``Categorical`` or ``Binary`` (any case); inferred when omitted (see
        the module's rule).

    Returns
    -------
    values : numpy.ndarray
        float64; NaN where the value is missing or not finite.
    type : str
        The type the variable is scored as.
    note : str or None
        How text was coded, or why a given type was overruled by the values.

    Raises
    ------
    InvalidInputError
        An unknown type; text given as Numerical; text with too many levels to be
        categorical; a column of another kind (dates, objects).
    """
    declared = _type_given(declared, name)
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.ndim != 1:
        raise InvalidInputError(f"column {name!r}: expected one-dimensional values")
    note = None
    if pd.api.types.is_bool_dtype(series.dtype):
        numbers = series.astype("float64").to_numpy()
        kind = declared or "Binary"
    elif pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(
            series.dtype, pd.CategoricalDtype):
        numbers = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
        kind = declared
    else:
        converted = pd.to_numeric(series, errors="coerce") if not isinstance(
            series.dtype, pd.CategoricalDtype) else None
        present = series.notna()
        if converted is not None and converted[present].notna().all():
            # Numbers stored as text (e.g. a CSV column with an odd cell read as object).
            numbers = converted.astype("float64").to_numpy()
            kind = declared
        elif pd.api.types.is_datetime64_any_dtype(series.dtype) or \
                pd.api.types.is_timedelta64_dtype(series.dtype):
            raise InvalidInputError(f"column {name!r}: holds dates or times; convert them to "
                                    "numbers first")
        else:
            if declared == "Numerical":
                raise InvalidInputError(f"column {name!r}: holds text, so it cannot be "
                                        "Numerical; give it as Categorical or Binary, or "
                                        "convert it to numbers")
            text = series[present].astype(str)
            levels = sorted(set(text))
            n_present = int(present.sum())
            if len(levels) > FEW_LEVELS and 2 * len(levels) > n_present:
                raise InvalidInputError(
                    f"column {name!r}: text with {len(levels)} distinct values in {n_present} "
                    f"rows is neither numeric nor categorical (at most {FEW_LEVELS} levels, "
                    "or two rows per level); convert it to numbers or leave it out")
            binary = len(levels) <= 2 and declared in (None, "Binary")
            first_code = 0 if binary else 1
            codes = {level: float(first_code + i) for i, level in enumerate(levels)}
            numbers = np.full(len(series), np.nan)
            numbers[present.to_numpy()] = text.map(codes).to_numpy(dtype=np.float64)
            kind = declared or ("Binary" if binary else "Categorical")
            shown = ", ".join(f"{level}={int(code)}" for level, code in
                              list(codes.items())[:4]) + (", ..." if len(codes) > 4 else "")
            note = f"{name}: text coded {shown}"
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    finite = numbers[np.isfinite(numbers)]
    if kind is None:
        kind = infer_type(finite) if len(finite) else "Numerical"
    elif len(finite):
        actual = effective_type(finite, kind)
        if actual != kind:
            note = f"{name}: given {kind}, scored as {actual} (its values rule {kind} out)"
            kind = actual
    return numbers, kind, note


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DirectionResult:
    """The direction between two variables.

    ``verdict`` is the most probable of ``"X -> Y"``, ``"Y -> X"`` (with the variables'
    names) and ``"neither"``; the probabilities are calibrated on held-out generated pairs;
    ``score`` is the model's antisymmetric score (positive: X causes Y).
    """

    x: str
    y: str
    verdict: str
    p_x_to_y: float
    p_y_to_x: float
    p_neither: float
    score: float
    x_type: str
    y_type: str
    n_rows: int
    n_dropped: int
    note: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"verdict: {self.verdict}",
                 f"P({self.x} -> {self.y}) = {self.p_x_to_y:.3f}",
                 f"P({self.y} -> {self.x}) = {self.p_y_to_x:.3f}",
                 f"P(neither) = {self.p_neither:.3f}",
                 f"score = {self.score:+.4f} (positive: {self.x} -> {self.y})",
                 f"types: {self.x} {self.x_type}, {self.y} {self.y_type}; {self.n_rows} rows"
                 + (f" ({self.n_dropped} with a missing value dropped)" if self.n_dropped
                    else "")]
        if self.note:
            lines.append(f"note: {self.note}")
        return "\n".join(lines)


def _verdict(x: str, y: str, p: np.ndarray) -> str:
    if not np.all(np.isfinite(p)):
        return ""
    # Ties (only exact ones) go to "neither", then to no direction over the other: the
    # verdict of (y, x) is then the mirror of that of (x, y).
    if p[2] >= p[0] and p[2] >= p[1]:
        return "neither"
    if p[0] == p[1]:
        return "neither"
    return f"{x} -> {y}" if p[0] > p[1] else f"{y} -> {x}"


# --------------------------------------------------------------------------------------------
# Pairs of prepared columns to feature rows
# --------------------------------------------------------------------------------------------

@dataclass
class _Column:
    name: str
    values: np.ndarray | None
    kind: str | None
    note: str | None
    problem: str | None = None


def _pair_rows(a: _Column, b: _Column, max_rows: int | None):
    """The complete rows of two columns: ``(x, y, n_dropped, note)``; x is None (and note the
    reason) when the pair cannot be scored."""
    if a.problem or b.problem:
        return None, None, 0, a.problem or b.problem
    keep = np.isfinite(a.values) & np.isfinite(b.values)
    n_dropped = int(len(keep) - keep.sum())
    x, y = a.values[keep], b.values[keep]
    if len(x) < _min_rows():
        return None, None, n_dropped, (f"{len(x)} rows with both values present; at least "
                                       f"{_min_rows()} needed")
    notes = [n for n in (a.note, b.note) if n]
    if max_rows is not None and len(x) > max_rows:
        rng = np.random.default_rng(_SUBSAMPLE_SEED)
        chosen = np.sort(rng.choice(len(x), size=max_rows, replace=False))
        x, y = x[chosen], y[chosen]
        notes.append(f"scored on a random {max_rows} of its {int(keep.sum())} rows")
    return x, y, n_dropped, "; ".join(notes) or None


def _score_pairs(model: DirectionModel, rows: list[tuple], *, n_jobs: int, progress,
                 backend: str = "joblib", chunk_size: int = DIRECTION_CHUNK_SIZE,
                 engine: str = "numba"):
    """Scores and probabilities of ``(id, x, y, x_type, y_type)`` rows, in order; the
    extraction report (degenerate and crashed pairs have NaN rows)."""
    from .factory.extract import ExtractionReport, iter_feature_blocks
    from .io import Pair

    report = ExtractionReport()
    if not rows:
        return np.empty(0), np.empty((0, 3)), report
    pairs = [Pair(sid, x, y) for sid, x, y, _, _ in rows]
    info = pd.DataFrame({"A type": [r[3] for r in rows], "B type": [r[4] for r in rows]},
                        index=pd.Index([r[0] for r in rows], name="SampleID"))
    columns = list(model.model.feature_set.columns)
    scores, probabilities = [], []
    blocks = iter_feature_blocks(pairs, info, model.model.feature_set, n_jobs=n_jobs,
                                 chunk_size=chunk_size, backend=backend, progress=progress,
                                 report=report, engine=engine)
    for ids, matrix in blocks:
        frame = pd.DataFrame(matrix, index=ids, columns=columns, copy=False)
        s, p = model.scores_and_probabilities(frame)
        scores.append(s)
        probabilities.append(p)
    return np.concatenate(scores), np.vstack(probabilities), report


# --------------------------------------------------------------------------------------------
# The public functions
# --------------------------------------------------------------------------------------------

def _name_of(values, given: str | None, default: str) -> str:
    if given is not None:
        return str(given)
    name = getattr(values, "name", None)
    return str(name) if name is not None else default


def _engine_for_one_pair(engine: str, feature_set, n_rows: int) -> str:
    """``engine`` itself, or for ``"auto"``: Numba when its cache holds the set's kernels or the
    pair is too long for the reference engine to be quicker than compiling; else the reference
    engine (see :data:`REFERENCE_ENGINE_MAX_ROWS`)."""
    if engine not in ENGINE_CHOICES:
        raise ValueError(f"engine must be one of {ENGINE_CHOICES}, got {engine!r}")
    if engine != "auto":
        return engine
    from .factory import kernel_cache

    if n_rows > REFERENCE_ENGINE_MAX_ROWS or kernel_cache.is_warm(feature_set):
        return "numba"
    return "reference"


def direction(x, y, *, x_type: str | None = None, y_type: str | None = None,
              x_name: str | None = None, y_name: str | None = None, model=None,
              max_rows: int | None = DEFAULT_MAX_ROWS, engine: str = "auto") -> DirectionResult:
    """The causal direction between two variables observed together.

    Parameters
    ----------
    x, y : array-like or pandas.Series
        The two variables, one value per row (numbers, booleans or text; missing values
        allowed: rows where either is missing are dropped).
    x_type, y_type : str, optional
        ``Numerical``, ``Categorical`` or ``Binary``; inferred when omitted (see the module).
    x_name, y_name : str, optional
        Names shown in the verdict (default: a Series' name, else ``X`` and ``Y``).
    model : path or DirectionModel, optional
        A calibrated model directory; default the shipped model.
    max_rows : int or None
        Subsample longer pairs to this many rows (None: never).
    engine : {"auto", "numba", "reference"}
        How the features are computed. ``"auto"``: the compiled Numba kernels, except on a
        first call, before they are compiled and cached, for a pair of at most
        :data:`REFERENCE_ENGINE_MAX_ROWS` rows: then the reference engine answers at once
        (same features to ~1e-13; the note says so) instead of compiling for 25-100 s.

    Returns
    -------
    DirectionResult
        The verdict, P(X->Y), P(Y->X), P(neither), the score, the types and the rows used.

    Raises
    ------
    InvalidInputError
        Lengths differ, fewer than 10 complete rows, a constant variable, a column that is
        neither numeric nor categorical, an unknown type.
    """
    x_name, y_name = _name_of(x, x_name, "X"), _name_of(y, y_name, "Y")
    if x_name == y_name:
        y_name = f"{y_name} (2)"
    x_values, y_values = _values(x, x_name), _values(y, y_name)
    if len(x_values) != len(y_values):
        raise InvalidInputError(f"{x_name} and {y_name} differ in length: {len(x_values)} vs "
                                f"{len(y_values)}")
    a = _Column(x_name, *prepare_column(x_values, x_name, x_type))
    b = _Column(y_name, *prepare_column(y_values, y_name, y_type))
    model = _as_model(model)
    xs, ys, n_dropped, note = _pair_rows(a, b, max_rows)
    if xs is None:
        raise InvalidInputError(f"{x_name} and {y_name}: {note}")
    for column, values in ((x_name, xs), (y_name, ys)):
        if values.min() == values.max():
            raise InvalidInputError(f"{column}: constant on the {len(values)} complete rows; "
                                    "a constant carries no information about direction")
    chosen = _engine_for_one_pair(engine, model.model.feature_set, len(xs))
    if chosen == "reference":
        why = " (Numba's kernels not compiled yet)" if engine == "auto" else ""
        note = "; ".join(filter(None, [note, f"features by the reference engine{why}"]))
    engine = chosen
    with warnings.catch_warnings():
        # Both types are settled above; a retyping note is in the result, not a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        scores, proba, report = _score_pairs(model, [("pair", xs, ys, a.kind, b.kind)],
                                             n_jobs=1, progress=None, backend="serial",
                                             engine=engine)
    p = proba[0]
    return DirectionResult(x_name, y_name, _verdict(x_name, y_name, p), float(p[0]), float(p[1]),
                           float(p[2]), float(scores[0]), a.kind, b.kind, int(len(xs)),
                           n_dropped, note)


def _values(values, name: str) -> pd.Series:
    """Values as a Series with a plain index (a Series' own index would align x with y)."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidInputError(f"{name}: expected one-dimensional values, got shape "
                                f"{array.shape}")
    return pd.Series(array)


#: The columns of :func:`direction_table`'s result, in order.
TABLE_COLUMNS = ("x", "y", "verdict", "p_x_to_y", "p_y_to_x", "p_neither", "score", "x_type",
                 "y_type", "n_rows", "n_dropped", "note")


def direction_table(table: pd.DataFrame, *, columns=None, types: Mapping[str, str] | None = None,
                    model=None, n_jobs: int | None = None, max_rows: int | None = DEFAULT_MAX_ROWS,
                    progress: Callable[[int], object] | None = None,
                    backend: str = "joblib") -> pd.DataFrame:
    """The causal direction between every pair of columns of a table, ranked.

    Parameters
    ----------
    table : pandas.DataFrame
        One variable per column.
    columns : list of str, optional
        The columns to pair (default all).
    types : mapping, optional
        Column name -> ``Numerical``, ``Categorical`` or ``Binary``; the others are inferred.
    model : path or DirectionModel, optional
        A calibrated model directory; default the shipped model.
    n_jobs : int or None
        Worker processes for the features (None: the default, 1 unless ``CAUSEPAIRS_N_JOBS``
        says otherwise; -1: all cores; see :mod:`causepairs.defaults`); the result does not
        depend on it.
    max_rows : int or None
        Subsample longer pairs to this many rows (None: never).
    progress : callable, optional
        Called with the number of pairs finished.
    backend : str
        Where the features are computed (see :func:`causepairs.execution.map_ordered`).

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair of columns (:data:`TABLE_COLUMNS`), oriented so that
        ``x -> y`` is the more probable direction (``p_x_to_y >= p_y_to_x``), sorted by
        ``p_x_to_y``, highest first. A pair that cannot be scored (a bad column, too few
        complete rows, a constant variable, a crash) has NaN probabilities and score, an
        empty verdict and the reason in ``note``; such rows come last. ``attrs["n_failed"]``
        counts them.
    """
    if not isinstance(table, pd.DataFrame):
        raise InvalidInputError("direction_table expects a pandas DataFrame")
    names = list(table.columns) if columns is None else list(columns)
    missing = [c for c in names if c not in table.columns]
    if missing:
        raise InvalidInputError(f"no column {missing[0]!r} in the table (columns: "
                                f"{', '.join(map(str, table.columns))})")
    if len(set(map(str, names))) != len(names):
        raise InvalidInputError("the table's column names must be distinct")
    if len(names) < 2:
        raise InvalidInputError(f"the table needs at least two columns to pair, got {len(names)}")
    types = dict(types or {})
    unknown = [c for c in types if c not in names]
    if unknown:
        raise InvalidInputError(f"a type is given for {unknown[0]!r}, which is not a column "
                                "being paired")
    model = _as_model(model)
    prepared = []
    for name in names:
        try:
            prepared.append(_Column(str(name), *prepare_column(table[name].reset_index(drop=True),
                                                               str(name), types.get(name))))
        except InvalidInputError as exc:
            # Pairs with a bad column get NaN rows naming the problem; the rest are scored.
            prepared.append(_Column(str(name), None, None, None, str(exc)))
            continue
        column = prepared[-1]
        levels = len(np.unique(column.values[np.isfinite(column.values)]))
        if levels < 2:
            column.problem = (f"column {column.name!r}: " + ("no values" if levels == 0 else
                              "constant (one value); it carries no information about direction"))

    rows, records = [], []
    for i in range(len(prepared)):
        for j in range(i + 1, len(prepared)):
            a, b = prepared[i], prepared[j]
            xs, ys, n_dropped, note = _pair_rows(a, b, max_rows)
            records.append({"x": a.name, "y": b.name, "x_type": a.kind, "y_type": b.kind,
                            "n_rows": 0 if xs is None else len(xs), "n_dropped": n_dropped,
                            "note": note, "scored": xs is not None})
            if xs is not None:
                rows.append((f"p{len(records) - 1}", xs, ys, a.kind, b.kind))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # counted from the report below
        scores, proba, report = _score_pairs(model, rows, n_jobs=n_jobs, progress=progress,
                                             backend=backend)
    failed_ids = set(report.degenerate) | set(report.crashed)
    by_id = {sid: k for k, (sid, *_rest) in enumerate(rows)}
    out = []
    for index, record in enumerate(records):
        row = {k: record[k] for k in ("x", "y", "x_type", "y_type", "n_rows", "n_dropped",
                                      "note")}
        k = by_id.get(f"p{index}")
        s, p = (scores[k], proba[k]) if k is not None else (np.nan, np.full(3, np.nan))
        if k is not None and (f"p{index}" in failed_ids or not np.isfinite(s)):
            reason = ("its computation crashed" if f"p{index}" in report.crashed
                      else "degenerate (a variable constant on the complete rows)")
            row["note"] = "; ".join(n for n in (row["note"], reason) if n)
            s, p = np.nan, np.full(3, np.nan)
        if np.isfinite(s) and p[1] > p[0]:
            # Oriented towards the more probable direction: exact, by antisymmetry.
            row.update(x=record["y"], y=record["x"], x_type=record["y_type"],
                       y_type=record["x_type"])
            s, p = -s, p[[1, 0, 2]]
        row.update(verdict=_verdict(row["x"], row["y"], p), p_x_to_y=float(p[0]),
                   p_y_to_x=float(p[1]), p_neither=float(p[2]), score=float(s))
        out.append(row)
    result = pd.DataFrame(out, columns=list(TABLE_COLUMNS))
    result = result.sort_values("p_x_to_y", ascending=False, na_position="last",
                                kind="mergesort").reset_index(drop=True)
    result.attrs["n_failed"] = int(result["score"].isna().sum())
    return result


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

def read_table(path) -> pd.DataFrame:
    """A CSV or Parquet table (Parquet: a ``.parquet``/``.pq`` file or a folder of parts)."""
    path = Path(path)
    if not path.exists():
        raise CausepairsError(f"{path}: no such file")
    parquet = path.is_dir() or path.suffix.lower() in (".parquet", ".pq")
    try:
        table = pd.read_parquet(path) if parquet else pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        kind = "Parquet" if parquet else "CSV"
        raise CausepairsError(f"{path}: not a readable {kind} table "
                              f"({' '.join(str(exc).split())})") from None
    if table.shape[1] == 0 or len(table) == 0:
        raise CausepairsError(f"{path}: the table is empty ({len(table)} rows, "
                              f"{table.shape[1]} columns)")
    return table

