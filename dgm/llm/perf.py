"""LLM rows of `dgm perf`: the proxy's overhead per request, and the local model's tokens/s.

The proxy row answers from a scripted model (instant), so the difference between calling the
client through the proxy and calling it directly is the proxy's own cost: HTTP over the unix
socket, JSON both ways, budget check, and the log line. The local-model row needs the model
installed (`dgm models install`) and xllamacpp; without them it is skipped with a note.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.proxy import NodeBudget, NodeProxy, request
from dgm.llm.testing import ScriptedModel
from dgm.perf import PerfContext, PerfRow, time_calls

SUITE = "llm"
PROXY_TARGET_S = 0.005
_MESSAGES = [
    {"role": "system", "content": "You are a coding agent. " * 40},
    {"role": "user", "content": "Fix the failing test in tests/test_parser.py. " * 20},
]


def _proxy_rows(ctx: PerfContext) -> Iterator[PerfRow]:
    reply = "```python\ndef parse(text):\n    return text.split(',')\n```\n" * 8
    client = LLMClient(LLMConfig(model="scripted/perf"), backend=ScriptedModel(lambda _m: reply))

    def direct(_: int) -> None:
        client.complete(_MESSAGES)

    baseline = time_calls(direct, ctx.repeat * 5, warmup=5)
    # A short folder: unix socket paths are limited to 107 bytes.
    sockets = Path(tempfile.mkdtemp(prefix="dgm-perf-"))
    log = ctx.scratch("llm") / "llm.jsonl"
    proxy = NodeProxy(client, sockets / "node.sock", node_id="perf",
                      budget=NodeBudget(tokens=10**12, dollars=10.0**6), log=log)
    with proxy:
        body = {"model": "agent", "messages": _MESSAGES}

        def through_proxy(_: int) -> None:
            status, _reply = request(proxy.socket_path, "POST", "/v1/chat/completions", body)
            if status != 200:
                raise RuntimeError(f"proxy answered {status}")

        samples = time_calls(through_proxy, ctx.repeat * 5, warmup=5)
    sockets.rmdir()
    yield PerfRow(
        SUITE, "proxy chat request (instant model)", samples,
        "client called directly", baseline,
        target=f"<= {PROXY_TARGET_S * 1000:.0f} ms added (p50)",
        check=lambda row: row.p50 - row.baseline_p50 <= PROXY_TARGET_S,
    )


def _local_rows(ctx: PerfContext) -> Iterator[PerfRow]:
    from dgm.llm.local import LocalServer, xllamacpp_available
    from dgm.llm.models import DEFAULT_LOCAL_MODEL, get_spec, model_path, verify_model

    spec = get_spec(DEFAULT_LOCAL_MODEL)
    if not (xllamacpp_available() and verify_model(spec, model_path(spec), full=False).ok):
        ctx.notes.append(
            "llm: local model tokens/s not measured: needs `pip install 'dgm[local]'` and "
            "`dgm models install`"
        )
        return
    config = LLMConfig(max_tokens=32 if ctx.quick else 96, max_retries=0)
    server = LocalServer.from_config(config, DEFAULT_LOCAL_MODEL)
    runs = 2 if ctx.quick else min(ctx.repeat, 5)
    measured: list[float] = []
    reported: list[float] = []
    prompt = [{"role": "user", "content": "Write a Python class implementing a binary search "
                                          "tree with insert, delete and in-order traversal."}]
    with server:
        client = LLMClient(config, local_api_base=server.api_base)
        client.complete(prompt, f"local/{spec.name}", max_tokens=4)  # warm up (litellm import)
        for _ in range(runs):
            done = client.complete(prompt, f"local/{spec.name}")
            measured.append(done.usage.completion_tokens / done.latency_s)
            timings = done.response.get("timings") or {}
            reported.append(float(timings.get("predicted_per_second") or 0.0))
    yield PerfRow(
        SUITE, f"local model decode via client ({server.threads} threads)",
        measured, "llama.cpp's own count", reported, unit="tok/s",
        target=">= 5 tok/s", check=lambda row: row.p50 >= 5.0,
    )


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """Measure the LLM layer."""
    yield from _proxy_rows(ctx)
    yield from _local_rows(ctx)
