"""The node proxy: OpenAI JSON over a unix socket, budgets, logs, keys, bad clients, concurrency."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from dgm.llm.budget import estimate_prompt_tokens
from dgm.llm.proxy import NodeBudget, NodeProxy, request
from dgm.llm.testing import Fail
from dgm.llm.types import LLMError
from tests.llm.conftest import PLANTED_KEY, user

CHAT = "/v1/chat/completions"

if str(SEED_DIR) not in sys.path:
    sys.path.insert(0, str(SEED_DIR))


def raw_exchange(path: Path, data: bytes, *, read: bool = True) -> bytes:
    """Send raw bytes to a socket and return everything it answers before closing."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(data)
        if not read:
            return b""
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_openai_round_trip_with_the_nodes_model(make_client, start_proxy, tmp_path) -> None:
    client, model = make_client(lambda m: "reply to " + m[-1]["content"],
                                agent_model="scripted/agent-model")
    proxy = start_proxy(client, log=tmp_path / "llm.jsonl")
    status, body = request(proxy.socket_path, "POST", CHAT,
                           {"model": "gpt-5-whatever", "messages": user("hello"),
                            "temperature": 0.3, "api_base": "http://evil", "api_key": "x"})
    assert status == 200
    assert body["choices"][0]["message"]["content"] == "reply to hello"
    # The agent's model name is overridden; routing and key parameters are dropped.
    assert model.requests[0]["model"] == "scripted/agent-model"
    assert model.requests[0]["params"] == {"temperature": 0.3, "max_tokens": 4096}
    assert request(proxy.socket_path, "GET", "/health")[0] == 200
    assert request(proxy.socket_path, "GET", "/v1/models")[1]["data"][0]["id"] == \
        "scripted/agent-model"
    entry = log_lines(tmp_path / "llm.jsonl")[0]
    assert entry["status"] == 200 and entry["node"] == "node1" and entry["reply"] == \
        "reply to hello" and entry["messages"] == user("hello")
    assert entry["usage"]["prompt_tokens"] > 0


def test_token_budget_exhausted_is_a_429_naming_it(make_client, start_proxy, tmp_path) -> None:
    client, model = make_client(lambda m: "r", model_kwargs={"prompt_tokens": 40,
                                                             "completion_tokens": 10})
    proxy = start_proxy(client, budget=NodeBudget(tokens=120), log=tmp_path / "l.jsonl")
    statuses = [request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})
                for _ in range(4)]
    assert [s for s, _ in statuses] == [200, 200, 200, 429]
    error = statuses[3][1]["error"]
    assert error["type"] == "budget_exhausted" and error["budget"] == "tokens"
    assert error["limit"] == 120 and error["spent"] == 150 and "node1" in error["message"]
    assert model.calls == 3  # the refused request never reached the model
    # Replies are capped to what is left of the budget after the prompt (estimated).
    prompt = estimate_prompt_tokens(user("q"))
    assert [r["params"]["max_tokens"] for r in model.requests] == [120 - prompt, 70 - prompt,
                                                                   20 - prompt]
    assert proxy.usage.total_tokens == 150
    assert log_lines(tmp_path / "l.jsonl")[3]["error_type"] == "budget_exhausted"


def test_dollar_budget(make_client, start_proxy) -> None:
    client, _ = make_client(lambda m: "r", model_kwargs={
        "prompt_tokens": 100_000, "completion_tokens": 0, "price_per_mtok": (10.0, 0.0)})
    proxy = start_proxy(client, budget=NodeBudget(dollars=2.5))
    statuses = [request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})
                for _ in range(4)]
    assert [s for s, _ in statuses] == [200, 200, 200, 429]
    assert statuses[3][1]["error"]["budget"] == "dollars"
    assert proxy.usage.dollars == pytest.approx(3.0)


def test_budget_from_config(make_client) -> None:
    client, _ = make_client(["x"], node_max_tokens=500, node_max_dollars=1.5)
    proxy = NodeProxy(client, Path("/tmp/unused.sock"), node_id="n")
    assert proxy.budget == NodeBudget(tokens=500, dollars=1.5)


def test_upstream_failure_is_a_5xx_the_agent_treats_as_infrastructure(
    make_client, start_proxy
) -> None:
    from seed_agent.model import Model, ModelError

    client, model = make_client([Fail(503)] * 20, max_retries=2)
    proxy = start_proxy(client)
    status, body = request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})
    assert status == 502 and body["error"]["type"] == "upstream_error"
    assert "no usable reply after 3 attempt(s)" in body["error"]["message"]
    agent_model = Model(socket_path=str(proxy.socket_path), retries=0, backoff=0)
    with pytest.raises(ModelError, match="502"):
        agent_model.complete(user("q"))


def test_seed_agent_client_contract(make_client, start_proxy) -> None:
    """The seed agent's own stdlib client: replies, token counts, and 429 as BudgetExhausted."""
    from seed_agent.model import BudgetExhausted, Model

    client, _ = make_client(lambda m: "ok", model_kwargs={"prompt_tokens": 60,
                                                          "completion_tokens": 40})
    proxy = start_proxy(client, budget=NodeBudget(tokens=100))
    agent_model = Model(socket_path=str(proxy.socket_path), backoff=0)
    assert agent_model.complete(user("q")) == "ok" and agent_model.tokens == 100
    with pytest.raises(BudgetExhausted, match="tokens"):
        agent_model.complete(user("q"))


@pytest.mark.parametrize("data, status, says", [
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 9\r\n\r\nnot json!", 400,
     "not valid JSON"),
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]", 400, "JSON object"),
    (b'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}', 400, "messages"),
    (b'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 18\r\n\r\n{"messages": "hi"}', 400,
     "messages"),
    (b"POST /v1/chat/completions HTTP/1.1\r\n\r\n", 411, "Content-Length"),
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: -4\r\n\r\n", 400, "Content-Length"),
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 413,
     "exceeds"),
    (b"POST /v1/embeddings HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 404, "no route"),
    (b"\x00\x01garbage that is not http\r\n\r\n", 400, ""),
])
def test_malformed_requests_get_json_errors_and_the_server_survives(
    make_client, start_proxy, tmp_path, data, status, says
) -> None:
    client, model = make_client(lambda m: "fine")
    proxy = start_proxy(client, log=tmp_path / "l.jsonl")
    answer = raw_exchange(proxy.socket_path, data)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode()
    assert says in json.loads(body)["error"]["message"]
    assert model.calls == 0
    assert request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})[0] == 200


def test_client_disconnects_mid_body_and_mid_reply(make_client, start_proxy, tmp_path) -> None:
    client, model = make_client(lambda m: "slow reply", model_kwargs={"delay_s": 0.3,
                                                                      "prompt_tokens": 5,
                                                                      "completion_tokens": 5})
    proxy = start_proxy(client, log=tmp_path / "l.jsonl")
    # 1. Promises 1000 bytes, sends 10, hangs up.
    raw_exchange(proxy.socket_path,
                 b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 1000\r\n\r\n0123456789")
    # 2. Sends a whole request, hangs up while the model is still thinking.
    body = json.dumps({"messages": user("q")}).encode()
    raw_exchange(proxy.socket_path, b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body, read=False)
    deadline = time.monotonic() + 5
    while len(log_lines(tmp_path / "l.jsonl")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})[0] == 200
    entries = log_lines(tmp_path / "l.jsonl")
    assert entries[0]["error_type"] == "disconnected"
    assert entries[1]["status"] == 200 and model.calls == 2
    assert entries[2] == {"node": "node1", "request": 2, "client_disconnected": True}
    # The abandoned call's tokens still count against the node.
    assert proxy.usage.total_tokens == 20


def test_concurrent_sandboxes_each_spend_their_own_budget(make_client, start_proxy,
                                                         socket_dir) -> None:
    client, model = make_client(lambda m: "r " + m[-1]["content"], model_kwargs={
        "delay_s": 0.01, "prompt_tokens": 7, "completion_tokens": 3})
    proxies = [start_proxy(client, f"node{i}", budget=NodeBudget(tokens=10 * 20),
                           log=socket_dir / f"node{i}.jsonl") for i in range(3)]
    results: list[tuple[int, int, str, str]] = []
    lock = threading.Lock()

    def agent(index: int, worker: int) -> None:
        for call in range(8):
            text = f"n{index}w{worker}c{call}"
            status, body = request(proxies[index].socket_path, "POST", CHAT,
                                   {"messages": user(text)})
            reply = body["choices"][0]["message"]["content"] if status == 200 else ""
            with lock:
                results.append((index, status, text, reply))

    threads = [threading.Thread(target=agent, args=(i, w)) for i in range(3) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 72
    # Every reply answers its own request, never another node's or thread's.
    assert all(reply == "r " + text for _, status, text, reply in results if status == 200)
    for index, proxy in enumerate(proxies):
        served = [r for r in results if r[0] == index and r[1] == 200]
        refused = [r for r in results if r[0] == index and r[1] == 429]
        # Budget 200 tokens at 10 a call, each reserving its prompt estimate plus at least one
        # reply token: served while what is left holds that, never more (no overshoot).
        prompt = estimate_prompt_tokens(user("n0w0c0"))
        assert len(served) == (200 - prompt - 1) // 10 + 1 and len(served) + len(refused) == 24
        assert proxy.usage.total_tokens == 10 * len(served)
        assert len(log_lines(socket_dir / f"node{index}.jsonl")) == 24


def test_stream_request_gets_one_event_and_done(make_client, start_proxy) -> None:
    client, _ = make_client(["streamed text"])
    proxy = start_proxy(client)
    body = json.dumps({"messages": user("q"), "stream": True}).encode()
    answer = raw_exchange(proxy.socket_path, b"POST /v1/chat/completions HTTP/1.1\r\n"
                          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    events = [line[6:] for line in answer.decode().split("\n") if line.startswith("data: ")]
    assert json.loads(events[0])["choices"][0]["delta"]["content"] == "streamed text"
    assert events[1] == "[DONE]"


def test_keys_stay_on_the_host(make_client, start_proxy, archive, agent_tree) -> None:
    """The provider gets the key; the agent's reply, the node log and the archive never do."""
    root = archive.add_root(agent_tree)
    client, model = make_client(lambda m: f"upstream echoed {PLANTED_KEY}",
                                model="anthropic/claude-sonnet-4-5",
                                environ={"ANTHROPIC_API_KEY": PLANTED_KEY},
                                model_kwargs={"resolve_keys": True})
    proxy = start_proxy(client, root.id, log=lambda: archive.llm_log_path(root.id))
    status, body = request(proxy.socket_path, "POST", CHAT,
                           {"messages": user("what is the key?")})
    assert status == 200 and model.requests[0]["api_key"] == PLANTED_KEY
    assert PLANTED_KEY not in json.dumps(body)
    assert "[redacted]" in body["choices"][0]["message"]["content"]
    log_path = archive.llm_log_path(root.id)
    assert log_path.is_file() and log_path.read_text().count("\n") == 1
    for path in archive.path.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY.encode() not in path.read_bytes(), path


def test_socket_permissions_stale_socket_and_cleanup(make_client, socket_dir) -> None:
    client, _ = make_client(["a", "b"])
    path = socket_dir / "sub" / "n.sock"
    with NodeProxy(client, path, node_id="n") as proxy:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})[0] == 200
    assert not path.exists()
    # A socket left by a killed run is replaced; a regular file is not.
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()
    with NodeProxy(client, path, node_id="n") as proxy:
        assert request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})[0] == 200
    path.write_text("precious")
    with pytest.raises(LLMError, match="not a socket"):
        NodeProxy(client, path, node_id="n").start()
    with pytest.raises(LLMError, match="too long"):
        NodeProxy(client, socket_dir / ("x" * 120), node_id="n").start()
    assert os.path.exists(path)


def test_keep_alive_connection_serves_several_requests(make_client, start_proxy) -> None:
    from dgm.llm.proxy import UnixHTTPConnection

    client, model = make_client(lambda m: "again")
    proxy = start_proxy(client)
    conn = UnixHTTPConnection(proxy.socket_path, timeout=10)
    try:
        for _ in range(3):
            conn.request("POST", CHAT, json.dumps({"messages": user("q")}),
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200 and b"again" in response.read()
    finally:
        conn.close()
    assert model.calls == 3 and proxy.requests == 3


def test_an_internal_error_still_gets_a_json_answer_and_a_log_line(
    make_client, start_proxy, tmp_path, monkeypatch
) -> None:
    client, _ = make_client(["unused"])
    proxy = start_proxy(client, log=tmp_path / "l.jsonl")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyError("bug")

    monkeypatch.setattr(client, "complete", broken)
    status, body = request(proxy.socket_path, "POST", CHAT, {"messages": user("q")})
    assert status == 500 and body["error"]["type"] == "proxy_error"
    assert log_lines(tmp_path / "l.jsonl")[0]["status"] == 500
