"""What the controller needs from the rest of dgm, as one bundle of small interfaces.

The loop only decides; running agents in sandboxes, grading, and calling models happen behind
these calls. `dgm run` wires them to the real runner, benchmark and LLM client; tests wire them to
scripted stand-ins without changing a line of the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dgm.archive.node import Cost, Node
from dgm.archive.result import TaskResult

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Reply:
    """A model's reply and what it cost."""

    text: str
    cost: Cost


class Evaluator(Protocol):
    """Runs a node's agent on tasks in sandboxes and grades it."""

    def smoke(self, node: Node) -> str | None:
        """None if the agent runs and completes a trivial task, else why it does not."""
        ...

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int) -> list[TaskResult]:
        """One attempt of the node on each task (run concurrently); errors are outcome 'error'."""
        ...


class TaskSource(Protocol):
    """The benchmark's tasks, by split."""

    def task_ids(self, split: str) -> list[str]:
        """Ids of the tasks of a split."""
        ...

    def statement(self, task_id: str) -> str:
        """The problem statement shown to the agent."""
        ...


SelfEdit = Callable[[Node, str, Path], Reply]
"""Run the parent agent on its own source (checked out at the Path) with an instruction;
the agent's changes stay in that folder. Returns what the agent's model calls cost."""


@dataclass
class Services:
    """Everything outside the loop: tasks, evaluation, the controller's model, self-editing."""

    tasks: TaskSource
    evaluator: Evaluator
    ask: Callable[[Messages], Reply]
    self_edit: SelfEdit | None = None
