"""The local executor: real parallelism, errors relayed, a killed worker reported and survived."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from dgm.executor import LocalExecutor, WorkerLost


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def rendezvous(folder: str, me: str, other: str) -> tuple[int, bool]:
    """Leave a mark, then wait for the other job's: only jobs running at once both see one."""
    Path(folder, me).touch()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Path(folder, other).exists():
            return os.getpid(), True
        time.sleep(0.02)
    return os.getpid(), False


def boom(message: str) -> None:
    raise ValueError(message)


def suicide() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture
def pool():
    executor = LocalExecutor(workers=2)
    yield executor
    executor.shutdown(cancel=True)


def test_jobs_run_in_parallel_worker_processes(pool: LocalExecutor, tmp_path: Path) -> None:
    # A rendezvous rather than a stopwatch: jobs run one after another could never meet, and a
    # loaded machine only makes them slower, not wrong.
    futures = [pool.submit(rendezvous, str(tmp_path), a, b) for a, b in (("a", "b"), ("b", "a"))]
    results = [f.result(timeout=90) for f in futures]
    assert all(met for _, met in results)
    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids and len(pids) == 2


def test_job_errors_reach_the_caller(pool: LocalExecutor) -> None:
    with pytest.raises(ValueError, match="bad input"):
        pool.submit(boom, "bad input").result(timeout=60)
    assert pool.submit(nap, 0).result(timeout=60) > 0


def test_a_killed_worker_is_an_infrastructure_error_and_the_pool_recovers(pool: LocalExecutor) -> None:
    with pytest.raises(WorkerLost, match="worker died"):
        pool.submit(suicide).result(timeout=60)
    results = [pool.submit(nap, 0.1).result(timeout=60) for _ in range(3)]
    assert all(pid > 0 for pid in results)
