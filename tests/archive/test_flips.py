"""Per-task flips between two nodes."""

from __future__ import annotations

from dgm.archive import Archive, Flip, Outcome, TaskResult, classify, compare

P, F, E = Outcome.passed, Outcome.failed, Outcome.error


def results(node: str, outcomes: dict[str, Outcome]) -> list[TaskResult]:
    return [TaskResult(task_id=t, node_id=node, outcome=o) for t, o in outcomes.items()]


def test_every_pair_of_outcomes() -> None:
    assert classify(F, P) == Flip.fixed and classify(P, F) == Flip.regressed
    assert classify(P, P) == Flip.still_passing and classify(F, F) == Flip.still_failing
    assert {classify(E, P), classify(P, E), classify(E, E), classify(F, E)} == {Flip.invalid}


def test_compare_pairs_by_task_and_counts() -> None:
    flips = compare(
        "a", results("a", {"t1": F, "t2": P, "t3": P, "t4": E, "only-a": P}),
        "b", results("b", {"t1": P, "t2": F, "t3": P, "t4": P, "only-b": F}),
    )
    assert flips.of(Flip.fixed) == ["t1"] and flips.of(Flip.regressed) == ["t2"]
    assert (flips.fixes, flips.regressions, flips.invalid) == (1, 1, 1)
    assert flips.only_a == ["only-a"] and flips.only_b == ["only-b"]


def test_archive_flips_use_latest_attempts(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    archive.write_result(TaskResult(task_id="repo/task-2", node_id=ids["b"], attempt=2,
                                    outcome=P))
    flips = archive.flips(ids["a"], ids["b"])
    # a: passed% 3 = 1 -> task-0 passes; b: 6 % 3 = 0 -> all fail, then task-2 passes on retry.
    assert flips.of(Flip.regressed) == ["repo/task-0"]
    assert flips.of(Flip.fixed) == ["repo/task-2"]
    assert flips.of(Flip.still_failing) == ["repo/task-1"]
