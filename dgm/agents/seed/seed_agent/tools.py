"""The agent's actions: parse one from a model reply, and carry it out in the working tree."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# One fenced block per reply: ```bash <command>``` or ```file <path>``` with the whole new content.
BLOCK = re.compile(r"^```([\w.+-]*)[ \t]*([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
SUBMIT = "submit"
OUTPUT_LIMIT = 6000  # characters of command output shown to the model


@dataclass
class Action:
    """What the model asked for: kind is 'bash', 'file' or 'submit'."""

    kind: str
    body: str
    path: str = ""


class FormatError(Exception):
    """The reply held no usable action; the message tells the model how to fix it."""


def parse_action(reply: str) -> tuple[Action, int]:
    """The first action in a reply, and how many actions the reply held."""
    blocks = [(lang.lower(), arg.strip(), body) for lang, arg, body in BLOCK.findall(reply)]
    actions = [b for b in blocks if b[0] in {"bash", "sh", "shell", "file"}]
    if not actions:
        raise FormatError(
            "your reply had no action block; reply with one: a ```bash block with one command, "
            "or a ```file <path> block with the whole new file content, or a ```bash block "
            f"containing only `{SUBMIT}` when the task is done"
        )
    lang, arg, body = actions[0]
    if lang == "file":
        if not arg:
            raise FormatError("a ```file block needs a path after the word file: ```file src/x.py")
        return Action("file", body, path=arg), len(actions)
    if body.strip() == SUBMIT:
        return Action("submit", ""), len(actions)
    return Action("bash", body), len(actions)


def truncate(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Keep the head and tail of long output; say how much was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut} characters cut ...]\n{text[-half:]}"


@dataclass
class Observation:
    """The outcome of an action, as shown to the model and kept in the trajectory."""

    output: str
    returncode: int
    seconds: float


class _Capture:
    """Keeps the first and last `limit` bytes of a stream, so a flood of output costs no memory."""

    def __init__(self, limit: int) -> None:
        self.limit, self.head, self.tail, self.total = limit, bytearray(), bytearray(), 0

    def feed(self, stream) -> None:  # type: ignore[no-untyped-def]
        for chunk in iter(lambda: stream.read1(65536), b""):
            self.total += len(chunk)
            room = self.limit - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            self.tail += chunk
            if len(self.tail) > self.limit:
                del self.tail[: len(self.tail) - self.limit]

    def text(self) -> str:
        cut = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {cut} bytes cut ...]\n".encode() if cut > 0 else b""
        return truncate((bytes(self.head) + middle + bytes(self.tail)).decode(errors="replace"))


def run_bash(command: str, cwd: Path, timeout: float) -> Observation:
    """Run one shell command in its own process group; kill the whole group on timeout."""
    start = time.monotonic()
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    capture = _Capture(OUTPUT_LIMIT)
    reader = threading.Thread(target=capture.feed, args=(proc.stdout,), daemon=True)
    reader.start()
    note = ""
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = -9
        note = f"\n[command killed after {timeout:.0f} s]"
    # Kill what the command left behind (background jobs) so the pipe closes and nothing lingers.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    reader.join(timeout=5)
    return Observation(capture.text() + note, code, time.monotonic() - start)


def write_file(path: str, content: str, cwd: Path) -> Observation:
    """Replace (or create) a file under the working directory with the given content."""
    start = time.monotonic()
    target = (cwd / path).resolve()
    if not target.is_relative_to(cwd.resolve()):
        return Observation(f"refused: {path} is outside the working directory", 1, 0.0)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    lines = content.count("\n")
    return Observation(f"wrote {path} ({lines} lines)", 0, time.monotonic() - start)
