"""The ``causepairs`` command line.

Each command is a ``_add_<name>`` function that declares its flags and a ``_run_<name>``
function that does the work; :func:`main` turns a user-caused error into one line on stderr
and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from .defaults import FEATURE_CHUNK_SIZE, FOLDS, MAX_ROWS, n_jobs_problem, resolve_n_jobs
from .errors import CausepairsError
from .execution import single_worker_out_of_process

__all__ = ["main"]

EXIT_INPUT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + 15  # SIGTERM, as a shell reports it


# --------------------------------------------------------------------------------------------
# Flag types: reject bad values at parse time, with argparse's one-line usage error.
# --------------------------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if n_jobs_problem(value) is not None:
        raise argparse.ArgumentTypeError(
            f"expected N > 0 worker processes, -1 for all cores or -2 for all but one, got "
            f"{value}")
    return value


def _prefix(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        raise argparse.ArgumentTypeError(
            f"expected letters, digits, '_', '-' or '.', got {text!r}")
    return text


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def _scheduler(text: str) -> str:
    if text != "local" and not re.fullmatch(r"[A-Za-z0-9+]+://\S+|[^\s:/]+:\d+", text):
        raise argparse.ArgumentTypeError(
            f"expected 'local' or a Dask scheduler address such as tcp://host:8786, got {text!r}")
    return text


# --------------------------------------------------------------------------------------------
# Where the work runs: flags shared by the commands that compute features.
# --------------------------------------------------------------------------------------------

N_JOBS_HELP = ("worker processes: N, -1 for all cores, -2 for all but one (default: "
               "$CAUSEPAIRS_N_JOBS, else 1); the output is the same for any J")


def _add_n_jobs(parser, what: str = "worker processes") -> None:
    """``--n-jobs``, the same in every command (the rule: :mod:`causepairs.defaults`)."""
    parser.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="J",
                        help=N_JOBS_HELP.replace("worker processes", what, 1))


def _add_backend_flags(parser, default: str | None = "joblib",
                       default_help: str = "default") -> None:
    """Declare ``--backend`` and ``--scheduler`` (check them with :func:`_check_backend_flags`).

    ``default=None`` leaves the choice to the command (``run`` takes it from the pipeline).
    """
    parser.add_argument("--backend", choices=("joblib", "dask"), default=default,
                        help=f"joblib worker processes on this machine ({default_help}) or a "
                             "Dask cluster (needs the dask extra); same output either way")
    parser.add_argument("--scheduler", type=_scheduler, metavar="ADDRESS|local",
                        help="with --backend dask: a running scheduler (tcp://host:8786) or "
                             "'local', a cluster of --n-jobs worker processes on this machine "
                             "started for this run (default)")


def _check_backend_flags(parser, args) -> None:
    """Usage errors between the back-end flags (exit 2, one line)."""
    if args.scheduler is not None and args.backend != "dask":
        parser.error("--scheduler needs --backend dask")


def _backend_from_args(args) -> dict:
    """Keyword arguments ``n_jobs``, ``backend`` and ``client`` for the feature extraction.

    ``n_jobs`` is resolved here, by the one rule, so that the summary line shows the number
    used. A running Dask cluster ignores it (every worker thread is used).
    """
    execution = {"n_jobs": resolve_n_jobs(args.n_jobs), "backend": args.backend}
    if args.backend == "dask":
        execution["client"] = args.scheduler or "local"
    return execution


def _where(execution: dict) -> str:
    """How a run's work was spread, for its summary line."""
    if execution["backend"] == "dask" and execution["client"] != "local":
        return f"dask scheduler {execution['client']}"
    return f"{execution['backend']}, n_jobs {execution['n_jobs']}"


# --------------------------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------------------------

def _add_generate(sub) -> None:
    p = sub.add_parser(
        "generate", help="generate labelled synthetic pairs in the challenge format",
        description="Generate labelled cause-effect pairs (all four Details classes, mixed "
                    "variable types) and write DIR/NAME_pairs.csv, NAME_publicinfo.csv, "
                    "NAME_target.csv and NAME_recipes.csv. The output depends only on the "
                    "seed and the number of pairs, never on --n-jobs.")
    p.add_argument("--n-pairs", type=_positive_int, required=True, metavar="N",
                   help="number of pairs to generate")
    p.add_argument("--seed", type=_seed, required=True, metavar="S", help="random seed")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    p.add_argument("--prefix", type=_prefix, default="train", metavar="NAME",
                   help="file name prefix and SampleID stem (default: train)")
    _add_n_jobs(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_generate)


def _run_generate(args) -> int:
    from ._progress import progress_bar
    from .summary import dataset_summary
    from .synth import write_synthetic_dataset

    n_jobs = resolve_n_jobs(args.n_jobs)
    start = time.perf_counter()
    with progress_bar(args.n_pairs, "generating", quiet=args.quiet) as bar, \
            progress_bar(args.n_pairs, "writing", quiet=args.quiet) as write_bar:
        data, paths = write_synthetic_dataset(args.out, args.n_pairs, args.seed,
                                              prefix=args.prefix, n_jobs=n_jobs,
                                              progress=bar.update,
                                              write_progress=write_bar.update)
    elapsed = time.perf_counter() - start

    sizes = np.fromiter((len(a) for a in data.a), dtype=np.int64, count=len(data.a))
    print(dataset_summary(sizes, data.publicinfo.set_index("SampleID"),
                          data.target.set_index("SampleID")))
    print("wrote:")
    for path in paths.values():
        print(f"  {path}")
    print(f"generated {args.n_pairs} pairs in {elapsed:.1f} s "
          f"(seed {args.seed}, n_jobs {n_jobs})")
    return 0


# --------------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------------

def _add_check(sub) -> None:
    p = sub.add_parser(
        "check", help="validate a data set's files and print its summary",
        description="Read a pairs file, its publicinfo and (optionally) its target, check "
                    "every row and that all files hold the same SampleIDs, and print a summary.")
    p.add_argument("--pairs", type=_existing_file, required=True, metavar="P.csv")
    p.add_argument("--publicinfo", type=_existing_file, required=True, metavar="I.csv")
    p.add_argument("--target", type=_existing_file, metavar="T.csv")
    p.set_defaults(run=_run_check)


def _run_check(args) -> int:
    from .io import check_dataset
    from .summary import dataset_summary

    summary, publicinfo, target = check_dataset(args.pairs, args.publicinfo, args.target)
    _require_pairs(summary)
    print(dataset_summary(summary.sizes, publicinfo, target))
    print(f"ok: {args.pairs} is a valid data set")
    return 0


# --------------------------------------------------------------------------------------------
# score
# --------------------------------------------------------------------------------------------

def _add_score(sub) -> None:
    p = sub.add_parser(
        "score", help="score a submission with the challenge's bidirectional AUC",
        description="Compare a SampleID,Target submission with a target file. Prints the "
                    "breakdown by Details class (and by type combination with --publicinfo); "
                    "the last line is bidirectional_auc=0.xxxx.")
    p.add_argument("--target", type=_existing_file, required=True, metavar="T.csv")
    p.add_argument("--submission", type=_existing_file, required=True, metavar="S.csv")
    p.add_argument("--publicinfo", type=_existing_file, metavar="P.csv",
                   help="adds the breakdown by type combination")
    p.set_defaults(run=_run_score)


def _run_score(args) -> int:
    from .errors import ChallengeFormatError
    from .io import read_publicinfo, read_submission, read_target
    from .metrics import score_breakdown

    target = read_target(args.target)
    submission = read_submission(args.submission)
    _require_same_ids(target.index, args.target, submission, args.submission)
    scores = submission.loc[target.index].to_numpy()
    a_type = b_type = None
    if args.publicinfo is not None:
        publicinfo = read_publicinfo(args.publicinfo)
        missing = target.index.difference(publicinfo.index, sort=False)
        if len(missing):
            raise ChallengeFormatError(args.publicinfo, f"no row for SampleID {missing[0]}, "
                                                        f"which is in {args.target}")
        a_type = publicinfo.loc[target.index, "A type"].to_numpy()
        b_type = publicinfo.loc[target.index, "B type"].to_numpy()
    _require_two_classes(target, args.target, "the bidirectional AUC is undefined for a "
                                              "single class")
    details = target["Details"] if target["Details"].notna().all() else None
    breakdown = score_breakdown(target["Target"].to_numpy(), scores, details, a_type, b_type)
    print(breakdown.to_text())
    return 0


def _require_pairs(summary) -> None:
    """A data set with no pairs is well-formed but nothing can be done with it."""
    from .errors import ChallengeFormatError

    if len(summary) == 0:
        raise ChallengeFormatError(summary.path, "holds no pairs (only a header)")


def _require_two_classes(target, path, consequence: str) -> None:
    """Refuse a target where every pair has the same Target (or there is none)."""
    from .errors import ChallengeFormatError

    classes = sorted(set(target["Target"].tolist()))
    if not classes:
        raise ChallengeFormatError(path, f"holds no pairs; {consequence}")
    if len(classes) == 1:
        raise ChallengeFormatError(path, f"every pair ({len(target)}) has Target {classes[0]}: "
                                         f"{consequence}")


def _require_same_ids(reference, reference_path, other, other_path) -> None:
    from .errors import ChallengeFormatError

    missing = reference.difference(other.index, sort=False)
    if len(missing):
        raise ChallengeFormatError(other_path, f"no row for SampleID {missing[0]}, which is in "
                                               f"{reference_path} ({len(missing)} missing)")
    extra = other.index.difference(reference, sort=False)
    if len(extra):
        raise ChallengeFormatError(other_path, f"SampleID {extra[0]} is not in {reference_path} "
                                               f"({len(extra)} unknown)",
                                   line=other.attrs.get("lines", {}).get(extra[0]))


# --------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------

def _add_features(sub) -> None:
    p = sub.add_parser(
        "features", help="compute the feature matrix of a data set (Parquet, resumable)",
        description="Validate a data set, compute the feature set's columns for every pair and "
                    "write them to a Parquet directory (float32, one row per pair indexed by "
                    "SampleID, one part per chunk). Rerunning the same command after a crash "
                    "computes only the missing chunks. With --list, print the feature set's "
                    "column names, one per line, and nothing else.")
    p.add_argument("--pairs", type=_existing_file, metavar="P.csv",
                   help="pairs file (required unless --list)")
    p.add_argument("--publicinfo", type=_existing_file, metavar="I.csv",
                   help="variable types of the pairs (required unless --list)")
    p.add_argument("--set", dest="feature_set", required=True, metavar="NAME|PATH.toml",
                   help="a built-in feature set (fast, transfer, full) or a feature-set TOML file")
    p.add_argument("--out", type=Path, metavar="F.parquet",
                   help="output Parquet directory (required unless --list)")
    _add_n_jobs(p)
    _add_backend_flags(p)
    p.add_argument("--engine", choices=("numba", "reference"), default="numba",
                   help="numba kernels (default) or the slow scikit-learn/SciPy references, "
                        "for checking and benchmarking")
    p.add_argument("--chunk-size", type=_positive_int, default=None, metavar="N",
                   help=f"pairs per task and per output part (default: "
                        f"{FEATURE_CHUNK_SIZE}); a rerun must use the same value")
    p.add_argument("--list", action="store_true",
                   help="print the column names of --set, one per line, and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_features, check_args=lambda args: _check_features(p, args))


def _check_features(parser, args) -> None:
    _check_backend_flags(parser, args)
    if args.list:
        return
    missing = [flag for flag, value in (("--pairs", args.pairs),
                                        ("--publicinfo", args.publicinfo),
                                        ("--out", args.out)) if value is None]
    if missing:
        parser.error(f"the following arguments are required without --list: "
                     f"{', '.join(missing)}")


def _run_features(args) -> int:
    import warnings

    from ._progress import progress_bar
    from .factory.extract import ExtractionReport, crashed_summary, extract_features
    from .factory.spec import load_feature_set
    from .io import read_publicinfo

    feature_set = load_feature_set(args.feature_set)
    if args.list:
        sys.stdout.write("".join(f"{name}\n" for name in feature_set.columns))
        return 0

    if args.out.exists() and not args.out.is_dir():
        raise CausepairsError(f"{args.out}: exists and is not a directory")
    chunk_size = args.chunk_size or FEATURE_CHUNK_SIZE
    execution = _backend_from_args(args)
    # The bar's total: publicinfo holds exactly the pairs' SampleIDs once the data set is
    # valid. If it cannot be read, extract_features reports the problem in its usual order.
    try:
        total = len(read_publicinfo(args.publicinfo))
    except CausepairsError:
        total = None
    report = ExtractionReport()
    other_warnings = 0

    def count_warning(message, category, *rest, **kwargs):
        # Warnings raised in this process (the extraction's own summary, and any from the
        # kernels when n_jobs is 1) are counted and reported as one line at the end.
        nonlocal other_warnings
        if not str(message).startswith("feature extraction:"):
            other_warnings += 1

    start = time.perf_counter()
    with progress_bar(total, "features", quiet=args.quiet) as bar, warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = count_warning
        extract_features(args.pairs, args.publicinfo, feature_set, chunk_size=chunk_size,
                         out=args.out, progress=bar.update, report=report, engine=args.engine,
                         load=False, **execution)
    elapsed = time.perf_counter() - start

    computed = report.n_pairs - report.n_resumed
    rate = f"{computed / elapsed:.2f} pairs/s" if computed and elapsed > 0 else "-"
    print(f"features: {report.n_pairs} pairs x {len(feature_set)} columns "
          f"(set {feature_set.name}, engine {args.engine}) -> {args.out}")
    print(f"time: {elapsed:.1f} s, {rate} ({computed} computed, {_where(execution)})")
    print(f"report: {report.summary()}")
    if report.degenerate or report.failed_cells or report.crashed or other_warnings:
        parts = [f"{len(report.degenerate)} degenerate pairs (NaN rows)",
                 f"{report.failed_cells} failed cells (NaN)"]
        if report.crashed:
            parts.insert(0, crashed_summary(report.crashed))
        if other_warnings:
            parts.append(f"{other_warnings} other warnings")
        print(f"causepairs features: warning: {'; '.join(parts)}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------------
# train and predict
# --------------------------------------------------------------------------------------------

def _add_train(sub) -> None:
    p = sub.add_parser(
        "train", help="train a direction model on labelled pairs",
        description="Compute features (or reuse a Parquet file of them), cross-validate, fit "
                    "a LightGBM direction model on all pairs and save it to MODEL_DIR "
                    "(LightGBM text model + metadata.json; no pickle).")
    p.add_argument("--pairs", type=_existing_file, required=True, metavar="P.csv")
    p.add_argument("--publicinfo", type=_existing_file, required=True, metavar="I.csv")
    p.add_argument("--target", type=_existing_file, required=True, metavar="T.csv")
    p.add_argument("--set", dest="feature_set", required=True, metavar="NAME|PATH.toml",
                   help="feature set (fast, transfer, full or a TOML file)")
    p.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    p.add_argument("--features", type=Path, metavar="F.parquet",
                   help="features already computed with `causepairs features` for these pairs")
    p.add_argument("--formulation", choices=("regression", "multiclass", "binary_pair", "two_part"),
                   default="regression",
                   help="how LightGBM models the target (default: regression; the four tie "
                        "by cross-validation grouped by generator family, regression is the "
                        "cheapest; two_part: a link model times a direction model trained on "
                        "the causal pairs only)")
    # --cv-folds: the name before 0.x, kept so that scripts keep working (same flag).
    p.add_argument("--folds", "--cv-folds", dest="folds", type=_positive_int, default=FOLDS,
                   metavar="K",
                   help=f"folds of the cross-validation reported and saved (default {FOLDS}; "
                        "1: none; --cv-folds is the former name)")
    _add_n_jobs(p, "worker processes for features and LightGBM threads")
    _add_backend_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_train, check_args=lambda args: _check_backend_flags(p, args))


def _check_feature_store(path, feature_set, summary, publicinfo) -> None:
    """Refuse finished features computed by another feature set or from other values.

    A store written by ``causepairs features`` records the feature set's hash and, in each
    part, a fingerprint of its pairs' values and types: compared with the input now, so a
    pairs file edited since (same SampleIDs) is caught instead of training on stale rows.
    """
    from .factory.extract import _chunk_fingerprint, _declared_types, _typed_fingerprints
    from .parts import read_store_facts

    facts = read_store_facts(path)
    if facts is None:
        return  # a plain Parquet file: only its columns and SampleIDs can be checked
    manifest, stored = facts
    if manifest.get("feature_set_hash") not in (None, feature_set.hash):
        raise CausepairsError(f"{path}: computed with feature set hash "
                              f"{manifest.get('feature_set_hash')}, this feature set is "
                              f"{feature_set.hash} (another version of its code); recompute it")
    chunk_size = manifest.get("chunk_size")
    ids = list(summary.sample_ids)
    same_layout = (manifest.get("n_pairs") == len(ids) and ids
                   and manifest.get("first_id") == ids[0] and manifest.get("last_id") == ids[-1])
    if (not same_layout or not isinstance(chunk_size, int) or chunk_size < 1
            or summary.fingerprints is None):
        return  # features of another file (e.g. a superset): its rows are checked by SampleID
    typed = _typed_fingerprints(summary.fingerprints, ids,
                                _declared_types(publicinfo, ids, str(publicinfo.attrs.get(
                                    "path", "publicinfo"))))
    for index in sorted(stored):
        expected = _chunk_fingerprint(typed[index * chunk_size:(index + 1) * chunk_size])
        if stored[index] != expected:
            first = ids[index * chunk_size] if index * chunk_size < len(ids) else "?"
            if stored[index] is None:
                raise CausepairsError(f"{path}: part {index} (from SampleID {first}) records no "
                                      "input fingerprint (an older causepairs wrote it), so it "
                                      "cannot be checked against the pairs; recompute it")
            raise CausepairsError(
                f"{path}: part {index} (from SampleID {first}) was computed from other values "
                f"or types than {summary.path} holds now; rerun causepairs features on it")


def _feature_matrix(args, feature_set, ids, summary=None, publicinfo=None):
    """Features of ``ids``: read from --features (checked) or computed now."""
    import pandas as pd

    from ._progress import progress_bar
    from .factory.extract import extract_features

    if getattr(args, "features", None) is not None:
        if not args.features.exists():
            raise CausepairsError(f"{args.features}: no such feature file")
        from .parts import read_features

        matrix = read_features(args.features)
        if list(matrix.columns) != list(feature_set.columns):
            raise CausepairsError(
                f"{args.features}: its columns are not those of feature set "
                f"{feature_set.name!r} ({matrix.shape[1]} vs {len(feature_set)} columns); "
                "compute it with the same --set")
        if summary is not None:
            _check_feature_store(args.features, feature_set, summary, publicinfo)
        missing = pd.Index(ids).difference(matrix.index, sort=False)
        if len(missing):
            raise CausepairsError(f"{args.features}: no row for SampleID {missing[0]} "
                                  f"({len(missing)} missing)")
        return matrix.loc[ids]
    with progress_bar(len(ids), "features", quiet=args.quiet) as bar:
        return extract_features(args.pairs, args.publicinfo, feature_set, progress=bar.update,
                                **_backend_from_args(args))


def _run_train(args) -> int:
    import warnings

    from .factory.spec import load_feature_set
    from .io import check_dataset
    from .model import cv_folds_problem, train_model

    feature_set = load_feature_set(args.feature_set)
    summary, publicinfo, target = check_dataset(args.pairs, args.publicinfo, args.target)
    _require_pairs(summary)
    # Checked before the features, which can take hours: these would fail only after them.
    if len(summary) < 2:
        raise CausepairsError(f"{args.pairs}: holds {len(summary)} pair; training needs at "
                              "least 2")
    if args.folds > 1:
        if args.folds > len(summary):
            raise CausepairsError(f"--folds {args.folds} is more than the {len(summary)} "
                                  f"pairs of {args.pairs}; use at most {len(summary)}, or 1 "
                                  "for no cross-validation")
        _require_two_classes(target, args.target, f"cross-validation (--folds "
                             f"{args.folds}) cannot score a model on a single class; use "
                             "--folds 1 to train without it")
        problem = cv_folds_problem(target["Target"].to_numpy(), args.folds)
        if problem is not None:
            raise CausepairsError(f"{args.target}: --folds {args.folds}: {problem}; use "
                                  "fewer, or --folds 1 for no cross-validation")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        features = _feature_matrix(args, feature_set, summary.sample_ids, summary, publicinfo)
    for warning in caught:
        print(f"causepairs train: warning: {warning.message}", file=sys.stderr)
    try:
        with warnings.catch_warnings(record=True) as caught:
            # e.g. scikit-learn's "the least populated class has only 2 members": one line.
            warnings.simplefilter("always", UserWarning)
            trained = train_model(features, target, feature_set,
                                  params={"formulation": args.formulation},
                                  n_jobs=args.n_jobs, folds=args.folds,
                                  training={"pairs_file": str(args.pairs)}, out=args.out,
                                  log=print)
    except ValueError as exc:
        if "cross-validation gave no score" not in str(exc):
            raise
        raise CausepairsError(f"{exc}; use fewer --folds or --folds 1") from None
    finally:
        for warning in caught:
            print(f"causepairs train: warning: {' '.join(str(warning.message).split())}",
                  file=sys.stderr)
    print(f"trained {args.formulation} model on {trained.model.n_pairs_} pairs x "
          f"{len(feature_set)} features (set {feature_set.name}) in "
          f"{time.perf_counter() - start:.1f} s -> {args.out}")
    return 0


def _add_predict(sub) -> None:
    p = sub.add_parser(
        "predict", help="write a SampleID,Target submission with a trained model",
        description="Compute the model's features for the pairs and write a challenge "
                    "submission: large positive Target = A causes B, large negative = B "
                    "causes A.")
    p.add_argument("--model", type=Path, metavar="MODEL_DIR",
                   help="a trained model directory (default: the model shipped with "
                        "causepairs; see causepairs model-info)")
    p.add_argument("--pairs", type=_existing_file, required=True, metavar="P.csv")
    p.add_argument("--publicinfo", type=_existing_file, required=True, metavar="I.csv")
    p.add_argument("--out", type=Path, required=True, metavar="submission.csv")
    p.add_argument("--features", type=Path, metavar="F.parquet",
                   help="features already computed with the model's feature set")
    _add_n_jobs(p)
    _add_backend_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_predict, check_args=lambda args: _check_backend_flags(p, args))


def _run_predict(args) -> int:
    import warnings

    import pandas as pd

    from .io import check_dataset, write_submission
    from .model import CausalDirectionModel

    if args.model is None:
        args.model = _shipped_model_dir()
    model = CausalDirectionModel.load(args.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        if args.features is not None:
            summary, publicinfo, _ = check_dataset(args.pairs, args.publicinfo)
            features = _feature_matrix(args, model.feature_set, summary.sample_ids, summary,
                                       publicinfo)
            scores = pd.Series(model.predict(features), index=features.index)
        else:
            scores = _streamed_scores(args, model)
    for warning in caught:
        print(f"causepairs predict: warning: {warning.message}", file=sys.stderr)
    write_submission(args.out, scores)
    print(f"wrote {len(scores)} scores to {args.out} (model {args.model})")
    return 0


def _streamed_scores(args, model):
    """Scores of every pair of a pairs file (see :func:`_scores_of_blocks`)."""
    from .factory.extract import iter_feature_blocks
    from .io import read_publicinfo

    blocks = iter_feature_blocks(args.pairs, args.publicinfo, model.feature_set,
                                 **_backend_from_args(args))
    # iter_feature_blocks has validated the data set: publicinfo holds the pairs' SampleIDs.
    total = len(read_publicinfo(args.publicinfo))
    return _scores_of_blocks(blocks, model, total, "predict", args.quiet)


def _scores_of_blocks(blocks, model, total: int, label: str, quiet: bool):
    """Scores of every pair, features computed and scored chunk by chunk.

    Only the scores (one float per pair) and SampleIDs are kept, so memory does not grow
    with the number of pairs beyond them, whatever the width of the feature set.
    """
    import pandas as pd

    from ._progress import progress_bar

    columns = list(model.feature_set.columns)
    ids: list[str] = []
    parts: list[np.ndarray] = []
    with progress_bar(total, label, quiet=quiet) as bar:
        for chunk_ids, matrix in blocks:
            frame = pd.DataFrame(matrix, index=chunk_ids, columns=columns, copy=False)
            parts.append(np.asarray(model.predict(frame), dtype=np.float64))
            ids.extend(chunk_ids)
            bar.update(len(chunk_ids))
            del frame, matrix
    scores = np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)
    return pd.Series(scores, index=pd.Index(ids, name="SampleID"))


def _shipped_model_dir() -> Path:
    """The default model's directory, or the one-line error that there is none."""
    from .tables import default_model_dir

    path = default_model_dir()
    if path is None:
        raise CausepairsError("no model is shipped with this install of causepairs "
                              "(causepairs/pretrained/ holds none); give --model MODEL_DIR, or "
                              "build the shipped one with `python scripts/build_pretrained.py`")
    return path


# --------------------------------------------------------------------------------------------
# direction
# --------------------------------------------------------------------------------------------

def _type_assignment(text: str) -> tuple[str, str]:
    from .types import VARIABLE_TYPES, canonical_type

    column, sep, kind = text.rpartition("=")
    if not sep or not column:
        raise argparse.ArgumentTypeError(f"expected COLUMN=TYPE, got {text!r}")
    if canonical_type(kind) is None:
        raise argparse.ArgumentTypeError(f"{text!r}: unknown type {kind!r}; expected one of "
                                         f"{', '.join(VARIABLE_TYPES)}")
    return column, canonical_type(kind)


def _add_direction(sub) -> None:
    p = sub.add_parser(
        "direction", help="the causal direction between two columns of a table, or between "
                          "every pair of its columns",
        description="Read a CSV or Parquet table and print the verdict, P(X->Y), P(Y->X), "
                    "P(neither) (calibrated on held-out generated pairs) and the model's "
                    "antisymmetric score for columns --x and --y. Without --x and --y, score "
                    "every pair of columns and print (and with --out write) the table ranked "
                    "by the probability of its more probable direction. Rows where either "
                    "value is missing are dropped. Types are inferred unless given with "
                    "--type: at most two distinct values is Binary, integers with at most 20 "
                    "distinct values Categorical, other numbers Numerical, text with few "
                    "levels categorical (see causepairs.tables). Uses the model shipped "
                    "with causepairs unless --model is given.")
    p.add_argument("table", type=Path, metavar="TABLE",
                   help="a .csv file, or a .parquet file or folder")
    p.add_argument("--x", metavar="COL", help="the first column")
    p.add_argument("--y", metavar="COL", help="the second column")
    p.add_argument("--type", dest="types", action="append", type=_type_assignment, default=[],
                   metavar="COL=TYPE",
                   help="the type of a column: Numerical, Categorical or Binary (repeatable)")
    p.add_argument("--columns", nargs="+", metavar="COL",
                   help="without --x/--y: pair only these columns (default: all)")
    p.add_argument("--model", type=Path, metavar="MODEL_DIR",
                   help="a calibrated model directory (default: the shipped model)")
    p.add_argument("--out", type=Path, metavar="RESULT.csv|.parquet",
                   help="write the result table (CSV, or Parquet by its extension)")
    p.add_argument("--max-rows", type=_positive_int, default=None, metavar="N",
                   help=f"score pairs longer than N rows on a random N of them (default: "
                        f"{MAX_ROWS}, the largest training pairs)")
    _add_n_jobs(p, "worker processes for every-pair mode")
    p.add_argument("--engine", choices=("auto", "numba", "reference"), default="auto",
                   help="features of one pair by the Numba kernels or their NumPy reference "
                        "(default auto: the reference while Numba's cache is cold and the pair "
                        "short, so a first call need not wait for compiling)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_direction, check_args=lambda args: _check_direction(p, args))


def _check_direction(parser, args) -> None:
    if (args.x is None) != (args.y is None):
        parser.error("give both --x and --y, or neither (every pair of columns)")
    if args.x is not None and args.columns:
        parser.error("--columns is for every-pair mode (without --x and --y)")
    if args.out is not None and args.out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        parser.error(f"--out {args.out}: expected a .csv or .parquet file name")


def _run_direction(args) -> int:
    import pandas as pd

    from ._progress import progress_bar
    from .tables import TABLE_COLUMNS, DirectionModel, direction, direction_table, read_table
    from .io import atomic_path

    start = time.perf_counter()
    table = read_table(args.table)
    types = dict(args.types)
    names = [args.x, args.y] if args.x is not None else (args.columns or list(table.columns))
    for name in [*names, *types]:
        if name not in table.columns:
            shown = ", ".join(map(str, table.columns[:12])) + (
                ", ..." if table.shape[1] > 12 else "")
            raise CausepairsError(f"{args.table}: no column {name!r} (columns: {shown})")
    max_rows = args.max_rows or MAX_ROWS
    model = DirectionModel.load(args.model)
    if args.x is not None:
        if args.x == args.y:
            raise CausepairsError(f"--x and --y are the same column {args.x!r}")
        result = direction(table[args.x], table[args.y], x_type=types.get(args.x),
                           y_type=types.get(args.y), x_name=args.x, y_name=args.y,
                           model=model, max_rows=max_rows, engine=args.engine)
        print(result)
        frame = pd.DataFrame([result.as_dict()], columns=list(TABLE_COLUMNS))
    else:
        n_pairs = len(names) * (len(names) - 1) // 2
        unknown = [c for c in types if c not in names]
        if unknown:
            raise CausepairsError(f"--type {unknown[0]}: not one of the columns paired")
        with progress_bar(n_pairs, "direction", quiet=args.quiet) as bar:
            frame = direction_table(table, columns=names, types=types, model=model,
                                    n_jobs=args.n_jobs, max_rows=max_rows,
                                    progress=bar.update)
        shown = frame.head(20).drop(columns=["note"])
        print(shown.to_string(index=False, na_rep="-",
                              float_format=lambda v: f"{v:.3f}"))
        if len(frame) > 20:
            print(f"... {len(frame) - 20} more pairs" + (f" in {args.out}" if args.out else
                                                          " (write them all with --out)"))
        failed = frame.attrs.get("n_failed", 0)
        if failed:
            first = frame.loc[frame["score"].isna()].iloc[0]
            print(f"causepairs direction: warning: {failed} of {len(frame)} pairs not scored "
                  f"(NaN rows; first: {first['x']}, {first['y']}: {first['note']})",
                  file=sys.stderr)
    if args.out is not None:
        with atomic_path(args.out) as tmp:
            if args.out.suffix.lower() == ".csv":
                frame.to_csv(tmp, index=False, lineterminator="\n")
            else:
                frame.to_parquet(tmp, index=False)
        print(f"wrote {len(frame)} rows to {args.out}")
    print(f"model {model.path}; {time.perf_counter() - start:.1f} s")
    return 0


# --------------------------------------------------------------------------------------------
# model-info and calibrate
# --------------------------------------------------------------------------------------------

def _add_model_info(sub) -> None:
    p = sub.add_parser(
        "model-info", help="print a model's card: recipe, feature set, scores",
        description="Print the card of a model directory (default: the model shipped with "
                    "causepairs): how it was trained (pipeline, generator settings, pairs), "
                    "its feature set, the causepairs and LightGBM versions, its "
                    "cross-validated and held-out scores, its calibration and, when "
                    "recorded, the validation-suite table beside the published methods.")
    p.add_argument("model", nargs="?", type=Path, metavar="MODEL_DIR",
                   help="a model directory (default: the shipped model)")
    p.set_defaults(run=_run_model_info)


def _run_model_info(args) -> int:
    from .shipped import format_card

    shipped = args.model is None
    path = _shipped_model_dir() if shipped else args.model
    print(format_card(path, shipped=shipped))
    return 0


def _add_calibrate(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="fit a model's three-class probabilities on held-out labelled pairs",
        description="Score held-out labelled pairs (never the training pairs, never a "
                    "benchmark you will report) with a model and fit the map from its score "
                    "to P(X->Y), P(Y->X), P(neither), exactly antisymmetric; write it to "
                    "MODEL_DIR/calibration.json, which causepairs direction needs, and with "
                    "--report a report with the cross-fitted Brier score and a reliability "
                    "plot.")
    p.add_argument("--model", type=Path, required=True, metavar="MODEL_DIR")
    p.add_argument("--pairs", type=_existing_file, required=True, metavar="P.csv")
    p.add_argument("--publicinfo", type=_existing_file, required=True, metavar="I.csv")
    p.add_argument("--target", type=_existing_file, required=True, metavar="T.csv")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="write report.md, report.json and reliability.png here")
    _add_n_jobs(p)
    _add_backend_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_calibrate, check_args=lambda args: _check_backend_flags(p, args))


def _run_calibrate(args) -> int:
    import warnings

    from .calibration import CALIBRATION_FILE, Calibration, write_calibration_report
    from .io import read_target
    from .model import CausalDirectionModel

    model = CausalDirectionModel.load(args.model)
    target = read_target(args.target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        scores = _streamed_scores(args, model)
    for warning in caught:
        print(f"causepairs calibrate: warning: {warning.message}", file=sys.stderr)
    _require_same_ids(scores.index, args.pairs, target, args.target)
    target = target.loc[scores.index, "Target"].to_numpy()
    scored = np.isfinite(scores.to_numpy())
    if not scored.all():
        print(f"causepairs calibrate: warning: {int((~scored).sum())} pairs with no score "
              "(degenerate) left out", file=sys.stderr)
    try:
        calibration = Calibration.fit(scores.to_numpy()[scored], target[scored],
                                      model_digest=model.metadata_["metadata_sha256"],
                                      source=f"{int(scored.sum())} pairs of {args.pairs.name}")
    except ValueError as exc:
        raise CausepairsError(f"{args.target}: {exc}") from None
    path = calibration.save(args.model / CALIBRATION_FILE)
    info = calibration.fit_info
    print(f"calibrated on {info['n_pairs']} pairs: cross-fitted Brier score {info['brier']:.4f} "
          f"(class frequencies {info['brier_class_frequencies']:.4f}), log loss "
          f"{info['log_loss']:.4f}")
    if args.report is not None:
        paths = write_calibration_report(calibration, target[scored], args.report)
        print(f"report: {paths['markdown']}, {paths['reliability']}")
    print(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------------------------
# benchmark
# --------------------------------------------------------------------------------------------

def _add_benchmark(sub) -> None:
    p = sub.add_parser(
        "benchmark", help="score a model on standard cause-effect benchmark folders",
        description="Score a trained model's direction on benchmark folders in the Mooij format "
                    "(pairNNNN.txt + pairmeta.txt) or the ANLSMN format (pair_K.txt + "
                    "pairs_gt.txt), detected per folder, and print one table: per set, pairs, "
                    "accuracy of sign(score) (a zero score counts one half) and AUC for 'first "
                    "column causes second', both weighted where the set's pairs have unequal "
                    "weights; the published methods' accuracies beside them where a "
                    "baseline_results .tab file names the set; the mean over the sets whose "
                    "pairs all count the same (the synthetic sets), then the weighted sets "
                    "(real pairs weighted by source) on their own lines. A DIR that holds "
                    "benchmark folders instead of pairs stands for all of them. Every variable "
                    "is taken as Numerical: the formats carry no types.")
    p.add_argument("dirs", nargs="+", type=Path, metavar="DIR",
                   help="benchmark folder, or a folder of benchmark folders")
    p.add_argument("--model", type=Path, required=True, metavar="MODEL_DIR")
    p.add_argument("--baselines", type=Path, metavar="DIR_OR_FILE",
                   help="published methods' per-pair scores: a folder of .tab files matched to "
                        "the sets by name (SIMc.tab is set SIM-c) or one .tab file (default: a "
                        "baseline_results folder beside each DIR or inside a folder of sets)")
    p.add_argument("--set", dest="sets", action="append", metavar="NAME",
                   help="score only the set of this name (repeatable)")
    p.add_argument("--out", type=Path, metavar="SCORES.csv|.json",
                   help="also write every pair's score (set, pair, SampleID, ground truth, "
                        "weight, score); .json adds the table")
    _add_n_jobs(p)
    _add_backend_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_benchmark, check_args=lambda args: _check_benchmark(p, args))


def _check_benchmark(parser, args) -> None:
    _check_backend_flags(parser, args)
    if args.out is not None and args.out.suffix.lower() not in (".csv", ".json"):
        parser.error(f"--out {args.out}: expected a .csv or .json file name")
    if args.baselines is not None and not args.baselines.exists():
        parser.error(f"--baselines {args.baselines}: no such file or folder")


def _run_benchmark(args) -> int:
    import warnings

    from .benchmark import format_table, read_suite, score_records, score_table, \
        table_caption, write_scores
    from .factory.extract import iter_feature_blocks
    from .model import CausalDirectionModel

    model = CausalDirectionModel.load(args.model)
    suite = read_suite(args.dirs, sets=args.sets, baselines=args.baselines)
    for note in suite.notes():
        print(f"causepairs benchmark: note: {note}", file=sys.stderr)

    start = time.perf_counter()
    pairs = suite.pairs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        blocks = iter_feature_blocks(pairs, suite.publicinfo(), model.feature_set,
                                     **_backend_from_args(args))
        scores = _scores_of_blocks(blocks, model, len(pairs), "benchmark", args.quiet)
    for warning in caught:
        print(f"causepairs benchmark: warning: {warning.message}", file=sys.stderr)
    elapsed = time.perf_counter() - start

    table = score_table(suite, scores)
    print(table_caption(args.model))
    print(format_table(table))
    if args.out is not None:
        records = score_records(suite, scores)
        write_scores(args.out, args.model, table, records)
        print(f"wrote {len(records)} per-pair scores to {args.out}")
    print(f"scored {len(pairs)} pairs of {len(suite.benchmarks)} sets in {elapsed:.1f} s "
          f"({_where(_backend_from_args(args))})")
    return 0


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------

def _add_run(sub) -> None:
    p = sub.add_parser(
        "run", help="run a declarative pipeline: generate, features, evaluate, train, predict, "
                    "report",
        description="Run the steps a pipeline file declares (data, features, cross-validated "
                    "choice among model candidates, final fit, held-out predictions and score, "
                    "report). Finished steps whose inputs did not change are skipped, so a "
                    "rerun after a crash or a change of settings redoes only what it must. "
                    "The last line is heldout_bidirectional_auc=0.xxxx when the held-out set "
                    "has a target. With --benchmark (or a [benchmark] table), the final model "
                    "is also scored on benchmark folders as `causepairs benchmark` scores it, "
                    "their features cached in the run folder, and the table goes into the "
                    "report.")
    p.add_argument("pipeline", metavar="PIPELINE",
                   help="a built-in pipeline (demo, full) or a pipeline TOML file")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output directory (default: the pipeline's [pipeline] out)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="J",
                   help="worker processes and LightGBM threads: N, -1 for all cores, -2 for "
                        "all but one (default: the pipeline's [pipeline] n_jobs, and where it "
                        "has none $CAUSEPAIRS_N_JOBS, else 1); results do not depend on it")
    _add_backend_flags(p, default=None,
                       default_help="default: the pipeline's [pipeline] backend, joblib unless set")
    p.add_argument("--benchmark", nargs="+", type=Path, metavar="DIR",
                   help="score the final model on these benchmark folders (or folders of "
                        "them), in place of the pipeline's [benchmark] dirs")
    p.add_argument("--baselines", type=Path, metavar="DIR_OR_FILE",
                   help="published methods' per-pair scores, as for causepairs benchmark "
                        "(default: the pipeline's [benchmark] baselines, else a "
                        "baseline_results folder beside the sets)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_run_run, check_args=lambda args: _check_run(p, args))


def _check_run(parser, args) -> None:
    _check_backend_flags(parser, args)
    if args.baselines is not None and not args.baselines.exists():
        parser.error(f"--baselines {args.baselines}: no such file or folder")


def _run_run(args) -> int:
    from .pipeline import run_pipeline

    start = time.perf_counter()
    result = run_pipeline(args.pipeline, out=args.out, n_jobs=args.n_jobs, quiet=args.quiet,
                          backend=args.backend, scheduler=args.scheduler,
                          benchmark=args.benchmark, baselines=args.baselines)
    table = result.candidates.to_string(float_format=lambda v: f"{v:.4f}")
    print(f"candidates (bidirectional AUC of out-of-fold scores):\n{table}")
    if result.benchmark is not None:
        from .benchmark import format_table, table_caption

        print(table_caption(result.paths["model"]))
        print(format_table(result.benchmark))
    for kind in ("model", "submission", "benchmark_table", "benchmark_scores",
                 "report_markdown", "report_json", "report_roc", "report_importance"):
        if kind in result.paths:
            print(f"{kind.replace('_', ' ')}: {result.paths[kind]}")
    print(f"pipeline finished in {time.perf_counter() - start:.1f} s "
          f"({len(result.steps_run)} steps run, {len(result.steps_skipped)} up to date)")
    print(f"cv_bidirectional_auc={result.cv_auc:.4f} (candidate {result.chosen})")
    if result.heldout_auc is not None:
        print(f"heldout_bidirectional_auc={result.heldout_auc:.4f}")
    return 0


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, pointing at ``--help``."""

    def error(self, message):  # noqa: D401 - argparse's signature
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="causepairs",
        description="Predict causal direction between two observed variables "
                    "(ChaLearn cause-effect pairs format).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)
    for add in (_add_generate, _add_check, _add_score, _add_features, _add_train, _add_predict,
                _add_direction, _add_model_info, _add_calibrate, _add_benchmark, _add_run):
        add(sub)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: unwinds like Ctrl-C (partial files removed, worker
    pool and Dask cluster shut down) instead of dying on the spot."""


def _raise_terminated(signum, frame):
    raise _Terminated()


class _terminate_like_interrupt:
    """Within the block, SIGTERM raises :class:`_Terminated`; the previous handler is put back
    after (``main`` may run inside a program, e.g. tests)."""

    def __enter__(self):
        import signal
        import threading

        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _raise_terminated)

    def __exit__(self, *exc):
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        return False


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 bad input, 2 bad flags, 130 interrupted,
    143 terminated by SIGTERM)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        # Checks between flags that argparse cannot express (one-line usage error, exit 2).
        check_args = getattr(args, "check_args", None)
        if check_args is not None:
            check_args(args)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0)
    try:
        with _terminate_like_interrupt(), single_worker_out_of_process():
            return args.run(args)
    except _Terminated:
        print(f"causepairs {args.command}: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except CausepairsError as exc:
        print(f"causepairs {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except OSError as exc:
        # Files we cannot read or write (permissions, full disk): the OS message names the path.
        print(f"causepairs {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print(f"causepairs {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
