"""The GRASP rule on constructed flips, McNemar's exact test and the balanced probe."""

from __future__ import annotations

import random

import pytest

from dgm.archive.flips import Flip, Flips
from dgm.archive.result import Outcome, TaskResult
from dgm.skills.config import SkillsConfig
from dgm.skills.gate import build_probe, decide, mcnemar_exact


def flips(fixed: int = 0, regressed: int = 0, invalid: int = 0, same: int = 0) -> Flips:
    tasks = {}
    for kind, count in ((Flip.fixed, fixed), (Flip.regressed, regressed), (Flip.invalid, invalid),
                        (Flip.still_passing, same)):
        tasks |= {f"{kind}-{i}": kind for i in range(count)}
    return Flips(a="p", b="c", tasks=tasks)


def test_two_fixes_one_regression() -> None:
    with_budget = decide(flips(fixed=2, regressed=1), SkillsConfig(regression_budget=1))
    assert (with_budget.adjusted, with_budget.admitted) == (1, True)
    strict = decide(flips(fixed=2, regressed=1), SkillsConfig(regression_budget=0))
    assert not strict.admitted and "exceed the budget of 0" in strict.reason


def test_noise_and_invalid_runs_are_rejected() -> None:
    assert not decide(flips(same=10), SkillsConfig()).admitted
    even = decide(flips(fixed=1, regressed=1), SkillsConfig())
    assert even.adjusted == 0 and not even.admitted and "no net gain" in even.reason
    # Two fixes bought with one invalid run: 2 - 0 - 2 = 0, rejected.
    costly = decide(flips(fixed=2, invalid=1), SkillsConfig())
    assert costly.adjusted == 0 and not costly.admitted
    assert decide(flips(fixed=3, invalid=1), SkillsConfig()).admitted


def test_mcnemar_exact_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)
    assert mcnemar_exact(6, 0) == pytest.approx(2 / 64)
    assert mcnemar_exact(7, 1) == pytest.approx(2 * 9 / 256)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(2, 9) == mcnemar_exact(9, 2)


def test_significance_can_be_required() -> None:
    config = SkillsConfig(require_significance=True, significance_level=0.05)
    weak = decide(flips(fixed=5), config)
    assert not weak.admitted and "not significant" in weak.reason  # p = 0.0625
    assert decide(flips(fixed=6), config).admitted  # p = 0.03125


def result(task: str, outcome: Outcome) -> TaskResult:
    return TaskResult(task_id=task, node_id="p", outcome=outcome)


def test_probe_is_balanced_and_never_draws_errors() -> None:
    results = ([result(f"f{i}", Outcome.failed) for i in range(15)]
               + [result(f"p{i}", Outcome.passed) for i in range(15)]
               + [result(f"e{i}", Outcome.error) for i in range(5)])
    probe = build_probe(results, 20, random.Random(0))
    assert len(probe.failing) == len(probe.passing) == 10 and probe.balanced
    assert all(t.startswith("f") for t in probe.failing)
    assert all(t.startswith("p") for t in probe.passing)
    assert probe == build_probe(results, 20, random.Random(0))


def test_probe_fills_from_the_other_side_when_one_is_short() -> None:
    results = ([result(f"f{i}", Outcome.failed) for i in range(3)]
               + [result(f"p{i}", Outcome.passed) for i in range(30)])
    probe = build_probe(results, 20, random.Random(0))
    assert len(probe.failing) == 3 and len(probe.passing) == 17 and not probe.balanced
