"""Where a configured model name is sent: the litellm model string, its endpoint, and its key.

Keys are read here, on the host, and only here: from the config's secret, else the variable
named by `api_key_env`, else the provider's usual variable. Nothing in this module prints a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from dgm.llm.config import LLMConfig
from dgm.llm.types import LLMAuthError, LLMRequestError

LOCAL_PREFIX = "local/"
# Providers whose models are OpenAI-compatible servers we (or the user) run: no key required.
SELF_HOSTED = ("openai", "hosted_vllm")
# The variable each common provider's key is usually in (litellm reads the same names).
PROVIDER_KEY_ENV = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "xai": "XAI_API_KEY",
    "cohere": "COHERE_API_KEY",
}


@dataclass(frozen=True)
class Route:
    """How to reach one model: litellm's name for it, its base URL and its key (if any)."""

    model: str  # as configured, e.g. 'anthropic/claude-sonnet-4-5' or 'local/qwen...'
    litellm_model: str
    provider: str
    api_base: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
    key_source: str = ""  # where the key came from, for messages (never the key itself)

    @property
    def is_local(self) -> bool:
        """Whether this is the embedded CPU model."""
        return self.model.startswith(LOCAL_PREFIX)

    def call_kwargs(self) -> dict[str, str]:
        """Endpoint and credential arguments for litellm.completion."""
        out: dict[str, str] = {}
        if self.api_base:
            out["api_base"] = self.api_base
        if self.api_key is not None:
            out["api_key"] = self.api_key.get_secret_value()
        elif self.provider in SELF_HOSTED and self.api_base:
            # The OpenAI SDK refuses to send a request without some key; local servers ignore it.
            out["api_key"] = "no-key"
        return out


def provider_of(model: str) -> str:
    """The provider part of a litellm model name ('gpt-4o' and 'claude-*' have none)."""
    if "/" in model:
        return model.split("/", 1)[0]
    if model.startswith("claude"):
        return "anthropic"
    if model.startswith(("gpt-", "o1", "o3", "o4")):
        return "openai"
    return ""


def key_env_name(config: LLMConfig, provider: str) -> str | None:
    """The environment variable the key for `provider` is read from."""
    return config.api_key_env or PROVIDER_KEY_ENV.get(provider)


def resolve_route(
    model: str, config: LLMConfig, environ: Mapping[str, str], *, local_api_base: str | None = None
) -> Route:
    """Resolve a configured model name; a missing key raises LLMAuthError naming the variable."""
    if not model or model.strip() != model:
        raise LLMRequestError(f"invalid model name {model!r}")
    if model.startswith(LOCAL_PREFIX):
        name = model[len(LOCAL_PREFIX):]
        if not local_api_base:
            raise LLMRequestError(
                f"model {model!r} is the embedded local model, but its server is not running: "
                "open the client with dgm.llm.open_client(config), which starts it"
            )
        return Route(model, f"openai/{name}", "openai", api_base=local_api_base)
    provider = provider_of(model)
    env_name = key_env_name(config, provider)
    key: SecretStr | None = None
    source = ""
    if config.api_key is not None:
        key, source = config.api_key, "llm.api_key (or DGM_LLM_API_KEY)"
    elif env_name and environ.get(env_name):
        key, source = SecretStr(environ[env_name]), f"environment variable {env_name}"
    if key is None and not (config.api_base and provider in SELF_HOSTED):
        if provider == "hosted_vllm":
            raise LLMRequestError(
                f"model {model!r} needs api_base: the URL of the vLLM server "
                "(`dgm serve MODEL` prints it)"
            )
        wanted = env_name or "the provider's API key variable (set llm.api_key_env to its name)"
        raise LLMAuthError(
            f"no API key for model {model!r}: set {wanted} in the environment of the dgm "
            "process (or DGM_LLM_API_KEY); keys never go into sandboxes or the archive"
        )
    return Route(model, model, provider, api_base=config.api_base, api_key=key, key_source=source)
