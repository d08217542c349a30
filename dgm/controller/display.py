"""What `dgm run` shows while it works: a live panel, or JSON lines when unattended."""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dgm.controller.budget import Usage, remaining
from dgm.controller.config import BudgetConfig


class JsonLines:
    """One JSON object per event on a stream (for logs of unattended runs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout  # the stdout of now, not of import time

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        record = {"ts": datetime.now(UTC).isoformat(timespec="seconds"), "event": kind, **data}
        self.stream.write(json.dumps(record, default=str) + "\n")
        self.stream.flush()

    def __enter__(self) -> JsonLines:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


STAGE_STARTS = frozenset({"smoke_started", "eval_started", "rerun_started", "heldout_started",
                          "diagnosis_started"})
STAGE_ENDS = frozenset({"node_evaluated", "heldout_finished", "flaky_tasks", "proposal_failed",
                        "parent_skipped"})


class LivePanel:
    """A rich panel: step, node in progress and its stage, best score, spend against budgets."""

    def __init__(self, run: str, budget: BudgetConfig, usage: Any, console: Console) -> None:
        self.run, self.budget, self.usage_fn = run, budget, usage
        self.console = console
        self.step = 0
        self.stage: dict[str, str] = {}
        self.best: tuple[str, float] | None = None
        self.recent: deque[str] = deque(maxlen=6)
        self.started = time.monotonic()
        self.first_nodes: int | None = None
        self.live = Live(console=console, refresh_per_second=2, get_renderable=self.render)

    def __enter__(self) -> LivePanel:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)
        if not self.console.is_terminal:
            self.console.line()  # off a terminal, rich leaves the last frame's line open

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        node = data.get("node") or ""
        if kind == "step_started":
            self.step = int(data.get("step", 0)) + 1
        elif kind in STAGE_STARTS:
            self.stage[node] = kind.removesuffix("_started")
        elif kind in STAGE_ENDS or (kind == "smoke_finished" and not data.get("ok")):
            self.stage.pop(node, None)
        elif kind == "child_created":
            self.stage.pop(data.get("parent") or "", None)  # its diagnosis is over
        elif kind == "run_stopped":
            self.stage.clear()
        if kind == "node_evaluated":
            score = data.get("score")
            if score is not None and (self.best is None or score > self.best[1]):
                self.best = (node, score)
        self.recent.append(f"{datetime.now().strftime('%H:%M:%S')} {kind} {node}".rstrip())

    def _eta(self, usage: Usage) -> str:
        """Time left at this session's pace, up to the nearest budget that will stop the run."""
        if self.first_nodes is None:
            self.first_nodes = usage.nodes
        made = usage.nodes - self.first_nodes
        elapsed = time.monotonic() - self.started
        guesses = []
        if self.budget.max_wall_hours is not None:
            guesses.append(self.budget.max_wall_hours * 3600 - usage.wall_seconds)
        if self.budget.max_nodes is not None and made > 0:
            guesses.append((self.budget.max_nodes - usage.nodes) * elapsed / made)
        if not guesses:
            return "-"
        seconds = max(0.0, min(guesses))
        return f"~{seconds / 3600:.1f} h" if seconds >= 3600 else f"~{seconds / 60:.0f} min"

    def render(self) -> RenderableType:
        """The panel as it stands."""
        usage: Usage = self.usage_fn()
        left = remaining(self.budget, usage)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("run", self.run)
        grid.add_row("step", str(self.step))
        grid.add_row("nodes", f"{usage.nodes}" + (f" of {self.budget.max_nodes}"
                                                   if self.budget.max_nodes else ""))
        grid.add_row("working on", ", ".join(f"{n} ({s})" for n, s in self.stage.items()) or "-")
        grid.add_row("best", f"{self.best[0]}  {self.best[1]:.1%}" if self.best else "-")
        spend = f"${usage.dollars:.2f}, {usage.tokens:,} tokens, {usage.wall_seconds / 3600:.2f} h"
        if left["dollars"] is not None:
            spend += f"  (${left['dollars']:.2f} left)"
        if left["wall_hours"] is not None:
            spend += f"  ({left['wall_hours']:.1f} h left)"
        grid.add_row("spend", spend)
        grid.add_row("eta", self._eta(usage))
        return Group(grid, Text("\n".join(self.recent), style="dim"))
