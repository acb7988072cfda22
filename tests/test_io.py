import tracemalloc

import numpy as np
import pandas as pd
import pytest

from causepairs.errors import ChallengeFormatError
from causepairs.io import (
    Pair, check_dataset, iter_pair_chunks, iter_pairs, read_pairs, read_publicinfo,
    read_submission, read_target, scan_pairs, write_pairs, write_publicinfo, write_submission,
    write_target,
)
from conftest import write_text


# ------------------------------------------------------------------ reading what real files hold

def test_reads_pairs_with_leading_spaces(small_dataset):
    pairs = read_pairs(small_dataset[0])
    assert [p.sample_id for p in pairs] == ["s1", "s2", "s3"]
    np.testing.assert_array_equal(pairs[0].a, [1, 2, 3, 4])
    np.testing.assert_array_equal(pairs[1].b, [-1, -2, -3])
    assert pairs[0].a.dtype == np.float64 and len(pairs[2]) == 5


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_crlf_bom_and_float_tokens(tmp_path, newline):
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "SampleID,A,B\nx1, 1.5 -2e3 7,0.0 1 2 \n"
                     .replace("\n", newline).encode())
    (pair,) = read_pairs(path)
    np.testing.assert_array_equal(pair.a, [1.5, -2000.0, 7.0])
    np.testing.assert_array_equal(pair.b, [0, 1, 2])


def test_blank_lines_are_skipped_and_lines_counted(tmp_path):
    path = write_text(tmp_path / "p.csv", "SampleID,A,B\n\nx1,1 2,3 4\n\nx2,1,x\n")
    with pytest.raises(ChallengeFormatError, match=r"line 5.*SampleID x2"):
        read_pairs(path)


@pytest.mark.parametrize("header,details", [
    ("SampleID,Target,Details", True),
    ("SampleID,Target [1 for A->B; -1 otherwise],Details [1 for A->B; 2 for A<-B; 3 for A-B; "
     "4 for A|B]", True),
    ("SampleID,Target", False),
    ("SampleID, target ", False),
])
def test_target_header_variants(tmp_path, header, details):
    rows = "t1,1,1\nt2,-1.0,2\nt3, 0,4\n" if details else "t1,1\nt2,-1.0\nt3, 0\n"
    frame = read_target(write_text(tmp_path / "t.csv", header + "\n" + rows, newline="\r\n"))
    assert frame["Target"].tolist() == [1, -1, 0]
    if details:
        assert frame["Details"].tolist() == [1, 2, 4]
    else:
        assert frame["Details"].isna().all()


def test_publicinfo_types_are_canonicalised(tmp_path):
    frame = read_publicinfo(write_text(tmp_path / "i.csv",
                                       "SampleID,A type,B type\nq, numerical,BINARY\n"))
    assert frame.loc["q"].tolist() == ["Numerical", "Binary"]


def test_submission_reads_real_scores(tmp_path):
    scores = read_submission(write_text(tmp_path / "s.csv", "SampleID,Target\na,0.25\nb,-3\n"))
    assert scores.to_dict() == {"a": 0.25, "b": -3.0}


# ------------------------------------------------------------------ round trips

def test_pairs_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(0)
    pairs = [Pair("i1", np.array([3, -1, 0], dtype=np.int64), np.array([1, 1, 2])),
             Pair("f1", rng.normal(size=50), rng.standard_t(2, size=50) * 1e-7),
             Pair("f2", np.array([1e300, -0.0, 5e-324]), np.array([1.0, 2.0, 3.0]))]
    path = tmp_path / "p.csv"
    assert write_pairs(path, pairs) == 3
    back = read_pairs(path)
    for old, new in zip(pairs, back):
        assert old.sample_id == new.sample_id
        np.testing.assert_array_equal(old.a, new.a)
        np.testing.assert_array_equal(old.b, new.b)
    assert "i1,3 -1 0,1 1 2\n" in path.read_text()


def test_small_files_round_trip(tmp_path, small_dataset):
    info, target = read_publicinfo(small_dataset[1]), read_target(small_dataset[2])
    write_publicinfo(tmp_path / "i.csv", info)
    write_target(tmp_path / "t.csv", target)
    pd.testing.assert_frame_equal(read_publicinfo(tmp_path / "i.csv"), info)
    pd.testing.assert_frame_equal(read_target(tmp_path / "t.csv"), target)
    scores = pd.Series([0.5, -1e-9, 3.0], index=pd.Index(["a", "b", "c"], name="SampleID"))
    write_submission(tmp_path / "s.csv", scores)
    pd.testing.assert_series_equal(read_submission(tmp_path / "s.csv"), scores,
                                   check_names=False)


def test_writer_refuses_bad_values_and_leaves_no_file(tmp_path):
    path = tmp_path / "p.csv"
    bad = [Pair("ok", np.ones(3), np.ones(3)), Pair("nan", np.array([1.0, np.nan]), np.ones(2))]
    with pytest.raises(ValueError, match="finite"):
        write_pairs(path, bad)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="SampleID"):
        write_pairs(path, [Pair("a,b", np.ones(2), np.ones(2))])


# ------------------------------------------------------------------ streaming

def test_iteration_is_lazy(tmp_path):
    path = write_text(tmp_path / "p.csv", "SampleID,A,B\na,1 2,3 4\nb,1 2,3\n")
    stream = iter_pairs(path)
    assert next(stream).sample_id == "a"  # the bad row below is not read yet
    with pytest.raises(ChallengeFormatError):
        next(stream)


def test_chunks(tmp_path):
    rows = "".join(f"p{i},1 2,3 4\n" for i in range(10))
    path = write_text(tmp_path / "p.csv", "SampleID,A,B\n" + rows)
    assert [len(c) for c in iter_pair_chunks(path, 4)] == [4, 4, 2]
    summary = scan_pairs(path)
    assert len(summary) == 10 and summary.lines["p3"] == 5 and summary.sizes.tolist() == [2] * 10


def test_streaming_memory_does_not_grow_with_file(tmp_path):
    rng = np.random.default_rng(1)
    row_a = rng.integers(-30000, 30000, size=4000)
    path = tmp_path / "big.csv"
    write_pairs(path, (Pair(f"p{i}", row_a, row_a[::-1]) for i in range(300)))
    size = path.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in iter_pairs(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 300
    assert peak < size / 10, (peak, size)  # a few rows at a time, not the file


# ------------------------------------------------------------------ bad input: one clear error each

PAIRS_HEAD = "SampleID,A,B\n"


@pytest.mark.parametrize("text,match", [
    ("SampleID,A\nx,1,2\n", r"line 1: missing column 'B'"),
    ("", r"empty file"),
    (PAIRS_HEAD + "x,1 2 3,1 2\n", r"line 2, SampleID x: A has 3 values but B has 2"),
    (PAIRS_HEAD + "x,1 two 3,1 2 3\n", r"SampleID x: column A: value 2 is 'two', not a number"),
    (PAIRS_HEAD + "x,1 2,1;2\n", r"column B: value 1 is '1;2'"),
    (PAIRS_HEAD + "x,1 2,3 4\ny,1,1\nx,5,6\n", r"line 4, SampleID x: duplicate SampleID \(first "
                                               r"seen on line 2\)"),
    (PAIRS_HEAD + "x,,\n", r"SampleID x: column A is empty"),
    (PAIRS_HEAD + "x,  , \n", r"column A is empty"),
    (PAIRS_HEAD + "x,1 nan,1 2\n", r"column A: value 2 is 'nan', not finite"),
    (PAIRS_HEAD + "x,1 2,inf 2\n", r"column B: value 1 is 'inf'"),
    (PAIRS_HEAD + "x,1 2,1e999 2\n", r"column B: value 1 is '1e999'"),
    (PAIRS_HEAD + "x,1 2,3 4,5\n", r"line 2, SampleID x: expected 3 comma-separated cells, found 4"),
    (PAIRS_HEAD + ",1 2,3 4\n", r"line 2: empty SampleID"),
])
def test_bad_pairs(tmp_path, text, match):
    path = write_text(tmp_path / "bad_pairs.csv", text)
    with pytest.raises(ChallengeFormatError, match=match) as info:
        read_pairs(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message


@pytest.mark.parametrize("reader,text,match", [
    (read_publicinfo, "SampleID,A type\nx,Numerical\n", r"missing column 'B type'"),
    (read_publicinfo, "SampleID,A type,B type\nx,Numerical,Ordinal\n",
     r"line 2, SampleID x: B type is 'Ordinal'; expected one of Numerical, Categorical, Binary"),
    (read_publicinfo, "SampleID,A type,B type\nx,Binary,Binary\nx,Binary,Binary\n", "duplicate"),
    (read_target, "SampleID,Target,Details\nx,2,1\n", r"SampleID x: Target is '2'; expected -1, 0"),
    (read_target, "SampleID,Target,Details\nx,0.5,3\n", r"Target is '0.5'"),
    (read_target, "SampleID,Target,Details\nx,1,5\n", r"Details is '5'"),
    (read_target, "SampleID,Target,Details\nx,1,2\n", r"Details 2 implies Target -1"),
    (read_target, "SampleID,Target\nx,nan\n", r"NaN and infinite"),
    (read_target, "SampleID,Details\nx,1\n", r"missing column 'Target'"),
    (read_submission, "SampleID,Target\nx,abc\n", r"SampleID x: Target is 'abc', not a number"),
    (read_submission, "SampleID,Target\nx,inf\n", r"NaN and infinite"),
])
def test_bad_small_files(tmp_path, reader, text, match):
    path = write_text(tmp_path / "bad.csv", text)
    with pytest.raises(ChallengeFormatError, match=match):
        reader(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ChallengeFormatError, match=r"nope.csv: file not found"):
        read_target(tmp_path / "nope.csv")


def test_dataset_ids_must_agree(tmp_path, small_dataset):
    pairs, info, target = small_dataset
    summary, info_frame, target_frame = check_dataset(pairs, info, target)
    assert summary.sample_ids == ["s1", "s2", "s3"] == info_frame.index.tolist()
    assert target_frame["Details"].tolist() == [1, 2, 3]

    short_info = write_text(tmp_path / "short.csv",
                            "SampleID,A type,B type\ns1,Numerical,Numerical\ns3,Binary,Binary\n")
    with pytest.raises(ChallengeFormatError, match=r"short.csv: no row for SampleID s2, which is "
                                                   r"on line 3 of .*s_pairs.csv"):
        check_dataset(pairs, short_info, target)
    long_target = write_text(tmp_path / "long.csv", target.read_text() + "s9,0,4\n")
    with pytest.raises(ChallengeFormatError, match=r"long.csv, line 5, SampleID s9: this SampleID "
                                                   r"has no pair"):
        check_dataset(pairs, info, long_target)


def test_degenerate_pairs_are_valid_input(tmp_path):
    path = write_text(tmp_path / "p.csv", "SampleID,A,B\nc,5 5 5 5,1 2 3 4\none,7,8\n")
    pairs = read_pairs(path)
    assert len(pairs[1]) == 1 and np.ptp(pairs[0].a) == 0
