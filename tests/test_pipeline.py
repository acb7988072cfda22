"""Declarative pipelines: validation of the file, the end-to-end run, resume, the CLI."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from causepairs.cli import main
from causepairs.io import read_submission, read_target
from causepairs.pipeline import PipelineError, builtin_pipelines, load_pipeline, run_pipeline

SMALL = """
[pipeline]
name = "small"
n_jobs = 1

[data.train]
generate = {{ n_pairs = 64, seed = 5, min_size = 100, max_size = 300 }}

[data.heldout]
generate = {{ n_pairs = 24, seed = 6, min_size = 100, max_size = 300 }}

[features]
set = "fast"
chunk_size = 16

[model]
n_estimators = {n_estimators}
min_child_samples = 5

[evaluation]
folds = 3
group_by = ["mechanism_family"]
group_folds = 2

[evaluation.candidates.regression]
formulation = "regression"

[evaluation.candidates.binary_pair]
formulation = "binary_pair"
"""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipeline")
    spec = write(d, SMALL.format(n_estimators=15))
    lines = []
    result = run_pipeline(spec, out=d / "run", quiet=True, log=lines.append)
    return d, spec, result, lines


def test_run_writes_model_submission_and_report(finished):
    d, _, result, _ = finished
    out = d / "run"
    assert result.chosen in ("regression", "binary_pair")
    assert set(result.candidates.index) == {"regression", "binary_pair"}
    assert {"cv AUC", "grouped:mechanism_family AUC", "grouped mean AUC"} <= set(
        result.candidates.columns)
    assert (result.candidates["chosen"] == "yes").sum() == 1
    # The chosen candidate has the best grouped score.
    assert result.candidates.loc[result.chosen, "grouped mean AUC"] == \
        result.candidates["grouped mean AUC"].max()

    scores = read_submission(out / "submission.csv")
    target = read_target(out / "data" / "heldout_target.csv")
    assert list(scores.index) == list(target.index)
    assert np.isfinite(scores.to_numpy()).all()
    assert 0.0 <= result.heldout_auc <= 1.0
    metadata = json.loads((out / "model" / "metadata.json").read_text())
    assert metadata["training"]["candidate"] == result.chosen
    assert "grouped:mechanism_family" in metadata["cv_scores"]

    report = out / "report"
    for png in ("roc.png", "importance.png"):
        assert (report / png).read_bytes()[:8] == PNG_MAGIC
    markdown = (report / "report.md").read_text()
    for heading in ("## Candidates", "## Held-out set", "## Left-out mechanism family",
                    "## Importance by feature axis", "![ROC curves](roc.png)"):
        assert heading in markdown
    data = json.loads((report / "report.json").read_text())
    assert data["heldout"]["bidirectional_auc"] == pytest.approx(result.heldout_auc)
    assert set(data["importance_by_axis"]) == {"scope", "input", "output", "model", "measure"}
    shares = [row["share"] for row in data["importance_by_axis"]["model"].values()]
    assert sum(shares) == pytest.approx(1.0)


def test_rerun_skips_finished_steps_and_redoes_what_changed(finished):
    d, spec, result, _ = finished
    lines = []
    again = run_pipeline(spec, out=d / "run", quiet=True, log=lines.append)
    assert again.steps_run == []
    assert again.heldout_auc == result.heldout_auc

    # New model parameters: features stay, evaluation, fit and prediction run again.
    changed = write(d, SMALL.format(n_estimators=10), "changed.toml")
    work = d / "changed"
    shutil.copytree(d / "run", work)
    third = run_pipeline(changed, out=work, quiet=True, log=lines.append)
    assert not any(step.startswith(("data:", "features:")) for step in third.steps_run)
    assert {"evaluate:regression", "evaluate:binary_pair", "train",
            "predict:heldout"} <= set(third.steps_run)


def test_run_is_deterministic_whatever_n_jobs(finished, tmp_path):
    d, spec, result, _ = finished
    other = run_pipeline(spec, out=tmp_path / "two", n_jobs=2, quiet=True, log=lambda _: None)
    first = pd.read_parquet(d / "run" / "features" / "train.parquet")
    second = pd.read_parquet(tmp_path / "two" / "features" / "train.parquet")
    assert np.array_equal(first.to_numpy().view(np.uint32), second.to_numpy().view(np.uint32))
    assert other.candidates.drop(columns="fit s").equals(result.candidates.drop(columns="fit s"))
    assert (tmp_path / "two" / "submission.csv").read_bytes() == \
        (d / "run" / "submission.csv").read_bytes()


def test_cli_run_prints_the_heldout_score(finished, capsys):
    d, spec, result, _ = finished
    assert main(["run", str(spec), "--out", str(d / "run"), "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"heldout_bidirectional_auc={result.heldout_auc:.4f}"
    assert any(line.startswith("cv_bidirectional_auc=") for line in out)


def test_file_data_and_no_heldout(finished, tmp_path):
    d, _, _, _ = finished
    data = d / "run" / "data"
    text = f"""
[data.train]
pairs = "{data / 'train_pairs.csv'}"
publicinfo = "{data / 'train_publicinfo.csv'}"
target = "{data / 'train_target.csv'}"
[model]
n_estimators = 5
min_child_samples = 5
[evaluation]
folds = 2
"""
    result = run_pipeline(write(tmp_path, text), out=tmp_path / "r", quiet=True,
                          log=lambda _: None)
    assert result.heldout_auc is None and "submission" not in result.paths
    assert list(result.candidates.index) == ["model"]
    assert (tmp_path / "r" / "report" / "report.md").is_file()


@pytest.mark.parametrize("text, message", [
    ("[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n[model]\nn_trees = 3\n",
     "[model] n_trees: unknown key"),
    ("[data.train]\ngenerate = { n_pairs = 0, seed = 1 }\n", "n_pairs: expected an integer >= 1"),
    ("[features]\nset = 'fast'\n", "a [data.train] table is required"),
    ("[data.train]\npairs = 'nope.csv'\npublicinfo = 'nope.csv'\ntarget = 'x.csv'\n",
     "no such file"),
    ("[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n[evaluation]\nselect_by = 'grouped'\n",
     "'grouped' needs group_by"),
    ("[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n"
     "[evaluation.candidates.x]\nformulation = 'ranking'\n", "formulation must be one of"),
    ("[data.train\n", "not valid TOML"),
    ("[pipeline]\nbackend = 'spark'\n[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n",
     "[pipeline] backend: expected 'joblib' or 'dask'"),
    ("[pipeline]\nscheduler = 'local'\n[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n",
     "[pipeline] scheduler: needs backend = 'dask'"),
])
def test_bad_pipeline_files_get_one_clear_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(PipelineError, match=None) as info:
        load_pipeline(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_run_bad_pipeline_exits_1(tmp_path, capsys):
    path = write(tmp_path, "[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n[x]\n")
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("causepairs run: error:") and "unknown key" in err
    assert main(["run", "no-such-pipeline"]) == 1
    assert "built-in: demo, full, pretrained" in capsys.readouterr().err


def test_builtin_pipelines_load():
    assert builtin_pipelines() == ["demo", "full", "pretrained"]
    pretrained = load_pipeline("pretrained")
    # The shipped model's pipeline: its held-out set is generated, and calibrates the model.
    assert pretrained.heldout is not None and pretrained.heldout.generate is not None
    assert pretrained.feature_set == "transfer" and pretrained.train.generate["n_pairs"] == 30000
    demo, full = load_pipeline("demo"), load_pipeline("full")
    assert demo.feature_set == "fast" and full.feature_set == "full"
    for spec in (demo, full):
        assert spec.select_by == "grouped" and spec.heldout is not None
        assert set(spec.candidates) == {"regression", "multiclass", "binary_pair", "two_part"}


def test_cli_train_and_the_pipeline_make_the_same_model(finished, tmp_path):
    # Both train with causepairs.model.train_model: the same features, targets and parameters
    # give the same LightGBM model, byte for byte. The model's default parameters, which is
    # what `causepairs train` fits (it sets only the formulation).
    d, _, _, _ = finished
    text = SMALL.format(n_estimators=15).split("[model]")[0] + "[evaluation]\nfolds = 3\n"
    work = tmp_path / "run"
    shutil.copytree(d / "run", work)
    result = run_pipeline(write(tmp_path, text), out=work, quiet=True, log=lambda _: None)
    assert not any(step.startswith(("data:", "features:")) for step in result.steps_run)
    assert "train" in result.steps_run
    data = work / "data"
    assert main(["train", "--pairs", str(data / "train_pairs.csv"),
                 "--publicinfo", str(data / "train_publicinfo.csv"),
                 "--target", str(data / "train_target.csv"), "--set", "fast",
                 "--features", str(work / "features" / "train.parquet"),
                 "--out", str(tmp_path / "cli"), "--folds", "1", "--n-jobs", "1",
                 "--quiet"]) == 0
    pipeline_model = json.loads((work / "model" / "metadata.json").read_text())
    cli_model = json.loads((tmp_path / "cli" / "metadata.json").read_text())
    assert pipeline_model["params"] == cli_model["params"]
    assert pipeline_model["training"]["details_counts"] == cli_model["training"]["details_counts"]
    assert (work / "model" / "model.txt").read_bytes() == \
        (tmp_path / "cli" / "model.txt").read_bytes()


def test_steps_are_one_ordered_table_and_a_new_step_is_one_entry(finished, tmp_path,
                                                                 monkeypatch):
    from causepairs import pipeline

    assert [step.name for step in pipeline.STEPS] == [
        "read benchmarks", "data", "features", "evaluate", "train", "predict", "benchmark",
        "report"]
    d, spec, result, _ = finished
    seen = {}

    def count_columns(context):
        # A step reads what the steps before it left, and may record skippable work.
        seen["chosen"] = context.results.chosen
        record = context.step("count", "k1", [], lambda: {"n": context.results.X.shape[1]})
        seen["n"] = record["n"]

    steps = list(pipeline.STEPS)
    steps.insert(5, pipeline.Step("count columns", count_columns))
    monkeypatch.setattr(pipeline, "STEPS", tuple(steps))
    work = tmp_path / "run"
    shutil.copytree(d / "run", work)
    again = run_pipeline(spec, out=work, quiet=True, log=lambda _: None)
    assert again.steps_run == ["count"]
    assert seen["chosen"] == result.chosen
    assert seen["n"] == pd.read_parquet(work / "features" / "train.parquet").shape[1]
    state = json.loads((work / "pipeline_state.json").read_text())
    assert state["steps"]["count"]["n"] == seen["n"]


def test_pipeline_n_jobs_follows_the_one_rule(tmp_path):
    base = "[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n"
    assert load_pipeline(write(tmp_path, base)).n_jobs is None
    assert load_pipeline(write(tmp_path, "[pipeline]\nn_jobs = -2\n" + base)).n_jobs == -2
    with pytest.raises(PipelineError, match=r"\[pipeline\] n_jobs: expected N > 0 workers"):
        load_pipeline(write(tmp_path, "[pipeline]\nn_jobs = 0\n" + base))
