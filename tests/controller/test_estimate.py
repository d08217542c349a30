"""The spend estimate: bounds follow the budgets, tiers and prices."""

from __future__ import annotations

import pytest

from dgm.config import RunConfig
from dgm.controller.estimate import estimate_run


def test_bounds_scale_with_children_and_tiers() -> None:
    config = RunConfig()
    config.budget.max_nodes = 11
    config.benchmark.tiers = [5, 20]
    per_token = {"m": 1e-6}
    config.llm.model = "m"

    def price(model: str, prompt: int, completion: int) -> float:
        return (prompt + completion) * per_token[model]

    estimate = estimate_run(config, train_tasks=30, heldout_tasks=10, price=price)
    assert estimate.children == 10
    # The seed runs every task twice (flaky_reruns=1), held-out included; the best once.
    assert estimate.tasks_low == 2 * 30 + 10 * 5 + 3 * 10
    assert estimate.tasks_high == 30 * 12 + 3 * 10
    config.controller.flaky_reruns = 0
    plain = estimate_run(config, train_tasks=30, heldout_tasks=10, price=price)
    assert (plain.tasks_low, plain.tasks_high) == (30 + 10 * 5 + 20, 30 * 11 + 20)
    assert estimate.tokens_low < estimate.tokens_high
    assert estimate.dollars_high == pytest.approx(estimate.tokens_high * 1e-6)
    assert any("10 children" in a for a in estimate.assumptions)


def test_unknown_price_is_reported_as_unknown() -> None:
    estimate = estimate_run(RunConfig(), 40, 10, price=lambda model, p, c: None)
    assert estimate.dollars_low is None and estimate.tokens_high > 0
