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
