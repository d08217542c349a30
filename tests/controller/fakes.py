"""Scripted stand-ins for the controller's services (tests only).

The "agent" is a tree holding level.txt = L: it passes training task t<i> iff i < L, and held-out
task h<i> iff i < L // 2. The scripted model diagnoses any failure the same way and proposes
level L + 1, so a run whose selection works climbs one level per useful step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from dgm.archive.gitstore import GitStore
from dgm.archive.node import Cost, Node
from dgm.archive.result import Outcome, TaskResult
from dgm.controller.services import Messages, Reply, Services

TRAIN = [f"t{i}" for i in range(10)]
HELDOUT = [f"h{i}" for i in range(4)]


class Tasks:
    def task_ids(self, split: str) -> list[str]:
        return {"train": TRAIN, "heldout": HELDOUT}.get(split, [])

    def statement(self, task_id: str) -> str:
        return f"Solve {task_id}."


class LevelEvaluator:
    """Grades by level.txt; appends every (node, task, attempt) it runs to a ledger file."""

    def __init__(self, git_dir: Path, ledger: Path, error_once: set[str] = frozenset()) -> None:
        self.git_dir, self.ledger = git_dir, ledger
        self.error_once = set(error_once)

    def level(self, node: Node) -> int:
        return int(GitStore(self.git_dir).read_file(node.commit, "level.txt").strip())

    def smoke(self, node: Node) -> str | None:
        files = GitStore(self.git_dir).files(node.commit)
        return "agent does not import: broken.txt present" if "broken.txt" in files else None

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int) -> list[TaskResult]:
        level = self.level(node)
        out = []
        with self.ledger.open("a") as ledger:
            for task in task_ids:
                ledger.write(f"{node.id} {task} {attempt}\n")
                split = "train" if task.startswith("t") else "heldout"
                limit = level if split == "train" else level // 2
                outcome = Outcome.passed if int(task[1:]) < limit else Outcome.failed
                out.append(TaskResult(task_id=task, node_id=node.id, attempt=attempt,
                                      outcome=outcome, benchmark="builtin", split=split,
                                      tokens=50, dollars=0.001))
        return out


class ErrorOnceEvaluator(LevelEvaluator):
    """Like LevelEvaluator, but the first attempt of the named tasks is an infrastructure error."""

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int) -> list[TaskResult]:
        results = super().evaluate(node, task_ids, attempt)
        for result in results:
            if attempt == 1 and result.task_id in self.error_once:
                result.outcome, result.error = Outcome.error, "sandbox died"
        return results


class FlakyEvaluator(LevelEvaluator):
    """Like LevelEvaluator, but the named tasks flip their verdict on every other attempt."""

    def __init__(self, git_dir: Path, ledger: Path, flaky: set[str]) -> None:
        super().__init__(git_dir, ledger)
        self.flaky = set(flaky)

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int) -> list[TaskResult]:
        results = super().evaluate(node, task_ids, attempt)
        for result in results:
            if result.task_id in self.flaky and attempt % 2 == 0:
                result.outcome = (Outcome.failed if result.outcome == Outcome.passed
                                  else Outcome.passed)
        return results


def scripted_ask(garbage_every: int = 0):
    """The controller's model: a JSON diagnosis, then level.txt raised by one."""
    calls = {"n": 0}

    def ask(messages: Messages) -> Reply:
        calls["n"] += 1
        cost = Cost(prompt_tokens=100, completion_tokens=20, dollars=0.01)
        if garbage_every and calls["n"] % garbage_every == 0:
            return Reply("I am not sure.", cost)
        text = "\n".join(m["content"] for m in messages)
        if messages[0]["content"].startswith("You improve a coding agent"):
            return Reply(json.dumps({
                "diagnosis": "The agent stops before the harder tasks.",
                "summary": "raise the level by one",
                "instruction": "Increase the number in level.txt by one.",
                "file": "level.txt",  # asked for with a small context window (text-only edits)
            }), cost)
        # The whole agent (direct edits) or the one file to change (text-only edits).
        level = int(re.search(r"(?:--- level\.txt|# File level\.txt\n```)\n(\d+)", text).group(1))
        return Reply(f"```file level.txt\n{level + 1}\n```\n", cost)

    return ask


def services(run: Path, ledger: Path, evaluator: LevelEvaluator | None = None,
             garbage_every: int = 0) -> Services:
    return Services(tasks=Tasks(), evaluator=evaluator or LevelEvaluator(run / "agents.git", ledger),
                    ask=scripted_ask(garbage_every))


def seed_tree(path: Path, level: int = 2) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "level.txt").write_text(f"{level}\n")
    (path / "agent.py").write_text("print('agent')\n")
    return path
