"""Done-when of the LLM layer: an agent inside a real sandbox calls a model through the proxy,
with no key anywhere in the sandbox, its output or the archive.

The sandbox is dgm's own bubblewrap backend: SandboxSpec.llm_socket binds the node's socket at
/run/dgm/llm.sock, and nothing else from the host environment enters.
"""

from __future__ import annotations

import shutil

import pytest

from dgm.agents import SEED_DIR
from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.proxy import NodeBudget, NodeProxy
from dgm.llm.testing import ScriptedModel
from dgm.sandbox.base import SandboxSpec
from dgm.sandbox.bwrap import BwrapSandbox
from tests.llm.conftest import PLANTED_KEY

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap not installed (apt-get install -y bubblewrap)")

BUGGY = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
TEST = ("import unittest\nfrom calc import add\n\nclass T(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n")


def bash(command: str) -> str:
    return f"Next step.\n```bash\n{command}\n```"


def test_agent_in_bwrap_solves_a_task_through_the_proxy_without_a_key(
    tmp_path, socket_dir, archive, agent_tree, monkeypatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", PLANTED_KEY)  # in the host's environment only
    root = archive.add_root(agent_tree)
    work = tmp_path / "work"
    (work / "repo").mkdir(parents=True)
    (work / "repo" / "calc.py").write_text(BUGGY)
    (work / "repo" / "test_calc.py").write_text(TEST)
    model = ScriptedModel([
        bash("env; cat calc.py; ls -la /run/dgm"),
        f"The sign is wrong.\n```file calc.py\n{FIXED}```",
        bash("python3 -m unittest -q"),
        bash("submit"),
    ], resolve_keys=True, prompt_tokens=100, completion_tokens=10)
    client = LLMClient(LLMConfig(model="anthropic/claude-sonnet-4-5"), backend=model)
    proxy = NodeProxy(client, socket_dir / f"{root.id}.sock", node_id=root.id,
                      budget=NodeBudget(tokens=10_000), log=lambda: archive.llm_log_path(root.id))
    argv = ["python3", "-m", "seed_agent", "--task", "Fix add() in calc.py.",
            "--workdir", "/work/repo", "--trajectory", "/work/trajectory.json"]
    with proxy:
        spec = SandboxSpec(workdir=work, ro_binds={"/agent": SEED_DIR},
                           llm_socket=proxy.socket_path,
                           env={"PYTHONPATH": "/agent", "DGM_LLM_BACKOFF": "0"})
        with BwrapSandbox(spec) as sandbox:
            done = sandbox.run(argv, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (work / "repo" / "calc.py").read_text() == FIXED
    # Every call reached the model with the host's key, added by the proxy.
    assert model.calls == 4 and {r["api_key"] for r in model.requests} == {PLANTED_KEY}
    assert proxy.usage.total_tokens == 440
    # The agent's `env` ran inside the sandbox: the socket variable is there, no key is.
    observation = model.requests[1]["messages"][-1]["content"]
    assert "DGM_LLM_SOCKET=/run/dgm/llm.sock" in observation and "llm.sock" in observation
    assert "API_KEY" not in observation and PLANTED_KEY not in observation
    # Nothing the sandbox wrote, and nothing in the archive, holds the key.
    log = archive.llm_log_path(root.id)
    assert len(log.read_text().splitlines()) == 4
    for folder in (work, archive.path):
        for path in folder.rglob("*"):
            if path.is_file():
                assert PLANTED_KEY.encode() not in path.read_bytes(), path
