"""Direct proposals: the controller's model rewrites files of the parent agent.

The model answers with whole files (```file <path> blocks), not diffs: small models write whole
files far more reliably than hunks with correct line counts. The files are written into a
checkout of the parent, which then becomes the child's tree.
"""

from __future__ import annotations

import re
from pathlib import Path

from dgm.controller.diagnose import Ask, Diagnosis, agent_summary

FILE_BLOCK = re.compile(r"^```file[ \t]+([^\n`]+?)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
# What small models write instead: any fenced block, with the line before it and its info string.
ANY_BLOCK = re.compile(r"(?:^([^\n]*)\n)?^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
PATH_LIKE = re.compile(r"[\w./-]+\.\w+")


class ProposalError(RuntimeError):
    """The model's reply held no usable file changes."""


SYSTEM = (
    "You are an expert Python engineer editing the source code of a coding agent. Apply the "
    "requested change. Reply with every file you change, each as a block that starts with "
    "```file <path relative to the agent root> and holds the complete new content of the file, "
    "then ``` on its own line. Do not abbreviate any file. Keep the agent runnable: it must "
    "still import and run from its command line."
)


def proposal_messages(agent_dir: Path, diagnosis: Diagnosis) -> list[dict[str, str]]:
    """The conversation that asks for the edit."""
    user = (
        f"# Agent source\n{agent_summary(agent_dir)}\n\n# Change to make\n{diagnosis.summary}\n\n"
        f"{diagnosis.instruction}\n\n# Why\n{diagnosis.diagnosis}\n\n"
        "Reply with the changed files as ```file blocks."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def named_block(before: str, info: str, body: str) -> tuple[str, str]:
    """(the path a fenced block names, or "", its content) for one ANY_BLOCK match: "```file"
    with the path on the first line, a language tag and the path, or the path on the line before."""
    words = info.split()
    if words[:1] == ["file"] and len(words) == 1:
        first, _, rest = body.partition("\n")
        if PATH_LIKE.fullmatch(first.strip()):
            return first.strip().removeprefix("./"), rest
    elif len(words) == 2 and PATH_LIKE.fullmatch(words[1]):
        return words[1].removeprefix("./"), body
    else:
        named = before.strip().strip("`*#:").strip().strip("`*")
        if PATH_LIKE.fullmatch(named):
            return named.removeprefix("./"), body
    return "", body


def parse_files(reply: str) -> dict[str, str]:
    """Path -> new content for each ```file block in a reply.

    Without any, the forms small models use instead are accepted when they name exactly one
    path: "```file" with the path on the block's first line, a language tag followed by the path
    ("```markdown prompts/x.md"), or the path alone on the line before the block."""
    files: dict[str, str] = {}
    for path, body in FILE_BLOCK.findall(reply):
        files[path.strip().removeprefix("./")] = body
    if files:
        return files
    for block in ANY_BLOCK.findall(reply):
        path, body = named_block(*block)
        if path:
            files[path] = body
    return files


def apply_files(agent_dir: Path, files: dict[str, str]) -> list[str]:
    """Write the files into agent_dir; refuse paths outside it; return the paths that changed."""
    root = agent_dir.resolve()
    changed = []
    for rel, content in files.items():
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or ".git" in Path(rel).parts:
            raise ProposalError(f"refusing to write {rel!r}: outside the agent's tree")
        old = target.read_text() if target.is_file() else None
        if old != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            changed.append(rel)
    return changed


def check_edit(agent_dir: Path, files: dict[str, str], shown: str) -> str:
    """Why an edit cannot be used, or "": Python that does not compile, or a rewrite of an
    existing file the prompt left out (the model would be rewriting code it cannot see)."""
    root = agent_dir.resolve()
    for rel, content in files.items():
        if (root / rel).is_file() and f"--- {rel}\n" not in shown:
            return (f"{rel} was not shown to you whole (too large for this prompt); edit only files "
                    "shown in full, or add a new file")
        if rel.endswith(".py"):
            try:
                compile(content, rel, "exec")
            except SyntaxError as exc:
                return f"{rel} does not compile: {exc.msg} (line {exc.lineno})"
    return ""


def propose_direct(ask: Ask, agent_dir: Path, diagnosis: Diagnosis, attempts: int = 2) -> list[str]:
    """Edit a checkout of the parent in place; return the changed paths (never empty).

    Replies are checked before anything is written: code that does not compile, or a rewrite of
    a file the prompt left out, is sent back with the reason instead of becoming a broken child.
    """
    messages = proposal_messages(agent_dir, diagnosis)
    shown = messages[1]["content"]
    problem = ""
    for _ in range(attempts):
        reply = ask(messages)
        files = parse_files(reply)
        if not files:
            problem = "the reply held no ```file blocks"
        elif problem := check_edit(agent_dir, files, shown):
            pass
        else:
            changed = apply_files(agent_dir, files)
            if changed:
                return changed
            problem = "the files in the reply are identical to the current ones"
        messages = [*messages, {"role": "assistant", "content": reply},
                    {"role": "user", "content": f"No change could be applied: {problem}. "
                     "Reply with the complete changed files as ```file blocks."}]
    raise ProposalError(f"no usable edit after {attempts} replies: {problem}")
