"""The swebench harness: SWE-bench instances as tasks, graded by the swebench package's own logic.

An instance becomes a task whose repository is the instance's repo at base_commit (see
swebench_data). Grading builds swebench's test spec from the instance (`make_test_spec`: its eval
script, FAIL_TO_PASS, PASS_TO_PASS, log parser and eval type), runs the eval script swebench
produces in the fresh grading sandbox, with stdout and stderr merged as a container exec gives
them, and hands the output to swebench's `get_eval_report`, whose verdict is the outcome: resolved
is `passed`, anything else `failed`. A harness timeout, or an output swebench classifies as an
environment fault, is `error`, never held against the agent.

Where the eval script expects the official instance image (it works in /testbed with the image's
environment), it cannot run in a sandbox built from dgm's own images: such instances are graded
through swebench's own `run_instance` in the instance image on a Docker daemon (swebench_docker),
with the repository's changes as the prediction, and are an `error` naming what is missing when
no daemon answers or the image can be neither found nor pulled.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import REPO_DIR, TEST_LOG, Task
from dgm.bench.builtin import BenchmarkDataError
from dgm.bench.swebench_data import (
    checkout_repo,
    default_manifest_path,
    load_instances,
    load_manifest,
    repo_dir,
    split_of,
    swebench_module,
)
from dgm.sandbox.base import Sandbox, SandboxError, host_path

EVAL_SCRIPT = "/work/eval.sh"  # outside the repository: the agent's patch never reaches it
IMAGE_WORKDIR = "/testbed"     # where the official instance images hold the repository
REPORT_MARK = ">>>>> dgm: swebench report"

STATEMENT = """Resolve the issue below in the repository at {workdir} ({repo} at commit {commit}).

Change the code so that the issue is fixed. Tests that check the fix are applied over the
repository when your change is graded; existing tests must keep passing.

<issue>
{issue}
</issue>
"""


def test_spec(instance: dict[str, Any]) -> Any:
    """swebench's TestSpec of an instance (its eval script, expected tests, parser, eval type)."""
    return swebench_module("swebench.harness.utils").make_test_spec(instance)


def needs_image(instance: dict[str, Any]) -> bool:
    """Whether the instance's eval script works in the official image's /testbed."""
    return IMAGE_WORKDIR in instance["eval_script"]


def report_outcome(report: dict[str, Any]) -> tuple[Outcome, int, int, str | None]:
    """(outcome, tests passed, tests failed, error) from one instance's get_eval_report entry."""
    status = report.get("tests_status") or {}
    kinds = ("FAIL_TO_PASS", "PASS_TO_PASS")
    passed = sum(len(status.get(k, {}).get("success", [])) for k in kinds)
    failed = sum(len(status.get(k, {}).get("failure", [])) for k in kinds)
    if report.get("resolved"):
        return Outcome.passed, passed, failed, None
    if report.get("infra_failure"):
        reason = report.get("infra_failure_reason", "an environment fault")
        return Outcome.error, passed, failed, f"swebench classified the test output as {reason}"
    return Outcome.failed, passed, max(failed, 1), None


def grade_output(instance: dict[str, Any], output: str, log: Path,
                 patch: str = "") -> tuple[TaskResult, dict[str, Any]]:
    """Write the eval script's output to log and grade it with swebench's get_eval_report."""
    grading = swebench_module("swebench.harness.grading")
    log.write_text(output)
    prediction = {"instance_id": instance["instance_id"], "model_name_or_path": "dgm",
                  "model_patch": patch}
    report = grading.get_eval_report(test_spec=test_spec(instance), prediction=prediction,
                                     test_log_path=str(log), include_tests_status=True)
    entry = report[instance["instance_id"]]
    outcome, passed, failed, error = report_outcome(entry)
    with log.open("a") as handle:  # after grading: swebench read the output as it came
        handle.write(f"\n{REPORT_MARK}\n{json.dumps(entry, indent=1)}\n")
    return TaskResult(task_id=instance["instance_id"], node_id="", outcome=outcome,
                      tests_passed=passed, tests_failed=failed, error=error), entry


class SwebenchBenchmark:
    """SWE-bench as a Benchmark: one task per instance of a dataset or local file."""

    def __init__(self, data: Path | str | None = None, manifest: Path | None = None) -> None:
        self.manifest = load_manifest(manifest or default_manifest_path())
        self.name = self.manifest.name
        self.data = str(data) if data is not None else self.manifest.dataset
        self.local = Path(self.data) if Path(self.data).exists() else None
        self.instances = {row["instance_id"]: row
                          for row in load_instances(self.data, self.manifest.dataset_split)}
        listed_ids = {i for ids in self.manifest.subsets.values() for i in ids}
        listed = bool(listed_ids & set(self.instances))
        order = {iid: n for n, iid in enumerate(sorted(self.instances))}
        self._tasks = [self._task(row, *split_of(iid, self.manifest, listed, order))
                       for iid, row in self.instances.items()]

    def _task(self, row: dict[str, Any], split: str, difficulty: str) -> Task:
        return Task(
            id=row["instance_id"], benchmark=self.name, split=split,
            language=str(row.get("language") or "python"),
            statement=STATEMENT.format(workdir=REPO_DIR, repo=row["repo"],
                                       commit=row["base_commit"][:12],
                                       issue=row["problem_statement"].strip()),
            payload=repo_dir(row), test_command=["bash", EVAL_SCRIPT], protected=[],
            timeout_s=self.manifest.timeout_s, difficulty=difficulty)

    def tasks(self, split: str | None = None) -> list[Task]:
        """Tasks of a split, or all, in the data's order."""
        return [t for t in self._tasks if split is None or t.split == split]

    def instance(self, task_id: str) -> dict[str, Any]:
        """The raw instance behind a task."""
        if task_id not in self.instances:
            raise BenchmarkDataError(f"no instance {task_id!r} in {self.data}")
        return self.instances[task_id]

    def gold_patch(self, task: Task) -> str:
        """The instance's reference fix."""
        return str(self.instance(task.id)["patch"])

    def image(self, task: Task) -> str:
        """The official image an instance is evaluated in."""
        return str(self.instance(task.id)["image"])

    def prepare(self, task: Task, sandbox: Sandbox) -> None:
        """Copy the repository at base_commit (with its history up to there) to /work/repo."""
        source = checkout_repo(self.instance(task.id), self.local)
        target = host_path(sandbox.spec, REPO_DIR)
        if target.exists():
            shutil.rmtree(target)
        sandbox.put(source, REPO_DIR)

    def _patch(self, instance: dict[str, Any], sandbox: Sandbox) -> str:
        """The repository's changes against base_commit, read by git inside the sandbox."""
        git = ["git", "-c", "core.fileMode=false"]
        added = sandbox.run([*git, "add", "-A", "."], timeout=300, cwd=REPO_DIR)
        diff = sandbox.run([*git, "diff", "--cached", "--binary", "--no-color", "--no-ext-diff",
                            instance["base_commit"]], timeout=300, cwd=REPO_DIR)
        if not (added.ok and diff.ok) or diff.truncated:
            raise SandboxError(f"cannot read the patch of {instance['instance_id']}: "
                               f"{(added.stderr + diff.stderr).strip()[-300:]}")
        return diff.stdout

    def grade(self, task: Task, sandbox: Sandbox) -> TaskResult:
        """Run swebench's eval script over the (patched) repository and grade its output."""
        instance = self.instance(task.id)
        log = host_path(sandbox.spec, TEST_LOG)
        base = TaskResult(task_id=task.id, node_id="", outcome=Outcome.error,
                          benchmark=task.benchmark, split=task.split)
        if needs_image(instance):
            from dgm.bench.swebench_docker import official_grade

            patch = self._patch(instance, sandbox)
            result = official_grade(instance, test_spec(instance), patch, log, task.timeout_s)
            return result.model_copy(update={"benchmark": task.benchmark, "split": task.split})
        host_path(sandbox.spec, EVAL_SCRIPT).write_text(test_spec(instance).eval_script)
        # Merged as `docker exec` merges them: swebench's markers are `set -x` traces on stderr.
        ran = sandbox.run(["bash", "-c", f"exec bash {EVAL_SCRIPT} 2>&1"],
                          timeout=task.timeout_s, cwd=REPO_DIR)
        if ran.timed_out:
            limit = f"{task.timeout_s:.0f}"
            log.write_text(f"{ran.stdout}\n\nTimeout error: {limit} seconds exceeded.\n")
            return base.model_copy(update={
                "error": f"the eval script timed out after {limit} s (harness timeout)"})
        result, _ = grade_output(instance, ran.stdout + ran.stderr, log)
        return result.model_copy(update={"benchmark": task.benchmark, "split": task.split})
