"""The Ray executor: evaluations as Ray tasks on a cluster, each asking for one sandbox's resources.

Ray places each job on a node with a free CPU share and enough memory for the sandbox it will
run. Ray's own task retries are off: a worker or node that dies mid-job surfaces as WorkerLost,
and the controller retries it as an infrastructure error under a new attempt number, the same
path a crashed local worker takes, so an attempt is recorded once whatever the cluster does.
Jobs reach Ray as shipped jobs (dgm.executor_ship), since a worker may be on another host.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any, TypeVar

from dgm.errors import ConfigError
from dgm.executor import ExecutorConfig, Resources, WorkerLost

T = TypeVar("T")
MIB = 1024 * 1024


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("executor.kind = 'ray' needs Ray: pip install 'dgm[ray]' (on the "
                          "controller and on every worker)") from None
    return ray


class RayExecutor:
    """Submits jobs as Ray tasks; connects to (or starts) the cluster the config names."""

    remote = True

    def __init__(self, config: ExecutorConfig) -> None:
        ray = self._ray = _ray()
        self._owned = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "configure_logging": False}
            if config.address is None and config.workers is not None:
                options["num_cpus"] = config.workers  # a private cluster: size it like the pool
            try:
                ray.init(address=config.address, **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"executor.address = {config.address!r}: cannot reach a Ray "
                                  f"cluster there: {exc}") from None
            self._owned = True  # ours to shut down; a cluster the caller opened stays up
        self.workers = config.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        # A set `workers` caps evaluations in flight (submit waits); unset, Ray's resources do.
        self._slots = threading.BoundedSemaphore(config.workers) if config.workers else None
        self._functions: dict[Callable[..., Any], Any] = {}
        self._refs: set[Any] = set()
        self._lock = threading.Lock()
        self._checked: set[Resources] = set()

    def nodes(self) -> list[dict[str, Any]]:
        """The cluster's live nodes (Ray's view: address and resources)."""
        return [n for n in self._ray.nodes() if n.get("Alive")]

    def node_addresses(self) -> set[str]:
        """IP addresses of the live nodes."""
        return {n["NodeManagerAddress"] for n in self.nodes()}

    def spans_hosts(self) -> bool:
        """Whether some live node is on another host than this process."""
        here = self._ray.util.get_node_ip_address()
        return bool(self.node_addresses() - {here})

    def _check_fits(self, resources: Resources) -> None:
        """Refuse a request no node can ever satisfy (Ray would queue it forever)."""
        if resources in self._checked:
            return
        largest = [(n["Resources"].get("CPU", 0), n["Resources"].get("memory", 0))
                   for n in self.nodes()]
        if not any(cpu >= resources.cpus and mem >= resources.memory_mb * MIB
                   for cpu, mem in largest):
            raise ConfigError(
                f"sandbox.cpus = {resources.cpus} and sandbox.memory_mb = {resources.memory_mb}: "
                "no Ray node offers that much (nodes: " + ", ".join(
                    f"{cpu:g} CPU / {mem / MIB:.0f} MiB" for cpu, mem in largest) + ")")
        self._checked.add(resources)

    def _remote(self, fn: Callable[..., Any]) -> Any:
        with self._lock:
            if fn not in self._functions:
                # Ray's retries stay off: a lost worker becomes WorkerLost for the controller.
                self._functions[fn] = self._ray.remote(max_retries=0, retry_exceptions=False)(fn)
            return self._functions[fn]

    def submit(self, fn: Callable[..., T], /, *args: Any,
               resources: Resources | None = None) -> Future[T]:
        """Start fn(*args) as a Ray task asking for the resources (one CPU when unset)."""
        resources = resources or Resources()
        self._check_fits(resources)
        options: dict[str, Any] = {"num_cpus": resources.cpus}
        if resources.memory_mb:
            options["memory"] = resources.memory_mb * MIB
        if self._slots is not None:
            self._slots.acquire()
        try:
            ref = self._remote(fn).options(**options).remote(*args)
        except BaseException:
            if self._slots is not None:
                self._slots.release()
            raise
        with self._lock:
            self._refs.add(ref)
        outer: Future[T] = Future()
        ref.future().add_done_callback(lambda done: self._relay(ref, done, outer))
        return outer

    def _relay(self, ref: Any, inner: Future[Any], outer: Future[T]) -> None:
        with self._lock:
            self._refs.discard(ref)
        try:
            self._settle(inner, outer)
        finally:  # the slot frees once the caller can see the job's end
            if self._slots is not None:
                self._slots.release()

    def _settle(self, inner: Future[Any], outer: Future[T]) -> None:
        exceptions = self._ray.exceptions
        try:
            error = inner.exception()
        except BaseException as exc:  # a cancelled Ray future raises on exception()
            error = exc
        if error is None:
            outer.set_result(inner.result())
        elif isinstance(error, exceptions.RayTaskError):
            # The job raised: hand the caller the job's own exception type.
            outer.set_exception(error.as_instanceof_cause())
        elif isinstance(error, (exceptions.TaskCancelledError, CancelledError)):
            outer.cancel()
            outer.set_running_or_notify_cancel()
        elif isinstance(error, exceptions.RayError):
            # Worker crashed, node died, object lost, killed for memory: the infrastructure.
            outer.set_exception(WorkerLost(f"Ray worker lost ({type(error).__name__}): "
                                           f"{str(error).strip().splitlines()[0][:300]}"))
        else:
            outer.set_exception(error)

    def shutdown(self, cancel: bool = False) -> None:
        """Cancel jobs not done (if cancel); leave Ray if this executor started it."""
        if cancel:
            with self._lock:
                refs = list(self._refs)
            for ref in refs:
                try:
                    self._ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - already finished or its node is gone
                    pass
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()
