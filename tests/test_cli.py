"""The command line, driven in-process through ``main(argv)`` as a user would type it."""

import numpy as np
import pandas as pd
import pytest

from causepairs.cli import main
from causepairs.io import write_submission, write_target
from conftest import write_text


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("command", [[], ["generate"], ["check"], ["score"]])
def test_help(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "usage: causepairs" in out


@pytest.mark.parametrize("argv,fragment", [
    (["generate", "--n-pairs", "-3", "--seed", "1", "--out", "d"], "--n-pairs"),
    (["generate", "--n-pairs", "5", "--seed", "x", "--out", "d"], "--seed"),
    (["generate", "--n-pairs", "5", "--seed", "1", "--out", "d", "--n-jobs", "0"], "--n-jobs"),
    (["generate", "--n-pairs", "5", "--seed", "1", "--out", "d", "--prefix", "a/b"], "--prefix"),
    (["generate", "--seed", "1", "--out", "d"], "--n-pairs"),
    (["score", "--target", "missing.csv", "--submission", "x.csv"], "no such file: missing.csv"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_flags(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(code, err, fragment)


@pytest.fixture
def labelled(tmp_path):
    rng = np.random.default_rng(0)
    n = 2000
    details = rng.integers(1, 5, size=n)
    ids = pd.Index([f"v{i}" for i in range(n)], name="SampleID")
    target = pd.DataFrame({"Target": np.select([details == 1, details == 2], [1, -1], 0),
                           "Details": details}, index=ids)
    write_target(tmp_path / "t.csv", target)
    types = rng.choice(["Numerical", "Categorical", "Binary"], size=(n, 2), p=[0.76, 0.12, 0.12])
    info = pd.DataFrame(types, columns=["A type", "B type"], index=ids)
    info.to_csv(tmp_path / "i.csv")
    return tmp_path, target


def last_line_score(out):
    last = out.strip().splitlines()[-1]
    assert last.startswith("bidirectional_auc=")
    return float(last.split("=")[1])


def test_score_perfect_reversed_random(capsys, labelled):
    d, target = labelled
    rng = np.random.default_rng(1)
    for name, scores, expected in [
        ("perfect", target["Target"].astype(float), 1.0),
        ("reversed", -target["Target"].astype(float), 0.0),
        ("random", pd.Series(rng.normal(size=len(target)), index=target.index), 0.5),
    ]:
        # A shuffled row order must not matter.
        write_submission(d / f"{name}.csv", scores.sample(frac=1.0, random_state=2))
        code, out, _ = run(capsys, "score", "--target", str(d / "t.csv"),
                           "--submission", str(d / f"{name}.csv"), "--publicinfo", str(d / "i.csv"))
        assert code == 0
        assert last_line_score(out) == pytest.approx(expected, abs=0.03 if name == "random" else 0)
        assert "NN" in out and "B->A" in out


def test_score_rejects_mismatched_ids(capsys, labelled):
    d, target = labelled
    write_submission(d / "short.csv", target["Target"].astype(float).iloc[:-1])
    code, _, err = run(capsys, "score", "--target", str(d / "t.csv"),
                       "--submission", str(d / "short.csv"))
    assert_one_line_error(code, err, "short.csv", "no row for SampleID v1999")

    extra = pd.concat([target["Target"].astype(float), pd.Series({"zzz": 0.0})])
    write_submission(d / "extra.csv", extra)
    code, _, err = run(capsys, "score", "--target", str(d / "t.csv"),
                       "--submission", str(d / "extra.csv"))
    assert_one_line_error(code, err, "extra.csv", "line 2002", "zzz")


def test_check_prints_summary(capsys, small_dataset):
    pairs, info, target = small_dataset
    code, out, _ = run(capsys, "check", "--pairs", str(pairs), "--publicinfo", str(info),
                       "--target", str(target))
    assert code == 0
    assert "pairs: 3" in out and "ok:" in out


@pytest.mark.parametrize("kind,text,fragments", [
    ("pairs", "SampleID,A,B\ns1,1 2 3 4,10 20 30\n", ["line 2", "s1", "A has 4 values but B has 3"]),
    ("pairs", "SampleID,A,B\ns1,1 2 x 4,1 2 3 4\n", ["s1", "'x', not a number"]),
    ("pairs", "SampleID,A\ns1,1 2\n", ["missing column 'B'"]),
    ("publicinfo", "SampleID,A type,B type\ns1,Numerical,Numeric\n", ["'Numeric'"]),
    ("publicinfo", "SampleID,A type,B type\ns1,Numerical,Numerical\ns1,Binary,Binary\n",
     ["duplicate SampleID"]),
    ("target", "SampleID,Target,Details\ns1,3,1\n", ["Target is '3'"]),
])
def test_check_bad_input(capsys, small_dataset, kind, text, fragments):
    paths = dict(zip(["pairs", "publicinfo", "target"], small_dataset))
    bad = write_text(paths[kind].parent / f"bad_{kind}.csv", text)
    paths[kind] = bad
    code, out, err = run(capsys, "check", "--pairs", str(paths["pairs"]),
                         "--publicinfo", str(paths["publicinfo"]), "--target", str(paths["target"]))
    assert code == 1 and out == ""
    assert_one_line_error(code, err, f"bad_{kind}.csv", *fragments)


def test_generate_writes_valid_files_identical_for_any_n_jobs(capsys, tmp_path):
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        code, stdout, _ = run(capsys, "generate", "--n-pairs", "40", "--seed", "5", "--out",
                              str(out), "--prefix", "demo", "--n-jobs", jobs, "--quiet")
        assert code == 0
        assert "pairs: 40" in stdout and "Details classes" in stdout
        outputs[jobs] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(outputs["1"]) == ["demo_pairs.csv", "demo_publicinfo.csv", "demo_recipes.csv",
                                    "demo_target.csv"]
    assert outputs["1"] == outputs["2"]

    d = tmp_path / "jobs1"
    code, stdout, _ = run(capsys, "check", "--pairs", str(d / "demo_pairs.csv"),
                          "--publicinfo", str(d / "demo_publicinfo.csv"),
                          "--target", str(d / "demo_target.csv"))
    assert code == 0 and "pairs: 40" in stdout
    recipes = pd.read_csv(d / "demo_recipes.csv")
    assert recipes["SampleID"].tolist() == [f"demo{i}" for i in range(1, 41)]


def test_generated_files_round_trip_through_the_readers(tmp_path):
    from causepairs.io import read_pairs, read_publicinfo, read_target
    from causepairs.synth import generate_pairs

    assert main(["generate", "--n-pairs", "12", "--seed", "9", "--out", str(tmp_path),
                 "--quiet"]) == 0
    data = generate_pairs(12, 9)
    pairs = read_pairs(tmp_path / "train_pairs.csv")
    for pair, a, b in zip(pairs, data.a, data.b):
        np.testing.assert_array_equal(pair.a, a)
        np.testing.assert_array_equal(pair.b, b)
    pd.testing.assert_frame_equal(read_publicinfo(tmp_path / "train_publicinfo.csv"),
                                  data.publicinfo.set_index("SampleID"), check_like=True)
    target = read_target(tmp_path / "train_target.csv")
    assert target["Target"].tolist() == data.target["Target"].tolist()
    assert target["Details"].tolist() == data.target["Details"].tolist()


def test_generate_into_a_file_fails_cleanly(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "generate", "--n-pairs", "2", "--seed", "1", "--out", str(blocker))
    assert_one_line_error(code, err, str(blocker), "not a directory")


def test_every_command_has_the_same_n_jobs_flag():
    # One rule (causepairs.defaults): --n-jobs defaults to None in every command that has it,
    # takes N, -1 and -2, and refuses 0.
    import argparse

    from causepairs.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    with_n_jobs = {}
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if "--n-jobs" in action.option_strings:
                with_n_jobs[name] = action
    assert set(with_n_jobs) == {"generate", "features", "train", "predict", "direction",
                                "calibrate", "benchmark", "run"}
    for name, action in with_n_jobs.items():
        assert action.default is None, name
        assert "-1 for all cores" in action.help and "-2 for all but one" in action.help, name
    for value, expected in (("3", 3), ("-1", -1), ("-2", -2)):
        args = parser.parse_args(["generate", "--n-pairs", "2", "--seed", "1", "--out", "d",
                                  "--n-jobs", value])
        assert args.n_jobs == expected
    # --cv-folds is the former name of --folds.
    argv = ["train", "--pairs", __file__, "--publicinfo", __file__, "--target", __file__,
            "--set", "fast", "--out", "m"]
    assert parser.parse_args(argv + ["--cv-folds", "3"]).folds == 3
    assert parser.parse_args(argv + ["--folds", "4"]).folds == 4
    assert parser.parse_args(argv).folds == 5
