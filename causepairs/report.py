"""The evaluation report of a trained direction model: Markdown, JSON and PNG plots.

A :class:`Report` collects sections as the pipeline produces them (the comparison of model
candidates, score breakdowns, grouped cross-validation by generator family, ROC curves,
importance by feature axis) and :meth:`Report.write` renders them all at once into a directory::

    report.md        the human-readable report
    report.json      the same numbers, machine-readable
    roc.png          ROC curves of both directions (A->B ranked by score, B->A by -score)
    importance.png   LightGBM gain summed along each axis of the feature names

Importance is aggregated along the axes of the systematic column names (see
:mod:`causepairs.factory.names`): which direction scope, input view, target view, model and
measure carry the signal, so a user sees e.g. that kNN fits on ranks matter more than trees.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .factory.names import parse_column
from .io import atomic_path
from .metrics import ScoreBreakdown

__all__ = ["FEATURE_AXES", "NO_VALUE", "HeldOut", "PipelineRun", "Report", "column_axes",
           "importance_by_axis", "pipeline_report", "roc_points"]

#: The value of an axis a column does not have (a measure fits no model, a statistic of A alone
#: has no target view).
NO_VALUE = "(none)"

#: The axes of a feature name that importance is summed along, in report order.
FEATURE_AXES = ("scope", "input", "output", "model", "measure")

# A model token is a name followed by its parameter: knn15, nw0.3, poly3, eqfreq10.
_PARAMETER_SUFFIX = re.compile(r"^(?P<name>[A-Za-z_]*[A-Za-z])_?(?P<param>[0-9.]*)$")


def _model_family(token: str) -> str:
    match = _PARAMETER_SUFFIX.match(token)
    return match.group("name") if match else token


def column_axes(columns) -> pd.DataFrame:
    """Split feature column names into their axes, one row per column.

    ``scope`` is the direction (``A>B``, ``B>A``, ``diff``, ``sym``, ``A``, ``B``); ``input``
    and ``output`` are the views (:data:`NO_VALUE` when the column has none); ``model`` is
    the fitted model's family without its parameter (``knn15`` -> ``knn``; :data:`NO_VALUE`
    for measures that fit nothing); ``measure`` is the last token (the fit metric or the statistic).
    """
    rows = []
    for name in columns:
        column = parse_column(name)
        fitted = len(column.tokens) >= 2
        rows.append({"scope": column.scope,
                     "input": column.get("in", NO_VALUE),
                     "output": column.get("out", NO_VALUE),
                     "model": _model_family(column.tokens[0]) if fitted else NO_VALUE,
                     "measure": column.tokens[-1]})
    return pd.DataFrame(rows, index=pd.Index(list(columns), name="column"),
                        columns=list(FEATURE_AXES))


def importance_by_axis(importance: pd.Series) -> dict[str, pd.DataFrame]:
    """Sum per-column importance along each of :data:`FEATURE_AXES`.

    Parameters
    ----------
    importance : pandas.Series
        Non-negative importance (e.g. LightGBM gain) indexed by feature column name.

    Returns
    -------
    dict
        For each axis, a DataFrame indexed by the axis value with ``gain`` (summed), ``share``
        (of the total, 0..1) and ``n_columns``, sorted by decreasing gain.
    """
    if (importance < 0).any():
        raise ValueError("importance must be non-negative")
    axes = column_axes(importance.index)
    total = float(importance.sum())
    result = {}
    for axis in FEATURE_AXES:
        grouped = importance.groupby(axes[axis].to_numpy())
        frame = pd.DataFrame({"gain": grouped.sum(), "n_columns": grouped.size()})
        frame["share"] = frame["gain"] / total if total > 0 else 0.0
        frame.index.name = axis
        result[axis] = frame.sort_values(["gain", "n_columns"], ascending=[False, False])[
            ["gain", "share", "n_columns"]]
    return result


def roc_points(positive, score) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates of ``score`` for the boolean labels ``positive``."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(positive, dtype=bool), np.asarray(score, dtype=float))
    return fpr, tpr


# -- rendering helpers -----------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "-"
        return f"{value:.4f}"
    return str(value)


def markdown_table(frame: pd.DataFrame, index_name: str | None = None) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (floats to 4 decimals, NaN as ``-``)."""
    head = [index_name or frame.index.name or ""] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    # Column by column, so an integer column stays integer (a row would upcast to float).
    columns = [frame[c].tolist() for c in frame.columns]
    for i, label in enumerate(frame.index):
        lines.append("| " + " | ".join([str(label)] + [_cell(col[i]) for col in columns]) + " |")
    return "\n".join(lines)


def _jsonable(value):
    """Plain JSON types; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return {str(k): _jsonable(v) for k, v in value.to_dict(orient="index").items()}
    if isinstance(value, pd.Series):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


# -- the report ------------------------------------------------------------------------------

@dataclass
class _Curves:
    label: str
    target: np.ndarray
    score: np.ndarray


@dataclass
class Report:
    """Sections of an evaluation report, rendered by :meth:`write`.

    Add sections in the order they should appear; each ``add_*`` method records both the
    Markdown and the JSON form of its numbers.
    """

    title: str
    _markdown: list[str] = field(default_factory=list)
    _json: dict = field(default_factory=dict)
    _curves: list[_Curves] = field(default_factory=list)
    _importance: dict[str, pd.DataFrame] | None = None

    def add_text(self, heading: str | None, text: str) -> None:
        """A free paragraph (Markdown), e.g. what the data and the model were."""
        self._markdown.append(f"## {heading}\n\n{text}" if heading else text)

    def add_facts(self, heading: str, key: str, facts: dict) -> None:
        """A bullet list of ``name: value`` facts, stored under ``key`` in the JSON."""
        lines = [f"- **{name}**: "
                 + (f"{value:.4g}" if isinstance(value, float) and math.isfinite(value)
                    else _cell(value)) for name, value in facts.items()]
        self._markdown.append(f"## {heading}\n\n" + "\n".join(lines))
        self._json[key] = _jsonable(facts)

    def add_table(self, heading: str, key: str, frame: pd.DataFrame, note: str = "") -> None:
        """A table (e.g. the comparison of candidates), stored under ``key`` in the JSON."""
        text = f"## {heading}\n\n"
        if note:
            text += f"{note}\n\n"
        self._markdown.append(text + markdown_table(frame))
        self._json[key] = _jsonable(frame)

    def add_preformatted(self, heading: str, key: str, frame: pd.DataFrame, text: str,
                         note: str = "") -> None:
        """A table shown as ``text``, exactly as a command prints it (e.g. the benchmark
        table with its mean line), stored as ``frame`` under ``key`` in the JSON."""
        markdown = f"## {heading}\n\n"
        if note:
            markdown += f"{note}\n\n"
        self._markdown.append(markdown + "```\n" + text.rstrip("\n") + "\n```")
        self._json[key] = _jsonable(frame)

    def add_breakdown(self, heading: str, key: str, breakdown: ScoreBreakdown,
                      note: str = "") -> None:
        """Bidirectional AUC overall, by Details class and by type combination."""
        text = f"## {heading}\n\n"
        if note:
            text += f"{note}\n\n"
        text += f"Bidirectional AUC: **{_cell(breakdown.overall)}**\n"
        if breakdown.by_details is not None:
            text += "\nBy Details class (one-vs-rest AUC):\n\n"
            text += markdown_table(breakdown.by_details, "Details")
            text += "\n"
        if breakdown.by_types is not None and len(breakdown.by_types):
            text += "\nBy type combination (first letter: A; N numerical, C categorical, " \
                    "B binary):\n\n"
            text += markdown_table(breakdown.by_types, "types")
            text += "\n"
        self._markdown.append(text.rstrip())
        self._json[key] = _jsonable(breakdown.to_dict())

    def add_roc(self, label: str, target, score) -> None:
        """Scores of labelled pairs to draw as ROC curves (both directions) in ``roc.png``."""
        target = np.asarray(target, dtype=np.int64)
        score = np.asarray(score, dtype=np.float64)
        if target.shape != score.shape:
            raise ValueError(f"target and score differ in shape: {target.shape} vs {score.shape}")
        self._curves.append(_Curves(label, target, score))

    def add_importance(self, importance: pd.Series, top: int = 12) -> None:
        """Importance by feature axis (tables of the ``top`` values per axis, and a plot)."""
        by_axis = importance_by_axis(importance)
        self._importance = by_axis
        lines = ["## Importance by feature axis",
                 "",
                 "LightGBM gain of every column, summed along each axis of the column names "
                 f"({len(importance)} columns; share of the total gain).", ""]
        for axis, frame in by_axis.items():
            shown = frame.head(top)
            lines.append(f"**{axis}**" + (f" (top {top} of {len(frame)})"
                                          if len(frame) > top else "") + ":\n")
            lines.append(markdown_table(shown[["share", "n_columns"]], axis))
            lines.append("")
        top_columns = importance.sort_values(ascending=False).head(top)
        total = float(importance.sum()) or 1.0
        lines.append(f"**top {top} columns**:\n")
        lines.append(markdown_table(pd.DataFrame({"share": top_columns / total}), "column"))
        self._markdown.append("\n".join(lines))
        self._json["importance_by_axis"] = {axis: _jsonable(frame)
                                            for axis, frame in by_axis.items()}
        self._json["importance_top_columns"] = _jsonable(top_columns / total)

    def to_dict(self) -> dict:
        """The JSON form of every section added so far."""
        return {"title": self.title, **self._json}

    def write(self, directory) -> dict[str, Path]:
        """Write ``report.md``, ``report.json`` and the PNG plots into ``directory``.

        Returns the paths written, by kind. Each file is written atomically.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        figures = []
        if self._curves:
            paths["roc"] = directory / "roc.png"
            _plot_roc(self._curves, paths["roc"])
            figures.append("![ROC curves](roc.png)")
        if self._importance is not None:
            paths["importance"] = directory / "importance.png"
            _plot_importance(self._importance, paths["importance"])
            figures.append("![Importance by feature axis](importance.png)")
        markdown = f"# {self.title}\n\n" + "\n\n".join(self._markdown)
        if figures:
            markdown += "\n\n## Plots\n\n" + "\n\n".join(figures)
        paths["markdown"] = directory / "report.md"
        with atomic_path(paths["markdown"]) as tmp:
            Path(tmp).write_text(markdown + "\n", encoding="utf-8")
        paths["json"] = directory / "report.json"
        with atomic_path(paths["json"]) as tmp:
            Path(tmp).write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n",
                                 encoding="utf-8")
        return paths


# -- plots -----------------------------------------------------------------------------------

def _pyplot():
    # A file-only backend: reports are written on servers without a display.
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save_figure(figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")


def _plot_roc(curves: list[_Curves], path: Path) -> None:
    from .metrics import mann_whitney_auc

    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
    directions = (("A->B (Target 1) ranked by score", 1, 1.0),
                  ("B->A (Target -1) ranked by -score", -1, -1.0))
    for ax, (title, label, sign) in zip(axes, directions):
        for curve in curves:
            positive = curve.target == label
            if positive.all() or not positive.any():
                continue
            fpr, tpr = roc_points(positive, sign * curve.score)
            auc = mann_whitney_auc(positive, sign * curve.score)
            ax.plot(fpr, tpr, label=f"{curve.label} (AUC {auc:.3f}, n={len(positive)})")
        ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("false positive rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("true positive rate")
    _save_figure(figure, path)
    plt.close(figure)


def _plot_importance(by_axis: dict[str, pd.DataFrame], path: Path, top: int = 10) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(by_axis), figsize=(3.2 * len(by_axis), 4.2))
    for ax, (axis, frame) in zip(np.atleast_1d(axes), by_axis.items()):
        shown = frame.head(top).iloc[::-1]
        ax.barh([str(v) for v in shown.index], shown["share"].to_numpy(), color="tab:blue")
        ax.set_title(axis, fontsize=10)
        ax.set_xlabel("share of gain")
        ax.tick_params(axis="y", labelsize=8)
    figure.suptitle("LightGBM gain summed by feature axis", fontsize=11)
    figure.tight_layout()
    _save_figure(figure, path)
    plt.close(figure)


# -- the report of a pipeline run ------------------------------------------------------------

@dataclass(frozen=True)
class HeldOut:
    """The final model's scores of a held-out set with a target."""

    #: The held-out targets (``Target``, ``Details``) by SampleID.
    target: pd.DataFrame
    #: The scores, in the order of ``target``.
    scores: pd.Series
    breakdown: ScoreBreakdown


@dataclass(frozen=True)
class PipelineRun:
    """What a pipeline run produced, as :func:`pipeline_report` reports it.

    Built by the pipeline's report step (:mod:`causepairs.pipeline`) from what the steps
    before it left; every number the report shows comes from here.
    """

    name: str
    description: str
    #: The pipeline file (or ``pipelines/NAME.toml``).
    source: str
    #: Worker processes used (resolved).
    n_jobs: int
    #: The generator settings of the generated sets, or None.
    generator_settings: str | None
    #: The feature set computed for every data set.
    feature_set: object
    #: The final model (fitted on all training pairs).
    model: object
    #: Every step's record in ``pipeline_state.json`` (``seconds`` and what it returned).
    steps: dict
    #: The steps that ran now (the others were up to date).
    steps_run: list
    #: One row per candidate (see :func:`causepairs.pipeline.evaluate_candidates`).
    candidates: pd.DataFrame
    chosen: str
    #: The chosen candidate's evaluation: per scheme (``cv``, ``grouped:COLUMN``) its AUC
    #: and out-of-fold scores, in the order of ``sample_ids``.
    evaluation: dict
    select_by: str
    folds: int
    group_by: tuple
    group_folds: int
    #: The training targets (``Target``, ``Details``), publicinfo and recipe groups, by
    #: SampleID, in the same order.
    target: pd.DataFrame
    train_info: pd.DataFrame
    groups: pd.DataFrame
    heldout: HeldOut | None = None
    #: The benchmark table (:func:`causepairs.benchmark.score_table`), or None.
    benchmark: pd.DataFrame | None = None

    def oof(self, scheme: str) -> pd.Series:
        """The chosen candidate's out-of-fold scores of ``scheme``, by SampleID."""
        return pd.Series(self.evaluation["schemes"][scheme]["oof_score"],
                         index=self.evaluation["sample_ids"])


def pipeline_report(run: PipelineRun) -> Report:
    """The report of a pipeline run: the run's facts, the candidates, the chosen candidate's
    cross-validation (overall and per left-out group), the held-out set, the benchmarks, the
    ROC curves and importance by feature axis."""
    import os

    from . import __version__
    from .metrics import bidirectional_auc, score_breakdown

    report = Report(f"causepairs pipeline {run.name!r}")
    if run.description:
        report.add_text(None, run.description)
    steps, model, feature_set = run.steps, run.model, run.feature_set
    target, heldout = run.target, run.heldout
    report.add_facts("Run", "run", {
        "pipeline file": run.source,
        "causepairs version": __version__,
        "machine cores": os.cpu_count(),
        "n_jobs": run.n_jobs,
        "training pairs": len(target),
        "held-out pairs": None if heldout is None else len(heldout.target),
        "generator settings": run.generator_settings,
        "feature set": f"{feature_set.name} ({len(feature_set)} columns)",
        "model feature set": (None if model.feature_set is feature_set else
                              f"{model.feature_set.name} ({len(model.feature_set)} columns)"),
        "feature seconds (train)": steps.get("features:train", {}).get("seconds"),
        "feature seconds (held-out)": steps.get("features:heldout", {}).get("seconds"),
        "feature seconds (benchmarks)": (
            # The mean line has no step of its own: it adds nothing.
            sum(steps.get(f"features:benchmark:{name}", {}).get("seconds", 0.0)
                for name in run.benchmark.index)
            if run.benchmark is not None else None),
        "final fit seconds": steps.get("train", {}).get("fit_seconds"),
        "chosen candidate": run.chosen,
        "selected by": ("mean AUC of the grouped cross-validations (out of generator "
                        "family)") if run.select_by == "grouped" else "cross-validated AUC",
        "steps run now": ", ".join(run.steps_run) or "none (all up to date)",
    })
    report.add_table(
        "Candidates", "candidates", run.candidates,
        note=(f"Bidirectional AUC of out-of-fold scores. `cv`: stratified {run.folds}-fold; "
              "`grouped:COLUMN`: folds never share a value of the generator's recipe "
              "COLUMN (" + ("each family left out in turn" if run.group_folds == 0 else
                            f"{run.group_folds} grouped folds") + "), an estimate of "
              "performance on pairs unlike any training pair. `fit s`: total LightGBM "
              "fit time of all folds."))
    cv_oof = run.oof("cv").loc[target.index].to_numpy()
    details = target["Details"] if target["Details"].notna().all() else None
    report.add_breakdown(
        f"Cross-validation of {run.chosen!r}", "cv_breakdown",
        score_breakdown(target["Target"].to_numpy(), cv_oof, details,
                        run.train_info["A type"], run.train_info["B type"]),
        note=f"Out-of-fold scores of stratified {run.folds}-fold cross-validation on the "
             "training pairs.")
    for column in run.group_by:
        scheme = f"grouped:{column}"
        oof = run.oof(scheme)
        labels = run.groups[column].astype(str)
        rows = {}
        for value in sorted(labels.unique()):
            member = labels.index[labels == value]
            y_g = target.loc[member, "Target"].to_numpy()
            rows[value] = {"n": len(member), "n_A>B": int((y_g == 1).sum()),
                           "n_B>A": int((y_g == -1).sum()),
                           "n_neither": int((y_g == 0).sum()),
                           "bidirectional_auc": bidirectional_auc(y_g, oof.loc[member])}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = column
        pooled = run.evaluation["schemes"][scheme]["auc"]
        report.add_table(
            f"Left-out {column.replace('_', ' ')}: {run.chosen!r}", f"grouped_{column}", table,
            note=f"Each row: the pairs of one {column} value, scored by models that never "
                 f"saw that value in training (pooled AUC {pooled:.4f}). A value "
                 "with only one kind of target has no AUC (-).")
    if heldout is not None:
        report.add_breakdown("Held-out set", "heldout", heldout.breakdown,
                             note="The final model (fitted on all training pairs) on the "
                                  "held-out pairs.")
    if run.benchmark is not None:
        from .benchmark import format_table

        report.add_preformatted(
            "Benchmarks", "benchmark", run.benchmark, format_table(run.benchmark),
            note="The final model on the benchmark folders, as `causepairs benchmark "
                 "--model MODEL_DIR DIR ...` prints it: per set, direction accuracy (sign "
                 "of the score; a zero counts one half) and AUC, weighted where "
                 "weighted = yes; the published methods' accuracies beside them where a "
                 "baseline_results file names the set (best: the best of them); the mean "
                 "of the sets whose pairs all count the same (the synthetic sets), then "
                 "the weighted sets (real pairs, such as Lisbon) on their own lines. "
                 "Every pair's score: benchmark_scores.json.")
    report.add_roc("cross-validation (out-of-fold)", target["Target"].to_numpy(), cv_oof)
    if heldout is not None:
        report.add_roc("held-out", heldout.target["Target"].to_numpy(),
                       heldout.scores.to_numpy())
    report.add_importance(model.feature_importances("gain"))
    return report
