"""The agent loop: ask the model, carry out its one action, show the result, repeat."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from seed_agent.model import BudgetExhausted, ContextTooLong, Model, ModelError
from seed_agent.skills import render_skills
from seed_agent.tools import (BLOCK_END, Action, FormatError, Observation, close_block,
                              parse_action, run_bash, write_file)

PROMPTS = Path(__file__).resolve().parent / "prompts"
ELIDED = "[output elided to save context]"


@dataclass
class Settings:
    """Limits of one run."""

    max_steps: int = 30
    max_tokens: int = 300_000
    max_reply_tokens: int = 2_000  # a rambling model must not spend an hour on one reply
    # Only the first action of a reply is used, so generation stops where a block closes (a
    # 1.5B model once spent 14 minutes writing the same block over and over). The price: a file
    # whose content has a line of just ``` is cut there.
    stop_at_block_end: bool = True
    command_timeout: float = 120.0
    max_context_chars: int = 48_000
    max_skill_chars: int = 6_000
    overview_chars: int = 8_000


@dataclass
class Step:
    """One turn: the model's reply, the action taken and what came of it."""

    step: int
    reply: str
    action: str
    path: str = ""
    command: str = ""
    output: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    model_seconds: float = 0.0


@dataclass
class Trajectory:
    """Everything the agent did, written after every step so a killed run still leaves it."""

    task: str
    workdir: str
    started_at: str
    status: str = "running"
    reason: str = ""
    steps: list[Step] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ended_at: str = ""

    def save(self, path: Path | None) -> None:
        """Write atomically as JSON."""
        if path is None:
            return
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, path)


def overview(workdir: Path, max_chars: int) -> str:
    """The repository's files, and the content of the small text ones, within max_chars.

    Showing the code up front saves the model several steps of looking around, which matters
    most for small models that lose track of long conversations.
    """
    files = sorted(p for p in workdir.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(workdir).parts))
    listing = "\n".join(str(p.relative_to(workdir)) for p in files[:200])
    parts = [f"Files in the repository:\n{listing}\n"]
    used = len(parts[0])
    for path in files:
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        piece = f"\n{path.relative_to(workdir)}:\n```\n{text}```\n"
        if used + len(piece) > max_chars:
            parts.append("\n(Other files are not shown: read them with commands.)\n")
            break
        parts.append(piece)
        used += len(piece)
    return "".join(parts)


def prompt(name: str, **values: object) -> str:
    """A prompt file with its {placeholders} filled."""
    text = (PROMPTS / f"{name}.md").read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text.strip()


class Agent:
    """Solves one task in a working directory with one model."""

    def __init__(self, model: Model, settings: Settings, skills_dir: Path | None = None) -> None:
        self.model = model
        self.settings = settings
        self.skills_dir = skills_dir

    def run(self, task: str, workdir: Path, trajectory_path: Path | None = None) -> Trajectory:
        """Work on the task until it is submitted or a limit is hit; returns the trajectory."""
        s = self.settings
        skills = render_skills(self.skills_dir, s.max_skill_chars) if self.skills_dir else ""
        traj = Trajectory(task=task, workdir=str(workdir), started_at=_now())
        traj.messages = [
            {"role": "system", "content": prompt("system", command_timeout=int(s.command_timeout),
                                                 skills=skills)},
            {"role": "user", "content": prompt("task", workdir=workdir, task=task,
                                               overview=overview(workdir, s.overview_chars))},
        ]
        traj.save(trajectory_path)
        last: Action | None = None  # the latest action carried out
        for number in range(1, s.max_steps + 1):
            if self.model.tokens >= s.max_tokens:
                return self._end(traj, "token_budget", f"used {self.model.tokens} tokens",
                                 trajectory_path)
            if number == s.max_steps:
                traj.messages.append({"role": "user", "content": prompt("last_step")})
            started = time.monotonic()
            # After a wasted step, sample with some randomness: a model at temperature 0 that
            # repeated itself or broke the format tends to do it again word for word.
            stuck = bool(traj.steps) and traj.steps[-1].action in ("repeated", "format_error")
            try:
                params: dict[str, object] = {"max_tokens": s.max_reply_tokens}
                if s.stop_at_block_end:
                    params["stop"] = [BLOCK_END]
                if stuck:  # a new seed too: a server may sample with a fixed one
                    params["temperature"], params["seed"] = 0.7, number
                reply = self._ask(traj.messages, **params)
                if s.stop_at_block_end and self.model.finish_reason == "stop":
                    reply = close_block(reply)  # the stop string is not part of the reply
            except BudgetExhausted as exc:
                return self._end(traj, "budget_exhausted", str(exc), trajectory_path)
            except ModelError as exc:
                return self._end(traj, "model_error", str(exc), trajectory_path)
            step = Step(step=number, reply=reply, action="", model_seconds=time.monotonic() - started)
            traj.messages.append({"role": "assistant", "content": reply})
            traj.steps.append(step)
            try:
                action, count = parse_action(reply)
            except FormatError as exc:
                action, count, error = None, 0, exc
            if traj.steps[:-1] and traj.steps[-2].reply.strip() == reply.strip() or (
                    action is not None and action == last):
                # A model in a loop: the same reply, or the action just carried out (whose
                # result it has), is not run again; it is told so instead.
                step.action = "repeated"
                traj.messages.append({"role": "user", "content": prompt("repeated")})
                self._count(traj, trajectory_path)
                continue
            if action is None:
                step.action = "format_error"
                traj.messages.append({"role": "user", "content": prompt("format_error", error=error)})
                self._count(traj, trajectory_path)
                continue
            last = action
            step.action, step.path = action.kind, action.path
            step.command = action.body if action.kind == "bash" else ""
            if action.kind == "submit":
                return self._end(traj, "submitted", "", trajectory_path)
            if action.kind == "file":
                seen: Observation = write_file(action.path, action.body, workdir)
            else:
                seen = run_bash(action.body, workdir, s.command_timeout)
            step.output, step.returncode, step.seconds = seen.output, seen.returncode, seen.seconds
            note = prompt("extra_actions", count=count - 1) + "\n" if count > 1 else ""
            traj.messages.append({"role": "user", "content": note + prompt(
                "observation", returncode=seen.returncode, output=seen.output or "(no output)")})
            self._count(traj, trajectory_path)
        return self._end(traj, "step_limit", f"{s.max_steps} steps", trajectory_path)

    def _ask(self, messages: list[dict[str, str]], **params: object) -> str:
        """The model's reply; when the conversation is too long for the model, shrink it."""
        while True:
            try:
                return self.model.complete(self._context(messages), **params)
            except ContextTooLong:
                if self.settings.max_context_chars < 4000:
                    raise
                self.settings.max_context_chars //= 2  # from now on: small models have small windows

    def _context(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        """The conversation to send, oldest observations elided when it grows too long."""
        total = sum(len(m["content"]) for m in messages)
        out = [dict(m) for m in messages]
        for message in out[2:-2]:  # keep the instructions and the latest exchange whole
            if total <= self.settings.max_context_chars:
                break
            if message["role"] == "user" and message["content"] != ELIDED:
                total -= len(message["content"]) - len(ELIDED)
                message["content"] = ELIDED
        return out

    def _count(self, traj: Trajectory, path: Path | None) -> None:
        traj.prompt_tokens = self.model.prompt_tokens
        traj.completion_tokens = self.model.completion_tokens
        traj.save(path)

    def _end(self, traj: Trajectory, status: str, reason: str, path: Path | None) -> Trajectory:
        traj.status, traj.reason, traj.ended_at = status, reason, _now()
        self._count(traj, path)
        return traj


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
