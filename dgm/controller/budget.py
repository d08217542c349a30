"""Budgets: what a run has used, and which limit (if any) it has reached."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from dgm.archive.node import Cost
from dgm.controller.config import BudgetConfig


class Usage(BaseModel):
    """What a run has consumed so far."""

    model_config = ConfigDict(frozen=True)

    dollars: float = 0.0
    tokens: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    nodes: int = 0

    @classmethod
    def from_cost(cls, cost: Cost, *, nodes: int, wall_seconds: float) -> Usage:
        """Usage from the archive's total cost, its node count and the run's active time."""
        return cls(
            dollars=cost.dollars, tokens=cost.tokens, cpu_seconds=cost.cpu_seconds,
            wall_seconds=wall_seconds, nodes=nodes,
        )


def exhausted(config: BudgetConfig, usage: Usage) -> str | None:
    """The first budget reached, as a sentence naming it; None while every budget has room."""
    limits = [
        ("max_dollars", usage.dollars, config.max_dollars, "${:.2f}"),
        ("max_tokens", usage.tokens, config.max_tokens, "{:,} tokens"),
        ("max_wall_hours", usage.wall_seconds / 3600, config.max_wall_hours, "{:.2f} h wall time"),
        ("max_cpu_hours", usage.cpu_seconds / 3600, config.max_cpu_hours, "{:.2f} CPU-hours"),
        ("max_nodes", usage.nodes, config.max_nodes, "{} nodes"),
    ]
    for name, used, limit, fmt in limits:
        if limit is not None and used >= limit:
            return f"budget.{name} reached: used {fmt.format(used)} of {fmt.format(limit)}"
    return None


def remaining(config: BudgetConfig, usage: Usage) -> dict[str, float | None]:
    """Room left under each budget (None where unlimited), for progress displays."""
    return {
        "dollars": None if config.max_dollars is None else config.max_dollars - usage.dollars,
        "tokens": None if config.max_tokens is None else config.max_tokens - usage.tokens,
        "wall_hours": None if config.max_wall_hours is None
        else config.max_wall_hours - usage.wall_seconds / 3600,
        "cpu_hours": None if config.max_cpu_hours is None
        else config.max_cpu_hours - usage.cpu_seconds / 3600,
        "nodes": None if config.max_nodes is None else config.max_nodes - usage.nodes,
    }
