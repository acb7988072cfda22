"""The bad-input catalogue: every kind is one line (file, line, SampleID, problem), exit 1, no
traceback and no half-written output; types are checked and corrected where data enters."""

from __future__ import annotations

import errno
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causepairs.cli import main
from causepairs.factory.extract import ExtractionReport, extract_features, iter_feature_blocks
from causepairs.io import Pair, write_submission
from causepairs.parts import PartStore
from causepairs.pipeline import PipelineError, load_pipeline
from causepairs.synth import generate_pairs
from causepairs.types import canonical_type, effective_type
from conftest import write_text

RNG = np.random.default_rng(7)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err, *fragments):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def numbers(values) -> str:
    return " ".join(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values)


def write_dataset(folder: Path, rows, targets=None, prefix="d"):
    """rows: (sid, a, b, a_type, b_type); returns pairs, publicinfo (and target) paths."""
    pairs = write_text(folder / f"{prefix}_pairs.csv", "SampleID,A,B\n" + "".join(
        f"{sid},{numbers(a)},{numbers(b)}\n" for sid, a, b, _, _ in rows))
    info = write_text(folder / f"{prefix}_publicinfo.csv", "SampleID,A type,B type\n" + "".join(
        f"{sid},{ta},{tb}\n" for sid, _, _, ta, tb in rows))
    if targets is None:
        return pairs, info
    target = write_text(folder / f"{prefix}_target.csv", "SampleID,Target\n" + "".join(
        f"{row[0]},{t}\n" for row, t in zip(rows, targets)))
    return pairs, info, target


def numeric_rows(count, n=60, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        a = np.round(rng.standard_normal(n) * 1000)
        b = np.round(a * 0.5 + rng.standard_normal(n) * 800)
        rows.append((f"p{i + 1}", a, b, "Numerical", "Numerical"))
    return rows


# -- types: one rule, in one function ---------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Numerical", "Numerical"), ("numerical", "Numerical"), (" BINARY ", "Binary"),
    ("Numeric", None), ("", None), (None, None), (1, None), ("Categorial", None)])
def test_canonical_type(raw, expected):
    assert canonical_type(raw) == expected


def _levels(counts):
    return np.repeat(np.arange(len(counts), dtype=np.float64), counts)


@pytest.mark.parametrize("values, declared, expected", [
    (RNG.standard_normal(50), "Numerical", "Numerical"),
    (np.array([0.0, 1.0] * 10), "Numerical", "Numerical"),
    (_levels([7, 3]), "Binary", "Binary"),
    (np.array([2.5, 7.25] * 5), "Binary", "Binary"),           # two levels: a Binary
    (_levels([5, 4, 3]), "Binary", "Categorical"),             # three values: categorical
    (np.arange(700.0), "Binary", "Numerical"),                 # 700 distinct values
    (np.arange(700.0), "Categorical", "Numerical"),            # every value distinct
    (np.arange(12.0), "Categorical", "Categorical"),           # few levels: kept at any n
    (np.arange(21.0), "Categorical", "Numerical"),             # 21 levels in 21 values
    (np.repeat(np.arange(21.0), 2), "Categorical", "Categorical"),  # 2 per level
    (_levels([4, 4, 4]) + 0.5, "Categorical", "Numerical"),    # fractional codes
    (np.array([-3.0, 7.0, 7.0, 100.0] * 5), "Categorical", "Categorical"),
    (np.zeros(30), "Categorical", "Categorical"),              # constant: left to the kernels
])
def test_effective_type_rule(values, declared, expected):
    assert effective_type(values, declared) == expected


def test_effective_type_refuses_unknown_types():
    with pytest.raises(ValueError, match="unknown variable type 'numerical'"):
        effective_type(np.arange(5.0), "numerical")


def test_the_rule_leaves_generated_pairs_unchanged():
    # Training data must not shift: every generated variable already is what it is declared.
    generated = generate_pairs(150, 11)
    info = generated.publicinfo.set_index("SampleID")
    for sid, a, b in zip(generated.sample_ids, generated.a, generated.b):
        for values, column in ((a, "A type"), (b, "B type")):
            assert effective_type(values, info.loc[sid, column]) == info.loc[sid, column], sid


# -- types at the library boundary -------------------------------------------------------------

def _pairs_and_types(a_type="Numerical", b_type="Numerical"):
    rows = numeric_rows(2, n=40)
    pairs = [Pair(sid, a, b) for sid, a, b, _, _ in rows]
    types = pd.DataFrame({"A type": [a_type, "Numerical"], "B type": [b_type, "Numerical"]},
                         index=pd.Index(["p1", "p2"], name="SampleID"))
    return pairs, types


@pytest.mark.parametrize("bad", ["Numeric", "", None, "categorial"])
@pytest.mark.parametrize("entry", [extract_features, iter_feature_blocks])
def test_unknown_type_in_a_frame_is_a_value_error_naming_the_pair(bad, entry):
    pairs, types = _pairs_and_types(b_type=bad)
    with pytest.raises(ValueError, match=r"SampleID p1: B type is .*expected one of Numerical"):
        entry(pairs, types, "fast")  # raised at the call, before any work


def test_missing_type_row_or_column_is_a_value_error():
    pairs, types = _pairs_and_types()
    with pytest.raises(ValueError, match="no row for SampleID p2"):
        extract_features(pairs, types.iloc[:1], "fast")
    with pytest.raises(ValueError, match="no column 'B type'"):
        extract_features(pairs, types.drop(columns="B type"), "fast")


def test_bad_pairs_in_memory_are_value_errors():
    a = np.arange(10.0)
    types = pd.DataFrame({"A type": ["Numerical"], "B type": ["Numerical"]},
                         index=pd.Index(["x,y"], name="SampleID"))
    with pytest.raises(ValueError, match="contains ','"):
        extract_features([Pair("x,y", a, a)], types, "fast")
    types.index = pd.Index(["q"], name="SampleID")
    with pytest.raises(ValueError, match="SampleID q: A holds NaN"):
        extract_features([Pair("q", np.r_[a[:-1], np.nan], a)], types, "fast")
    with pytest.raises(ValueError, match="equal length"):
        extract_features([Pair("q", a, a[:5])], types, "fast")


def test_type_spelling_is_canonicalised_like_the_files():
    pairs, types = _pairs_and_types(a_type="numerical")
    lower = extract_features(pairs, types, "fast")
    exact = extract_features(pairs, types.replace("numerical", "Numerical"), "fast")
    assert np.array_equal(lower.to_numpy(), exact.to_numpy(), equal_nan=True)


def test_a_declared_type_the_values_rule_out_is_retyped_counted_and_warned():
    rng = np.random.default_rng(1)
    n = 300
    a = np.round(rng.standard_normal(n) * 100)
    b_three = rng.choice(3, size=n, p=[0.55, 0.3, 0.15]).astype(np.float64)
    pairs = [Pair("b3", a, b_three), Pair("b700", a, np.arange(n, dtype=np.float64))]
    declared = pd.DataFrame({"A type": ["Numerical"] * 2, "B type": ["Binary"] * 2},
                            index=pd.Index(["b3", "b700"], name="SampleID"))
    report = ExtractionReport()
    with pytest.warns(RuntimeWarning, match="2 variables treated by their values"):
        retyped = extract_features(pairs, declared, "fast", report=report)
    assert report.retyped == ["b3 B Binary -> Categorical (3 distinct values in 300)",
                              "b700 B Binary -> Numerical (300 distinct values in 300)"]
    assert "2 variables retyped" in report.summary()
    # Exactly the features of the pairs declared as what they are.
    honest = declared.assign(**{"B type": ["Categorical", "Numerical"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # nothing to retype: no warning
        expected = extract_features(pairs, honest, "fast")
    assert np.array_equal(retyped.to_numpy(), expected.to_numpy(), equal_nan=True)


def test_cli_reports_retyped_variables(capsys, tmp_path):
    rows = numeric_rows(2, n=200)
    rows[1] = ("p2", rows[1][1], np.arange(200.0), "Numerical", "Binary")
    pairs, info = write_dataset(tmp_path, rows)
    code, out, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info, "--set",
                         "fast", "--out", tmp_path / "f.parquet", "--quiet")
    assert code == 0, err
    assert ("1 variables retyped by their values (first: p2 B Binary -> Numerical "
            "(200 distinct values in 200))") in out


def test_cli_unknown_type_names_file_line_and_sample(capsys, tmp_path):
    rows = numeric_rows(2)
    rows[1] = rows[1][:3] + ("Numerical", "Numeric")
    pairs, info = write_dataset(tmp_path, rows)
    code, _, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info, "--set",
                       "fast", "--out", tmp_path / "f.parquet", "--quiet")
    assert code == 1
    assert_one_line_error(err, f"{info}, line 3, SampleID p2: B type is 'Numeric'")
    assert not (tmp_path / "f.parquet").exists()


# -- stale parts: an edited input with the same SampleIDs ----------------------------------------

def _features(capsys, pairs, info, out, *extra):
    code, stdout, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info, "--set",
                            "fast", "--out", out, "--chunk-size", 2, "--quiet", *extra)
    assert code == 0, err
    return stdout


def test_an_edited_pairs_file_recomputes_exactly_the_changed_chunks(capsys, tmp_path):
    rows = numeric_rows(5)
    pairs, info = write_dataset(tmp_path, rows)
    out = tmp_path / "f.parquet"
    _features(capsys, pairs, info, out)
    before = pd.read_parquet(out)

    # Same SampleIDs, p3's values changed (chunk 1 of 3), and p5's declared type (chunk 2).
    edited = list(rows)
    edited[2] = ("p3", rows[2][1], rows[2][2][::-1].copy(), "Numerical", "Numerical")
    edited[4] = rows[4][:3] + ("Numerical", "Categorical")
    write_dataset(tmp_path, edited)
    stdout = _features(capsys, pairs, info, out)
    assert "2 resumed from finished parts" in stdout  # chunk 0 (p1, p2) only
    after = pd.read_parquet(out)

    fresh_out = tmp_path / "fresh.parquet"
    _features(capsys, pairs, info, fresh_out)
    assert np.array_equal(after.to_numpy(), pd.read_parquet(fresh_out).to_numpy(),
                          equal_nan=True)
    assert not np.array_equal(after.loc["p3"].to_numpy(), before.loc["p3"].to_numpy(),
                              equal_nan=True)
    assert np.array_equal(after.loc[["p1", "p2"]].to_numpy(),
                          before.loc[["p1", "p2"]].to_numpy(), equal_nan=True)

    # Unchanged input: every part is reused.
    assert "5 resumed from finished parts" in _features(capsys, pairs, info, out)


def test_part_store_fingerprints_mark_stale_parts_not_done(tmp_path):
    frame = pd.DataFrame({"x": [1.0]}, index=pd.Index(["s"], name="SampleID"))
    with PartStore(tmp_path / "s", {"k": 1}, fingerprints=["aaa"]) as store:
        store.write(0, frame)
        store.complete(1)
    with PartStore(tmp_path / "s", {"k": 1}, fingerprints=["aaa"]) as store:
        assert store.done(0, ["s"])
    with PartStore(tmp_path / "s", {"k": 1}, fingerprints=["bbb"]) as store:
        assert not store.done(0, ["s"])
        assert store.completed is None  # the store takes the part again
        store.write(0, frame * 2)
        store.complete(1)
    with PartStore(tmp_path / "s", {"k": 1}, fingerprints=["bbb"]) as store:
        assert store.done(0, ["s"]) and store.read()["x"].tolist() == [2.0]


# -- SampleIDs are checked when read ----------------------------------------------------------

def test_unterminated_quote_is_one_short_line(capsys, tmp_path):
    body = "".join(f"p{i},{numbers(range(40))},{numbers(range(40))}\n" for i in range(2, 40))
    pairs = write_text(tmp_path / "q_pairs.csv", 'SampleID,A,B\n"p1,1 2 3,4 5 6\n' + body)
    info = write_text(tmp_path / "q_publicinfo.csv", "SampleID,A type,B type\n")
    code, _, err = run(capsys, "check", "--pairs", pairs, "--publicinfo", info)
    assert code == 1
    line = assert_one_line_error(err, f"{pairs}, line 2: a quoted cell runs from line 2 to "
                                      "line 40; is a quote (\") left open?")
    assert len(line) < 300


@pytest.mark.parametrize("cell, problem", [
    ('"a,b"', "SampleID 'a,b' contains ','"),
    ('"a""b"', "SampleID 'a\"b' contains '\"'"),
    ("x" * 250, "is 250 characters long; at most 200"),
])
def test_unwritable_sample_ids_are_refused_when_read(capsys, tmp_path, cell, problem):
    pairs = write_text(tmp_path / "i_pairs.csv", f"SampleID,A,B\nok,1 2,3 4\n{cell},1 2,3 4\n")
    info = write_text(tmp_path / "i_publicinfo.csv", "SampleID,A type,B type\n")
    code, _, err = run(capsys, "check", "--pairs", pairs, "--publicinfo", info)
    assert code == 1
    line = assert_one_line_error(err, f"{pairs}, line 3: ", problem)
    assert len(line) < 300


def test_submission_writer_refuses_a_bad_id_before_writing(tmp_path):
    with pytest.raises(ValueError, match="contains ','"):
        write_submission(tmp_path / "s.csv", pd.Series([1.0], index=["a,b"]))
    assert not (tmp_path / "s.csv").exists()


# -- score and train on targets they cannot use ---------------------------------------------------

def test_score_with_a_one_class_target_is_an_error(capsys, tmp_path):
    target = write_text(tmp_path / "t.csv", "SampleID,Target\na,1\nb,1\nc,1\n")
    submission = write_text(tmp_path / "s.csv", "SampleID,Target\na,0.5\nb,0.1\nc,-2\n")
    code, out, err = run(capsys, "score", "--target", target, "--submission", submission)
    assert code == 1 and out == ""
    assert_one_line_error(err, f"{target}: every pair (3) has Target 1: the bidirectional AUC "
                               "is undefined for a single class")


@pytest.mark.parametrize("count, targets, extra, message", [
    (4, [1, -1, 0, 1], ["--cv-folds", "100"],  # the former name of --folds
     "--folds 100 is more than the 4 pairs of"),
    (1, [1], [], "holds 1 pair; training needs at least 2"),
    (6, [1] * 6, [], "every pair (6) has Target 1: cross-validation (--folds 5) cannot "
                     "score a model on a single class; use --folds 1"),
    (0, [], [], "holds no pairs (only a header)"),
    (4, [1, 1, 1, -1], ["--folds", "4"],
     "--folds 4: 4 folds is more than the 3 pairs of the largest class (Target 1)"),
])
def test_train_refuses_what_it_cannot_fit_before_any_work(capsys, tmp_path, count, targets,
                                                          extra, message):
    pairs, info, target = write_dataset(tmp_path, numeric_rows(count), targets)
    code, out, err = run(capsys, "train", "--pairs", pairs, "--publicinfo", info, "--target",
                         target, "--set", "fast", "--out", tmp_path / "m", "--quiet", *extra)
    assert code == 1
    assert_one_line_error(err, message)
    assert not (tmp_path / "m").exists()


def test_check_calls_an_empty_data_set_invalid(capsys, tmp_path):
    pairs, info = write_dataset(tmp_path, [])
    code, _, err = run(capsys, "check", "--pairs", pairs, "--publicinfo", info)
    assert code == 1
    assert_one_line_error(err, f"{pairs}: holds no pairs (only a header)")


# -- saved models: validated, hashed, written atomically, never through a link --------------------

@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_model")
    pairs, info, target = write_dataset(folder, numeric_rows(6), [1, -1, 0, 1, -1, 0])
    code = main(["train", "--pairs", str(pairs), "--publicinfo", str(info), "--target",
                 str(target), "--set", "fast", "--out", str(folder / "m"), "--folds", "1",
                 "--quiet"])
    assert code == 0
    return folder, pairs, info


def _edited_model(model_dir, tmp_path, edit, rehash: bool):
    from causepairs.model_dir import metadata_digest

    folder, _, _ = model_dir
    copy = tmp_path / "m"
    copy.mkdir()
    for name in os.listdir(folder / "m"):
        (copy / name).write_bytes((folder / "m" / name).read_bytes())
    meta = json.loads((copy / "metadata.json").read_text())
    edit(meta)
    if rehash:
        meta["metadata_sha256"] = metadata_digest(meta)
    (copy / "metadata.json").write_text(json.dumps(meta))
    return copy


@pytest.mark.parametrize("edit, rehash, message", [
    (lambda m: m.update(formulation="multiclass"), False, "SHA-256 differs from the one recorded"),
    (lambda m: m["params"].update(n_jobs=0), False, "SHA-256 differs from the one recorded"),
    (lambda m: m["params"].update(n_estimators="x"), True,
     "params: n_estimators must be an integer >= 1, got 'x'"),
    (lambda m: m["params"].update(n_jobs=0), True, "params: n_jobs must be None or a non-zero integer"),
    (lambda m: m["params"].update(formulation="ranking"), True, "params: formulation must be"),
    (lambda m: m["params"].pop("learning_rate"), True, "params: learning_rate is missing"),
    (lambda m: m.update(formulation="multiclass"), True,
     "formulation 'multiclass' differs from params formulation 'regression'"),
])
def test_edited_metadata_is_refused_in_one_line(capsys, tmp_path, model_dir, edit, rehash,
                                                message):
    _, pairs, info = model_dir
    edited = _edited_model(model_dir, tmp_path, edit, rehash)
    code, _, err = run(capsys, "predict", "--model", edited, "--pairs", pairs, "--publicinfo",
                       info, "--out", tmp_path / "s.csv", "--quiet")
    assert code == 1
    assert_one_line_error(err, f"{edited / 'metadata.json'}: ", message)
    assert not (tmp_path / "s.csv").exists()


def test_disk_full_while_saving_leaves_the_old_model(model_dir, tmp_path, monkeypatch):
    from causepairs.model import CausalDirectionModel

    folder, _, _ = model_dir
    model = CausalDirectionModel.load(folder / "m")
    model.save(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()}

    def full_disk(self, data):
        with open(self, "wb") as handle:
            handle.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(OSError, match="No space left"):
        model.save(tmp_path / "m")
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before
    monkeypatch.undo()
    with pytest.raises(OSError, match="No space left"):
        monkeypatch.setattr(Path, "write_bytes", full_disk)
        model.save(tmp_path / "new")
    assert list((tmp_path / "new").iterdir()) == []  # no 0-byte or partial model.txt
    monkeypatch.undo()

    # The disk fills up at the metadata, after the model files: nothing is renamed, so the
    # old model files stay with the metadata that describes them.
    other = CausalDirectionModel.load(folder / "m").set_params(random_state=1)
    other.boosters_ = model.boosters_[::-1]
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: full_disk(self, b"{}"))
    with pytest.raises(OSError, match=r"No space left.*metadata\.json"):
        other.save(tmp_path / "m")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before
    CausalDirectionModel.load(tmp_path / "m")


def test_a_planted_model_file_link_is_refused_and_its_target_kept(capsys, tmp_path, model_dir):
    folder, pairs, info = model_dir
    victim = write_text(tmp_path / "victim.txt", "precious\n")
    out = tmp_path / "m"
    out.mkdir()
    (out / "model.txt").symlink_to(victim)
    code, _, err = run(capsys, "train", "--pairs", pairs, "--publicinfo", info, "--target",
                       folder / "d_target.csv", "--set", "fast", "--out", out, "--folds", "1",
                       "--quiet")
    assert code == 1
    assert_one_line_error(err, f"{out / 'model.txt'}: is a symbolic link; refusing")
    assert victim.read_text() == "precious\n"


def test_a_planted_lock_link_in_a_part_store_is_refused(capsys, tmp_path):
    victim = write_text(tmp_path / "victim.txt", "precious\n")
    out = tmp_path / "f.parquet"
    out.mkdir()
    (out / ".lock").symlink_to(victim)
    pairs, info = write_dataset(tmp_path, numeric_rows(2))
    code, _, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info, "--set",
                       "fast", "--out", out, "--quiet")
    assert code == 1
    assert_one_line_error(err, "'.lock' is a symbolic link")
    assert victim.read_text() == "precious\n"


def test_a_submission_link_is_refused(capsys, tmp_path, model_dir):
    _, pairs, info = model_dir
    victim = write_text(tmp_path / "victim.txt", "precious\n")
    (tmp_path / "s.csv").symlink_to(victim)
    code, _, err = run(capsys, "predict", "--model", model_dir[0] / "m", "--pairs", pairs,
                       "--publicinfo", info, "--out", tmp_path / "s.csv", "--quiet")
    assert code == 1
    assert_one_line_error(err, "s.csv: is a symbolic link")
    assert victim.read_text() == "precious\n"


# -- a pipeline's names stay inside its output directory ------------------------------------------

GENERATED = "[data.train]\ngenerate = {{ n_pairs = 5, seed = 1{extra} }}\n"


@pytest.mark.parametrize("text, message", [
    (GENERATED.format(extra=', prefix = "../../x"'),
     "[data.train.generate] prefix: '../../x' must be a plain file name"),
    (GENERATED.format(extra="") + '[evaluation.candidates."../../x"]\nn_estimators = 3\n',
     "'../../x' must be a candidate name"),
    (GENERATED.format(extra="") + '[outputs]\nsubmission = "../x.csv"\n',
     "[outputs] submission: '../x.csv' would leave the output directory"),
    (GENERATED.format(extra="") + '[outputs]\nreport = "a/../../r"\n',
     "[outputs] report: 'a/../../r' would leave the output directory"),
])
def test_pipeline_names_cannot_escape_the_output_directory(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_pipeline_absolute_output_paths_are_the_users_choice(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(GENERATED.format(extra="")
                    + f'[outputs]\nsubmission = "{tmp_path / "sub.csv"}"\n')
    assert load_pipeline(path).submission == str(tmp_path / "sub.csv")


def test_train_on_finished_features_of_an_edited_pairs_file_is_refused(capsys, tmp_path):
    rows = numeric_rows(4)
    pairs, info, target = write_dataset(tmp_path, rows, [1, -1, 0, 1])
    store = tmp_path / "f.parquet"
    _features(capsys, pairs, info, store)
    train = ["train", "--pairs", pairs, "--publicinfo", info, "--target", target, "--set", "fast",
             "--features", store, "--folds", "1", "--quiet"]
    code, _, err = run(capsys, *train, "--out", tmp_path / "ok")
    assert code == 0, err
    edited = list(rows)
    edited[3] = ("p4", rows[3][1] + 1, rows[3][2], "Numerical", "Numerical")
    write_dataset(tmp_path, edited, [1, -1, 0, 1])
    code, _, err = run(capsys, *train, "--out", tmp_path / "stale")
    assert code == 1
    assert_one_line_error(err, f"{store}: part 1 (from SampleID p3) was computed from other "
                               f"values or types than {pairs} holds now")
    assert not (tmp_path / "stale").exists()


def test_cross_validation_refuses_folds_it_cannot_make():
    from causepairs.model import cross_validate_model

    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="more than the 3 pairs of the largest class"):
        cross_validate_model(lambda: None, X, [1, 1, 1, -1], n_folds=4)
    with pytest.raises(ValueError, match="every pair has Target 1"):
        cross_validate_model(lambda: None, X, [1, 1, 1, 1], n_folds=2)


def test_pipeline_with_more_folds_than_pairs_stops_before_the_features(capsys, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[data.train]\ngenerate = { n_pairs = 3, seed = 1, min_size = 50, "
                    "max_size = 60 }\n[evaluation]\nfolds = 5\n")
    code, _, err = run(capsys, "run", path, "--out", tmp_path / "run", "--quiet")
    assert code == 1
    assert_one_line_error(err, "[evaluation] folds = 5, training target",
                          "5 folds is more than the 3 pairs")
    assert not (tmp_path / "run" / "features").exists()


def test_pipeline_name_used_as_the_default_output_folder_cannot_climb_out(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[pipeline]\nname = "../../x"\n' + GENERATED.format(extra=""))
    with pytest.raises(PipelineError, match=r"\[pipeline\] name: '../../x' names the output"):
        load_pipeline(path)
    path.write_text('[pipeline]\nname = "../../x"\nout = "somewhere"\n'
                    + GENERATED.format(extra=""))
    assert load_pipeline(path).out == Path("somewhere")


def test_a_model_file_edited_with_its_hashes_is_still_refused(capsys, tmp_path, model_dir):
    import hashlib

    from causepairs.model_dir import metadata_digest

    folder, pairs, info = model_dir

    def garble(meta):
        (tmp_path / "m" / "model.txt").write_text("not a model\n")
        meta["model_files"]["model.txt"] = hashlib.sha256(b"not a model\n").hexdigest()

    edited = _edited_model(model_dir, tmp_path, garble, rehash=True)
    assert json.loads((edited / "metadata.json").read_text())["metadata_sha256"] == \
        metadata_digest(json.loads((edited / "metadata.json").read_text()))
    code, _, err = run(capsys, "predict", "--model", edited, "--pairs", pairs, "--publicinfo",
                       info, "--out", tmp_path / "s.csv", "--quiet")
    assert code == 1
    assert_one_line_error(err, f"{edited}: a model file is not a LightGBM text model")


def test_pipeline_recomputes_features_of_an_edited_file_even_with_its_old_mtime(tmp_path):
    from causepairs.pipeline import run_pipeline

    rows = numeric_rows(8)
    pairs, info, target = write_dataset(tmp_path, rows, [1, -1, 0, 1, -1, 0, 1, -1])
    path = tmp_path / "p.toml"
    path.write_text(f'[data.train]\npairs = "{pairs}"\npublicinfo = "{info}"\n'
                    f'target = "{target}"\n[features]\nchunk_size = 4\n'
                    "[model]\nn_estimators = 3\nmin_child_samples = 2\n[evaluation]\nfolds = 2\n")
    log: list[str] = []
    run_pipeline(path, out=tmp_path / "run", quiet=True, log=log.append)
    features = tmp_path / "run" / "features" / "train.parquet"
    before = pd.read_parquet(features)

    stat = pairs.stat()
    edited = list(rows)
    edited[6] = ("p7", rows[6][1], rows[6][2][::-1].copy(), "Numerical", "Numerical")
    write_dataset(tmp_path, edited, [1, -1, 0, 1, -1, 0, 1, -1])
    os.utime(pairs, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time, other content
    log.clear()
    run_pipeline(path, out=tmp_path / "run", quiet=True, log=log.append)
    assert "[features:train] running" in log
    after = pd.read_parquet(features)
    assert np.array_equal(after.iloc[:4].to_numpy(), before.iloc[:4].to_numpy(), equal_nan=True)
    assert not np.array_equal(after.loc["p7"].to_numpy(), before.loc["p7"].to_numpy(),
                              equal_nan=True)
