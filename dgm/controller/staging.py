"""Staged evaluation: tiers of tasks, and the successive-halving rule that stops a child early.

Every node of a run sees the training tasks in the same seeded order, so a child and its parent
are always compared on the same tasks (paired), tier by tier.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


DIFFICULTY_RANK = {"easy": 0, "medium": 1, "hard": 2}


def task_order(task_ids: Sequence[str], seed: int,
               difficulty: Mapping[str, str] | None = None) -> list[str]:
    """The run's fixed evaluation order: a seeded shuffle of the sorted ids.

    With difficulties known, easier tasks come first (shuffled among themselves), so the first
    tiers, which every child runs, are the cheap ones that still tell a broken agent apart.
    """
    order = sorted(task_ids)
    random.Random(seed).shuffle(order)
    if difficulty:
        unknown = len(DIFFICULTY_RANK)
        order.sort(key=lambda t: DIFFICULTY_RANK.get(difficulty.get(t, ""), unknown))
    return order


def plan_tiers(order: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    """Split the ordered tasks into tiers of cumulative sizes (e.g. [10, 50] -> 10, 40, rest)."""
    if any(b <= a for a, b in zip(sizes, sizes[1:], strict=False)) or any(s <= 0 for s in sizes):
        raise ValueError(f"tier sizes must be positive and increasing, got {list(sizes)}")
    tiers, start = [], 0
    for size in sizes:
        end = min(size, len(order))
        if end > start:
            tiers.append(list(order[start:end]))
        start = end
    if start < len(order):
        tiers.append(list(order[start:]))
    return tiers


def could_still_beat(passed: int, graded: int, total: int, parent_rate: float) -> bool:
    """Whether passing every remaining task would put the child above its parent's rate."""
    if total <= 0:
        return False
    remaining = max(0, total - graded)
    return (passed + remaining) / total > parent_rate
