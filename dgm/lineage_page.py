"""`dgm lineage --html`: one self-contained interactive page of a run (no network at view time)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from importlib import resources
from typing import Any

from dgm.archive.flips import Flip, compare
from dgm.archive.layout import tree_positions
from dgm.archive.run import Archive

_MARKERS = re.compile(r"/\*DATA\*/null|/\*PATCHES\*/null|\{\{RUN\}\}")
MAX_PATCH_CHARS = 20_000  # per node, before compression: bounds a 1,000-node page


def page_data(archive: Archive) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data. Diffs are under "patches" (node id to
    text, capped), apart from the node records, because the page decodes them only on a click."""
    graph = archive.lineage()
    key = archive.primary_key()
    positions = tree_positions(graph)
    nodes = archive.nodes()
    patches = archive.git.patches([n.commit for n in nodes if n.parent_id])
    latest = {n.id: archive.results(n.id) for n in nodes}
    out = []
    texts: dict[str, str] = {}
    for node in nodes:
        patch = patches.get(node.commit, "")
        if patch:
            texts[node.id] = _capped(patch, f"dgm diff {archive.name} {node.parent_id} {node.id}")
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
            "patch_lines": patch.count("\n"), "patch_cut": len(patch) > MAX_PATCH_CHARS,
            "flips": flips,
            "tampered": sorted(r.task_id for r in latest[node.id] if r.tampered),
        })
    best = archive.best(key)
    return {"run": archive.name, "key": key, "best": best.id if best else None, "nodes": out,
            "patches": texts}


def _capped(patch: str, command: str) -> str:
    """The patch cut to MAX_PATCH_CHARS at a line end, with a note naming the full command."""
    if len(patch) <= MAX_PATCH_CHARS:
        return patch
    end = patch.rfind("\n", 0, MAX_PATCH_CHARS) + 1 or MAX_PATCH_CHARS
    return (patch[:end] + f"[diff truncated: {len(patch) - end:,} more characters of "
            f"{len(patch):,}; the whole diff: {command}]\n")


def pack_patch(text: str) -> str:
    """A patch as the page stores it: zlib-deflated, then base64 (plain ASCII, safe in HTML)."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")


def render_page(archive: Archive) -> str:
    """The HTML page, data inlined; model-written text is escaped for the script tag.

    Node records are one JSON block parsed at load; the diffs, most of a big run's bytes, are
    a second block of compressed base64 strings, each inflated in the browser (no network)
    only when its node is opened, so a 1,000-node run loads fast and stays a few MB.
    """
    template = resources.files("dgm").joinpath("templates/lineage.html").read_text("utf-8")
    data = page_data(archive)
    packed = {node_id: pack_patch(text) for node_id, text in data.pop("patches").items()}
    fill = {"/*DATA*/null": _script_json(data), "/*PATCHES*/null": _script_json(packed),
            "{{RUN}}": _html(archive.name)}
    # One pass over the template only: a marker inside model-written text stays as written.
    return _MARKERS.sub(lambda m: fill[m.group(0)], template)


def _script_json(value: Any) -> str:
    # Model-written text may hold "</script>" or "<!--": inside a script element no "<", ">" or
    # "&" may appear raw, and in JSON they only occur in strings, where \\u escapes are exact.
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
