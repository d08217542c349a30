"""The lineage page and DOT export: complete data, safe against model-written text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from dgm.archive import Archive, Node, NodeStatus, Proposal, build_lineage
from dgm.archive.layout import tree_positions
from dgm.lineage_page import render_dot, render_page


def page_json(html: str) -> dict:
    match = re.search(r'<script id="data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "data block missing or closed early"
    return json.loads(match.group(1))


def test_page_holds_every_node_with_its_details(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    data = page_json(render_page(archive))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == set(ids.values()) and data["best"] == ids["a1"]
    a1 = nodes[ids["a1"]]
    assert a1["parent"] == ids["a"] and a1["score"] == 0.8
    assert "-10" in a1["patch"] and "+40" in a1["patch"]
    assert a1["flips"]["fixed"] == ["repo/task-1"]  # a passes task-0; a1 passes task-0 and 1
    assert nodes[ids["root"]]["patch"] == "" and nodes[ids["c"]]["status"] == "smoke_failed"
    assert "http://" not in render_page(archive).replace("http://www.w3.org/2000/svg", "")


def test_model_text_cannot_break_out_of_the_page(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    evil = '</script><script>alert(1)</script><!-- "quoted" & more'
    archive.set_status(ids["b"], NodeStatus.evaluated, reason=evil,
                       proposal=Proposal(summary=evil, diagnosis=evil))
    html = render_page(archive)
    assert html.count("<script") == 2  # the data block and the page's own script
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
