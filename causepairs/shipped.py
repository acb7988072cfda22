"""The shipped model: building it, and its card.

:func:`build_pretrained` is the one command behind ``python scripts/build_pretrained.py``:

1. run the pipeline ``pipelines/pretrained.toml`` (:func:`causepairs.pipeline.run_pipeline`:
   generated training and held-out pairs, features, grouped cross-validation, final fit,
   held-out scores and, given benchmark folders, the validation-suite table);
2. score the held-out pairs with the final model and fit the three-class calibration on them
   (:class:`causepairs.calibration.Calibration`; its report, with the reliability plot, goes
   to the run's ``report/calibration/``);
3. write the model card (``card.json``: the recipe and every score) beside the model;
4. copy ``metadata.json``, the LightGBM text files, ``calibration.json`` and ``card.json``
   into the package's ``causepairs/pretrained/``.

Every file it ships is a function of the pipeline file and the causepairs and LightGBM
versions only: no times, no absolute paths, no machine facts (those go to the run folder's
``build.json``), so a rerun from a fresh run folder reproduces the shipped files bit for bit.

:func:`format_card` renders a model directory's card for ``causepairs model-info``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .calibration import CALIBRATION_FILE, Calibration, write_calibration_report
from .tables import CARD_FILE, read_card
from .errors import CausepairsError
from .io import atomic_path
from .model_dir import read_checked_metadata

__all__ = ["CARD_FORMAT_VERSION", "PACKAGE_MODEL_DIR", "build_pretrained", "calibrate_run",
           "format_card", "shipped_files"]

#: Bump when the layout of ``card.json`` changes.
CARD_FORMAT_VERSION = 1
#: Where the shipped model lives in a source checkout.
PACKAGE_MODEL_DIR = Path(__file__).resolve().parent / "pretrained"


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _plain(value):
    """JSON-ready values (NaN as None), through the report's one converter."""
    from .report import _jsonable

    return _jsonable(value)


def shipped_files(model_dir) -> list[str]:
    """The files of a model directory that make the shipped model, in a fixed order."""
    model_dir = Path(model_dir)
    meta = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    return ["metadata.json", *sorted(meta["model_files"]), CALIBRATION_FILE, CARD_FILE]


def calibrate_run(result, spec, *, log=print) -> tuple[Calibration, dict]:
    """Fit the calibration of a finished pipeline run on its held-out pairs.

    Writes ``model/calibration.json`` and the calibration report (``report/calibration/``:
    report.md, report.json, reliability.png) in the run folder. Returns the calibration and
    the facts of the held-out scoring (pairs, pairs left out for a NaN score).
    """
    from .io import read_target
    from .model import CausalDirectionModel
    from .parts import read_features
    from .synth import dataset_paths

    if spec.heldout is None:
        raise CausepairsError(f"{spec.source}: the calibration needs a [data.heldout] set")
    model_dir = result.paths["model"]
    model = CausalDirectionModel.load(model_dir)
    if spec.heldout.generate is not None:
        target_path = dataset_paths(result.out / "data", spec.heldout.prefix)["target"]
    else:
        target_path = spec.heldout.target
    if target_path is None:
        raise CausepairsError(f"{spec.source}: [data.heldout] needs a target to calibrate on")
    target = read_target(target_path)["Target"]
    columns = list(model.feature_set.columns)
    features = read_features(result.out / "features" / f"{spec.heldout.name}.parquet",
                             columns=columns)[columns]
    scores = pd.Series(model.predict(features), index=features.index)
    target = target.loc[scores.index]
    scored = np.isfinite(scores.to_numpy())
    source = (f"held-out set of pipeline {spec.name!r}: "
              + (f"{spec.heldout.generate['n_pairs']} generated pairs, seed "
                 f"{spec.heldout.generate['seed']}" if spec.heldout.generate is not None
                 else f"{len(target)} pairs of {Path(str(spec.heldout.pairs)).name}"))
    calibration = Calibration.fit(scores.to_numpy()[scored], target.to_numpy()[scored],
                                  model_digest=model.metadata_["metadata_sha256"],
                                  source=source, seed=spec.seed)
    calibration.save(model_dir / CALIBRATION_FILE)
    report = write_calibration_report(calibration, target.to_numpy()[scored],
                                      result.out / spec.report / "calibration")
    info = calibration.fit_info
    log(f"[calibrate] {info['n_pairs']} held-out pairs: Brier {info['brier']:.4f} (class "
        f"frequencies {info['brier_class_frequencies']:.4f}), log loss {info['log_loss']:.4f}; "
        f"report {report['markdown']}")
    return calibration, {"n_pairs": int(len(scores)), "n_unscored": int((~scored).sum())}


def _card(result, spec, model_dir: Path, calibration: Calibration, heldout: dict) -> dict:
    """The model card: the recipe and the scores, reproducible (no times, no paths)."""
    import lightgbm

    from .benchmark import format_table

    meta = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    pipeline_text = Path(spec.source).read_bytes() if Path(spec.source).is_file() else None

    def data(d):
        if d is None:
            return None
        if d.generate is not None:
            return {"generated": True, "n_pairs": d.generate["n_pairs"],
                    "seed": d.generate["seed"], "generator_settings": d.generator_settings}
        return {"generated": False, "pairs": Path(str(d.pairs)).name}

    candidate = result.chosen
    return _plain({
        "format": "causepairs-model-card",
        "card_version": CARD_FORMAT_VERSION,
        "model_metadata_sha256": meta["metadata_sha256"],
        "causepairs_version": __version__,
        "lightgbm_version": lightgbm.__version__,
        "recipe": {
            "command": "python scripts/build_pretrained.py",
            "pipeline": spec.name,
            "pipeline_file": Path(spec.source).name,
            "pipeline_sha256": (hashlib.sha256(pipeline_text).hexdigest()
                                if pipeline_text is not None else None),
            "seed": spec.seed,
            "training_pairs": data(spec.train),
            "heldout_pairs": data(spec.heldout),
            "feature_set": {"name": meta["feature_set"]["name"],
                            "n_columns": len(meta["columns"]),
                            "hash": meta["feature_set"]["hash"]},
            "model": {"candidate": candidate, **meta["params"]},
            "evaluation": {"folds": spec.folds, "group_by": list(spec.group_by),
                           "group_folds": spec.group_folds, "select_by": spec.select_by,
                           "candidates": list(spec.candidates)},
        },
        "scores": {
            "cross_validation": meta.get("cv_scores"),
            # Fit times left out: they differ from run to run, and the card must not.
            "candidates": result.candidates.drop(columns=["fit s"], errors="ignore"),
            "heldout_bidirectional_auc": result.heldout_auc,
            "heldout_pairs_scored": heldout,
            "calibration": calibration.fit_info,
        },
        "benchmark": (None if result.benchmark is None else
                      {"table": result.benchmark.reset_index().to_dict(orient="records"),
                       "text": format_table(result.benchmark)}),
    })


def build_pretrained(pipeline="pipelines/pretrained.toml", *, out=None, dest=PACKAGE_MODEL_DIR,
                     n_jobs: int | None = None, benchmark=None, baselines=None,
                     quiet: bool = False, log=print) -> dict:
    """Train, calibrate and describe the shipped model, and copy it into ``dest``.

    Parameters
    ----------
    pipeline : str or path
        The pipeline file (default ``pipelines/pretrained.toml``) or a built-in name.
    out : path, optional
        The run folder (default the pipeline's ``[pipeline] out``); a rerun resumes it.
    dest : path
        Where the shipped files go (default the package's ``causepairs/pretrained/``); its
        previous model files are replaced.
    n_jobs : int, optional
        Workers (default the pipeline's); the files do not depend on it.
    benchmark : list of paths, optional
        Validation-suite folders to score the final model on (measured only, never used to
        fit or choose anything here); their table goes into the card.
    baselines : path, optional
        The published methods' scores, as for ``causepairs benchmark``.

    Returns
    -------
    dict
        ``files`` (name -> SHA-256 of each shipped file), ``dest``, ``run`` (the run folder)
        and ``seconds``.
    """
    from .pipeline import load_pipeline, run_pipeline

    started = time.perf_counter()
    spec = load_pipeline(pipeline)
    if spec.heldout is None:
        raise CausepairsError(f"{spec.source}: the shipped model needs a [data.heldout] set to "
                              "calibrate its probabilities on")
    result = run_pipeline(spec, out=out, n_jobs=n_jobs, quiet=quiet, log=log,
                          benchmark=benchmark, baselines=baselines)
    model_dir = Path(result.paths["model"])
    calibration, heldout = calibrate_run(result, spec, log=log)
    card = _card(result, spec, model_dir, calibration, heldout)
    with atomic_path(model_dir / CARD_FILE) as tmp:
        Path(tmp).write_text(json.dumps(card, indent=2, allow_nan=False) + "\n",
                             encoding="utf-8")

    names = shipped_files(model_dir)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    # A previous model's files that this one does not have (model-0.txt of a binary_pair
    # model, say) would be shipped too: remove them first.
    for old in dest.iterdir():
        if old.is_file() and (old.suffix in (".txt", ".json")) and old.name not in names:
            old.unlink()
    for name in names:
        with atomic_path(dest / name) as tmp:
            shutil.copyfile(model_dir / name, tmp)
    files = {name: _sha256_file(dest / name) for name in names}
    seconds = time.perf_counter() - started
    facts = {"files": files, "dest": str(dest), "run": str(result.out), "seconds": seconds,
             "machine_cores": os.cpu_count(), "causepairs_version": __version__}
    with atomic_path(result.out / "build.json") as tmp:
        Path(tmp).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    log(f"shipped model: {', '.join(names)} -> {dest} ({sum((dest / n).stat().st_size for n in names) / 1e6:.2f} MB)")
    return facts


# --------------------------------------------------------------------------------------------
# The card, as model-info prints it
# --------------------------------------------------------------------------------------------

def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if not np.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def format_card(model_dir, *, shipped: bool = False) -> str:
    """The card of a model directory: what ``causepairs model-info`` prints.

    Reads ``metadata.json`` (with the checks of loading the model that need no LightGBM:
    format, version and SHA-256 of the metadata and of each model file), and ``card.json`` and
    ``calibration.json`` where present. Neither LightGBM nor scikit-learn is imported, so the
    card prints in well under a second.
    """
    model_dir = Path(model_dir)
    meta, _ = read_checked_metadata(model_dir)
    card = read_card(model_dir)
    if card is not None and card.get("model_metadata_sha256") != meta["metadata_sha256"]:
        raise CausepairsError(f"{model_dir / CARD_FILE}: describes another model (its "
                              "model_metadata_sha256 differs from metadata.json's)")
    calibration = None
    if (model_dir / CALIBRATION_FILE).is_file():
        calibration = Calibration.load(model_dir / CALIBRATION_FILE,
                                       model_digest=meta["metadata_sha256"])
    lines = [f"model: {model_dir}" + (" (the model shipped with causepairs)" if shipped else "")]
    params = meta["params"]
    lines.append(f"versions: causepairs {meta['causepairs_version']}, LightGBM "
                 f"{meta['lightgbm_version']}")
    lines.append(f"model: LightGBM {meta['formulation']}, {params['n_estimators']} trees, "
                 f"{params['num_leaves']} leaves, learning rate {params['learning_rate']}, "
                 f"column sample {params['colsample_bytree']}, row sample {params['subsample']}")
    signs = meta.get("monotone_signs") or {}
    if signs:
        rising = sum(1 for sign in signs.values() if sign > 0)
        lines.append(f"monotone: the direction follows {len(signs)} diff columns of "
                     f"{', '.join(params['monotone_families'])} one way each ({rising} rising, "
                     f"{len(signs) - rising} falling)")
    fs = meta["feature_set"]
    lines.append(f"feature set: {fs['name']} ({len(meta['columns'])} columns, hash {fs['hash']})")
    training = meta.get("training") or {}
    counts = training.get("class_counts") or {}
    trained = f"training: {training.get('n_pairs')} pairs"
    if counts:
        trained += (f" (Target 1: {counts.get('1')}, -1: {counts.get('-1')}, "
                    f"0: {counts.get('0')})")
    lines.append(trained)
    if card is not None:
        recipe = card["recipe"]
        lines.append(f"recipe: `{recipe['command']}` runs pipeline {recipe['pipeline']!r} "
                     f"({recipe['pipeline_file']}, sha256 {str(recipe['pipeline_sha256'])[:12]}), "
                     f"seed {recipe['seed']}")
        for label, key in (("training pairs", "training_pairs"),
                           ("held-out pairs", "heldout_pairs")):
            d = recipe.get(key)
            if d and d.get("generated"):
                settings = d.get("generator_settings") or {}
                given = ", ".join(f"{k} = {v!r}" for k, v in settings.items()) or "defaults"
                lines.append(f"  {label}: {d['n_pairs']} generated (seed {d['seed']}; "
                             f"generator settings: {given})")
            elif d:
                lines.append(f"  {label}: {d.get('pairs')}")
        ev = recipe["evaluation"]
        lines.append(f"  model chosen among {', '.join(ev['candidates'])} by {ev['select_by']} "
                     f"score ({ev['folds']} folds; grouped by {', '.join(ev['group_by']) or '-'})")
    cv = meta.get("cv_scores") or {}
    if cv:
        parts = [f"{scheme} {_fmt(v.get('bidirectional_auc'))}"
                 for scheme, v in cv.items() if isinstance(v, dict)]
        if not parts and "bidirectional_auc" in cv:
            parts = [f"cv {_fmt(cv['bidirectional_auc'])}"]
        lines.append("cross-validated bidirectional AUC: " + ", ".join(parts))
    if card is not None:
        scores = card["scores"]
        auc = scores.get("heldout_bidirectional_auc")
        if auc is not None:
            lines.append(f"held-out bidirectional AUC: {_fmt(auc)} "
                         f"({scores['heldout_pairs_scored']['n_pairs']} pairs)")
    if calibration is not None:
        info = calibration.fit_info
        lines.append(f"calibration: {info.get('n_pairs')} pairs ({info.get('source')}); "
                     f"cross-fitted Brier score {_fmt(info.get('brier'))} (class frequencies "
                     f"{_fmt(info.get('brier_class_frequencies'))}), log loss "
                     f"{_fmt(info.get('log_loss'))}")
    else:
        lines.append("calibration: none (no calibration.json; `causepairs direction` needs one)")
    bench = (card or {}).get("benchmark")
    if bench:
        lines.append("validation suite (measured only; beside the published methods):")
        lines.extend("  " + line for line in bench["text"].rstrip("\n").splitlines())
    elif card is not None:
        lines.append("validation suite: not scored (build with --benchmark DIR)")
    return "\n".join(lines)
