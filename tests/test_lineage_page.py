"""The lineage page and DOT export: complete data, safe against model-written text."""

from __future__ import annotations

import base64
import json
import random
import re
import sysconfig
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dgm.archive import Archive, Node, NodeStatus, Proposal, build_lineage
from dgm.archive.layout import tree_positions
from dgm.archive.perf import build_wide_run
from dgm.lineage_page import MAX_PATCH_CHARS, render_dot, render_page


def page_json(html: str, block: str = "data") -> dict:
    """A JSON block of the page, as the browser's JSON.parse would read it."""
    match = re.search(rf'<script id="{block}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"{block} block missing or closed early"
    return json.loads(match.group(1))


def page_patches(html: str) -> dict[str, str]:
    """Each node's diff, inflated the way the page's DecompressionStream("deflate") does."""
    packed = page_json(html, "patches")
    return {k: zlib.decompress(base64.b64decode(v)).decode("utf-8") for k, v in packed.items()}


def test_page_holds_every_node_with_its_details(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    html = render_page(archive)
    data = page_json(html)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == set(ids.values()) and data["best"] == ids["a1"]
    a1 = nodes[ids["a1"]]
    assert a1["parent"] == ids["a"] and a1["score"] == 0.8
    assert a1["flips"]["fixed"] == ["repo/task-1"]  # a passes task-0; a1 passes task-0 and 1
    assert nodes[ids["c"]]["status"] == "smoke_failed"
    patches = page_patches(html)
    a1_commit = archive.node(ids["a1"]).commit
    assert patches[ids["a1"]] == archive.git.patches([a1_commit])[a1_commit]
    assert "@@ -1 +1 @@\n-10\n+40\n" in patches[ids["a1"]]
    assert a1["patch_lines"] == 7 and not a1["patch_cut"]
    # The root has no diff; the node records carry none: the page parses them at load.
    assert ids["root"] not in patches and nodes[ids["root"]]["patch_lines"] == 0
    assert set(patches) == set(ids.values()) - {ids["root"]}
    assert "diff --git" not in json.dumps(data) and "+40" not in json.dumps(data)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_model_text_cannot_break_out_of_the_page(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    # Also the page's own fill-in markers: text holding them must come out as written.
    evil = '</script><script>alert(1)</script><!-- "quoted" & more /*PATCHES*/null {{RUN}}'
    archive.set_status(ids["b"], NodeStatus.evaluated, reason=evil,
                       proposal=Proposal(summary=evil, diagnosis=evil))
    html = render_page(archive)
    assert html.count("<script") == 3  # the data and diff blocks, and the page's own script
    data = page_json(html)
    b = next(n for n in data["nodes"] if n["id"] == ids["b"])
    assert b["proposal"]["summary"] == evil and b["reason"] == evil
    assert "innerHTML" not in html  # the page only ever sets textContent


def test_tree_layout_centres_parents_and_orders_generations(
    populated: tuple[Archive, dict[str, str]]
) -> None:
    archive, ids = populated
    pos = tree_positions(archive.lineage())
    assert pos[ids["root"]][0] == 0 and pos[ids["a1"]][0] == 2
    rows = sorted(pos.values(), key=lambda p: p[1])
    assert len(set(pos.values())) == len(pos)  # no two nodes on one spot
    kids = [pos[ids[k]][1] for k in ("a", "b", "c")]
    assert pos[ids["root"]][1] == (min(kids) + max(kids)) / 2
    assert rows[0][1] >= 0


def test_deep_lineage_layout_needs_no_recursion() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    nodes = [
        Node(id=f"{i:012x}", commit=f"{i:040x}", parent_id=f"{i - 1:012x}" if i else None,
             generation=i, created_at=start + timedelta(seconds=i))
        for i in range(3000)  # deeper than Python's default recursion limit
    ]
    pos = tree_positions(build_lineage(nodes))
    assert pos[nodes[-1].id] == (2999, 0.0) and pos[nodes[0].id] == (0, 0.0)


def test_dot_export(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    dot = render_dot(archive)
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert f'"{ids["a"]}" -> "{ids["a1"]}";' in dot
    assert dot.count(" -> ") == 4 and "80.0% evaluated" in dot


def test_long_patch_is_cut_at_a_line_end_naming_the_whole_diff_command(
    populated: tuple[Archive, dict[str, str]]
) -> None:
    archive, ids = populated
    lines = [f"line {i}: " + "x" * (i % 50) for i in range(2000)]  # ~70k characters
    patch = f"--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,{len(lines)} @@\n"
    patch += "".join(f"+{line}\n" for line in lines)
    big = archive.add_child(ids["a1"], patch=patch, proposal=Proposal(summary="big"))
    html = render_page(archive)
    shown = page_patches(html)[big.id]
    full = archive.git.patches([big.commit])[big.commit]
    body, note = shown[:-1].rsplit("\n", 1)
    assert full.startswith(body + "\n") and len(body) <= MAX_PATCH_CHARS  # whole lines only
    assert note == (f"[diff truncated: {len(full) - len(body) - 1:,} more characters of "
                    f"{len(full):,}; the whole diff: dgm diff demo {ids['a1']} {big.id}]")
    record = next(n for n in page_json(html)["nodes"] if n["id"] == big.id)
    assert record["patch_cut"] and record["patch_lines"] == full.count("\n")


def code_run(path: Path, count: int) -> Path:
    """A `count`-node run whose every diff is full size: each node's one file is ~10k
    characters of real Python (stdlib source, so it compresses like agent code), all of it
    replaced by each child, so every patch is ~20k characters, at or over the page's cap."""
    lines: list[str] = []
    for source in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[:60]:
        lines += source.read_text(encoding="utf-8", errors="replace").splitlines()

    def content(i: int) -> str:
        start = random.Random(i).randrange(len(lines) - 400)
        return "\n".join(lines[start:start + 330]) + "\n"

    return build_wide_run(path, count, content=content)


def test_full_size_diffs_are_compressed_apart_from_the_node_records(tmp_path: Path) -> None:
    # 100 nodes keep the default run fast; the slow browser test opens 1,000 of them.
    with Archive.open(code_run(tmp_path / "run", 100)) as archive:
        html = render_page(archive)
        probe = next(n for n in archive.nodes() if n.parent_id)
        full = archive.git.patches([probe.commit])[probe.commit]
    data, patches = page_json(html), page_patches(html)
    shown = sum(len(text) for text in patches.values())
    records = len(json.dumps(data))
    assert len(patches) == 99 and shown > 99 * 15_000  # real-sized: most diffs near the cap
    assert patches[probe.id].startswith(full[:MAX_PATCH_CHARS // 2])
    # Stored deflated, the diffs cost under half their size (base64 included), and the node
    # records the page parses at load do not grow with them.
    assert len(html.encode()) < 0.5 * shown and records < 1_000 * 100, (len(html), records)
