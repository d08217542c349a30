"""Chat-completions client for the dgm LLM proxy (a unix socket) or any OpenAI-style URL."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from urllib.parse import urlsplit


class ModelError(Exception):
    """The model could not be reached or gave no usable reply (not the agent's fault)."""


class ContextTooLong(ModelError):
    """The conversation does not fit the model's context window."""


class BudgetExhausted(Exception):
    """The proxy refused the call: this agent's token or dollar budget is spent."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class Model:
    """Sends a conversation, returns the reply text; counts tokens; retries transient failures."""

    def __init__(self, *, socket_path: str | None = None, url: str | None = None,
                 model: str = "agent", timeout: float = 1800.0, retries: int = 3,
                 backoff: float = 2.0) -> None:
        if not socket_path and not url:
            raise ModelError("no model endpoint: set DGM_LLM_SOCKET (or DGM_LLM_URL)")
        self.socket_path, self.url = socket_path, url
        self.model, self.timeout, self.retries, self.backoff = model, timeout, retries, backoff
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.finish_reason: str | None = None  # of the latest reply: "stop", "length", ...

    @classmethod
    def from_env(cls) -> Model:
        """Endpoint from DGM_LLM_SOCKET / DGM_LLM_URL, model name from DGM_LLM_MODEL."""
        return cls(
            socket_path=os.environ.get("DGM_LLM_SOCKET"),
            url=os.environ.get("DGM_LLM_URL"),
            model=os.environ.get("DGM_LLM_MODEL", "agent"),
            backoff=float(os.environ.get("DGM_LLM_BACKOFF", "2")),
            # Long: a small model on a busy CPU can take many minutes for one reply, and the host
            # side has its own timeout; giving up first would only queue the same request again.
            timeout=float(os.environ.get("DGM_LLM_TIMEOUT", "1800")),
        )

    def _connection(self) -> tuple[http.client.HTTPConnection, str]:
        if self.socket_path:
            return _UnixConnection(self.socket_path, self.timeout), "/v1/chat/completions"
        parts = urlsplit(self.url or "")
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        base = parts.path.rstrip("/")
        return cls(parts.netloc, timeout=self.timeout), f"{base}/chat/completions"

    def complete(self, messages: list[dict[str, str]], **params: object) -> str:
        """One reply to the conversation; params (e.g. temperature) go into the request."""
        body = json.dumps({"model": self.model, "messages": messages, **params}).encode()
        last = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(30.0, self.backoff**attempt) if self.backoff else 0)
            try:
                conn, path = self._connection()
                conn.request("POST", path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                raw = response.read()
                conn.close()
            except OSError as exc:
                last = f"cannot reach the model: {exc}"
                continue
            if response.status == 429:
                raise BudgetExhausted(raw.decode(errors="replace")[:500])
            if response.status >= 500:
                last = f"model server error {response.status}: {raw[:200]!r}"
                continue
            if response.status != 200:
                detail = raw.decode(errors="replace")[:500]
                if response.status == 400 and any(
                        word in detail.lower() for word in ("context", "too long", "too many tokens")):
                    raise ContextTooLong(detail)
                raise ModelError(f"model refused the request ({response.status}): {detail}")
            try:
                data = json.loads(raw)
                text = data["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                last = f"malformed reply: {raw[:200]!r}"
                continue
            if not isinstance(text, str) or not text.strip():
                last = "empty reply"
                continue
            self.finish_reason = data["choices"][0].get("finish_reason")
            usage = data.get("usage") or {}
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)
            return text
        raise ModelError(last)

    @property
    def tokens(self) -> int:
        """Tokens used so far, prompt plus completion."""
        return self.prompt_tokens + self.completion_tokens
