"""Skill proposals: from a failed trajectory, the controller's model edits the skill library.

One edit per proposal: add a skill, revise one, merge overlapping ones into one, or delete one
that misleads. The model answers in a JSON object; the edit is applied in memory, the resulting
library is checked (front-matter, names, manifest, size bounds) and only then written into the
checkout, so a bad reply never leaves a half-edited tree. A reply that cannot be applied is
retried with what was wrong, then reported as a failed proposal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from dgm.archive.node import Proposal
from dgm.archive.result import TaskResult
from dgm.controller.diagnose import MAX_LOG_CHARS, Ask, Diagnosis, clip
from dgm.controller.propose import ProposalError
from dgm.skills.config import SkillsConfig
from dgm.skills.library import (
    MANIFEST_PATH,
    SKILLS_DIR,
    Library,
    library_from_files,
    load_order,
    parse_skill,
    render_manifest,
    skill_files,
)


class SkillEdit(BaseModel):
    """What the model must return, validated."""

    action: Literal["add", "revise", "merge", "delete"]
    targets: list[str] = Field(default_factory=list, description="Existing skills edited.")
    name: str = ""
    description: str = ""
    when: str = ""
    body: str = ""
    summary: str = Field(min_length=3, max_length=200)

    def to_proposal(self, base: Proposal, paths: list[str]) -> Proposal:
        """The Proposal stored on the child: the diagnosis it came from, and this edit."""
        return base.model_copy(update={
            "summary": f"skill {self.action}: {self.summary.strip()}", "mode": "skill",
            "instruction": json.dumps(self.model_dump(), indent=1),
            "extra": {**base.extra, "skill_edit": {"action": self.action, "targets": self.targets,
                                                  "name": self.name, "paths": paths}},
        })


@dataclass(frozen=True)
class Failure:
    """The failed attempt a skill edit is proposed from."""

    statement: str
    result: TaskResult
    trajectory: str
    test_log: str


SYSTEM = (
    "You maintain the skill library of a coding agent: short procedures, each loaded into the "
    "agent's system prompt. You are shown the library, a task the agent failed, what it did and "
    "the test output. Propose ONE edit to the library that would help on this and similar tasks: "
    "\"add\" a new skill, \"revise\" one skill, \"merge\" two or more overlapping skills into one, "
    "or \"delete\" a skill that misleads. Skills must be general procedures, never the answer to "
    "this one task. Reply with a JSON object and nothing else, with keys: \"action\"; "
    "\"targets\" (names of the existing skills revised, merged or deleted; [] for add); "
    "\"name\" (lowercase-with-dashes; for add, revise, merge); \"description\" (one line); "
    "\"when\" (one line: when the skill applies); \"body\" (the procedure, a few lines); "
    "\"summary\" (one line naming the edit)."
)


def library_text(library: Library) -> str:
    """The library as the model sees it."""
    if not library.skills:
        return "(no skills yet)"
    return "\n\n".join(
        f"## {s.meta.name} (version {s.meta.version})\n{s.meta.description}\nWhen: "
        f"{s.meta.when or '-'}\n{s.body}" for s in library.skills)


def skill_edit_messages(library: Library, failure: Failure, diagnosis: Diagnosis | None,
                        config: SkillsConfig) -> list[dict[str, str]]:
    """The conversation that asks for one skill edit."""
    result = failure.result
    outcome = "gave an empty patch" if not result.patch.strip() else "produced a wrong patch"
    why = f"\n\n# A reviewer's diagnosis\n{diagnosis.diagnosis}" if diagnosis else ""
    user = (
        f"# Skill library ({len(library.skills)} of at most {config.max_skills} skills, about "
        f"{library.tokens} of at most {config.max_prompt_tokens} tokens)\n{library_text(library)}"
        f"\n\n# Task {result.task_id}\n{clip(failure.statement, 6000)}\n\n# What happened\nThe "
        f"agent {outcome}.\n\n## Trajectory\n{clip(failure.trajectory, MAX_LOG_CHARS)}\n\n"
        f"## Test output\n{clip(failure.test_log, MAX_LOG_CHARS)}{why}\n\nReply with the JSON object."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_skill_edit(reply: str) -> SkillEdit:
    """The SkillEdit in a reply: the JSON object, possibly inside a code fence or prose."""
    candidates = re.findall(r"```(?:json)?\s*(\{.*?\})\s*```", reply, re.S)
    start, end = reply.find("{"), reply.rfind("}")
    if start >= 0 and end > start:
        candidates.append(reply[start : end + 1])
    problems = []
    for text in candidates:
        try:
            return SkillEdit.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(str(exc).splitlines()[0])
    raise ValueError("no valid JSON object with action, targets, name, description, when, body "
                     "and summary" + (f" ({problems[0]})" if problems else ""))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def skill_text(name: str, description: str, when: str, version: int, body: str) -> str:
    """A skill file: front-matter, then the body."""
    when_line = f"when: {_one_line(when)}\n" if when.strip() else ""
    return (f"---\nname: {_one_line(name)}\ndescription: {_one_line(description)}\n"
            f"version: {version}\n{when_line}---\n{body.strip()}\n")


def _file_name(order: list[str], name: str) -> str:
    """skills/NN-name.md, numbered after the last skill so name order matches load order."""
    numbers = [int(m.group(1)) for p in order if (m := re.match(r"(\d+)-", Path(p).name))]
    return f"{SKILLS_DIR}/{(max(numbers, default=0) // 10 + 1) * 10:02d}-{name}.md"


def edited_files(files: dict[str, str], edit: SkillEdit, config: SkillsConfig) -> dict[str, str]:
    """The skill files after the edit (path -> text); ValueError says why it cannot apply."""
    order = load_order(files, [])
    by_name: dict[str, tuple[str, int]] = {}
    for path in order:
        try:
            skill = parse_skill(path, files[path])
        except ValueError:
            continue  # unreadable skills cannot be targeted; the check below reports them
        by_name[skill.meta.name] = (path, skill.meta.version)
    missing = [t for t in edit.targets if t not in by_name]
    if missing:
        raise ValueError(f"no skill named {missing[0]!r}; existing: {', '.join(by_name) or 'none'}")
    wanted = {"add": (0, 0), "revise": (1, 1), "merge": (2, None), "delete": (1, None)}
    low, high = wanted[edit.action]
    if len(edit.targets) < low or (high is not None and len(edit.targets) > high):
        raise ValueError(f"{edit.action!r} takes {'no' if high == 0 else low} target(s)"
                         + ("" if high == low else " or more") + f", got {edit.targets}")
    new = dict(files)
    targets = [by_name[t][0] for t in edit.targets]
    for path in targets[1:] if edit.action != "delete" else targets:
        new.pop(path)
        order.remove(path)
    if edit.action != "delete":
        name = edit.name or (edit.targets[0] if edit.action == "revise" else "")
        clash = by_name.get(name)
        if clash and clash[0] not in targets:
            raise ValueError(f"a skill named {name!r} already exists ({clash[0]})")
        if not edit.body.strip():
            raise ValueError(f"{edit.action!r} needs a body (the procedure)")
        version = max((by_name[t][1] for t in edit.targets), default=0) + 1
        path = targets[0] if targets else _file_name(order, name or "skill")
        if path not in order:
            order.append(path)
        new[path] = skill_text(name, edit.description, edit.when, version, edit.body)
    new[MANIFEST_PATH] = render_manifest([Path(p).name for p in order])
    library = library_from_files(new, config)
    if library.problems:
        raise ValueError("the edited library is not valid: " + "; ".join(library.problems))
    return new


def apply_skill_edit(tree: Path, edit: SkillEdit, config: SkillsConfig) -> list[str]:
    """Apply an edit to the skills of a checked-out agent; return the changed paths."""
    old = skill_files(tree)
    new = edited_files(old, edit, config)
    changed = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    for path in changed:
        target = tree / path
        if path in new:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(new[path])
        else:
            target.unlink()
    return changed


def propose_skill_edit(ask: Ask, tree: Path, failure: Failure, diagnosis: Diagnosis | None,
                       config: SkillsConfig, attempts: int = 3) -> tuple[SkillEdit, list[str]]:
    """Ask for a skill edit until one applies; return it and the paths it changed."""
    library = library_from_files(skill_files(tree), config)
    messages = skill_edit_messages(library, failure, diagnosis, config)
    conversation, problem = list(messages), ""
    for _ in range(attempts):
        reply = ask(conversation)
        try:
            edit = parse_skill_edit(reply)
            changed = apply_skill_edit(tree, edit, config)
            if changed:
                return edit, changed
            problem = "the edit changes nothing"
        except ValueError as exc:
            problem = str(exc)
        conversation = [*messages, {"role": "assistant", "content": reply},
                        {"role": "user", "content": f"That edit cannot be applied: {problem}. "
                         "Reply with only the corrected JSON object."}]
    raise ProposalError(f"no usable skill edit after {attempts} replies: {problem}")
