"""A scripted chat-completions server on a unix socket, standing in for the LLM proxy in tests."""

from __future__ import annotations

import json
import socketserver
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR

# The seed agent is its own stdlib-only program; tests import it from its folder.
if str(SEED_DIR) not in sys.path:
    sys.path.insert(0, str(SEED_DIR))

Reply = str | tuple[int, str]  # a reply text, or (HTTP status, raw body)


class ScriptedServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Answers each POST with the next scripted reply and records the requests."""

    daemon_threads = True

    def __init__(self, path: Path, script: list[Reply] | Callable[[list[dict]], Reply]) -> None:
        self.script = script
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        super().__init__(str(path), _Handler)

    def next_reply(self, messages: list[dict]) -> Reply:
        with self.lock:
            if callable(self.script):
                return self.script(messages)
            if not self.script:
                return (500, "script exhausted")
            return self.script.pop(0)


class _Handler(BaseHTTPRequestHandler):
    def address_string(self) -> str:  # unix sockets have no client address
        return "unix"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)  # type: ignore[attr-defined]
        reply = self.server.next_reply(body["messages"])  # type: ignore[attr-defined]
        if isinstance(reply, tuple):
            status, raw = reply
            data = raw.encode()
        else:
            status = 200
            data = json.dumps({
                "choices": [{"message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10},
            }).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def scripted(tmp_path: Path) -> Iterator[Callable[..., ScriptedServer]]:
    """Start a scripted server: scripted(replies) -> server (socket at server.server_address)."""
    servers = []

    def start(script: list[Reply] | Callable[[list[dict]], Reply]) -> ScriptedServer:
        server = ScriptedServer(tmp_path / f"llm{len(servers)}.sock", script)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
