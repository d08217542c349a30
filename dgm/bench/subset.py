"""A benchmark cut down to a fixed number of tasks per split, for cheap runs on slow models."""

from __future__ import annotations

import random

from dgm.archive.result import TaskResult
from dgm.bench.base import Benchmark, Task
from dgm.sandbox.base import Sandbox


def pick_tasks(tasks: list[Task], limit: int) -> list[Task]:
    """The same `limit` tasks on every call: a fixed shuffle of the sorted ids, cut.

    Shuffling (rather than taking the first ids) keeps the subset spread over the suite's
    repositories instead of one repository's tasks.
    """
    ordered = sorted(tasks, key=lambda t: t.id)
    random.Random(0).shuffle(ordered)
    return sorted(ordered[:limit], key=lambda t: t.id)


class CappedBenchmark:
    """Delegates to a harness, but each split offers at most `limit` of its tasks."""

    def __init__(self, inner: Benchmark, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.name = inner.name

    def __getattr__(self, attr: str) -> object:
        # Harness-specific extras (tiers, data paths) pass through unchanged. `inner` itself is
        # looked up here only while unpickling, before __init__ state exists.
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def tasks(self, split: str | None = None) -> list[Task]:
        """At most `limit` tasks of a split; with no split, the capped splits together."""
        if split is not None:
            return pick_tasks(self.inner.tasks(split), self.limit)
        splits = sorted({t.split for t in self.inner.tasks()})
        return [task for name in splits for task in self.tasks(name)]

    def prepare(self, task: Task, sandbox: Sandbox) -> None:
        """Lay the task out, as the wrapped harness does."""
        self.inner.prepare(task, sandbox)

    def grade(self, task: Task, sandbox: Sandbox) -> TaskResult:
        """Grade the task, as the wrapped harness does."""
        return self.inner.grade(task, sandbox)
