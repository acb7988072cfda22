"""Tests of causepairs.parts: round trip, resume, refusals, atomic writes, SIGKILL mid-run."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import causepairs
from causepairs import parts
from causepairs.errors import CausepairsError
from causepairs.parts import COMPLETE_NAME, MANIFEST_NAME, PartStore, part_name

MANIFEST = {"feature_set": "fast-3f2a", "columns": "c0a1", "input": "pairs.csv:1234",
            "chunk_size": 4, "version": "0.1.0"}
COLUMNS = [f"A>B|in=raw|out=std|knn{k}|r2" for k in range(5)] + ["sym|hsic"]


def chunk_frame(index: int, rows: int = 4) -> pd.DataFrame:
    """Chunk ``index`` of a made-up feature matrix: float32, NaNs, SampleID index."""
    rng = np.random.default_rng(index)
    values = rng.standard_normal((rows, len(COLUMNS))).astype(np.float32)
    values[0, 1] = np.nan
    ids = pd.Index([f"train{index * rows + i + 1}" for i in range(rows)], name="SampleID")
    return pd.DataFrame(values, index=ids, columns=COLUMNS)


def chunk_ids(index: int) -> list[str]:
    return list(chunk_frame(index).index)


def _assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    assert (left.dtypes == np.float32).all()


# --------------------------------------------------------------------------------------------
# Round trip and resume
# --------------------------------------------------------------------------------------------

def test_round_trip_keeps_order_dtypes_and_index(tmp_path):
    out = tmp_path / "features.parquet"
    with PartStore(out, MANIFEST) as store:
        for index in (2, 0, 1):  # written out of order, read in chunk order
            assert store.write(index, chunk_frame(index)) == out / part_name(index)
        expected = pd.concat([chunk_frame(i) for i in range(3)])
        _assert_same(store.read(), expected)
        _assert_same(store.read(expected_count=3), expected)
        assert store.read().index.name == "SampleID"
    # The directory as a whole is an ordinary Parquet data set.
    _assert_same(pd.read_parquet(out), expected)
    assert sorted(p.name for p in out.iterdir()) == [
        ".lock", MANIFEST_NAME, "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]


def test_read_features_is_pandas_read_parquet_part_by_part(tmp_path):
    out = tmp_path / "features.parquet"
    with PartStore(out, MANIFEST) as store:
        for index in (1, 0, 2):
            store.write(index, chunk_frame(index))
        store.complete(3)
    (out / ".part-00003.parquet.tmp").write_bytes(b"torn write")   # skipped, as pyarrow does
    for columns in (None, COLUMNS[3:5]):
        _assert_same(parts.read_features(out, columns=columns),
                     pd.read_parquet(out, columns=columns))
    single = tmp_path / "one.parquet"
    chunk_frame(0).to_parquet(single)
    _assert_same(parts.read_features(single), pd.read_parquet(single))
    (out / "part-00004.parquet").write_bytes(b"not parquet")
    with pytest.raises(CausepairsError, match="part-00004.parquet cannot be read"):
        parts.read_features(out)


def test_frames_that_are_not_one_numeric_block_round_trip_too(tmp_path):
    mixed = pd.DataFrame({"x": np.float32([1.5, np.nan]), "n": [1, 2], "label": ["a", "b"]},
                         index=pd.Index(["s1", "s2"], name="SampleID"))
    with PartStore(tmp_path / "out", {}) as store:
        store.write(0, mixed)
        pd.testing.assert_frame_equal(store.read(), mixed)


def test_empty_store_reads_as_an_empty_frame(tmp_path):
    with PartStore(tmp_path / "out", MANIFEST) as store:
        assert store.finished_indices() == []
        assert store.read().empty


def test_reopening_with_the_same_manifest_resumes(tmp_path):
    out = tmp_path / "features.parquet"
    with PartStore(out, MANIFEST) as store:
        store.write(0, chunk_frame(0))
        store.write(2, chunk_frame(2))
    with PartStore(out, dict(reversed(list(MANIFEST.items())))) as store:  # key order is free
        assert store.finished_indices() == [0, 2]
        assert store.done(0, chunk_ids(0)) and store.done(2, chunk_ids(2))
        assert not store.done(1, chunk_ids(1))
        written = [i for i in range(3) if not store.done(i, chunk_ids(i))
                   and store.write(i, chunk_frame(i))]
        assert written == [1]
        _assert_same(store.read(3), pd.concat([chunk_frame(i) for i in range(3)]))


def test_a_part_from_another_input_is_refused_on_resume(tmp_path):
    with PartStore(tmp_path / "out", MANIFEST) as store:
        store.write(0, chunk_frame(0))
        assert store.done(0)  # no ids given: presence only
        with pytest.raises(CausepairsError, match=r"part-00000\.parquet holds other rows than "
                                                  r"chunk 0 .*row 2: 'train3' stored, 'x' "
                                                  r"expected.*another --out"):
            store.done(0, ["train1", "train2", "x", "train4"])
        with pytest.raises(CausepairsError, match="4 rows stored, 3 expected"):
            store.done(0, chunk_ids(0)[:3])


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------

def test_a_different_manifest_is_refused_naming_the_key(tmp_path):
    out = tmp_path / "features.parquet"
    PartStore(out, MANIFEST).close()
    changed = {**MANIFEST, "chunk_size": 8}
    with pytest.raises(CausepairsError) as caught:
        PartStore(out, changed)
    message = str(caught.value)
    assert "\n" not in message
    assert str(out) in message and "'chunk_size' is 4 there, 8 now" in message
    assert "use another --out or delete it" in message
    with pytest.raises(CausepairsError, match="it has no 'seed'"):
        PartStore(out, {**MANIFEST, "seed": 1})
    with pytest.raises(CausepairsError, match="'version' = '0.1.0', which is not declared now"):
        PartStore(out, {k: v for k, v in MANIFEST.items() if k != "version"})
    # A refused open leaves the store as it was and unlocked.
    PartStore(out, MANIFEST).close()


def test_a_directory_with_other_files_is_not_a_store(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(CausepairsError, match=r"results is not a causepairs part store \(it "
                                              r"holds 'notes.txt'\); use another --out"):
        PartStore(out, MANIFEST)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # untouched, no lock file


def test_a_file_or_parts_without_manifest_are_refused(tmp_path):
    file = tmp_path / "features.parquet"
    file.write_bytes(b"PAR1")
    with pytest.raises(CausepairsError, match="is a file, not a directory"):
        PartStore(file, MANIFEST)
    bare = tmp_path / "bare"
    bare.mkdir()
    chunk_frame(0).to_parquet(bare / part_name(0))
    with pytest.raises(CausepairsError, match=f"holds parts but no {MANIFEST_NAME}"):
        PartStore(bare, MANIFEST)


def test_a_foreign_manifest_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_text('{"something": "else"}')
    with pytest.raises(CausepairsError, match="is not a causepairs part store manifest"):
        PartStore(out, MANIFEST)


def test_manifest_must_be_json(tmp_path):
    with pytest.raises(ValueError, match="JSON-serialisable"):
        PartStore(tmp_path / "out", {"when": object()})
    with pytest.raises(ValueError, match="manifest must be a dict"):
        PartStore(tmp_path / "out", ["a"])


def test_a_store_is_open_in_one_place_at_a_time(tmp_path):
    out = tmp_path / "out"
    store = PartStore(out, MANIFEST)
    with pytest.raises(CausepairsError, match=rf"is open by process {os.getpid()}"):
        PartStore(out, MANIFEST)
    store.close()
    with pytest.raises(ValueError, match="is closed"):
        store.write(0, chunk_frame(0))
    PartStore(out, MANIFEST).close()


def test_parts_must_share_their_columns(tmp_path):
    with PartStore(tmp_path / "out", MANIFEST) as store:
        store.write(0, chunk_frame(0))
    with PartStore(tmp_path / "out", MANIFEST) as store:  # reference read back from disk
        with pytest.raises(ValueError, match="columns that differ"):
            store.write(1, chunk_frame(1).iloc[:, ::-1])
        with pytest.raises(ValueError, match="must be a pandas DataFrame"):
            store.write(1, chunk_frame(1).to_numpy())
        with pytest.raises(ValueError, match="integer >= 0"):
            store.write(-1, chunk_frame(1))


def test_missing_extra_and_duplicated_rows_are_reported(tmp_path):
    with PartStore(tmp_path / "out", MANIFEST) as store:
        for index in (0, 1, 3):
            store.write(index, chunk_frame(index))
        with pytest.raises(CausepairsError, match=r"lacks 1 of 4 parts \(chunks 2\); rerun"):
            store.read(expected_count=4)
        with pytest.raises(CausepairsError, match=r"parts beyond the expected 2 chunks \(first: "
                                                  r"part-00003\.parquet\)"):
            store.read(expected_count=2)
        store.write(2, chunk_frame(0))  # rows of chunk 0 again
        with pytest.raises(CausepairsError, match="row 'train1' is in more than one part"):
            store.read(expected_count=4)


def test_complete_marks_a_finished_store(tmp_path):
    out = tmp_path / "out"
    with PartStore(out, MANIFEST) as store:
        store.write(0, chunk_frame(0))
        with pytest.raises(CausepairsError, match="lacks 1 of 2 parts"):
            store.complete(2)
        assert store.completed is None
        store.write(1, chunk_frame(1))
        store.complete(2)
        assert store.completed == 2
    with PartStore(out, MANIFEST) as store:
        assert store.completed == 2
        with pytest.raises(ValueError, match="marked complete"):
            store.write(2, chunk_frame(2))
        assert len(store.read(2)) == 8
    assert (out / COMPLETE_NAME).exists()
    assert len(pd.read_parquet(out)) == 8


# --------------------------------------------------------------------------------------------
# Crashes
# --------------------------------------------------------------------------------------------

def test_stray_temporary_files_are_ignored_then_cleaned(tmp_path):
    out = tmp_path / "out"
    with PartStore(out, MANIFEST) as store:
        store.write(0, chunk_frame(0))
    stray = out / f".{part_name(1)}.k2j3h4.tmp"
    stray.write_bytes(b"PAR1 half a part")
    keep = out / ".DS_Store"
    keep.write_bytes(b"")
    _assert_same(pd.read_parquet(out), chunk_frame(0))  # readers skip dot files
    with PartStore(out, MANIFEST) as store:
        assert not stray.exists() and keep.exists()
        assert store.finished_indices() == [0]
        assert not store.done(1)


def test_an_error_in_the_middle_of_a_write_leaves_no_part(tmp_path, monkeypatch):
    out = tmp_path / "out"
    store = PartStore(out, MANIFEST)
    store.write(0, chunk_frame(0))

    def crash(table, path):
        Path(path).write_bytes(b"PAR1" + b"\0" * 100)  # some bytes, then the "crash"
        raise OSError("disk full")

    monkeypatch.setattr(parts, "_write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        store.write(1, chunk_frame(1))
    assert sorted(p.name for p in out.iterdir()) == [".lock", MANIFEST_NAME, part_name(0)]
    assert store.finished_indices() == [0] and not store.done(1)
    monkeypatch.undo()
    store.write(1, chunk_frame(1))
    _assert_same(store.read(2), pd.concat([chunk_frame(0), chunk_frame(1)]))
    store.close()


_WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from causepairs import parts
    from test_parts import MANIFEST, chunk_frame

    out, n_chunks, hang_at = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    real_write = parts._write_table
    current = [None]

    def write_then_hang(table, path):
        real_write(table, path)
        if current[0] == hang_at:  # the part is in its temporary file, not yet renamed
            print("hanging", flush=True)
            time.sleep(60)

    parts._write_table = write_then_hang
    store = parts.PartStore(out, MANIFEST)
    for index in range(n_chunks):
        current[0] = index
        store.write(index, chunk_frame(index))
        print("wrote", index, flush=True)
        time.sleep(0.05)
""")


def _read_line(proc: subprocess.Popen, deadline: float) -> str:
    remaining = deadline - time.monotonic()
    ready, _, _ = select.select([proc.stdout], [], [], max(remaining, 0))
    if not ready:
        proc.kill()
        pytest.fail(f"writer printed nothing in time; stderr: {proc.stderr.read()}")
    return proc.stdout.readline().strip()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_run_then_rerun_gives_every_chunk_exactly_once(tmp_path):
    out = tmp_path / "features.parquet"
    n_chunks, hang_at = 8, 3
    root = Path(causepairs.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(Path(__file__).parent), str(out), str(n_chunks),
         str(hang_at)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        lines = []
        while not lines or lines[-1] != "hanging":
            line = _read_line(proc, deadline)
            if not line:
                pytest.fail(f"writer exited early; stderr: {proc.stderr.read()}")
            lines.append(line)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert lines == [f"wrote {i}" for i in range(hang_at)] + ["hanging"]
    names = sorted(p.name for p in out.iterdir())
    assert [n for n in names if n.startswith("part-")] == [part_name(i) for i in range(hang_at)]
    assert any(n.startswith(f".{part_name(hang_at)}.") and n.endswith(".tmp") for n in names)

    # The killed run held the lock; the kernel released it with the process.
    with PartStore(out, MANIFEST) as store:
        assert not any(p.name.endswith(".tmp") for p in out.iterdir())
        assert store.finished_indices() == list(range(hang_at))
        for index in range(hang_at):  # finished parts are intact
            assert store.done(index, chunk_ids(index))
            _assert_same(pd.read_parquet(store.part_path(index)), chunk_frame(index))
        rewritten = []
        for index in range(n_chunks):
            if not store.done(index, chunk_ids(index)):
                store.write(index, chunk_frame(index))
                rewritten.append(index)
        assert rewritten == list(range(hang_at, n_chunks))
        result = store.read(expected_count=n_chunks)
        store.complete(n_chunks)
    expected = pd.concat([chunk_frame(i) for i in range(n_chunks)])
    _assert_same(result, expected)
    assert result.index.is_unique and len(result) == 4 * n_chunks
    _assert_same(pd.read_parquet(out), expected)
