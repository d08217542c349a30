"""`complete(messages, model, **params)`: one chat completion over litellm, with retries,
empty-reply detection, token and dollar accounting, and record/replay to a JSONL cassette.

litellm is imported on the first real call, never at import time: it takes seconds to import and,
unless LITELLM_LOCAL_MODEL_COST_MAP is set first, fetches its price table from the network.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from dgm.llm.cassette import Cassette
from dgm.llm.config import LLMConfig
from dgm.llm.routes import PROVIDER_KEY_ENV, Route, resolve_route
from dgm.llm.types import (
    Completion,
    LLMAuthError,
    LLMError,
    LLMInfraError,
    LLMRequestError,
    Message,
    Usage,
)

MAX_BACKOFF_S = 60.0
# HTTP statuses worth retrying: timeouts, conflicts, rate limits, and every server error.
_TRANSIENT_STATUS = {408, 409, 425, 429}
_TRANSIENT_NAMES = {
    "Timeout", "APITimeoutError", "APIConnectionError", "RateLimitError", "InternalServerError",
    "ServiceUnavailableError", "BadGatewayError", "APIError", "MidStreamFallbackError",
}
_AUTH_NAMES = {"AuthenticationError", "PermissionDeniedError"}


class Backend(Protocol):
    """What actually answers a request: litellm in production, a scripted model in tests."""

    def route(
        self, model: str, config: LLMConfig, environ: Mapping[str, str], local_api_base: str | None
    ) -> Route:
        """Where `model` is sent and with which key."""
        ...

    def complete(
        self, route: Route, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """Return an OpenAI chat-completions response as a dict; raise on failure."""
        ...

    def cost(self, route: Route, prompt_tokens: int, completion_tokens: int) -> float | None:
        """Dollars for this many tokens, or None when the backend knows no price."""
        ...


def import_litellm() -> Any:
    """Import litellm offline-safe (local price table, no telemetry)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LiteLLMBackend:
    """Calls providers through litellm; costs from litellm's bundled price table."""

    def route(
        self, model: str, config: LLMConfig, environ: Mapping[str, str], local_api_base: str | None
    ) -> Route:
        """The model's provider, endpoint and key (a missing key is an LLMAuthError)."""
        return resolve_route(model, config, environ, local_api_base=local_api_base)

    def complete(
        self, route: Route, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """One litellm.completion with its own retries off (the client retries)."""
        litellm = import_litellm()
        response = litellm.completion(
            model=route.litellm_model, messages=messages, timeout=timeout, num_retries=0,
            max_retries=0, drop_params=True, **route.call_kwargs(), **params,
        )
        return response.model_dump(mode="json")

    def cost(self, route: Route, prompt_tokens: int, completion_tokens: int) -> float | None:
        """litellm's price for the model, None when it has none (local and self-hosted models)."""
        if route.is_local:
            return 0.0
        litellm = import_litellm()
        try:
            prompt, completion = litellm.cost_per_token(
                model=route.litellm_model, prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        except Exception:  # litellm raises several kinds for an unmapped model
            return None
        return float(prompt) + float(completion)


class _BadReply(Exception):
    """The server answered, but with nothing usable."""


def parse_reply(
    response: Mapping[str, Any], messages: list[Message]
) -> tuple[str, str | None, int, int]:
    """Text, finish reason and token counts of a response; _BadReply if empty or malformed."""
    try:
        choice = response["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise _BadReply(f"malformed reply (no choices[0].message): {str(response)[:200]}") from None
    if not isinstance(message, Mapping):
        raise _BadReply(f"malformed reply (message is {type(message).__name__})")
    text = message.get("content")
    if text is not None and not isinstance(text, str):
        raise _BadReply(f"malformed reply (content is {type(text).__name__})")
    if not (text or "").strip() and not message.get("tool_calls"):
        raise _BadReply("empty reply")
    usage = response.get("usage") or {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        # Some servers omit usage; estimate (4 characters a token) so budgets still bind.
        prompt = max(1, sum(len(str(m.get("content") or "")) for m in messages) // 4)
        completion = max(1, len(text or "") // 4)
    return text or "", choice.get("finish_reason"), prompt, completion


def classify(exc: BaseException) -> str:
    """'transient' (retry), 'auth' or 'request' (do not retry) for an exception from a backend."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if name in _AUTH_NAMES or status in (401, 403):
        return "auth"
    if isinstance(exc, TimeoutError | ConnectionError) or name in _TRANSIENT_NAMES:
        return "transient"
    if isinstance(status, int) and (status in _TRANSIENT_STATUS or status >= 500):
        return "transient"
    if isinstance(status, int) and 400 <= status < 500:
        return "request"
    return "transient"  # unknown failures are the infrastructure's until proven otherwise


def _retry_after(exc: BaseException) -> float | None:
    """Seconds a rate-limit reply asked us to wait, if it said."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    try:
        value = headers.get("retry-after") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class LLMClient:
    """Completes chats for one run: the config's defaults, credentials, retries and cassette."""

    def __init__(
        self,
        config: LLMConfig | None = None,
        *,
        backend: Backend | None = None,
        environ: Mapping[str, str] | None = None,
        local_api_base: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or LLMConfig()
        self.backend: Backend = backend or LiteLLMBackend()
        self._environ = os.environ if environ is None else environ
        self.local_api_base = local_api_base
        self._sleep = sleep
        self._random = random.Random()
        self._lock = threading.Lock()
        self._totals = Usage()
        self._calls = 0
        self.cassette: Cassette | None = None
        if self.config.cassette_mode != "off":
            if self.config.cassette is None:
                raise LLMError("llm.cassette_mode is set but llm.cassette (the file) is not")
            self.cassette = Cassette(
                self.config.cassette, self.config.cassette_mode, redact=self.redact
            )

    # ----------------------------------------------------------------- accounting

    @property
    def totals(self) -> Usage:
        """Usage summed over every call this client made (replays included)."""
        with self._lock:
            return self._totals

    @property
    def calls(self) -> int:
        """Number of completed calls."""
        with self._lock:
            return self._calls

    def price(self, route: Route, prompt_tokens: int, completion_tokens: int) -> tuple[float, bool]:
        """Dollars for a call and whether a price was known (the config's prices win)."""
        cfg = self.config
        if cfg.input_price_per_mtok is not None or cfg.output_price_per_mtok is not None:
            cost = (prompt_tokens * (cfg.input_price_per_mtok or 0.0)
                    + completion_tokens * (cfg.output_price_per_mtok or 0.0)) / 1e6
            return cost, True
        cost = self.backend.cost(route, prompt_tokens, completion_tokens)
        return (0.0, False) if cost is None else (cost, True)

    # ----------------------------------------------------------------- keys

    def route(self, model: str) -> Route:
        """Where `model` is sent; raises LLMAuthError (naming the variable) when a key is missing."""
        return self.backend.route(model, self.config, self._environ, self.local_api_base)

    def secrets(self) -> list[str]:
        """Every key value this process could send, for redaction (never print these)."""
        found = []
        if self.config.api_key is not None:
            found.append(self.config.api_key.get_secret_value())
        for name in {self.config.api_key_env, *PROVIDER_KEY_ENV.values()} - {None}:
            value = self._environ.get(name)  # type: ignore[arg-type]
            if value:
                found.append(value)
        # Short values would redact ordinary words; real keys are long.
        return sorted({s for s in found if len(s) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every known key replaced by '[redacted]'."""
        for secret in self.secrets():
            text = text.replace(secret, "[redacted]")
        return text

    # ----------------------------------------------------------------- calls

    def complete(self, messages: list[Message], model: str | None = None, **params: Any) -> Completion:
        """One reply to `messages` from `model` (default: the config's); see module docstring."""
        model = model or self.config.model
        _check_messages(messages)
        params = {"temperature": self.config.temperature,
                  "max_tokens": self.config.max_tokens, **params}
        if self.cassette is not None and self.cassette.mode == "replay":
            completion = self.cassette.lookup(model, messages, params)
        else:
            completion = self._call_with_retries(model, messages, params)
            if self.cassette is not None:
                self.cassette.record(model, messages, params, completion)
        with self._lock:
            self._totals = self._totals + completion.usage
            self._calls += 1
        return completion

    def _call_with_retries(
        self, model: str, messages: list[Message], params: dict[str, Any]
    ) -> Completion:
        route = self.route(model)
        attempts = self.config.max_retries + 1
        failures: list[str] = []
        start = time.perf_counter()
        for attempt in range(1, attempts + 1):
            wait: float | None = None
            try:
                response = self.backend.complete(route, messages, params, self.config.timeout_s)
                text, finish, prompt, completion = parse_reply(response, messages)
            except _BadReply as exc:
                failures.append(str(exc))
            except Exception as exc:  # the backend's errors are classified, never swallowed
                kind = classify(exc)
                detail = f"{type(exc).__name__}: {self.redact(str(exc))[:300]}"
                if kind == "auth":
                    raise LLMAuthError(
                        f"{model}: the provider refused the key from {route.key_source or 'nowhere'}"
                        f" ({detail})"
                    ) from None
                if kind == "request":
                    raise LLMRequestError(f"{model}: request refused: {detail}") from None
                failures.append(detail)
                wait = _retry_after(exc)
            else:
                cost, priced = self.price(route, prompt, completion)
                return Completion(
                    text=text, model=model, finish_reason=finish, response=dict(response),
                    usage=Usage(prompt_tokens=prompt, completion_tokens=completion,
                                dollars=cost, priced=priced),
                    attempts=attempt, latency_s=time.perf_counter() - start,
                )
            if attempt < attempts:
                self._sleep(wait if wait is not None else self._backoff(attempt))
        raise LLMInfraError(
            f"{model}: no usable reply after {attempts} attempt(s); last: {failures[-1]}"
            + (f" (earlier: {'; '.join(failures[:-1][-3:])})" if len(failures) > 1 else "")
        )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so parallel sandboxes do not retry in lockstep."""
        base = self.config.retry_backoff_s * 2 ** (attempt - 1)
        return min(MAX_BACKOFF_S, base * (0.5 + self._random.random()))


def _check_messages(messages: Any) -> None:
    """A clear error for a malformed conversation, before anything is sent."""
    if not isinstance(messages, list) or not messages:
        raise LLMRequestError("messages must be a non-empty list of {'role', 'content'} objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise LLMRequestError(f"messages[{index}] must be an object with a string 'role'")


def complete(
    messages: list[Message], model: str | None = None, *, config: LLMConfig | None = None,
    backend: Backend | None = None, **params: Any,
) -> Completion:
    """One completion with a client built from `config` (defaults when None)."""
    return LLMClient(config, backend=backend).complete(messages, model, **params)
