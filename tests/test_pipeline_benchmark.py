"""Pipelines as named configurations: generator settings, every model parameter, a model on a
subset of the computed columns, and the benchmark step (the final model scored on benchmark
folders as `causepairs benchmark` scores it, features cached in the run folder)."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from causepairs.cli import main
from causepairs.pipeline import (PipelineError, RunContext, _materialise, load_pipeline,
                                 run_pipeline)
from test_datasets import write_anlsmn, write_mooij

SUBSET = """
name = "small"
[folds]
n_folds = 5
seed = 0
[[family]]
name = "causal"
[[family]]
name = "dependence"
in = ["raw"]
"""

PIPELINE = """
[pipeline]
name = "bench"
n_jobs = 1

[generator]
min_size = 30
max_size = 60
mechanism_weights = {{ linear = 1.0, sine = 1.0 }}
noise_model_weights = {{ multiplicative = 1.0 }}

[data.train]
generate = {{ n_pairs = 40, seed = 3 }}

[features]
set = "fast"
chunk_size = 16

[model]
n_estimators = 10
min_child_samples = 5

[evaluation]
folds = 2

[evaluation.candidates.all]
formulation = "regression"

[evaluation.candidates.subset]
feature_set = "small.toml"

[benchmark]
dirs = [{dirs}]
"""

GENERATED = "[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n"


def benchmark_sets(root):
    """Two equal-weight sets (one per format, with published scores) and a weighted one."""
    rng = np.random.default_rng(11)

    def causal(n):
        x = rng.normal(size=n)
        return np.column_stack([x, np.tanh(x) + 0.3 * rng.normal(size=n)])

    tables = {f"{k:04d}": causal(40 + 5 * k) for k in range(1, 5)}
    tables["0002"] = tables["0002"][:, ::-1].copy()
    tables["0005"] = rng.normal(size=(40, 3))          # multivariate: skipped
    write_mooij(root / "SIM-t", tables, ["0001 1 1 2 2 1", "0002 2 2 1 1 1", "0003 1 1 2 2 1",
                                         "0004 1 1 2 2 1", "0005 1 2 3 3 1"])
    write_mooij(root / "Real", {k: tables[k] for k in ("0001", "0002", "0003")},
                ["0001 1 1 2 2 0.5", "0002 2 2 1 1 0.5", "0003 1 1 2 2 1"])
    an = [causal(50) for _ in range(4)]
    an[1] = an[1][:, ::-1].copy()
    write_anlsmn(root / "AN-t", an, [1, 0, 1, 1])
    results = root / "baseline_results"
    results.mkdir()
    (results / "ANt.tab").write_text(
        "PairID\tGroundTruth\tWeight\tQCCD\tRESIT_std\n"
        "1\t1\t1\t0.5\t0.2\n2\t-1\t1\t0.1\t-0.3\n3\t1\t1\t0.2\t0.4\n4\t1\t1\t-1\t1\n")
    return root


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipe_bench")
    benchmark_sets(d / "sets")
    (d / "small.toml").write_text(SUBSET)
    spec = d / "p.toml"
    # Relative to the pipeline file, as every path in it.
    spec.write_text(PIPELINE.format(dirs='"sets"'))
    lines = []
    result = run_pipeline(spec, out=d / "run", quiet=True, log=lines.append)
    return d, spec, result, lines


def test_generator_table_takes_effect(finished):
    d, spec, _, _ = finished
    recipes = pd.read_csv(d / "run" / "data" / "train_recipes.csv")
    assert recipes["n"].between(30, 60).all()
    dependent = recipes[recipes["details"].isin([1, 2])]
    assert len(dependent) and set(dependent["mechanism"]) <= {"linear", "sine"}
    assert set(dependent["noise_family"]) == {"multiplicative"}
    settings = load_pipeline(spec).train.generator_settings
    assert settings["min_size"] == 30 and settings["noise_model_weights"] == {
        "multiplicative": 1.0}
    report = json.loads((d / "run" / "report" / "report.json").read_text())
    assert "noise_model_weights" in report["run"]["generator settings"]


def test_benchmark_step_matches_causepairs_benchmark(finished, capsys):
    d, _, result, lines = finished
    assert "[benchmark] note: SIM-t pair 0005 skipped (multivariate" in "\n".join(lines)
    table = result.benchmark
    # The sets of a folder in name order; the weighted set after the mean, outside it.
    assert list(table.index) == ["AN-t", "SIM-t", "mean (2 sets)", "Real"]
    # The same model scored by the command: the same table and the same score for every pair,
    # whether its features were cached by the pipeline or streamed by the command.
    out = d / "cli.json"
    assert main(["benchmark", "--model", str(d / "run" / "model"), str(d / "sets"),
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    command = json.loads(out.read_text())
    ours = json.loads((d / "run" / "report" / "benchmark_scores.json").read_text())
    assert ours["pairs"] == command["pairs"]
    assert ours["table"] == command["table"]
    assert table.loc["AN-t", "QCCD"] == pytest.approx(0.5)

    from causepairs.benchmark import format_table

    text = format_table(table)
    assert text in printed
    markdown = (d / "run" / "report" / "report.md").read_text()
    assert "## Benchmarks" in markdown and text in markdown
    report = json.loads((d / "run" / "report" / "report.json").read_text())
    assert set(report["benchmark"]) == {"SIM-t", "AN-t", "mean (2 sets)", "Real"}
    csv = pd.read_csv(d / "run" / "report" / "benchmark.csv", index_col="set")
    assert csv.loc["Real", "accuracy"] == pytest.approx(table.loc["Real", "accuracy"])
    # Features of the model's own columns only.
    metadata = json.loads((d / "run" / "model" / "metadata.json").read_text())
    features = pd.read_parquet(d / "run" / "features" / "benchmark" / "AN-t.parquet")
    assert list(features.columns) == metadata["columns"] and len(features) == 4
    assert metadata["feature_set"]["name"] == ("small" if result.chosen == "subset" else "fast")


def test_candidate_on_a_subset_of_the_columns(finished):
    d, _, result, _ = finished
    entry = json.loads((d / "run" / "evaluation" / "subset.json").read_text())
    assert entry["params"]["feature_set"] == "small"
    assert json.loads((d / "run" / "evaluation" / "all.json").read_text())[
        "params"]["feature_set"] == "fast"
    assert set(result.candidates.index) == {"all", "subset"}


def test_rerun_reuses_benchmark_features_and_cli_prints_the_table(finished, capsys):
    d, spec, result, _ = finished
    work = d / "again"
    shutil.copytree(d / "run", work)
    lines = []
    again = run_pipeline(spec, out=work, quiet=True, log=lines.append)
    assert again.steps_run == []
    assert {"features:benchmark:SIM-t", "features:benchmark:AN-t",
            "features:benchmark:Real"} <= set(again.steps_skipped)
    assert again.benchmark.equals(result.benchmark)

    # --benchmark replaces the file's folders: one set, its features reused.
    assert main(["run", str(spec), "--out", str(work), "--quiet",
                 "--benchmark", str(d / "sets" / "AN-t")]) == 0
    out = capsys.readouterr().out
    assert "[features:benchmark:AN-t] up to date, skipped" in out
    header = next(line for line in out.splitlines() if line.split()[:2] == ["pairs", "weighted"])
    assert "QCCD" in header
    assert "mean (1 set)" in out and "SIM-t " not in out
    markdown = (work / "report" / "report.md").read_text()
    assert "AN-t" in markdown and "SIM-t" not in markdown

    # --baselines replaces the baseline_results folder beside the sets.
    (d / "published").mkdir()
    other = d / "published" / "AN_t.tab"   # matched to the set by name, as by the command
    other.write_text((d / "sets" / "baseline_results" / "ANt.tab").read_text()
                     .replace("QCCD", "OTHER"))
    assert main(["run", str(spec), "--out", str(work), "--quiet",
                 "--benchmark", str(d / "sets" / "AN-t"), "--baselines", str(other)]) == 0
    out = capsys.readouterr().out
    assert "OTHER" in out and "QCCD" not in out

    # A changed set: its features are computed again, the others' are not.
    changed = d / "sets2"
    shutil.copytree(d / "sets", changed)
    path = changed / "AN-t" / "pair_1.txt"
    rows = path.read_text().splitlines()
    index, _, y = rows[1].split(",")
    rows[1] = f"{index},0.123,{y}"
    path.write_text("\n".join(rows) + "\n")
    third = run_pipeline(spec, out=work, quiet=True, log=lambda _: None,
                         benchmark=[changed / "AN-t", changed / "SIM-t"])
    assert "features:benchmark:AN-t" in third.steps_run
    assert "features:benchmark:SIM-t" in third.steps_skipped


def test_benchmark_paths_are_relative_to_the_pipeline_file(tmp_path, monkeypatch):
    (tmp_path / "sets" / "baseline_results").mkdir(parents=True)
    path = tmp_path / "p.toml"
    path.write_text(GENERATED + "[benchmark]\ndirs = ['sets', '" + str(tmp_path / "sets")
                    + "']\nbaselines = 'sets/baseline_results'\n")
    monkeypatch.chdir(tmp_path.parent)
    spec = load_pipeline(path)
    assert spec.benchmark_dirs == (tmp_path / "sets", tmp_path / "sets")
    assert spec.baselines == tmp_path / "sets" / "baseline_results"


def test_generator_settings_are_part_of_the_data_fingerprint(tmp_path):
    text = """
[pipeline]
n_jobs = 1
[generator]
min_size = 20
max_size = 30
{extra}
[data.train]
generate = {{ n_pairs = 6, seed = 2 }}
"""
    path = tmp_path / "g.toml"
    out = tmp_path / "run"
    out.mkdir()

    def generate(extra):
        path.write_text(text.format(extra=extra))
        spec = load_pipeline(path)
        context = RunContext(spec, out, 1, {"backend": "joblib"}, True, lambda _: None)
        _materialise(context, spec.train)
        return context, (out / "data" / "train_pairs.csv").read_bytes()

    first, pairs = generate("")
    assert first.ran == ["data:train"]
    again, same = generate("")
    assert again.skipped == ["data:train"] and same == pairs
    changed, other = generate("mechanism_weights = { step = 1.0 }")
    assert changed.ran == ["data:train"] and other != pairs
    recipes = pd.read_csv(out / "data" / "train_recipes.csv")
    assert set(recipes.loc[recipes["details"].isin([1, 2]), "mechanism"]) == {"step"}
    # A data set's own settings override [generator].
    path.write_text(text.format(extra="") .replace(
        "seed = 2 }", "seed = 2, max_size = 25, min_size = 25 }"))
    spec = load_pipeline(path)
    assert spec.train.config.min_size == spec.train.config.max_size == 25


def test_every_model_parameter_is_accepted(tmp_path):
    from causepairs.factory.spec import load_feature_set
    from causepairs.model import CausalDirectionModel

    defaults = CausalDirectionModel(load_feature_set("fast")).get_params()
    lines = [f"{name} = {json.dumps(value)}" for name, value in defaults.items()
             if name not in ("feature_set", "n_jobs")
             and isinstance(value, (bool, int, float, str))]
    path = tmp_path / "m.toml"
    path.write_text("[data.train]\ngenerate = { n_pairs = 5, seed = 1 }\n[model]\n"
                    + "\n".join(lines) + "\n")
    model = load_pipeline(path).model
    assert model == {name: value for name, value in defaults.items()
                     if f"{name} = " in "\n".join(lines)}
    assert {"formulation", "n_estimators", "random_state"} <= set(model)


@pytest.mark.parametrize("text, message", [
    (GENERATED + "[generator]\nmin_sise = 20\n",
     "[generator] min_sise: unknown key; the generator's settings are details_weights"),
    (GENERATED + "[generator]\nmin_size = 5\n",
     "[generator] min_size must be an integer >= 10, got 5"),
    (GENERATED + "[generator]\nmin_size = 100\nmax_size = 50\n",
     "[generator] max_size must be >= min_size"),
    (GENERATED + "[generator]\nmechanism_weights = { nope = 1.0 }\n",
     "[generator] mechanism_weights names unknown entries ['nope']"),
    (GENERATED + "[generator]\nsnr_range = 'wide'\n",
     "[generator] snr_range must be a (low, high) pair"),
    ("[data.train]\ngenerate = { n_pairs = 5, seed = 1, snr_range = [1.0] }\n",
     "[data.train.generate] snr_range must be a (low, high) pair"),
    ("[data.train]\ngenerate = { n_pairs = 5, seed = 1, colour = 1 }\n",
     "[data.train.generate] colour: unknown key"),
    (GENERATED + "[model]\nn_jobs = 2\n", "[model] n_jobs: set the worker count with"),
    (GENERATED + "[model]\nnum_leaves = 1\n", "[model] num_leaves must be an integer >= 2"),
    (GENERATED + "[model]\nlearning_rate = 'fast'\n", "[model] learning_rate must be a number"),
    (GENERATED + "[evaluation.candidates.x]\nsubsample = 2.0\n",
     "[evaluation.candidates.x] subsample must be a number in (0, 1]"),
    (GENERATED + "[model]\nfeature_set = 'nope.toml'\n", "nope.toml: feature-set file not found"),
    (GENERATED + "[features]\nset = 'fast'\n[model]\nfeature_set = 'full'\n",
     "[model] feature_set 'full': its folds (n_folds 10, seed 0) differ from those of "
     "[features] set 'fast'"),
    (GENERATED + "[evaluation.candidates.x]\nfeature_set = 'other.toml'\n",
     "[evaluation.candidates.x] feature_set 'other': column "),
    (GENERATED + "[benchmark]\ndirs = ['missing']\n", "[benchmark] dirs: no such file or folder"),
    (GENERATED + "[benchmark]\ndirs = 'sets'\n", "[benchmark] dirs: expected list"),
    (GENERATED + "[benchmark]\nsets = ['x']\n", "[benchmark] sets: unknown key"),
])
def test_bad_settings_get_one_line_naming_the_file(tmp_path, text, message):
    # A set with the folds of fast but a column fast does not compute (dependence on ranks).
    (tmp_path / "other.toml").write_text(SUBSET.replace('"small"', '"other"')
                                         .replace('in = ["raw"]', 'in = ["rank"]'))
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)
    if "'other'" in message:
        assert "is not computed by [features] set 'fast' (5 missing)" in str(info.value)


def test_cli_bad_benchmark_settings_exit_codes(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(GENERATED + "[generator]\nmax_attempts = 0\n")
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "max_attempts must be an integer >= 1" in err
    path.write_text(GENERATED)
    assert main(["run", str(path), "--out", str(tmp_path / "r"),
                 "--benchmark", str(tmp_path / "none")]) == 1
    assert "--benchmark" in capsys.readouterr().err
    assert main(["run", str(path), "--out", str(tmp_path / "r"),
                 "--baselines", str(tmp_path / "none")]) == 2
    assert "--baselines" in capsys.readouterr().err
    # A folder that is no benchmark set fails before any step runs.
    (tmp_path / "empty").mkdir()
    assert main(["run", str(path), "--out", str(tmp_path / "r"), "--benchmark",
                 str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert "neither pairmeta.txt" in err and err.count("\n") == 1
    assert not (tmp_path / "r" / "data").exists()
