"""Evaluating one node: tasks without a verdict are run, infrastructure errors retried, scores kept.

A task's verdict is its latest attempt's outcome when that is passed or failed. Tasks that already
have a verdict are never run again, which is what makes a resumed run lose nothing and repeat
nothing (except tasks that were in flight when it was killed).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence

from dgm.archive.node import Cost, Node, Score, score_key
from dgm.archive.result import Outcome, TaskRecord
from dgm.archive.run import Archive
from dgm.controller.services import Evaluator
from dgm.controller.staging import could_still_beat


def has_verdict(record: TaskRecord | None) -> bool:
    """Whether a task's latest attempt passed or failed (an error is no verdict)."""
    return record is not None and record.latest is not None and record.latest.outcome != Outcome.error


def flaky_tasks(records: dict[str, TaskRecord]) -> list[str]:
    """Tasks whose verdicts disagree across attempts of the same node (errors aside)."""
    return sorted(
        task for task, record in records.items()
        if len({a.outcome for a in record.attempts if a.outcome != Outcome.error}) > 1
    )


def scores_of(records: dict[str, TaskRecord]) -> dict[str, Score]:
    """Score per benchmark split from the latest attempt of each task."""
    counts: dict[str, dict[Outcome, int]] = defaultdict(lambda: defaultdict(int))
    for record in records.values():
        latest = record.latest
        if latest is None:
            continue
        counts[score_key(latest.benchmark, latest.split or "")][latest.outcome] += 1
    return {
        key: Score(passed=c[Outcome.passed], failed=c[Outcome.failed], errors=c[Outcome.error])
        for key, c in sorted(counts.items())
    }


class NodeEvaluator:
    """Runs a node on tasks, storing results as they come; safe to share between threads."""

    def __init__(self, archive: Archive, evaluator: Evaluator, lock: threading.Lock,
                 infra_retries: int, event: Callable[..., None]) -> None:
        self.archive = archive
        self.evaluator = evaluator
        self.lock = lock
        self.infra_retries = infra_retries
        self.event = event  # logs to the archive and tells the display; takes the lock itself

    def run_tasks(self, node: Node, task_ids: Sequence[str]) -> None:
        """Give every task a verdict if the infrastructure allows (bounded retries of errors)."""
        for _ in range(self.infra_retries + 1):
            with self.lock:
                records = self.archive.task_records(node.id)
            todo: dict[int, list[str]] = defaultdict(list)
            for task in task_ids:
                record = records.get(task)
                if not has_verdict(record):
                    attempt = record.latest.attempt + 1 if record and record.latest else 1
                    todo[attempt].append(task)
            if not todo:
                return
            for attempt, tasks in sorted(todo.items()):
                self.event("eval_started", node=node.id, tasks=len(tasks), attempt=attempt)
                results = self.evaluator.evaluate(node, tasks, attempt)
                cost = Cost()
                with self.lock:
                    for result in results:
                        self.archive.write_result(result)
                        cost = cost + Cost(dollars=result.dollars, prompt_tokens=result.tokens,
                                           cpu_seconds=sum(result.durations.values()))
                    self.archive.add_cost(node.id, cost)
                self.event("eval_finished", node=node.id, attempt=attempt,
                           passed=sum(r.outcome == Outcome.passed for r in results),
                           errors=sum(r.outcome == Outcome.error for r in results))

    def rerun(self, node: Node, task_ids: Sequence[str], runs: int) -> tuple[list[str], bool]:
        """Run each task until it has `runs` verdicts; return the node's flaky tasks and whether
        anything ran.

        Counting verdicts already stored makes this idempotent, so a resumed run does not
        repeat re-runs that finished before the crash.
        """
        with self.lock:
            records = self.archive.task_records(node.id)
        todo: dict[int, list[str]] = defaultdict(list)
        for task in task_ids:
            record = records.get(task)
            if record is None or record.latest is None:
                continue
            verdicts = sum(a.outcome != Outcome.error for a in record.attempts)
            for extra in range(max(0, runs - verdicts)):
                todo[record.latest.attempt + 1 + extra].append(task)
        for attempt, tasks in sorted(todo.items()):
            self.event("rerun_started", node=node.id, tasks=len(tasks), attempt=attempt)
            results = self.evaluator.evaluate(node, tasks, attempt)
            with self.lock:
                for result in results:
                    self.archive.write_result(result)
        with self.lock:
            return flaky_tasks(self.archive.task_records(node.id)), bool(todo)

    def refresh_scores(self, node_id: str) -> Node:
        """Recompute a node's scores from its stored results."""
        with self.lock:
            node = self.archive.node(node_id)
            scores = scores_of(self.archive.task_records(node_id))
            node = node.model_copy(update={"scores": scores})
            self.archive.save_node(node)
            return node

    def staged(self, node: Node, tiers: Sequence[Sequence[str]], key: str,
               parent_rate: float | None) -> bool:
        """Run tier after tier; stop when the node can no longer beat its parent. True if cut."""
        total = sum(len(tier) for tier in tiers)
        for number, tier in enumerate(tiers, start=1):
            self.run_tasks(node, tier)
            node = self.refresh_scores(node.id)
            score = node.scores.get(key, Score())
            if number < len(tiers) and parent_rate is not None and not could_still_beat(
                score.passed, score.graded, total - score.errors, parent_rate
            ):
                self.event("eval_cut", node=node.id, tier=number, passed=score.passed,
                           graded=score.graded, parent_rate=parent_rate)
                return True
        return False
