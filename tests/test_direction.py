"""The shipped-model path: build (tiny), direction on tables, model-info, predict without --model.

One tiny model is built by the real build (``causepairs.shipped.build_pretrained``: pipeline,
calibration, card, copy) from a pipeline of 120 short training pairs; every test uses it.
"""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import causepairs
from causepairs.cli import main
from causepairs.io import read_submission
from causepairs.model_dir import ModelLoadError
from causepairs.shipped import format_card
from causepairs.tables import (DirectionModel, MODEL_ENV, TABLE_COLUMNS, direction,
                               direction_table, prepare_column)
from causepairs.types import infer_type

TINY_PIPELINE = """
[pipeline]
name = "tiny"
n_jobs = 1
seed = 0

[generator]
min_size = 200
max_size = 300

[data.train]
generate = { n_pairs = 120, seed = 1 }

[data.heldout]
generate = { n_pairs = 60, seed = 2 }

[features]
set = "fast"

[model]
n_estimators = 30
num_leaves = 7
min_child_samples = 5

[evaluation]
folds = 2
group_by = ["mechanism_family"]
group_folds = 2
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from causepairs.shipped import build_pretrained

    root = tmp_path_factory.mktemp("shipped")
    (root / "tiny.toml").write_text(TINY_PIPELINE)
    lines = []
    facts = build_pretrained(root / "tiny.toml", out=root / "run", dest=root / "dest",
                             quiet=True, log=lines.append)
    return root, facts, lines


@pytest.fixture
def shipped(built, monkeypatch):
    """The tiny model as the default model (as if shipped in causepairs/pretrained/)."""
    root = built[0]
    monkeypatch.setenv(MODEL_ENV, str(root / "dest"))
    return root / "dest"


def table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    frame = pd.DataFrame({
        "a": a,
        "b": np.tanh(2 * a) + 0.2 * rng.normal(size=n),
        "level": rng.integers(1, 5, size=n),
        "flag": np.where(rng.random(n) < 0.5, "yes", "no"),
        "name": [f"id{i}" for i in range(n)],
    })
    frame.loc[[3, 7], "a"] = np.nan
    frame.loc[11, "flag"] = None
    return frame


# -- the build ---------------------------------------------------------------------------------

def test_build_ships_model_calibration_and_card(built):
    root, facts, lines = built
    dest = root / "dest"
    assert list(facts["files"]) == ["metadata.json", "model.txt", "calibration.json",
                                    "card.json"]
    assert sorted(p.name for p in dest.iterdir()) == sorted(facts["files"])
    card = json.loads((dest / "card.json").read_text())
    meta = json.loads((dest / "metadata.json").read_text())
    assert card["model_metadata_sha256"] == meta["metadata_sha256"]
    assert card["recipe"]["training_pairs"] == {
        "generated": True, "n_pairs": 120, "seed": 1,
        "generator_settings": {"min_size": 200, "max_size": 300}}
    assert card["scores"]["calibration"]["n_pairs"] == 60
    # The calibration report, with its reliability plot, is in the run's report folder.
    assert (root / "run" / "report" / "calibration" / "reliability.png").is_file()
    assert any(line.startswith("[calibrate] 60 held-out pairs: Brier") for line in lines)


# -- Python ------------------------------------------------------------------------------------

def test_direction_is_exactly_antisymmetric_and_sums_to_one(shipped):
    frame = table()
    forward = causepairs.direction(frame["a"], frame["b"])
    backward = causepairs.direction(frame["b"], frame["a"])
    assert (forward.x, forward.y, forward.n_rows, forward.n_dropped) == ("a", "b", 398, 2)
    assert forward.p_x_to_y == backward.p_y_to_x and forward.p_y_to_x == backward.p_x_to_y
    assert forward.p_neither == backward.p_neither and forward.score == -backward.score
    assert forward.p_x_to_y + forward.p_y_to_x + forward.p_neither == pytest.approx(1, abs=1e-12)
    # The verdict names the variables, so it reads the same whichever way they are given.
    assert forward.verdict == backward.verdict
    assert forward.verdict in ("neither", "a -> b", "b -> a")
    text = str(forward)
    assert "P(a -> b) =" in text and "2 with a missing value dropped" in text


def test_a_cold_cache_answers_with_the_reference_engine(shipped, monkeypatch):
    from causepairs import tables
    from causepairs.factory import kernel_cache

    frame = table(n=300)
    compiled = direction(frame["a"], frame["b"], engine="numba")
    monkeypatch.setattr(kernel_cache, "is_warm", lambda feature_set: False)
    cold = direction(frame["a"], frame["b"])
    assert "reference engine" in cold.note and not compiled.note
    assert cold.score == pytest.approx(compiled.score, abs=1e-9)
    assert cold.verdict == compiled.verdict
    # A pair too long for the reference engine to beat compiling goes to Numba all the same.
    monkeypatch.setattr(tables, "REFERENCE_ENGINE_MAX_ROWS", 100)
    assert direction(frame["a"], frame["b"]).note is None
    monkeypatch.setattr(kernel_cache, "is_warm", lambda feature_set: True)
    monkeypatch.setattr(tables, "REFERENCE_ENGINE_MAX_ROWS", 10_000)
    assert direction(frame["a"], frame["b"]).note is None
    with pytest.raises(ValueError, match="engine must be one of"):
        direction(frame["a"], frame["b"], engine="gpu")


def test_direction_of_arrays_and_lists_matches_the_series(shipped):
    frame = table()
    keep = frame["a"].notna()
    x, y = frame.loc[keep, "a"].to_numpy(), frame.loc[keep, "b"].to_numpy()
    from_arrays = direction(x, y, x_name="a", y_name="b")
    from_series = direction(frame["a"], frame["b"])
    assert from_arrays.score == from_series.score
    assert from_arrays.p_x_to_y == from_series.p_x_to_y


def test_direction_errors_are_one_line(shipped):
    frame = table()
    with pytest.raises(ValueError, match="differ in length"):
        direction(frame["a"], frame["b"][:10])
    with pytest.raises(ValueError, match="at least 10 needed"):
        direction(frame["a"][:9], frame["b"][:9])
    with pytest.raises(ValueError, match="neither numeric nor categorical"):
        direction(frame["a"], frame["name"])
    with pytest.raises(ValueError, match="constant"):
        direction(frame["a"], np.ones(len(frame)))
    with pytest.raises(ValueError, match="unknown type"):
        direction(frame["a"], frame["b"], y_type="Continuous")


def test_table_scores_every_pair_and_gives_bad_ones_nan_rows(shipped):
    frame = table()
    result = direction_table(frame)
    assert list(result.columns) == list(TABLE_COLUMNS) and len(result) == 10
    scored = result[result["score"].notna()]
    # 'name' is text with 400 levels: its 4 pairs get NaN rows naming the column, last.
    assert len(scored) == 6 and result.attrs["n_failed"] == 4
    assert result.tail(4)["note"].str.contains("column 'name'").all()
    assert (scored["p_x_to_y"] >= scored["p_y_to_x"]).all()
    assert scored["p_x_to_y"].is_monotonic_decreasing
    np.testing.assert_allclose(scored[["p_x_to_y", "p_y_to_x", "p_neither"]].sum(axis=1), 1,
                               atol=1e-12)
    # A row equals the pair scored alone (oriented the same way), bit for bit.
    row = scored.set_index(["x", "y"]).loc[("a", "b") if ("a", "b") in set(
        zip(scored.x, scored.y)) else ("b", "a")]
    alone = direction(frame[row.name[0]], frame[row.name[1]])
    assert alone.score == row["score"] and alone.p_x_to_y == row["p_x_to_y"]
    # The same bits with two worker processes.
    again = direction_table(frame, n_jobs=2)
    pd.testing.assert_frame_equal(again, result)


def test_type_inference_and_override():
    assert infer_type(np.array([0.0, 1.0, 1.0])) == "Binary"
    assert infer_type(np.array([1.0, 2.0, 3.0, 2.0])) == "Categorical"
    assert infer_type(np.arange(25.0)) == "Numerical"
    assert infer_type(np.array([0.5, 1.0, 2.0])) == "Numerical"
    values, kind, note = prepare_column(pd.Series(["b", "a", None, "c"]), "t")
    assert kind == "Categorical" and np.array_equal(values, [2.0, 1.0, np.nan, 3.0],
                                                    equal_nan=True)
    assert "a=1" in note
    values, kind, _ = prepare_column(pd.Series([True, False, True]), "f")
    assert kind == "Binary" and values.tolist() == [1.0, 0.0, 1.0]
    # Given types win where the values allow them, and are overruled (said) where not.
    assert prepare_column(pd.Series([1, 2, 3, 2]), "n", "numerical")[1] == "Numerical"
    values, kind, note = prepare_column(pd.Series([0.5, 1.5, 2.25]), "x", "Categorical")
    assert kind == "Numerical" and "scored as Numerical" in note
    with pytest.raises(ValueError, match="cannot be Numerical"):
        prepare_column(pd.Series(["a", "b"]), "t", "Numerical")
    # Numbers stored as text, and infinities as missing values.
    values, kind, _ = prepare_column(pd.Series(["1.5", "2.5", None, "inf", "7"]), "s")
    assert kind == "Numerical" and np.isnan(values[[2, 3]]).all()


# -- the command line --------------------------------------------------------------------------

def test_cli_direction_on_csv_and_parquet(shipped, tmp_path, capsys):
    frame = table()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    outputs = []
    for name in ("t.csv", "t.parquet"):
        assert main(["direction", str(tmp_path / name), "--x", "a", "--y", "b"]) == 0
        outputs.append(capsys.readouterr().out)
    csv, parquet = (out.splitlines()[:6] for out in outputs)
    assert csv == parquet
    assert csv[0].startswith("verdict: ") and csv[1].startswith("P(a -> b) = ")
    assert csv[3].startswith("P(neither) = ") and csv[4].startswith("score = ")
    expected = direction(frame["a"], frame["b"])
    assert csv[1] == f"P(a -> b) = {expected.p_x_to_y:.3f}"
    # --engine reference: the same answer, computed without the Numba kernels, and said so.
    assert main(["direction", str(tmp_path / "t.csv"), "--x", "a", "--y", "b", "--engine",
                 "reference"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == csv[1] and "reference engine" in out


def test_cli_direction_type_override(shipped, tmp_path, capsys):
    table().to_csv(tmp_path / "t.csv", index=False)
    assert main(["direction", str(tmp_path / "t.csv"), "--x", "level", "--y", "b"]) == 0
    assert "level Categorical" in capsys.readouterr().out
    assert main(["direction", str(tmp_path / "t.csv"), "--x", "level", "--y", "b",
                 "--type", "level=numerical"]) == 0
    assert "level Numerical" in capsys.readouterr().out


def test_cli_every_pair_with_a_bad_column(shipped, tmp_path, capsys):
    table().to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "ranked.csv"
    assert main(["direction", str(tmp_path / "t.csv"), "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "warning: 4 of 10 pairs not scored" in captured.err
    assert "column 'name'" in captured.err and len(captured.err.strip().splitlines()) == 1
    ranked = pd.read_csv(out)
    assert list(ranked.columns) == list(TABLE_COLUMNS) and len(ranked) == 10
    assert ranked["score"].isna().sum() == 4


@pytest.mark.parametrize("argv, message", [
    (["--x", "a", "--y", "nope"], "no column 'nope'"),
    (["--x", "a", "--y", "name"], "neither numeric nor categorical"),
    (["--x", "a", "--y", "a"], "the same column"),
])
def test_cli_direction_bad_input_is_one_line(shipped, tmp_path, capsys, argv, message):
    table().to_csv(tmp_path / "t.csv", index=False)
    assert main(["direction", str(tmp_path / "t.csv"), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("causepairs direction: error:") and message in err
    assert len(err.strip().splitlines()) == 1


def test_cli_direction_bad_files(shipped, tmp_path, capsys):
    assert main(["direction", str(tmp_path / "none.csv"), "--x", "a", "--y", "b"]) == 1
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "few.csv").write_text("a,b\n1,2\n2,1\n3,5\n")
    assert main(["direction", str(tmp_path / "few.csv"), "--x", "a", "--y", "b"]) == 1
    assert "at least 10 needed" in capsys.readouterr().err
    (tmp_path / "bad.parquet").write_text("not parquet")
    assert main(["direction", str(tmp_path / "bad.parquet"), "--x", "a", "--y", "b"]) == 1
    assert "not a readable Parquet table" in capsys.readouterr().err
    assert main(["direction", str(tmp_path / "few.csv"), "--x", "a"]) == 2


def test_predict_without_model_uses_the_shipped_one(built, shipped, tmp_path, capsys):
    data = built[0] / "run" / "data"
    files = ["--pairs", str(data / "heldout_pairs.csv"),
             "--publicinfo", str(data / "heldout_publicinfo.csv")]
    assert main(["predict", *files, "--out", str(tmp_path / "default.csv"), "--quiet"]) == 0
    assert main(["predict", *files, "--model", str(shipped), "--out", str(tmp_path / "given.csv"),
                 "--quiet"]) == 0
    default, given = read_submission(tmp_path / "default.csv"), read_submission(
        tmp_path / "given.csv")
    assert len(default) == 60 and default.equals(given)


def test_no_shipped_model_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    import causepairs.tables

    monkeypatch.delenv(MODEL_ENV, raising=False)
    monkeypatch.setattr(causepairs.tables, "default_model_dir", lambda: None)
    (tmp_path / "t.csv").write_text("a,b\n" + "".join(f"{i},{i * i}\n" for i in range(20)))
    for argv in (["model-info"], ["direction", str(tmp_path / "t.csv"), "--x", "a", "--y", "b"],
                 ["predict", "--pairs", str(tmp_path / "t.csv"), "--publicinfo",
                  str(tmp_path / "t.csv"), "--out", str(tmp_path / "s.csv")]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "no model is shipped" in err and len(err.strip().splitlines()) == 1


def test_model_info_prints_the_card(shipped, tmp_path, capsys):
    assert main(["model-info"]) == 0
    out = capsys.readouterr().out
    assert "(the model shipped with causepairs)" in out
    assert "recipe: `python scripts/build_pretrained.py` runs pipeline 'tiny'" in out
    assert "training pairs: 120 generated (seed 1; generator settings: min_size = 200" in out
    assert "feature set: fast (" in out and "causepairs 0.1.0" in out
    assert "cross-validated bidirectional AUC: cv " in out and "grouped:mechanism_family" in out
    assert "calibration: 60 pairs" in out and "Brier score" in out
    assert "validation suite: not scored" in out
    # A model trained by `causepairs train` has no card and no calibration: said, not hidden.
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("metadata.json", "model.txt"):
        shutil.copy(shipped / name, bare / name)
    assert main(["model-info", str(bare)]) == 0
    out = capsys.readouterr().out
    assert "calibration: none" in out and "recipe:" not in out
    assert main(["direction", str(bare / "metadata.json"), "--x", "a", "--y", "b",
                 "--model", str(bare)]) == 1


def test_model_info_reads_the_card_without_lightgbm_or_sklearn_and_still_checks_hashes(
        shipped, tmp_path):
    # The card needs the metadata only: importing LightGBM, scikit-learn and Numba was most of
    # the command's time (8-11 s on a loaded 2-core machine, against about 1 s now).
    code = ("import sys; from pathlib import Path; from causepairs.shipped import format_card; "
            f"print(format_card(Path({str(shipped)!r})).splitlines()[0]); "
            "print(sorted(m for m in ('lightgbm', 'sklearn', 'numba', 'scipy') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    first, heavy = result.stdout.strip().splitlines()
    assert first == f"model: {shipped}" and heavy == "[]"
    # the checks that loading makes on the files are still made
    edited = tmp_path / "edited"
    shutil.copytree(shipped, edited)
    model_file = json.loads((edited / "metadata.json").read_text())["model_files"]
    (edited / next(iter(model_file))).write_text("tree\n")
    with pytest.raises(ModelLoadError, match="SHA-256 differs"):
        format_card(edited)


def test_calibrate_command_makes_a_model_usable_by_direction(built, tmp_path, capsys):
    root = built[0]
    model = tmp_path / "model"
    model.mkdir()
    for name in ("metadata.json", "model.txt"):
        shutil.copy(root / "dest" / name, model / name)
    table().to_csv(tmp_path / "t.csv", index=False)
    assert main(["direction", str(tmp_path / "t.csv"), "--x", "a", "--y", "b",
                 "--model", str(model)]) == 1
    assert "no calibration.json" in capsys.readouterr().err
    data = root / "run" / "data"
    assert main(["calibrate", "--model", str(model), "--pairs", str(data / "heldout_pairs.csv"),
                 "--publicinfo", str(data / "heldout_publicinfo.csv"),
                 "--target", str(data / "heldout_target.csv"), "--report",
                 str(tmp_path / "report"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "calibrated on 60 pairs: cross-fitted Brier score" in out
    assert (tmp_path / "report" / "reliability.png").is_file()
    # Fitted on the same held-out pairs as the build's, with the same model: the same map.
    mine = DirectionModel.load(model).calibration
    built_one = DirectionModel.load(root / "dest").calibration
    assert np.array_equal(mine.coefficients, built_one.coefficients)
    assert main(["direction", str(tmp_path / "t.csv"), "--x", "a", "--y", "b",
                 "--model", str(model)]) == 0


@pytest.mark.slow
def test_build_script_reproduces_the_same_bytes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "tiny.toml").write_text(TINY_PIPELINE)
    done = subprocess.run([sys.executable, str(root / "scripts" / "build_pretrained.py"),
                           "--pipeline", "tiny.toml", "--out", "run", "--dest", "dest",
                           "--no-benchmark", "--quiet", "--check"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "reproducible: yes, the same bytes" in done.stdout
