"""Build builtin task folders from repository definitions, and check each one locally.

A repository definition (one module in repos/) holds the starting source of a small package, its
visible tests, and a list of tasks. A task is an issue text, the edits that make up the reference
solution, and hidden tests. From these the generator writes, per task:

    tasks/<repo>/<task>/issue.md, repo/, hidden/tests/test_<task>.py, gold.patch

The gold patch is computed from the edits, so it always applies to the repo/ it ships with.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

TEST_COMMAND = [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t", "."]


def src(text: str) -> str:
    """Dedent a source text written inside the generator and end it with one newline."""
    return textwrap.dedent(text).strip("\n") + "\n"


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of `old` in `path` by `new`; old=None creates the file."""

    path: str
    old: str | None
    new: str


@dataclass(frozen=True)
class TaskSpec:
    """One task of a repository."""

    slug: str
    split: str
    difficulty: str
    issue: str
    gold: list[Edit]
    hidden: str  # the hidden test module (unittest)


@dataclass
class RepoSpec:
    """A small package at its starting state, with its visible tests and its tasks."""

    name: str
    files: dict[str, str]
    tasks: list[TaskSpec] = field(default_factory=list)


def _margin(text: str) -> int:
    """The smallest indentation of the non-blank lines."""
    return min(len(line) - len(line.lstrip(" ")) for line in text.splitlines() if line.strip())


def _shift(text: str, by: int) -> str:
    """Move every non-blank line by `by` columns; no newline at the end (so it matches in a line)."""
    lines = []
    raw = text.splitlines()
    while raw and not raw[0].strip():
        raw.pop(0)
    while raw and not raw[-1].strip():
        raw.pop()
    for line in raw:
        if line.strip():
            width = len(line) - len(line.lstrip(" ")) + by
            if width < 0:
                raise ValueError(f"edit text indented left of its old text: {line!r}")
            line = " " * width + line.lstrip(" ")
        lines.append(line)
    return "\n".join(lines)


def _replace(text: str, old: str, new: str, where: str) -> str:
    """Replace the one occurrence of old, at the deepest indentation where it occurs once.

    Edits are written at any indentation; the new text keeps its indentation relative to the
    old text's (so it may add a method after the one it edits)."""
    margin = _margin(old)
    # A one-line old text written inline says nothing about the new text's indentation.
    new_margin = margin if "\n" in old or "\n" not in new.strip() else _margin(new)
    for width in range(32, -1, -4):
        candidate = _shift(old, width - margin)
        if text.count(candidate) == 1:
            return text.replace(candidate, _shift(new, width - new_margin))
    raise ValueError(f"{where}: edit matches no single place:\n{textwrap.dedent(old)}")


def solved(repo: RepoSpec, task: TaskSpec) -> dict[str, str]:
    """The repository's files after the task's reference edits."""
    files = dict(repo.files)
    for edit in task.gold:
        where = f"{repo.name}/{task.slug}: {edit.path}"
        if edit.old is None:
            if edit.path in files:
                raise ValueError(f"{where} already exists")
            files[edit.path] = src(edit.new)
            continue
        if edit.path not in files:
            raise ValueError(f"{where}: no such file")
        files[edit.path] = _replace(files[edit.path], edit.old, edit.new, where)
    return files


def unified_patch(before: dict[str, str], after: dict[str, str]) -> str:
    """A git-style patch (a/ b/ prefixes) turning `before` into `after`."""
    out: list[str] = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        out.append(f"diff --git a/{path} b/{path}\n")
        if old is None:
            out.append("new file mode 100644\n")
        lines = difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            "/dev/null" if old is None else f"a/{path}", f"b/{path}", n=3)
        out.extend(lines)
    return "".join(out)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write a {relative path: text} mapping under root."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def hidden_name(task: TaskSpec) -> str:
    """tests/test_<slug>.py, the hidden test module's path inside the repository."""
    return f"tests/test_{task.slug.replace('-', '_')}.py"


def write_task(out: Path, repo: RepoSpec, task: TaskSpec) -> Path:
    """Write one task folder under out/tasks/ and return it."""
    folder = out / "tasks" / repo.name / task.slug
    if folder.exists():
        shutil.rmtree(folder)
    write_tree(folder / "repo", repo.files)
    write_tree(folder / "hidden", {hidden_name(task): src(task.hidden)})
    (folder / "issue.md").write_text(src(task.issue))
    (folder / "gold.patch").write_text(unified_patch(repo.files, solved(repo, task)))
    return folder


def _tests_pass(root: Path) -> tuple[bool, str]:
    ran = subprocess.run(TEST_COMMAND, cwd=root, capture_output=True, text=True, timeout=60)
    return ran.returncode == 0 and "Ran 0 tests" not in ran.stderr, ran.stderr


def check_task(folder: Path) -> list[str]:
    """Problems of a written task: visible tests, noop must fail, gold must pass (host Python)."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="taskgen-") as tmp:
        base = Path(tmp) / "base"
        shutil.copytree(folder / "repo", base)
        ok, log = _tests_pass(base)
        if not ok:
            problems.append(f"visible tests fail on the starting repo:\n{log[-1500:]}")
        shutil.copytree(folder / "hidden", base, dirs_exist_ok=True)
        ok, log = _tests_pass(base)
        if ok:
            problems.append("hidden tests pass without the gold patch")
        gold = Path(tmp) / "gold"
        shutil.copytree(folder / "repo", gold)
        applied = subprocess.run(["git", "apply", "-"], cwd=gold, input=(folder / "gold.patch")
                                 .read_text(), capture_output=True, text=True)
        if applied.returncode != 0:
            problems.append(f"gold.patch does not apply: {applied.stderr}")
            return problems
        shutil.copytree(folder / "hidden", gold, dirs_exist_ok=True)
        ok, log = _tests_pass(gold)
        if not ok:
            problems.append(f"hidden tests fail with the gold patch:\n{log[-2500:]}")
    return problems
