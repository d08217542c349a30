"""Rich renderables for the terminal: run summary, lineage tree, doctor report, perf table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import networkx as nx
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from dgm.archive.flips import Flip, Flips
from dgm.archive.node import Node, NodeStatus
from dgm.archive.run import Archive
from dgm.archive.result import TaskResult
from dgm.archive.summary import RunSummary
from dgm.controller.report import HeldoutReport
from dgm.doctor import Check
from dgm.perf import PerfRow

STATUS_STYLE = {
    NodeStatus.pending: "yellow",
    NodeStatus.smoke_failed: "red",
    NodeStatus.evaluated: "green",
    NodeStatus.rejected: "magenta",
}


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ago(when: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def summary_view(summary: RunSummary) -> RenderableType:
    """The `dgm status` panel."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("run", f"{summary.name}  ({summary.path})")
    statuses = ", ".join(f"{count} {name}" for name, count in sorted(summary.by_status.items()))
    table.add_row("nodes", f"{summary.nodes}" + (f"  ({statuses})" if statuses else ""))
    table.add_row("generations", str(summary.generations))
    if summary.best is not None:
        table.add_row(
            "best",
            f"{summary.best.id}  {_score(summary.best_score)} on {summary.score_key}"
            f"  (generation {summary.best.generation}; root: {_score(summary.root_score)})",
        )
    else:
        table.add_row("best", f"no node scored on {summary.score_key} yet")
    if summary.heldout is not None:
        table.add_row("held-out", heldout_line(summary.heldout))
    spend = summary.spend
    table.add_row(
        "spend",
        f"${spend.dollars:.2f}, {spend.tokens:,} tokens, "
        f"{spend.cpu_seconds / 3600:.2f} CPU-h, {spend.wall_seconds / 3600:.2f} h wall",
    )
    if summary.last_event is not None:
        event = summary.last_event
        node = f" node {event.node}" if event.node else ""
        table.add_row("last event", f"#{event.seq} {event.kind}{node}, {_ago(event.ts)}")
    if summary.orphan_refs:
        table.add_row(
            "note",
            Text(f"{summary.orphan_refs} node commit(s) without metadata (an interrupted add); "
                 "ignored", style="yellow"),
        )
    return table


def heldout_line(report: HeldoutReport) -> str:
    """The honest result in one line: best vs root on the same held-out tasks."""
    excluded = []
    if report.excluded_invalid:
        excluded.append(f"{report.excluded_invalid} without a verdict")
    if report.excluded_tampered:
        excluded.append(f"{report.excluded_tampered} tampered")
    if report.excluded_flaky:
        excluded.append(f"{report.excluded_flaky} flaky")
    tail = f"; excluded: {', '.join(excluded)}" if excluded else ""
    return (f"best {report.best_rate:.1%} vs root {report.root_rate:.1%} on {report.tasks} paired "
            f"{report.key} tasks: {report.difference * 100:+.1f} points "
            f"(95% CI {report.low * 100:+.1f} to {report.high * 100:+.1f}){tail}")


def status_view(archive: Archive, events: int = 8) -> RenderableType:
    """`dgm status --watch`: the summary, the newest events and the newest nodes."""
    from dgm.archive.summary import summarize

    recent = Table(title="latest events", show_edge=False, box=None)
    for column in ("#", "when", "event", "node", "details"):
        recent.add_column(column)
    for event in archive.events.tail(events):
        details = " ".join(f"{k}={v}" for k, v in event.data.items())
        recent.add_row(str(event.seq), _ago(event.ts), event.kind, event.node or "",
                       Text(details[:80]))
    newest = Table(title="newest nodes", show_edge=False, box=None)
    newest.add_column("node")
    key = archive.primary_key()
    for node in archive.nodes()[-5:][::-1]:
        newest.add_row(node_label(node, key))
    stamp = Text(f"refreshed {datetime.now(UTC).strftime('%H:%M:%S')} UTC", style="dim")
    return Group(summary_view(summarize(archive)), Text(""), recent, Text(""), newest, stamp)


def node_label(node: Node, key: str) -> Text:
    """One line for a node: id, status, score, proposal summary."""
    label = Text()
    label.append(node.id, style="bold cyan")
    label.append(f"  {node.status}", style=STATUS_STYLE.get(node.status, ""))
    label.append(f"  {_score(node.score(key))}")
    if node.proposal.summary:
        label.append(f"  {node.proposal.summary[:80]}", style="dim")
    return label


def lineage_tree(graph: nx.DiGraph, key: str, max_depth: int | None = None) -> RenderableType:
    """The lineage as a rich Tree, built iteratively (archives can be thousands deep)."""
    roots = [n for n in graph.nodes if graph.in_degree(n) == 0]
    if not roots:
        return Text("(no nodes yet)", style="dim")
    trees = []
    for root in roots:
        top = Tree(node_label(graph.nodes[root]["node"], key))
        stack = [(root, top, 0)]
        while stack:
            node_id, branch, depth = stack.pop()
            children = sorted(
                graph.successors(node_id), key=lambda c: graph.nodes[c]["node"].created_at
            )
            if max_depth is not None and depth >= max_depth and children:
                size = len(nx.descendants(graph, node_id))
                branch.add(Text(f"... {size} more below", style="dim"))
                continue
            for child in reversed(children):
                sub = branch.add(node_label(graph.nodes[child]["node"], key))
                stack.append((child, sub, depth + 1))
        trees.append(top)
    return Group(*trees)


def doctor_table(checks: Sequence[Check]) -> Table:
    """The `dgm doctor` report."""
    table = Table(show_lines=False)
    table.add_column("check")
    table.add_column("")
    table.add_column("found")
    table.add_column("fix")
    for check in checks:
        if check.ok:
            mark = Text("ok", style="green")
        else:
            mark = Text("MISSING" if check.required else "warn",
                        style="red" if check.required else "yellow")
        table.add_row(check.name, mark, check.detail, "" if check.ok else check.fix)
    return table


def _fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} us"


def perf_table(rows: Sequence[PerfRow]) -> Table:
    """The `dgm perf` table: one section per suite, numbers never wrapped."""
    table = Table(title="dgm perf", show_lines=False)
    table.add_column("operation", ratio=3, min_width=20)
    for name in ("p50", "p90", "n", "ratio"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("baseline (p50)", ratio=2, min_width=14)
    table.add_column("target", no_wrap=True)
    suite = None
    for row in rows:
        if row.suite != suite:
            if suite is not None:
                table.add_section()
            suite = row.suite
            table.add_row(Text(suite, style="bold"))
        target = Text(row.target)
        if row.ok is not None:
            target.append("  ok" if row.ok else "  MISSED", style="green" if row.ok else "red")
        fmt = _fmt_seconds if row.unit == "s" else (lambda v, u=row.unit: f"{v:.0f} {u}")
        table.add_row(
            row.operation, fmt(row.p50), fmt(row.p90), str(len(row.samples)),
            f"{row.ratio:.2f}x", f"{row.baseline} ({fmt(row.baseline_p50)})", target,
        )
    return table


def node_view(node: Node, patch: str, results: Sequence[TaskResult]) -> RenderableType:
    """`dgm show`: metadata, scores, cost, proposal, tamper flags and the node's patch."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()

    def row(label: str, value: str | Text) -> None:
        # Proposals and reasons are model-written: never let rich read them as markup.
        grid.add_row(label, value if isinstance(value, Text) else Text(value))
    row("node", f"{node.id}  (commit {node.commit})")
    row("parent", node.parent_id or "- (root)")
    row("generation", str(node.generation))
    row("created", node.created_at.isoformat(timespec="seconds"))
    status = Text(str(node.status), style=STATUS_STYLE.get(node.status, ""))
    if node.reason:
        status.append(f"  ({node.reason})")
    row("status", status)
    for key, score in sorted(node.scores.items()):
        errors = f", {score.errors} infra errors" if score.errors else ""
        row(f"score {key}", f"{_score(score.value if score.graded else None)}  "
                     f"({score.passed}/{score.graded} passed{errors})")
    cost = node.cost
    row("cost", f"${cost.dollars:.4f}, {cost.tokens:,} tokens, "
                 f"{cost.cpu_seconds:.0f} CPU-s, {cost.wall_seconds:.0f} s wall")
    proposal = node.proposal
    row("proposal", f"[{proposal.mode or '-'}] {proposal.summary}")
    if proposal.task_id:
        row("diagnosed on", proposal.task_id)
    for label, text in (("diagnosis", proposal.diagnosis), ("instruction", proposal.instruction)):
        if text:
            row(label, text)
    tampered = sorted(r.task_id for r in results if r.tampered)
    if tampered:
        row("tampered", Text(", ".join(tampered), style="bold red"))
    outcomes = Counter(str(r.outcome) for r in results)
    if outcomes:
        row("results", ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    parts: list[RenderableType] = [grid]
    if patch:
        parts += [Text("\npatch against parent:", style="bold"), Syntax(patch, "diff")]
    return Group(*parts)


def flips_view(flips: Flips) -> RenderableType:
    """`dgm diff`: the tasks that changed verdict between two nodes."""
    table = Table(title=f"task flips {flips.a} -> {flips.b}")
    table.add_column("flip")
    table.add_column("count", justify="right")
    table.add_column("tasks")
    styles = {Flip.fixed: "green", Flip.regressed: "red", Flip.invalid: "yellow"}
    for kind in Flip:
        tasks = flips.of(kind)
        shown = ", ".join(tasks[:12]) + (f" ... (+{len(tasks) - 12})" if len(tasks) > 12 else "")
        table.add_row(Text(str(kind), style=styles.get(kind, "")), str(len(tasks)),
                      shown if kind in styles else "")
    if flips.only_a or flips.only_b:
        table.caption = (f"{len(flips.only_a)} task(s) ran only on {flips.a}, "
                         f"{len(flips.only_b)} only on {flips.b}")
    return table
