"""The agent runner through real bubblewrap sandboxes and the host proxy, with scripted models.

Each way an agent can go wrong ends as a recorded outcome, never as an exception in the host: a
crash, an endless loop and an output flood are the agent's failures ('failed', not 'error'), an
agent that changes nothing is graded like any other, and a self-edit that breaks the agent is a
smoke failure with the reason.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dgm.agent_runner import AgentJob, run_job, self_edit_job, smoke_job
from dgm.agents import SEED_DIR
from dgm.archive.gitstore import GitStore
from dgm.archive.result import Outcome
from dgm.bench.builtin import BuiltinBenchmark, default_data_dir
from dgm.bench.config import BenchmarkConfig
from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.proxy import NodeProxy
from dgm.llm.testing import ScriptedModel
from dgm.sandbox.config import SandboxConfig

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

TASK = "textkit/word-count-whitespace"
SUBMIT = "Done.\n```bash\nsubmit\n```"
BUILTIN = default_data_dir()
NEW_RULE = "- Read every file the task names before you change anything.\n"


@pytest.fixture
def proxy() -> Iterator[Callable[[object], NodeProxy]]:
    """proxy(script) -> a running NodeProxy answering from a ScriptedModel (its .scripted)."""
    folder = Path(tempfile.mkdtemp(prefix="dgm-t-"))  # short: unix socket paths are limited
    started: list[NodeProxy] = []

    def start(script: object) -> NodeProxy:
        model = ScriptedModel(script)  # type: ignore[arg-type]
        client = LLMClient(LLMConfig(model="scripted/test"), backend=model)
        running = NodeProxy(client, folder / f"{len(started)}.sock", node_id="n",
                            log=folder / f"{len(started)}.jsonl").start()
        running.scripted = model  # type: ignore[attr-defined]
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
    shutil.rmtree(folder, ignore_errors=True)


def agent_commit(tmp: Path, edit: Callable[[Path], None] | None = None) -> tuple[GitStore, str]:
    """The seed agent, optionally changed by edit, committed as a node would be."""
    tree = tmp / "agent-src"
    shutil.copytree(SEED_DIR, tree, ignore=shutil.ignore_patterns("__pycache__"))
    if edit is not None:
        edit(tree)
    store = GitStore.init(tmp / "agents.git")
    return store, store.commit_dir(tree, parent=None, message="agent", when=datetime.now(UTC))


def one_task_suite(tmp: Path) -> BenchmarkConfig:
    """A copy of one builtin task as its own suite: these tests do not depend on the others."""
    data = tmp / "suite"
    shutil.copytree(BUILTIN / "tasks" / TASK, data / "tasks" / TASK)
    (data / "manifest.toml").write_text(f'[[task]]\nid = "{TASK}"\nsplit = "train"\n')
    return BenchmarkConfig(data=data)


def make_job(tmp: Path, store: GitStore, commit: str, running: NodeProxy, *, task: bool = True,
             timeout: float = 120, steps: int = 5) -> AgentJob:
    bench = one_task_suite(tmp) if not (tmp / "suite").is_dir() else BenchmarkConfig(
        data=tmp / "suite")
    return AgentJob(
        git_dir=store.path, node_id="n", commit=commit,
        task=BuiltinBenchmark(bench.data).task(TASK) if task else None,
        sandbox=SandboxConfig(timeout_s=timeout), benchmark=bench,
        llm_socket=running.socket_path, log_dir=tmp / "logs", agent_args=["--max-steps", str(steps)],
    )


def replace_main(body: str) -> Callable[[Path], None]:
    def edit(tree: Path) -> None:
        (tree / "seed_agent" / "main.py").write_text(f"import sys\n\n\ndef main(argv=None):\n{body}")
    return edit


def test_an_agent_that_exits_without_a_patch_fails(tmp_path: Path, proxy) -> None:
    running = proxy([SUBMIT])
    store, commit = agent_commit(tmp_path)
    seen: list[Path] = []
    result = run_job(make_job(tmp_path, store, commit, running), watch=seen.append)
    assert result.outcome == Outcome.failed and result.error is None
    assert result.patch == "" and result.tests_failed > 0
    assert running.scripted.calls == 1 and running.usage.total_tokens > 0
    assert seen and seen[0].name == "trajectory.json"  # the live view's hook was called
    assert '"status": "submitted"' in (tmp_path / "logs" / "1-trajectory.log").read_text()


def test_an_agent_that_crashes_fails_and_its_traceback_is_kept(tmp_path: Path, proxy) -> None:
    def crash(tree: Path) -> None:
        agent = tree / "seed_agent" / "agent.py"
        agent.write_text(agent.read_text().replace(
            '        s = self.settings\n', '        raise RuntimeError("boom in the agent")\n', 1))

    running = proxy([SUBMIT])
    store, commit = agent_commit(tmp_path, crash)
    result = run_job(make_job(tmp_path, store, commit, running))
    assert result.outcome == Outcome.failed and result.patch == ""
    assert result.error == "agent crashed: RuntimeError: boom in the agent"
    assert "RuntimeError: boom in the agent" in (tmp_path / "logs" / "1-agent.log").read_text()
    assert running.scripted.calls == 0


def test_an_agent_that_loops_forever_is_killed_and_failed(tmp_path: Path, proxy) -> None:
    running = proxy([SUBMIT])
    store, commit = agent_commit(tmp_path, replace_main(
        "    open('/work/repo/progress.txt', 'w').write('started')\n    while True:\n        pass\n"))
    result = run_job(make_job(tmp_path, store, commit, running, timeout=4))
    assert result.outcome == Outcome.failed
    assert "killed after 4 s" in result.error
    assert 4 <= result.durations["agent"] < 30
    assert "progress.txt" in result.patch  # what it did before the kill is still graded
    assert "wall-clock limit" in (tmp_path / "logs" / "1-agent.log").read_text()


def test_an_agent_that_prints_gigabytes_is_capped(tmp_path: Path, proxy) -> None:
    running = proxy([SUBMIT])
    store, commit = agent_commit(tmp_path, replace_main(
        "    chunk = 'x' * (1 << 20)\n    for _ in range(1024):\n        sys.stdout.write(chunk)\n"
        "    sys.stdout.write('THE END')\n    return 0\n"))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = run_job(make_job(tmp_path, store, commit, running))
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert result.outcome == Outcome.failed and "cap" in result.error
    log = (tmp_path / "logs" / "1-agent.log").read_text()
    assert len(log) < 3_000_000 and "bytes cut" in log and "THE END\n--- stderr" in log
    assert grown_mib < 100  # a GiB went through the host without being held


def self_edit_script(edit_reply: str) -> Callable[[list[dict]], str]:
    """Edits its own source when asked to improve itself; submits any other task."""
    def script(messages: list[dict]) -> str:
        task = messages[1]["content"]
        if "source code of a coding agent" in task and len(messages) == 2:
            assert "Read every file the task names" in task  # the instruction reached it
            return edit_reply
        return SUBMIT
    return script


def test_self_edit_makes_a_valid_child(tmp_path: Path, proxy) -> None:
    system = (SEED_DIR / "seed_agent" / "prompts" / "system.md").read_text()
    running = proxy(self_edit_script(
        f"I add the rule.\n```file seed_agent/prompts/system.md\n{system}{NEW_RULE}```"))
    store, root = agent_commit(tmp_path)
    tree = store.checkout(root, tmp_path / "child")
    ending = self_edit_job(make_job(tmp_path, store, root, running, task=False),
                           "Add this rule to the system prompt: " + NEW_RULE, tree)
    assert ending == "exit code 0"  # it edited itself, then submitted
    child = store.commit_dir(tree, parent=root, message="child", when=datetime.now(UTC))
    patch = store.diff(root, child)
    assert NEW_RULE.strip() in patch and patch.count("diff --git") == 1
    # The patch applies to the parent on its own and gives the same tree.
    again = store.commit_patch(root, patch, message="replayed", when=datetime.now(UTC))
    assert store.diff(child, again) == ""
    assert smoke_job(make_job(tmp_path, store, child, running, task=False)) is None


@pytest.mark.parametrize(("reply", "reason"), [
    ("```file seed_agent/agent.py\ndef broken(:\n    pass\n```", "does not import: "),
    ("```bash\ncd / && rm -rf /work/repo\n```", "entry point"),  # it deleted its own source
])
def test_a_self_edit_that_breaks_the_agent_is_a_smoke_failure(tmp_path: Path, proxy, reply: str,
                                                              reason: str) -> None:
    running = proxy(self_edit_script(reply))
    store, root = agent_commit(tmp_path)
    tree = store.checkout(root, tmp_path / "child")
    self_edit_job(make_job(tmp_path, store, root, running, task=False, steps=2),
                  "Add this rule to the system prompt: " + NEW_RULE, tree)
    if "rm -rf" in reply:
        assert not any(tree.iterdir())  # the child is what the agent left: nothing
    child = store.commit_dir(tree, parent=root, message="child", when=datetime.now(UTC))
    why = smoke_job(make_job(tmp_path, store, child, running, task=False))
    assert why is not None and reason in why
    if "import" in reason:
        assert "SyntaxError" in why
