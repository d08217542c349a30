"""`dgm bench run`: one archive node's agent on chosen tasks of a benchmark, stored in the run.

It runs exactly as the controller evaluates a node (SandboxEvaluator: the agent in a sandbox with
its own LLM proxy per attempt, graded in a fresh one), with the run's frozen config for the model,
sandbox and executor; only the benchmark is the one named. Every attempt is a new attempt number,
so earlier results of the node are kept, and its scores are recomputed from the latest attempts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from dgm.archive.node import Cost, Node
from dgm.archive.result import Outcome, TaskResult
from dgm.archive.run import Archive
from dgm.bench.base import Task
from dgm.bench.config import BenchmarkConfig
from dgm.bench.registry import load_benchmark
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.llm.client import Backend
from dgm.llm.local import open_client


def parse_node_ref(ref: str) -> tuple[str, str]:
    """'RUN:NODE' as (run, node); the run may be a path (split at the last colon)."""
    run, sep, node = ref.rpartition(":")
    if not sep or not run or not node:
        raise DgmError(f"--node {ref!r}: expected RUN:NODE, a run name or path and a node id "
                       "(e.g. run-20250101-120000:3f2a9c1)")
    return run, node


def bench_config_for(run: RunConfig, name: str, data: Path | None) -> BenchmarkConfig:
    """The run's benchmark settings, pointed at the named benchmark (its data kept only if same)."""
    same = name == run.benchmark.name
    return run.benchmark.model_copy(
        update={"name": name, "data": data if data is not None or not same else run.benchmark.data})


def select_tasks(tasks: Sequence[Task], wanted: Sequence[str] | None, split: str | None,
                 benchmark: str) -> list[Task]:
    """The tasks asked for, in the order given (all, or a split, when none are named)."""
    if wanted:
        by_id = {t.id: t for t in tasks}
        unknown = [t for t in wanted if t not in by_id]
        if unknown:
            shown = ", ".join(repr(t) for t in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise DgmError(f"--tasks: no task {shown} in benchmark {benchmark!r} "
                           f"(ids look like {next(iter(by_id), '?')!r}; see `dgm bench list`)")
        return [by_id[t] for t in dict.fromkeys(wanted)]
    chosen = [t for t in tasks if split is None or t.split == split]
    if not chosen:
        raise DgmError(f"--split: benchmark {benchmark!r} has no {split!r} tasks")
    return chosen


def next_attempts(archive: Archive, node: Node, task_ids: Sequence[str]) -> dict[int, list[str]]:
    """Task ids grouped by the attempt number each runs as (one past its latest)."""
    records = archive.task_records(node.id)
    groups: dict[int, list[str]] = defaultdict(list)
    for task_id in task_ids:
        record = records.get(task_id)
        groups[record.latest.attempt + 1 if record and record.latest else 1].append(task_id)
    return dict(sorted(groups.items()))


def run_on_tasks(archive: Archive, node_id: str, benchmark: BenchmarkConfig, tasks: Sequence[Task],
                 *, backend: Backend | None = None,
                 on_result: Callable[[TaskResult], None] | None = None) -> list[TaskResult]:
    """Run a node's agent on tasks (archive open writable); every result is stored as it comes."""
    from dgm.controller.evaluation import scores_of
    from dgm.controller.wiring import BenchmarkTasks, SandboxEvaluator
    from dgm.executor import make_executor

    node = archive.node(node_id)
    config = archive.config.model_copy(update={"benchmark": benchmark})
    bench = load_benchmark(benchmark)
    results: list[TaskResult] = []

    def store(result: TaskResult) -> None:
        archive.write_result(result)
        archive.add_cost(node.id, Cost(dollars=result.dollars, prompt_tokens=result.tokens,
                                       cpu_seconds=sum(result.durations.values())))
        results.append(result)
        if on_result is not None:
            on_result(result)

    archive.events.append("bench_run_started", node=node.id, benchmark=benchmark.name,
                          tasks=len(tasks))
    with open_client(config.llm, backend=backend) as client:
        executor = make_executor(config.executor)
        evaluator = SandboxEvaluator(archive, config, client, executor, BenchmarkTasks(bench))
        try:
            for attempt, ids in next_attempts(archive, node, [t.id for t in tasks]).items():
                evaluator.evaluate(node, ids, attempt, on_result=store)
        finally:
            evaluator.close()
            executor.shutdown(True)
    node = archive.node(node.id)
    archive.save_node(node.model_copy(update={"scores": scores_of(archive.task_records(node.id))}))
    archive.events.append("bench_run_finished", node=node.id, benchmark=benchmark.name,
                          passed=sum(r.outcome == Outcome.passed for r in results),
                          failed=sum(r.outcome == Outcome.failed for r in results),
                          errors=sum(r.outcome == Outcome.error for r in results))
    order = {t.id: i for i, t in enumerate(tasks)}
    return sorted(results, key=lambda r: order[r.task_id])
