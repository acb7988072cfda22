"""A worker process that dies (here a real segfault, injected) never loses the batch.

The pair that kills its process gets a NaN row and is named in the report, the warning and
the CLI's summary; every other pair gets exactly the row of a run without the crash. The
crash is injected with the test-only hook ``CAUSEPAIRS_TEST_CRASH_ON`` (SampleIDs), read by
the workers' chunk function: the loky pool is shut down around each test so that its workers
start with the hook set (and nothing else inherits it).
"""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd
import pytest

from causepairs import execution
from causepairs.cli import main
from causepairs.execution import Crashed, Recovery, map_ordered, run_isolated
from causepairs.factory.extract import TEST_CRASH_ENV, ExtractionReport, extract_features
from causepairs.io import read_submission
from conftest import write_text

N_PAIRS = 12
CHUNK = 3
# Two crashes in two chunks (the second and third), each with siblings before and after it.
KILLERS = ["t5", "t8"]
TINY_SET = ('name = "tiny"\n\n[[family]]\nname = "size"\n\n'
            '[[family]]\nname = "rank_dependence"\nmeasures = ["spearman"]\n')


# -- generic tasks (module level: the isolated processes unpickle them) ------------------------

def _segfault_on_negative(x: int) -> int:
    if x < 0:
        ctypes.string_at(0)
    return x * x


def _raise_on_seven(x: int) -> int:
    if x == 7:
        raise ValueError("seven")
    return x


def _sum_of_squares(chunk: tuple[int, ...]) -> list:
    return [_segfault_on_negative(x) for x in chunk]


def _split(chunk):
    return [(x,) for x in chunk]


def _join(chunk, results):
    return [None if isinstance(r, Crashed) else r[0] for r in results]


@pytest.fixture
def fresh_pool():
    """No loky pool before or after: its workers inherit the environment of the test."""
    execution._shutdown_pool()
    yield
    execution._shutdown_pool()


@pytest.fixture
def crash_on(monkeypatch, fresh_pool):
    monkeypatch.setenv(TEST_CRASH_ENV, ",".join(KILLERS))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Twelve small pairs t1..t12 of mixed types, a tiny feature set, and the clean matrix."""
    folder = tmp_path_factory.mktemp("crash")
    rng = np.random.default_rng(1)
    lines, info, target = ["SampleID,A,B"], ["SampleID,A type,B type"], ["SampleID,Target"]
    for i in range(1, N_PAIRS + 1):
        n = 40 + 7 * i
        a = rng.integers(0, 4, n) if i % 3 == 0 else np.round(rng.normal(size=n) * 100)
        b = np.round(a * (i % 4 - 1.5) + rng.normal(size=n) * 50)
        lines.append(f"t{i},{' '.join(str(int(v)) for v in a)},"
                     f"{' '.join(str(int(v)) for v in b)}")
        info.append(f"t{i},{'Categorical' if i % 3 == 0 else 'Numerical'},Numerical")
        target.append(f"t{i},{(-1, 1)[i % 2]}")
    pairs = write_text(folder / "t_pairs.csv", "\n".join(lines) + "\n")
    publicinfo = write_text(folder / "t_publicinfo.csv", "\n".join(info) + "\n")
    target = write_text(folder / "t_target.csv", "\n".join(target) + "\n")
    tiny = write_text(folder / "tiny.toml", TINY_SET)
    clean = extract_features(pairs, publicinfo, tiny, chunk_size=CHUNK)
    assert not clean.isna().any().any()
    return pairs, publicinfo, target, tiny, clean


def assert_crashed_rows(frame, clean):
    """NaN rows for the killers, the clean run's bits for every other pair, input order."""
    assert list(frame.index) == list(clean.index)
    assert frame.loc[KILLERS].isna().all().all()
    others = clean.index.difference(KILLERS, sort=False)
    assert np.array_equal(frame.loc[others].to_numpy(), clean.loc[others].to_numpy())


# -- the execution layer ---------------------------------------------------------------------

def test_run_isolated_names_each_crashing_part_and_computes_the_rest():
    parts = [1, -2, 3, -4, -5, 6]
    results = run_isolated(_segfault_on_negative, parts)
    assert [r if not isinstance(r, Crashed) else r.part for r in results] == [1, -2, 9, -4,
                                                                             -5, 36]
    assert [type(r) for r in results].count(Crashed) == 3
    assert {r.reason for r in results if isinstance(r, Crashed)} == {"killed by SIGSEGV"}


def test_run_isolated_raises_what_a_part_raises():
    with pytest.raises(ValueError, match="seven"):
        run_isolated(_raise_on_seven, [1, 7, 2])


def test_lost_tasks_are_redone_and_only_the_killer_is_lost(fresh_pool):
    chunks = [(1, 2), (3, -4, 5), (6, 7), (8, 9), (-10,), (11, 12)]
    results = list(map_ordered(_sum_of_squares, chunks, n_jobs=2,
                               recover=Recovery(split=_split, join=_join)))
    assert results == [[1, 4], [9, None, 25], [36, 49], [64, 81], [None], [121, 144]]


def test_the_report_names_the_crashed_pairs_briefly():
    report = ExtractionReport(n_pairs=40, crashed=["p1"])
    assert report.summary() == "40 pairs; 1 pair killed its worker process (NaN rows): p1"
    report.crashed = [f"p{i}" for i in range(13)]
    assert report.summary().endswith("(NaN rows): p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 "
                                      "and 3 more")


# -- feature extraction, joblib ---------------------------------------------------------------

def test_extract_features_survives_crashes_with_joblib(data, crash_on):
    pairs, publicinfo, _, tiny, clean = data
    report = ExtractionReport()
    with pytest.warns(RuntimeWarning, match=r"2 pairs killed their worker process "
                                            r"\(NaN rows\): t5, t8"):
        frame = extract_features(pairs, publicinfo, tiny, chunk_size=CHUNK, n_jobs=2,
                                 report=report)
    assert report.crashed == KILLERS
    assert report.n_pairs == N_PAIRS and not report.degenerate
    assert "2 pairs killed their worker process (NaN rows): t5, t8" in report.summary()
    assert_crashed_rows(frame, clean)


# -- feature extraction, Dask ------------------------------------------------------------------

def test_cli_features_on_dask_survives_crashes(data, crash_on, tmp_path, capfd):
    pytest.importorskip("distributed")
    pairs, publicinfo, _, tiny, clean = data
    code = main([str(a) for a in ["features", "--pairs", pairs, "--publicinfo", publicinfo,
                                  "--set", tiny, "--out", tmp_path / "f.parquet", "--quiet",
                                  "--chunk-size", CHUNK, "--n-jobs", 2, "--backend", "dask"]])
    out, err = capfd.readouterr()  # file descriptors: the scheduler logs to stderr
    assert code == 0
    assert "report: 12 pairs; 2 pairs killed their worker process (NaN rows): t5, t8" in out
    # The scheduler's lines about the dead workers are not repeated to the user.
    assert err.strip().splitlines() == [
        "causepairs features: warning: 2 pairs killed their worker process (NaN rows): t5, t8; "
        "0 degenerate pairs (NaN rows); 0 failed cells (NaN)"]
    assert_crashed_rows(pd.read_parquet(tmp_path / "f.parquet"), clean)


# -- the CLI: features, train, predict ---------------------------------------------------------

def test_cli_features_train_predict_finish_and_name_the_killers(data, crash_on, tmp_path,
                                                                 capsys):
    pairs, publicinfo, target, tiny, clean = data
    common = ["--pairs", pairs, "--publicinfo", publicinfo, "--quiet"]

    # The library's n_jobs=1 runs in-process, where a segfault ends the caller; the command
    # line runs even one job (the default) in a worker process, so it survives too.
    code = main([str(a) for a in ["features", *common, "--set", tiny, "--out",
                                  tmp_path / "f.parquet", "--chunk-size", CHUNK]])
    out, err = capsys.readouterr()
    assert code == 0
    assert "joblib, n_jobs 1" in out
    assert "Traceback" not in err and "SIGSEGV" not in err
    assert err.strip().splitlines() == [
        "causepairs features: warning: 2 pairs killed their worker process (NaN rows): t5, t8; "
        "0 degenerate pairs (NaN rows); 0 failed cells (NaN)"]
    assert "report: 12 pairs; 2 pairs killed their worker process (NaN rows): t5, t8" in out
    assert_crashed_rows(pd.read_parquet(tmp_path / "f.parquet"), clean)

    code = main([str(a) for a in ["train", *common, "--target", target, "--set", tiny,
                                  "--out", tmp_path / "model", "--folds", 2, "--n-jobs", 2]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    assert "killed their worker process (NaN rows): t5, t8" in err
    assert (tmp_path / "model" / "model.txt").stat().st_size > 0

    code = main([str(a) for a in ["predict", *common, "--model", tmp_path / "model",
                                  "--out", tmp_path / "sub.csv", "--n-jobs", 2]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "killed their worker process (NaN rows): t5, t8" in err
    submission = read_submission(tmp_path / "sub.csv")
    assert list(submission.index) == list(clean.index)
    assert submission.notna().all().all()

