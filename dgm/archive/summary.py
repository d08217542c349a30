"""What `dgm status` reports about a run, computed from the archive alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel

from dgm.archive.events import Event
from dgm.archive.node import Cost, Node
from dgm.archive.run import Archive
from dgm.controller.report import HeldoutReport, heldout_report


class RunSummary(BaseModel):
    """A run at a glance."""

    name: str
    path: str
    nodes: int
    by_status: dict[str, int]
    generations: int
    score_key: str
    best: Node | None
    best_score: float | None
    root: Node | None
    root_score: float | None
    spend: Cost
    last_event: Event | None
    orphan_refs: int
    heldout: HeldoutReport | None = None


def wall_seconds(events: Iterable[Event]) -> float:
    """The run's wall time so far: each session from its start to its last event."""
    total, start, last = 0.0, None, None
    for event in events:
        if event.kind == "session_started":
            if start is not None and last is not None:
                total += (last - start).total_seconds()
            start = event.ts
        last = event.ts
    if start is not None and last is not None:
        total += (last - start).total_seconds()
    return total


def summarize(archive: Archive) -> RunSummary:
    """Count nodes, find the best on the primary score key, total the spend, read the last event."""
    nodes = archive.nodes()
    key = archive.primary_key()
    best = archive.best(key)
    root = archive.root
    return RunSummary(
        name=archive.name,
        path=str(archive.path),
        nodes=len(nodes),
        by_status=dict(Counter(str(n.status) for n in nodes)),
        generations=max((n.generation for n in nodes), default=-1) + 1,
        score_key=key,
        best=best,
        best_score=best.score(key) if best else None,
        root=root,
        root_score=root.score(key) if root else None,
        # Node costs hold no wall time (children overlap): the run's comes from its sessions.
        spend=archive.spend().model_copy(update={"wall_seconds": wall_seconds(archive.events)}),
        last_event=archive.last_event(),
        orphan_refs=len(archive.orphan_refs()),
        heldout=heldout_report(archive),
    )
