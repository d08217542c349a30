"""Running a process with a wall-clock limit and bounded output capture."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO

WATCH_INTERVAL_S = 0.02


class CappedStream:
    """Keeps the first and last `limit` bytes of a stream: a flood of output costs no memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def drain(self, stream: IO[bytes]) -> None:
        """Read until EOF."""
        while chunk := stream.read1(1 << 16):  # type: ignore[attr-defined]
            self.feed(chunk)

    def feed(self, chunk: bytes) -> None:
        """Take one chunk of the stream."""
        self.total += len(chunk)
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self.limit // 2:
            del self.tail[: len(self.tail) - self.limit // 2]

    @property
    def truncated(self) -> bool:
        """Whether bytes were dropped."""
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        """The kept output, with a marker where bytes were dropped."""
        middle = b""
        if self.truncated:
            middle = f"\n[... {self.total - len(self.head) - len(self.tail)} bytes cut ...]\n".encode()
        return (bytes(self.head) + middle + bytes(self.tail)).decode(errors="replace")


def wait_exit(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait up to `timeout` seconds for proc to exit; whether it did.

    Popen.wait(timeout) polls with sleeps that grow to 50 ms, which a sandboxed command lasting
    a tenth of a second pays in full; a pidfd wakes the moment the process exits (Linux 5.3+;
    elsewhere Popen's own wait is used)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll(max(0.0, timeout) * 1000)
        finally:
            os.close(fd)
        timeout = 0.0  # exited (reap it now) or timed out (report it now)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def run_capped(
    argv: list[str], *, timeout: float, limit: int, kill: Callable[[int], None] | None = None,
    env: dict[str, str] | None = None, watch: Callable[[int], str | None] | None = None,
) -> tuple[int, str, str, bool, bool, float]:
    """Run argv in its own session; on timeout kill it (and `kill(pid)`'s wider scope).

    `watch(pid)`, when given, is polled while the command runs; a non-empty answer kills the
    command at once and is appended to its stderr (a limit enforced by watching, not the kernel).
    Returns (returncode, stdout, stderr, timed_out, truncated, seconds).
    """
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=env)
    out, err = CappedStream(limit), CappedStream(limit)
    readers = [threading.Thread(target=cap.drain, args=(pipe,), daemon=True)
               for cap, pipe in ((out, proc.stdout), (err, proc.stderr))]
    for reader in readers:
        reader.start()
    timed_out, stopped = False, None
    deadline = start + timeout
    while not wait_exit(proc, max(0.0, min(WATCH_INTERVAL_S, deadline - time.monotonic()))
                        if watch is not None else deadline - time.monotonic()):
        if time.monotonic() >= deadline:
            timed_out = True
            break
        stopped = watch(proc.pid) if watch is not None else None
        if stopped:
            break
    # Always sweep: a command may exit leaving children that hold the pipes open.
    if kill is not None:
        kill(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    for reader in readers:
        reader.join(timeout=10)
    code = -signal.SIGKILL if timed_out or stopped else proc.returncode
    error = err.text() + (f"\n[dgm: {stopped}]\n" if stopped else "")
    return (code, out.text(), error, timed_out, out.truncated or err.truncated,
            time.monotonic() - start)
