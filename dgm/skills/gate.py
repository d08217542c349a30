"""GRASP's admission rule for skill-library edits: net gain on a paired, balanced probe.

The parent and the child are re-run on the same probe tasks. adjusted = fixes - regressions -
2 * invalid; an edit is admitted iff adjusted > 0 and regressions <= the regression budget
(and, if required, McNemar's exact test on the flips is significant).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from pydantic import BaseModel, Field

from dgm.archive.flips import Flip, Flips
from dgm.archive.result import Outcome, TaskResult
from dgm.skills.config import SkillsConfig


class Probe(BaseModel):
    """The probe tasks: half the parent failed, half it passed (as far as the split allows)."""

    failing: list[str]
    passing: list[str]

    @property
    def tasks(self) -> list[str]:
        """All probe tasks."""
        return self.failing + self.passing

    @property
    def balanced(self) -> bool:
        """Whether both halves are the same size."""
        return len(self.failing) == len(self.passing)


def build_probe(parent_results: Sequence[TaskResult], size: int, rng: random.Random) -> Probe:
    """Draw a balanced probe from the parent's held-out results; errors are never drawn."""
    failed = sorted(r.task_id for r in parent_results if r.outcome == Outcome.failed)
    passed = sorted(r.task_id for r in parent_results if r.outcome == Outcome.passed)
    half = size // 2
    take_failed = min(len(failed), max(half, size - len(passed)))
    take_passed = min(len(passed), size - take_failed)
    return Probe(failing=sorted(rng.sample(failed, take_failed)),
                 passing=sorted(rng.sample(passed, take_passed)))


def mcnemar_exact(fixes: int, regressions: int) -> float:
    """Two-sided exact McNemar p-value on the discordant pairs (a binomial test at p = 0.5)."""
    n = fixes + regressions
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(fixes, regressions) + 1)) / 2**n
    return min(1.0, 2 * tail)


class GateDecision(BaseModel):
    """The numbers behind one admission decision, and the decision."""

    fixes: int
    regressions: int
    invalid: int
    adjusted: int
    p_value: float
    admitted: bool
    reason: str
    flips: dict[str, Flip] = Field(default_factory=dict)


def decide(flips: Flips, config: SkillsConfig) -> GateDecision:
    """Apply the rule to the paired flips of parent -> child on the probe."""
    fixes, regressions, invalid = flips.fixes, flips.regressions, flips.invalid
    adjusted = fixes - regressions - 2 * invalid
    p_value = mcnemar_exact(fixes, regressions)
    if adjusted <= 0:
        admitted, reason = False, f"no net gain (adjusted {adjusted} <= 0)"
    elif regressions > config.regression_budget:
        admitted, reason = False, (f"{regressions} regressions exceed the budget of "
                                   f"{config.regression_budget}")
    elif config.require_significance and p_value >= config.significance_level:
        admitted, reason = False, (f"not significant (McNemar p = {p_value:.3g} >= "
                                   f"{config.significance_level})")
    else:
        admitted, reason = True, f"net gain {adjusted} with {regressions} regression(s)"
    return GateDecision(fixes=fixes, regressions=regressions, invalid=invalid, adjusted=adjusted,
                        p_value=p_value, admitted=admitted, reason=reason, flips=flips.tasks)
