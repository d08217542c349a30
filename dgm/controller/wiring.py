"""The real services of a run: the benchmark's tasks, sandboxed evaluation, the LLM client.

Each agent run gets its own proxy socket, so the tokens and dollars of every task attempt are
counted on the host (never taken from the agent's word), its LLM log lands next to its other logs,
and a model outage during the attempt turns the outcome into an infrastructure error.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from dgm.agent_runner import AgentJob, run_job, self_edit_job, smoke_job
from dgm.archive.node import Node
from dgm.archive.result import Outcome, TaskResult
from dgm.archive.run import Archive
from dgm.bench.base import Benchmark, Task
from dgm.config import RunConfig
from dgm.controller.services import Messages, Reply, Services
from dgm.executor import Executor, Resources
from dgm.executor_ship import shipper_for
from dgm.llm.client import LLMClient
from dgm.llm.proxy import NodeBudget, NodeProxy

T = TypeVar("T")
RETRY_TEMPERATURE = 0.7


def charge_attempt(result: TaskResult, proxy: NodeProxy) -> TaskResult:
    """The result with the attempt's model spending, and as an error (not the agent's failure)
    when the model itself failed during it."""
    usage = proxy.usage
    update: dict[str, object] = {"tokens": usage.total_tokens, "dollars": usage.dollars}
    if proxy.infra_failures and result.outcome == Outcome.failed:
        update |= {"outcome": Outcome.error,
                   "error": f"the model failed {proxy.infra_failures} time(s) in this run"}
    return result.model_copy(update=update)


class BenchmarkTasks:
    """A benchmark as the controller's TaskSource."""

    def __init__(self, bench: Benchmark) -> None:
        # Every task of the data is looked up (a resumed run keeps the tasks it was planned on,
        # even when a capped subset would now pick others); splits offer the current choice.
        self.by_id: dict[str, Task] = {t.id: t for t in getattr(bench, "inner", bench).tasks()}
        self.offered = {t.id for t in bench.tasks()}
        manifest = getattr(bench, "manifest", None)
        self.tiers: list[int] | None = getattr(manifest, "tiers", None)
        self.difficulty: dict[str, str] = {t.id: t.difficulty for t in self.by_id.values()
                                           if t.difficulty}

    def task_ids(self, split: str) -> list[str]:
        """Ids of a split's tasks."""
        return sorted(t.id for t in self.by_id.values() if t.split == split and t.id in self.offered)

    def statement(self, task_id: str) -> str:
        """A task's problem statement."""
        return self.by_id[task_id].statement


class SandboxEvaluator:
    """Evaluates nodes by running their agents in sandboxes through the executor."""

    def __init__(self, archive: Archive, config: RunConfig, client: LLMClient,
                 executor: Executor, tasks: BenchmarkTasks) -> None:
        self.archive, self.config, self.client = archive, config, client
        self.executor, self.tasks = executor, tasks
        # Short paths: a unix socket's path must fit in 107 bytes, run folders may be deep.
        self.sockets = Path(tempfile.mkdtemp(prefix="dgm-llm-"))
        self._count = 0
        # Workers on other hosts get each job's tree shipped and reach the proxy by a gateway.
        self.shipper = shipper_for(executor, config.executor)
        self.resources = Resources(cpus=config.sandbox.cpus, memory_mb=config.sandbox.memory_mb)

    def close(self) -> None:
        """Remove the socket folder (and stop the model gateway of remote workers)."""
        if self.shipper is not None:
            self.shipper.close()
        shutil.rmtree(self.sockets, ignore_errors=True)

    def _submit(self, fn: Callable[[AgentJob], T], job: AgentJob) -> Future[T]:
        if self.shipper is not None:
            return self.shipper.submit(self.executor, fn, job, self.resources)
        return self.executor.submit(fn, job, resources=self.resources)

    def _proxy(self, node: Node, log: Path) -> NodeProxy:
        self._count += 1
        budget = NodeBudget(tokens=self.config.llm.node_max_tokens,
                            dollars=self.config.llm.node_max_dollars)
        return NodeProxy(self.client, self.sockets / f"{self._count}.sock", node_id=node.id,
                         budget=budget, log=log).start()

    def _job(self, node: Node, task: Task | None, attempt: int, socket: Path,
             log_dir: Path) -> AgentJob:
        return AgentJob(
            git_dir=self.archive.path / "agents.git", node_id=node.id, commit=node.commit,
            task=task, attempt=attempt, sandbox=self.config.sandbox,
            benchmark=self.config.benchmark, llm_socket=socket, log_dir=log_dir,
            agent_args=["--max-steps", str(self.config.controller.agent_max_steps)],
        )

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int,
                 on_result: Callable[[TaskResult], None] | None = None) -> list[TaskResult]:
        """Run the node on the tasks concurrently; one proxy per attempt.

        on_result sees each result as soon as it and those submitted before it are done."""
        running: list[tuple[str, NodeProxy, Future[TaskResult]]] = []
        for task_id in task_ids:
            log = self.archive.log_path(node.id, task_id, attempt, "llm")
            proxy = self._proxy(node, log)
            job = self._job(node, self.tasks.by_id[task_id], attempt, proxy.socket_path,
                            log.parent)
            running.append((task_id, proxy, self._submit(run_job, job)))
        results = []
        for task_id, proxy, future in running:
            try:
                result = future.result()
            except Exception as exc:  # a dead worker or a bug: infrastructure, not the agent
                task = self.tasks.by_id[task_id]
                result = TaskResult(task_id=task_id, node_id=node.id, attempt=attempt,
                                    outcome=Outcome.error, benchmark=task.benchmark,
                                    split=task.split, error=f"{type(exc).__name__}: {exc}")
            finally:
                proxy.stop()
            results.append(charge_attempt(result, proxy))
            if on_result is not None:
                on_result(results[-1])
        return results

    def smoke(self, node: Node) -> str | None:
        """The node's agent imports and runs a trivial task to its end."""
        log = self.archive.log_path(node.id, "smoke", 1, "llm")
        proxy = self._proxy(node, log)
        try:
            reason = self._submit(
                smoke_job, self._job(node, None, 1, proxy.socket_path, log.parent)).result()
        finally:
            proxy.stop()
        if reason is not None and proxy.infra_failures:
            reason += f" (the model itself failed {proxy.infra_failures} time(s))"
        return reason

    def self_edit(self, parent: Node, instruction: str, tree: Path) -> Reply:
        """The parent agent edits its own source (checked out at tree) to follow instruction."""
        log = self.archive.log_path(parent.id, "self-edit", 1, "llm")
        proxy = self._proxy(parent, log)
        try:
            self_edit_job(self._job(parent, None, 1, proxy.socket_path, log.parent),
                          instruction, tree)
        finally:
            proxy.stop()
        return Reply(text="", cost=proxy.usage.to_cost())


def ask_with(client: LLMClient) -> object:
    """The controller's model as the loop's `ask`.

    A retry (the conversation holds the model's own unusable reply) is sampled warmer: at the
    default temperature 0 a small model answers a correction with the same reply again."""

    def ask(messages: Messages) -> Reply:
        retry = any(m["role"] == "assistant" for m in messages)
        params = {"temperature": max(client.config.temperature, RETRY_TEMPERATURE)} if retry else {}
        completion = client.complete(messages, **params)
        return Reply(text=completion.text, cost=completion.usage.to_cost())

    return ask


def real_services(archive: Archive, config: RunConfig, client: LLMClient, executor: Executor,
                  bench: Benchmark) -> tuple[Services, SandboxEvaluator]:
    """Services wired to sandboxes, the benchmark and the LLM client."""
    tasks = BenchmarkTasks(bench)
    evaluator = SandboxEvaluator(archive, config, client, executor, tasks)
    services = Services(tasks=tasks, evaluator=evaluator, ask=ask_with(client),  # type: ignore[arg-type]
                        self_edit=evaluator.self_edit)
    return services, evaluator
