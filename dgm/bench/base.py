"""The Benchmark protocol and the Task every harness produces."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from dgm.archive.result import TaskResult
from dgm.sandbox.base import Sandbox

REPO_DIR = "/work/repo"  # where every harness lays out the repository an agent works on
TEST_LOG = "/work/test.log"  # where grade() leaves the full output of the tests


class Task(BaseModel):
    """One problem: what the agent sees, and how it is graded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    benchmark: str
    split: str
    language: str = "python"
    statement: str = Field(description="The problem as the agent reads it.")
    payload: Path = Field(description="Host folder: the repository as the agent starts with it.")
    hidden: Path | None = Field(
        None, description="Host folder of files laid over the repository only for grading.")
    test_command: list[str] = Field(description="Run in the repository; exit 0 when all pass.")
    protected: list[str] = Field(
        default_factory=list,
        description="Glob patterns of files the agent may not change (restored before grading).")
    timeout_s: float = Field(300.0, gt=0, description="Limit of one test run.")
    tries: int = Field(1, ge=1, le=5, description="Tries per attempt: after a failed try the "
                       "agent sees the test output and tries again (pass@k).")
    difficulty: str = ""


class Benchmark(Protocol):
    """A set of tasks, how to lay one out in a sandbox, and how to grade it there."""

    name: str

    def tasks(self, split: str | None = None) -> list[Task]:
        """The tasks of a split (all when None)."""
        ...

    def prepare(self, task: Task, sandbox: Sandbox) -> None:
        """Lay the task's repository out at /work/repo."""
        ...

    def grade(self, task: Task, sandbox: Sandbox) -> TaskResult:
        """Restore protected files, lay the hidden tests over, run the tests, give the outcome.

        The full test output is left at TEST_LOG for diagnosis."""
        ...
