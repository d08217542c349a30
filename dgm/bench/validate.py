"""`dgm bench validate`: the gold patch must pass every task and doing nothing must fail it.

As SWE-bench validates itself: a harness that passes a no-op or fails the reference solution
would poison every evolution run judged by it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel

from dgm.agent_runner import grade_patch
from dgm.archive.result import Outcome
from dgm.bench.base import Task
from dgm.bench.config import BenchmarkConfig
from dgm.bench.registry import load_benchmark
from dgm.sandbox.base import SandboxError
from dgm.sandbox.config import SandboxConfig


class Verdict(BaseModel):
    """Gold and no-op outcomes of one task."""

    task_id: str
    split: str
    gold: Outcome
    noop: Outcome
    detail: str = ""

    @property
    def agrees(self) -> bool:
        """Gold passes and no-op fails, as a sound harness must."""
        return self.gold == Outcome.passed and self.noop == Outcome.failed


def _outcome(task: Task, patch: str, sandbox: SandboxConfig, bench: BenchmarkConfig) -> tuple[Outcome, str]:
    with tempfile.TemporaryDirectory(prefix="dgm-validate-") as tmp:
        try:
            result, log = grade_patch(task, patch, sandbox, bench, Path(tmp))
        except SandboxError as exc:
            return Outcome.error, str(exc)
    return result.outcome, log[-400:]


def validate(bench_config: BenchmarkConfig, sandbox: SandboxConfig, workers: int = 2,
             only: list[str] | None = None,
             on_verdict: Callable[[Verdict], None] | None = None) -> list[Verdict]:
    """Grade every task with its gold patch and with no change."""
    bench = load_benchmark(bench_config)
    tasks = [t for t in bench.tasks() if not only or t.id in only]

    def one(task: Task) -> Verdict:
        gold, gold_log = _outcome(task, bench.gold_patch(task), sandbox, bench_config)
        noop, noop_log = _outcome(task, "", sandbox, bench_config)
        detail = "" if gold == Outcome.passed and noop == Outcome.failed else (
            f"gold: {gold_log}" if gold != Outcome.passed else f"noop: {noop_log}")
        verdict = Verdict(task_id=task.id, split=task.split, gold=gold, noop=noop, detail=detail)
        if on_verdict:
            on_verdict(verdict)
        return verdict

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, tasks))
