"""The real pipeline with a scripted model: bwrap sandboxes, the proxy, the runner, the builtin suite.

The scripted "model" answers the controller (a diagnosis, then an edit of the agent's prompt) and
the agents (through the proxy, from inside the sandboxes): it fixes word_count when asked to and
gives up on everything else, so the root passes exactly one training task.
"""

from __future__ import annotations

import io
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from dgm.archive import Archive, NodeStatus
from dgm.bench.registry import load_benchmark
from dgm.config import RunConfig
from dgm.controller.loop import Controller
from dgm.controller.wiring import real_services
from dgm.executor import LocalExecutor
from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.testing import ScriptedModel

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "builtin"
FIXED_WORDS = (Path(__file__).resolve().parents[2] / "benchmarks/builtin/tasks/textkit/"
               "top-words-ties/repo/textkit/words.py").read_text().replace(
    "ranked = counts.most_common()",
    "ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))")
DIAGNOSIS = json.dumps({"diagnosis": "The agent submits without reading the code it must fix.",
                        "summary": "read the code before submitting",
                        "instruction": "Add a rule to seed_agent/prompts/system.md: always read "
                                       "the files named in the task before submitting."})


def script(messages: list[dict]) -> str:
    system = messages[0]["content"]
    if system.startswith("You improve a coding agent"):
        return DIAGNOSIS
    if system.startswith("You are an expert Python engineer"):
        prompt = (SEED_DIR / "seed_agent/prompts/system.md").read_text()
        return f"```file seed_agent/prompts/system.md\n{prompt}- Always read the files named in " \
               "the task before submitting.\n```\n"
    task = messages[1]["content"]
    if "`word_count` gives wrong answers" in task and len(messages) == 2:
        return f"```file textkit/words.py\n{FIXED_WORDS}```"
    return "```bash\nsubmit\n```"


def small_suite(tmp_path: Path) -> Path:
    """The builtin suite cut to its textkit and ledger tasks (4 train), so a generation stays short."""
    data = tmp_path / "suite"
    data.mkdir()
    (data / "tasks").symlink_to(SUITE / "tasks")
    entries = [t for t in tomllib.loads((SUITE / "manifest.toml").read_text())["task"]
               if t["id"].split("/")[0] in {"textkit", "ledger"}]
    (data / "manifest.toml").write_text('name = "builtin"\ntiers = [2, 4]\n' + "".join(
        f'[[task]]\nid = "{t["id"]}"\nsplit = "{t["split"]}"\n' for t in entries))
    return data


def test_one_generation_through_real_sandboxes(tmp_path: Path) -> None:
    config = RunConfig()
    config.benchmark.data = small_suite(tmp_path)
    config.llm.model = "scripted/test"
    config.llm.api_key = "sk-planted-e2e-secret"  # type: ignore[assignment]
    config.selection.parents_per_generation = 1
    config.controller.agent_max_steps = 4
    config.sandbox.timeout_s = 120
    archive = Archive.create(tmp_path / "run", config)
    model = ScriptedModel(script)
    client = LLMClient(config.llm, backend=model)
    executor = LocalExecutor(workers=2)
    services, evaluator = real_services(archive, config, client, executor,
                                        load_benchmark(config.benchmark))
    try:
        outcome = Controller(archive, services, config).run(SEED_DIR, max_steps=1)
    finally:
        evaluator.close()
        executor.shutdown(cancel=True)
    assert outcome.reason == "max_steps reached (1)"
    root = archive.root
    assert root.status == NodeStatus.evaluated
    train = root.scores["builtin:train"]
    assert (train.passed, train.failed, train.errors) == (1, 3, 0)
    passed = [r for r in archive.results(root.id) if r.outcome == "passed"]
    assert [r.task_id for r in passed] == ["textkit/word-count-whitespace"]
    assert "return len(text.split())" in passed[0].patch and passed[0].tokens > 0
    child = next(n for n in archive.nodes() if n.parent_id == root.id)
    assert child.status == NodeStatus.evaluated and child.proposal.summary == (
        "read the code before submitting")
    assert "Always read the files" in archive.patch(child.id)
    assert child.cost.tokens > 0
    logs = archive.path / "results" / root.id / "logs" / "textkit%2Fword-count-whitespace"
    assert {p.name for p in logs.iterdir()} >= {"1-agent.log", "1-trajectory.log", "1-test.log",
                                                 "1-llm.log"}
    assert "Ran 3 tests" in (logs / "1-test.log").read_text()
    # The key reached the (scripted) provider, and nowhere else: not the archive, not a sandbox.
    for file in archive.path.rglob("*"):
        if file.is_file() and "agents.git" not in file.parts:
            assert b"sk-planted-e2e-secret" not in file.read_bytes(), file


@pytest.fixture
def session_config(tmp_path: Path, monkeypatch) -> RunConfig:  # noqa: ANN001
    """A run config on the small suite whose sessions open the scripted model, not a server."""
    import contextlib

    import dgm.llm.local

    @contextlib.contextmanager
    def scripted_client(config: LLMConfig, **_: object):  # noqa: ANN202
        yield LLMClient(config, backend=ScriptedModel(script))

    monkeypatch.setattr(dgm.llm.local, "open_client", scripted_client)
    config = RunConfig()
    config.benchmark.data = small_suite(tmp_path)
    config.llm.model = "scripted/test"
    config.controller.agent_max_steps = 4
    config.controller.flaky_reruns = 0
    config.controller.report_heldout = False
    return config


@pytest.mark.parametrize("quiet", [False, True])
def test_a_session_shows_the_live_panel_or_json_lines(tmp_path: Path, session_config: RunConfig,
                                                      quiet: bool) -> None:
    """`dgm run`'s session: the model opened, the panel (or JSON lines) fed from the loop."""
    import contextlib

    from rich.console import Console

    from dgm.controller.session import run_session

    config = session_config
    config.executor.workers = 2
    archive = Archive.create(tmp_path / "run", config)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    if quiet:
        with contextlib.redirect_stdout(out):
            outcome = run_session(archive, config, quiet=True, max_steps=0, console=console)
    else:
        outcome = run_session(archive, config, quiet=False, max_steps=0, console=console)
    assert outcome.reason == "max_steps reached (0)"
    assert archive.node(archive.root.id).status == NodeStatus.evaluated
    text = out.getvalue()
    if quiet:
        kinds = [json.loads(line)["event"] for line in text.splitlines()]
        assert kinds[0] == "session_started" and "node_evaluated" in kinds
    else:
        assert "starting the model and the workers" in text
        assert "node_evaluated" in text and "nodes" in text  # the panel's recent events and counts


def test_resume_with_a_raised_node_budget_carries_on(tmp_path: Path,
                                                     session_config: RunConfig) -> None:
    import contextlib

    from typer.testing import CliRunner

    from dgm.cli import app
    from dgm.controller.session import run_session

    config = session_config
    config.selection.parents_per_generation = 1
    config.budget.max_nodes = 1
    archive = Archive.create(tmp_path / "run", config)
    with contextlib.redirect_stdout(io.StringIO()):
        first = run_session(archive, config, quiet=True)
    archive.close()
    assert first.reason.startswith("budget.max_nodes reached")
    bad = CliRunner().invoke(app, ["resume", str(tmp_path / "run"), "--max-hours", "0"])
    assert bad.exit_code != 0 and "budget.max_wall_hours: Input should be greater than 0" in str(
        bad.exception)
    result = CliRunner().invoke(app, ["resume", str(tmp_path / "run"), "--max-nodes", "2"])
    assert result.exit_code == 0, result.output
    assert "budget.max_nodes: 1 -> 2" in result.output
    assert "used 2 nodes of 2 nodes" in result.output
    with Archive.open(tmp_path / "run") as again:
        assert len(again) == 2 and again.config.budget.max_nodes == 2
