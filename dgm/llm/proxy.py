"""The host-side LLM proxy: an OpenAI-compatible `/v1/chat/completions` server on a unix socket.

One proxy serves one node, on its own socket, so the node's identity is the socket itself: an
agent cannot spend another node's budget. Agents send no key; the proxy calls the model through
the host's LLMClient (which holds the credentials), enforces the node's token and dollar budget
(HTTP 429 with a JSON body naming the budget), and appends one JSON line per request to the
node's log. Everything that leaves the proxy, toward the agent or the log, has keys redacted.
Budgets hold under concurrent requests: each reserves its worst case first (dgm.llm.budget).

    with NodeProxy(client, Path("/tmp/dgm-llm/abc123.sock"), node_id="abc123",
                   budget=NodeBudget(tokens=200_000), log=lambda: archive.llm_log_path("abc123")):
        ...  # bind the socket into the sandbox at /run/dgm/llm.sock and run the agent
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import os
import socketserver
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from dgm.llm.budget import (
    BudgetBusyError,
    BudgetLedger,
    NodeBudget,
    Price,
    Reservation,
    TokenCounter,
    estimate_prompt_tokens,
    litellm_token_count,
)
from dgm.llm.client import LiteLLMBackend, LLMClient, _check_messages
from dgm.llm.routes import Route
from dgm.llm.types import (
    BudgetExhaustedError,
    Completion,
    LLMError,
    LLMRequestError,
    Usage,
)

__all__ = ["SANDBOX_SOCKET", "NodeBudget", "NodeProxy", "ProxyError", "UnixHTTPConnection",
           "request"]

log = logging.getLogger(__name__)

SANDBOX_SOCKET = "/run/dgm/llm.sock"  # where sandboxes bind the node's socket
MAX_SOCKET_PATH = 107  # sockaddr_un.sun_path is 108 bytes, NUL included
MAX_BODY_BYTES = 32 * 1024 * 1024
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
# What an agent may set; anything else (keys, api_base, model routing) is dropped.
ALLOWED_PARAMS = {
    "temperature", "top_p", "max_tokens", "stop", "seed", "response_format", "tools",
    "tool_choice", "presence_penalty", "frequency_penalty", "parallel_tool_calls",
}
LogTarget = Path | Callable[[], Path]


class ProxyError(Exception):
    """A request the proxy answers with an error status and a JSON body."""

    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.kind, self.extra = status, kind, extra

    def body(self) -> dict[str, Any]:
        """The OpenAI-style error object."""
        return {"error": {"type": self.kind, "code": self.kind, "message": str(self), **self.extra}}


class NodeProxy:
    """Serves one node's agent on one unix socket until stopped (also a context manager)."""

    def __init__(
        self,
        client: LLMClient,
        socket_path: Path,
        *,
        node_id: str,
        model: str | None = None,
        budget: NodeBudget | None = None,
        log: LogTarget | None = None,
        idle_timeout_s: float = 900.0,
        reserve_wait_s: float | None = None,
    ) -> None:
        self.client = client
        self.socket_path = Path(socket_path)
        self.node_id = node_id
        self.model = model or client.config.agent_model or client.config.model
        self.budget = budget if budget is not None else NodeBudget.from_config(client.config)
        self.idle_timeout_s = idle_timeout_s
        # How long a request that fits only after others settle waits for them (then 503).
        self.reserve_wait_s = client.config.timeout_s if reserve_wait_s is None else reserve_wait_s
        self._log_target = log
        self._log_path: Path | None = None
        self._lock = threading.Lock()
        self._ledger = BudgetLedger(self.budget)
        # A real tokenizer's count tightens the prompt estimate where litellm is loaded anyway.
        self.count_tokens: TokenCounter | None = (
            litellm_token_count if isinstance(client.backend, LiteLLMBackend) else None)
        self._route: Route | None = None
        self._requests = 0
        self._infra_failures = 0
        self._server: _UnixHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> NodeProxy:
        """Bind the socket (parent folder created 0700, socket 0666) and serve in a thread."""
        if self._server is not None:
            return self
        path = self.socket_path
        if len(os.fsencode(path)) > MAX_SOCKET_PATH:
            raise LLMError(
                f"socket path too long for a unix socket ({len(os.fsencode(path))} bytes, "
                f"limit {MAX_SOCKET_PATH}): {path}; use a shorter folder"
            )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists() or path.is_symlink():
            if not stat.S_ISSOCK(path.lstat().st_mode):
                raise LLMError(f"{path}: exists and is not a socket; refusing to replace it")
            path.unlink()  # a stale socket from a killed run
        self._server = _UnixHTTPServer(str(path), _Handler, self)
        # The sandbox user (another uid) must be able to connect; the 0700 folder keeps other
        # host users from reaching the socket by path.
        path.chmod(0o666)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"dgm-llm-proxy-{self.node_id}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and remove the socket; requests in flight finish in their threads."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.socket_path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> NodeProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- accounting

    @property
    def usage(self) -> Usage:
        """Tokens and dollars this node has spent through the proxy."""
        return self._ledger.spent

    @property
    def requests(self) -> int:
        """Requests received (answered or refused)."""
        with self._lock:
            return self._requests

    @property
    def infra_failures(self) -> int:
        """Requests answered 5xx: the model or the proxy failed, not the agent."""
        with self._lock:
            return self._infra_failures

    # ----------------------------------------------------------------- handling

    def handle_chat(self, body: Any) -> tuple[dict[str, Any], Completion, Reservation]:
        """Validate, reserve, complete and settle one chat request; ProxyError for refusals."""
        if not isinstance(body, dict):
            raise ProxyError(400, "invalid_request_error", "request body must be a JSON object")
        messages = body.get("messages")
        params = {k: v for k, v in body.items() if k in ALLOWED_PARAMS}
        if "max_completion_tokens" in body and params.get("max_tokens") is None:
            params["max_tokens"] = body["max_completion_tokens"]
        asked = params.pop("max_tokens", None)
        if asked is None:
            asked = self.client.config.max_tokens
        elif isinstance(asked, bool) or not isinstance(asked, int) or asked < 1:
            raise ProxyError(400, "invalid_request_error",
                             f"max_tokens must be a positive integer, got {asked!r}")
        else:
            params["max_tokens"] = asked
        try:
            _check_messages(messages)
        except LLMRequestError as exc:
            raise ProxyError(400, "invalid_request_error", str(exc)) from None
        reservation = self._reserve(messages, params, asked)
        if not self.budget.unlimited:
            params["max_tokens"] = reservation.max_tokens
        try:
            completion = self.complete_upstream(messages, params)
        except BaseException:
            self._ledger.release(reservation)  # a failed call spends nothing of the budget
            raise
        self._ledger.settle(reservation, completion.usage)
        return params, completion, reservation

    def _reserve(self, messages: list[Any], params: dict[str, Any], asked: int) -> Reservation:
        """Hold this request's worst case in the ledger; 429 when it cannot fit, 503 when busy."""
        prompt, price = 0, None
        if not self.budget.unlimited:
            prompt = estimate_prompt_tokens(messages, params.get("tools"),
                                            params.get("response_format"),
                                            count=self.count_tokens)
            if self.budget.dollars is not None:
                price = self._price(prompt, asked)
        try:
            return self._ledger.reserve(prompt, asked, price, wait_s=self.reserve_wait_s)
        except BudgetExhaustedError as exc:
            raise ProxyError(
                429, "budget_exhausted", f"node {self.node_id}: {exc}",
                budget=exc.budget, limit=exc.limit, spent=exc.spent,
            ) from None
        except BudgetBusyError as exc:
            # Not 429: agents read 429 as "budget gone"; this one is worth retrying.
            raise ProxyError(503, "budget_busy", f"node {self.node_id}: {exc}") from None

    def _price(self, prompt_tokens: int, max_tokens: int) -> Price | None:
        """Dollars of the prompt and of each reply token for this model; None when unpriced."""
        if self._route is None:
            try:
                self._route = self.client.route(self.model)
            except LLMError:
                return None  # the call itself will fail and say why
        prompt_cost, priced = self.client.price(self._route, prompt_tokens, 0)
        full_cost, _ = self.client.price(self._route, prompt_tokens, max_tokens)
        if not priced:
            return None
        return Price(prompt_cost, max(0.0, (full_cost - prompt_cost) / max_tokens))

    def complete_upstream(self, messages: Any, params: dict[str, Any]) -> Completion:
        """Call the model for an admitted request; ProxyError for every failure."""
        try:
            return self.client.complete(messages, self.model, **params)
        except LLMRequestError as exc:
            raise ProxyError(400, "invalid_request_error", str(exc)) from None
        except LLMError as exc:
            # Unreachable model, empty replies, refused host key: infrastructure, never the agent.
            with self._lock:
                self._infra_failures += 1
            raise ProxyError(502, "upstream_error", f"{type(exc).__name__}: {exc}") from None
        except Exception as exc:  # a bug of ours must still give the agent an answer and a log line
            with self._lock:
                self._infra_failures += 1
            log.exception("dgm llm proxy %s: unexpected error", self.node_id)
            raise ProxyError(500, "proxy_error", f"internal proxy error: {type(exc).__name__}: "
                                                 f"{exc}") from None

    def write_log(self, entry: dict[str, Any]) -> None:
        """Append one redacted JSON line to the node's log (no-op without a log target)."""
        if self._log_target is None:
            return
        line = self.client.redact(json.dumps(entry, ensure_ascii=False, default=str)) + "\n"
        with self._lock:
            if self._log_path is None:
                target = self._log_target
                self._log_path = Path(target() if callable(target) else target)
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
            with self._log_path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def count_request(self) -> int:
        """Number this request (for the log)."""
        with self._lock:
            self._requests += 1
            return self._requests


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix socket (what a stdlib-only agent uses to reach the proxy)."""

    def __init__(self, path: str | Path, timeout: float = 600.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def request(
    socket_path: str | Path, method: str, path: str, body: Any = None, *, timeout: float = 600.0
) -> tuple[int, Any]:
    """One HTTP request to a proxy socket; returns (status, parsed JSON or raw text)."""
    conn = UnixHTTPConnection(socket_path, timeout)
    try:
        data = None if body is None else (body if isinstance(body, bytes) else
                                          json.dumps(body).encode())
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, data, headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode(errors="replace")


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A threaded HTTP server on a unix socket; each connection gets its own thread."""

    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog is 5; past it a unix-socket connect with a timeout fails at
    # once with EAGAIN, which parallel agents hit whenever the accept thread is slow to run.
    request_queue_size = 128

    def __init__(self, path: str, handler: type, proxy: NodeProxy) -> None:
        self.proxy = proxy
        super().__init__(path, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # One broken connection must never take the server down or spam stderr.
        log.warning("dgm llm proxy %s: error handling a request", self.proxy.node_id,
                    exc_info=True)


def _budget_notes(proxy: NodeProxy, entry: dict[str, Any], reservation: Reservation,
                  completion: Completion) -> dict[str, str]:
    """Record a request's reservation in its log entry; the reply headers that tell the agent."""
    if proxy.budget.unlimited:
        return {}
    entry["reserved"] = {"tokens": reservation.tokens, "dollars": round(reservation.dollars, 6)}
    headers = {}
    if reservation.clamped:
        entry["max_tokens_clamped"] = {"asked": reservation.asked, "sent": reservation.max_tokens}
        headers["X-DGM-Max-Tokens"] = (f"{reservation.max_tokens} (asked {reservation.asked}; "
                                       "lowered to what is left of the node budget)")
        log.info("dgm llm proxy %s: max_tokens %d lowered to %d to fit the budget",
                 proxy.node_id, reservation.asked, reservation.max_tokens)
    used = completion.usage
    over = used.total_tokens > reservation.tokens
    if proxy.budget.dollars is not None and reservation.dollars > 0:
        over = over or used.dollars > reservation.dollars * (1 + 1e-9)
    if over:
        # The prompt estimate was low (or the model ignored max_tokens): the budget can overshoot.
        entry["over_reservation"] = True
        log.warning("dgm llm proxy %s: request used %d tokens, $%.6f; reserved %d, $%.6f",
                    proxy.node_id, used.total_tokens, used.dollars, reservation.tokens,
                    reservation.dollars)
    return headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that reuse connections
    server: _UnixHTTPServer

    def setup(self) -> None:
        self.timeout = self.server.proxy.idle_timeout_s  # drop idle or stalled clients
        super().setup()

    def address_string(self) -> str:
        return "unix"  # unix sockets have no peer address

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("proxy %s: " + format, self.server.proxy.node_id, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed HTTP: answer in JSON like every other error, then close. An unparsable
        # request line leaves the version at HTTP/0.9, which would suppress the status line.
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        error = ProxyError(code, "invalid_request_error", message or explain or "bad request")
        self._send_json(code, error.body())

    def _send_json(self, status: int, payload: dict[str, Any],
                   headers: dict[str, str] | None = None) -> bool:
        data = self.server.proxy.client.redact(json.dumps(payload, default=str)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:  # the client went away; nothing to tell it
            self.close_connection = True
            return False

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path = self.path.split("?", 1)[0].rstrip("/")
        proxy = self.server.proxy
        if path in ("/health", "/v1/health"):
            self._send_json(200, {"status": "ok", "node": proxy.node_id})
        elif path in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list",
                                  "data": [{"id": proxy.model, "object": "model"}]})
        else:
            self._send_json(404, ProxyError(404, "not_found", f"no route GET {path}").body())

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        proxy = self.server.proxy
        number = proxy.count_request()
        start = time.perf_counter()
        entry: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "node": proxy.node_id, "request": number, "model": proxy.model,
        }
        body: Any = None
        try:
            body = self._read_body()
            params, completion, reservation = proxy.handle_chat(body)
        except ProxyError as exc:
            entry.update(status=exc.status, error=str(exc), error_type=exc.kind)
            if isinstance(body, dict):
                entry["messages"] = body.get("messages")
            entry["latency_s"] = round(time.perf_counter() - start, 4)
            proxy.write_log(entry)
            if exc.kind != "disconnected":
                self._send_json(exc.status, exc.body())
            return
        entry.update(
            status=200, messages=body.get("messages"), params=params, reply=completion.text,
            finish_reason=completion.finish_reason, usage=completion.usage.model_dump(),
            attempts=completion.attempts, replayed=completion.replayed,
        )
        headers = _budget_notes(proxy, entry, reservation, completion)
        # Logged before the reply goes out, so whoever saw the reply can read its log line.
        entry["latency_s"] = round(time.perf_counter() - start, 4)
        proxy.write_log(entry)
        if body.get("stream"):
            delivered = self._send_stream(completion, headers)
        else:
            delivered = self._send_json(200, completion.response, headers)
        if not delivered:  # the tokens were spent all the same
            proxy.write_log({"node": proxy.node_id, "request": number,
                             "client_disconnected": True})

    def _read_body(self) -> Any:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in CHAT_PATHS:
            self.close_connection = True
            raise ProxyError(404, "not_found", f"no route POST {path}; use /v1/chat/completions")
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self.close_connection = True
            raise ProxyError(411, "invalid_request_error", "Content-Length header required")
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise ProxyError(400, "invalid_request_error",
                             f"bad Content-Length {length_header!r}") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ProxyError(413, "invalid_request_error",
                             f"request body of {length} bytes exceeds {MAX_BODY_BYTES}")
        try:
            raw = self.rfile.read(length)
        except OSError:
            raw = b""
        if len(raw) < length:
            self.close_connection = True
            raise ProxyError(400, "disconnected", "client disconnected while sending the body")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProxyError(400, "invalid_request_error",
                             f"request body is not valid JSON: {exc}") from None

    def _send_stream(self, completion: Completion, headers: dict[str, str]) -> bool:
        """Answer stream=true with the whole reply as one server-sent event, then [DONE]."""
        chunk = {
            "id": completion.response.get("id", "chatcmpl-dgm"), "object": "chat.completion.chunk",
            "created": completion.response.get("created", 0), "model": completion.model,
            "choices": [{"index": 0, "finish_reason": completion.finish_reason,
                         "delta": {"role": "assistant", "content": completion.text}}],
            "usage": completion.response.get("usage"),
        }
        data = self.server.proxy.client.redact(
            f"data: {json.dumps(chunk, default=str)}\n\ndata: [DONE]\n\n"
        ).encode()
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            return False
