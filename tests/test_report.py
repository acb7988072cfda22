"""The evaluation report: importance by feature axis, Markdown/JSON/PNG output."""

import json

import numpy as np
import pandas as pd
import pytest

from causepairs.metrics import score_breakdown
from causepairs.report import Report, column_axes, importance_by_axis, markdown_table

COLUMNS = ["A>B|in=rank|out=std|knn15|r2", "B>A|in=rank|out=std|knn15|r2",
           "diff|in=raw|out=eqfreq5|ctree2|brier_skill", "sym|in=raw|hsic", "A|is_binary",
           "A>B|in=pca1|out=std|nw0.3|mae_std"]


def test_column_axes_split_names():
    axes = column_axes(COLUMNS)
    assert axes.loc[COLUMNS[0]].tolist() == ["A>B", "rank", "std", "knn", "r2"]
    assert axes.loc[COLUMNS[2]].tolist() == ["diff", "raw", "eqfreq5", "ctree", "brier_skill"]
    assert axes.loc[COLUMNS[3]].tolist() == ["sym", "raw", "(none)", "(none)", "hsic"]
    assert axes.loc[COLUMNS[4]].tolist() == ["A", "(none)", "(none)", "(none)", "is_binary"]
    assert axes.loc[COLUMNS[5], "model"] == "nw"


def test_importance_by_axis_sums_and_shares():
    gain = pd.Series([4.0, 2.0, 1.0, 0.0, 3.0, 0.0], index=COLUMNS)
    by_axis = importance_by_axis(gain)
    model = by_axis["model"]
    assert model.loc["knn", "gain"] == 6.0 and model.loc["knn", "n_columns"] == 2
    assert model.index[0] == "knn"  # sorted by gain
    for frame in by_axis.values():
        assert frame["gain"].sum() == pytest.approx(10.0)
        assert frame["share"].sum() == pytest.approx(1.0)
    zero = importance_by_axis(gain * 0)
    assert (zero["scope"]["share"] == 0).all()
    with pytest.raises(ValueError, match="non-negative"):
        importance_by_axis(-gain)


def test_markdown_table_formats_nan_and_floats():
    frame = pd.DataFrame({"auc": [0.71234, np.nan], "n": [3, 4]}, index=["a", "b"])
    text = markdown_table(frame, "group")
    assert text.splitlines()[0] == "| group | auc | n |"
    assert "| a | 0.7123 | 3 |" in text and "| b | - | 4 |" in text


def test_report_writes_markdown_json_and_pngs(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(-1, 2, 200)
    score = y + rng.normal(0, 1, 200)
    types = np.array(["Numerical"] * 150 + ["Binary"] * 50)
    report = Report("test report")
    report.add_facts("Run", "run", {"pairs": 200, "auc": float("nan")})
    report.add_breakdown("CV", "cv", score_breakdown(y, score, None, types, types))
    report.add_roc("cv", y, score)
    report.add_importance(pd.Series(rng.random(len(COLUMNS)), index=COLUMNS), top=3)
    paths = report.write(tmp_path / "r")
    assert paths["roc"].read_bytes()[:4] == b"\x89PNG"
    assert paths["importance"].read_bytes()[:4] == b"\x89PNG"
    data = json.loads(paths["json"].read_text())
    assert data["run"] == {"pairs": 200, "auc": None}
    assert data["cv"]["by_types"]["BB"]["n"] == 50
    markdown = paths["markdown"].read_text()
    assert markdown.startswith("# test report")
    assert "(top 3 of" in markdown and "![ROC curves](roc.png)" in markdown
    with pytest.raises(ValueError, match="shape"):
        report.add_roc("bad", y, score[:10])


class _Set:
    """Just what the report reads of a feature set: a name and a length."""

    def __init__(self, name, columns):
        self.name, self.columns = name, columns

    def __len__(self):
        return len(self.columns)


class _Model:
    def __init__(self, feature_set):
        self.feature_set = feature_set

    def feature_importances(self, kind):
        return pd.Series(np.arange(len(self.feature_set.columns), dtype=float),
                         index=self.feature_set.columns)


def _run(heldout: bool, group_by=("mechanism_family",)):
    from causepairs.report import HeldOut, PipelineRun

    ids = [f"p{i}" for i in range(12)]
    target = pd.DataFrame({"Target": [1, -1, 0] * 4, "Details": [1, 2, 3] * 4},
                          index=pd.Index(ids, name="SampleID"))
    oof = np.linspace(-1, 1, 12)
    evaluation = {"sample_ids": ids[::-1],  # another order than the target's: aligned by ID
                  "schemes": {"cv": {"auc": 0.6, "oof_score": list(oof[::-1])},
                              "grouped:mechanism_family": {"auc": 0.55,
                                                           "oof_score": list(oof[::-1])}}}
    info = pd.DataFrame({"A type": ["Numerical"] * 12, "B type": ["Binary"] * 12}, index=ids)
    groups = pd.DataFrame({"mechanism_family": ["a", "b"] * 6}, index=ids)
    fs = _Set("tiny", COLUMNS)
    candidates = pd.DataFrame({"chosen": ["yes"], "cv AUC": [0.6]},
                              index=pd.Index(["regression"], name="candidate"))
    held = None
    if heldout:
        scores = pd.Series(oof, index=ids)
        held = HeldOut(target, scores, score_breakdown(target["Target"].to_numpy(),
                                                       scores.to_numpy(), target["Details"]))
    return PipelineRun(name="t", description="a test", source="t.toml", n_jobs=1,
                       generator_settings=None, feature_set=fs, model=_Model(fs),
                       steps={"train": {"seconds": 1.0, "fit_seconds": 0.5}},
                       steps_run=["train"], candidates=candidates, chosen="regression",
                       evaluation=evaluation, select_by="grouped", folds=3,
                       group_by=tuple(group_by), group_folds=2, target=target,
                       train_info=info, groups=groups, heldout=held)


def test_pipeline_report_from_one_structured_result(tmp_path):
    from causepairs.metrics import bidirectional_auc
    from causepairs.report import pipeline_report

    run = _run(heldout=True)
    report = pipeline_report(run)
    data = report.to_dict()
    assert data["title"] == "causepairs pipeline 't'"
    assert data["run"]["final fit seconds"] == 0.5 and data["run"]["chosen candidate"] == \
        "regression"
    # Out-of-fold scores are aligned by SampleID, not by position.
    assert data["cv_breakdown"]["bidirectional_auc"] == pytest.approx(
        bidirectional_auc(run.target["Target"].to_numpy(), np.linspace(-1, 1, 12)))
    assert set(data["grouped_mechanism_family"]) == {"a", "b"}
    assert data["heldout"]["bidirectional_auc"] == pytest.approx(run.heldout.breakdown.overall)
    paths = report.write(tmp_path)
    markdown = paths["markdown"].read_text()
    assert "## Held-out set" in markdown and "## Left-out mechanism family" in markdown
    without = pipeline_report(_run(heldout=False, group_by=())).to_dict()
    assert "heldout" not in without and "grouped_mechanism_family" not in without
    assert without["run"]["held-out pairs"] is None
