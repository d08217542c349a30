"""Tiers and successive halving."""

from __future__ import annotations

import pytest

from dgm.controller.staging import could_still_beat, plan_tiers, task_order


def test_order_is_seeded_and_independent_of_input_order() -> None:
    ids = [f"t{i}" for i in range(30)]
    assert task_order(ids, 1) == task_order(list(reversed(ids)), 1)
    assert task_order(ids, 1) != task_order(ids, 2)
    assert sorted(task_order(ids, 1)) == sorted(ids)


def test_tiers_are_cumulative_and_cover_everything() -> None:
    order = [f"t{i}" for i in range(60)]
    tiers = plan_tiers(order, [1, 10, 50])
    assert [len(t) for t in tiers] == [1, 9, 40, 10]
    assert sum(tiers, []) == order
    assert plan_tiers(order[:5], [1, 10, 50]) == [["t0"], ["t1", "t2", "t3", "t4"]]
    with pytest.raises(ValueError, match="increasing"):
        plan_tiers(order, [10, 10])


def test_child_stops_when_it_cannot_beat_its_parent() -> None:
    # 50 tasks, parent passes 60%. After 10 tasks with 0 passed: best case 40/50 = 80% > 60%.
    assert could_still_beat(0, 10, 50, 0.6)
    # After 30 tasks with 9 passed: best case (9 + 20) / 50 = 58% < 60%: stop.
    assert not could_still_beat(9, 30, 50, 0.6)
    # Tying the parent is not beating it.
    assert not could_still_beat(30, 50, 50, 0.6)
    assert could_still_beat(31, 50, 50, 0.6)


def test_easy_tasks_come_first_when_difficulties_are_known() -> None:
    ids = [f"t{i:02d}" for i in range(30)]
    difficulty = {t: ("hard", "easy", "medium")[i % 3] for i, t in enumerate(ids)}
    difficulty.pop("t00")  # unknown difficulty goes last
    order = task_order(ids, seed=3, difficulty=difficulty)
    ranks = [("easy", "medium", "hard").index(difficulty[t]) if t in difficulty else 3
             for t in order]
    assert ranks == sorted(ranks) and order[-1] == "t00"
    easy = [t for t in order if difficulty.get(t) == "easy"]
    assert easy != sorted(easy)  # still shuffled within a difficulty
    assert task_order(ids, seed=3, difficulty=difficulty) == order


def test_the_builtin_suite_puts_easy_tasks_in_the_first_tier() -> None:
    from dgm.bench.builtin import BuiltinBenchmark
    from dgm.controller.wiring import BenchmarkTasks

    tasks = BenchmarkTasks(BuiltinBenchmark())
    train = tasks.task_ids("train")
    tiers = plan_tiers(task_order(train, 0, tasks.difficulty), tasks.tiers)
    assert all(tasks.difficulty[t] == "easy" for t in tiers[0])
