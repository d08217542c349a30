"""Node budgets under concurrency: reservations, settling, release on failure, reply-cap clamps."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from dgm.llm.budget import (
    MEDIA_TOKENS,
    BudgetBusyError,
    BudgetLedger,
    NodeBudget,
    Price,
    estimate_prompt_tokens,
    litellm_token_count,
)
from dgm.llm.proxy import UnixHTTPConnection, request
from dgm.llm.testing import Fail
from dgm.llm.types import BudgetExhaustedError, Usage
from tests.llm.conftest import user

CHAT = "/v1/chat/completions"


def post(socket_path: Path, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """One chat request; (status, headers, parsed body)."""
    conn = UnixHTTPConnection(socket_path, timeout=30)
    try:
        conn.request("POST", CHAT, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def in_parallel(count: int, work: Any) -> list[Any]:
    """Run work(i) for i in range(count) in threads released together; their results in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait(timeout=10)
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def held_script(first: int, reply: str = "r") -> tuple[Any, threading.Barrier]:
    """A script whose first `first` calls wait until that many are inside the model at once."""
    meeting = threading.Barrier(first, timeout=20)
    calls = {"n": 0}
    lock = threading.Lock()

    def script(messages: list[dict[str, Any]]) -> str:
        with lock:
            calls["n"] += 1
            number = calls["n"]
        if number <= first:
            meeting.wait()  # proves these requests were in flight together
        return reply

    return script, meeting


# ------------------------------------------------------------------------- through the proxy


def test_concurrent_requests_never_overshoot_the_token_budget(make_client, start_proxy,
                                                              tmp_path) -> None:
    # Every reply uses its whole cap (200 tokens); prompts count 3. A budget of 1000 holds four
    # full reservations (prompt estimate + 200) at once, then one request capped to the rest.
    script, _ = held_script(4)
    client, model = make_client(script, model_kwargs={
        "prompt_tokens": 3, "completion_tokens": 200, "honor_max_tokens": True})
    proxy = start_proxy(client, budget=NodeBudget(tokens=1000), log=tmp_path / "l.jsonl")
    prompt = estimate_prompt_tokens(user("question 0"))
    answers = in_parallel(10, lambda i: post(proxy.socket_path, {
        "messages": user(f"question {i}"), "max_tokens": 200}))
    served = [a for a in answers if a[0] == 200]
    refused = [a for a in answers if a[0] == 429]
    assert len(served) == 5 and len(refused) == 5
    assert all(body["error"]["type"] == "budget_exhausted" and body["error"]["budget"] ==
               "tokens" for _, _, body in refused)
    # Never past the budget, and the proxy charged exactly what the replies reported.
    charged = sum(body["usage"]["total_tokens"] for _, _, body in served)
    assert proxy.usage.total_tokens == charged <= 1000
    caps = sorted(r["params"]["max_tokens"] for r in model.requests)
    assert caps == sorted([200] * 4 + [1000 - 4 * 203 - prompt])
    assert model.calls == 5 and proxy._ledger.in_flight == 0


def test_concurrent_requests_never_overshoot_the_dollar_budget(make_client, start_proxy) -> None:
    # $1 a reply token, prompts free: $900 holds four 200-token replies, then one of 100.
    script, _ = held_script(4)
    client, model = make_client(script, model_kwargs={
        "prompt_tokens": 3, "completion_tokens": 200, "honor_max_tokens": True,
        "price_per_mtok": (0.0, 1_000_000.0)})
    proxy = start_proxy(client, budget=NodeBudget(dollars=900.0))
    answers = in_parallel(8, lambda i: post(proxy.socket_path, {
        "messages": user(f"q{i}"), "max_tokens": 200}))
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * 5 + [429] * 3
    assert all(body["error"]["budget"] == "dollars" for s, _, body in answers if s == 429)
    assert proxy.usage.dollars == pytest.approx(900.0) and proxy.usage.dollars <= 900.0 + 1e-9
    assert sorted(r["params"]["max_tokens"] for r in model.requests) == [100] + [200] * 4


def test_a_failed_request_releases_its_reservation(make_client, start_proxy,
                                                   monkeypatch) -> None:
    client, model = make_client([Fail(503), Fail(400, "bad tool schema"), "ok"], max_retries=0)
    proxy = start_proxy(client, budget=NodeBudget(tokens=1000))
    proxy.reserve_wait_s = 0.2  # a leaked reservation would make the next request wait, then 503
    assert post(proxy.socket_path, {"messages": user("q"), "max_tokens": 900})[0] == 502
    assert post(proxy.socket_path, {"messages": user("q"), "max_tokens": 900})[0] == 400
    status, headers, _ = post(proxy.socket_path, {"messages": user("q"), "max_tokens": 900})
    assert status == 200 and "X-DGM-Max-Tokens" not in headers
    assert [r["params"]["max_tokens"] for r in model.requests] == [900, 900, 900]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(client, "complete", broken)
    assert post(proxy.socket_path, {"messages": user("q"), "max_tokens": 900})[0] == 500
    assert proxy._ledger.in_flight == 0
    # Nothing failed was charged: only the one reply (1 prompt + 1 reply token, scripted).
    assert proxy.usage.total_tokens == 2


def test_reply_cap_is_lowered_to_what_is_left_and_the_reply_says_so(
    make_client, start_proxy, tmp_path
) -> None:
    client, model = make_client(lambda m: "x" * 4000, model_kwargs={"honor_max_tokens": True,
                                                                   "prompt_tokens": 5})
    proxy = start_proxy(client, budget=NodeBudget(tokens=150), log=tmp_path / "l.jsonl")
    prompt = estimate_prompt_tokens(user("q"))
    status, headers, body = post(proxy.socket_path, {"messages": user("q")})  # default 4096
    assert status == 200 and body["choices"][0]["finish_reason"] == "length"
    assert model.requests[0]["params"]["max_tokens"] == 150 - prompt
    assert headers["X-DGM-Max-Tokens"].startswith(f"{150 - prompt} (asked 4096;")
    entry = json.loads((tmp_path / "l.jsonl").read_text().splitlines()[0])
    assert entry["max_tokens_clamped"] == {"asked": 4096, "sent": 150 - prompt}
    assert entry["reserved"]["tokens"] == 150 and "over_reservation" not in entry
    assert proxy.usage.total_tokens == 5 + 150 - prompt <= 150


def test_dollar_budget_lowers_the_reply_cap(make_client, start_proxy) -> None:
    # $0.01 a reply token, prompts free, $0.5 left: at most 50 reply tokens.
    client, model = make_client(lambda m: "x" * 4000, model_kwargs={
        "honor_max_tokens": True, "prompt_tokens": 5, "price_per_mtok": (0.0, 10_000.0)})
    proxy = start_proxy(client, budget=NodeBudget(dollars=0.5))
    status, headers, _ = post(proxy.socket_path, {"messages": user("q"), "max_tokens": 1000})
    assert status == 200 and model.requests[0]["params"]["max_tokens"] == 50
    assert "X-DGM-Max-Tokens" in headers and proxy.usage.dollars <= 0.5 + 1e-12


def test_a_prompt_larger_than_what_is_left_is_refused_before_the_model(make_client,
                                                                        start_proxy) -> None:
    client, model = make_client(lambda m: "r")
    proxy = start_proxy(client, budget=NodeBudget(tokens=100))
    status, _, body = post(proxy.socket_path, {"messages": user("long " * 200)})
    assert status == 429 and body["error"]["budget"] == "tokens"
    assert "prompt is about" in body["error"]["message"] and model.calls == 0


def test_a_request_waits_for_in_flight_ones_instead_of_a_false_429(make_client,
                                                                   start_proxy) -> None:
    release = threading.Event()

    def slow_first(messages: list[dict[str, Any]]) -> str:
        if messages[-1]["content"] == "first":
            release.wait(timeout=20)
        return "r"

    client, model = make_client(slow_first, model_kwargs={"prompt_tokens": 3,
                                                          "completion_tokens": 10})
    proxy = start_proxy(client, budget=NodeBudget(tokens=1000))
    proxy.reserve_wait_s = 0.3
    first = threading.Thread(target=post, args=(proxy.socket_path, {
        "messages": user("first"), "max_tokens": 900}))
    first.start()
    while model.calls < 1:
        threading.Event().wait(0.01)
    # The first holds 900+ of 1000: a second 900 cannot fit yet. It waits, then gets a 503
    # worth retrying, never a 429 that would end the agent.
    status, _, body = post(proxy.socket_path, {"messages": user("second"), "max_tokens": 900})
    assert status == 503 and body["error"]["type"] == "budget_busy"
    # Once the first settles (13 tokens), the same request fits whole.
    proxy.reserve_wait_s = 20
    waiting = threading.Thread(target=lambda: waiting_result.append(post(
        proxy.socket_path, {"messages": user("third"), "max_tokens": 900})))
    waiting_result: list[Any] = []
    waiting.start()
    threading.Event().wait(0.1)
    release.set()
    first.join(timeout=20)
    waiting.join(timeout=20)
    assert waiting_result[0][0] == 200 and model.requests[-1]["params"]["max_tokens"] == 900
    assert proxy.usage.total_tokens == 26


def test_max_tokens_must_be_a_positive_integer(make_client, start_proxy) -> None:
    client, model = make_client(lambda m: "r")
    proxy = start_proxy(client, budget=NodeBudget(tokens=1000))
    for bad in (0, -5, "many", 2.5, True):
        status, body = request(proxy.socket_path, "POST", CHAT,
                               {"messages": user("q"), "max_tokens": bad})
        assert status == 400 and "max_tokens" in body["error"]["message"], bad
    assert model.calls == 0


# ------------------------------------------------------------------------- the ledger itself


def test_ledger_reserve_settle_release() -> None:
    ledger = BudgetLedger(NodeBudget(tokens=100))
    first = ledger.reserve(10, 50, None, wait_s=0)
    assert (first.tokens, first.clamped) == (60, False)
    with pytest.raises(BudgetBusyError, match="1 request"):
        ledger.reserve(10, 50, None, wait_s=0.05)  # 40 free now; would fit after settling
    ledger.release(first)
    second = ledger.reserve(10, 200, None, wait_s=0)  # alone: capped to what is left
    assert (second.max_tokens, second.asked, second.clamped) == (90, 200, True)
    ledger.settle(second, Usage(prompt_tokens=8, completion_tokens=90))
    assert ledger.spent.total_tokens == 98 and ledger.in_flight == 0
    with pytest.raises(BudgetExhaustedError, match="prompt is about 10 tokens"):
        ledger.reserve(10, 5, None, wait_s=0)


def test_ledger_dollars_and_unpriced_models() -> None:
    ledger = BudgetLedger(NodeBudget(dollars=1.0))
    held = ledger.reserve(100, 1000, Price(prompt=0.2, per_reply_token=0.001), wait_s=0)
    assert held.max_tokens == 800 and held.dollars == pytest.approx(1.0)
    ledger.release(held)
    unpriced = ledger.reserve(100, 1000, None, wait_s=0)  # no price known: nothing to hold
    assert unpriced.max_tokens == 1000 and unpriced.dollars == 0.0
    with pytest.raises(BudgetExhaustedError, match="dollars"):
        BudgetLedger(NodeBudget(dollars=0.1)).reserve(
            100, 10, Price(prompt=0.2, per_reply_token=0.0), wait_s=0)


def test_unlimited_budget_never_clamps_or_waits() -> None:
    ledger = BudgetLedger(NodeBudget())
    held = [ledger.reserve(0, 10**6, None, wait_s=0) for _ in range(50)]
    assert all(not r.clamped for r in held) and ledger.in_flight == 50


# ------------------------------------------------------------------------- the estimate


def test_estimate_counts_media_by_size_not_base64_length() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 300_000}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, image]}]
    text_only = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}]}]
    assert estimate_prompt_tokens(messages) == estimate_prompt_tokens(text_only) + MEDIA_TOKENS
    tools = [{"type": "function", "function": {"name": "run", "parameters": {"type": "object"}}}]
    assert estimate_prompt_tokens(text_only, tools) > estimate_prompt_tokens(text_only)


def test_estimate_is_above_a_real_tokenizer_on_hard_text() -> None:
    """Hashes, base64, CJK, code: never below litellm's tokenizer count once it is used."""
    import random
    import string

    rnd = random.Random(7)
    code = Path(__file__).read_text()
    samples = {
        "code": code,
        "hex": "".join(rnd.choice("0123456789abcdef") for _ in range(6000)),
        "base64": "".join(rnd.choice(string.ascii_letters + string.digits + "+/")
                          for _ in range(6000)),
        "cjk": "预算在并发请求下也必须成立。日本語の文も。" * 100,
    }
    for name, text in samples.items():
        messages = user(text)
        real = litellm_token_count(text)
        estimate = estimate_prompt_tokens(messages, count=litellm_token_count)
        assert estimate >= 1.2 * real, name
    # Characters alone undercount random strings; the tokenizer is what covers them.
    assert estimate_prompt_tokens(user(samples["base64"])) < litellm_token_count(
        samples["base64"])
