"""Model routing and key resolution: where each configured name goes, with which key."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.routes import provider_of, resolve_route
from dgm.llm.testing import ScriptedModel
from dgm.llm.types import LLMAuthError, LLMRequestError
from tests.llm.conftest import PLANTED_KEY


def test_provider_key_comes_from_its_usual_variable() -> None:
    route = resolve_route("anthropic/claude-sonnet-4-5", LLMConfig(),
                          {"ANTHROPIC_API_KEY": PLANTED_KEY})
    assert route.api_key.get_secret_value() == PLANTED_KEY
    assert route.key_source == "environment variable ANTHROPIC_API_KEY"
    assert PLANTED_KEY not in repr(route)  # never shown in a traceback or log
    assert route.call_kwargs() == {"api_key": PLANTED_KEY}


def test_custom_variable_and_config_secret() -> None:
    config = LLMConfig(api_key_env="MY_GATEWAY_KEY")
    with pytest.raises(LLMAuthError, match="set MY_GATEWAY_KEY"):
        resolve_route("openai/gpt-4o", config, {"OPENAI_API_KEY": "ignored-here"})
    assert resolve_route("openai/gpt-4o", config, {"MY_GATEWAY_KEY": "k" * 10}).api_key
    config = LLMConfig(api_key=SecretStr("from-config-123"))
    assert resolve_route("gpt-4o", config, {}).key_source.startswith("llm.api_key")


def test_unknown_provider_without_key_says_what_to_configure() -> None:
    with pytest.raises(LLMAuthError, match="api_key_env"):
        resolve_route("someprovider/model", LLMConfig(), {})


def test_self_hosted_servers_need_no_key() -> None:
    config = LLMConfig(api_base="http://gpu:8000/v1")
    route = resolve_route("hosted_vllm/Qwen/Qwen2.5-Coder-7B-Instruct", config, {})
    assert route.call_kwargs() == {"api_base": "http://gpu:8000/v1", "api_key": "no-key"}
    with pytest.raises(LLMRequestError, match="needs api_base"):
        resolve_route("hosted_vllm/x", LLMConfig(), {})


def test_local_model_goes_to_the_embedded_server() -> None:
    route = resolve_route("local/qwen2.5-coder-1.5b-instruct", LLMConfig(), {},
                          local_api_base="http://127.0.0.1:5555/v1")
    assert route.litellm_model == "openai/qwen2.5-coder-1.5b-instruct" and route.is_local
    assert route.call_kwargs()["api_base"] == "http://127.0.0.1:5555/v1"
    with pytest.raises(LLMRequestError, match="open_client"):
        resolve_route("local/qwen2.5-coder-1.5b-instruct", LLMConfig(), {})


def test_provider_of_bare_names() -> None:
    assert provider_of("claude-3-haiku") == "anthropic"
    assert provider_of("gpt-4o") == "openai"
    assert provider_of("gemini/gemini-2.0") == "gemini"


def test_redaction_covers_every_key_the_host_holds() -> None:
    env = {"ANTHROPIC_API_KEY": PLANTED_KEY, "OPENAI_API_KEY": "sk-openai-abcdefgh12",
           "UNRELATED": "not-a-secret-value"}
    client = LLMClient(LLMConfig(api_key=SecretStr("config-secret-xyz")),
                       backend=ScriptedModel([]), environ=env)
    text = f"{PLANTED_KEY} sk-openai-abcdefgh12 config-secret-xyz not-a-secret-value"
    assert client.redact(text) == "[redacted] [redacted] [redacted] not-a-secret-value"
