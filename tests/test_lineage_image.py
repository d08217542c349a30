"""`dgm lineage --png/--svg`: the static picture shows every node, by score and status."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dgm.archive import Archive, NodeStatus, Proposal
from dgm.archive.perf import build_wide_run
from dgm.lineage_image import BEST, TOP, colour, lineage_scene, to_svg, write_png
from tests.conftest import bump_patch, populate

from PIL import Image  # the dev extra pins Pillow (dgm[png])


@pytest.fixture
def run_dir(tmp_path: Path, agent_tree: Path) -> tuple[Path, dict[str, str]]:
    """The shared test lineage plus one pending and one rejected node (every status)."""
    with Archive.create(tmp_path / "archive" / "night") as archive:
        ids = populate(archive, agent_tree)
        ids["p"] = archive.add_child(ids["b"], patch=bump_patch("counter.txt", "20", "60"),
                                     proposal=Proposal(summary="pending one")).id
        ids["r"] = archive.add_child(ids["b"], patch=bump_patch("counter.txt", "20", "70"),
                                     proposal=Proposal(summary="rejected one")).id
        archive.set_status(ids["r"], NodeStatus.rejected, reason="skill gate")
    return archive.path, ids


def dgm(*args: str, cwd: Path, hide_pillow: bool = False) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess; `hide_pillow` makes `import PIL` fail as if not installed."""
    code = "import sys\n"
    if hide_pillow:
        code += "sys.modules['PIL'] = None\n"
    code += "from dgm.cli import main\nsys.argv = ['dgm', *sys.argv[1:]]\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, env=dict(os.environ, COLUMNS="200"), timeout=300)


def test_scene_marks_every_node_by_score_and_status(run_dir: tuple[Path, dict[str, str]]) -> None:
    path, ids = run_dir
    with Archive.open(path) as archive:
        scene = lineage_scene(archive)
    marks = {m.node: m for m in scene.marks if m.node}
    assert set(marks) == set(ids.values())
    assert marks[ids["a1"]].fill == colour(0.8) and marks[ids["root"]].fill == colour(0.5)
    assert colour(0.0) == (217, 38, 38) and colour(1.0) == (38, 217, 38)  # red ... green
    assert marks[ids["c"]].shape == "square" and marks[ids["c"]].outline == (204, 0, 0)
    assert marks[ids["r"]].shape == "diamond" and marks[ids["p"]].shape == "ring"
    assert marks[ids["a1"]].x > marks[ids["a"]].x > marks[ids["root"]].x  # by generation
    rings = [m for m in scene.marks if m.outline == BEST and not m.node and m.y >= TOP]
    assert [(m.x, m.y) for m in rings] == [(marks[ids["a1"]].x, marks[ids["a1"]].y)]
    text = " ".join(t.text for t in scene.labels)
    assert f"best {ids['a1'][:8]} 80.0%" in text and "smoke_failed (1)" in text
    assert "rejected (1)" in text and "pending (1)" in text and "gen 2" in text


def test_png_is_the_scene_drawn(tmp_path: Path, run_dir: tuple[Path, dict[str, str]]) -> None:
    path, ids = run_dir
    out, svg = tmp_path / "lineage.png", tmp_path / "lineage.svg"
    result = dgm("lineage", str(path), "--png", str(out), "--svg", str(svg), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Archive.open(path) as archive:
        scene = lineage_scene(archive)
    assert f"wrote {out} ({scene.width}x{scene.height} px, 7 nodes)" in result.stdout
    image = Image.open(out)
    assert image.format == "PNG" and image.size == (scene.width, scene.height)
    rgb = image.convert("RGB")
    colours = {c for _, c in rgb.getcolors(maxcolors=1 << 20)}
    assert len(colours) > 50  # text, edges, a colour bar and nodes: not a blank page
    marks = {m.node: m for m in scene.marks if m.node}
    for name, want in (("a1", colour(0.8)), ("b", colour(0.6)), ("a", colour(0.4))):
        m = marks[ids[name]]
        got = rgb.getpixel((round(m.x), round(m.y)))
        assert max(abs(g - w) for g, w in zip(got, want)) <= 8, (name, got, want)
    c = marks[ids["c"]]  # a square's corner is its red outline; a circle has no corner
    corner = rgb.getpixel((math.floor(c.x + c.r - 0.5), math.floor(c.y + c.r - 0.5)))
    assert corner[0] > 150 and corner[1] < 90 and corner[2] < 90, corner
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("width") == str(scene.width)
    assert len(root.findall(f".//{ns}path")) == 6  # one edge per non-root node
    # Squares and diamonds: the smoke-failed and the rejected node, and their legend swatches.
    assert len(root.findall(f".//{ns}polygon")) == 4


def test_missing_pillow_names_the_extra_and_writes_nothing(
    tmp_path: Path, run_dir: tuple[Path, dict[str, str]]
) -> None:
    path, _ = run_dir
    page, out = tmp_path / "page.html", tmp_path / "lineage.png"
    result = dgm("lineage", str(path), "--html", str(page), "--png", str(out), cwd=tmp_path,
                 hide_pillow=True)
    assert result.returncode == 1
    assert "needs Pillow: pip install 'dgm[png]'" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr and not page.exists() and not out.exists()
    svg = dgm("lineage", str(path), "--svg", str(tmp_path / "l.svg"), cwd=tmp_path,
              hide_pillow=True)
    assert svg.returncode == 0, svg.stderr  # SVG needs no extra


def test_thousand_nodes_stay_readable_and_fast(tmp_path: Path) -> None:
    run = build_wide_run(tmp_path / "wide", 1000)
    with Archive.open(run) as archive:
        start = time.perf_counter()
        scene = lineage_scene(archive)
        write_png(scene, tmp_path / "wide.png")
        elapsed = time.perf_counter() - start
        svg = to_svg(scene)
    nodes = [m for m in scene.marks if m.node]
    assert len(nodes) == 1000 and svg.count("<path ") == 999
    assert nodes[0].r >= 3  # dots at least 6 px across
    # No two nodes of one generation overlap: rows are at least a dot apart.
    by_x: dict[float, list[float]] = {}
    for m in nodes:
        by_x.setdefault(m.x, []).append(m.y)
    gap = min(b - a for ys in by_x.values() for a, b in zip(sorted(ys), sorted(ys)[1:]))
    assert gap >= 2 * nodes[0].r
    assert scene.width * scene.height <= 12_000_000  # a picture a README can hold
    assert Image.open(tmp_path / "wide.png").size == (scene.width, scene.height)
    assert elapsed < 20, elapsed  # about 1 s on 2 busy cores; far slower means a regression
    print(f"1,000-node PNG: {elapsed:.2f} s, {scene.width}x{scene.height} px")
