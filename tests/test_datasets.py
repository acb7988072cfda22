"""Benchmark folders (Mooij and ANLSMN formats), baseline .tab files and the direction metrics."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causepairs.datasets import (ANLSMN, MOOIJ, benchmark_table, detect_format,
                                 find_baseline_file, read_anlsmn, read_baselines, read_benchmark,
                                 read_mooij)
from causepairs.errors import ChallengeFormatError
from causepairs.metrics import direction_accuracy, direction_auc


def write_mooij(folder: Path, pairs: dict[str, np.ndarray], meta: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number, table in pairs.items():
        np.savetxt(folder / f"pair{number}.txt", table, fmt="%.7e")
    (folder / "pairmeta.txt").write_text("".join(line + "\n" for line in meta))
    return folder


def write_anlsmn(folder: Path, pairs: list[np.ndarray], labels: list[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k, table in enumerate(pairs, start=1):
        rows = [f'"{i}",{x!r},{y!r}' for i, (x, y) in enumerate(table.tolist(), start=1)]
        (folder / f"pair_{k}.txt").write_text('"","x_pa","x_child"\n' + "\n".join(rows) + "\n")
    (folder / "pairs_gt.txt").write_text("".join(f"{v}\n" for v in labels))
    return folder


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def mooij(tmp_path, rng):
    pairs = {"0001": rng.normal(size=(40, 2)), "0002": rng.normal(size=(35, 2)),
             "0003": rng.normal(size=(30, 3)), "0004": rng.normal(size=(45, 3))}
    meta = ["0001 1 1 2 2 1", "0002 2 2 1 1 0.5",
            "0003 1 2 3 3 0.5",  # multivariate cause: skipped
            "0004 3 3 1 1 1"]    # columns 1 and 3 of three: A is column 1, the effect
    return write_mooij(tmp_path / "SIM-x", pairs, meta), pairs


@pytest.fixture
def anlsmn(tmp_path, rng):
    pairs = [rng.normal(size=(n, 2)) for n in (30, 40, 50)]
    return write_anlsmn(tmp_path / "AN-x", pairs, [1, 0, 1]), pairs


def test_mooij_reads_pairs_in_stored_order_skips_multivariate(mooij):
    folder, tables = mooij
    assert detect_format(folder) == MOOIJ
    bench = read_benchmark(folder)
    assert bench.name == "SIM-x" and bench.format == MOOIJ
    assert bench.pair_ids == ("0001", "0002", "0004")
    assert [p.sample_id for p in bench.pairs] == ["SIM-x/pair0001", "SIM-x/pair0002",
                                                   "SIM-x/pair0004"]
    # A = first stored column, B = second; truth +1 when A is the cause.
    np.testing.assert_allclose(bench.pairs[0].a, tables["0001"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(bench.pairs[1].b, tables["0002"][:, 1], rtol=1e-6)
    np.testing.assert_allclose(bench.pairs[2].a, tables["0004"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(bench.pairs[2].b, tables["0004"][:, 2], rtol=1e-6)
    assert bench.ground_truth.tolist() == [1, -1, -1]
    assert bench.weights.tolist() == [1.0, 0.5, 1.0] and bench.weighted
    assert len(bench.skipped) == 1 and bench.skipped[0].pair_id == "0003"
    assert "multivariate" in bench.skipped[0].reason
    assert (bench.publicinfo()["A type"] == "Numerical").all()


def test_anlsmn_reads_second_and_third_columns(anlsmn):
    folder, tables = anlsmn
    assert detect_format(folder) == ANLSMN
    bench = read_benchmark(folder, name="custom")
    assert bench.name == "custom" and bench.pair_ids == ("1", "2", "3")
    assert bench.ground_truth.tolist() == [1, -1, 1]
    assert bench.weights.tolist() == [1.0, 1.0, 1.0] and not bench.weighted
    np.testing.assert_array_equal(bench.pairs[2].a, tables[2][:, 0])
    np.testing.assert_array_equal(bench.pairs[2].b, tables[2][:, 1])
    assert len(bench.pairs[1]) == 40


def line_of(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("meta, fragment", [
    (["0001 1 1 2 2 1"], "no line for pair 0002 (pair0002.txt exists)"),
    (["0001 1 1 2 2 1", "0002 1 1 2 2"], "line 2: expected 6 fields"),
    (["0001 1 1 2 2 1", "0002 1 1 1 1 1"], "line 2: cause columns 1-1 and effect columns 1-1 "
                                           "overlap"),
    (["0001 1 1 2 2 1", "0002 1 1 2 2 x"], "line 2: weight 'x' is not a number"),
    (["0001 1 1 2 2 1", "0002 1 1 5 5 1"], "line 2: pair 0002: column 5 asked for, but "
                                           "pair0002.txt has 2"),
    (["0001 1 1 2 2 1", "0002 1 1 2 2 1", "0003 1 1 2 2 1"], "line 3: pair 0003: no file "
                                                             "pair0003.txt"),
])
def test_mooij_bad_pairmeta(tmp_path, rng, meta, fragment):
    folder = write_mooij(tmp_path / "m", {"0001": rng.normal(size=(30, 2)),
                                          "0002": rng.normal(size=(30, 2))}, meta)
    with pytest.raises(ChallengeFormatError) as excinfo:
        read_mooij(folder)
    message = line_of(excinfo)
    assert "pairmeta.txt" in message and fragment in message


def test_mooij_bad_data_files(tmp_path, rng):
    folder = write_mooij(tmp_path / "m", {"0001": rng.normal(size=(30, 2))}, ["0001 1 1 2 2 1"])
    lines = (folder / "pair0001.txt").read_text().splitlines()
    (folder / "pair0001.txt").write_text("\n".join(lines[:4] + ["1.0"] + lines[5:]) + "\n")
    with pytest.raises(ChallengeFormatError) as excinfo:
        read_mooij(folder)
    assert line_of(excinfo).endswith("pair0001.txt, line 5: expected 2 numbers (as on the "
                                     "first row), found 1")
    (folder / "pair0001.txt").write_text("\n".join(lines[:6] + ["1.0 abc"] + lines[7:]) + "\n")
    with pytest.raises(ChallengeFormatError, match=r"pair0001.txt, line 7: value 'abc' is not "
                                                   r"a number"):
        read_mooij(folder)
    (folder / "pair0001.txt").write_text("\n".join(lines[:6] + ["1.0 nan"] + lines[7:]) + "\n")
    with pytest.raises(ChallengeFormatError, match=r"line 7: value 'nan' is not finite"):
        read_mooij(folder)


def test_anlsmn_bad_files(tmp_path, rng):
    folder = write_anlsmn(tmp_path / "a", [rng.normal(size=(30, 2))] * 2, [1, 0, 1])
    with pytest.raises(ChallengeFormatError) as excinfo:
        read_anlsmn(folder)
    assert "pairs_gt.txt: has 3 labels but" in line_of(excinfo)
    (folder / "pairs_gt.txt").write_text("1\n2\n")
    with pytest.raises(ChallengeFormatError, match=r"pairs_gt.txt, line 2: expected 1 .* found "
                                                   r"'2'"):
        read_anlsmn(folder)
    (folder / "pairs_gt.txt").write_text("1\n0\n")
    lines = (folder / "pair_2.txt").read_text().splitlines()
    lines[3] = '"3",0.5,oops'
    (folder / "pair_2.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ChallengeFormatError, match=r"pair_2.txt, line 4: value 'oops' is not a "
                                                   r"number"):
        read_anlsmn(folder)
    lines[3] = '"3",0.5'
    (folder / "pair_2.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ChallengeFormatError, match=r"pair_2.txt, line 4: expected 3 "
                                                   r"comma-separated cells"):
        read_anlsmn(folder)
    (folder / "pair_2.txt").rename(folder / "pair_5.txt")
    with pytest.raises(ChallengeFormatError, match=r"pair_2.txt: file not found"):
        read_anlsmn(folder)


def test_detect_format_refuses_unknown_folders(tmp_path):
    with pytest.raises(ChallengeFormatError, match="neither pairmeta.txt"):
        detect_format(tmp_path)
    (tmp_path / "pairmeta.txt").write_text("")
    (tmp_path / "pairs_gt.txt").write_text("")
    with pytest.raises(ChallengeFormatError, match="holds both"):
        detect_format(tmp_path)


TAB = ("PairID\tGroundTruth\tWeight\tQCCD\tRESIT\tRESIT_std\n"
       "1\t1\t1\t0.5\t-9\t0.2\n"
       "2\t-1\t1\t0.1\t-9\t-0.3\n"
       "3\t1\t1\t0\t-9\t0.4\n")


def test_baselines_match_sets_by_name_and_check_labels(tmp_path, anlsmn):
    folder, _ = anlsmn
    results = tmp_path / "baseline_results"
    results.mkdir()
    (results / "ANx.tab").write_text(TAB)
    bench = read_benchmark(folder)
    path = find_baseline_file(results, "AN-x")
    assert path == results / "ANx.tab" and find_baseline_file(results, "LS") is None
    baselines = read_baselines(path)
    assert baselines.methods == ["QCCD", "RESIT"]  # RESIT_std is the RESIT reported
    scores = baselines.for_benchmark(bench)
    assert scores["RESIT"].tolist() == [0.2, -0.3, 0.4]
    # QCCD: right, wrong, zero (one half) -> 1.5 / 3.
    assert direction_accuracy(bench.ground_truth, scores["QCCD"]) == pytest.approx(0.5)
    (results / "ANx.tab").write_text(TAB.replace("2\t-1\t", "2\t1\t"))
    with pytest.raises(ChallengeFormatError, match=r"GroundTruth of pair 2 is \+1 but set AN-x "
                                                   r"says -1"):
        read_baselines(results / "ANx.tab").for_benchmark(bench)
    (results / "ANx.tab").write_text(TAB.replace("0.1\t", "0.1\t\t"))
    with pytest.raises(ChallengeFormatError, match=r"ANx.tab, line 3: expected 6 tab-separated "
                                                   r"cells, found 7"):
        read_baselines(results / "ANx.tab")
    (results / "ANx.tab").write_text("\n".join(TAB.splitlines()[:3]) + "\n")
    with pytest.raises(ChallengeFormatError, match=r"ANx.tab: no row for pair 3 of set AN-x"):
        read_baselines(results / "ANx.tab").for_benchmark(bench)


def test_direction_metrics():
    truth = np.array([1, 1, -1, -1])
    assert direction_accuracy(truth, [2.0, -1.0, -3.0, 0.0]) == pytest.approx(2.5 / 4)
    assert direction_accuracy(truth, [2.0, -1.0, -3.0, 0.0], [1, 0, 1, 2]) == pytest.approx(3 / 4)
    assert direction_auc(truth, [4.0, 3.0, 2.0, 1.0]) == 1.0
    assert direction_auc(truth, [1.0, 1.0, 1.0, 1.0]) == 0.5
    assert direction_auc(truth, [4.0, 1.0, 2.0, 3.0]) == pytest.approx(0.5)
    # Weight 0 on the one misranked positive makes the ranking perfect.
    assert direction_auc(truth, [4.0, 1.0, 2.0, 3.0], [1, 0, 1, 1]) == 1.0
    # Weight 2 counts like the pair twice.
    doubled = direction_auc([1, 1, 1, -1, -1], [4.0, 1.0, 1.0, 2.0, 3.0])
    assert direction_auc(truth, [4.0, 1.0, 2.0, 3.0], [1, 2, 1, 1]) == pytest.approx(doubled)
    assert np.isnan(direction_auc([1, 1], [0.2, 0.3]))
    with pytest.raises(ValueError, match="-1 and 1"):
        direction_accuracy([1, 0], [0.1, 0.2])


def test_benchmark_table_mean_covers_unweighted_sets(mooij, anlsmn):
    weighted, unweighted = read_benchmark(mooij[0]), read_benchmark(anlsmn[0])
    scores = {weighted.name: np.array([1.0, 1.0, -1.0]), unweighted.name: np.array([1.0, 1.0, 1.0])}
    baselines = {unweighted.name: read_baselines_frame()}
    table = benchmark_table([weighted, unweighted], scores, baselines)
    assert list(table.index) == ["AN-x", "mean (1 set)", "SIM-x"]
    # SIM-x: right (w 1), wrong (w 0.5), right (w 1) -> 2 / 2.5.
    assert table.loc["SIM-x", "accuracy"] == pytest.approx(0.8)
    assert table.loc["AN-x", "accuracy"] == pytest.approx(2 / 3)
    assert table.loc["AN-x", "QCCD"] == 1.0 and table.loc["AN-x", "best_method"] == "QCCD"
    assert np.isnan(table.loc["SIM-x", "QCCD"])
    assert table.loc["mean (1 set)", "accuracy"] == pytest.approx(2 / 3)


def read_baselines_frame():
    return pd.DataFrame({"QCCD": [1.0, -1.0, 2.0], "RESIT": [-1.0, -1.0, 2.0]}, index=[1, 2, 3])
