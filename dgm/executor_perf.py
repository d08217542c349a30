"""Executor rows of `dgm perf`: what scheduling one evaluation costs, on the local pool and on Ray.

Both rows run the same no-op evaluation: check the node's agent out of a real archive repository
and write a log, as a real job does before and after its sandboxes. On the pool that is one
round trip to a worker process; on Ray it is a Ray task plus what a remote worker needs (the
node's tree shipped as a git pack, unpacked, the model gateway's token, the logs brought back).
The difference is the overhead each evaluation pays for running on a cluster, next to the
minutes an evaluation takes in its sandboxes.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from dgm.agent_runner import AgentJob
from dgm.agents import SEED_DIR
from dgm.archive.gitstore import GitStore
from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import Task
from dgm.bench.config import BenchmarkConfig
from dgm.executor import ExecutorConfig, LocalExecutor, Resources
from dgm.executor_gateway import LLMGateway
from dgm.executor_ship import Shipper
from dgm.perf import PerfContext, PerfRow, time_calls
from dgm.sandbox.config import SandboxConfig


def noop_evaluation(job: AgentJob) -> TaskResult:
    """An evaluation without sandboxes: the agent's checkout and a log, nothing else."""
    assert job.task is not None
    with tempfile.TemporaryDirectory(prefix="dgm-perf-job-") as tmp:
        GitStore(job.git_dir).checkout(job.commit, Path(tmp) / "agent")
    log = job.log_dir / f"{job.attempt}-test.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("no tests: a scheduling measurement\n")
    return TaskResult(task_id=job.task.id, node_id=job.node_id, attempt=job.attempt,
                      outcome=Outcome.passed, log_path=str(log))


def _job(scratch: Path) -> AgentJob:
    store = GitStore.init(scratch / "agents.git")
    commit = store.commit_dir(SEED_DIR, parent=None, message="seed",
                              when=datetime(2026, 1, 1, tzinfo=UTC))
    task = Task(id="perf/noop", benchmark="builtin", split="train", statement="nothing",
                payload=scratch, test_command=["true"])
    return AgentJob(git_dir=store.path, node_id="perf", commit=commit, task=task,
                    sandbox=SandboxConfig(), benchmark=BenchmarkConfig(), llm_socket=None,
                    log_dir=scratch / "logs")


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """Scheduling overhead per evaluation: local pool, then Ray (if installed) against it."""
    job = _job(ctx.scratch("executor"))
    resources = Resources(cpus=1, memory_mb=256)
    repeat = min(ctx.repeat, 10) if ctx.quick else ctx.repeat
    direct = time_calls(lambda i: noop_evaluation(job), repeat)
    pool = LocalExecutor(workers=2)
    try:
        local = time_calls(lambda i: pool.submit(noop_evaluation, job, resources=resources)
                           .result(timeout=120), repeat, warmup=2)
    finally:
        pool.shutdown()
    yield PerfRow("executor", "local pool: one evaluation's scheduling (no-op job)", local,
                  "the same job called in-process", direct)
    try:
        from dgm.executor_ray import RayExecutor
        import ray  # noqa: F401
    except ImportError:
        ctx.notes.append("executor: Ray not installed, no Ray rows (pip install 'dgm[ray]')")
        return
    started = time.perf_counter()
    cluster = RayExecutor(ExecutorConfig(kind="ray", workers=2))
    start_s = time.perf_counter() - started
    shipper = Shipper(LLMGateway().start())
    try:
        remote = time_calls(lambda i: shipper.submit(cluster, noop_evaluation, job, resources)
                            .result(timeout=300), repeat, warmup=3)
    finally:
        shipper.close()
        cluster.shutdown(cancel=True)
    yield PerfRow("executor", "ray (private local cluster): one evaluation's scheduling, "
                  "tree shipped and logs returned", remote, "the local pool row", local,
                  target="p50 < 1 s", check=lambda r: r.p50 < 1.0)
    if cluster._owned:  # joined a Ray someone else started: nothing was started here
        ctx.notes.append(f"executor: starting the private Ray cluster took {start_s:.1f} s "
                         "(once per run)")
