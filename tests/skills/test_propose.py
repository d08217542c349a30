"""Skill proposals: each action applied to a real library, bad edits refused whole, retries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from dgm.archive.result import Outcome, TaskResult
from dgm.controller.propose import ProposalError
from dgm.skills.config import SkillsConfig
from dgm.skills.library import load_library, parse_manifest, skill_files
from dgm.skills.propose import (
    Failure,
    SkillEdit,
    apply_skill_edit,
    edited_files,
    parse_skill_edit,
    propose_skill_edit,
)

FAILURE = Failure(statement="Fix the parser.", trajectory="$ ls\nparser.py", test_log="1 failed",
                  result=TaskResult(task_id="t3", node_id="p", outcome=Outcome.failed))


def edit(action: str, targets: list[str] | None = None, name: str = "", body: str = "Do it.",
         description: str = "a useful procedure") -> SkillEdit:
    return SkillEdit(action=action, targets=targets or [], name=name, description=description,
                     when="tests fail", body=body, summary=f"{action} a skill")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the seed agent's skills (run-the-tests, reproduce-first, with a manifest)."""
    shutil.copytree(SEED_DIR / "skills", tmp_path / "agent" / "skills")
    return tmp_path / "agent"


def manifest(tree: Path) -> list[str]:
    return parse_manifest((tree / "skills" / "manifest.toml").read_text())


def test_add_writes_a_numbered_file_and_lists_it_last(tree: Path) -> None:
    changed = apply_skill_edit(tree, edit("add", name="read-errors"), SkillsConfig())
    assert changed == ["skills/30-read-errors.md", "skills/manifest.toml"]
    assert manifest(tree)[-1] == "30-read-errors.md"
    library = load_library(tree, SkillsConfig())
    assert library.problems == [] and library.names()[-1] == "read-errors"
    assert library.skills[-1].meta.version == 1 and library.skills[-1].meta.when == "tests fail"


def test_revise_keeps_the_file_and_bumps_the_version(tree: Path) -> None:
    changed = apply_skill_edit(tree, edit("revise", ["reproduce-first"], body="New steps."),
                               SkillsConfig())
    assert changed == ["skills/20-reproduce-first.md"]  # the manifest is unchanged
    skill = load_library(tree, SkillsConfig()).skills[1]
    assert (skill.meta.name, skill.meta.version, skill.body) == ("reproduce-first", 2, "New steps.")


def test_merge_replaces_its_targets_with_one_skill(tree: Path) -> None:
    apply_skill_edit(tree, edit("merge", ["run-the-tests", "reproduce-first"], name="test-first"),
                     SkillsConfig())
    library = load_library(tree, SkillsConfig())
    assert library.names() == ["test-first"] and library.skills[0].meta.version == 2
    assert manifest(tree) == ["10-run-the-tests.md"]
    assert not (tree / "skills" / "20-reproduce-first.md").exists()


def test_delete_removes_the_file_and_its_manifest_entry(tree: Path) -> None:
    apply_skill_edit(tree, edit("delete", ["run-the-tests"]), SkillsConfig())
    assert manifest(tree) == ["20-reproduce-first.md"]
    assert load_library(tree, SkillsConfig()).names() == ["reproduce-first"]


@pytest.mark.parametrize(("bad", "error"), [
    (edit("revise", ["no-such-skill"]), "no skill named 'no-such-skill'"),
    (edit("add", name="run-the-tests"), "already exists"),
    (edit("merge", ["run-the-tests"], name="x"), "'merge' takes 2 target"),
    (edit("revise", ["run-the-tests", "reproduce-first"]), "'revise' takes 1 target"),
    (edit("add", name="Bad Name"), "front-matter name"),
    (edit("add", name="empty", body=" "), "needs a body"),
])
def test_bad_edits_are_refused_and_touch_nothing(tree: Path, bad: SkillEdit, error: str) -> None:
    before = skill_files(tree)
    with pytest.raises(ValueError, match=error):
        apply_skill_edit(tree, bad, SkillsConfig())
    assert skill_files(tree) == before


def test_the_size_bounds_hold_for_edits(tree: Path) -> None:
    with pytest.raises(ValueError, match="3 skills; at most 2 allowed"):
        edited_files(skill_files(tree), edit("add", name="third"), SkillsConfig(max_skills=2))
    with pytest.raises(ValueError, match="tokens of skills"):
        edited_files(skill_files(tree), edit("add", name="long", body="word " * 2000),
                     SkillsConfig())


def test_replies_in_prose_or_fences_parse() -> None:
    payload = json.dumps(edit("add", name="x").model_dump())
    assert parse_skill_edit(f"Sure:\n```json\n{payload}\n```").name == "x"
    with pytest.raises(ValueError, match="no valid JSON"):
        parse_skill_edit("I would add a skill.")


def test_propose_retries_with_the_problem_then_gives_up(tree: Path) -> None:
    asked: list[list[dict[str, str]]] = []
    replies = iter(["no idea", json.dumps(edit("revise", ["ghost"]).model_dump()),
                    json.dumps(edit("add", name="read-errors").model_dump())])

    def ask(messages: list[dict[str, str]]) -> str:
        asked.append(messages)
        return next(replies)

    found, paths = propose_skill_edit(ask, tree, FAILURE, None, SkillsConfig())
    assert found.name == "read-errors" and "skills/30-read-errors.md" in paths
    assert "run-the-tests" in asked[0][1]["content"] and "Fix the parser." in asked[0][1]["content"]
    assert "no skill named 'ghost'" in asked[2][-1]["content"]
    with pytest.raises(ProposalError, match="no usable skill edit after 3 replies"):
        propose_skill_edit(lambda m: "nothing", tree, FAILURE, None, SkillsConfig())
