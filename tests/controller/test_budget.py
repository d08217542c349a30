"""Budgets stop a run at the first limit reached and say which."""

from __future__ import annotations

from dgm.archive.node import Cost
from dgm.controller.budget import Usage, exhausted, remaining
from dgm.controller.config import BudgetConfig


def test_each_budget_is_named_when_reached() -> None:
    config = BudgetConfig(max_dollars=1.0, max_tokens=1000, max_wall_hours=1.0,
                          max_cpu_hours=2.0, max_nodes=5)
    assert exhausted(config, Usage()) is None
    cases = {
        "budget.max_dollars reached: used $1.50 of $1.00": Usage(dollars=1.5),
        "budget.max_tokens reached: used 1,000 tokens of 1,000 tokens": Usage(tokens=1000),
        "budget.max_wall_hours reached": Usage(wall_seconds=3600),
        "budget.max_cpu_hours reached": Usage(cpu_seconds=7300),
        "budget.max_nodes reached: used 5 nodes of 5 nodes": Usage(nodes=5),
    }
    for message, usage in cases.items():
        assert exhausted(config, usage).startswith(message)
    assert exhausted(config, Usage(dollars=0.99, tokens=999, nodes=4)) is None


def test_unlimited_budgets_never_stop() -> None:
    config = BudgetConfig(max_dollars=None, max_tokens=None, max_wall_hours=None,
                          max_cpu_hours=None, max_nodes=None)
    assert exhausted(config, Usage(dollars=1e9, tokens=10**12, nodes=10**6)) is None
    assert set(remaining(config, Usage()).values()) == {None}


def test_usage_from_archive_cost() -> None:
    cost = Cost(prompt_tokens=300, completion_tokens=200, dollars=0.25, cpu_seconds=90)
    usage = Usage.from_cost(cost, nodes=3, wall_seconds=60)
    assert (usage.tokens, usage.dollars, usage.cpu_seconds, usage.nodes) == (500, 0.25, 90, 3)
    left = remaining(BudgetConfig(max_dollars=1.0, max_nodes=10), usage)
    assert left["dollars"] == 0.75 and left["nodes"] == 7


def test_wall_time_is_summed_over_sessions_and_shown_by_status(tmp_path) -> None:  # noqa: ANN001
    from datetime import datetime, timedelta, timezone

    from dgm.archive import Archive
    from dgm.archive.events import Event
    from dgm.archive.summary import summarize, wall_seconds
    from dgm.config import RunConfig

    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def event(kind: str, minutes: float) -> Event:
        return Event(seq=1, ts=t0 + timedelta(minutes=minutes), kind=kind)

    # Two sessions, 10 and 5 minutes; the gap between them (the run was down) is not counted.
    events = [event("session_started", 0), event("step_started", 4), event("run_stopped", 10),
              event("session_started", 60), event("step_started", 65)]
    assert wall_seconds(events) == 15 * 60
    assert wall_seconds([]) == 0.0
    archive = Archive.create(tmp_path / "run", RunConfig())
    archive.events.append("session_started")
    assert summarize(archive).spend.wall_seconds == 0.0  # one event: no time has passed yet
