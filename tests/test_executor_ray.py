"""The Ray executor on a private local cluster: jobs, errors, lost workers, and whole runs.

The run tests go through the real pipeline (bwrap sandboxes, proxies, the model gateway and the
worker-side bridge, shipped trees, logs brought back) with the scripted model of the end-to-end
test, and compare what the archive holds with a run of the same config on the local pool.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'dgm[ray]')")

from dgm.agents import SEED_DIR  # noqa: E402
from dgm.archive import Archive  # noqa: E402
from dgm.archive.result import Outcome  # noqa: E402
from dgm.bench.registry import load_benchmark  # noqa: E402
from dgm.config import RunConfig  # noqa: E402
from dgm.controller.evaluation import NodeEvaluator  # noqa: E402
from dgm.controller.loop import Controller  # noqa: E402
from dgm.controller.wiring import real_services  # noqa: E402
from dgm.errors import ConfigError  # noqa: E402
from dgm.executor import ExecutorConfig, LocalExecutor, Resources, WorkerLost  # noqa: E402
from dgm.executor_ray import RayExecutor  # noqa: E402
from dgm.llm.client import LLMClient  # noqa: E402
from dgm.llm.testing import ScriptedModel  # noqa: E402
from tests.controller.test_run_e2e import script, small_suite  # noqa: E402

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


@pytest.fixture(scope="module")
def cluster():
    """One private two-CPU Ray for the module (starting Ray costs seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture
def executor(cluster) -> RayExecutor:
    pool = RayExecutor(ExecutorConfig(kind="ray"))
    yield pool
    pool.shutdown(cancel=True)


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def boom(message: str) -> None:
    raise ValueError(message)


def suicide() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_jobs_run_as_ray_tasks_and_errors_keep_their_type(executor: RayExecutor) -> None:
    assert executor.workers == 2 and executor.remote and not executor.spans_hosts()
    pids = {f.result(timeout=120) for f in [executor.submit(nap, 0.2) for _ in range(2)]}
    assert os.getpid() not in pids
    with pytest.raises(ValueError, match="bad input"):
        executor.submit(boom, "bad input").result(timeout=120)


def test_a_killed_ray_worker_is_worker_lost_and_later_jobs_run(executor: RayExecutor) -> None:
    with pytest.raises(WorkerLost, match="Ray worker lost"):
        executor.submit(suicide).result(timeout=120)
    assert executor.submit(nap, 0).result(timeout=120) > 0


def test_a_request_no_node_can_meet_is_refused_naming_the_sandbox_keys(executor) -> None:
    with pytest.raises(ConfigError, match="sandbox.memory_mb = 100000000"):
        executor.submit(nap, 0, resources=Resources(cpus=1, memory_mb=100_000_000))
    with pytest.raises(ConfigError, match="sandbox.cpus = 3"):
        executor.submit(nap, 0, resources=Resources(cpus=3, memory_mb=1))


def test_a_set_worker_count_caps_the_jobs_in_flight(cluster) -> None:
    pool = RayExecutor(ExecutorConfig(kind="ray", workers=1))
    try:
        first = pool.submit(nap, 1.0)
        second = pool.submit(nap, 0)  # waits for a free slot: the first job's end
        assert first.done()
        assert second.result(timeout=120) > 0
    finally:
        pool.shutdown(cancel=True)


def test_an_executor_that_joined_a_running_ray_leaves_it_running(cluster) -> None:
    RayExecutor(ExecutorConfig(kind="ray")).shutdown()
    assert ray.is_initialized()


def test_the_perf_suite_times_a_shipped_evaluation_on_ray_against_the_pool(
        cluster, tmp_path: Path) -> None:
    from dgm.executor_perf import rows
    from dgm.perf import PerfContext

    found = list(rows(PerfContext(workdir=tmp_path, repeat=3, quick=True)))
    assert [r.operation.split(":")[0] for r in found] == [
        "local pool", "ray (private local cluster)"]
    assert found[1].baseline_samples == found[0].samples and len(found[1].samples) == 3
    assert ray.is_initialized()  # the suite joined the test's Ray and left it up


# ----------------------------------------------------------------- whole runs


def _config(data: Path, kind: str) -> RunConfig:
    config = RunConfig()
    config.benchmark.data = data
    config.llm.model = "scripted/test"
    config.selection.parents_per_generation = 1
    config.controller.agent_max_steps = 4
    config.sandbox.timeout_s = 120
    config.sandbox.memory_mb = 512  # what each Ray task asks for
    config.executor = ExecutorConfig(kind=kind, workers=2)
    return config


def _tree(archive: Archive, commit: str) -> str:
    return subprocess.run(["git", f"--git-dir={archive.path / 'agents.git'}", "rev-parse",
                           f"{commit}^{{tree}}"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _contents(archive: Archive) -> list[dict]:
    """What a run decided, without what differs between two identical runs (ids, times)."""
    trees = {n.id: _tree(archive, n.commit) for n in archive.nodes()}
    out = []
    for node in sorted(archive.nodes(), key=lambda n: (n.generation, trees[n.id])):
        results = []
        for task, record in sorted(archive.task_records(node.id).items()):
            for a in record.attempts:
                results.append((task, a.attempt, str(a.outcome), a.tests_passed, a.tests_failed,
                                a.patch, a.tampered, a.tries, a.error, a.tokens,
                                a.log_path and Path(a.log_path).name))
        out.append({"tree": trees[node.id], "parent": trees.get(node.parent_id),
                    "status": str(node.status), "reason": node.reason,
                    "proposal": node.proposal.model_dump() if node.proposal else None,
                    "scores": {k: s.model_dump() for k, s in node.scores.items()},
                    "tokens": node.cost.prompt_tokens + node.cost.completion_tokens,
                    "results": results})
    return out


def _run(tmp_path: Path, data: Path, kind: str) -> Archive:
    config = _config(data, kind)
    archive = Archive.create(tmp_path / f"run-{kind}", config)
    client = LLMClient(config.llm, backend=ScriptedModel(script))
    executor = LocalExecutor(2) if kind == "local" else RayExecutor(config.executor)
    services, evaluator = real_services(archive, config, client, executor,
                                        load_benchmark(config.benchmark))
    try:
        outcome = Controller(archive, services, config).run(SEED_DIR, max_steps=1)
    finally:
        evaluator.close()
        executor.shutdown(cancel=True)
    assert outcome.reason == "max_steps reached (1)"
    return archive


@needs_bwrap
def test_the_same_run_on_ray_and_on_the_local_pool_fills_the_same_archive(
        cluster, tmp_path: Path) -> None:
    data = small_suite(tmp_path)
    local, remote = _run(tmp_path, data, "local"), _run(tmp_path, data, "ray")
    expected = _contents(local)
    assert [n["status"] for n in expected] == ["evaluated", "evaluated"]  # root and one child
    assert expected[0]["scores"]["builtin:train"]["passed"] == 1
    assert _contents(remote) == expected
    # Logs the Ray workers wrote came back into the archive, next to the proxy's model log.
    root = remote.root
    logs = remote.path / "results" / root.id / "logs" / "textkit%2Fword-count-whitespace"
    assert {p.name for p in logs.iterdir()} >= {"1-agent.log", "1-trajectory.log", "1-test.log",
                                                 "1-llm.log"}
    assert "Ran 3 tests" in (logs / "1-test.log").read_text()
    assert (remote.path / "results" / root.id / "logs" / "smoke" / "smoke-agent.log").is_file()


def _ray_job_pids() -> list[int]:
    """Ray workers running a shipped job right now (Ray titles a busy worker ray::<function>)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::run_shipped"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@needs_bwrap
def test_a_worker_killed_mid_task_is_retried_and_the_task_recorded_once(
        cluster, tmp_path: Path) -> None:
    config = _config(small_suite(tmp_path), "ray")
    archive = Archive.create(tmp_path / "run", config)
    killed: list[int] = []

    def killing_script(messages: list[dict]) -> str:
        # The first model call of the agent: kill the Ray worker running it, mid-task.
        if not killed and messages[0]["content"].startswith("You are a careful software engineer"):
            killed.extend(_ray_job_pids())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
        return script(messages)

    client = LLMClient(config.llm, backend=ScriptedModel(killing_script))
    executor = RayExecutor(config.executor)
    services, evaluator = real_services(archive, config, client, executor,
                                        load_benchmark(config.benchmark))
    root = archive.add_root(SEED_DIR)
    events: list[str] = []
    nodes = NodeEvaluator(archive, evaluator, threading.Lock(), infra_retries=2,
                          event=lambda kind, **data: events.append(kind))
    task = "textkit/word-count-whitespace"
    try:
        nodes.run_tasks(root, [task])
    finally:
        evaluator.close()
        executor.shutdown(cancel=True)
    assert len(killed) == 1  # exactly one worker was running the one task
    attempts = archive.task_records(root.id)[task].attempts
    assert [(a.attempt, a.outcome) for a in attempts] == [(1, Outcome.error), (2, Outcome.passed)]
    assert "WorkerLost" in attempts[0].error
    recorded = [e for e in archive.events if e.kind == "result"]
    assert [(e.data["attempt"], e.data["outcome"]) for e in recorded] == [(1, "error"), (2, "passed")]
    score = nodes.refresh_scores(root.id).scores["builtin:train"]
    assert (score.passed, score.failed, score.errors) == (1, 0, 0)
    assert events == ["eval_started", "eval_finished", "eval_started", "eval_finished"]
