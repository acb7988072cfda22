"""The Dask back end: same bits as joblib and in-process, worker environment, bounded window,
CLI flags, and the error without the dask extra.

One real ``LocalCluster`` (two single-threaded worker processes) is shared by the module; a
second one, started by the back end itself, checks the environment of the workers it makes.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from causepairs.cli import main  # noqa: E402
from causepairs.distributed import DaskBackend, MissingExtraError  # noqa: E402
from causepairs.execution import WORKER_ENV, in_worker, map_ordered  # noqa: E402
from causepairs.factory.extract import (ExtractionReport, extract_features,  # noqa: E402
                                        iter_feature_blocks)
from causepairs.io import Pair, write_pairs, write_publicinfo  # noqa: E402
from causepairs.synth import GeneratorConfig, generate_pairs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_PAIRS = 12
CHUNK = 3  # four chunks: two per worker, so the order of results is really exercised
SMALL = GeneratorConfig(min_size=100, max_size=400)


# --------------------------------------------------------------------------------------------
# Tasks (module-level, so that workers can unpickle them)
# --------------------------------------------------------------------------------------------

def _worker_settings(_task) -> dict:
    import numba

    import causepairs

    return {"pid": os.getpid(), "package": causepairs.__file__,
            "env": {name: os.environ.get(name) for name in WORKER_ENV},
            "numba_threads": numba.get_num_threads(), "in_worker": in_worker()}


def _slow_square(x: int) -> int:
    time.sleep(0.02 * ((x * 7) % 5))
    return x * x


def _touch(folder: str) -> None:
    Path(folder, f"warmup-{os.getpid()}").touch()


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            yield client


@pytest.fixture(scope="module")
def data():
    return generate_pairs(N_PAIRS, 5, config=SMALL)


@pytest.fixture(scope="module")
def files(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask_data")
    pairs, info = folder / "t_pairs.csv", folder / "t_publicinfo.csv"
    write_pairs(pairs, (Pair(s, a, b) for s, a, b in zip(data.sample_ids, data.a, data.b)))
    write_publicinfo(info, data.publicinfo)
    return pairs, info


@pytest.fixture(scope="module")
def reference(data):
    """Features computed in this process, one chunk at a time."""
    frame = extract_features(data, feature_set="fast", backend="serial", chunk_size=CHUNK)
    # Not a vacuous reference: mostly finite values, in many distinct columns.
    assert np.isfinite(frame.to_numpy()).mean() > 0.5
    return frame


def bits(frame) -> np.ndarray:
    return np.asarray(frame).view(np.uint32)


def assert_same_bits(frame: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert frame.index.equals(reference.index) and frame.index.name == "SampleID"
    assert list(frame.columns) == list(reference.columns)
    assert frame.dtypes.eq(np.float32).all()
    np.testing.assert_array_equal(bits(frame), bits(reference))


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------------------
# Equivalence
# --------------------------------------------------------------------------------------------

def test_joblib_serial_and_dask_give_the_same_bits(data, reference, client):
    joblib = extract_features(data, feature_set="fast", n_jobs=2, chunk_size=CHUNK)
    dask = extract_features(data, feature_set="fast", backend="dask", client=client,
                            chunk_size=CHUNK)
    assert_same_bits(joblib, reference)
    assert_same_bits(dask, reference)


def test_streamed_blocks_on_dask_are_the_rows_of_the_matrix(files, reference, client):
    report = ExtractionReport()
    blocks = list(iter_feature_blocks(*files, "fast", backend="dask",
                                      client=client.scheduler.address, chunk_size=5,
                                      report=report))
    assert [len(ids) for ids, _ in blocks] == [5, 5, 2]
    assert all(matrix.dtype == np.float32 for _, matrix in blocks)
    frame = pd.DataFrame(np.vstack([m for _, m in blocks]),
                         index=pd.Index(np.concatenate([i for i, _ in blocks]), name="SampleID"),
                         columns=reference.columns)
    assert_same_bits(frame, reference)
    assert report.n_pairs == N_PAIRS


def test_the_window_bounds_what_dask_holds(client):
    backend = DaskBackend(client)
    held = []
    results = []
    for result in map_ordered(_slow_square, range(16), backend=backend, max_in_flight=3):
        # Futures this client still holds: the driver drops each one once handed over.
        held.append(len(client.futures))
        results.append(result)
    assert results == [x * x for x in range(16)]
    assert max(held) <= 3
    # Dask releases a dropped future on its event loop, a moment later.
    deadline = time.monotonic() + 10
    while client.futures and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(client.futures) == 0
    assert client.status == "running"  # a caller's client is left open


def _payload_size(payload: np.ndarray) -> int:
    return payload.nbytes


def _message_logs(dask_worker) -> list[int]:
    return [len(dask_worker.batched_stream.recent_message_log),
            len(dask_worker.state.stimulus_log), len(dask_worker.state.log)]


def test_a_local_cluster_keeps_no_task_in_its_message_logs():
    # Dask's debugging logs of recent messages hold the tasks they carried (here arrays):
    # kept, the driver's memory would grow with the number of tasks.
    import dask

    before = dask.config.get("distributed.admin.low-level-log-length")
    backend = DaskBackend("local")
    tasks = (np.full(20_000, float(i)) for i in range(12))
    sizes, logs = [], None
    for size in map_ordered(_payload_size, tasks, n_jobs=2, backend=backend):
        sizes.append(size)
        if len(sizes) == 10:  # the cluster is still up, tasks have gone through every stream
            client, scheduler = backend._client, backend._cluster.scheduler
            logs = (len(client.scheduler_comm.recent_message_log),
                    [len(comm.recent_message_log) for comm in scheduler.stream_comms.values()],
                    len(scheduler.transition_log), list(client.run(_message_logs).values()))
    assert sizes == [160_000] * 12
    assert logs == (0, [0, 0], 0, [[0, 0, 0], [0, 0, 0]])
    # Set for this cluster and its client only.
    assert dask.config.get("distributed.admin.low-level-log-length") == before


# --------------------------------------------------------------------------------------------
# Workers: environment, warm-up
# --------------------------------------------------------------------------------------------

def test_a_local_cluster_has_single_threaded_workers_and_no_worker_warmup(tmp_path):
    before = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", *WORKER_ENV)}
    backend = DaskBackend("local", worker_warmup=functools.partial(_touch, str(tmp_path)))
    settings = list(map_ordered(_worker_settings, range(6), n_jobs=2, backend=backend))
    assert len({s["pid"] for s in settings} - {os.getpid()}) == 2
    for s in settings:
        assert s["env"] == WORKER_ENV
        assert s["numba_threads"] == 1 and s["in_worker"] is True
        assert Path(s["package"]).resolve() == (ROOT / "causepairs" / "__init__.py").resolve()
    # The driver compiled the kernels for workers that share its disk: no warm-up there.
    assert list(tmp_path.iterdir()) == []
    # The nannies, which run in this process, leave its environment as it was.
    assert {name: os.environ.get(name) for name in before} == before
    assert not in_worker()


def test_a_callers_cluster_is_warmed_up_once_per_host(client, tmp_path):
    backend = DaskBackend(client, worker_warmup=functools.partial(_touch, str(tmp_path)))
    assert list(map_ordered(abs, [-1, -2, -3], n_jobs=2, backend=backend)) == [1, 2, 3]
    # Both workers are on 127.0.0.1: one warm-up, in one of them, not in this process.
    (marker,) = tmp_path.iterdir()
    worker_pids = set(client.run(os.getpid).values())
    assert int(marker.name.split("-")[1]) in worker_pids


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def test_cli_features_on_a_dask_scheduler_match_joblib(files, reference, client, tmp_path):
    pairs, info = files
    common = ["features", "--pairs", pairs, "--publicinfo", info, "--set", "fast",
              "--chunk-size", CHUNK, "--quiet"]
    code, out, err = run_cli(*common, "--out", tmp_path / "joblib.parquet", "--n-jobs", 2)
    assert code == 0, err
    address = client.scheduler.address
    code, out, err = run_cli(*common, "--out", tmp_path / "dask.parquet",
                             "--backend", "dask", "--scheduler", address)
    assert code == 0, err
    assert f"dask scheduler {address}" in out
    joblib = pd.read_parquet(tmp_path / "joblib.parquet")
    dask = pd.read_parquet(tmp_path / "dask.parquet")
    assert_same_bits(joblib, reference)
    assert_same_bits(dask, reference)


def test_cli_predict_streams_the_same_scores(data, files, reference, client, tmp_path):
    from causepairs.io import read_submission
    from causepairs.model import CausalDirectionModel

    model = CausalDirectionModel(_fast_set(), n_estimators=20,
                                 min_child_samples=2, n_jobs=1)
    target = data.target.set_index("SampleID")["Target"].loc[reference.index]
    model.fit(reference, target).save(tmp_path / "model")
    expected = model.predict(reference)
    assert np.ptp(expected) > 0  # a model that scores pairs differently
    # What streaming relies on: scores of a chunk's rows are those of the same rows in the
    # whole matrix, bit for bit.
    chunked = [model.predict(pd.DataFrame(matrix, index=ids, columns=reference.columns))
               for ids, matrix in iter_feature_blocks(data, feature_set="fast", chunk_size=5,
                                                      backend="serial")]
    np.testing.assert_array_equal(np.concatenate(chunked), expected)

    pairs, info = files
    for extra in ([], ["--backend", "dask", "--scheduler", client.scheduler.address]):
        out = tmp_path / f"submission{len(extra)}.csv"
        code, _, err = run_cli("predict", "--model", tmp_path / "model", "--pairs", pairs,
                               "--publicinfo", info, "--out", out, "--quiet", *extra)
        assert code == 0, err
        scores = read_submission(out)
        assert scores.index.tolist() == reference.index.tolist()
        # Written as text: equal to the shortest repr of each float64 score.
        np.testing.assert_array_equal(scores.to_numpy(), expected)


def _fast_set():
    from causepairs.factory.spec import load_feature_set

    return load_feature_set("fast")


@pytest.mark.parametrize("command", ["features", "train", "predict"])
def test_scheduler_without_the_dask_backend_is_a_usage_error(command, files, tmp_path):
    pairs, info = files
    argv = {"features": ["--set", "fast", "--out", tmp_path / "f"],
            "train": ["--target", info, "--set", "fast", "--out", tmp_path / "m"],
            "predict": ["--model", tmp_path / "m", "--out", tmp_path / "s.csv"]}[command]
    code, out, err = run_cli(command, "--pairs", pairs, "--publicinfo", info, *argv,
                             "--scheduler", "local")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--scheduler needs --backend dask" in err
    assert not any(tmp_path.iterdir())


def test_a_bad_scheduler_address_is_a_usage_error(files, tmp_path):
    pairs, info = files
    code, _, err = run_cli("features", "--pairs", pairs, "--publicinfo", info, "--set", "fast",
                           "--out", tmp_path / "f", "--backend", "dask", "--scheduler", "my host")
    assert code == 2 and "--scheduler" in err and err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# Without the extra
# --------------------------------------------------------------------------------------------

def test_without_dask_the_error_names_the_extra(monkeypatch, files, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    hint = 'pip install "causepairs[dask]"'
    with pytest.raises(MissingExtraError, match=r"pip install \"causepairs\[dask\]\""):
        map_ordered(abs, [1, 2], n_jobs=1, backend="dask")  # also when it would run in-process
    with pytest.raises(MissingExtraError):
        DaskBackend("local")
    with pytest.raises(ImportError):  # an ImportError too, for callers that catch those
        extract_features(*files, "fast", backend="dask")
    pairs, info = files
    code, out, err = run_cli("features", "--pairs", pairs, "--publicinfo", info, "--set", "fast",
                             "--out", tmp_path / "f.parquet", "--backend", "dask", "--quiet")
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and hint in err
    assert not (tmp_path / "f.parquet").exists()  # refused before any output


# --------------------------------------------------------------------------------------------
# Pipelines
# --------------------------------------------------------------------------------------------

PIPELINE = """
[pipeline]
n_jobs = 2
[data.train]
generate = {{ n_pairs = 24, seed = 5, min_size = 100, max_size = 300 }}
[features]
chunk_size = 8
[model]
n_estimators = 5
min_child_samples = 3
[evaluation]
folds = 2
"""


def test_a_pipeline_on_dask_matches_joblib(client, tmp_path):
    from causepairs.pipeline import run_pipeline

    spec = tmp_path / "p.toml"
    spec.write_text(PIPELINE.format())
    quiet = dict(quiet=True, log=lambda _: None)
    on_joblib = run_pipeline(spec, out=tmp_path / "joblib", **quiet)
    on_dask = run_pipeline(spec, out=tmp_path / "dask", backend="dask",
                           scheduler=client.scheduler.address, **quiet)
    assert_same_bits(pd.read_parquet(tmp_path / "dask" / "features" / "train.parquet"),
                     pd.read_parquet(tmp_path / "joblib" / "features" / "train.parquet"))
    assert on_dask.cv_auc == on_joblib.cv_auc
    # The CLI passes the same settings through.
    code, out, err = run_cli("run", spec, "--out", tmp_path / "cli", "--backend", "dask",
                             "--scheduler", client.scheduler.address, "--quiet")
    assert code == 0, err
    assert f"cv_bidirectional_auc={on_joblib.cv_auc:.4f}" in out
    code, _, err = run_cli("run", spec, "--scheduler", client.scheduler.address)
    assert code == 2 and "--scheduler needs --backend dask" in err
