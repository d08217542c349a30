"""The local executor: real parallelism, errors relayed, a killed worker reported and survived."""

from __future__ import annotations

import os
import signal
import time

import pytest

from dgm.executor import LocalExecutor, WorkerLost


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def boom(message: str) -> None:
    raise ValueError(message)


def suicide() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture
def pool():
    executor = LocalExecutor(workers=2)
    yield executor
    executor.shutdown(cancel=True)


def test_jobs_run_in_parallel_worker_processes(pool: LocalExecutor) -> None:
    pool.submit(nap, 0).result(timeout=60)  # warm the workers up
    start = time.monotonic()
    futures = [pool.submit(nap, 1.0) for _ in range(2)]
    pids = {f.result(timeout=60) for f in futures}
    assert time.monotonic() - start < 1.8  # two one-second jobs at once, not one after another
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
