"""`dgm lineage --html`: one self-contained interactive page of a run (no network at view time)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from dgm.archive.flips import Flip, compare
from dgm.archive.layout import tree_positions
from dgm.archive.run import Archive

MAX_PATCH_CHARS = 20_000  # per node: keeps a 1,000-node page a few MB


def page_data(archive: Archive) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data."""
    graph = archive.lineage()
    key = archive.primary_key()
    positions = tree_positions(graph)
    nodes = archive.nodes()
    patches = archive.git.patches([n.commit for n in nodes if n.parent_id])
    latest = {n.id: archive.results(n.id) for n in nodes}
    out = []
    for node in nodes:
        patch = patches.get(node.commit, "")
        if len(patch) > MAX_PATCH_CHARS:
            cut = len(patch) - MAX_PATCH_CHARS
            patch = patch[:MAX_PATCH_CHARS] + f"\n[... {cut} more characters: see `dgm show`]\n"
        flips: dict[str, list[str]] = {}
        if node.parent_id:
            paired = compare(node.parent_id, latest[node.parent_id], node.id, latest[node.id])
            flips = {k: paired.of(k) for k in (Flip.fixed, Flip.regressed, Flip.invalid)}
        x, y = positions[node.id]
        out.append({
            "id": node.id, "parent": node.parent_id, "generation": node.generation,
            "x": x, "y": y, "status": str(node.status), "reason": node.reason or "",
            "score": node.score(key),
            "scores": {k: [s.passed, s.failed, s.errors] for k, s in sorted(node.scores.items())},
            "cost": node.cost.model_dump() | {"tokens": node.cost.tokens},
            "proposal": node.proposal.model_dump(exclude={"extra"}),
            "created": node.created_at.isoformat(timespec="seconds"),
            "patch": patch, "flips": flips,
            "tampered": sorted(r.task_id for r in latest[node.id] if r.tampered),
        })
    best = archive.best(key)
    return {"run": archive.name, "key": key, "best": best.id if best else None, "nodes": out}


def render_page(archive: Archive) -> str:
    """The HTML page, data inlined; model-written text is escaped for the script tag."""
    template = resources.files("dgm").joinpath("templates/lineage.html").read_text("utf-8")
    data = json.dumps(page_data(archive), separators=(",", ":"))
    # Model-written text may hold "</script>" or "<!--": inside a script element no "<", ">" or
    # "&" may appear raw, and in JSON they only occur in strings, where \\u escapes are exact.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return template.replace("/*DATA*/null", data).replace("{{RUN}}", _html(archive.name))


def _html(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def render_dot(archive: Archive) -> str:
    """The lineage in Graphviz DOT: one box per node, labelled with id, score and status."""
    key = archive.primary_key()
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for node in archive.nodes():
        score = node.score(key)
        label = f"{node.id}\\n{'-' if score is None else f'{score:.1%}'} {node.status}"
        summary = node.proposal.summary[:40].replace("\\", "\\\\").replace('"', '\\"')
        if summary:
            label += f"\\n{summary}"
        lines.append(f'  "{node.id}" [label="{label}"];')
        if node.parent_id:
            lines.append(f'  "{node.parent_id}" -> "{node.id}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
