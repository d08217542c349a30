"""Scripted agents whose skills change what they solve (tests only).

Built on tests/controller/fakes.py: an agent is a tree with level.txt (training tasks t<i> pass
iff i < level) and a skills/ library. On the held-out split h0..h19 the agent passes h<i> iff
i < 10, except that a skill body line "fixes: h12 h13" makes it pass those tasks and
"breaks: h2" makes it fail them. The scripted model diagnoses any failure the same way and
answers a skill-edit request with a given edit, a file-edit request with given files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from dgm.archive.gitstore import GitStore
from dgm.archive.node import Cost, Node
from dgm.archive.result import Outcome, TaskResult
from dgm.config import RunConfig
from dgm.controller.services import Messages, Reply, Services
from dgm.skills.library import is_skill_path, parse_skill, render_manifest
from tests.controller.fakes import TRAIN, LevelEvaluator

HELDOUT = [f"h{i}" for i in range(20)]
BASE_PASSES = 10  # h0..h9 pass without help

BASE_SKILL = "---\nname: base-skill\ndescription: read the task twice\n---\nRead it twice.\n"


class Tasks:
    def task_ids(self, split: str) -> list[str]:
        return {"train": TRAIN, "heldout": HELDOUT}.get(split, [])

    def statement(self, task_id: str) -> str:
        return f"Solve {task_id}."


class SkillEvaluator(LevelEvaluator):
    """Training tasks by level.txt; held-out tasks by the base rule and the skills' effects."""

    def effects(self, node: Node) -> tuple[set[str], set[str]]:
        store = GitStore(self.git_dir)
        fixes: set[str] = set()
        breaks: set[str] = set()
        for path in store.files(node.commit):
            if not is_skill_path(path):
                continue
            for line in parse_skill(path, store.read_file(node.commit, path)).body.splitlines():
                key, _, tasks = line.partition(":")
                {"fixes": fixes, "breaks": breaks}.get(key.strip(), set()).update(tasks.split())
        return fixes, breaks

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int) -> list[TaskResult]:
        results = super().evaluate(node, task_ids, attempt)
        fixes, breaks = self.effects(node)
        for result in results:
            if result.split != "heldout":
                continue
            passed = int(result.task_id[1:]) < BASE_PASSES
            passed = (passed or result.task_id in fixes) and result.task_id not in breaks
            result.outcome = Outcome.passed if passed else Outcome.failed
        return results


DIAGNOSIS = json.dumps({"diagnosis": "The agent stops before the harder tasks.",
                        "summary": "raise the level by one",
                        "instruction": "Increase the number in level.txt by one."})


def scripted_ask(edit: dict | None = None, files: dict[str, str] | None = None):
    """Diagnosis, then the given skill edit (JSON) or the given files (```file blocks)."""

    def ask(messages: Messages) -> Reply:
        cost = Cost(prompt_tokens=100, completion_tokens=20, dollars=0.01)
        system = messages[0]["content"]
        if system.startswith("You improve a coding agent"):
            return Reply(DIAGNOSIS, cost)
        if system.startswith("You maintain the skill library"):
            return Reply(json.dumps(edit), cost)
        blocks = "".join(f"```file {p}\n{text}```\n" for p, text in (files or {}).items())
        return Reply(blocks, cost)

    return ask


def services(run: Path, ledger: Path, **script: object) -> Services:
    return Services(tasks=Tasks(), evaluator=SkillEvaluator(run / "agents.git", ledger),
                    ask=scripted_ask(**script))  # type: ignore[arg-type]


def seed_tree(path: Path, level: int = 2) -> Path:
    (path / "skills").mkdir(parents=True, exist_ok=True)
    (path / "level.txt").write_text(f"{level}\n")
    (path / "agent.py").write_text("print('agent')\n")
    (path / "skills" / "10-base-skill.md").write_text(BASE_SKILL)
    (path / "skills" / "manifest.toml").write_text(render_manifest(["10-base-skill.md"]))
    return path


def make_config(budget: int = 1, enabled: bool = True) -> RunConfig:
    config = RunConfig()
    config.selection.strategy = "greedy"
    config.selection.parents_per_generation = 1
    config.benchmark.tiers = [3, 6]
    config.budget.max_dollars = 100.0
    config.controller.flaky_reruns = 0
    config.controller.report_heldout = False
    config.skills.enabled = enabled
    # An API model's name: direct edits may then change several files at once (the embedded
    # model's small window only allows one text file per edit).
    config.llm.model = "openai/scripted"
    config.skills.proposal_share = 1.0
    config.skills.regression_budget = budget
    return config


def add_skill(name: str, body: str) -> dict:
    """A skill edit adding one skill."""
    return {"action": "add", "targets": [], "name": name, "description": f"the {name} skill",
            "when": "always", "body": body, "summary": f"add {name}"}
