"""Evaluation jobs that carry their files, for workers that cannot see the controller's disk.

The archive never leaves the controller's host. A shipped job holds the node's tree as a small
git pack (the tree's own objects, so the worker checks out exactly the tree the archive holds,
byte for byte), the job itself (task, sandbox and benchmark config), and a gateway address plus
token for the agent's model calls (dgm.executor_gateway). The worker unpacks into a private
folder, runs the ordinary job there (dgm.agent_runner), and returns the job's value together
with the logs the job wrote; the controller writes those logs where a local job would have.

What a worker must have itself: the same dgm version, the sandbox backend, and the benchmark's
data at the same path as on the controller (the job names the task's folders by path).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from dgm._version import __version__
from dgm.agent_runner import AgentJob
from dgm.archive.gitstore import GitStore
from dgm.archive.result import TaskResult
from dgm.errors import ConfigError
from dgm.executor import Executor, ExecutorConfig, Resources
from dgm.executor_gateway import Bridge, LLMGateway

T = TypeVar("T")
_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}
PACK_CACHE = 32  # node trees kept packed: a generation evaluates a handful of nodes at once


class ShipError(RuntimeError):
    """A worker cannot run a shipped job (missing data, another dgm version): infrastructure."""


@dataclass(frozen=True)
class ShippedJob:
    """A job with everything it needs from the controller's disk."""

    fn: Callable[[AgentJob], Any]  # run_job or smoke_job, pickled by reference
    job: AgentJob
    tree: str  # the node's tree id; the worker checks it out from the pack
    pack: bytes
    gateway: tuple[str, int] | None = None
    token: str | None = None
    version: str = __version__


@dataclass(frozen=True)
class ShippedResult:
    """The job's value, and the logs it wrote (paths relative to its log folder)."""

    value: Any
    log_root: str
    logs: dict[str, bytes] = field(default_factory=dict)
    host: str = ""


def _git(*args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["git", *args], input=stdin, capture_output=True,
                            env=dict(os.environ, **_GIT_ENV))
    if result.returncode != 0:
        raise ShipError(f"git {args[1] if args[0].startswith('--') else args[0]} failed: "
                        f"{result.stderr.decode(errors='replace').strip()[:300]}")
    return result.stdout


def pack_tree(git_dir: Path, commit: str) -> tuple[str, bytes]:
    """The commit's tree id and a git pack of that tree's objects (no history)."""
    tree = _git(f"--git-dir={git_dir}", "rev-parse", f"{commit}^{{tree}}").decode().strip()
    objects = _git(f"--git-dir={git_dir}", "rev-list", "--objects", tree)
    return tree, _git(f"--git-dir={git_dir}", "pack-objects", "-q", "--stdout", stdin=objects)


def unpack_tree(pack: bytes, tree: str, git_dir: Path) -> GitStore:
    """A new bare repository holding the packed tree (checked to be there).

    The pack is kept whole and indexed, and the repository has no template files: a few files
    to write and delete per job instead of a folder per object (deleting those dominated)."""
    _git("init", "-q", "--bare", "--template=", str(git_dir))
    packs = git_dir / "objects" / "pack"
    packs.mkdir(parents=True, exist_ok=True)
    (packs / "shipped.pack").write_bytes(pack)
    _git(f"--git-dir={git_dir}", "index-pack", str(packs / "shipped.pack"))
    _git(f"--git-dir={git_dir}", "cat-file", "-e", f"{tree}^{{tree}}")
    return GitStore(git_dir)


def _check_worker(shipped: ShippedJob) -> None:
    """Fail early, naming what is missing, when this host cannot run the job."""
    host = socket.gethostname()
    if shipped.version != __version__:
        raise ShipError(f"worker {host} runs dgm {__version__}, the controller {shipped.version}: "
                        "install the same version on every worker")
    task, bench = shipped.job.task, shipped.job.benchmark
    missing = [p for p in ([task.payload] if task else []) + ([bench.data] if bench.data else [])
               if not p.exists()]
    if missing:
        raise ShipError(f"worker {host} lacks {missing[0]} (benchmark {bench.name!r}"
                        f"{', task ' + task.id if task else ''}): every worker needs the "
                        "benchmark data at the same path as the controller")


def _collect(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def run_shipped(shipped: ShippedJob) -> ShippedResult:
    """On a worker: unpack the tree, bridge the model, run the job, return its value and logs."""
    _check_worker(shipped)
    with tempfile.TemporaryDirectory(prefix="dgm-ship-") as tmp:
        root = Path(tmp)
        unpack_tree(shipped.pack, shipped.tree, root / "agents.git")
        logs = root / "logs"
        logs.mkdir()
        bridged = shipped.token is not None and shipped.gateway is not None
        job = shipped.job.model_copy(update={
            "git_dir": root / "agents.git", "commit": shipped.tree, "log_dir": logs,
            "llm_socket": root / "llm.sock" if bridged else None})
        bridge = (Bridge(root / "llm.sock", shipped.gateway, shipped.token)  # type: ignore[arg-type]
                  if bridged else nullcontext())
        with bridge:
            value = shipped.fn(job)
        return ShippedResult(value=value, log_root=str(logs), logs=_collect(logs),
                             host=socket.gethostname())


def land(result: ShippedResult, log_dir: Path) -> Any:
    """On the controller: write the worker's logs under log_dir; the value, its paths local."""
    for name, data in result.logs.items():
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise ShipError(f"a worker returned a log outside its folder: {name!r}")
        path = log_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    value = result.value
    if isinstance(value, TaskResult) and value.log_path and \
            value.log_path.startswith(result.log_root + os.sep):
        local = log_dir / Path(value.log_path).relative_to(result.log_root)
        value = value.model_copy(update={"log_path": str(local)})
    return value


class Shipper:
    """Submits agent jobs to a remote executor with their tree, a model bridge and log return."""

    def __init__(self, gateway: LLMGateway) -> None:
        self.gateway = gateway
        self._packs: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def _pack(self, git_dir: Path, commit: str) -> tuple[str, bytes]:
        key = (str(git_dir), commit)
        with self._lock:
            if key in self._packs:
                self._packs.move_to_end(key)
                return self._packs[key]
        packed = pack_tree(git_dir, commit)
        with self._lock:
            self._packs[key] = packed
            while len(self._packs) > PACK_CACHE:
                self._packs.popitem(last=False)
        return packed

    def submit(self, executor: Executor, fn: Callable[[AgentJob], T], job: AgentJob,
               resources: Resources | None = None) -> Future[T]:
        """Run fn(job) through the executor as a shipped job; the future holds fn's value."""
        tree, pack = self._pack(job.git_dir, job.commit)
        token = self.gateway.register(job.llm_socket) if job.llm_socket else None
        shipped = ShippedJob(fn=fn, job=job, tree=tree, pack=pack,
                             gateway=self.gateway.address if token else None, token=token)
        try:
            inner = executor.submit(run_shipped, shipped, resources=resources)
        except BaseException:
            if token:
                self.gateway.unregister(token)
            raise
        outer: Future[T] = Future()

        def done(finished: Future[ShippedResult]) -> None:
            if token:
                self.gateway.unregister(token)
            if finished.cancelled():
                outer.cancel()
                outer.set_running_or_notify_cancel()
                return
            error = finished.exception()
            if error is not None:
                outer.set_exception(error)
                return
            try:
                outer.set_result(land(finished.result(), job.log_dir))
            except Exception as exc:  # a log that cannot be written: the job's failure
                outer.set_exception(exc)

        inner.add_done_callback(done)
        return outer

    def close(self) -> None:
        """Stop the gateway."""
        self.gateway.close()


LOOPBACK = ("127.", "::1", "localhost")


def shipper_for(executor: Executor, config: ExecutorConfig) -> Shipper | None:
    """A started Shipper when the executor's workers may be elsewhere, else None.

    A loopback gateway is refused when the cluster has nodes on other hosts: their agents
    could never reach the model."""
    if not getattr(executor, "remote", False):
        return None
    spans = getattr(executor, "spans_hosts", None)
    if config.proxy_host.startswith(LOOPBACK) and spans is not None and spans():
        raise ConfigError(
            f"executor.proxy_host = {config.proxy_host!r}: the Ray cluster has nodes on other "
            "hosts, which cannot reach this machine's loopback; set it to an address of this "
            "machine that the workers can reach")
    return Shipper(LLMGateway(config.proxy_host, config.proxy_port).start())
