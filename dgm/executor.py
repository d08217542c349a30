"""Where evaluations run: a local process pool (default) or a Ray cluster (dgm.executor_ray).

Jobs are plain picklable callables with picklable arguments, so the same job runs in a local
worker process or on a remote Ray worker. A worker that dies mid-job is reported as WorkerLost,
an infrastructure failure the controller retries, and the pool is rebuilt for later jobs.
An executor whose workers may not see the controller's files says so (`remote`), and the
evaluator then ships each job's agent tree and brings its logs back (dgm.executor_ship).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal, Protocol, TypeVar

from dataclasses import dataclass

from pydantic import Field, model_validator

from dgm._model import ConfigModel

T = TypeVar("T")


class ExecutorConfig(ConfigModel):
    """How many evaluations run at once, and where."""

    kind: Literal["local", "ray"] = Field(
        "local", description="'local': a process pool on this machine; 'ray': a Ray cluster "
        "(needs the [ray] extra).")
    workers: int | None = Field(
        None, gt=0, description="Evaluations at once. Unset: the number of CPU cores (local); "
        "on Ray, as many as the nodes' CPUs and memory hold (each asks for one sandbox's share)."
    )
    address: str | None = Field(
        None, description="Ray only: 'auto' (the cluster this machine belongs to), "
        "'ray://HOST:10001' (a remote head) or HOST:6379. Unset: start a private local Ray.")
    proxy_host: str = Field(
        "127.0.0.1", description="Ray only: the address of this machine that every Ray worker "
        "can reach; agents' model calls come back to this host through it (one TCP port, a "
        "token per attempt). Loopback is only right when every worker runs on this machine.")
    proxy_port: int = Field(0, ge=0, le=65535, description="Ray only: TCP port for the model "
                            "gateway on proxy_host (0: any free port).")

    @model_validator(mode="after")
    def _ray_keys_need_ray(self) -> ExecutorConfig:
        if self.kind != "ray" and self.address is not None:
            raise ValueError("executor.address is only used with executor.kind = 'ray'")
        return self


class WorkerLost(RuntimeError):
    """The worker running a job died (killed, out of memory): an infrastructure failure."""


@dataclass(frozen=True)
class Resources:
    """What one job needs of a worker: a sandbox's CPUs and memory."""

    cpus: float = 1.0
    memory_mb: int = 0


class Executor(Protocol):
    """Runs jobs concurrently and hands back futures."""

    workers: int
    remote: bool  # workers may run on other hosts: jobs must carry their files (executor_ship)

    def submit(self, fn: Callable[..., T], /, *args: Any,
               resources: Resources | None = None) -> Future[T]: ...

    def shutdown(self, cancel: bool = False) -> None: ...


class LocalExecutor:
    """A process pool started with forkserver (the controller runs threads: never fork it)."""

    remote = False

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("forkserver")
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context)

    def submit(self, fn: Callable[..., T], /, *args: Any,
               resources: Resources | None = None) -> Future[T]:
        """Start fn(*args) in a worker; a dead worker surfaces as WorkerLost on the future.

        resources is not enforced here: the sandboxes limit themselves, `workers` caps the rest."""
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
    if config.kind == "ray":
        from dgm.executor_ray import RayExecutor  # ray is an extra: imported only when asked for

        return RayExecutor(config)
    return LocalExecutor(config.workers)
