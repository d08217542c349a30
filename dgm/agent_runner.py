"""Run node N's agent on task T: check out, lay out, run in a sandbox, diff, grade in a fresh one.

Everything here runs in an executor worker, so a job is plain picklable data. The agent's changes
are read with a git directory the sandbox never sees (an agent cannot plant git config or hooks
that the host would then run), and grading happens in a second, fresh sandbox where only the
agent's patch is applied, minus any change to a protected file (which sets the tamper flag).
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dgm.archive.gitstore import GitStore
from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import REPO_DIR, TEST_LOG, Task
from dgm.bench.config import BenchmarkConfig
from dgm.bench.registry import load_benchmark
from dgm.sandbox.base import SandboxError
from dgm.sandbox.config import SandboxConfig
from dgm.sandbox.factory import make_sandbox, spec_from_config

AGENT_DIR = "/agent"
TASK_FILE = "/work/task.md"
TRAJECTORY = "/work/trajectory.json"
SMOKE_TASK = "Create a file named hello.txt that contains the word hello, then submit."
_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_NAME": "dgm", "GIT_AUTHOR_EMAIL": "dgm@localhost",
            "GIT_COMMITTER_NAME": "dgm", "GIT_COMMITTER_EMAIL": "dgm@localhost"}


class AgentJob(BaseModel):
    """One attempt of one node on one task (or the node's smoke test, task=None)."""

    model_config = ConfigDict(frozen=True)

    git_dir: Path
    node_id: str
    commit: str
    task: Task | None
    attempt: int = 1
    sandbox: SandboxConfig
    benchmark: BenchmarkConfig
    llm_socket: Path | None
    log_dir: Path
    agent_args: list[str] = []
    start_patch: str = ""  # applied over the layout before the agent starts (a later try)


class AgentProblem(Exception):
    """The agent itself is unusable (no entry point, does not import): a smoke failure."""


def entry_point(agent_dir: Path) -> tuple[str, str]:
    """(module, function) of the agent's first console script."""
    try:
        data = tomllib.loads((agent_dir / "pyproject.toml").read_text())
        target = next(iter(data["project"]["scripts"].values()))
        module, func = target.split(":")
    except (OSError, tomllib.TOMLDecodeError, KeyError, StopIteration, ValueError):
        raise AgentProblem("the agent has no usable [project.scripts] entry point in "
                           "pyproject.toml") from None
    return module.strip(), func.strip()


def agent_command(agent_dir: Path, task_file: str, workdir: str, extra: list[str]) -> list[str]:
    """The command that runs the agent inside a sandbox (its code mounted at /agent)."""
    module, func = entry_point(agent_dir)
    launcher = f"import sys; from {module} import {func} as main; sys.exit(main())"
    return ["python3", "-c", launcher, "--task-file", task_file, "--workdir", workdir,
            "--trajectory", TRAJECTORY, *extra]


def _git(git_dir: Path, work: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", f"--work-tree={work}", *args],
        input=stdin, capture_output=True, text=True, env=_GIT_ENV,
    )
    if result.returncode != 0:
        raise SandboxError(f"git {args[0]} failed: {result.stderr.strip()[:300]}")
    return result.stdout


def snapshot(repo: Path, git_dir: Path) -> None:
    """Record the repository as laid out, in a git directory outside the sandbox's reach."""
    subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True, env=_GIT_ENV)
    (git_dir / "info").mkdir(exist_ok=True)
    (git_dir / "info" / "exclude").write_text("__pycache__/\n*.pyc\n.pytest_cache/\n")
    _git(git_dir, repo, "add", "-A", "--force", ".")
    _git(git_dir, repo, "commit", "-q", "--allow-empty", "-m", "task as given")


def changes(repo: Path, git_dir: Path) -> str:
    """The agent's changes to the repository, as a binary-safe unified diff."""
    _git(git_dir, repo, "add", "-A", ".")
    return _git(git_dir, repo, "diff", "--cached", "--binary", "--no-color", "--no-ext-diff",
                "--no-textconv", "HEAD")


def touched(patch: str) -> list[str]:
    """Paths a patch changes."""
    paths = set()
    for line in patch.splitlines():
        if line.startswith("diff --git a/"):
            left, _, right = line[len("diff --git a/"):].partition(" b/")
            paths |= {left, right}
    return sorted(paths)


def protected_hits(patch: str, patterns: list[str]) -> list[str]:
    """Paths of the patch that match a protected pattern."""
    return [p for p in touched(patch) if any(fnmatch.fnmatch(p, pat) for pat in patterns)]


def apply_patch(repo: Path, patch: str, excluded: list[str], scratch: Path) -> None:
    """Apply the agent's patch to a fresh layout, leaving protected files untouched."""
    if not patch.strip():
        return
    args = ["apply", "--whitespace=nowarn", *[f"--exclude={p}" for p in excluded], "-"]
    result = subprocess.run(["git", *args], cwd=repo, input=patch, capture_output=True, text=True,
                            env=dict(_GIT_ENV, GIT_DIR=str(scratch)))
    if result.returncode != 0:
        raise SandboxError(f"the agent's patch did not re-apply for grading: {result.stderr[:300]}")


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


RETRY_FRAME = """{statement}

## Your previous try failed the tests

Your changes so far are in place. The tests are correct: fix the solution, not the tests. The end
of the test output:

```
{output}
```
"""


def retry_statement(task: Task, test_log: str, limit: int = 6000) -> str:
    """The task again, with the failed try's test output (its end) for the next try."""
    output = test_log if len(test_log) <= limit else "[...]\n" + test_log[-limit:]
    return RETRY_FRAME.format(statement=task.statement.rstrip(), output=output.rstrip())


def run_job(job: AgentJob, watch: Callable[[Path], None] | None = None) -> TaskResult:
    """Run the job, and for a task allowing several tries (pass@k), retry with the test output.

    Each later try starts from the previous try's changes on a fresh layout (tests restored) and
    logs under try<N>/; the result is the last try's, with every try's outcome in `tries`."""
    assert job.task is not None
    result = _run_try(job, watch)
    tries = [result.outcome]
    while result.outcome == Outcome.failed and len(tries) < job.task.tries:
        log = Path(result.log_path) if result.log_path else None
        output = log.read_text(errors="replace") if log and log.is_file() else "(no output)"
        task = job.task.model_copy(update={"statement": retry_statement(job.task, output)})
        previous = result
        result = _run_try(job.model_copy(update={
            "task": task, "start_patch": result.patch,
            "log_dir": job.log_dir / f"try{len(tries) + 1}"}), watch)
        result = result.model_copy(update={"durations": {
            **{f"try{len(tries)}_{k}": v for k, v in previous.durations.items()},
            **result.durations}})
        tries.append(result.outcome)
    return result.model_copy(update={"tries": tries}) if job.task.tries > 1 else result


def _run_try(job: AgentJob, watch: Callable[[Path], None] | None = None) -> TaskResult:
    """Run the agent on the job's task and grade it; infrastructure failures become 'error'.

    watch, if given, is called with the host path of the agent's trajectory file just before the
    agent starts (`dgm agent run` tails it to show the agent working)."""
    assert job.task is not None
    task = job.task
    started = time.monotonic()
    base = TaskResult(task_id=task.id, node_id=job.node_id, attempt=job.attempt,
                      outcome=Outcome.error, benchmark=task.benchmark, split=task.split)
    durations: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="dgm-job-") as tmp:
            root = Path(tmp)
            agent = GitStore(job.git_dir).checkout(job.commit, root / "agent")
            patch, exit_code, note = _agent_phase(job, task, agent, root, durations, watch)
            base = base.model_copy(update={"patch": patch})
            hits = protected_hits(patch, task.protected)
            grade_start = time.monotonic()
            result, test_log = grade_patch(task, patch, job.sandbox, job.benchmark, root)
            _write(job.log_dir / f"{job.attempt}-test.log", test_log)
            durations["grade"] = time.monotonic() - grade_start
    except AgentProblem as exc:
        return base.model_copy(update={"outcome": Outcome.failed, "error": str(exc)})
    except SandboxError as exc:
        return base.model_copy(update={"error": str(exc),
                                       "durations": {"total": time.monotonic() - started}})
    durations["total"] = time.monotonic() - started
    return result.model_copy(update={
        "node_id": job.node_id, "attempt": job.attempt, "patch": patch, "tampered": bool(hits),
        "durations": durations, "log_path": str(job.log_dir / f"{job.attempt}-test.log"),
        "error": result.error or note or (f"agent exit code {exit_code}"
                                          if exit_code not in (0, 1) else None),
    })


def bench_mounts(bench: object, task: Task) -> dict[str, Path]:
    """Read-only host folders a harness needs in its task's sandboxes (toolchains), if any."""
    mounts = getattr(bench, "mounts", None)
    return dict(mounts(task)) if mounts is not None else {}


def _sandbox(job: AgentJob, workdir: Path, agent: Path | None, phase: str,  # noqa: ANN202
             mounts: dict[str, Path] | None = None):
    ro = dict(mounts or {}, **({AGENT_DIR: agent} if agent is not None else {}))
    spec = spec_from_config(
        job.sandbox, workdir, ro_binds=ro, llm_socket=job.llm_socket if agent else None,
        env={"PYTHONPATH": AGENT_DIR} if agent else {},
        labels={"node": job.node_id, "phase": phase},
    )
    return make_sandbox(job.sandbox, spec)


def _agent_phase(job: AgentJob, task: Task, agent: Path, root: Path, durations: dict[str, float],
                 watch: Callable[[Path], None] | None = None) -> tuple[str, int, str | None]:
    """Run the agent; returns its patch, exit code and a note on how it ended if not by itself.

    An agent that loops or floods its output is the agent's failure, not the infrastructure's:
    the sandbox's wall clock kills it, its output is capped, and whatever it changed is graded."""
    work = root / "work"
    work.mkdir()
    bench = load_benchmark(job.benchmark)
    with _sandbox(job, work, agent, "agent", bench_mounts(bench, task)) as sandbox:
        bench.prepare(task, sandbox)
        repo = work / Path(REPO_DIR).relative_to("/work")
        snapshot(repo, root / "baseline.git")
        apply_patch(repo, job.start_patch, task.protected, root / "start.git")
        (work / "task.md").write_text(task.statement)
        if watch is not None:
            watch(work / "trajectory.json")
        start = time.monotonic()
        ran = sandbox.run(agent_command(agent, TASK_FILE, REPO_DIR, job.agent_args),
                          timeout=job.sandbox.timeout_s)
        durations["agent"] = time.monotonic() - start
        notes = [f"agent killed after {job.sandbox.timeout_s:.0f} s (wall-clock limit)"
                 if ran.timed_out else "",
                 "agent output over the sandbox's cap (middle cut)" if ran.truncated else "",
                 _crash(ran.stderr)]
        note = "; ".join(n for n in notes if n) or None
        _write(job.log_dir / f"{job.attempt}-agent.log",
               f"exit code {ran.returncode}" + (f" [{note}]" if note else "")
               + f"\n--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}")
        trajectory = work / "trajectory.json"
        _write(job.log_dir / f"{job.attempt}-trajectory.log",
               trajectory.read_text(errors="replace") if trajectory.is_file() else "(none)")
        return changes(repo, root / "baseline.git"), ran.returncode, note


def _crash(stderr: str) -> str:
    """'agent crashed: <exception>' when the agent died of an uncaught Python exception."""
    if "Traceback (most recent call last)" not in stderr:
        return ""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return f"agent crashed: {lines[-1].strip()[:300]}" if lines else ""


def grade_patch(task: Task, patch: str, sandbox: SandboxConfig, benchmark: BenchmarkConfig,
                scratch: Path) -> tuple[TaskResult, str]:
    """Grade a patch in a fresh sandbox: lay out, apply (protected files excluded), test.

    Returns the result and the test output."""
    grade = scratch / "grade"
    grade.mkdir()
    bench = load_benchmark(benchmark)
    spec = spec_from_config(sandbox, grade, labels={"phase": "grade"},
                            ro_binds=bench_mounts(bench, task))
    with make_sandbox(sandbox, spec) as box:
        bench.prepare(task, box)
        apply_patch(grade / Path(REPO_DIR).relative_to("/work"), patch, task.protected,
                    scratch / "apply.git")
        result = bench.grade(task, box)
    log = grade / Path(TEST_LOG).relative_to("/work")
    return result, log.read_text(errors="replace") if log.is_file() else ""


def smoke_job(job: AgentJob) -> str | None:
    """None if the agent imports and runs a trivial task to its end; else why not."""
    with tempfile.TemporaryDirectory(prefix="dgm-smoke-") as tmp:
        root = Path(tmp)
        agent = GitStore(job.git_dir).checkout(job.commit, root / "agent")
        work = root / "work"
        (work / "repo").mkdir(parents=True)
        (work / "task.md").write_text(SMOKE_TASK)
        try:
            command = agent_command(agent, TASK_FILE, REPO_DIR, ["--max-steps", "3"])
            with _sandbox(job, work, agent, "smoke") as sandbox:
                module = entry_point(agent)[0]
                imported = sandbox.run(["python3", "-c", f"import {module}"], timeout=60)
                if not imported.ok:
                    return f"the agent does not import: {imported.stderr.strip()[-600:]}"
                ran = sandbox.run(command, timeout=min(job.sandbox.timeout_s, 600))
        except AgentProblem as exc:
            return str(exc)
        _write(job.log_dir / "smoke-agent.log",
               f"exit code {ran.returncode}\n--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}")
        if ran.timed_out:
            return "the agent did not finish a trivial task within the time limit"
        if ran.returncode not in (0, 1):
            return f"the agent crashed on a trivial task (exit {ran.returncode}): " \
                   f"{ran.stderr.strip()[-600:]}"
        trajectory = work / "trajectory.json"
        try:
            json.loads(trajectory.read_text())
        except (OSError, ValueError):
            return "the agent wrote no readable trajectory"
    return None


SELF_EDIT_FRAME = """The repository in front of you is the source code of a coding agent (its prompts, tools,
loop and skills). Improve it by making this change:

{instruction}

Keep the agent runnable from its command line and keep its command-line options. Do not run the
agent itself on a task."""


def self_edit_job(job: AgentJob, instruction: str, tree: Path) -> str:
    """The node's agent edits a copy of its own source; the result replaces tree's content.

    Returns how the agent's run ended (for the log). Whatever the agent does to its copy, even
    deleting it, ends up in tree for the smoke test to judge; tree is only replaced once the
    agent's copy has been read back whole, so a failed run leaves the parent's source there."""
    with tempfile.TemporaryDirectory(prefix="dgm-self-") as tmp:
        root = Path(tmp)
        agent = GitStore(job.git_dir).checkout(job.commit, root / "agent")
        work = root / "work"
        work.mkdir()
        (work / "task.md").write_text(SELF_EDIT_FRAME.format(instruction=instruction))
        command = agent_command(agent, TASK_FILE, REPO_DIR, job.agent_args)
        edited = root / "edited"
        with _sandbox(job, work, agent, "self-edit") as sandbox:
            sandbox.put(tree, REPO_DIR)
            ran = sandbox.run(command, timeout=job.sandbox.timeout_s)
            ending = (f"killed after {job.sandbox.timeout_s:.0f} s" if ran.timed_out
                      else f"exit code {ran.returncode}")
            _write(job.log_dir / "self-edit-agent.log",
                   f"{ending}\n--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}")
            if (work / Path(REPO_DIR).relative_to("/work")).is_dir():
                sandbox.get(REPO_DIR, edited)
            else:
                edited.mkdir()  # the agent removed its own source: the child is empty
        for child in tree.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        shutil.copytree(edited, tree, dirs_exist_ok=True, symlinks=True)
        for cache in tree.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        return ending
