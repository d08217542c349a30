"""The held-out report: paired on the same tasks, interval, exclusions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dgm.archive import Archive, NodeStatus, Outcome, Score, TaskResult
from dgm.controller.report import heldout_report
from tests.conftest import bump_patch


def put(archive: Archive, node: str, outcomes: dict[str, Outcome], tampered: set[str] = set()) -> None:
    for task, outcome in outcomes.items():
        archive.write_result(TaskResult(task_id=task, node_id=node, outcome=outcome,
                                        benchmark="builtin", split="heldout",
                                        tampered=task in tampered))


def test_report_pairs_root_and_best(archive: Archive, agent_tree: Path) -> None:
    root = archive.add_root(agent_tree)
    child = archive.add_child(root.id, patch=bump_patch("counter.txt", "0", "1"))
    archive.set_status(root.id, NodeStatus.evaluated, scores={"builtin:train": Score(passed=2, failed=8)})
    archive.set_status(child.id, NodeStatus.evaluated, scores={"builtin:train": Score(passed=6, failed=4)})
    assert heldout_report(archive) is None
    P, F, E = Outcome.passed, Outcome.failed, Outcome.error
    put(archive, root.id, {"h1": F, "h2": F, "h3": P, "h4": P, "h5": F, "h6": F, "h7": P})
    put(archive, child.id, {"h1": P, "h2": P, "h3": P, "h4": F, "h5": E, "h6": P, "h7": P},
        tampered={"h6"})
    report = heldout_report(archive)
    assert (report.root, report.best) == (root.id, child.id)
    # h5 has no verdict, h6 was tampered with: 5 paired tasks remain.
    assert report.tasks == 5 and report.excluded_invalid == 1 and report.excluded_tampered == 1
    assert report.root_rate == pytest.approx(3 / 5) and report.best_rate == pytest.approx(4 / 5)
    assert report.difference == pytest.approx(1 / 5)
    se = math.sqrt(3 - 1 / 5) / 5
    assert report.low == pytest.approx(0.2 - 1.959964 * se)
    assert report.high == pytest.approx(min(1.0, 0.2 + 1.959964 * se))
