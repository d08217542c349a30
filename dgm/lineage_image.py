"""`dgm lineage --png/--svg`: a static picture of a run's lineage for reports and READMEs.

One scene (shapes in pixels) is built from the layout the HTML page uses, then written as SVG
text (no dependency) or drawn with Pillow (the `png` extra). Both show the same picture.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dgm.archive.layout import tree_positions
from dgm.archive.node import Node, NodeStatus
from dgm.archive.run import Archive
from dgm.errors import DgmError

PNG_HINT = "pip install 'dgm[png]'"

RGB = tuple[int, int, int]
Shape = Literal["circle", "ring", "square", "diamond"]

# Status -> (shape, outline, outline width). Shapes, not dashes: Pillow cannot dash, and a
# shape survives greyscale printing.
STATUS_MARK: dict[str, tuple[Shape, RGB, float]] = {
    NodeStatus.evaluated: ("circle", (51, 51, 51), 1.0),
    NodeStatus.pending: ("ring", (120, 120, 120), 1.5),
    NodeStatus.smoke_failed: ("square", (204, 0, 0), 2.0),
    NodeStatus.rejected: ("diamond", (153, 0, 153), 2.0),
}
BEST = (0, 102, 204)
EDGE = (187, 187, 187)
GUIDE = (236, 236, 236)
INK = (34, 34, 34)
MUTED = (110, 110, 110)
UNSCORED = (204, 204, 204)

# Canvas budget: a 1,000-node run (about 500 leaf rows) gets 8 px per row; tiny runs get the
# HTML page's spacing. Past the budget the picture grows instead of dots overlapping.
MAX_GRAPH_W, MAX_GRAPH_H = 1500, 4000
LEFT, RIGHT, TOP, BOTTOM = 40, 190, 122, 30
MIN_WIDTH = 960  # room for the legend


def colour(score: float | None) -> RGB:
    """The page's score colour: red (0%) through yellow to green (100%); grey when unscored."""
    if score is None:
        return UNSCORED
    red, green, blue = colorsys.hls_to_rgb(120 * max(0.0, min(1.0, score)) / 360, 0.5, 0.7)
    return round(red * 255), round(green * 255), round(blue * 255)


@dataclass(frozen=True)
class Curve:
    """A cubic Bézier edge from parent to child."""

    points: tuple[tuple[float, float], ...]
    stroke: RGB = EDGE
    width: float = 1.0


@dataclass(frozen=True)
class Mark:
    """One node marker (or a legend swatch)."""

    x: float
    y: float
    r: float
    shape: Shape
    fill: RGB
    outline: RGB
    width: float
    node: str = ""  # the node's id; empty for legend swatches and the best-node ring


@dataclass(frozen=True)
class Label:
    """Text anchored at its baseline; `halo` keeps it legible over edges."""

    x: float
    y: float
    text: str
    size: int
    fill: RGB = INK
    anchor: Literal["start", "middle"] = "start"
    halo: bool = False


@dataclass(frozen=True)
class Box:
    """A filled rectangle (guides, the colour bar)."""

    x0: float
    y0: float
    x1: float
    y1: float
    fill: RGB


@dataclass
class Scene:
    """Everything to draw, back to front, in pixels."""

    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def _pct(score: float | None) -> str:
    return "-" if score is None else f"{score:.1%}"


def _step(dx: float) -> int:
    """Label every k-th generation, k from 1, 2, 5, 10, ... so labels stay 60 px apart."""
    for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if k * dx >= 60:
            return k
    return 10_000


def lineage_scene(archive: Archive) -> Scene:
    """The run's lineage as shapes: nodes by generation and tree row, coloured by score."""
    key = archive.primary_key()
    nodes = archive.nodes()
    positions = tree_positions(archive.lineage())
    best = archive.best(key)
    gens = max((p[0] for p in positions.values()), default=0)
    rows = max((p[1] for p in positions.values()), default=0)
    dx = min(160.0, max(6.0, MAX_GRAPH_W / max(1, gens)))
    dy = min(22.0, max(3.0, MAX_GRAPH_H / max(1, rows)))
    r = max(1.5, min(7.0, 0.42 * min(dx, dy)))
    width = max(MIN_WIDTH, math.ceil(LEFT + gens * dx + RIGHT))
    height = math.ceil(TOP + rows * dy + BOTTOM)
    scene = Scene(width, height)

    def at(node_id: str) -> tuple[float, float]:
        gen, row = positions[node_id]
        return LEFT + gen * dx, TOP + row * dy

    step = _step(dx)
    for gen in range(0, int(gens) + 1, step):
        x = LEFT + gen * dx
        scene.boxes.append(Box(x - 0.5, TOP - 10, x + 0.5, height - BOTTOM + 10, GUIDE))
        scene.labels.append(Label(x, TOP - 18, f"gen {gen}", 11, MUTED, "middle"))
    by_id = {n.id: n for n in nodes}
    for node in nodes:
        if node.parent_id in by_id:
            (x0, y0), (x1, y1) = at(node.parent_id), at(node.id)
            mid = (x0 + x1) / 2
            scene.curves.append(Curve(((x0, y0), (mid, y0), (mid, y1), (x1, y1))))
    # Ids and scores beside every node only where there is room; a big run labels its best.
    label_all = dy >= 16 and dx >= 90 and len(nodes) <= 300
    for node in nodes:
        x, y = at(node.id)
        score = node.score(key)
        shape, outline, line = STATUS_MARK.get(node.status, STATUS_MARK[NodeStatus.evaluated])
        fill = (255, 255, 255) if shape == "ring" else colour(score)
        if best is not None and node.id == best.id:
            scene.marks.append(Mark(x, y, r + max(2.0, r * 0.5), "ring", (255, 255, 255), BEST,
                                    max(2.0, r * 0.4)))
        scene.marks.append(Mark(x, y, r, shape, fill, outline, line, node.id))
        if label_all and (best is None or node.id != best.id):
            shown = _pct(score) if score is not None else str(node.status)
            scene.labels.append(Label(x + r + 4, y + 4, f"{node.id[:8]} {shown}", 10, halo=True))
    if best is not None:
        x, y = at(best.id)
        scene.labels.append(Label(x + r + 6, y + 4, f"best {best.id[:8]} {_pct(best.score(key))}",
                                  12, BEST, halo=True))
    _legend(scene, archive.name, key, nodes, best, int(gens))
    return scene


def _legend(scene: Scene, run: str, key: str, nodes: list[Node], best: Node | None,
            gens: int) -> None:
    """Title, the score colour bar, and one swatch per status with its count."""
    best_text = f"; best {best.id} {_pct(best.score(key))}" if best is not None else ""
    scene.labels.append(Label(LEFT - 24, 26, f"dgm lineage: {run}", 18))
    scene.labels.append(Label(LEFT - 24, 46, f"{len(nodes)} nodes, {gens + 1} generations, "
                              f"score on {key}{best_text}", 12, MUTED))
    y, x = 70, LEFT - 24
    scene.labels.append(Label(x, y + 4, "score 0%", 11))
    x += 54
    for i in range(100):  # the colour bar, 1 px per percent... times two
        scene.boxes.append(Box(x + 2 * i, y - 6, x + 2 * i + 2, y + 6, colour(i / 99)))
    x += 204
    scene.labels.append(Label(x, y + 4, "100%", 11))
    x += 46
    scene.marks.append(Mark(x, y, 6, "circle", UNSCORED, STATUS_MARK[NodeStatus.evaluated][1], 1))
    scene.labels.append(Label(x + 10, y + 4, "unscored", 11))
    x += 78
    counts = {s: sum(1 for n in nodes if n.status == s) for s in STATUS_MARK}
    for status, (shape, outline, line) in STATUS_MARK.items():
        fill = (255, 255, 255) if shape == "ring" else colour(0.75)
        scene.marks.append(Mark(x, y, 6, shape, fill, outline, line))
        text = f"{status} ({counts[status]})"
        scene.labels.append(Label(x + 10, y + 4, text, 11))
        x += 24 + 6.8 * len(text)  # DejaVu Sans at 11 px: under 7 px a character
    scene.marks.append(Mark(x, y, 8, "ring", (255, 255, 255), BEST, 2.5))
    scene.labels.append(Label(x + 12, y + 4, "best", 11, BEST))


# ---- SVG ----------------------------------------------------------------------------------

def _hex(rgb: RGB) -> str:
    return "#%02x%02x%02x" % rgb


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _corners(m: Mark) -> list[tuple[float, float]]:
    if m.shape == "diamond":
        return [(m.x, m.y - m.r), (m.x + m.r, m.y), (m.x, m.y + m.r), (m.x - m.r, m.y)]
    return [(m.x - m.r, m.y - m.r), (m.x + m.r, m.y - m.r), (m.x + m.r, m.y + m.r),
            (m.x - m.r, m.y + m.r)]


def to_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document."""
    f = "{:.1f}".format
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" '
           f'height="{scene.height}" viewBox="0 0 {scene.width} {scene.height}" '
           'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           f'<rect width="{scene.width}" height="{scene.height}" fill="#ffffff"/>']
    for b in scene.boxes:
        out.append(f'<rect x="{f(b.x0)}" y="{f(b.y0)}" width="{f(b.x1 - b.x0)}" '
                   f'height="{f(b.y1 - b.y0)}" fill="{_hex(b.fill)}"/>')
    out.append(f'<g fill="none" stroke="{_hex(EDGE)}">')
    for c in scene.curves:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c.points
        out.append(f'<path d="M{f(x0)},{f(y0)}C{f(x1)},{f(y1)} {f(x2)},{f(y2)} {f(x3)},{f(y3)}"/>')
    out.append("</g>")
    for m in scene.marks:
        paint = f'fill="{_hex(m.fill)}" stroke="{_hex(m.outline)}" stroke-width="{m.width:g}"'
        if m.shape in ("circle", "ring"):
            out.append(f'<circle cx="{f(m.x)}" cy="{f(m.y)}" r="{f(m.r)}" {paint}/>')
        else:
            pts = " ".join(f"{f(x)},{f(y)}" for x, y in _corners(m))
            out.append(f'<polygon points="{pts}" {paint}/>')
    for t in scene.labels:
        halo = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if t.halo else ""
        out.append(f'<text x="{f(t.x)}" y="{f(t.y)}" font-size="{t.size}" '
                   f'fill="{_hex(t.fill)}" text-anchor="{t.anchor}"{halo}>{_esc(t.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---- PNG (Pillow) -------------------------------------------------------------------------

def _bezier(points: tuple[tuple[float, float], ...], k: float,
            steps: int = 12) -> list[tuple[float, float]]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    out = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        out.append((k * (a * x0 + b * x1 + c * x2 + d * x3),
                    k * (a * y0 + b * y1 + c * y2 + d * y3)))
    return out


def require_pillow() -> None:
    """Raise a DgmError naming the extra to install when Pillow is missing."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise DgmError(f"writing a PNG needs Pillow: {PNG_HINT} (or write --svg, which needs "
                       "nothing extra)") from None


def write_png(scene: Scene, path: Path) -> None:
    """Draw the scene with Pillow and save it; a DgmError names the extra when Pillow is absent."""
    require_pillow()
    from PIL import Image, ImageDraw, ImageFont

    # Pillow does not anti-alias shapes: draw at twice the size and halve (a box filter),
    # unless the picture is so big that memory and time matter more than smooth edges.
    k = 2 if scene.width * scene.height <= 8_000_000 else 1
    image = Image.new("RGB", (scene.width * k, scene.height * k), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for b in scene.boxes:
        draw.rectangle([b.x0 * k, b.y0 * k, b.x1 * k - 1, b.y1 * k - 1], fill=b.fill)
    for c in scene.curves:
        draw.line(_bezier(c.points, k), fill=c.stroke, width=max(1, round(c.width * k)))
    for m in scene.marks:
        width = max(1, round(m.width * k))
        box = [(m.x - m.r) * k, (m.y - m.r) * k, (m.x + m.r) * k, (m.y + m.r) * k]
        if m.shape in ("circle", "ring"):
            draw.ellipse(box, fill=m.fill, outline=m.outline, width=width)
        elif m.shape == "square":
            draw.rectangle(box, fill=m.fill, outline=m.outline, width=width)
        else:
            draw.polygon([(x * k, y * k) for x, y in _corners(m)], fill=m.fill,
                         outline=m.outline, width=width)
    fonts: dict[int, Any] = {}  # size -> font
    for t in scene.labels:
        if t.size not in fonts:
            fonts[t.size] = ImageFont.load_default(size=t.size * k)
        draw.text((t.x * k, t.y * k), t.text, fill=t.fill, font=fonts[t.size],
                  anchor="ms" if t.anchor == "middle" else "ls",
                  stroke_width=2 * k if t.halo else 0, stroke_fill=(255, 255, 255))
    if k > 1:
        image = image.reduce(k)
    image.save(path, format="PNG")


def render_svg(archive: Archive) -> str:
    """The lineage picture as SVG text."""
    return to_svg(lineage_scene(archive))


def render_png(archive: Archive, path: Path) -> tuple[int, int]:
    """Write the lineage picture as a PNG; returns its (width, height) in pixels."""
    scene = lineage_scene(archive)
    write_png(scene, path)
    return scene.width, scene.height
