"""`dgm export`: build a wheel and an sdist of an archive node, with a README from its lineage."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import networkx as nx

from dgm.archive.node import Node
from dgm.archive.run import Archive
from dgm.errors import DgmError, NodeNotFoundError

SKILLS_DIR = "skills"


class ExportError(DgmError):
    """The node cannot be packaged."""


def choose_node(archive: Archive, which: str) -> tuple[Node, str]:
    """The node to export and why: an id, or 'best' (held-out score, then fewer failures)."""
    if which != "best":
        return archive.node(which), "chosen by id"
    config = archive.config.benchmark
    heldout = f"{config.name}:{config.heldout_split}"
    train = f"{config.name}:{config.train_split}"
    for key, why in ((heldout, "best on the held-out split"), (train, "best on the training split "
                     "(no node was scored on held-out)")):
        scored = [n for n in archive.nodes() if n.score(key) is not None]
        if scored:
            best = max(scored, key=lambda n: (n.score(key), -n.scores[key].failed))
            return best, f"{why} ({key}: {best.score(key):.1%})"
    raise NodeNotFoundError(f"{archive.path}: no scored node to export; name a node id instead")


def _project(staging: Path) -> tuple[dict, str]:
    path = staging / "pyproject.toml"
    if not path.is_file():
        raise ExportError("the node's tree has no pyproject.toml: it is not a packageable agent")
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExportError(f"the node's pyproject.toml is not valid TOML: {exc}") from None
    if not data.get("project", {}).get("scripts"):
        raise ExportError("the node's pyproject.toml declares no [project.scripts] entry point")
    return data, text


def _set_project_key(text: str, key: str, value: str) -> str:
    """Set a string key of the [project] table, keeping the rest of the file as written."""
    section = re.search(r"(?ms)^\[project\]\s*$(.*?)(?=^\[|\Z)", text)
    if section is None:
        raise ExportError("the node's pyproject.toml has no [project] table")
    body = section.group(1)
    line = f'{key} = "{value}"'
    pattern = re.compile(rf'(?m)^{re.escape(key)}\s*=.*$')
    body = pattern.sub(line, body, count=1) if pattern.search(body) else f"\n{line}{body}"
    return text[: section.start(1)] + body + text[section.end(1) :]


def lineage_readme(archive: Archive, node: Node, why: str, dist_name: str) -> str:
    """A README telling where the agent came from: scores, ancestry, changes, skills."""
    graph = archive.lineage()
    ancestry = [node.id, *reversed(list(nx.ancestors(graph, node.id)))]
    chain = sorted((archive.node(i) for i in set(ancestry)), key=lambda n: n.generation)
    lines = [
        f"# {dist_name}", "",
        f"A coding agent evolved by dgm: node `{node.id}` of run `{archive.name}` ({why}).", "",
        "## Scores", "", "| benchmark split | passed | graded | rate |", "| --- | --- | --- | --- |",
    ]
    for key, score in sorted(node.scores.items()):
        lines.append(f"| {key} | {score.passed} | {score.graded} | {score.value:.1%} |")
    lines += ["", "## Ancestry", "", "| generation | node | change |", "| --- | --- | --- |"]
    for step in chain:
        summary = step.proposal.summary.replace("|", "\\|").replace("\n", " ") or "-"
        lines.append(f"| {step.generation} | `{step.id}` | {summary} |")
    root = chain[0]
    if root.id != node.id:
        stat = archive.git.diff_stat(root.commit, node.commit)
        lines += ["", "## Changes since the seed agent", "", "```", stat, "```"]
    skills = [p for p in archive.git.files(node.commit) if p.startswith(f"{SKILLS_DIR}/")]
    lines += ["", "## Skill library", ""]
    lines += [f"- `{p}`" for p in skills if p.endswith(".md") and not p.endswith("README.md")] or [
        "(none)"]
    return "\n".join(lines) + "\n"


def export_node(archive: Archive, which: str, out: Path, name: str | None = None) -> list[Path]:
    """Build the wheel and sdist of a node into out; return their paths."""
    node, why = choose_node(archive, which)
    dist_name = name or f"dgm-agent-{node.id}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", dist_name):
        raise ExportError(f"{dist_name!r} is not a valid distribution name")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dgm-export-") as tmp:
        staging = archive.checkout(node.id, Path(tmp) / "src")
        data, text = _project(staging)
        text = _set_project_key(text, "name", dist_name)
        text = _set_project_key(text, "readme", "README.md")
        (staging / "pyproject.toml").write_text(text)
        (staging / "README.md").write_text(lineage_readme(archive, node, why, dist_name))
        _bundle_skills(staging, data)
        before = set(out.iterdir())
        _build(staging, out.resolve(), node.id)
    return sorted(set(out.iterdir()) - before)


def _build(staging: Path, out: Path, node_id: str) -> None:
    """python -m build: first with the installed backend (works offline), else isolated."""
    base = [sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(out)]
    result = subprocess.run([*base, "--no-isolation", str(staging)], capture_output=True, text=True)
    if result.returncode != 0 and "Unmet dependencies" in result.stdout + result.stderr:
        # The local setuptools is too old for the agent's build requirements: fetch them.
        result = subprocess.run([*base, str(staging)], capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ExportError(f"building node {node_id} failed:\n{tail}")


def _bundle_skills(staging: Path, data: dict) -> None:
    """Copy skills/ into the agent's package, where an installed agent finds it."""
    skills = staging / SKILLS_DIR
    if not skills.is_dir():
        return
    entry = next(iter(data["project"]["scripts"].values()))
    package = entry.split(":")[0].split(".")[0]
    if not (staging / package).is_dir():
        raise ExportError(f"entry point {entry!r} names package {package!r}, not in the tree")
    shutil.copytree(skills, staging / package / SKILLS_DIR, dirs_exist_ok=True)
    manifest = staging / "MANIFEST.in"
    existing = manifest.read_text() if manifest.exists() else ""
    # setuptools installs MANIFEST.in files found inside packages (include-package-data is on
    # by default with pyproject.toml), so the agent's own pyproject.toml stays as evolved.
    manifest.write_text(existing + f"\nrecursive-include {package}/{SKILLS_DIR} *.md *.toml\n")
