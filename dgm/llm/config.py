"""Configuration of the language models the controller and the agents call."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from dgm._model import ConfigModel


class LLMConfig(ConfigModel):
    """Which models are called, how, and what is recorded."""

    model: str = Field(
        "local/qwen2.5-coder-1.5b-instruct",
        description=(
            "Controller model in litellm form: 'anthropic/...', 'openai/...', "
            "'hosted_vllm/<name>' with api_base, or 'local/<name>' for the embedded CPU model."
        ),
    )
    agent_model: str | None = Field(
        None, description="Model the agents call through the proxy. Unset: same as model."
    )
    api_base: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server (vLLM, llama.cpp, ...)."
    )
    api_key_env: str | None = Field(
        None,
        description=(
            "Name of the environment variable holding the API key. Unset: the provider's usual "
            "one (e.g. ANTHROPIC_API_KEY). Keys never go in this file or into a sandbox."
        ),
    )
    api_key: SecretStr | None = Field(
        None,
        description=(
            "The API key itself. Prefer api_key_env; DGM_LLM_API_KEY overrides this value and "
            "the override is reported. Never written to a run archive."
        ),
        json_schema_extra={"secret": True},
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(4096, gt=0, description="Most tokens in one reply.")
    timeout_s: float = Field(600.0, gt=0, description="Seconds before one call is abandoned.")
    max_retries: int = Field(
        4, ge=0, description="Retries on rate limits, timeouts, 5xx and empty replies."
    )
    cassette: Path | None = Field(
        None, description="JSONL file of recorded calls (see cassette_mode)."
    )
    cassette_mode: Literal["off", "record", "replay"] = Field(
        "off", description="'record' appends every call to the cassette; 'replay' answers from it."
    )
