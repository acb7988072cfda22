"""Worker processes never outlive the process that started them.

A caller killed outright (SIGKILL, or SIGTERM without a handler) runs no clean-up; its loky
workers inherited its stdout and stderr, and one that lived on kept whoever read those pipes
waiting. Each test starts a real caller in a subprocess with two busy workers, kills it, and
checks, within bounded time, that the pipes reach EOF and the workers are gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[1]
# A worker exits within PARENT_CHECK_INTERVAL (0.5 s) of its parent's death; generous bounds
# for a loaded machine.
GONE_WITHIN = 20.0

CALLER = '''
import os, sys, time
from causepairs.execution import map_ordered

def sleep(folder):
    open(os.path.join(folder, str(os.getpid())), "w").close()
    time.sleep(300)

def spin(folder):
    # A kernel stuck in an endless loop, as a kernel bug could be (kernels release the GIL).
    import numba

    @numba.njit(nogil=True)
    def forever(x):
        while x >= 0.0:
            x = x * 1.0000001 + 1.0
        return x

    forever(-1.0)  # compiled before the worker says it is busy
    open(os.path.join(folder, str(os.getpid())), "w").close()
    return forever(1.0)

if __name__ == "__main__":
    import caller
    task = getattr(caller, sys.argv[2])
    list(map_ordered(task, [sys.argv[1]] * 4, n_jobs=2))
'''

CLI = '''
import os, sys, time
from causepairs import _progress

class StallingBar:
    # Blocks the caller after its first chunk, with the workers started: the moment to kill.
    def __init__(self, *args, **kwargs): pass
    def __enter__(self): return self
    def __exit__(self, *exc): return False
    def update(self, n):
        open(os.path.join(sys.argv[1], "progress"), "w").close()
        time.sleep(300)

_progress.progress_bar = StallingBar
from causepairs.cli import main
raise SystemExit(main(sys.argv[2:]))
'''


def _env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(condition, what: str, proc, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the caller ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} within {timeout} s")
        time.sleep(0.05)


def _kill_and_check(proc, sig, worker_pids) -> tuple[bytes, bytes]:
    """Send ``sig`` to the caller; its pipes must reach EOF and its workers must exit."""
    try:
        proc.send_signal(sig)
        # communicate() reads to EOF: it would time out if a worker held the pipes.
        out, err = proc.communicate(timeout=GONE_WITHIN)
        deadline = time.monotonic() + GONE_WITHIN
        while any(_alive(pid) for pid in worker_pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in worker_pids if _alive(pid)]
        return out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        for pid in worker_pids:  # only if the test failed: leave nothing behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig,task", [(signal.SIGKILL, "sleep"), (signal.SIGTERM, "sleep"),
                                      (signal.SIGKILL, "spin")])
def test_workers_exit_when_their_caller_is_killed(tmp_path, sig, task):
    (tmp_path / "caller.py").write_text(CALLER)
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = subprocess.Popen([sys.executable, "caller.py", str(pids), task], cwd=tmp_path,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: len(list(pids.iterdir())) == 2, "two workers started", proc)
    workers = [int(p.name) for p in pids.iterdir()]
    assert all(_alive(pid) for pid in workers)
    _kill_and_check(proc, sig, workers)
    assert proc.returncode == -sig


def test_cli_on_sigterm_shuts_its_workers_down_and_says_so(tmp_path):
    from causepairs.synth import write_synthetic_dataset

    write_synthetic_dataset(tmp_path / "data", 8, seed=2)
    (tmp_path / "stall.py").write_text(CLI)
    tiny = tmp_path / "tiny.toml"
    tiny.write_text('name = "tiny"\n[[family]]\nname = "size"\n')
    proc = subprocess.Popen(
        [sys.executable, "stall.py", str(tmp_path), "features",
         "--pairs", str(tmp_path / "data" / "train_pairs.csv"),
         "--publicinfo", str(tmp_path / "data" / "train_publicinfo.csv"),
         "--set", str(tiny), "--out", str(tmp_path / "f.parquet"), "--n-jobs", "2",
         "--chunk-size", "1"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: (tmp_path / "progress").exists(), "a chunk finished", proc)
    workers = [child.pid for child in psutil.Process(proc.pid).children(recursive=True)]
    assert workers
    _, err = _kill_and_check(proc, signal.SIGTERM, workers)
    assert proc.returncode == 143
    assert err.decode().strip().splitlines()[-1] == "causepairs features: terminated"
    assert not (tmp_path / "f.parquet" / "_complete.json").exists()
