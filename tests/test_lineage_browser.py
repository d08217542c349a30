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


def test_thousand_node_page_draws_fast_and_finds_nodes(browser: Browser, tmp_path: Path) -> None:
    run = build_wide_run(tmp_path / "wide", 1000)
    with Archive.open(run) as archive:
        start = time.perf_counter()
        html = render_page(archive)
        rendered = time.perf_counter() - start
        target = archive.nodes()[637]
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
    browser.type("#find", target.id[:8] + "\ue007")  # Enter commits the search box
    _wait_for(lambda: browser.text("#side h2") == f"node {target.id}", "the found node's panel")
    assert f"summary {target.proposal.summary}" in browser.text("#proposal")
    browser.screenshot("lineage-1000-nodes.png")
    print(f"1,000 nodes: HTML rendered in {rendered:.2f} s, opened and painted in {loaded:.2f} s")
    assert loaded < 30, loaded  # a few seconds on 2 busy cores; far slower is a regression
