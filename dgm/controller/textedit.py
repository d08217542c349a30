"""Text-only edits: how a model with a small context window improves an agent.

Such a model can neither see nor rewrite the agent's code whole, and asked to "improve the
agent" it answers in generalities. So the controller narrows the question: it shows the agent's
prompt and skill files (all small), the facts of the failure, and asks for one change to one
named file; then it shows that one file and asks for the lines to add to it (see
merge_text_edit for the echoed whole files small models also send). Nothing is written until the
reply is checked: a placeholder the agent fills in is never lost, and a reply with nothing new
is sent back with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from dgm.controller.diagnose import Ask, Diagnosis, clip
from dgm.controller.propose import ANY_BLOCK, FILE_BLOCK, ProposalError, apply_files, named_block

EDITABLE = frozenset({".md", ".txt"})
MAX_EDITABLE_CHARS = 6000  # larger files are not offered: a small model cannot rewrite them whole
FENCE = re.compile(r"^```[^\n`]*\n", re.M)
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def editable_files(agent_dir: Path, limit: int | None = None) -> dict[str, str]:
    """Path -> text of the agent's prompt and skill files a small model may rewrite (up to
    `limit` characters in all, when given).

    Largest first: an agent's main prompt is its largest text, and a small model picks the
    first file it is offered far more often than any other. READMEs are left out: they change
    nothing the agent does."""
    files: dict[str, str] = {}
    for path in sorted(agent_dir.rglob("*"), key=lambda p: (-_size(p), str(p))):
        rel = path.relative_to(agent_dir)
        if (not path.is_file() or path.suffix not in EDITABLE or ".git" in rel.parts
                or path.name.upper().startswith("README")):
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        if len(text) <= MAX_EDITABLE_CHARS and (
                limit is None or sum(map(len, files.values())) + len(text) <= limit):
            files[rel.as_posix()] = text
    return files


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


SYSTEM = (
    "You improve a coding agent that is driven by a small language model. In this run only the "
    "agent's prompt and skill files may change, not its code; they are shown below. You are "
    "also shown a task the agent failed and facts about what it did. Propose ONE general change "
    "to ONE of those files that would make the agent do better on this and similar tasks. "
    "Usually that is a new rule in the agent's main prompt, the first file shown. Do not solve "
    "the task itself. Reply with a JSON object and nothing else, with keys: \"file\" (the path "
    "of the file to change, exactly as shown after ---), \"diagnosis\" (what went wrong, in one "
    "or two sentences), \"summary\" (one line naming the change), \"instruction\" (the exact "
    "text to add to that file, or the exact change to make in it)."
)


def text_diagnosis_messages(files: dict[str, str], statement: str, task_id: str,
                            facts: list[str], trajectory: str,
                            budget: int) -> list[dict[str, str]]:
    """The conversation that asks which text file to change and how (within `budget` chars)."""
    shown = "".join(f"--- {path}\n{text}\n" for path, text in files.items())
    facts_text = "\n".join(f"- {fact}" for fact in facts)
    room = max(800, budget - len(SYSTEM) - len(shown) - len(facts_text) - 400)
    user = (
        f"# The agent's prompt and skill files\n{shown}\n# Task {task_id}\n"
        f"{clip(statement, room // 3)}\n\n# What the agent did\n{facts_text}\n\n"
        f"## Its last steps\n{clip(trajectory, room * 2 // 3)}\n\n"
        f"Reply with the JSON object. \"file\" must be one of: {', '.join(files)}."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def target_file(diagnosis: Diagnosis, files: dict[str, str]) -> str:
    """The editable file a diagnosis names ("" if none): exactly, or by a unique file name."""
    named = diagnosis.file.strip().strip("`").removeprefix("./")
    if named in files:
        return named
    by_name = [p for p in files if PurePosixPath(p).name == PurePosixPath(named).name]
    if named and len(by_name) == 1:
        return by_name[0]
    mentioned = [p for p in files if p in diagnosis.instruction]
    return mentioned[0] if len(mentioned) == 1 else ""


EDIT_SYSTEM = (
    "You edit one text file of a coding agent: a prompt or skill it reads. Write the new text "
    "the requested change calls for, for example a new rule, as a few short lines. Reply with "
    "those lines in one fenced block (```) and nothing else: they are added to the end of the "
    "file. Keep them general: they must help on any task, not only the one that failed."
)


def edit_messages(path: str, text: str, diagnosis: Diagnosis) -> list[dict[str, str]]:
    """The conversation that asks for the text to add to one file."""
    user = (
        f"# File {path}\n```\n{text}```\n\n# Change to make\n{diagnosis.summary}\n\n"
        f"{diagnosis.instruction}\n\n# Why\n{diagnosis.diagnosis}\n\n"
        f"Reply with the lines to add to {path} in one ``` block."
    )
    return [{"role": "system", "content": EDIT_SYSTEM}, {"role": "user", "content": user}]


def request_lines(path: str, diagnosis: Diagnosis) -> frozenset[str]:
    """Lines of the edit request other than the instruction: a small model copies them back
    (headers, the diagnosis, the closing ask) as if they were the lines to add."""
    asked = edit_messages(path, "", diagnosis.model_copy(update={"instruction": ""}))[1]["content"]
    return frozenset(line.strip() for line in asked.splitlines() if line.strip() and line.strip() != "```")


def new_content(reply: str, path: str) -> str | None:
    """The file's new content in a reply: a block naming this path, else the longest block
    that names no other path, else the text after a fence left open; None when there is none."""
    for named, body in FILE_BLOCK.findall(reply):
        if named.strip().removeprefix("./") == path:
            return body
    bodies = []
    for block in ANY_BLOCK.findall(reply):
        named, body = named_block(*block)
        if named == path:
            return body
        if not named:
            bodies.append(body)
    fences = FENCE.findall(reply)
    if not bodies and len(fences) % 2:
        # A small model often stops right after its text, before the closing fence.
        return reply[reply.rindex(fences[-1]) + len(fences[-1]):]
    return max(bodies, key=len) if bodies else None


def merge_text_edit(old: str, block: str, echo: frozenset[str] = frozenset()) -> tuple[str, str]:
    """(the file's new text, "") from the block a model wrote, or ("", why it cannot be used).

    Asked for lines to add, a small model as often echoes the whole file with its change in
    it. A block that keeps most of the file and every `{placeholder}` (the agent fills them in)
    is taken as the whole new file; otherwise its lines the file does not already hold are
    added to the end, so an echo that lost a placeholder still contributes only its new lines.
    Lines in `echo` (the request's own wording, copied back) are never added.
    """
    old_lines = {line.strip() for line in old.splitlines() if line.strip()}
    block = "".join(line for line in block.splitlines(keepends=True)
                    if line.strip() not in echo or line.strip() in old_lines)
    kept = sum(1 for line in block.splitlines() if line.strip() in old_lines)
    lost = set(PLACEHOLDER.findall(old)) - set(PLACEHOLDER.findall(block))
    if not lost and (len(old_lines) < 4 or kept >= len(old_lines) / 2):
        if block.strip() == old.strip():
            return "", "that is the file as it already is: write the new lines only"
        return (block if block.endswith("\n") else block + "\n"), ""
    added = [line for line in block.splitlines()
             if line.strip() and line.strip() not in old_lines and line.strip() not in echo]
    if not added:
        return "", "that block holds no line the file does not already have: write new lines"
    return old.rstrip("\n") + "\n" + "\n".join(added) + "\n", ""


def propose_text_edit(ask: Ask, agent_dir: Path, diagnosis: Diagnosis,
                      attempts: int = 2) -> list[str]:
    """Edit the one text file the diagnosis names, in place; return the changed paths."""
    files = editable_files(agent_dir)
    path = target_file(diagnosis, files)
    if not path:
        raise ProposalError(f"the diagnosis names no editable file (it said {diagnosis.file!r})")
    old = files[path]
    messages = edit_messages(path, old, diagnosis)
    problem = ""
    for _ in range(attempts):
        reply = ask(messages)
        block = new_content(reply, path)
        if block is None:
            problem = "the reply held no ``` block"
        else:
            text, problem = merge_text_edit(old, block, request_lines(path, diagnosis))
            if not problem:
                return apply_files(agent_dir, {path: text})
        messages = [*messages, {"role": "assistant", "content": reply},
                    {"role": "user", "content": f"That cannot be used: {problem}. Reply with the "
                     f"lines to add to {path} in one ``` block."}]
    raise ProposalError(f"no usable edit of {path} after {attempts} replies: {problem}")
