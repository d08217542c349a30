"""Controller rows of `dgm perf`: the loop's own overhead per generation, and resuming a big run.

The overhead row runs the real loop (selection, diagnosis, proposal, git commits, events,
staging) with a scripted model, while every evaluation is a real sandboxed grading of either a
task's reference patch or an empty one. What the loop spends outside evaluations and model
replies is its overhead; the target is under 5% of the evaluation time it organises.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from dgm.archive.gitstore import GitStore
from dgm.archive.node import Cost, Node
from dgm.archive.perf import build_wide_run
from dgm.archive.result import TaskResult
from dgm.archive.run import Archive
from dgm.config import RunConfig
from dgm.controller.loop import Controller
from dgm.controller.services import Reply, Services
from dgm.perf import PerfContext, PerfRow

TRAIN_TASKS = 6


class _Clock:
    """Seconds spent inside the wrapped calls."""

    def __init__(self) -> None:
        self.spent = 0.0

    def timed(self, fn):  # noqa: ANN001, ANN202 - a thin timing wrapper
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - start
        return wrapper


class _GoldUpToLevel:
    """Grades the reference patch on the first `level` tasks and an empty patch on the rest.

    `level` is read from the node's tree, so a scripted edit that raises it is a real
    improvement the loop must notice, select on and build upon.
    """

    def __init__(self, git_dir: Path, bench, order: Sequence[str], config: RunConfig) -> None:  # noqa: ANN001
        self.git_dir, self.bench, self.order, self.config = git_dir, bench, list(order), config
        self.by_id = {t.id: t for t in bench.tasks()}

    def smoke(self, node: Node) -> str | None:
        return None

    def evaluate(self, node: Node, task_ids: Sequence[str], attempt: int) -> list[TaskResult]:
        from dgm.agent_runner import grade_patch

        level = int(GitStore(self.git_dir).read_file(node.commit, "level.txt").strip())
        results = []
        for task_id in task_ids:
            task = self.by_id[task_id]
            patch = self.bench.gold_patch(task) if self.order.index(task_id) < level else ""
            with tempfile.TemporaryDirectory(prefix="dgm-perf-ctl-") as tmp:
                result, _ = grade_patch(task, patch, self.config.sandbox, self.config.benchmark,
                                        Path(tmp))
            results.append(result.model_copy(update={"node_id": node.id, "attempt": attempt}))
        return results


def _ask(messages: list[dict[str, str]]) -> Reply:
    """The scripted controller model: a diagnosis, then level.txt raised by one."""
    cost = Cost(prompt_tokens=100, completion_tokens=20)
    if messages[0]["content"].startswith("You improve a coding agent"):
        return Reply(json.dumps({"diagnosis": "It stops early.", "summary": "raise the level",
                                 "instruction": "Increase level.txt by one.",
                                 "file": "level.txt"}), cost)
    # Shown among the agent's files (direct edits) or alone (text-only edits, small models).
    level = int(re.search(r"(?:--- level\.txt|# File level\.txt\n```)\n(\d+)",
                          "\n".join(m["content"] for m in messages)).group(1))
    return Reply(f"```file level.txt\n{level + 1}\n```\n", cost)


class _Tasks:
    def __init__(self, bench, ids: list[str]) -> None:  # noqa: ANN001
        self.ids, self.by_id = ids, {t.id: t for t in bench.tasks()}

    def task_ids(self, split: str) -> list[str]:
        return list(self.ids) if split == "train" else []

    def statement(self, task_id: str) -> str:
        return self.by_id[task_id].statement


def _overhead_run(ctx: PerfContext, generations: int) -> tuple[list[float], list[float]]:
    """Per generation: the loop's own seconds, and the seconds of evaluations and replies."""
    from dgm.bench.builtin import BuiltinBenchmark

    bench = BuiltinBenchmark()
    train = sorted(t.id for t in bench.tasks("train"))[:TRAIN_TASKS]
    config = RunConfig()
    config.selection.strategy = "greedy"
    # One child per generation: with several, their evaluations overlap in time and the
    # seconds spent inside them no longer subtract from the generation's wall time.
    config.selection.parents_per_generation = 1
    config.benchmark.tiers = [2, TRAIN_TASKS]
    config.controller.flaky_reruns = 0
    config.controller.report_heldout = False
    work = ctx.scratch("controller")
    seed = work / "seed"
    seed.mkdir()
    (seed / "level.txt").write_text("1\n")
    (seed / "agent.py").write_text("print('agent')\n")
    archive = Archive.create(work / "run", config)
    clock = _Clock()
    from dgm.controller.staging import task_order

    evaluator = _GoldUpToLevel(archive.path / "agents.git", bench,
                               task_order(train, config.selection.seed), config)
    evaluator.evaluate = clock.timed(evaluator.evaluate)  # type: ignore[method-assign]
    services = Services(tasks=_Tasks(bench, train), evaluator=evaluator,  # type: ignore[arg-type]
                        ask=clock.timed(_ask))
    marks: dict[str, list[float]] = {"start": [], "finish": [], "spent": []}

    def on_event(kind: str, data: dict) -> None:
        if kind in ("step_started", "step_finished"):
            marks["start" if kind == "step_started" else "finish"].append(time.perf_counter())
            marks["spent"].append(clock.spent)

    try:
        Controller(archive, services, config, on_event=on_event).run(seed, max_steps=generations)
    finally:
        archive.close()
    spent = marks["spent"]
    overheads, work_s = [], []
    for i, (begin, end) in enumerate(zip(marks["start"], marks["finish"], strict=True)):
        inside = spent[2 * i + 1] - spent[2 * i]
        overheads.append(end - begin - inside)
        work_s.append(inside)
    return overheads, work_s


def _resume_times(ctx: PerfContext, count: int, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds from opening a `count`-node run to the loop's first decision, and to open alone."""
    path = build_wide_run(ctx.scratch("resume") / "run", count)
    config = RunConfig()
    config.controller.report_heldout = False

    class _Never:
        def smoke(self, node: Node) -> str | None:
            raise AssertionError("a resume of a finished run evaluates nothing")

        evaluate = smoke

    services = Services(tasks=_Tasks_stub(), evaluator=_Never(), ask=_ask)  # type: ignore[arg-type]
    resume, open_only = [], []
    seed = Path(tempfile.mkdtemp(prefix="dgm-perf-seed-", dir=ctx.workdir))
    for _ in range(repeat):
        start = time.perf_counter()
        with Archive.open(path, writable=True) as archive:
            Controller(archive, services, config).run(seed, max_steps=0)
        resume.append(time.perf_counter() - start)
        start = time.perf_counter()
        with Archive.open(path, writable=True) as archive:
            len(archive)
        open_only.append(time.perf_counter() - start)
    shutil.rmtree(seed, ignore_errors=True)
    return resume, open_only


class _Tasks_stub:  # noqa: N801 - a private stand-in
    def task_ids(self, split: str) -> list[str]:
        return ["t0"] if split == "train" else []

    def statement(self, task_id: str) -> str:
        return "unused"


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """Loop overhead per generation (target < 5% of evaluation time) and a 1,000-node resume."""
    if shutil.which("bwrap") is None:
        ctx.notes.append("controller: bwrap not installed, no overhead row "
                         "(apt-get install -y bubblewrap)")
    else:
        overheads, work_s = _overhead_run(ctx, 3 if ctx.quick else 6)
        yield PerfRow("controller", "loop overhead per generation (scripted model, gold agent)",
                      overheads, "sandboxed gradings + replies of that generation", work_s,
                      target="ratio < 0.05", check=lambda r: r.ratio < 0.05)
    count = 200 if ctx.quick else 1000
    resume, open_only = _resume_times(ctx, count, 3 if ctx.quick else 5)
    yield PerfRow("controller", f"resume a {count:,}-node run to its first decision", resume,
                  "open the run for writing", open_only)
