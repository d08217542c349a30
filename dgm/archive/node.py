"""Node: the metadata of one agent in the archive (its code is the git commit of the same id)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dgm.archive.schema import SCHEMA_VERSION


class NodeStatus(StrEnum):
    """Where a node stands: created, failed its smoke test, scored, or refused admission."""

    pending = "pending"
    smoke_failed = "smoke_failed"
    evaluated = "evaluated"
    rejected = "rejected"


class Proposal(BaseModel):
    """Why a node exists: the diagnosis of its parent and the instruction that produced it."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field("", description="One line shown in lineage views.")
    mode: str = Field("", description="'seed', 'self' (agent edited itself), 'direct' (LLM patch)...")
    task_id: str | None = Field(None, description="The failed task the diagnosis started from.")
    diagnosis: str = ""
    instruction: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)


class Cost(BaseModel):
    """Resources a node consumed (its creation plus its evaluations)."""

    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    dollars: float = 0.0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            dollars=self.dollars + other.dollars,
            cpu_seconds=self.cpu_seconds + other.cpu_seconds,
            wall_seconds=self.wall_seconds + other.wall_seconds,
        )


class Score(BaseModel):
    """Counts of task outcomes on one benchmark split; errors are never counted as failures."""

    model_config = ConfigDict(extra="forbid")

    passed: int = Field(0, ge=0)
    failed: int = Field(0, ge=0)
    errors: int = Field(0, ge=0)

    @property
    def graded(self) -> int:
        """Tasks with a verdict (passed or failed)."""
        return self.passed + self.failed

    @property
    def value(self) -> float:
        """Pass rate over graded tasks; 0.0 when none were graded."""
        return self.passed / self.graded if self.graded else 0.0


def score_key(benchmark: str, split: str) -> str:
    """The key of Node.scores for a benchmark split, e.g. 'builtin:train'."""
    return f"{benchmark}:{split}"


class Node(BaseModel):
    """One agent: its id is the short hash of its commit in agents.git."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    id: str = Field(pattern=r"^[0-9a-f]{7,40}$")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    parent_id: str | None = None
    generation: int = Field(0, ge=0)
    created_at: datetime
    proposal: Proposal = Field(default_factory=Proposal)
    status: NodeStatus = NodeStatus.pending
    reason: str | None = Field(None, description="Why a node was smoke_failed or rejected.")
    scores: dict[str, Score] = Field(default_factory=dict)
    cost: Cost = Field(default_factory=Cost)

    def score(self, key: str) -> float | None:
        """Pass rate on a score key, or None if never evaluated there."""
        found = self.scores.get(key)
        return found.value if found is not None and found.graded else None
