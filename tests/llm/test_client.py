"""The client: retries, empty and malformed replies, error classes, accounting."""

from __future__ import annotations

import threading

import pytest

from dgm.llm.client import LLMClient, classify, complete, parse_reply
from dgm.llm.config import LLMConfig
from dgm.llm.testing import Fail, ScriptedError, ScriptedModel
from dgm.llm.types import LLMAuthError, LLMInfraError, LLMRequestError, Usage
from tests.llm.conftest import user


def test_reply_text_usage_and_response_shape(make_client) -> None:
    client, model = make_client(["the answer"], model_kwargs={"prompt_tokens": 12,
                                                             "completion_tokens": 3})
    done = client.complete(user("question"), temperature=0.5)
    assert done.text == "the answer" and done.model == "scripted/test"
    assert done.usage == Usage(prompt_tokens=12, completion_tokens=3, dollars=0.0)
    assert done.response["choices"][0]["message"]["content"] == "the answer"
    assert done.attempts == 1 and not done.replayed
    # Config defaults are sent unless the call overrides them.
    assert model.requests[0]["params"] == {"temperature": 0.5, "max_tokens": 4096}


@pytest.mark.parametrize("failure", [Fail(429), Fail(503), Fail(500), TimeoutError("slow"),
                                     ConnectionResetError("reset")])
def test_transient_failures_are_retried_with_backoff(make_client, sleeps, failure) -> None:
    client, model = make_client([failure, failure, "finally"], retry_backoff_s=1.0)
    done = client.complete(user("q"))
    assert done.text == "finally" and done.attempts == 3 and model.calls == 3
    assert len(sleeps) == 2
    # Exponential with jitter in [0.5, 1.5): first wait about 1 s, second about 2 s.
    assert 0.5 <= sleeps[0] < 1.5 and 1.0 <= sleeps[1] < 3.0


def test_retry_after_header_is_honoured(make_client, sleeps) -> None:
    class Limited(Exception):
        status_code = 429

        class response:  # noqa: N801 - stands in for an HTTP response object
            headers = {"retry-after": "7"}

    client, _ = make_client([Limited("slow down"), "ok"])
    assert client.complete(user("q")).text == "ok"
    assert sleeps == [7.0]


@pytest.mark.parametrize("bad", ["", "   \n", {"choices": []}, {"nothing": 1},
                                 {"choices": [{"message": {"content": 42}}]},
                                 {"choices": [{"message": "text"}]}])
def test_empty_or_malformed_reply_is_retried_then_an_infrastructure_error(make_client, bad) -> None:
    client, model = make_client([bad] * 10, max_retries=2)
    with pytest.raises(LLMInfraError) as info:
        client.complete(user("q"))
    assert model.calls == 3  # one try and two retries
    assert "no usable reply after 3 attempt(s)" in str(info.value)
    assert ("empty reply" in str(info.value)) == (isinstance(bad, str))
    assert client.calls == 0 and client.totals == Usage()  # nothing charged for nothing


def test_empty_then_good_reply_succeeds(make_client) -> None:
    client, _ = make_client(["", "good"])
    assert client.complete(user("q")).attempts == 2


def test_tool_call_reply_without_text_is_not_empty() -> None:
    response = {"choices": [{"message": {"content": None, "tool_calls": [{"id": "1"}]}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2}}
    assert parse_reply(response, user("q")) == ("", None, 5, 2)


def test_missing_usage_is_estimated_so_budgets_still_bind() -> None:
    response = {"choices": [{"message": {"content": "x" * 40}, "finish_reason": "stop"}]}
    text, finish, prompt, completion = parse_reply(response, user("y" * 400))
    assert (finish, prompt, completion) == ("stop", 100, 10)


def test_request_errors_are_not_retried(make_client, sleeps) -> None:
    client, model = make_client([Fail(400, "context too long"), "never"])
    with pytest.raises(LLMRequestError, match="context too long"):
        client.complete(user("q"))
    assert model.calls == 1 and sleeps == []


def test_refused_key_names_its_source_but_not_its_value(make_client) -> None:
    key = "sk-live-0123456789abcdef"
    client, _ = make_client([Fail(401, f"invalid key {key}")], environ={"OPENAI_API_KEY": key},
                            model_kwargs={"resolve_keys": True}, model="openai/gpt-4o-mini")
    with pytest.raises(LLMAuthError) as info:
        client.complete(user("q"))
    assert "environment variable OPENAI_API_KEY" in str(info.value)
    assert key not in str(info.value) and "[redacted]" in str(info.value)


def test_missing_key_says_which_variable_to_set(make_client) -> None:
    client, model = make_client(["x"], model_kwargs={"resolve_keys": True},
                                model="anthropic/claude-sonnet-4-5")
    with pytest.raises(LLMAuthError, match="set ANTHROPIC_API_KEY"):
        client.complete(user("q"))
    assert model.calls == 0


@pytest.mark.parametrize("messages", [[], "hello", [{"content": "no role"}], None])
def test_malformed_conversation_is_a_clear_request_error(make_client, messages) -> None:
    client, model = make_client(["x"])
    with pytest.raises(LLMRequestError, match="messages"):
        client.complete(messages)
    assert model.calls == 0


def test_classification_of_provider_errors() -> None:
    assert classify(ScriptedError(429, "")) == "transient"
    assert classify(ScriptedError(529, "overloaded")) == "transient"
    assert classify(ScriptedError(404, "no such model")) == "request"
    assert classify(ScriptedError(403, "")) == "auth"
    assert classify(ValueError("weird")) == "transient"  # unknown: infrastructure, retried


def test_accounting_sums_tokens_and_dollars(make_client) -> None:
    client, _ = make_client(lambda m: "reply", model_kwargs={
        "prompt_tokens": 1000, "completion_tokens": 200, "price_per_mtok": (3.0, 15.0)})
    first = client.complete(user("a"))
    client.complete(user("b"))
    assert first.usage.dollars == pytest.approx(0.003 + 0.003)
    assert client.totals.prompt_tokens == 2000 and client.totals.completion_tokens == 400
    assert client.totals.dollars == pytest.approx(0.012) and client.calls == 2


def test_config_prices_override_the_backend_and_unknown_prices_are_flagged(make_client) -> None:
    client, _ = make_client(["r"], model_kwargs={"prompt_tokens": 2_000_000,
                                                 "completion_tokens": 1_000_000,
                                                 "price_per_mtok": None})
    done = client.complete(user("q"))
    assert done.usage.dollars == 0.0 and done.usage.priced is False
    client, _ = make_client(["r"], input_price_per_mtok=0.5, output_price_per_mtok=2.0,
                            model_kwargs={"prompt_tokens": 2_000_000,
                                          "completion_tokens": 1_000_000,
                                          "price_per_mtok": None})
    done = client.complete(user("q"))
    assert done.usage.dollars == pytest.approx(3.0) and done.usage.priced


def test_totals_are_exact_under_concurrent_calls(make_client) -> None:
    client, _ = make_client(lambda m: "r", model_kwargs={"prompt_tokens": 3,
                                                         "completion_tokens": 1})
    threads = [threading.Thread(target=lambda: [client.complete(user("q")) for _ in range(50)])
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.calls == 400 and client.totals.total_tokens == 1600


def test_module_level_complete_uses_the_given_backend() -> None:
    done = complete(user("q"), "scripted/x", backend=ScriptedModel(["hi"]),
                    config=LLMConfig(max_retries=0))
    assert done.text == "hi" and done.model == "scripted/x"


def test_litellm_backend_end_to_end_offline() -> None:
    """The real litellm path (import, call, parse, price) with litellm's offline mock reply."""
    client = LLMClient(LLMConfig(model="gpt-4o-mini", max_retries=0),
                       environ={"OPENAI_API_KEY": "sk-test-offline-000000"})
    done = client.complete(user("hi"), mock_response="hello from litellm")
    assert done.text == "hello from litellm"
    assert done.usage.total_tokens > 0 and done.usage.priced and done.usage.dollars > 0
    # litellm's own exception types are classified and retried like any provider error.
    import litellm

    flaky = LLMClient(LLMConfig(model="gpt-4o-mini", max_retries=1),
                      environ={"OPENAI_API_KEY": "sk-test-offline-000000"}, sleep=lambda s: None)
    with pytest.raises(LLMInfraError, match="RateLimitError"):
        flaky.complete(user("hi"), mock_response=litellm.RateLimitError(
            "slow down", llm_provider="openai", model="gpt-4o-mini"))


def test_importing_the_llm_layer_does_not_import_litellm() -> None:
    """litellm costs seconds to import (and may reach the network): only a real call loads it."""
    import subprocess
    import sys

    code = ("import sys, dgm.cli, dgm.llm.client, dgm.llm.proxy, dgm.llm.local, dgm.llm.doctor; "
            "from dgm.llm import open_client; print('litellm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
