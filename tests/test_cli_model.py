"""train and predict through the command line: a model directory and a valid submission."""

import json

import numpy as np
import pytest

from causepairs.cli import main
from causepairs.io import read_submission


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("model_cli")
    assert main(["generate", "--n-pairs", "48", "--seed", "3", "--out", str(d), "--quiet"]) == 0
    assert main(["generate", "--n-pairs", "12", "--seed", "4", "--out", str(d),
                 "--prefix", "valid", "--quiet"]) == 0
    assert main(["features", *files(d, "train"), "--set", "fast",
                 "--out", str(d / "train_fast.parquet"), "--quiet"]) == 0
    return d


def files(d, prefix):
    return ["--pairs", str(d / f"{prefix}_pairs.csv"),
            "--publicinfo", str(d / f"{prefix}_publicinfo.csv")]


def test_train_predict_score(data, capsys):
    model_dir = data / "model"
    code = main(["train", *files(data, "train"), "--target", str(data / "train_target.csv"),
                 "--set", "fast", "--out", str(model_dir), "--folds", "2", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "cross-validated bidirectional_auc=" in out
    metadata = json.loads((model_dir / "metadata.json").read_text())
    assert metadata["cv_scores"]["n_splits"] == 2
    assert (model_dir / "model.txt").is_file()

    submission = data / "sub.csv"
    assert main(["predict", "--model", str(model_dir), *files(data, "valid"),
                 "--out", str(submission), "--quiet"]) == 0
    scores = read_submission(submission)
    assert scores.index.tolist() == [f"valid{i}" for i in range(1, 13)]
    assert np.isfinite(scores.to_numpy()).all() and scores.std() > 0
    capsys.readouterr()
    assert main(["score", "--target", str(data / "valid_target.csv"),
                 "--submission", str(submission)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("bidirectional_auc=")


def test_train_reuses_a_feature_file_and_checks_it(data, capsys):
    features = data / "train_fast.parquet"
    capsys.readouterr()
    code = main(["train", *files(data, "train"), "--target", str(data / "train_target.csv"),
                 "--set", "fast", "--features", str(features), "--out", str(data / "m2"),
                 "--folds", "1", "--quiet"])
    assert code == 0
    # The same file offered for another feature set is refused with one line.
    small = data / "small.toml"
    small.write_text('name = "small"\n[[family]]\nname = "size"\n')
    code = main(["train", *files(data, "train"), "--target", str(data / "train_target.csv"),
                 "--set", str(small), "--features", str(features), "--out", str(data / "m3")])
    err = capsys.readouterr().err
    assert code == 1 and "columns are not those of feature set 'small'" in err
    assert len(err.strip().splitlines()) == 1


def test_predict_refuses_a_tampered_model(data, capsys):
    model_dir = data / "m4"
    assert main(["train", *files(data, "train"), "--target", str(data / "train_target.csv"),
                 "--set", "fast", "--features", str(data / "train_fast.parquet"),
                 "--out", str(model_dir), "--folds", "1", "--quiet"]) == 0
    text = (model_dir / "model.txt").read_text()
    (model_dir / "model.txt").write_text(text.replace("learning_rate", "learning_rata", 1))
    capsys.readouterr()
    code = main(["predict", "--model", str(model_dir), *files(data, "valid"),
                 "--out", str(data / "x.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "model.txt" in err and "Traceback" not in err
    assert not (data / "x.csv").exists()
