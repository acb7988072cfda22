"""``causepairs features``: column listing, extraction to Parquet, resume, errors, SIGKILL."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causepairs.cli import main
from causepairs.factory.extract import DEFAULT_CHUNK_SIZE, extract_features
from causepairs.factory.names import parse_column
from causepairs.factory.spec import load_feature_set
from causepairs.io import iter_pairs, read_publicinfo, scan_pairs
from conftest import write_text

ROOT = Path(__file__).resolve().parents[1]
N_PAIRS = 12  # challenge-like sizes (500-8000): ~1.5 s of work for the fast set


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_captured(*argv):
    """``main`` with stdout and stderr captured, for module-scoped fixtures (no capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(err, *fragments):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A generated data set, written by ``causepairs generate``: (pairs, publicinfo) paths."""
    folder = tmp_path_factory.mktemp("features_data")
    code, _, err = run_captured("generate", "--n-pairs", N_PAIRS, "--seed", 3,
                                "--out", folder, "--quiet")
    assert code == 0, err
    return folder / "train_pairs.csv", folder / "train_publicinfo.csv"


@pytest.fixture(scope="module")
def extracted(dataset, tmp_path_factory):
    """The CLI run in-process with --n-jobs 1 and --n-jobs 2, in several chunks:
    ``{n_jobs: (out, stdout)}``."""
    pairs, info = dataset
    folder = tmp_path_factory.mktemp("features_out")
    runs = {}
    for n_jobs in (1, 2):
        out = folder / f"jobs{n_jobs}.parquet"
        code, stdout, err = run_captured("features", "--pairs", pairs, "--publicinfo", info,
                                         "--set", "fast", "--out", out, "--n-jobs", n_jobs,
                                         "--chunk-size", 3, "--quiet")
        assert code == 0, err
        assert "Traceback" not in err
        runs[n_jobs] = out, stdout
    return runs


def file_order(pairs_path):
    return list(scan_pairs(pairs_path).sample_ids)


def assert_same_matrix(frame, expected):
    assert list(frame.index) == list(expected.index)
    assert list(frame.columns) == list(expected.columns)
    assert np.array_equal(frame.to_numpy(), expected.to_numpy(), equal_nan=True)


# -- --list ----------------------------------------------------------------------------------

def test_list_fast_prints_sorted_parseable_columns(capsys):
    code, out, err = run(capsys, "features", "--list", "--set", "fast")
    assert code == 0 and err == ""
    names = out.splitlines()
    assert 300 <= len(names) <= 1500
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    assert names == list(load_feature_set("fast").columns)
    for name in names:
        assert str(parse_column(name)) == name


def test_list_a_toml_file(capsys, tmp_path):
    toml = write_text(tmp_path / "tiny.toml",
                      'name = "tiny"\n\n[[family]]\nname = "size"\n\n'
                      '[[family]]\nname = "rank_dependence"\nmeasures = ["spearman"]\n')
    code, out, err = run(capsys, "features", "--list", "--set", toml)
    assert code == 0 and err == ""
    assert out.splitlines() == ["sym|n", "sym|spearman"]


@pytest.mark.parametrize("setting,fragment", [
    ("no_such_set", "unknown feature set 'no_such_set'"),
    ("missing.toml", "missing.toml: feature-set file not found"),
])
def test_unknown_set_is_one_line_exit_1(capsys, setting, fragment):
    code, out, err = run(capsys, "features", "--list", "--set", setting)
    assert code == 1 and out == ""
    assert_one_line_error(err, "causepairs features: error:", fragment)


def test_bad_toml_is_one_line_exit_1(capsys, tmp_path, dataset):
    bad = write_text(tmp_path / "bad.toml", 'name = "bad"\n[[family]\n')
    code, _, err = run(capsys, "features", "--list", "--set", bad)
    assert code == 1
    assert_one_line_error(err, "bad.toml", "not valid TOML")
    # Also when extracting: the set is checked before the data set is read.
    pairs, info = dataset
    unknown = write_text(tmp_path / "unknown.toml", 'name = "u"\n[[family]]\nname = "nope"\n')
    code, _, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                       "--set", unknown, "--out", tmp_path / "o.parquet")
    assert code == 1
    assert_one_line_error(err, "unknown.toml")
    assert not (tmp_path / "o.parquet").exists()


# -- usage errors ----------------------------------------------------------------------------

def test_help(capsys):
    code, out, _ = run(capsys, "features", "--help")
    assert code == 0 and "usage: causepairs features" in out
    # The help text states the library's default chunk size.
    assert f"(default: {DEFAULT_CHUNK_SIZE})" in " ".join(out.split())


@pytest.mark.parametrize("drop,fragment", [
    ("--out", "--out"), ("--pairs", "--pairs"), ("--publicinfo", "--publicinfo")])
def test_missing_required_flag_without_list_is_exit_2(capsys, dataset, tmp_path, drop,
                                                      fragment):
    pairs, info = dataset
    flags = {"--pairs": pairs, "--publicinfo": info, "--out": tmp_path / "o.parquet"}
    del flags[drop]
    argv = ["features", "--set", "fast"] + [str(x) for kv in flags.items() for x in kv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert_one_line_error(err, "causepairs features: error:", fragment, "--list")


@pytest.mark.parametrize("argv,fragment", [
    (["features", "--list"], "--set"),
    (["features", "--list", "--set", "fast", "--engine", "fortran"], "--engine"),
    (["features", "--list", "--set", "fast", "--n-jobs", "0"], "--n-jobs"),
    (["features", "--list", "--set", "fast", "--chunk-size", "0"], "--chunk-size"),
    (["features", "--set", "fast", "--pairs", "missing.csv", "--publicinfo", "missing.csv",
      "--out", "o"], "no such file: missing.csv"),
])
def test_bad_flags_are_exit_2(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err, fragment)


# -- bad input files -------------------------------------------------------------------------

def test_bad_pairs_file_is_one_line_exit_1(capsys, tmp_path):
    pairs = write_text(tmp_path / "bad_pairs.csv",
                       "SampleID,A,B\np1,1 2 3 4 5 6 7 8 9 10 11,1 2 3 4 5 6 7 8 9 10 11\n"
                       "p2,1 2 3,4 5\n")
    info = write_text(tmp_path / "bad_publicinfo.csv",
                      "SampleID,A type,B type\np1,Numerical,Numerical\np2,Numerical,Numerical\n")
    out = tmp_path / "o.parquet"
    code, stdout, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                            "--set", "fast", "--out", out)
    assert code == 1 and stdout == ""
    assert_one_line_error(err, "causepairs features: error:", str(pairs), "line 3", "p2")
    # Validated whole before any work: nothing written.
    assert not out.exists()


def test_publicinfo_that_disagrees_is_one_line_exit_1(capsys, tmp_path, dataset):
    pairs, _ = dataset
    info = write_text(tmp_path / "other_publicinfo.csv",
                      "SampleID,A type,B type\ntrain1,Numerical,Numerical\n")
    code, _, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                       "--set", "fast", "--out", tmp_path / "o.parquet")
    assert code == 1
    assert_one_line_error(err, str(info))


def test_out_that_is_a_file_is_one_line_exit_1(capsys, tmp_path, dataset):
    pairs, info = dataset
    out = write_text(tmp_path / "taken", "not a store\n")
    code, _, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                       "--set", "fast", "--out", out)
    assert code == 1
    assert_one_line_error(err, str(out))


# -- extraction ------------------------------------------------------------------------------

def test_features_writes_float32_parquet_in_file_order(dataset, extracted):
    pairs, _ = dataset
    out, stdout = extracted[1]
    frame = pd.read_parquet(out)
    assert frame.shape == (N_PAIRS, len(load_feature_set("fast")))
    assert (frame.dtypes == np.float32).all()
    assert frame.index.name == "SampleID"
    assert list(frame.index) == file_order(pairs)
    assert list(frame.columns) == list(load_feature_set("fast").columns)
    assert sorted(p.name for p in out.glob("part-*.parquet")) == [
        f"part-{i:05d}.parquet" for i in range(-(-N_PAIRS // 3))]
    # The same values as the library's in-memory path (no part store).
    first = file_order(pairs)[:2]
    pairs_in_memory = [p for p in iter_pairs(pairs) if p.sample_id in first]
    info = read_publicinfo(dataset[1])
    assert_same_matrix(frame.loc[first], extract_features(pairs_in_memory, info, "fast"))
    # The summary: pairs, columns, seconds, pairs/s and the extraction report.
    lines = stdout.splitlines()
    assert lines[0].startswith(f"features: {N_PAIRS} pairs x {frame.shape[1]} columns")
    assert " s, " in lines[1] and "pairs/s" in lines[1]
    assert lines[-1].startswith(f"report: {N_PAIRS} pairs")


def test_n_jobs_1_and_2_are_bitwise_equal(extracted):
    one = pd.read_parquet(extracted[1][0])
    two = pd.read_parquet(extracted[2][0])
    assert_same_matrix(two, one)


def test_rerun_on_finished_output_is_a_no_op(capsys, dataset, extracted):
    pairs, info = dataset
    out, _ = extracted[1]
    # The parts and the manifest are left alone (the lock and the completion marker are
    # rewritten by every run).
    written = lambda: {p.name: p.stat().st_mtime_ns  # noqa: E731
                       for p in out.iterdir() if p.name.startswith(("part-", "_manifest"))}
    before = written()
    expected = pd.read_parquet(out)
    code, stdout, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                            "--set", "fast", "--out", out, "--chunk-size", 3, "--quiet")
    assert code == 0, err
    assert "(0 computed" in stdout
    assert f"{N_PAIRS} resumed from finished parts" in stdout
    assert written() == before
    assert_same_matrix(pd.read_parquet(out), expected)


def test_rerun_with_other_settings_is_refused(capsys, dataset, extracted):
    pairs, info = dataset
    out, _ = extracted[1]
    code, _, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                       "--set", "fast", "--out", out, "--chunk-size", 7, "--quiet")
    assert code == 1
    assert_one_line_error(err, str(out), "chunk_size")


def test_degenerate_pairs_give_one_warning_line(capsys, tmp_path):
    rng = np.random.default_rng(0)
    a = np.round(rng.normal(size=200) * 1000)
    b = np.round(a + rng.normal(size=200) * 500)
    cells = lambda x: " ".join(str(int(v)) for v in x)  # noqa: E731
    pairs = write_text(tmp_path / "d_pairs.csv",
                       f"SampleID,A,B\nok,{cells(a)},{cells(b)}\nshort,1 2 3,3 2 1\n")
    info = write_text(tmp_path / "d_publicinfo.csv",
                      "SampleID,A type,B type\nok,Numerical,Numerical\nshort,Numerical,Numerical\n")
    code, stdout, err = run(capsys, "features", "--pairs", pairs, "--publicinfo", info,
                            "--set", "fast", "--out", tmp_path / "d.parquet")
    assert code == 0
    assert_one_line_error(err, "causepairs features: warning:", "1 degenerate")
    assert "degenerate" in stdout.splitlines()[-1] and "short" in stdout.splitlines()[-1]
    frame = pd.read_parquet(tmp_path / "d.parquet")
    assert frame.loc["short"].isna().all() and not frame.loc["ok"].isna().all()


# -- crash and resume ------------------------------------------------------------------------

def test_sigkill_mid_run_then_rerun_completes_each_pair_once(dataset, extracted, tmp_path):
    pairs, info = dataset
    out = tmp_path / "killed.parquet"
    command = [sys.executable, "-m", "causepairs", "features", "--pairs", str(pairs),
               "--publicinfo", str(info), "--set", "fast", "--out", str(out),
               "--chunk-size", "2", "--n-jobs", "1"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    n_chunks = -(-N_PAIRS // 2)

    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("part-*.parquet")):
            if proc.poll() is not None:
                pytest.fail(f"the run ended before writing a part: {proc.communicate()}")
            if time.monotonic() > deadline:
                pytest.fail("no part written within 300 s")
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    # Killed mid-run: some parts, not all, and no completion marker.
    written = list(out.glob("part-*.parquet"))
    assert 1 <= len(written) < n_chunks
    assert not (out / "_complete.json").exists()

    rerun = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    resumed = int(rerun.stdout.split(" resumed from finished parts")[0].rsplit(" ", 1)[1])
    assert 2 <= resumed < N_PAIRS
    assert f"{N_PAIRS - resumed} computed" in rerun.stdout

    frame = pd.read_parquet(out)
    assert frame.index.is_unique
    assert sorted(frame.index) == sorted(file_order(pairs))
    assert list(frame.index) == file_order(pairs)
    assert sorted(p.name for p in out.glob("part-*.parquet")) == [
        f"part-{i:05d}.parquet" for i in range(n_chunks)]
    assert not list(out.glob(".*.tmp"))
    # Equal to an uninterrupted extraction (the in-process run of the fixture).
    assert_same_matrix(frame, pd.read_parquet(extracted[1][0]))
