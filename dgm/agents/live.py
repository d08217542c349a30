"""Showing an agent at work: tail the trajectory file it rewrites after every step.

The seed agent (and every descendant that keeps its trajectory format) saves its whole trajectory
atomically after each step, so polling the file from the host sees each step once it is done,
without any channel out of the sandbox besides the folder the host already reads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Step = dict[str, Any]


def clip(text: str, lines: int, chars: int) -> str:
    """The last `lines` lines of text, at most `chars` characters, saying how much was left out."""
    kept = text.rstrip("\n").splitlines()
    cut = len(kept) - lines
    body = "\n".join(kept[-lines:]) if cut > 0 else "\n".join(kept)
    if len(body) > chars:
        body, cut = body[-chars:], max(cut, 1)
    return (f"[... {cut} more line(s) ...]\n" if cut > 0 else "") + body


def describe(step: Step) -> tuple[str, str]:
    """A one-line title and a short body for one step of a seed-format trajectory."""
    action = step.get("action", "?")
    timing = f"model {step.get('model_seconds', 0):.1f} s"
    if action in ("bash", "file"):
        timing += f", ran {step.get('seconds', 0):.1f} s, exit {step.get('returncode')}"
    title = f"step {step.get('step', '?')}: {action} ({timing})"
    if action == "bash":
        command = step.get("command") or step.get("reply", "")
        return title, f"$ {clip(command, 3, 300)}\n{clip(step.get('output', ''), 8, 800)}"
    if action == "file":
        return title, step.get("output", "") or f"wrote {step.get('path', '')}"
    if action in ("format_error", "repeated"):  # the start of the reply shows what went wrong
        lines = step.get("reply", "").strip().splitlines()
        more = f"\n[... {len(lines) - 4} more line(s)]" if len(lines) > 4 else ""
        return title, "reply: " + "\n".join(lines[:4])[:400] + more
    return title, ""


class TrajectoryTail:
    """Polls a trajectory file in a thread and reports each new step once."""

    def __init__(self, on_step: Callable[[Step], None], interval_s: float = 0.5) -> None:
        self.on_step, self.interval_s = on_step, interval_s
        self.path: Path | None = None
        self.shown = 0
        self.last: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, path: Path) -> None:
        """Begin watching path (it may not exist yet)."""
        self.path = path
        self._thread = threading.Thread(target=self._loop, name="dgm-trajectory-tail", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.poll()

    def poll(self) -> None:
        """Read the file once; report steps not reported yet."""
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text())
            steps = list(data["steps"])
        except (OSError, ValueError, KeyError, TypeError):
            return  # not written yet, or not the seed's format
        self.last = data
        for step in steps[self.shown:]:  # the agent saves a step only once it is done
            self.on_step(step)
        self.shown = max(self.shown, len(steps))

    def stop(self, final: Path | None = None) -> None:
        """Stop polling; report the steps in final (the runner's copy of the file), if given."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if final is not None:
            self.path = final
        self.poll()
