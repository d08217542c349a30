"""Diagnosis: pick a task the parent failed, show the model what happened, get a proposal back.

As in DGM, the task is drawn at random among the parent's failures, weighted towards failures
that say the most about the agent itself (an empty patch: the agent gave up or broke). The model
answers in a JSON object that is validated; a reply that is not valid is retried and then
reported as an infrastructure failure of the step, never charged to the parent.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from dgm.archive.node import Proposal
from dgm.archive.result import Outcome, TaskResult

Ask = Callable[[list[dict[str, str]]], str]  # messages -> reply text
EMPTY_PATCH_WEIGHT = 2.0
MAX_FILE_CHARS = 12_000
MAX_LOG_CHARS = 8_000


class DiagnosisError(RuntimeError):
    """The model gave no valid diagnosis after the allowed attempts."""


class Diagnosis(BaseModel):
    """What the model must return, validated."""

    diagnosis: str = Field(min_length=10, description="Why the agent failed this task.")
    summary: str = Field(min_length=3, max_length=200, description="One line naming the change.")
    instruction: str = Field(min_length=10, description="What to change in the agent's code.")
    file: str = Field("", description="Text-only runs: the prompt or skill file to change.")

    def to_proposal(self, task_id: str, mode: str) -> Proposal:
        """The Proposal stored on the child node."""
        return Proposal(summary=self.summary.strip(), mode=mode, task_id=task_id,
                        diagnosis=self.diagnosis.strip(), instruction=self.instruction.strip())


def pick_failed_task(results: Sequence[TaskResult], rng: random.Random) -> TaskResult | None:
    """A failed task of the parent, empty-patch failures weighted up; None if it failed nothing."""
    failed = [r for r in results if r.outcome == Outcome.failed]
    if not failed:
        return None
    weights = [EMPTY_PATCH_WEIGHT if not r.patch.strip() else 1.0 for r in failed]
    return rng.choices(failed, weights=weights, k=1)[0]


def clip(text: str, limit: int) -> str:
    """Head and tail of a long text."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters cut ...]\n{text[-half:]}"


def agent_summary(agent_dir: Path, limit: int = MAX_FILE_CHARS * 4) -> str:
    """The agent's source, file by file (Python and prompts first), within a size budget."""
    files = sorted(
        (p for p in agent_dir.rglob("*") if p.is_file() and ".git" not in p.parts),
        key=lambda p: (p.suffix not in {".py", ".md"}, str(p)),
    )
    parts, used, omitted = [], 0, []
    for path in files:
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        # A clipped file's header says so: an edit may only rewrite files shown whole.
        mark = " (clipped)" if len(text) > MAX_FILE_CHARS else ""
        piece = f"--- {path.relative_to(agent_dir)}{mark}\n{clip(text, MAX_FILE_CHARS)}\n"
        if used + len(piece) > limit:
            # Skip rather than stop: smaller files further on may still fit the budget.
            omitted.append(str(path.relative_to(agent_dir)))
            continue
        parts.append(piece)
        used += len(piece)
    if omitted:
        parts.append(f"--- (not shown, too large for this prompt: {', '.join(omitted)})\n")
    return "".join(parts)


def prompt_budget(model: str, context_tokens: int, reply_tokens: int) -> int | None:
    """Characters a controller prompt may take, for models with a small known context window.

    Only the embedded model's window is known here (llm.local_context); API models get the
    fixed clip limits. Three characters per token errs on the short side for code and logs.
    """
    if not model.startswith("local/"):
        return None
    reply = min(reply_tokens, context_tokens // 3)
    return max(2000, (context_tokens - reply) * 3)


SYSTEM = (
    "You improve a coding agent. You are shown the agent's source code, a task it failed, what "
    "it did, and the test output. Find the weakness in the agent (its prompts, tools, loop or "
    "skills) that made it fail, and propose ONE general change to the agent's code that would "
    "help on this and similar tasks. Do not propose solving this one task by hand. Reply with a "
    "JSON object and nothing else, with keys: \"diagnosis\" (what went wrong and why), "
    "\"summary\" (one line naming the change), \"instruction\" (precise instructions for the "
    "engineer who will edit the agent's code: which files, what to change)."
)


def diagnosis_messages(
    agent_code: str, statement: str, result: TaskResult, trajectory: str, test_log: str,
    facts: Sequence[str] = (),
) -> list[dict[str, str]]:
    """The conversation that asks for a diagnosis (for models with a large context window;
    small ones are asked through textedit)."""
    outcome = "gave an empty patch" if not result.patch.strip() else "produced a wrong patch"
    observed = "".join(f"- {fact}\n" for fact in facts)
    limits = {"statement": 6000, "patch": 4000, "log": MAX_LOG_CHARS}
    user = (
        f"# Agent source\n{agent_code}\n\n# Task {result.task_id}\n"
        f"{clip(statement, limits['statement'])}\n\n"
        f"# What happened\nThe agent {outcome}; {result.tests_passed} hidden tests passed and "
        f"{result.tests_failed} failed.\n{observed}\n## Agent patch\n"
        f"{clip(result.patch, limits['patch']) or '(empty)'}"
        f"\n\n## Trajectory\n{clip(trajectory, limits['log'])}\n\n## Test output\n"
        f"{clip(test_log, limits['log'])}\n\nReply with the JSON object."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_diagnosis(reply: str) -> Diagnosis:
    """The Diagnosis in a reply: the JSON object, possibly inside a code fence or prose."""
    candidates = re.findall(r"```(?:json)?\s*(\{.*?\})\s*```", reply, re.S)
    start, end = reply.find("{"), reply.rfind("}")
    if start >= 0 and end > start:
        candidates.append(reply[start : end + 1])
    problems = []
    for text in candidates:
        try:
            return Diagnosis.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(str(exc).splitlines()[0])
    raise ValueError("no valid JSON object with diagnosis, summary and instruction"
                     + (f" ({problems[0]})" if problems else ""))


def diagnose(ask: Ask, messages: list[dict[str, str]], attempts: int = 3,
             check: Callable[[Diagnosis], str] | None = None) -> Diagnosis:
    """Ask until a valid Diagnosis comes back (one `check` finds no fault in, when given);
    each retry tells the model what was wrong."""
    conversation = list(messages)
    error = ""
    for _ in range(attempts):
        reply = ask(conversation)
        try:
            found = parse_diagnosis(reply)
            if check is not None and (fault := check(found)):
                raise ValueError(fault)
            return found
        except ValueError as exc:
            error = str(exc)
            conversation = [*messages, {"role": "assistant", "content": reply},
                            {"role": "user", "content": f"That reply was not usable: {error}. "
                             "Reply with only the JSON object."}]
    raise DiagnosisError(f"no valid diagnosis after {attempts} replies: {error}")
