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
            "'hosted_vllm/<name>' with api_base, or 'local/<name>' for the embedded CPU model "
            "(installed by `dgm models install`)."
        ),
    )
    agent_model: str | None = Field(
        None, description="Model the agents call through the proxy. Unset: same as model."
    )
    api_base: str | None = Field(
        None,
        description=(
            "Base URL of an OpenAI-compatible server (vLLM, llama.cpp, a gateway), e.g. "
            "'http://gpu-host:8000/v1'; used for every model except local/ ones."
        ),
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
    retry_backoff_s: float = Field(
        1.0, ge=0, description="First retry waits about this long; each next one twice as long."
    )
    input_price_per_mtok: float | None = Field(
        None, ge=0,
        description=(
            "US dollars per million prompt tokens, used for every model instead of litellm's "
            "price table (set it for a paid self-hosted endpoint). Unset: litellm's price; "
            "local/ models cost 0."
        ),
    )
    output_price_per_mtok: float | None = Field(
        None, ge=0, description="US dollars per million reply tokens (see input_price_per_mtok)."
    )
    node_max_tokens: int | None = Field(
        None, gt=0,
        description=(
            "Most tokens (prompt plus reply) a node's agent may spend through the proxy on "
            "one task attempt (or one self-edit, or one smoke test): each gets its own proxy "
            "and budget. Past it the proxy answers HTTP 429. Unset: unlimited."
        ),
    )
    node_max_dollars: float | None = Field(
        None, gt=0,
        description=("Most US dollars a node's agent may spend through the proxy on one task "
                     "attempt (see node_max_tokens). Unset: unlimited."),
    )
    local_threads: int | None = Field(
        None, gt=0, description="CPU threads of the embedded local model. Unset: all cores."
    )
    local_context: int = Field(
        8192, ge=512, description="Context window (tokens) of the embedded local model."
    )
    cassette: Path | None = Field(
        None, description="JSONL file of recorded calls (see cassette_mode)."
    )
    cassette_mode: Literal["off", "record", "replay"] = Field(
        "off", description="'record' appends every call to the cassette; 'replay' answers from it."
    )
