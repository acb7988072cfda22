"""Declarative end-to-end runs: ``causepairs run PIPELINE.toml``.

A pipeline file declares the data (generated, with the generator's settings, or challenge
files), the feature set, the model and its candidates, the evaluation, the benchmark folders
to score the final model on and the outputs; :func:`run_pipeline` runs the steps

    data:train, data:heldout -> features:train, features:heldout -> evaluate -> train
    -> predict -> features:benchmark:SET -> report

and writes everything under one output directory::

    data/            generated challenge files (TRAIN_pairs.csv, ...)
    features/        one Parquet directory per data set (resumable parts), and per
                     benchmark set under features/benchmark/
    evaluation/      per-candidate cross-validation results (JSON, out-of-fold scores)
    model/           the final model (LightGBM text + metadata.json)
    submission.csv   SampleID,Target scores of the held-out set
    report/          report.md, report.json, roc.png, importance.png; with benchmark
                     folders also benchmark.csv (the table) and benchmark_scores.json
    pipeline_state.json   the finished steps, each with the fingerprint of its inputs

Resuming: each step has a fingerprint (its settings and the fingerprints of the steps it
reads); a rerun skips a finished step whose fingerprint is unchanged and whose outputs are
still there, and a feature step interrupted half-way resumes from its finished parts. Change
a setting and exactly the steps downstream of it run again.

Steps: each step is a function ``step(context)`` over a :class:`RunContext` (the settings,
the output folder, the worker count, the log, the step bookkeeping, and in ``context.results``
what the steps before it produced), listed in order in :data:`STEPS`, the one place to add a
step. A step records work to skip on a rerun with ``context.step(name, fingerprint, outputs,
work)``. The final fit is :func:`causepairs.model.train_model`, the same function
``causepairs train`` calls; the report is assembled by
:func:`causepairs.report.pipeline_report` from a :class:`causepairs.report.PipelineRun`.

Choosing the model by evidence: every candidate (e.g. one per formulation, or per
regularisation) is cross-validated twice, ordinarily (stratified K-fold) and grouped by
generator family (no mechanism, or noise, family is in both the training and the scoring
folds), and by default the one with the best *grouped* score is fitted on all training pairs.
The ordinary score measures fit to our own generator; the grouped one is the closer estimate
of how the model fares on pairs that no generator made.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import __version__
from .defaults import FEATURE_CHUNK_SIZE, FOLDS, GROUP_FOLDS, n_jobs_problem, resolve_n_jobs
from .errors import CausepairsError
from .io import atomic_path
from .parts import read_features

__all__ = ["DataSpec", "PipelineError", "PipelineSpec", "PipelineResult", "RunContext",
           "RunResults", "STEPS", "Step", "builtin_pipelines", "load_pipeline", "run_pipeline"]


class PipelineError(CausepairsError):
    """A pipeline file that cannot be run: unknown key, wrong type, missing file."""


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------

SELECT_BY = ("grouped", "cv")


def _generator_fields() -> tuple[str, ...]:
    """The settings a [generator] table may give: the fields of GeneratorConfig, read from the
    dataclass itself so that a new setting needs no change here."""
    from .synth.config import GeneratorConfig

    return tuple(f.name for f in dataclasses.fields(GeneratorConfig))


def _model_param_names() -> tuple[str, ...]:
    """The CausalDirectionModel parameters a [model] table or a candidate may set: all of its
    constructor's (read from the model), ``n_jobs`` excepted (``[pipeline] n_jobs`` sets it
    for every step; results do not depend on it)."""
    from .model import PARAMETERS

    return ("feature_set", *(n for n in PARAMETERS if n != "n_jobs"))


@dataclass(frozen=True)
class DataSpec:
    """One data set: generated (``n_pairs``, ``seed``, ``prefix`` and the generator's
    ``config``) or read from challenge files."""

    name: str
    generate: dict | None = None
    config: Any = None
    #: The generator settings the file gives ([generator], then the set's own), for the report.
    generator_settings: dict = field(default_factory=dict)
    pairs: Path | None = None
    publicinfo: Path | None = None
    target: Path | None = None
    recipes: Path | None = None

    @property
    def prefix(self) -> str:
        return (self.generate or {}).get("prefix", self.name)


@dataclass(frozen=True)
class PipelineSpec:
    """A parsed, validated pipeline file (see :func:`load_pipeline`)."""

    name: str
    source: str
    description: str
    out: Path
    #: Worker processes and LightGBM threads (None: the rule of causepairs.defaults).
    n_jobs: int | None
    train: DataSpec
    heldout: DataSpec | None
    feature_set: str
    chunk_size: int
    model: dict
    candidates: dict[str, dict]
    folds: int
    group_by: tuple[str, ...]
    group_folds: int
    select_by: str
    submission: str = "submission.csv"
    report: str = "report"
    seed: int = 0
    backend: str = "joblib"
    scheduler: str | None = None
    #: Benchmark folders (or folders of them) the final model is scored on, and where the
    #: published methods' scores are (None: a baseline_results folder beside the sets).
    benchmark_dirs: tuple[Path, ...] = ()
    baselines: Path | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def _builtin_folder() -> Path:
    installed = resources.files("causepairs") / "_pipelines"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[1] / "pipelines"


def builtin_pipelines() -> list[str]:
    """Names of the pipelines shipped with causepairs (``pipelines/*.toml``)."""
    folder = _builtin_folder()
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


class _Table:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, source: str, where: str, values: Any):
        if not isinstance(values, dict):
            raise PipelineError(f"{source}: [{where}] must be a table")
        self.source, self.where, self.values = source, where, dict(values)
        self._used: set[str] = set()

    def _fail(self, key: str, problem: str) -> PipelineError:
        where = f"[{self.where}] " if self.where else ""
        return PipelineError(f"{self.source}: {where}{key}: {problem}")

    def get(self, key: str, kind, default=None, *, required: bool = False):
        self._used.add(key)
        if key not in self.values:
            if required:
                raise self._fail(key, "is required")
            return default
        value = self.values[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self._fail(key, f"expected {'/'.join(k.__name__ for k in kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise self._fail(key, f"expected {'/'.join(k.__name__ for k in kinds)}, got {value!r}")
        return value

    def table(self, key: str) -> "_Table | None":
        self._used.add(key)
        if key not in self.values:
            return None
        return _Table(self.source, f"{self.where}.{key}" if self.where else key,
                      self.values[key])

    def done(self) -> None:
        unknown = sorted(set(self.values) - self._used)
        if unknown:
            raise self._fail(unknown[0], "unknown key")


def _positive(table: _Table, key: str, default: int | None, minimum: int = 1) -> int:
    value = table.get(key, int, default)
    if value is None or value < minimum:
        raise table._fail(key, f"expected an integer >= {minimum}, got {value!r}")
    return value


def _model_params(table: _Table, base: Path) -> dict:
    """The model parameters of a [model] table or a candidate, each checked by the model's
    own rule; ``feature_set`` stays a name or an absolute path (loaded by the run)."""
    from .model import parameter_problem

    names = _model_param_names()
    params = {}
    for key in list(table.values):
        if key == "n_jobs":
            table._used.add(key)
            raise table._fail(key, "set the worker count with [pipeline] n_jobs or --n-jobs "
                                   "(results do not depend on it)")
        if key not in names:
            continue  # reported by table.done() as an unknown key
        if key == "feature_set":
            params[key] = _feature_set_ref(table.get(key, str), base)
            continue
        table._used.add(key)
        value = table.values[key]
        problem = parameter_problem(key, value)
        if problem is not None:
            where = f"[{table.where}] " if table.where else ""
            raise PipelineError(f"{table.source}: {where}{problem}")
        params[key] = value
    return params


def _feature_set_ref(value: str, base: Path) -> str:
    """A feature set's name, or its path made absolute from the pipeline file's folder."""
    path = Path(value)
    if path.suffix == ".toml" or len(path.parts) > 1:
        return str(path if path.is_absolute() else base / path)
    return value


def _load_set(source: str, where: str, reference: str):
    from .factory.spec import load_feature_set

    try:
        return load_feature_set(reference)
    except CausepairsError as exc:
        raise PipelineError(f"{source}: [{where}] {' '.join(str(exc).split())}") from None


def _check_model_set(source: str, where: str, model_set, computed) -> None:
    """A model's feature set must read columns that the pipeline computes, computed the same
    way (the cross-fitted columns depend on the folds too)."""
    if (model_set.n_folds, model_set.fold_seed) != (computed.n_folds, computed.fold_seed):
        raise PipelineError(
            f"{source}: [{where}] feature_set {model_set.name!r}: its folds (n_folds "
            f"{model_set.n_folds}, seed {model_set.fold_seed}) differ from those of [features] "
            f"set {computed.name!r} ({computed.n_folds}, {computed.fold_seed}), so its columns "
            "would be computed differently")
    missing = [c for c in model_set.columns if c not in computed.column_index]
    if missing:
        raise PipelineError(
            f"{source}: [{where}] feature_set {model_set.name!r}: column {missing[0]} is not "
            f"computed by [features] set {computed.name!r} ({len(missing)} missing); a model's "
            "columns must be a subset of the computed ones")


def _generator_settings(table: _Table) -> dict:
    """The GeneratorConfig fields a table gives (other keys are left for ``done``)."""
    fields = _generator_fields()
    settings = {}
    for key in table.values:
        if key in fields:
            table._used.add(key)
            settings[key] = table.values[key]
    return settings


def _unknown_generator_key(table: _Table) -> None:
    unknown = sorted(set(table.values) - table._used)
    if unknown:
        raise table._fail(unknown[0], "unknown key; the generator's settings are "
                                      + ", ".join(_generator_fields()))


def _generator_config(source: str, where: str, settings: dict):
    """``GeneratorConfig(**settings)``, its own message re-raised as one line naming the file."""
    from .synth.config import GeneratorConfig

    try:
        return GeneratorConfig(**settings)
    except (TypeError, ValueError) as exc:
        raise PipelineError(f"{source}: [{where}] {' '.join(str(exc).split())}") from None


def _data_spec(source: str, base: Path, name: str, table: _Table,
               generator: dict) -> DataSpec:
    generate = table.table("generate")
    if generate is not None:
        params = {"n_pairs": _positive(generate, "n_pairs", None),
                  "seed": _positive(generate, "seed", None, minimum=0),
                  "prefix": _plain_name(generate, "prefix", generate.get("prefix", str, name))}
        # The set's own generator settings override the pipeline's [generator] ones.
        own = _generator_settings(generate)
        _unknown_generator_key(generate)
        table.done()
        settings = {**generator, **own}
        config = _generator_config(source, f"data.{name}.generate" if own else "generator",
                                   settings)
        return DataSpec(name, generate=params, config=config, generator_settings=settings)
    paths = {}
    for key in ("pairs", "publicinfo", "target", "recipes"):
        value = table.get(key, str)
        if value is not None:
            path = Path(value)
            paths[key] = path if path.is_absolute() else base / path
    table.done()
    for key in ("pairs", "publicinfo"):
        if key not in paths:
            raise PipelineError(f"{source}: [data.{name}] needs either a [data.{name}.generate] "
                                f"table or the files pairs and publicinfo")
    for key, path in paths.items():
        if not path.is_file():
            raise PipelineError(f"{source}: [data.{name}] {key}: no such file: {path}")
    return DataSpec(name, **paths)


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _plain_name(table: _Table, key: str, value: str, what: str = "a plain file name") -> str:
    """``value``, which becomes a file name under ``out``: no path, so it cannot escape it."""
    if not _PLAIN_NAME.fullmatch(value) or value in (".", ".."):
        raise table._fail(key, f"{value!r} must be {what}: letters, digits, '_', '-' or '.', "
                               "no '/' (it names a file in the output directory)")
    return value


def _inside_out(table: _Table, key: str, value: str) -> str:
    """A path under ``out`` (no ``..``), or an absolute path: the user's explicit choice."""
    path = Path(value)
    if not value or (not path.is_absolute() and ".." in path.parts):
        raise table._fail(key, f"{value!r} would leave the output directory; give a path "
                               "inside it (no '..'), or an absolute path")
    return value


def load_pipeline(name_or_path) -> PipelineSpec:
    """Read and validate a pipeline: a built-in name (``demo``, ``full``) or a TOML path.

    File paths inside it are relative to the file; the output directory (``[pipeline] out``)
    is relative to the current working directory.
    """
    path = Path(str(name_or_path))
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise PipelineError(f"{path}: pipeline file not found")
        source, base = str(path), path.resolve().parent
        text = path.read_text(encoding="utf-8")
    else:
        resource = _builtin_folder() / f"{name_or_path}.toml"
        if not resource.is_file():
            known = ", ".join(builtin_pipelines()) or "none installed"
            raise PipelineError(f"unknown pipeline {name_or_path!r}; built-in: {known}; "
                                "or give a path to a .toml file")
        source, base = f"pipelines/{name_or_path}.toml", Path.cwd()
        text = resource.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{source}: not valid TOML: {exc}") from None

    root = _Table(source, "", raw)
    head = root.table("pipeline") or _Table(source, "pipeline", {})
    name = head.get("name", str, path.stem)
    description = head.get("description", str, "")
    out = head.get("out", str)
    if out is None:
        # The name becomes a folder under runs/: it must not climb out of it.
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise head._fail("name", f"{name!r} names the output folder runs/{name}: no '/', "
                                     "'\\', '.' or '..'; or set [pipeline] out")
        out = f"runs/{name}"
    out = Path(out)
    n_jobs = head.get("n_jobs", int)
    if n_jobs_problem(n_jobs) is not None:
        raise head._fail("n_jobs", f"expected N > 0 workers, -1 for all cores or -2 for all but "
                                   f"one, got {n_jobs}")
    seed = head.get("seed", int, 0)
    backend = head.get("backend", str, "joblib")
    if backend not in ("joblib", "dask"):
        raise head._fail("backend", f"expected 'joblib' or 'dask', got {backend!r}")
    scheduler = head.get("scheduler", str)
    if scheduler is not None and backend != "dask":
        raise head._fail("scheduler", "needs backend = 'dask'")
    head.done()

    # Settings of the generator for every generated data set; a set's generate table may
    # override them.
    generator_table = root.table("generator") or _Table(source, "generator", {})
    generator = _generator_settings(generator_table)
    _unknown_generator_key(generator_table)
    _generator_config(source, "generator", generator)

    data = root.table("data")
    if data is None:
        raise PipelineError(f"{source}: a [data.train] table is required")
    train_table = data.table("train")
    if train_table is None:
        raise PipelineError(f"{source}: a [data.train] table is required")
    train = _data_spec(source, base, "train", train_table, generator)
    heldout_table = data.table("heldout")
    heldout = (_data_spec(source, base, "heldout", heldout_table, generator)
               if heldout_table else None)
    data.done()
    if train.generate is None and train.target is None:
        raise PipelineError(f"{source}: [data.train] needs a target file to train on")
    if heldout is not None and train.prefix == heldout.prefix:
        raise PipelineError(f"{source}: [data.train] and [data.heldout] need different "
                            f"prefixes (both are {train.prefix!r})")

    features = root.table("features") or _Table(source, "features", {})
    feature_set = _feature_set_ref(features.get("set", str, "fast"), base)
    chunk_size = _positive(features, "chunk_size", FEATURE_CHUNK_SIZE)
    features.done()
    computed_set = _load_set(source, "features", feature_set)

    model_table = root.table("model") or _Table(source, "model", {})
    model = _model_params(model_table, base)
    model_table.done()

    evaluation = root.table("evaluation") or _Table(source, "evaluation", {})
    folds = _positive(evaluation, "folds", FOLDS, minimum=2)
    group_by = tuple(evaluation.get("group_by", list, []))
    if not all(isinstance(g, str) for g in group_by):
        raise evaluation._fail("group_by", "expected a list of recipe column names")
    group_folds = evaluation.get("group_folds", int, GROUP_FOLDS)
    if group_folds == 1 or group_folds < 0:
        raise evaluation._fail("group_folds", "expected 0 (leave one group out) or >= 2")
    select_by = evaluation.get("select_by", str, "grouped" if group_by else "cv")
    if select_by not in SELECT_BY:
        raise evaluation._fail("select_by", f"expected one of {SELECT_BY}, got {select_by!r}")
    if select_by == "grouped" and not group_by:
        raise evaluation._fail("select_by", "'grouped' needs group_by")
    candidates_table = evaluation.table("candidates")
    candidates: dict[str, dict] = {}
    if candidates_table is not None:
        for cand_name in list(candidates_table.values):
            _plain_name(candidates_table, cand_name, cand_name, what="a candidate name")
            cand = candidates_table.table(cand_name)
            candidates[cand_name] = _model_params(cand, base)
            cand.done()
        candidates_table.done()
    evaluation.done()
    if not candidates:
        candidates = {"model": {}}
    if group_by and train.generate is None and train.recipes is None:
        raise PipelineError(f"{source}: [evaluation] group_by needs the training recipes: "
                            "generate the training set, or give [data.train] recipes")

    outputs = root.table("outputs") or _Table(source, "outputs", {})
    submission = _inside_out(outputs, "submission",
                             outputs.get("submission", str, "submission.csv"))
    report = _inside_out(outputs, "report", outputs.get("report", str, "report"))
    outputs.done()

    benchmark = root.table("benchmark") or _Table(source, "benchmark", {})
    dirs = benchmark.get("dirs", list, [])
    if not all(isinstance(d, str) and d for d in dirs):
        raise benchmark._fail("dirs", "expected a list of folder paths")
    benchmark_dirs = tuple(_benchmark_path(benchmark, "dirs", d, base) for d in dirs)
    baselines = benchmark.get("baselines", str)
    if baselines is not None:
        baselines = _benchmark_path(benchmark, "baselines", baselines, base)
    benchmark.done()
    root.done()

    # Each candidate's columns: the computed set's, or a subset of them.
    for where, params in [("model", model), *((f"evaluation.candidates.{n}", p)
                                              for n, p in candidates.items())]:
        if "feature_set" in params:
            _check_model_set(source, where, _load_set(source, where, params["feature_set"]),
                             computed_set)
    return PipelineSpec(name=name, source=source, description=description, out=out,
                        n_jobs=n_jobs, train=train, heldout=heldout, feature_set=feature_set,
                        chunk_size=chunk_size, model=model, candidates=candidates, folds=folds,
                        group_by=group_by, group_folds=group_folds, select_by=select_by,
                        submission=submission, report=report, seed=seed, backend=backend,
                        scheduler=scheduler, benchmark_dirs=benchmark_dirs,
                        baselines=baselines, raw=raw)


def _benchmark_path(table: _Table, key: str, value: str, base: Path) -> Path:
    path = Path(value)
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise table._fail(key, f"no such file or folder: {path}")
    return path


# --------------------------------------------------------------------------------------------
# Step bookkeeping
# --------------------------------------------------------------------------------------------

def _fingerprint(*parts) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _drop_parts_of_other_code(out: Path, feature_set) -> None:
    """Delete the step's part store if other code computed it, so the step starts it again.

    A features step reruns when its fingerprint changed; parts whose manifest records another
    causepairs version, ``FEATURE_CODE_VERSION``, feature set or type rule hold values of the
    old code and must not be resumed. The pipeline owns the directory, so it recomputes it
    (``causepairs features --out``, whose directory is the user's, refuses instead). Parts of
    the same code are kept: an edited input recomputes only the chunks that changed.
    """
    import shutil

    from .factory.extract import feature_code_identity
    from .parts import read_store_facts

    facts = read_store_facts(out)
    if facts is None:
        return
    manifest, _ = facts
    if any(manifest.get(k) != v for k, v in feature_code_identity(feature_set).items()):
        shutil.rmtree(out)


def _file_stamp(path: Path) -> list:
    """A file's identity for a step's fingerprint: its path and a digest of its bytes.

    Its content, not its modification time: an edit that keeps the time (a copy with ``cp -p``,
    a restore from an archive) must still redo the steps that read the file. Hashing runs at
    ~1 GB/s, small next to the validation that reads the same bytes.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return [str(path.resolve()), digest.hexdigest()]


class _State:
    """``pipeline_state.json``: finished steps with their fingerprints, outputs and times."""

    def __init__(self, path: Path):
        self.path = path
        self.steps: dict[str, dict] = {}
        if path.is_file():
            try:
                self.steps = json.loads(path.read_text(encoding="utf-8")).get("steps", {})
            except (json.JSONDecodeError, AttributeError):
                self.steps = {}  # an unreadable state only costs a rerun

    def finished(self, step: str, key: str, outputs: list[Path]) -> bool:
        entry = self.steps.get(step)
        return (entry is not None and entry.get("key") == key
                and all(Path(p).exists() for p in outputs))

    def record(self, step: str, key: str, seconds: float, **extra) -> None:
        self.steps[step] = {"key": key, "seconds": round(seconds, 3), **extra}
        with atomic_path(self.path) as tmp:
            Path(tmp).write_text(json.dumps({"causepairs": __version__, "steps": self.steps},
                                            indent=2) + "\n", encoding="utf-8")


@dataclass
class PipelineResult:
    """What a run produced: paths, the chosen candidate and the headline scores."""

    out: Path
    steps_run: list[str]
    steps_skipped: list[str]
    chosen: str
    candidates: pd.DataFrame
    cv_auc: float
    heldout_auc: float | None
    paths: dict[str, Path]
    #: The benchmark table (:func:`causepairs.benchmark.score_table`), when folders were given.
    benchmark: pd.DataFrame | None = None


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------

@dataclass
class _Data:
    """A materialised data set: its files and its fingerprint."""

    spec: DataSpec
    pairs: Path
    publicinfo: Path
    target: Path | None
    recipes: Path | None
    key: str


def _file_name(name: str) -> str:
    """A set name as a file name: itself when plain, else made plain with a digest of it
    (so two names that differ only in odd characters stay apart)."""
    if _PLAIN_NAME.fullmatch(name) and name not in (".", ".."):
        return name
    plain = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return f"{plain}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@dataclass
class RunContext:
    """What every step of a run reads and writes: the settings, where the outputs go, how the
    work runs, the step bookkeeping, and (in ``results``) what earlier steps produced.

    A step is a function ``step(context) -> None`` listed in :data:`STEPS`; it reads what the
    steps before it left in ``results`` and adds its own. Work that should be skipped when its
    inputs did not change goes through :meth:`step`, with a fingerprint of those inputs.
    """

    spec: PipelineSpec
    out: Path
    #: Worker processes and LightGBM threads, as asked (None: the default of
    #: :func:`causepairs.defaults.resolve_n_jobs`); results do not depend on it.
    n_jobs: int | None
    #: Where feature chunks run (``backend``, and ``client`` for Dask); the results are the
    #: same bits either way, so the step fingerprints leave it out.
    execution: dict
    quiet: bool
    log: Callable[[str], Any]
    benchmark_dirs: tuple[Path, ...] = ()
    baselines: Path | None = None
    state: _State = field(init=False)
    results: "RunResults" = field(init=False)
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.state = _State(self.out / "pipeline_state.json")
        self.results = RunResults()

    def step(self, name: str, key: str, outputs: list[Path],
             work: Callable[[], dict | None]) -> dict:
        """Run ``work`` unless step ``name`` finished before with the same ``key`` and its
        ``outputs`` are all still there; return the step's record (with what ``work``
        returned)."""
        if self.state.finished(name, key, outputs):
            self.skipped.append(name)
            self.log(f"[{name}] up to date, skipped")
            return self.state.steps[name]
        self.log(f"[{name}] running")
        started = time.perf_counter()
        extra = work() or {}
        seconds = time.perf_counter() - started
        self.state.record(name, key, seconds, **extra)
        self.ran.append(name)
        self.log(f"[{name}] done in {seconds:.1f} s")
        return self.state.steps[name]

    def bar(self, total, desc):
        from ._progress import progress_bar

        return progress_bar(total, desc, quiet=self.quiet)


@dataclass
class RunResults:
    """What the steps of a run produced so far (see :class:`RunContext`)."""

    suite: Any = None
    train: _Data | None = None
    heldout: _Data | None = None
    train_target: pd.DataFrame | None = None
    #: The feature set computed for every data set.
    feature_set: Any = None
    #: Per data set name: its feature store and the fingerprint of its features.
    features: dict[str, tuple[Path, str]] = field(default_factory=dict)
    #: The training features, their targets (aligned) and recipe groups.
    X: pd.DataFrame | None = None
    target: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    chosen: str | None = None
    candidates: pd.DataFrame | None = None
    #: Per candidate: its evaluation file's content (schemes, out-of-fold scores, SampleIDs).
    evaluation: dict[str, dict] = field(default_factory=dict)
    model: Any = None
    model_key: str | None = None
    train_record: dict = field(default_factory=dict)
    heldout_scores: pd.Series | None = None
    heldout_target: pd.DataFrame | None = None
    heldout_info: pd.DataFrame | None = None
    heldout_breakdown: Any = None
    benchmark: pd.DataFrame | None = None
    benchmark_scores: pd.Series | None = None
    paths: dict[str, Path] = field(default_factory=dict)


def _model_settings(params: dict, computed) -> tuple[dict, Any, dict]:
    """A candidate's model keyword arguments (``feature_set`` apart), its feature set
    (``computed`` unless it names a subset) and the form of both in a fingerprint: the set's
    hash, not its name or path, so an edited set file counts as a change."""
    from .factory.spec import load_feature_set

    params = dict(params)
    reference = params.pop("feature_set", None)
    if reference is None:
        return params, computed, params
    model_set = load_feature_set(reference)
    return params, model_set, {**params, "feature_set": model_set.hash}


def _extract_step(context: RunContext, name: str, key: str, out: Path, feature_set,
                  pairs, publicinfo, total: int, label: str) -> dict:
    """A features step: the feature store ``out`` of ``pairs``, resumable by parts."""
    from .factory.extract import ExtractionReport, extract_features

    def compute():
        import warnings

        _drop_parts_of_other_code(out, feature_set)
        report = ExtractionReport()
        with context.bar(total, f"features {label}") as bar, \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            extract_features(pairs, publicinfo, feature_set, n_jobs=context.n_jobs,
                             chunk_size=context.spec.chunk_size, out=out, progress=bar.update,
                             report=report, load=False, **context.execution)
        if caught:
            context.log(f"[{name}] warning: {report.summary()}")
        return {"n_pairs": report.n_pairs, "n_columns": len(feature_set),
                "degenerate": len(report.degenerate), "failed_cells": report.failed_cells,
                "crashed": list(report.crashed), "retyped": len(report.retyped)}

    return context.step(name, key, [out / "_complete.json"], compute)


# --------------------------------------------------------------------------------------------
# The steps, in order
# --------------------------------------------------------------------------------------------

def read_benchmark_suite(context: RunContext) -> None:
    """Read the benchmark folders first: a bad one must fail before the long steps."""
    if not context.benchmark_dirs:
        return
    from .benchmark import read_suite

    suite = read_suite(context.benchmark_dirs, baselines=context.baselines)
    for note in suite.notes():
        context.log(f"[benchmark] note: {note}")
    context.results.suite = suite


def _materialise(context: RunContext, spec: DataSpec) -> _Data:
    """Step ``data:NAME``: a data set's files, generated or checked."""
    if spec.generate is None:
        key = _fingerprint("files", [_file_stamp(p) for p in
                                     (spec.pairs, spec.publicinfo, spec.target, spec.recipes)
                                     if p is not None])

        def check():
            from .io import check_dataset

            check_dataset(spec.pairs, spec.publicinfo, spec.target)
            return {"source": "files"}

        context.step(f"data:{spec.name}", key, [spec.pairs, spec.publicinfo], check)
        return _Data(spec, spec.pairs, spec.publicinfo, spec.target, spec.recipes, key)

    from .synth import dataset_paths, write_synthetic_dataset

    params = dict(spec.generate)
    # Every setting of the generator, defaults included: a changed setting, or a changed
    # default, regenerates the data instead of reusing pairs drawn under other settings.
    key = _fingerprint("generate", params, dataclasses.asdict(spec.config), __version__)
    folder = context.out / "data"
    paths = dataset_paths(folder, spec.prefix)

    def generate():
        with context.bar(params["n_pairs"], f"generate {spec.name}") as bar:
            write_synthetic_dataset(folder, params["n_pairs"], params["seed"],
                                    prefix=spec.prefix, config=spec.config,
                                    n_jobs=context.n_jobs, progress=bar.update)
        return {"n_pairs": params["n_pairs"]}

    context.step(f"data:{spec.name}", key, list(paths.values()), generate)
    return _Data(spec, paths["pairs"], paths["publicinfo"], paths["target"],
                 paths["recipes"], key)


def prepare_data(context: RunContext) -> None:
    """Steps ``data:train`` and ``data:heldout``: generate the sets, or check their files."""
    from .io import read_target
    from .model import cv_folds_problem

    spec, results = context.spec, context.results
    results.train = _materialise(context, spec.train)
    # Checked before the features, which take long: the evaluation would fail after them.
    results.train_target = read_target(results.train.target)
    problem = cv_folds_problem(results.train_target["Target"].to_numpy(), spec.folds)
    if problem is not None:
        raise PipelineError(f"{spec.source}: [evaluation] folds = {spec.folds}, training "
                            f"target {results.train.target}: {problem}")
    if spec.heldout is not None:
        results.heldout = _materialise(context, spec.heldout)


def compute_features(context: RunContext) -> None:
    """Steps ``features:train`` and ``features:heldout``: the feature set's columns of each
    data set, in a resumable part store; then the training matrix, targets and groups."""
    from .factory.extract import feature_code_identity
    from .factory.spec import load_feature_set

    spec, results = context.spec, context.results
    feature_set = results.feature_set = load_feature_set(spec.feature_set)
    for data in (results.train, results.heldout):
        if data is None:
            continue
        out = context.out / "features" / f"{data.spec.name}.parquet"
        # The code that computes the values too (package version, FEATURE_CODE_VERSION, type
        # rule): a kernel change must not reuse old parts (the parts also carry a fingerprint
        # of their input, see extract_features).
        key = _fingerprint("features", data.key, spec.chunk_size,
                           feature_code_identity(feature_set))
        total = len(pd.read_csv(data.publicinfo, usecols=[0]))
        _extract_step(context, f"features:{data.spec.name}", key, out, feature_set,
                      data.pairs, data.publicinfo, total, data.spec.name)
        results.features[data.spec.name] = (out, key)

    results.X = read_features(results.features["train"][0])
    results.target = results.train_target.loc[results.X.index]
    results.groups = pd.DataFrame(index=results.X.index)
    if spec.group_by:
        recipes = pd.read_csv(results.train.recipes,
                              dtype={"SampleID": str}).set_index("SampleID")
        missing = [c for c in spec.group_by if c not in recipes.columns]
        if missing:
            raise PipelineError(f"{spec.source}: [evaluation] group_by {missing[0]!r} is not "
                                f"a column of {results.train.recipes}")
        results.groups = recipes.loc[results.X.index, list(spec.group_by)]


def evaluate_candidates(context: RunContext) -> None:
    """Steps ``evaluate:CANDIDATE``: cross-validate every candidate (ordinary and grouped),
    then choose one by the ``select_by`` score."""
    from .model import cross_validate_model

    spec, results = context.spec, context.results
    feature_set, X, groups = results.feature_set, results.X, results.groups
    y = results.target["Target"]
    features_key = results.features["train"][1]
    folder = context.out / "evaluation"
    for name, params in spec.candidates.items():
        model_params, model_set, params_key = _model_settings({**spec.model, **params},
                                                              feature_set)
        key = _fingerprint("evaluate", features_key, params_key, spec.folds,
                           spec.group_by, spec.group_folds, spec.seed, __version__)
        path = folder / f"{name}.json"

        def run_candidate(name=name, model_params=model_params, model_set=model_set,
                          path=path):
            make = dict(feature_set=model_set, n_jobs=context.n_jobs, **model_params)
            X_model = X[list(model_set.columns)] if model_set is not feature_set else X
            entry = {"params": {**model_params, "feature_set": model_set.name}, "schemes": {}}
            schemes = [("cv", None, spec.folds)]
            for column in spec.group_by:
                labels = groups[column].astype(str).to_numpy()
                n_groups = len(np.unique(labels))
                if n_groups < 2:
                    raise PipelineError(f"[evaluation] group_by {column!r}: the training set "
                                        "has a single group; nothing to leave out")
                k = n_groups if spec.group_folds == 0 else min(spec.group_folds, n_groups)
                schemes.append((f"grouped:{column}", labels, k))
            for scheme, labels, k in schemes:
                cv = cross_validate_model(make, X_model, y, labels, n_folds=k, seed=spec.seed)
                entry["schemes"][scheme] = {
                    "auc": float(cv["auc"]), "n_splits": int(cv["n_splits"]),
                    "fold_auc": [float(a) for a in cv["fold_auc"]],
                    "fit_seconds": float(cv["fit_seconds"]),
                    "oof_score": [float(s) for s in cv["oof_score"]]}
                context.log(f"  {name}: {scheme} bidirectional_auc={cv['auc']:.4f} "
                            f"({cv['n_splits']} folds, fits {cv['fit_seconds']:.1f} s)")
            entry["sample_ids"] = [str(s) for s in X.index]
            with atomic_path(path) as tmp:
                Path(tmp).write_text(json.dumps(entry), encoding="utf-8")
            return {"auc": {s: v["auc"] for s, v in entry["schemes"].items()}}

        context.step(f"evaluate:{name}", key, [path], run_candidate)
        results.evaluation[name] = json.loads(path.read_text(encoding="utf-8"))

    rows = {}
    for name, entry in results.evaluation.items():
        schemes = entry["schemes"]
        row = {f"{scheme} AUC": schemes[scheme]["auc"] for scheme in schemes}
        grouped = [schemes[s]["auc"] for s in schemes if s.startswith("grouped:")]
        row["grouped mean AUC"] = float(np.mean(grouped)) if grouped else np.nan
        row["fit s"] = sum(s["fit_seconds"] for s in schemes.values())
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "candidate"
    column = "grouped mean AUC" if spec.select_by == "grouped" else "cv AUC"
    # Ties go to the candidate listed first in the file.
    chosen = str(table[column].idxmax())
    table.insert(0, "chosen", ["yes" if n == chosen else "" for n in table.index])
    results.chosen, results.candidates = chosen, table
    context.log(f"chosen candidate: {chosen} (by {spec.select_by} score)")


def train_final_model(context: RunContext) -> None:
    """Step ``train``: the chosen candidate fitted on all training pairs, by
    :func:`causepairs.model.train_model` (as ``causepairs train`` fits), and saved."""
    from .model import CausalDirectionModel, train_model

    spec, results = context.spec, context.results
    chosen = results.chosen
    model_dir = context.out / "model"
    model_params, model_set, params_key = _model_settings(
        {**spec.model, **spec.candidates[chosen]}, results.feature_set)
    results.model_key = _fingerprint("train", results.features["train"][1], params_key,
                                     __version__)
    schemes = results.evaluation[chosen]["schemes"]

    def fit():
        cv_scores = {scheme: {"bidirectional_auc": v["auc"], "n_splits": v["n_splits"]}
                     for scheme, v in schemes.items()}
        cv_scores["bidirectional_auc"] = schemes["cv"]["auc"]
        trained = train_model(results.X, results.target, model_set, params=model_params,
                              n_jobs=context.n_jobs, cv_scores=cv_scores,
                              training={"pipeline": spec.name,
                                        "pairs_file": str(results.train.pairs),
                                        "n_pairs": int(len(results.target)),
                                        "candidate": chosen},
                              out=model_dir)
        return {"fit_seconds": trained.model.fit_seconds_, "candidate": chosen}

    results.train_record = context.step("train", results.model_key,
                                        [model_dir / "metadata.json"], fit)
    results.model = CausalDirectionModel.load(model_dir, feature_set=model_set)
    results.paths["model"] = model_dir


def predict_heldout(context: RunContext) -> None:
    """Step ``predict:heldout``: the final model's scores of the held-out pairs, written as
    a submission; scored when the held-out set has a target."""
    if context.results.heldout is None:
        return
    from .io import read_publicinfo, read_submission, read_target, write_submission
    from .metrics import score_breakdown

    spec, results = context.spec, context.results
    model, heldout = results.model, results.heldout
    features, features_key = results.features["heldout"]
    submission = context.out / spec.submission

    def predict():
        columns = list(model.feature_set.columns)
        rows = read_features(features, columns=columns)[columns]
        scores = pd.Series(model.predict(rows), index=rows.index)
        write_submission(submission, scores)
        return {"n_pairs": int(len(scores))}

    context.step("predict:heldout", _fingerprint("predict", results.model_key, features_key),
                 [submission], predict)
    results.paths["submission"] = submission
    if heldout.target is None:
        return
    target = read_target(heldout.target)
    scores = read_submission(submission).loc[target.index]
    info = read_publicinfo(heldout.publicinfo).loc[target.index]
    details = target["Details"] if target["Details"].notna().all() else None
    results.heldout_target, results.heldout_scores, results.heldout_info = target, scores, info
    results.heldout_breakdown = score_breakdown(target["Target"].to_numpy(), scores.to_numpy(),
                                                details, info["A type"], info["B type"])


def score_benchmarks(context: RunContext) -> None:
    """Steps ``features:benchmark:SET``: the final model on the benchmark sets, the table and
    every pair's score.

    Each set's features are a step of their own, keyed by the set's pairs and the model's
    feature set, so a rerun, or a new model with the same columns, reuses them, and an added
    set costs only its own features.
    """
    results = context.results
    if results.suite is None:
        return
    from .benchmark import benchmark_fingerprint, score_table
    from .factory.extract import feature_code_identity

    model = results.model
    feature_set = model.feature_set
    columns = list(feature_set.columns)
    scores = []
    for bench in results.suite.benchmarks:
        out = context.out / "features" / "benchmark" / f"{_file_name(bench.name)}.parquet"
        key = _fingerprint("features:benchmark", benchmark_fingerprint(bench),
                           context.spec.chunk_size, feature_code_identity(feature_set))
        _extract_step(context, f"features:benchmark:{bench.name}", key, out, feature_set,
                      list(bench.pairs), bench.publicinfo(), len(bench), bench.name)
        features = read_features(out, columns=columns)[columns]
        ids = [p.sample_id for p in bench.pairs]
        scores.append(pd.Series(model.predict(features.loc[ids]), index=ids))
    results.benchmark_scores = pd.concat(scores)
    results.benchmark = score_table(results.suite, results.benchmark_scores)


def write_report(context: RunContext) -> None:
    """The report (always rewritten, cheap, so it reflects every step's state) and, with
    benchmark folders, the benchmark table and every pair's score."""
    from .io import read_publicinfo
    from .report import HeldOut, PipelineRun, pipeline_report

    spec, results = context.spec, context.results
    report_dir = context.out / spec.report
    if results.benchmark is not None:
        from .benchmark import score_records, write_scores

        report_dir.mkdir(parents=True, exist_ok=True)
        results.paths["benchmark_table"] = report_dir / "benchmark.csv"
        with atomic_path(results.paths["benchmark_table"]) as tmp:
            results.benchmark.to_csv(tmp, index_label="set", lineterminator="\n")
        results.paths["benchmark_scores"] = write_scores(
            report_dir / "benchmark_scores.json", results.paths["model"], results.benchmark,
            score_records(results.suite, results.benchmark_scores))
    heldout = None
    if results.heldout_breakdown is not None:
        heldout = HeldOut(results.heldout_target, results.heldout_scores,
                          results.heldout_breakdown)
    run = PipelineRun(
        name=spec.name, description=spec.description, source=spec.source,
        n_jobs=resolve_n_jobs(context.n_jobs),
        generator_settings=_settings_text(spec.train, spec.heldout),
        feature_set=results.feature_set, model=results.model,
        steps={name: dict(entry) for name, entry in context.state.steps.items()},
        steps_run=list(context.ran), candidates=results.candidates, chosen=results.chosen,
        evaluation=results.evaluation[results.chosen], select_by=spec.select_by,
        folds=spec.folds, group_by=spec.group_by, group_folds=spec.group_folds,
        target=results.target,
        train_info=read_publicinfo(results.train.publicinfo).loc[results.X.index],
        groups=results.groups, heldout=heldout, benchmark=results.benchmark)
    written = pipeline_report(run).write(report_dir)
    results.paths.update({f"report_{k}": v for k, v in written.items()})


@dataclass(frozen=True)
class Step:
    """One step of a run: a name (for the log and the docs) and the function doing it."""

    name: str
    run: Callable[[RunContext], None]


#: The steps of every run, in order: the one place to add one. Each reads what the steps
#: before it left in ``context.results`` (see :class:`RunResults`).
STEPS: tuple[Step, ...] = (
    Step("read benchmarks", read_benchmark_suite),
    Step("data", prepare_data),
    Step("features", compute_features),
    Step("evaluate", evaluate_candidates),
    Step("train", train_final_model),
    Step("predict", predict_heldout),
    Step("benchmark", score_benchmarks),
    Step("report", write_report),
)


def _settings_text(*data: DataSpec | None) -> str | None:
    """The generator settings each generated set was drawn with, beyond the defaults."""
    parts = []
    for spec in data:
        if spec is not None and spec.generate is not None:
            given = ", ".join(f"{k} = {v!r}" for k, v in spec.generator_settings.items())
            parts.append(f"{spec.name}: {given or 'defaults'}")
    return "; ".join(parts) or None




def run_pipeline(pipeline, *, out=None, n_jobs: int | None = None, quiet: bool = False,
                 log: Callable[[str], Any] | None = None, backend: str | None = None,
                 scheduler: str | None = None, benchmark=None,
                 baselines=None) -> PipelineResult:
    """Run (or resume) a pipeline.

    Parameters
    ----------
    pipeline : str, path or PipelineSpec
        A built-in name (``demo``, ``full``), a TOML path, or a loaded spec.
    out : path, optional
        Output directory; default the pipeline's ``[pipeline] out``.
    n_jobs : int, optional
        Worker processes for generation and features, and LightGBM threads; default the
        pipeline's ``[pipeline] n_jobs``, and where it has none the rule of
        :func:`causepairs.defaults.resolve_n_jobs` (``CAUSEPAIRS_N_JOBS``, else 1). Results
        do not depend on it.
    quiet : bool
        No progress bars.
    log : callable, optional
        Receives one line per event (steps started, finished, skipped; scores); default
        prints to stdout.
    backend, scheduler : str, optional
        Where feature chunks run: ``"joblib"`` worker processes or ``"dask"`` with a scheduler
        address or ``"local"`` (default the pipeline's ``[pipeline] backend`` and
        ``scheduler``). Results do not depend on it.
    benchmark : list of paths, optional
        Benchmark folders (Mooij or ANLSMN format), or folders of them, to score the final
        model on, in place of the pipeline's ``[benchmark] dirs``.
    baselines : path, optional
        The published methods' scores (a folder of ``.tab`` files, or one), in place of the
        pipeline's ``[benchmark] baselines``; default a ``baseline_results`` folder beside
        the sets.
    """
    spec = pipeline if isinstance(pipeline, PipelineSpec) else load_pipeline(pipeline)
    dirs = spec.benchmark_dirs if benchmark is None else tuple(Path(d) for d in benchmark)
    for folder in dirs:
        if not folder.exists():
            raise PipelineError(f"--benchmark {folder}: no such folder")
    if baselines is not None and not Path(baselines).exists():
        raise PipelineError(f"--baselines {baselines}: no such file or folder")
    out = Path(out) if out is not None else spec.out
    if out.exists() and not out.is_dir():
        raise PipelineError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    if log is None:
        def log(line):
            print(line, flush=True)
    if scheduler is not None and (backend or spec.backend) != "dask":
        raise ValueError("scheduler needs backend='dask'")
    context = RunContext(spec, out, spec.n_jobs if n_jobs is None else n_jobs,
                         {"backend": "dask", "client": (scheduler if scheduler is not None
                                                        else spec.scheduler) or "local"}
                         if (backend or spec.backend) == "dask" else {"backend": "joblib"},
                         quiet, log, dirs,
                         Path(baselines) if baselines is not None else spec.baselines)
    # The worker count is checked before any work (the data step would meet it first).
    resolve_n_jobs(context.n_jobs)
    for step in STEPS:
        step.run(context)
    results = context.results
    return PipelineResult(out, context.ran, context.skipped, results.chosen, results.candidates,
                          float(results.evaluation[results.chosen]["schemes"]["cv"]["auc"]),
                          None if results.heldout_breakdown is None
                          else results.heldout_breakdown.overall,
                          results.paths, results.benchmark)
