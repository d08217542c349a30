"""The lineage page in a real headless Chromium: click a node, read the detail panel.

The browser is driven through chromedriver's W3C WebDriver protocol, which is plain JSON over
HTTP: the standard library's urllib is the whole client. Selenium would add a dependency (and
its driver manager reaches for the network), Playwright downloads its own browser build, and
Chromium's DevTools protocol needs a websocket client the standard library lacks.
Debian's `chromium` and `chromium-driver` provide the browser and the driver (`.ci/run`
installs both). Screenshots go to ./artifacts (or $DGM_ARTIFACTS) for CI to keep.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dgm.archive import Archive
from dgm.archive.perf import build_wide_run
from dgm.lineage_page import render_page
from tests.conftest import populate
from tests.test_lineage_page import code_run, page_json

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver"
# In CI (.ci/run installs both) a missing browser fails instead: a skip would hide it.
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER) and not os.environ.get("CI"),
    reason=f"needs Debian's chromium and chromium-driver: {INSTALL}",
)
ARTIFACTS = Path(os.environ.get("DGM_ARTIFACTS")
                 or Path(__file__).resolve().parents[1] / "artifacts")


class Browser:
    """A WebDriver session on a local chromedriver; every call is one HTTP request."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            # Root in a container: Chromium's own sandbox cannot start; /dev/shm may be tiny.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,900"],
        }}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:  # WebDriver errors carry a JSON message
            raise AssertionError(f"{method} {path}: {exc.read().decode()[:500]}") from None

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        """A command of this session."""
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.call("POST", "/url", {"url": url})

    def find(self, css: str) -> str:
        """The element reference of the first match of a CSS selector."""
        found = self.call("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def click(self, css: str) -> None:
        """A real pointer click (fails if another element covers the target)."""
        self.call("POST", f"/element/{self.find(css)}/click")

    def text(self, css: str) -> str:
        """The rendered text of the first match."""
        return self.call("GET", f"/element/{self.find(css)}/text")

    def run(self, script: str, *args: Any) -> Any:
        """Run JavaScript in the page and return its result."""
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def painted(self) -> None:
        """Return once the browser has painted two more frames (all drawing is on screen)."""
        self.call("POST", "/execute/async", {"script": "const done = arguments[0];"
                  "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                  "args": []})

    def type(self, css: str, keys: str) -> None:
        """Type into an input."""
        self.call("POST", f"/element/{self.find(css)}/value", {"text": keys})

    def screenshot(self, name: str) -> Path:
        """Save the viewport as a PNG under the artifacts folder."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))
        print(f"screenshot: {path}")
        return path

    def quit(self) -> None:
        """End the session (closes Chromium)."""
        self._call("DELETE", f"/session/{self.session}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromedriver and one headless Chromium for the module's tests."""
    assert CHROMIUM and DRIVER, f"CI must install the browser: {INSTALL}"
    port = _free_port()
    driver = subprocess.Popen([DRIVER, f"--port={port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as r:
                    if json.loads(r.read())["value"]["ready"]:
                        break
            except OSError:
                pass
            assert driver.poll() is None, f"chromedriver exited with {driver.returncode}"
            assert time.monotonic() < deadline, "chromedriver did not become ready in 30 s"
            time.sleep(0.1)
        session = Browser(port)
        try:
            yield session
        finally:
            session.quit()
    finally:
        driver.terminate()
        driver.wait(timeout=10)


def _wait_for(predicate: Any, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_clicking_a_node_shows_its_details(
    browser: Browser, tmp_path: Path, archive: Archive, agent_tree: Path
) -> None:
    ids = populate(archive, agent_tree)
    page = tmp_path / "lineage.html"
    page.write_text(render_page(archive), encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.run("return document.querySelectorAll('circle.node').length") == 5
    # Self-contained: the page fetched nothing beyond itself.
    assert browser.run("return performance.getEntriesByType('resource').length") == 0

    a1 = ids["a1"]
    browser.click(f'circle[data-id="{a1}"]')
    _wait_for(lambda: browser.text("#side h2") == f"node {a1}", "the panel of the clicked node")
    meta = browser.text("#meta")
    assert f"parent {ids['a']}" in meta and "generation 2" in meta
    assert "score 80.0% on builtin:train" in meta and "builtin:train 8/10 passed" in meta
    assert "status evaluated" in meta and "cost $0.0000" in meta
    assert "summary change a1" in browser.text("#proposal")
    assert "mode direct" in browser.text("#proposal")
    assert "fixed (1): repo/task-1" in browser.text("#flips")
    _wait_for(lambda: browser.run("return !!document.querySelector('#side pre')"),
              "the diff, inflated from the page's compressed block")
    assert "@@ -1 +1 @@\n-10\n+40" in browser.text("#side pre")
    # Inflating the diff read nothing from outside the page either.
    assert browser.run("return performance.getEntriesByType('resource').length") == 0
    lines = browser.run("return [...document.querySelectorAll('#side pre span')]"
                        ".map(s => [s.textContent.trim(), s.className, getComputedStyle(s).color])")
    assert ["-10", "del", "rgb(187, 0, 0)"] in lines  # removed lines red, added green
    assert ["+40", "add", "rgb(0, 136, 0)"] in lines
    selected = browser.run("return [...document.querySelectorAll('circle.selected')]"
                           ".map(c => c.dataset.id)")
    assert selected == [a1]
    shot = browser.screenshot("lineage-node-detail.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    browser.click("#meta .link")  # the parent link moves the panel to the parent
    _wait_for(lambda: browser.text("#side h2") == f"node {ids['a']}", "the parent's panel")
    assert f"children (1)\n{a1}" in browser.text("#side")
    browser.click(f'circle[data-id="{ids["c"]}"]')
    _wait_for(lambda: browser.text("#side h2") == f"node {ids['c']}", "the failed node's panel")
    assert "status smoke_failed (import error)" in browser.text("#meta")


def test_diff_headers_and_hunks_are_not_coloured_as_code(
    browser: Browser, tmp_path: Path, archive: Archive, agent_tree: Path
) -> None:
    root = archive.add_root(agent_tree)
    # Lines of code that read like file headers: only the hunk's counts tell them apart.
    # (Whole trees, not patches: `git apply --recount` would misread such a patch itself.)
    (agent_tree / "counter.txt").write_text("-- a/counter.txt\n")
    tricky = archive.add_child(root.id, tree=agent_tree)
    (agent_tree / "counter.txt").write_text("++ b/counter.txt\n")
    (agent_tree / "agent" / "__init__.py").write_text("VERSION = 1\n")
    node = archive.add_child(tricky.id, tree=agent_tree)
    page = tmp_path / "diff.html"
    page.write_text(render_page(archive), encoding="utf-8")
    browser.open(page.as_uri())
    browser.click(f'circle[data-id="{node.id}"]')
    _wait_for(lambda: browser.run("return !!document.querySelector('#side pre')"), "the diff")
    spans = browser.run(
        "return [...document.querySelectorAll('#side pre span')].map(s => {"
        " const st = getComputedStyle(s);"
        " return [s.textContent.replace(/\\n$/, ''), s.className, st.color, st.fontWeight,"
        " st.backgroundColor]; })")
    kinds = [(text.split(" ")[0], cls) for text, cls, *_ in spans]
    header = [("diff", "file"), ("index", "file"), ("---", "file"), ("+++", "file")]
    assert kinds == [*header, ("@@", "hunk"), ("-VERSION", "del"), ("+VERSION", "add"),
                     *header, ("@@", "hunk"), ("---", "del"), ("+++", "add")], kinds
    style = {cls: (colour, weight, back) for _, cls, colour, weight, back in spans}
    red, green = "rgb(187, 0, 0)", "rgb(0, 136, 0)"
    assert style["del"][0] == red and style["add"][0] == green
    assert style["file"][0] not in (red, green) and int(style["file"][1]) >= 600  # bold header
    assert style["hunk"][0] not in (red, green, style["file"][0])
    assert style["hunk"][2] not in ("rgba(0, 0, 0, 0)", style["file"][2])  # its own band
    browser.screenshot("lineage-diff-colours.png")


_CENTRES = """
const svg = document.getElementById('svg'), box = svg.getBoundingClientRect();
return [...document.querySelectorAll('circle.node')].map(c => {
  const r = c.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {id: c.dataset.id, x: x - box.left, y: y - box.top, w: box.width, h: box.height,
          self: hit === c, inGraph: !!hit && svg.contains(hit)};
});
"""


def _centre_of(browser: Browser, node_id: str) -> dict[str, Any]:
    return next(c for c in browser.run(_CENTRES) if c["id"] == node_id)


def test_thousand_node_page_draws_fast_and_nothing_covers_a_node(
    browser: Browser, tmp_path: Path
) -> None:
    run = build_wide_run(tmp_path / "wide", 1000)
    with Archive.open(run) as archive:
        start = time.perf_counter()
        html = render_page(archive)
        rendered = time.perf_counter() - start
    page = tmp_path / "wide.html"
    page.write_text(html, encoding="utf-8")
    start = time.perf_counter()
    browser.open(page.as_uri())  # returns after the load event: the script has drawn
    browser.painted()
    loaded = time.perf_counter() - start
    assert browser.run("return document.querySelectorAll('circle.node').length") == 1000
    assert browser.run("return document.querySelectorAll('path.edge').length") == 999
    radius = browser.run("const c = document.querySelector('circle.node');"
                         "return c.getBoundingClientRect().width")
    assert radius >= 3, radius  # fitted to the view, a node is still a visible dot
    bar, graph = browser.run("return ['bar', 'svg'].map(id => "
                             "document.getElementById(id).getBoundingClientRect().toJSON())")
    assert bar["bottom"] <= graph["top"] + 0.5  # the header sits above the canvas, not on it
    centres = browser.run(_CENTRES)
    assert all(0 <= c["x"] <= c["w"] and 0 <= c["y"] <= c["h"] for c in centres)  # all fitted
    assert all(c["inGraph"] for c in centres)  # no search box or legend over any node
    # Before the header bar, search box and legend floated over the graph's top-left 500x45
    # pixels; the nodes drawn there could not be clicked. A real click fails if covered.
    corner = [c for c in centres if c["x"] < 500 and c["y"] < 45 and c["self"]]
    assert corner, "the fitted layout should put some node in the top-left corner"
    browser.click(f'circle[data-id="{corner[0]["id"]}"]')
    _wait_for(lambda: browser.text("#side h2") == f"node {corner[0]['id']}", "its panel")
    browser.screenshot("lineage-1000-nodes.png")
    print(f"1,000 nodes: HTML rendered in {rendered:.2f} s, opened and painted in {loaded:.2f} s")
    assert loaded < 30, loaded  # a few seconds on 2 busy cores; far slower is a regression


def test_search_brings_the_node_into_view_and_selects_it(browser: Browser, tmp_path: Path) -> None:
    run = build_wide_run(tmp_path / "wide", 1000)
    with Archive.open(run) as archive:
        page = tmp_path / "wide.html"
        page.write_text(render_page(archive), encoding="utf-8")
        nodes = archive.nodes()
    browser.open(page.as_uri())
    # Zoom far into the bottom-right corner, so the node looked for is out of view.
    browser.run("const svg = document.getElementById('svg'), r = svg.getBoundingClientRect();"
                "for (let i = 0; i < 20; i++) svg.dispatchEvent(new WheelEvent('wheel', {"
                " deltaY: -100, clientX: r.right - 5, clientY: r.bottom - 5, cancelable: true}));")
    outside = {c["id"] for c in browser.run(_CENTRES)
               if not (0 <= c["x"] <= c["w"] and 0 <= c["y"] <= c["h"])}
    target = next(n for n in nodes[600:] if n.id in outside)
    browser.type("#find", target.id[:8] + "\ue007")  # Enter submits the search box
    _wait_for(lambda: browser.text("#side h2") == f"node {target.id}", "the found node's panel")
    assert f"summary {target.proposal.summary}" in browser.text("#proposal")
    spot = _centre_of(browser, target.id)
    # Centred, and zoomed so rows are apart: it is the node under the pointer there.
    assert abs(spot["x"] - spot["w"] / 2) < 5 and abs(spot["y"] - spot["h"] / 2) < 5, spot
    assert spot["self"], spot
    selected = browser.run("return [...document.querySelectorAll('circle.selected')]"
                           ".map(c => c.dataset.id)")
    assert selected == [target.id]
    browser.screenshot("lineage-search.png")
    browser.click(f'circle[data-id="{target.id}"]')  # clickable where it was brought

    # Summary words find nodes too; Enter on the same text steps through the matches.
    browser.run("document.getElementById('find').value = ''")
    browser.type("#find", "perf node 42\ue007")
    _wait_for(lambda: browser.text("#side h2") == f"node {nodes[42].id}", "the first match")
    assert browser.text("#found") == "match 1 of 11 (Enter: next)"  # 42, 420..429
    browser.type("#find", "\ue007")
    _wait_for(lambda: browser.text("#side h2") == f"node {nodes[420].id}", "the second match")
    browser.run("document.getElementById('find').value = ''")
    browser.type("#find", "no-such-node\ue007")
    _wait_for(lambda: browser.text("#found") == 'no node matches "no-such-node"', "the miss")


@pytest.mark.slow
def test_thousand_full_size_diffs_load_fast_and_open_on_click(
    browser: Browser, tmp_path: Path
) -> None:
    with Archive.open(code_run(tmp_path / "run", 1000)) as archive:
        start = time.perf_counter()
        html = render_page(archive)
        rendered = time.perf_counter() - start
    node_id = next(n["id"] for n in page_json(html)["nodes"][500:] if n["patch_cut"])
    page = tmp_path / "full.html"
    page.write_text(html, encoding="utf-8")
    size = page.stat().st_size
    start = time.perf_counter()
    browser.open(page.as_uri())
    browser.painted()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    browser.type("#find", node_id + "\ue007")  # fitted, 1,000 dots overlap: find it instead
    _wait_for(lambda: browser.run("return !!document.querySelector('#side pre')"), "the diff")
    opened = time.perf_counter() - start
    last = browser.run("const s = document.querySelectorAll('#side pre span');"
                       "return [s[s.length - 1].textContent, s[s.length - 1].className]")
    assert last[1] == "note" and last[0].startswith("[diff truncated") and node_id in last[0]
    assert "lines, truncated: see its end)" in browser.text("#side")
    assert browser.run("return performance.getEntriesByType('resource').length") == 0
    browser.screenshot("lineage-1000-full-diffs.png")
    print(f"1,000 nodes, ~20k-character diffs: page {size / 1e6:.1f} MB, HTML rendered in "
          f"{rendered:.2f} s, opened and painted in {loaded:.2f} s, a diff shown in {opened:.2f} s")
    assert size < 10e6 and loaded < 30 and opened < 5, (size, loaded, opened)
