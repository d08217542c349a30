"""Grading in an instance's official image, by swebench's own `run_instance` on a Docker daemon.

This is the official evaluation of one prediction: swebench creates a container from the instance
image, applies the patch with its own chain of `git apply`/`patch` commands, runs the eval script
and grades the output with get_eval_report. dgm only supplies the patch and reads back the report
and logs. The daemon is the one of DOCKER_HOST (or the default socket); when the image is not
there, swebench pulls it (Docker Hub).
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from dgm.archive.result import Outcome, TaskResult
from dgm.bench.swebench_data import cache_root, swebench_module

MODEL_NAME = "dgm"


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def official_grade(instance: dict[str, Any], spec: Any, patch: str, log: Path,
                   timeout: float) -> TaskResult:
    """Grade a patch with swebench's run_instance; the test output and report go to log."""
    from dgm.sandbox.base import SandboxError
    from dgm.sandbox.dockerd import connect

    run_evaluation = swebench_module("swebench.harness.run_evaluation")
    constants = swebench_module("swebench.harness.constants")
    iid = instance["instance_id"]
    base = TaskResult(task_id=iid, node_id="", outcome=Outcome.error)
    try:
        client = connect()
    except SandboxError as exc:
        why = (f"instance {iid} is graded in its official image {instance['image']} by swebench, "
               f"which needs a Docker daemon: {exc}")
        log.write_text(f"[not graded: {why}]\n")
        return base.model_copy(update={"error": why})
    # swebench keeps its per-instance logs under this module-level folder (relative to the
    # working directory by default); every grading here uses the same absolute one.
    logs = cache_root() / "run_evaluation"
    run_evaluation.RUN_EVALUATION_LOG_DIR = logs
    run_id = f"dgm-{uuid.uuid4().hex[:12]}"
    prediction = {"instance_id": iid, "model_name_or_path": MODEL_NAME, "model_patch": patch}
    try:
        done = run_evaluation.run_instance(spec, prediction, client, run_id, timeout=int(timeout))
    finally:
        client.close()
    folder = logs / run_id / MODEL_NAME / iid
    output = _read(folder / constants.LOG_TEST_OUTPUT)
    steps = _read(folder / constants.LOG_INSTANCE)
    shutil.rmtree(logs / run_id, ignore_errors=True)
    if done is not None:
        from dgm.bench.swebench import REPORT_MARK, report_outcome

        entry = done[1][iid]
        outcome, passed, failed, error = report_outcome(entry)
        log.write_text(f"{output}\n{REPORT_MARK}\n{json.dumps(entry, indent=1)}\n")
        return base.model_copy(update={"outcome": outcome, "tests_passed": passed,
                                       "tests_failed": failed, "error": error})
    log.write_text(f"{output}\n--- swebench run_instance log\n{steps[-20000:]}")
    if constants.APPLY_PATCH_FAIL in steps:
        # swebench counts a patch that does not apply as not resolved: the agent's failure.
        return base.model_copy(update={"outcome": Outcome.failed, "tests_failed": 1,
                                       "error": "the patch did not apply in the instance image"})
    tail = " ".join(line.strip() for line in steps.strip().splitlines()[-3:])[-400:]
    return base.model_copy(update={
        "error": f"swebench could not evaluate {iid} in {instance['image']}: {tail or 'no log'}"})
