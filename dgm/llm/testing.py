"""Scripted models for deterministic tests: replies from a list or from a function of the messages.

A ScriptedModel is a client backend, so it works through `LLMClient.complete` and through the
proxy exactly like a real model. It is never a default: nothing in dgm builds one unless asked.

    model = ScriptedModel(["first reply", Fail(429), "second reply"])
    client = LLMClient(LLMConfig(model="scripted/demo"), backend=model)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dgm.llm.config import LLMConfig
from dgm.llm.routes import Route, resolve_route
from dgm.llm.types import Message


@dataclass(frozen=True)
class Fail:
    """A scripted failure: the backend raises an error carrying this HTTP status."""

    status: int = 503
    message: str = "scripted failure"


class ScriptedError(Exception):
    """Raised for a scripted Fail; has `status_code` like provider errors do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status_code = status


# A reply is text, a raw response dict (for malformed replies), an exception, or a Fail.
Reply = str | dict[str, Any] | BaseException | Fail
Script = Sequence[Reply] | Callable[[list[Message]], Reply]


def chat_response(text: str | None, *, model: str, prompt_tokens: int, completion_tokens: int,
                  call: int = 0, finish_reason: str = "stop") -> dict[str, Any]:
    """An OpenAI chat-completions response carrying `text`."""
    return {
        "id": f"chatcmpl-scripted-{call}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class ScriptedModel:
    """A backend that answers from a script; records every request it sees (thread-safe)."""

    def __init__(
        self,
        script: Script,
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        price_per_mtok: tuple[float, float] | None = (0.0, 0.0),
        resolve_keys: bool = False,
        delay_s: float = 0.0,
        honor_max_tokens: bool = False,
    ) -> None:
        """Token counts default to len(text)/4; price None means 'no price known';
        resolve_keys makes routes (and key checks) real, to test credential handling;
        honor_max_tokens cuts the reply's token count at the request's max_tokens (finish
        reason 'length'), as a real server does."""
        self._script = script if callable(script) else list(script)
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.price_per_mtok = price_per_mtok
        self.resolve_keys = resolve_keys
        self.delay_s = delay_s
        self.honor_max_tokens = honor_max_tokens
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # what each call received (messages, params, key)
        self._position = 0

    @property
    def calls(self) -> int:
        """How many requests reached the backend."""
        with self._lock:
            return len(self.requests)

    def route(
        self, model: str, config: LLMConfig, environ: Mapping[str, str], local_api_base: str | None
    ) -> Route:
        """A real route (keys checked) when resolve_keys, else a keyless one."""
        if self.resolve_keys:
            return resolve_route(model, config, environ, local_api_base=local_api_base)
        return Route(model, model, "scripted")

    def _next(self, messages: list[Message]) -> Reply:
        if callable(self._script):
            return self._script(messages)
        with self._lock:
            if self._position >= len(self._script):
                return Fail(400, f"script exhausted after {len(self._script)} replies")
            reply = self._script[self._position]
            self._position += 1
            return reply

    def complete(
        self, route: Route, messages: list[Message], params: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """The next scripted reply to this request."""
        with self._lock:
            call = len(self.requests)
            self.requests.append({
                "model": route.model, "messages": messages, "params": dict(params),
                "api_key": route.api_key.get_secret_value() if route.api_key else None,
            })
        if self.delay_s:
            threading.Event().wait(self.delay_s)  # a slow model, without a global sleep patch
        reply = self._next(messages)
        if isinstance(reply, Fail):
            raise ScriptedError(reply.status, reply.message)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, dict):
            return reply
        prompt = self.prompt_tokens
        if prompt is None:
            prompt = max(1, sum(len(str(m.get("content") or "")) for m in messages) // 4)
        completion = self.completion_tokens
        if completion is None:
            completion = max(1, len(reply) // 4)
        finish = "stop"
        cap = params.get("max_tokens")
        if self.honor_max_tokens and isinstance(cap, int) and completion > cap:
            completion, finish = cap, "length"
        return chat_response(reply, model=route.model, prompt_tokens=prompt,
                             completion_tokens=completion, call=call, finish_reason=finish)

    def cost(self, route: Route, prompt_tokens: int, completion_tokens: int) -> float | None:
        """Dollars at the scripted price, or None when constructed with price_per_mtok=None."""
        if self.price_per_mtok is None:
            return None
        price_in, price_out = self.price_per_mtok
        return (prompt_tokens * price_in + completion_tokens * price_out) / 1e6
