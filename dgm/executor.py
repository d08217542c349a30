"""Where evaluations run: a local process pool (default) or, later, a Ray cluster.

Jobs are plain picklable callables with picklable arguments, so the same job runs in a local
worker process or on a remote Ray worker. A worker that dies mid-job is reported as WorkerLost,
an infrastructure failure the controller retries, and the pool is rebuilt for later jobs.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal, Protocol, TypeVar

from pydantic import Field

from dgm._model import ConfigModel

T = TypeVar("T")


class ExecutorConfig(ConfigModel):
    """How many evaluations run at once, and where."""

    kind: Literal["local"] = Field("local", description="'local': a process pool on this machine.")
    workers: int | None = Field(
        None, gt=0, description="Evaluations at once. Unset: the number of CPU cores."
    )


class WorkerLost(RuntimeError):
    """The worker running a job died (killed, out of memory): an infrastructure failure."""


class Executor(Protocol):
    """Runs jobs concurrently and hands back futures."""

    workers: int

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T]: ...

    def shutdown(self, cancel: bool = False) -> None: ...


class LocalExecutor:
    """A process pool started with forkserver (the controller runs threads: never fork it)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("forkserver")
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context)

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        """Start fn(*args) in a worker; a dead worker surfaces as WorkerLost on the future."""
        with self._lock:
            try:
                inner = self._pool.submit(fn, *args)
            except BrokenProcessPool:
                self._pool = self._new_pool()
                inner = self._pool.submit(fn, *args)
        outer: Future[T] = Future()
        inner.add_done_callback(lambda done: self._relay(done, outer))
        return outer

    def _relay(self, inner: Future[T], outer: Future[T]) -> None:
        if inner.cancelled():
            outer.cancel()
            outer.set_running_or_notify_cancel()
            return
        error = inner.exception()
        if isinstance(error, BrokenProcessPool):
            with self._lock:
                if self._pool._broken:  # type: ignore[attr-defined]  # rebuild once, for all
                    self._pool = self._new_pool()
            outer.set_exception(WorkerLost(f"evaluation worker died: {error}"))
        elif error is not None:
            outer.set_exception(error)
        else:
            outer.set_result(inner.result())

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers (cancel=True drops jobs not yet started)."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)


def make_executor(config: ExecutorConfig) -> Executor:
    """The executor the config names."""
    return LocalExecutor(config.workers)
