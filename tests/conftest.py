"""Shared fixtures: small agent trees and archives built through the public API."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgm.archive import Archive, NodeStatus, Outcome, Proposal, Score, TaskResult


def bump_patch(path: str, old: str, new: str) -> str:
    """A one-line unified diff replacing the single line of `path`."""
    return f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-{old}\n+{new}\n"


@pytest.fixture
def agent_tree(tmp_path: Path) -> Path:
    """A tiny agent source tree."""
    root = tmp_path / "seed"
    (root / "agent").mkdir(parents=True)
    (root / "agent" / "__init__.py").write_text("VERSION = 0\n")
    (root / "agent" / "main.py").write_text("def solve(task):\n    return None\n")
    (root / "counter.txt").write_text("0\n")
    return root


@pytest.fixture
def archive(tmp_path: Path, agent_tree: Path) -> Archive:
    """A writable, empty run archive (closed after the test)."""
    run = Archive.create(tmp_path / "runs" / "demo")
    yield run
    run.close()


def populate(archive: Archive, agent_tree: Path) -> dict[str, str]:
    """Root + three children + one grandchild, scored on builtin:train, with results."""
    root = archive.add_root(agent_tree)
    ids = {"root": root.id}
    layout = [("a", "root", 4), ("b", "root", 6), ("c", "root", None), ("a1", "a", 8)]
    for value, (name, parent, passed) in enumerate(layout, start=1):
        child = archive.add_child(
            ids[parent],
            patch=bump_patch("counter.txt", str(_counter(archive, ids[parent])), str(value * 10)),
            proposal=Proposal(summary=f"change {name}", mode="direct"),
        )
        ids[name] = child.id
        if passed is None:
            archive.set_status(child.id, NodeStatus.smoke_failed, reason="import error")
            continue
        archive.set_status(
            child.id, NodeStatus.evaluated,
            scores={"builtin:train": Score(passed=passed, failed=10 - passed)},
        )
        for t in range(3):
            archive.write_result(TaskResult(
                task_id=f"repo/task-{t}", node_id=child.id,
                outcome=Outcome.passed if t < passed % 3 else Outcome.failed,
            ))
    archive.set_status(
        root.id, NodeStatus.evaluated, scores={"builtin:train": Score(passed=5, failed=5)}
    )
    return ids


def _counter(archive: Archive, node_id: str) -> int:
    return int(archive.git.read_file(archive.node(node_id).commit, "counter.txt"))


@pytest.fixture
def populated(archive: Archive, agent_tree: Path) -> tuple[Archive, dict[str, str]]:
    """An archive with a small scored lineage."""
    return archive, populate(archive, agent_tree)
