"""Facts about a failed attempt, read from its trajectory by the controller itself.

A strong model finds "it submitted without changing anything" in a raw trajectory on its own; a
small one mostly repeats the outcome line back ("the agent gave an empty patch"). Stating what
can be counted (steps, files written, tests run and how they ended, how the attempt stopped)
gives any diagnosis something concrete to explain. Trajectories that are not the seed agent's
JSON shape give no facts beyond the outcome: nothing is guessed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dgm.archive.node import Node, NodeStatus
from dgm.archive.result import TaskResult

TEST_COMMAND = re.compile(r"\b(pytest|unittest|npm test|cargo test|go test|gradle|mvn|ctest|make test)\b")


def _steps(trajectory: str) -> tuple[str, str, list[dict[str, Any]]] | None:
    """(status, reason, steps) of a JSON trajectory, or None for any other shape."""
    try:
        data = json.loads(trajectory)
    except (json.JSONDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        return None
    steps = [s for s in data["steps"] if isinstance(s, dict)]
    return str(data.get("status", "")), str(data.get("reason", "")), steps


def failure_facts(result: TaskResult, trajectory: str) -> list[str]:
    """Plain sentences about what the agent did on a failed task (most telling first)."""
    facts = [f"The hidden tests that grade the task: {result.tests_passed} passed, "
             f"{result.tests_failed} failed."]
    if not result.patch.strip():
        facts.insert(0, "The agent's final patch is empty: it left the repository unchanged.")
    parsed = _steps(trajectory)
    if parsed is None:
        return facts
    status, reason, steps = parsed
    actions = [str(s.get("action", "")) for s in steps]
    written = sorted({str(s.get("path")) for s in steps if s.get("action") == "file" and s.get("path")})
    tests = [s for s in steps if s.get("action") == "bash" and TEST_COMMAND.search(str(s.get("command", "")))]
    ending = {"submitted": "it submitted", "step_limit": "it ran out of steps",
              "budget_exhausted": "its token budget ran out"}.get(status, f"it ended as {status!r}")
    facts.append(f"The attempt took {len(steps)} steps and {ending}" + (f" ({reason})." if reason else "."))
    facts.append(f"It ran {actions.count('bash')} shell commands and wrote "
                 + (f"{len(written)} files ({', '.join(written[:5])})." if written else "no file at all."))
    if status == "submitted" and not written and tests and tests[-1].get("returncode") == 0:
        facts.append("It ran the repository's existing tests, saw them pass, and submitted without "
                     "changing anything: passing existing tests do not show that the task's "
                     "problem is fixed, since they did not cover it.")
    elif not tests:
        facts.append("It never ran the tests.")
    for kind, what in (("format_error", "replies it could not act on (badly formatted)"),
                       ("repeated", "replies that repeated the previous action")):
        if count := actions.count(kind):
            facts.append(f"{count} of its replies were {what}.")
    return facts


def brief_steps(trajectory: str, limit: int) -> str:
    """The attempt's steps, one short entry each (the raw trajectory when it is not the seed
    agent's JSON shape), within `limit` characters, the latest steps kept."""
    parsed = _steps(trajectory)
    if parsed is None:
        return trajectory[-limit:]
    lines = []
    for number, step in enumerate(parsed[2], 1):
        action = str(step.get("action", ""))
        what = {"bash": str(step.get("command", "")).strip(), "file": str(step.get("path", ""))}
        head = f"{number}. {action}" + (f": {what[action][:300]}" if what.get(action) else "")
        if step.get("returncode") is not None:
            output = str(step.get("output", "")).strip()
            head += f"\n   exit {step['returncode']}; " + (output[-300:] or "(no output)")
        lines.append(head)
    text = "\n".join(lines)
    return text if len(text) <= limit else "[earlier steps cut]\n" + text[-limit:]


def earlier_tries(children: list[Node], task_id: str, score_key: str, parent_score: float | None,
                  ) -> list[str]:
    """What came of the parent's earlier children made from the same failed task: so that the
    next diagnosis need not repeat one (at temperature 0 it otherwise would, word for word)."""
    facts = []
    for child in children:
        if child.proposal.task_id != task_id or not child.proposal.summary:
            continue
        score = child.score(score_key)
        if child.status == NodeStatus.evaluated and score is not None:
            versus = "" if parent_score is None else f" (their parent: {parent_score:.0%})"
            outcome = f"that child scored {score:.0%}{versus}"
        elif child.status == NodeStatus.smoke_failed:
            outcome = "that child no longer ran (failed its smoke test)"
        else:
            outcome = f"that child was {child.status.value}"
        facts.append(f"A change already tried for this failure: \"{child.proposal.summary}\"; "
                     f"{outcome}.")
    return facts
