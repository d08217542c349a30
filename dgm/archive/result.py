"""TaskResult: the outcome of one node on one task, as stored under results/<node>/."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dgm.archive.schema import SCHEMA_VERSION


class Outcome(StrEnum):
    """passed/failed judge the agent; error is an infrastructure failure, never held against it."""

    passed = "passed"
    failed = "failed"
    error = "error"


class TaskResult(BaseModel):
    """One attempt of one node on one task."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(min_length=1)
    node_id: str
    attempt: int = Field(1, ge=1)
    outcome: Outcome
    benchmark: str = ""
    split: str | None = None
    tests_passed: int = Field(0, ge=0)
    tests_failed: int = Field(0, ge=0)
    patch: str = ""
    log_path: str | None = Field(None, description="Relative to the run directory.")
    error: str | None = Field(None, description="What broke, for outcome 'error'.")
    tampered: bool = Field(False, description="The agent changed a protected file.")
    tries: list[Outcome] = Field(
        default_factory=list,
        description="Outcome of each try of this attempt, for tasks allowing several (pass@k).")
    started_at: datetime | None = None
    durations: dict[str, float] = Field(default_factory=dict, description="Seconds per phase.")
    tokens: int = Field(0, ge=0)
    dollars: float = Field(0.0, ge=0)


class TaskRecord(BaseModel):
    """Every attempt of a node on a task: the content of results/<node>/<task>.json."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    node_id: str
    task_id: str
    attempts: list[TaskResult] = Field(default_factory=list)

    def upsert(self, result: TaskResult) -> None:
        """Add an attempt, replacing one with the same attempt number."""
        self.attempts = [a for a in self.attempts if a.attempt != result.attempt] + [result]
        self.attempts.sort(key=lambda a: a.attempt)

    @property
    def latest(self) -> TaskResult | None:
        """The attempt with the highest number."""
        return self.attempts[-1] if self.attempts else None
