"""The builtin suite: small Python repositories with issues, hidden tests and reference patches.

Layout of the data folder (benchmarks/builtin/ in a clone):

    manifest.toml                    name, tiers, and one [[task]] entry per task (id, split, ...)
    tasks/<repo>/<task>/issue.md     what the agent is told
    tasks/<repo>/<task>/repo/        the repository as the agent starts with it
    tasks/<repo>/<task>/hidden/      tests laid over the repository only for grading
    tasks/<repo>/<task>/gold.patch   the reference solution (used by `dgm bench validate`)
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import REPO_DIR, TEST_LOG, Task
from dgm.errors import DgmError
from dgm.sandbox.base import Sandbox, host_path

DEFAULT_TEST_COMMAND = ["python3", "-m", "unittest", "discover", "-s", "tests", "-t", "."]
DEFAULT_PROTECTED = ["tests/*", "tests/**"]


class BenchmarkDataError(DgmError):
    """Benchmark data is missing or malformed; the message names the file."""


class TaskEntry(BaseModel):
    """One [[task]] of the manifest."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_-]+/[a-z0-9_-]+$")
    split: str
    difficulty: str = "medium"
    test_command: list[str] = Field(default_factory=lambda: list(DEFAULT_TEST_COMMAND))
    protected: list[str] = Field(default_factory=lambda: list(DEFAULT_PROTECTED))
    timeout_s: float = 120.0


class Manifest(BaseModel):
    """manifest.toml of a data folder."""

    model_config = ConfigDict(extra="forbid")

    name: str = "builtin"
    tiers: list[int] = Field(default_factory=lambda: [5, 20])
    task: list[TaskEntry]


def default_data_dir() -> Path:
    """benchmarks/builtin of the clone dgm is installed from."""
    return Path(__file__).resolve().parents[2] / "benchmarks" / "builtin"


def load_manifest(data: Path) -> Manifest:
    """Read and validate manifest.toml; errors name the file and the key."""
    path = data / "manifest.toml"
    if not path.is_file():
        raise BenchmarkDataError(f"{path}: builtin benchmark manifest not found (install dgm from a "
                                 "clone with `pip install -e .`, or set benchmark.data)")
    try:
        raw = tomllib.loads(path.read_text())
        return Manifest.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise BenchmarkDataError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BenchmarkDataError(f"{path}: {where}: {first['msg']}") from None


UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.M)
UNITTEST_FAILED = re.compile(r"^FAILED \((.*)\)$", re.M)


def parse_unittest(output: str) -> tuple[int, int]:
    """(passed, failed) from unittest's summary; errors and failures both count as failed."""
    ran = UNITTEST_RAN.findall(output)
    if not ran:
        return 0, 0
    total = int(ran[-1])
    failed = 0
    summary = UNITTEST_FAILED.findall(output)
    if summary:
        for part in summary[-1].split(","):
            key, _, value = part.strip().partition("=")
            if key in {"failures", "errors", "unexpected successes"} and value.isdigit():
                failed += int(value)
    return total - failed, failed


class BuiltinBenchmark:
    """The builtin suite, read from a data folder."""

    def __init__(self, data: Path | None = None) -> None:
        self.data = Path(data) if data is not None else default_data_dir()
        self.manifest = load_manifest(self.data)
        self.name = self.manifest.name
        self._tasks = [self._task(entry) for entry in self.manifest.task]

    def _task(self, entry: TaskEntry) -> Task:
        folder = self.data / "tasks" / entry.id
        issue = folder / "issue.md"
        for needed in (issue, folder / "repo"):
            if not needed.exists():
                raise BenchmarkDataError(f"{needed}: missing for task {entry.id}")
        hidden = folder / "hidden"
        return Task(id=entry.id, benchmark=self.name, split=entry.split, statement=issue.read_text(),
                    payload=folder / "repo", hidden=hidden if hidden.is_dir() else None,
                    test_command=entry.test_command, protected=entry.protected,
                    timeout_s=entry.timeout_s, difficulty=entry.difficulty)

    def tasks(self, split: str | None = None) -> list[Task]:
        """Tasks of a split, or all."""
        return [t for t in self._tasks if split is None or t.split == split]

    def task(self, task_id: str) -> Task:
        """One task by id."""
        for task in self._tasks:
            if task.id == task_id:
                return task
        raise BenchmarkDataError(f"no task {task_id!r} in {self.data}")

    def gold_patch(self, task: Task) -> str:
        """The reference solution of a task."""
        return (task.payload.parent / "gold.patch").read_text()

    def prepare(self, task: Task, sandbox: Sandbox) -> None:
        """Copy the starting repository to /work/repo (hidden tests stay out)."""
        target = host_path(sandbox.spec, REPO_DIR)
        if target.exists():
            shutil.rmtree(target)
        sandbox.put(task.payload, REPO_DIR)

    def grade(self, task: Task, sandbox: Sandbox) -> TaskResult:
        """Restore protected files, lay the hidden tests over, run them, count passes."""
        repo = host_path(sandbox.spec, REPO_DIR)
        for pattern in task.protected:
            for original in task.payload.glob(pattern):
                if original.is_file():
                    rel = original.relative_to(task.payload)
                    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(original, repo / rel)
        if task.hidden is not None:
            sandbox.put(task.hidden, REPO_DIR)
        ran = sandbox.run(task.test_command, timeout=task.timeout_s, cwd=REPO_DIR)
        output = ran.stdout + ran.stderr
        note = f"\n[tests killed after {task.timeout_s:.0f} s]" if ran.timed_out else ""
        host_path(sandbox.spec, TEST_LOG).write_text(
            f"$ {' '.join(task.test_command)}\nexit code {ran.returncode}{note}\n{output}")
        passed, failed = parse_unittest(output)
        ok = ran.returncode == 0 and passed > 0 and failed == 0 and not ran.timed_out
        return TaskResult(task_id=task.id, node_id="", outcome=Outcome.passed if ok else Outcome.failed,
                          benchmark=task.benchmark, split=task.split, tests_passed=passed,
                          tests_failed=failed if failed or ok else max(failed, 1))
