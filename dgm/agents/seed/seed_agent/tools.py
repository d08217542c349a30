"""The agent's actions: parse one from a model reply, and carry it out in the working tree."""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# One fenced block per reply: ```bash <command>``` or ```file <path>``` with the whole new content.
# Small models bend this format, so parsing is forgiving: untagged or ```console blocks run as
# shell commands, ```python path.py is a file write, an unclosed last block still runs, and a bare
# "submit" line submits. Anything else gets an error message saying how to fix the reply.
BLOCK = re.compile(r"^[ \t]*```([\w.+-]*)[ \t]*([^\n`]*)\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
UNCLOSED = re.compile(r"^[ \t]*```([\w.+-]*)[ \t]*([^\n`]*)\n(.*)\Z", re.S | re.M)
PATH = re.compile(r"^[\w./-]*\w\.\w+$|^[\w./-]+/[\w.-]+$")  # looks like a file path
SHELLS = {"bash", "sh", "shell", "console", "terminal", "zsh", ""}
SUBMIT = "submit"
OUTPUT_LIMIT = 6000  # characters of command output shown to the model
NO_ACTION = (
    "your reply had no action block; reply with one: a ```bash block with one command, "
    "or a ```file <path> block with the whole new file content, or a ```bash block "
    f"containing only `{SUBMIT}` when the task is done"
)


@dataclass
class Action:
    """What the model asked for: kind is 'bash', 'file' or 'submit'."""

    kind: str
    body: str
    path: str = ""


class FormatError(Exception):
    """The reply held no usable action; the message tells the model how to fix it."""


def _path(arg: str) -> str:
    """The path in a fence's argument: `file: a.py`, `path=a.py` and quotes are tolerated."""
    arg = arg.strip().lstrip(":").strip().removeprefix("path=").strip("'\"`")
    return arg if PATH.match(arg) else ""


def _action(lang: str, arg: str, body: str) -> Action | None:
    """The action one block stands for, None if it is no action (e.g. output shown as text)."""
    if lang == "file":
        path, first = _path(arg), body.split("\n", 1)
        if not path and len(first) == 2 and _path(first[0]):  # the path on the first line
            path, body = _path(first[0]), first[1]
        if not path:
            raise FormatError("a ```file block needs a path: write the path of the file right "
                              "after the word file, on the same line as the backticks")
        return Action("file", body, path=path)
    if lang in SHELLS:
        # Drop "$ " prompts a model copies from a terminal transcript.
        body = re.sub(r"^\$ ", "", body, flags=re.M)
        words = [ln.strip() for ln in body.splitlines() if ln.strip() and ln.strip()[0] != "#"]
        return Action(SUBMIT, "") if words == [SUBMIT] else Action("bash", body)
    if _path(arg):  # ```python calc.py: the whole new content of calc.py
        return Action("file", body, path=_path(arg))
    return None


def parse_action(reply: str) -> tuple[Action, int]:
    """The first action in a reply, and how many actions the reply held."""
    blocks = [(lang.lower(), arg, body) for lang, arg, body in BLOCK.findall(reply)]
    # Explicitly tagged blocks first: an untagged one may only be output the model quotes.
    tagged = [b for b in blocks if b[0] in SHELLS - {""} | {"file"}]
    actions: list[Action] = []
    problems: list[FormatError] = []
    for block in tagged or blocks:  # a broken block does not hide a good one after it
        try:
            action = _action(*block)
        except FormatError as exc:
            problems.append(exc)
            continue
        if action is not None:
            actions.append(action)
    if actions:
        return actions[0], len(actions)
    if problems:
        raise problems[0]
    rest = BLOCK.sub("", reply)
    unclosed = UNCLOSED.search(rest)
    if unclosed:
        lang, arg, body = unclosed.group(1).lower(), unclosed.group(2), unclosed.group(3)
        if lang == "file" or (lang not in SHELLS and _path(arg)):
            raise FormatError("your file block was not closed with ``` (was the reply too long? "
                              "write a shorter file, or change it with a command)")
        action = _action(lang, arg, body)
        if action is not None:
            return action, 1
    lines = [line.strip(" `*.") for line in reply.strip().splitlines()]
    if lines and lines[-1].lower() == SUBMIT:
        return Action(SUBMIT, ""), 1
    langs = sorted({b[0] for b in blocks})
    if langs:
        raise FormatError(
            f"a ```{langs[0]} block is not an action; to run code put a command in a ```bash "
            "block (e.g. python -c '...' or python file.py); to write a file, name it after the "
            "word file: ```file path/to/file.py")
    raise FormatError(NO_ACTION)


BLOCK_END = "\n```\n"  # a closing fence; opening ones carry a word (```bash, ```file)


def close_block(reply: str) -> str:
    """The reply with its last block closed, if open (the model stopped at the fence)."""
    fences = [line for line in reply.splitlines() if line.lstrip().startswith("```")]
    return reply + "\n```\n" if len(fences) % 2 else reply


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


@functools.cache
def command_env() -> dict[str, str]:
    """The environment of commands: `python` works even where only `python3` is installed."""
    env = dict(os.environ)
    if shutil.which("python") is None:
        shim = Path(tempfile.mkdtemp(prefix="seed-agent-bin-"))
        (shim / "python").symlink_to(sys.executable)
        env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_bash(command: str, cwd: Path, timeout: float) -> Observation:
    """Run one shell command in its own process group; kill the whole group on timeout."""
    start = time.monotonic()
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True, env=command_env(),
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
