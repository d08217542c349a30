"""`dgm agent run` with a scripted model: live steps, the grade, agent sources, bad input."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dgm.agents.cli as agent_cli
from dgm.archive import Archive
from dgm.bench.builtin import default_data_dir
from dgm.cli import app
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.llm.client import LLMClient
from dgm.llm.testing import ScriptedModel

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

TASK = "textkit/word-count-whitespace"
WORDS = default_data_dir() / "tasks" / TASK / "repo" / "textkit" / "words.py"


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-task copy of the builtin suite; the working directory is a fresh folder."""
    data = tmp_path / "suite"
    shutil.copytree(default_data_dir() / "tasks" / TASK, data / "tasks" / TASK)
    (data / "manifest.toml").write_text(f'[[task]]\nid = "{TASK}"\nsplit = "train"\n')
    monkeypatch.chdir(tmp_path)  # no ./dgm.toml: defaults
    return data


def use_model(monkeypatch: pytest.MonkeyPatch, model: ScriptedModel) -> None:
    """Make the command's client answer from the scripted model instead of starting one."""
    @contextmanager
    def scripted_client(config, **_: object) -> Iterator[LLMClient]:  # noqa: ANN001
        yield LLMClient(config.model_copy(update={"model": "scripted/test"}), backend=model)

    monkeypatch.setattr("dgm.llm.local.open_client", scripted_client)


def test_agent_run_shows_each_step_live_then_the_grade(suite: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[dict] = []
    original = agent_cli.show_step
    monkeypatch.setattr(agent_cli, "show_step", lambda step: (shown.append(step), original(step)))
    seen_live = threading.Event()
    fixed = WORDS.read_text().replace('text.split(" ")', "text.split()")
    replies = iter([
        "Let me read it.\n```bash\ncat textkit/words.py\n```",
        f"Split on any whitespace.\n```file textkit/words.py\n{fixed}```",
        "```bash\npython -m unittest -q 2>&1 | tail -3\n```",
    ])

    def script(messages: list[dict]) -> str:
        reply = next(replies, None)
        if reply is not None:
            return reply
        # Before the agent's last step, the steps so far must already be on the screen.
        deadline = time.monotonic() + 10
        while len(shown) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        if len(shown) == 3:
            seen_live.set()
        return "```bash\nsubmit\n```"

    use_model(monkeypatch, ScriptedModel(script))
    logs = tmp_path / "logs"
    result = CliRunner().invoke(app, ["agent", "run", "--task", TASK, "--data", str(suite),
                                      "--logs", str(logs), "--patch"])
    assert result.exit_code == 0, result.output
    assert seen_live.is_set()
    out = result.output
    assert "step 1: bash" in out and "$ cat textkit/words.py" in out
    assert 'return len(text.split(" "))' in out  # the command's output, shown
    assert "step 2: file" in out and "wrote textkit/words.py" in out
    # `python` runs in a sandbox that only has python3: the agent provides it.
    assert shown[2]["returncode"] == 0 and shown[2]["output"].rstrip().endswith("OK")
    assert "step 4: submit" in out and "agent: submitted after 4 steps" in out
    assert "grade: passed" in out and "in textkit/words.py" in out
    assert out.index("step 1: bash") < out.index("grade: passed")
    assert "+    return len(text.split())" in out  # --patch
    assert len((logs / "1-llm.log").read_text().splitlines()) == 4
    assert {"1-agent.log", "1-trajectory.log", "1-test.log"} <= {p.name for p in logs.iterdir()}


def test_agent_run_takes_a_node_of_a_run(suite: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with Archive.create(tmp_path / "runs" / "demo", RunConfig()) as archive:
        root = archive.add_root(agent_cli.SEED_DIR)
    use_model(monkeypatch, ScriptedModel(["Nothing to do.\n```bash\nsubmit\n```"]))
    result = CliRunner().invoke(app, ["agent", "run", "--task", TASK, "--data", str(suite),
                                      "--node", f"demo:{root.id}", "--root",
                                      str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert f"node {root.id} of demo" in result.output
    assert "agent: submitted after 1 steps" in result.output
    assert "grade: failed" in result.output and "patch: 0 lines (no change)" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--task", "textkit/nope"], "no such task in benchmark 'builtin'"),
    (["--task", TASK, "--agent", "."], "not an agent folder"),
    (["--task", TASK, "--agent", ".", "--node", "r:n"], "not both"),
    (["--task", TASK, "--node", "no-colon"], "expected RUN:NODE"),
])
def test_agent_run_names_bad_input(suite: Path, monkeypatch: pytest.MonkeyPatch,
                                   args: list[str], message: str) -> None:
    use_model(monkeypatch, ScriptedModel([]))
    result = CliRunner().invoke(app, ["agent", "run", "--data", str(suite), *args])
    assert isinstance(result.exception, DgmError) and message in str(result.exception)


def test_steps_are_described_briefly() -> None:
    from dgm.agents.live import describe

    title, body = describe({"step": 2, "action": "bash", "model_seconds": 3.2, "seconds": 0.5,
                            "returncode": 1, "command": "python -m unittest",
                            "output": "\n".join(f"line {i}" for i in range(50))})
    assert title == "step 2: bash (model 3.2 s, ran 0.5 s, exit 1)"
    assert body.startswith("$ python -m unittest\n[... 42 more line(s) ...]") and "line 49" in body
    title, body = describe({"step": 3, "action": "format_error", "model_seconds": 1.0,
                            "reply": "\n".join(f"r{i}" for i in range(10))})
    assert body == "reply: r0\nr1\nr2\nr3\n[... 6 more line(s)]"
