"""Aider's polyglot benchmark: exercism exercises in C++, Go, Java, JavaScript, Python and Rust.

Layout of a data folder (a clone of github.com/Aider-AI/polyglot-benchmark, or the fixtures):

    <language>/exercises/practice/<exercise>/.docs/instructions*.md    what the agent is told
    <language>/exercises/practice/<exercise>/.meta/config.json          files.solution/test/example
    <language>/exercises/practice/<exercise>/...                        stub, tests, build files

The agent gets the exercise without .meta and .docs; the tests (un-skipped, see polyglot_langs)
and build files are laid over again before grading, so editing them changes nothing. The
reference solution (files.example) is the gold patch. Two tries: after a failed first try the
agent sees the test output and tries once more (pass@2, as Aider's benchmark does).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import REPO_DIR, TEST_LOG, Task
from dgm.bench.builtin import BenchmarkDataError
from dgm.bench.polyglot_langs import LANGUAGES, Language
from dgm.bench.polyglot_tools import Toolchain, default_runners_dir, detect
from dgm.sandbox.base import Sandbox, host_path

TEST_SCRIPT = "/work/run_tests.sh"  # outside the repository: never part of the agent's diff
REPOSITORY_URL = "https://github.com/Aider-AI/polyglot-benchmark"
HIDDEN = (".meta", ".docs")


class Manifest(BaseModel):
    """benchmarks/polyglot/manifest.toml: tiers, and how exercises are split."""

    model_config = ConfigDict(extra="forbid")

    name: str = "polyglot"
    tiers: list[int] = Field(default_factory=lambda: [10, 50])
    heldout_percent: int = Field(20, ge=0, le=100, description="Share of exercises held out.")
    tries: int = Field(2, ge=1, le=5, description="Tries per task (pass@k).")


class Exercise(BaseModel):
    """One exercise folder and its .meta/config.json."""

    model_config = ConfigDict(frozen=True)

    language: str
    name: str
    folder: Path
    solution: list[str]
    test: list[str]
    example: list[str]

    @property
    def id(self) -> str:
        """Task id: language/exercise."""
        return f"{self.language}/{self.name}"


def default_data_dir() -> Path:
    """Where `dgm bench fetch polyglot` clones to by default."""
    return default_runners_dir().parent / "polyglot-benchmark"


def load_manifest() -> Manifest:
    """benchmarks/polyglot/manifest.toml of the clone dgm runs from, or the defaults."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "polyglot" / "manifest.toml"
    if not path.is_file():
        return Manifest()
    try:
        return Manifest.model_validate(tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise BenchmarkDataError(f"{path}: invalid polyglot manifest: {exc}") from None


def read_exercise(language: str, folder: Path) -> Exercise:
    """An exercise's config, checked against the files it names; errors name the exercise."""
    where = f"{language}/{folder.name}"
    config = folder / ".meta" / "config.json"
    if not config.is_file():
        raise BenchmarkDataError(f"polyglot exercise {where}: {config} is missing (expected the "
                                 "exercism layout with .meta/config.json)")
    try:
        files = json.loads(config.read_text())["files"]
        named = {key: list(files[key]) for key in ("solution", "test", "example")}
    except (ValueError, KeyError, TypeError) as exc:
        raise BenchmarkDataError(f"polyglot exercise {where}: {config}: needs files.solution, "
                                 f"files.test and files.example ({type(exc).__name__}: {exc})"
                                 ) from None
    for key, paths in named.items():
        if not paths or not all(isinstance(p, str) for p in paths):
            raise BenchmarkDataError(f"polyglot exercise {where}: {config}: files.{key} must be "
                                     "a non-empty list of paths")
        for rel in paths:
            if not (folder / rel).is_file() or ".." in Path(rel).parts:
                raise BenchmarkDataError(f"polyglot exercise {where}: files.{key} names {rel}, "
                                         "which is not a file of the exercise")
    if not sorted(folder.glob(".docs/instructions*.md")):
        raise BenchmarkDataError(f"polyglot exercise {where}: no .docs/instructions*.md")
    return Exercise(language=language, name=folder.name, folder=folder, **named)


def solution_target(exercise: Exercise, example: str) -> str:
    """The solution file a reference file replaces: same name, else the only one of its suffix."""
    base = Path(example).name
    same = [s for s in exercise.solution if Path(s).name == base]
    if not same:
        same = [s for s in exercise.solution if Path(s).suffix == Path(example).suffix]
    if len(same) != 1:
        raise BenchmarkDataError(f"polyglot exercise {exercise.id}: cannot tell which solution "
                                 f"file {example} is the reference for ({exercise.solution})")
    return same[0]


def statement(exercise: Exercise) -> str:
    """What the agent reads: the exercise's instructions and the rules of the harness."""
    docs = exercise.folder / ".docs"
    parts = [p.read_text().strip() for name in ("introduction.md", "instructions.md",
                                               "instructions.append.md")
             if (p := docs / name).is_file()]
    solution = ", ".join(exercise.solution)
    tests = ", ".join(exercise.test)
    return (f"# {exercise.name} ({exercise.language})\n\n" + "\n\n".join(parts) + "\n\n"
            f"## What to do\n\nImplement the exercise by editing {solution}. The tests ({tests}) "
            "are fixed: they and the build files are put back as given before grading, so "
            "changing them has no effect. Keep the names of existing functions, classes and "
            "modules, since the tests use them, and use only the language's standard library.\n\n"
            f"Run the tests from the repository root with: sh {TEST_SCRIPT}\n")


class PolyglotBenchmark:
    """The polyglot exercises of a data folder whose toolchain a sandbox can run."""

    def __init__(self, data: Path | None = None, runners: Path | None = None) -> None:
        self.data = Path(data) if data is not None else default_data_dir()
        if not self.data.is_dir():
            raise BenchmarkDataError(
                f"{self.data}: polyglot data not found; fetch it with `dgm bench fetch polyglot` "
                f"(clones {REPOSITORY_URL}) or point --data / benchmark.data at a local copy")
        self.manifest = load_manifest()
        self.name = self.manifest.name
        self.runners = runners
        self.toolchains: dict[str, Toolchain] = {}
        self.skipped: dict[str, str] = {}  # language -> why its exercises are left out
        self.exercises: dict[str, Exercise] = {}
        for language in LANGUAGES:
            practice = self.data / language / "exercises" / "practice"
            if not practice.is_dir():
                continue
            for folder in sorted(p for p in practice.iterdir() if p.is_dir()):
                exercise = read_exercise(language, folder)
                self.exercises[exercise.id] = exercise
            self.toolchains[language] = detect(language, runners)
            if not self.toolchains[language].present:
                self.skipped[language] = self.toolchains[language].detail
        if not self.exercises:
            raise BenchmarkDataError(
                f"{self.data}: no exercises found (expected <language>/exercises/practice/<name>/ "
                f"for a language among {', '.join(LANGUAGES)})")
        self._tasks = [self._task(e) for e in self.exercises.values()
                       if e.language not in self.skipped]

    def _split(self, task_id: str) -> str:
        # A stable hash, so a task's split never depends on which other exercises are present.
        bucket = int(hashlib.sha256(task_id.encode()).hexdigest(), 16) % 100
        return "heldout" if bucket < self.manifest.heldout_percent else "train"

    def _task(self, exercise: Exercise) -> Task:
        language = LANGUAGES[exercise.language]
        return Task(id=exercise.id, benchmark=self.name, split=self._split(exercise.id),
                    language=exercise.language, statement=statement(exercise),
                    payload=exercise.folder, test_command=["sh", "-c", self._script(exercise)],
                    protected=self._protected(exercise, language), timeout_s=language.timeout_s,
                    tries=self.manifest.tries)

    def _script(self, exercise: Exercise) -> str:
        toolchain = self.toolchains[exercise.language]
        return LANGUAGES[exercise.language].script(exercise.test, exercise.name,
                                                   toolchain.rust_bin)

    @staticmethod
    def _protected(exercise: Exercise, language: Language) -> list[str]:
        build = [b for b in language.build_files if b not in exercise.solution]
        return [*exercise.test, *build]

    # ----------------------------------------------------------------- Benchmark

    def tasks(self, split: str | None = None) -> list[Task]:
        """Tasks of a split, or all (languages without a toolchain are left out: see skipped)."""
        return [t for t in self._tasks if split is None or t.split == split]

    def task(self, task_id: str) -> Task:
        """One task by id."""
        for task in self._tasks:
            if task.id == task_id:
                return task
        raise BenchmarkDataError(f"no polyglot task {task_id!r} in {self.data}")

    def mounts(self, task: Task) -> dict[str, Path]:
        """Host folders the task's toolchain needs in a sandbox, read-only."""
        return dict(self.toolchains[task.language].mounts)

    def _layout(self, task: Task, target: Path) -> None:
        """The exercise as the agent starts it: no .meta or .docs, every test un-skipped."""
        exercise = self.exercises[task.id]
        shutil.copytree(exercise.folder, target, symlinks=True,
                        ignore=lambda d, names: [n for n in names if Path(d) == exercise.folder
                                                 and n in HIDDEN])
        self._restore(task, target)

    def _restore(self, task: Task, repo: Path) -> None:
        """Lay the tests (un-skipped) and the protected build files over a repository."""
        exercise = self.exercises[task.id]
        unskip = LANGUAGES[task.language].unskip
        for pattern in task.protected:
            for original in exercise.folder.glob(pattern):
                if not original.is_file():
                    continue
                rel = original.relative_to(exercise.folder)
                (repo / rel).parent.mkdir(parents=True, exist_ok=True)
                if str(rel) in exercise.test:
                    (repo / rel).write_text(unskip(original.read_text()))
                else:
                    shutil.copy2(original, repo / rel)

    def prepare(self, task: Task, sandbox: Sandbox) -> None:
        """Lay the exercise out at /work/repo and the test script at /work/run_tests.sh."""
        target = host_path(sandbox.spec, REPO_DIR)
        if target.exists():
            shutil.rmtree(target)
        with tempfile.TemporaryDirectory(prefix="dgm-polyglot-") as tmp:
            self._layout(task, Path(tmp) / "repo")
            sandbox.put(Path(tmp) / "repo", REPO_DIR)
            script = Path(tmp) / "run_tests.sh"
            script.write_text(f"cd {REPO_DIR}\n{task.test_command[-1]}\n")
            sandbox.put(script, TEST_SCRIPT)

    def grade(self, task: Task, sandbox: Sandbox) -> TaskResult:
        """Put the tests and build files back, run the language's tests, count passes."""
        exercise, repo = self.exercises[task.id], host_path(sandbox.spec, REPO_DIR)
        for pattern in LANGUAGES[task.language].foreign:
            for path in repo.glob(pattern):
                if path.is_file() and not (exercise.folder / path.relative_to(repo)).exists():
                    path.unlink()
        with tempfile.TemporaryDirectory(prefix="dgm-polyglot-") as tmp:
            fresh = Path(tmp) / "repo"
            fresh.mkdir()
            self._restore(task, fresh)
            sandbox.put(fresh, REPO_DIR)
        ran = sandbox.run(task.test_command, timeout=task.timeout_s, cwd=REPO_DIR)
        output = ran.stdout + ran.stderr
        note = f"\n[tests killed after {task.timeout_s:.0f} s]" if ran.timed_out else ""
        host_path(sandbox.spec, TEST_LOG).write_text(
            f"$ sh {TEST_SCRIPT}\nexit code {ran.returncode}{note}\n{output}")
        passed, failed = LANGUAGES[task.language].parse(output)
        ok = ran.returncode == 0 and passed > 0 and failed == 0 and not ran.timed_out
        return TaskResult(task_id=task.id, node_id="", outcome=Outcome.passed if ok else Outcome.failed,
                          benchmark=task.benchmark, split=task.split, tests_passed=passed,
                          tests_failed=failed if failed or ok else 1,
                          durations={"tests": ran.seconds})

    def gold_patch(self, task: Task) -> str:
        """The reference solution as a diff against the stub."""
        from dgm.agent_runner import changes, snapshot

        exercise = self.exercises[task.id]
        with tempfile.TemporaryDirectory(prefix="dgm-polyglot-gold-") as tmp:
            repo = Path(tmp) / "repo"
            self._layout(task, repo)
            snapshot(repo, Path(tmp) / "git")
            for example in exercise.example:
                target = repo / solution_target(exercise, example)
                shutil.copy2(exercise.folder / example, target)
            return changes(repo, Path(tmp) / "git")


def fetch(dest: Path | None = None) -> Path:
    """Clone the public polyglot benchmark; a clear error when it cannot be reached."""
    target = Path(dest) if dest is not None else default_data_dir()
    if target.exists() and any(target.iterdir()):
        raise BenchmarkDataError(f"{target}: already exists and is not empty; use it with "
                                 f"--data {target}, or pick another --dest")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        ran = subprocess.run(["git", "clone", "--depth", "1", REPOSITORY_URL, str(target)],
                             capture_output=True, text=True, timeout=900,
                             env=dict(os.environ, GIT_TERMINAL_PROMPT="0"))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchmarkDataError(f"could not clone {REPOSITORY_URL}: {exc}") from None
    if ran.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        raise BenchmarkDataError(
            f"could not clone {REPOSITORY_URL} into {target} (no internet access?): "
            f"{ran.stderr.strip()[-400:]}\nWithout internet, copy a clone of it to this machine "
            "and pass --data DIR.")
    return target

