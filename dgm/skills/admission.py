"""The gate in the loop: a child that changed skills/ is admitted only with a net gain on a probe.

For a child whose commit touches skills/ (a skill proposal, a direct patch or a self-edit):
1. the probe: the parent's verdicts on the probe split (run on a seeded slice of it where
   missing; used only to choose tasks) give half tasks it fails and half it passes;
2. the parent is run again on the probe (a fresh baseline, never a stored verdict) and the child
   too, paired per task, infrastructure errors retried as anywhere else;
3. the rule of dgm.skills.gate decides; the decision goes to the audit log (skills/gate.jsonl);
4. admitted: the child goes on to its smoke test and staged evaluation. Rejected: the child is
   marked rejected and, if it also changed code, re-committed without its skills/ changes; that
   code-only child is validated like any other.

Every step is recomputed from the archive (the probe's first attempt numbers are logged in a
`skill_gate_started` event), so a run killed mid-gate resumes it without repeating runs.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dgm.archive.flips import compare
from dgm.archive.node import Cost, Node, NodeStatus
from dgm.archive.result import Outcome, TaskResult
from dgm.archive.run import Archive
from dgm.config import RunConfig
from dgm.controller.evaluation import NodeEvaluator
from dgm.controller.services import TaskSource
from dgm.controller.staging import task_order
from dgm.skills.audit import GateRecord, append_record, read_records
from dgm.skills.gate import GateDecision, Probe, build_probe, decide
from dgm.skills.history import skill_files_at
from dgm.skills.library import SKILLS_DIR, library_from_files

DROPPED_FROM = "skills_dropped_from"  # Proposal.extra key of a child re-committed without skills


def touches_skills(paths: Sequence[str]) -> list[str]:
    """The paths under skills/."""
    return [p for p in paths if p.startswith(f"{SKILLS_DIR}/")]


def rejection(reason: str) -> GateDecision:
    """A decision taken without running anything."""
    return GateDecision(fixes=0, regressions=0, invalid=0, adjusted=0, p_value=1.0,
                        admitted=False, reason=reason)


class SkillGate:
    """Decides on the skill edits of children; shares the loop's archive lock and event log."""

    def __init__(self, archive: Archive, nodes: NodeEvaluator, tasks: TaskSource,
                 config: RunConfig, lock: threading.Lock, event: Callable[..., None]) -> None:
        self.archive, self.nodes, self.tasks = archive, nodes, tasks
        self.config, self.lock, self.event = config, lock, event
        self.skills = config.skills
        # Children of one parent judged at once draw their probes one after the other, so the
        # parent's runs that choose a probe are shared instead of made twice.
        self._drawing: dict[str, threading.Lock] = defaultdict(threading.Lock)
        # Attempt numbers handed to gates still running: each gate's fresh runs of a node use
        # their own window of attempts, so concurrent gates never overwrite each other's runs.
        self._reserved: dict[str, int] = {}

    def wants_edit(self, rng: random.Random) -> bool:
        """Whether this proposal should edit the skill library (config: skills.enabled, share)."""
        return self.skills.enabled and rng.random() < self.skills.proposal_share

    # ----------------------------------------------------------------- the decision

    def settle(self, child: Node) -> Node | None:
        """The node to validate next: the child, its code-only re-commit, or None."""
        if child.parent_id is None:
            return child
        with self.lock:
            parent = self.archive.node(child.parent_id)
            changed = self.archive.git.changed_paths(parent.commit, child.commit)
        skill_paths = touches_skills(changed)
        if not skill_paths:
            return child
        record = next((r for r in read_records(self.archive.path) if r.child == child.id), None)
        if record is None:
            record = self.judge(parent, child, skill_paths, mixed=len(skill_paths) < len(changed))
            if not record.decision.admitted and record.mixed:
                record.kept = self._without_skills(parent, child).id
            with self.lock:
                append_record(self.archive.path, record)
        decision = record.decision
        self.event("skill_gate_decided", node=child.id, admitted=decision.admitted,
                   adjusted=decision.adjusted, fixes=decision.fixes,
                   regressions=decision.regressions, invalid=decision.invalid,
                   p_value=decision.p_value, reason=decision.reason, kept=record.kept)
        if decision.admitted:
            return child
        with self.lock:
            self.archive.set_status(child.id, NodeStatus.rejected,
                                    reason=f"skill edit rejected by the gate: {decision.reason}")
            return self.archive.node(record.kept) if record.kept else None

    def judge(self, parent: Node, child: Node, skill_paths: list[str], mixed: bool) -> GateRecord:
        """Check the child's library, build the probe, run both sides, apply the rule."""
        split = self.skills.probe_split or self.config.benchmark.heldout_split
        record = GateRecord(child=child.id, parent=parent.id, summary=child.proposal.summary,
                            skill_paths=skill_paths, mixed=mixed, split=split,
                            regression_budget=self.skills.regression_budget,
                            require_significance=self.skills.require_significance,
                            significance_level=self.skills.significance_level,
                            decision=rejection("not judged"))
        with self.lock:
            files = skill_files_at(self.archive, child.commit)
        problems = library_from_files(files, self.skills).problems
        if problems:
            record.library_problems = problems
            record.decision = rejection(f"the child's skill library is not valid: {problems[0]}")
            return record
        started = self._started(child.id)
        if started is None:
            pool = self.tasks.task_ids(split)
            if not pool:
                record.decision = rejection(f"no tasks in split {split!r} to draw a probe from")
                return record
            with self.lock:
                drawing = self._drawing[parent.id]
            with drawing:
                probe = self._draw_probe(parent, child, pool)
                if not probe.failing:
                    record.probe = probe
                    record.decision = rejection("the parent fails no probe task: no fix is "
                                                "possible")
                    return record
                with self.lock:
                    starts = [self._reserve(n.id, probe.tasks) for n in (parent, child)]
            self.event("skill_gate_started", node=child.id, parent=parent.id, split=split,
                       failing=probe.failing, passing=probe.passing, parent_attempt=starts[0],
                       child_attempt=starts[1])
        else:
            probe = Probe(failing=started["failing"], passing=started["passing"])
            starts = [started["parent_attempt"], started["child_attempt"]]
        record.probe, record.parent_attempt, record.child_attempt = probe, starts[0], starts[1]
        with ThreadPoolExecutor(max_workers=2) as pool_:
            sides = list(pool_.map(lambda job: self._run_side(child, *job),
                                   [(parent, probe.tasks, starts[0]),
                                    (child, probe.tasks, starts[1])]))
        record.parent_outcomes = {t: r.outcome for t, r in sides[0].items()}
        record.child_outcomes = {t: r.outcome for t, r in sides[1].items()}
        flips = compare(parent.id, sides[0].values(), child.id, sides[1].values())
        record.decision = decide(flips, self.skills)
        return record

    # ----------------------------------------------------------------- the probe

    def _started(self, child_id: str) -> dict | None:
        """The logged start of this child's gate, if a killed run got that far."""
        found = None
        for event in self.archive.events:
            if event.kind == "skill_gate_started" and event.node == child_id:
                found = event.data
        return found

    def _first_verdicts(self, node_id: str, task_ids: Sequence[str]) -> list[TaskResult]:
        """Each task's first passed/failed attempt: stable however many re-runs come later."""
        with self.lock:
            records = self.archive.task_records(node_id)
        out = []
        for task in task_ids:
            record = records.get(task)
            first = next((a for a in record.attempts if a.outcome != Outcome.error),
                         None) if record else None
            if first is not None:
                out.append(first)
        return out

    def _draw_probe(self, parent: Node, child: Node, pool: list[str]) -> Probe:
        """Half tasks the parent fails, half it passes; the parent runs slices until enough."""
        size, seed = self.skills.probe_size, self.config.selection.seed
        order = task_order(pool, seed)
        half = size // 2
        for start in range(0, len(order), size):
            verdicts = self._first_verdicts(parent.id, order)
            failed = sum(v.outcome == Outcome.failed for v in verdicts)
            if failed >= half and len(verdicts) - failed >= size - half:
                break
            self.nodes.run_tasks(parent, order[start : start + size])
        verdicts = self._first_verdicts(parent.id, order)
        return build_probe(verdicts, size, random.Random(f"{seed}:{child.id}"))

    def _reserve(self, node_id: str, task_ids: Sequence[str]) -> int:
        """The first of a window of attempt numbers above every stored or reserved one."""
        records = self.archive.task_records(node_id)
        stored = max((a.attempt for t in task_ids if t in records for a in records[t].attempts),
                     default=0)
        start = max(stored, self._reserved.get(node_id, 0)) + 1
        self._reserved[node_id] = start + self.nodes.infra_retries
        return start

    def _run_side(self, payer: Node, node: Node, task_ids: Sequence[str],
                  start: int) -> dict[str, TaskResult]:
        """Each task's outcome from this gate's window of attempts (run where missing)."""
        end = start + self.nodes.infra_retries

        def gated() -> dict[str, TaskResult]:
            with self.lock:
                records = self.archive.task_records(node.id)
            latest = {}
            for task in task_ids:
                mine = [a for a in records[task].attempts if start <= a.attempt <= end] \
                    if task in records else []
                if mine:
                    latest[task] = mine[-1]
            return latest

        for _ in range(self.nodes.infra_retries + 1):
            latest = gated()
            todo: dict[int, list[str]] = defaultdict(list)
            for task in task_ids:
                found = latest.get(task)
                if found is None or found.outcome == Outcome.error:
                    todo[found.attempt + 1 if found else start].append(task)
            if not todo:
                break
            for attempt, tasks in sorted(todo.items()):
                self.event("gate_eval_started", node=node.id, tasks=len(tasks), attempt=attempt,
                           gate=payer.id)
                results = self.nodes.evaluator.evaluate(node, tasks, attempt)
                cost = Cost()
                with self.lock:
                    for result in results:
                        self.archive.write_result(result)
                        cost = cost + Cost(dollars=result.dollars, prompt_tokens=result.tokens,
                                           cpu_seconds=sum(result.durations.values()))
                    # The gate is the price of admitting the child: charge its runs there.
                    self.archive.add_cost(payer.id, cost)
        latest = gated()
        return {t: latest.get(t) or TaskResult(task_id=t, node_id=node.id, attempt=start,
                                               outcome=Outcome.error, error="no result")
                for t in task_ids}

    # ----------------------------------------------------------------- rejection

    def _without_skills(self, parent: Node, child: Node) -> Node:
        """The child re-committed with the parent's skills/ (found again after a crash)."""
        with self.lock:
            for node in self.archive.nodes():
                if node.parent_id == parent.id and node.proposal.extra.get(DROPPED_FROM) == child.id:
                    return node
        with tempfile.TemporaryDirectory(prefix="dgm-skills-") as tmp:
            tree = self.archive.git.checkout(child.commit, Path(tmp) / "child")
            old = self.archive.git.checkout(parent.commit, Path(tmp) / "parent")
            shutil.rmtree(tree / SKILLS_DIR, ignore_errors=True)
            if (old / SKILLS_DIR).is_dir():
                shutil.copytree(old / SKILLS_DIR, tree / SKILLS_DIR)
            proposal = child.proposal.model_copy(update={
                "summary": f"{child.proposal.summary} (skill edit dropped)"[:200],
                "extra": {**child.proposal.extra, DROPPED_FROM: child.id}})
            with self.lock:
                kept = self.archive.add_child(parent.id, tree=tree, proposal=proposal)
        self.event("skill_edit_dropped", node=kept.id, parent=parent.id, child=child.id)
        return kept
