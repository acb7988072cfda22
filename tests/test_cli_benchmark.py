"""causepairs benchmark end to end: a tiny model scored on tiny folders of both formats."""

import json

import numpy as np
import pandas as pd
import pytest

from causepairs.cli import main
from test_datasets import write_anlsmn, write_mooij


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench_model")
    assert main(["generate", "--n-pairs", "40", "--seed", "5", "--out", str(d), "--quiet"]) == 0
    assert main(["train", "--pairs", str(d / "train_pairs.csv"),
                 "--publicinfo", str(d / "train_publicinfo.csv"),
                 "--target", str(d / "train_target.csv"), "--set", "fast",
                 "--out", str(d / "model"), "--folds", "1", "--quiet"]) == 0
    return d / "model"


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("benchmarks")
    rng = np.random.default_rng(11)

    def causal(n):
        x = rng.normal(size=n)
        return np.column_stack([x, np.tanh(x) + 0.3 * rng.normal(size=n)])

    tables = {f"{k:04d}": causal(40 + 5 * k) for k in range(1, 5)}
    tables["0002"] = tables["0002"][:, ::-1].copy()   # stored effect first
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
        "PairID\tGroundTruth\tWeight\tQCCD\tRESIT\tRESIT_std\n"
        "1\t1\t1\t0.5\t1\t0.2\n2\t-1\t1\t0.1\t1\t-0.3\n3\t1\t1\t0.2\t1\t0.4\n4\t1\t1\t-1\t1\t1\n")
    return root


def test_benchmark_prints_one_table_and_writes_scores(model, sets, tmp_path, capsys):
    out = tmp_path / "scores.json"
    code = main(["benchmark", "--model", str(model), str(sets / "SIM-t"), str(sets / "AN-t"),
                 str(sets / "Real"), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "SIM-t pair 0005 skipped (multivariate" in captured.err
    lines = captured.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["pairs", "weighted"])
    names = [line.split()[0] for line in lines[header + 1:header + 6]]
    # Unweighted sets, a rule, their mean, then the weighted (real) set on its own line.
    assert names == ["SIM-t", "AN-t", "-" * len(lines[header]), "mean", "Real"]
    assert lines[header + 4].startswith("mean (2 sets)")
    an_row = lines[header + 2].split()
    # AN-t: QCCD right on 2 of 4 pairs, RESIT_std on all 4 (the published RESIT).
    assert an_row[1:3] == ["4", "no"] and an_row[-3:] == ["0.50", "1.00", "1.00"]
    assert lines[header + 1].split()[1:3] == ["4", "no"]
    assert lines[header + 5].split()[1:3] == ["3", "yes"]

    written = json.loads(out.read_text())
    pairs = pd.DataFrame(written["pairs"])
    assert len(pairs) == 11 and np.isfinite(pairs["score"]).all()
    assert pairs.loc[pairs["set"] == "SIM-t", "ground_truth"].tolist() == [1, -1, 1, 1]
    real = pairs[pairs["set"] == "Real"]
    truth, score, weight = (real[c].to_numpy() for c in ("ground_truth", "score", "weight"))
    right = np.where(score == 0, 0.5, np.sign(score) == truth)
    assert written["table"]["Real"]["accuracy"] == pytest.approx(
        np.dot(weight, right) / weight.sum())
    # The same pair read from two sets gets the same score: features depend only on the pair.
    sim = pairs[pairs["set"] == "SIM-t"].set_index("pair")["score"]
    assert real.set_index("pair")["score"].to_dict() == {k: sim[k] for k in ("0001", "0002",
                                                                             "0003")}

    # A parent folder stands for its sets; --set picks some; baselines found inside it.
    csv = tmp_path / "scores.csv"
    assert main(["benchmark", "--model", str(model), str(sets), "--set", "AN-t",
                 "--out", str(csv), "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "QCCD" in table and "SIM-t" not in table
    assert pd.read_csv(csv)["score"].tolist() == pytest.approx(
        pairs.loc[pairs["set"] == "AN-t", "score"].tolist())


def test_benchmark_bad_input_is_one_line(model, sets, tmp_path, capsys):
    bad = tmp_path / "bad"
    write_anlsmn(bad, [np.ones((30, 2))] * 2, [1, 0, 1])
    code = main(["benchmark", "--model", str(model), str(bad), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "pairs_gt.txt: has 3 labels but" in err and "Traceback" not in err
    code = main(["benchmark", "--model", str(model), str(sets), "--set", "nope", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "--set nope: no such set among AN-t, Real, SIM-t" in err
    code = main(["benchmark", "--model", str(model), str(sets / "AN-t"), "--out", "x.txt"])
    assert code == 2 and "expected a .csv or .json" in capsys.readouterr().err
