"""The way back to the model for agents on other hosts: a TCP gateway here, a bridge there.

Each attempt's LLM proxy listens on a unix socket on the controller's host, which a sandbox on a
remote Ray worker cannot reach. The controller therefore runs one TCP gateway for the whole run;
each shipped attempt carries a random token naming its proxy. On the worker, a bridge listens on
a unix socket of its own (the one bound into the sandbox) and, for every connection the agent
opens, dials the gateway, sends the token line, then relays bytes both ways. The gateway relays
to the proxy the token names, so each attempt still spends (and is logged under) its own node,
and a token stops working as soon as its attempt is over.

The link is plain TCP: run it on a network only the cluster can reach. It carries the agents'
prompts and the model's replies, never a key (the proxy adds the key on the controller).
"""

from __future__ import annotations

import os
import secrets
import socket
import socketserver
import threading
from pathlib import Path

HELLO = b"DGM-LLM "
TOKEN_BYTES = 24
HANDSHAKE_TIMEOUT_S = 10.0
CHUNK = 64 * 1024


def relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until both sides have finished; closes both sockets."""

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(CHUNK):
                dst.sendall(chunk)
        except OSError:
            pass  # the other side went away (a killed sandbox): nothing left to relay
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)  # half-close: the reply may still be on its way
            except OSError:
                pass

    back = threading.Thread(target=pump, args=(b, a), daemon=True, name="dgm-llm-relay")
    back.start()
    pump(a, b)
    back.join()
    a.close()
    b.close()


class _GatewayServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: LLMGateway) -> None:
        super().__init__(address, _GatewayHandler)
        self.gateway = gateway

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a peer that vanished mid-handshake is not the controller's problem


class _GatewayHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(HANDSHAKE_TIMEOUT_S)
        line = _read_line(conn, len(HELLO) + 2 * TOKEN_BYTES + 1)
        target = None
        if line is not None and line.startswith(HELLO):
            target = self.server.gateway.target(line[len(HELLO):].decode("ascii", "replace"))  # type: ignore[attr-defined]
        if target is None:
            conn.close()  # unknown or expired token: say nothing, serve nothing
            return
        conn.settimeout(None)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(str(target))
        except OSError:
            upstream.close()
            conn.close()
            return
        relay(conn, upstream)


def _read_line(conn: socket.socket, limit: int) -> bytes | None:
    """The first line (without the newline), read byte by byte so nothing after it is eaten."""
    data = b""
    try:
        while len(data) <= limit:
            byte = conn.recv(1)
            if not byte:
                return None
            if byte == b"\n":
                return data
            data += byte
    except OSError:
        return None
    return None


class LLMGateway:
    """One TCP port on the controller that forwards each token's connections to its proxy."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._targets: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._server: _GatewayServer | None = None

    def start(self) -> LLMGateway:
        """Listen (port 0 picks a free one; `address` then tells which)."""
        if self._server is None:
            try:
                self._server = _GatewayServer((self.host, self.port), self)
            except OSError as exc:
                raise OSError(f"executor.proxy_host/proxy_port: cannot listen on "
                              f"{self.host}:{self.port}: {exc.strerror or exc}") from None
            self.port = self._server.server_address[1]
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                             daemon=True, name="dgm-llm-gateway").start()
        return self

    @property
    def address(self) -> tuple[str, int]:
        """Where workers dial."""
        return self.host, self.port

    def register(self, socket_path: Path) -> str:
        """A new token for one attempt's proxy socket."""
        token = secrets.token_hex(TOKEN_BYTES)
        with self._lock:
            self._targets[token] = Path(socket_path)
        return token

    def unregister(self, token: str) -> None:
        """End a token (its attempt is over); connections already relayed finish."""
        with self._lock:
            self._targets.pop(token, None)

    def target(self, token: str) -> Path | None:
        """The proxy socket a token names, if it is live."""
        with self._lock:
            # Constant-time comparison against each live token: a few per run at most.
            for live, path in self._targets.items():
                if secrets.compare_digest(live, token):
                    return path
        return None

    def close(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


class _BridgeServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, bridge: Bridge) -> None:
        super().__init__(path, _BridgeHandler)
        self.bridge = bridge

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class _BridgeHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        bridge: Bridge = self.server.bridge  # type: ignore[attr-defined]
        try:
            upstream = socket.create_connection(bridge.gateway, timeout=HANDSHAKE_TIMEOUT_S)
            upstream.settimeout(None)
            upstream.sendall(HELLO + bridge.token.encode("ascii") + b"\n")
        except OSError:
            self.request.close()  # the agent sees a refused call: the proxy's infra counters
            return                # never hear of it, but the agent's own retries/log do
        relay(self.request, upstream)


class Bridge:
    """On a worker: a unix socket for the sandbox whose connections go to the gateway."""

    def __init__(self, socket_path: Path, gateway: tuple[str, int], token: str) -> None:
        self.socket_path, self.gateway, self.token = Path(socket_path), gateway, token
        self._server: _BridgeServer | None = None

    def __enter__(self) -> Bridge:
        self._server = _BridgeServer(str(self.socket_path), self)
        # The sandbox user is another uid; the job's private 0700 folder keeps others out.
        os.chmod(self.socket_path, 0o666)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True, name="dgm-llm-bridge").start()
        return self

    def __exit__(self, *exc: object) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self.socket_path.unlink(missing_ok=True)
