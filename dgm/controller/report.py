"""The honest result of a run: best node (chosen on train) vs the root, paired on held-out tasks."""

from __future__ import annotations

import math

from pydantic import BaseModel

from dgm.archive.flips import Flip
from dgm.archive.node import score_key
from dgm.archive.run import Archive
from dgm.controller.evaluation import flaky_tasks

Z95 = 1.959964


class HeldoutReport(BaseModel):
    """Root and best on the same held-out tasks, with a 95% interval on the difference."""

    key: str
    root: str
    best: str
    tasks: int
    root_rate: float
    best_rate: float
    difference: float
    low: float
    high: float
    excluded_invalid: int
    excluded_tampered: int
    excluded_flaky: int = 0


def heldout_report(archive: Archive) -> HeldoutReport | None:
    """The paired report, or None until both nodes have held-out results on common tasks."""
    bench = archive.config.benchmark
    key = score_key(bench.name, bench.heldout_split)
    root, best = archive.root, archive.best()
    if root is None or best is None:
        return None
    flips = archive.flips(root.id, best.id)
    split = {r.task_id for r in archive.results(best.id) if r.split == bench.heldout_split}
    tampered = {r.task_id for node in (root.id, best.id) for r in archive.results(node) if r.tampered}
    # A task whose verdict changed between identical runs says nothing about the agent.
    flaky = set().union(*(flaky_tasks(archive.task_records(n)) for n in {root.id, best.id}))
    paired = {t: f for t, f in flips.tasks.items()
              if t in split and t not in tampered and t not in flaky}
    valid = {t: f for t, f in paired.items() if f != Flip.invalid}
    n = len(valid)
    if n == 0:
        return None
    fixed = sum(f == Flip.fixed for f in valid.values())
    regressed = sum(f == Flip.regressed for f in valid.values())
    both = sum(f == Flip.still_passing for f in valid.values())
    diff = (fixed - regressed) / n
    # Wald interval for a paired difference of proportions (from the discordant counts).
    se = math.sqrt(max(0.0, fixed + regressed - (fixed - regressed) ** 2 / n)) / n
    return HeldoutReport(
        key=key, root=root.id, best=best.id, tasks=n,
        root_rate=(both + regressed) / n, best_rate=(both + fixed) / n, difference=diff,
        low=max(-1.0, diff - Z95 * se), high=min(1.0, diff + Z95 * se),
        excluded_invalid=len(paired) - n, excluded_tampered=len(split & tampered),
        excluded_flaky=len(split & (flaky - tampered)),
    )
