"""Paired comparison of two nodes on the tasks both ran: which tasks flipped, and how."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, Field

from dgm.archive.result import Outcome, TaskResult


class Flip(StrEnum):
    """How one task's outcome changed from node A to node B."""

    fixed = "fixed"            # failed -> passed
    regressed = "regressed"    # passed -> failed
    still_passing = "still_passing"
    still_failing = "still_failing"
    invalid = "invalid"        # an infrastructure error on either side: no verdict


class Flips(BaseModel):
    """Per-task flips between two nodes, over the tasks both attempted."""

    a: str
    b: str
    tasks: dict[str, Flip] = Field(default_factory=dict)
    only_a: list[str] = Field(default_factory=list)
    only_b: list[str] = Field(default_factory=list)

    def of(self, kind: Flip) -> list[str]:
        """The tasks with one kind of flip, sorted."""
        return sorted(t for t, f in self.tasks.items() if f == kind)

    @property
    def fixes(self) -> int:
        """Tasks B passes that A failed."""
        return len(self.of(Flip.fixed))

    @property
    def regressions(self) -> int:
        """Tasks A passed that B fails."""
        return len(self.of(Flip.regressed))

    @property
    def invalid(self) -> int:
        """Tasks without a verdict on one side."""
        return len(self.of(Flip.invalid))


def classify(a: Outcome, b: Outcome) -> Flip:
    """The flip from outcome a to outcome b."""
    if Outcome.error in (a, b):
        return Flip.invalid
    if a == b:
        return Flip.still_passing if a == Outcome.passed else Flip.still_failing
    return Flip.fixed if b == Outcome.passed else Flip.regressed


def compare(a_id: str, a: Iterable[TaskResult], b_id: str, b: Iterable[TaskResult]) -> Flips:
    """Pair two nodes' latest results by task id."""
    left = {r.task_id: r.outcome for r in a}
    right = {r.task_id: r.outcome for r in b}
    return Flips(
        a=a_id, b=b_id,
        tasks={t: classify(left[t], right[t]) for t in sorted(left.keys() & right.keys())},
        only_a=sorted(left.keys() - right.keys()),
        only_b=sorted(right.keys() - left.keys()),
    )
