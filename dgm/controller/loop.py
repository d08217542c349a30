"""The evolution loop: select parents, diagnose, propose, create the child, smoke-test, evaluate.

Every step is bracketed by events in the run's log, and every decision is derived from what the
archive holds, so a run killed at any point resumes where it was: pending nodes finish their
evaluation (skipping tasks that already have a verdict) and the loop carries on.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dgm.archive.node import Cost, Node, NodeStatus, Proposal, score_key
from dgm.archive.result import TaskResult
from dgm.archive.run import Archive
from dgm.archive.summary import wall_seconds
from dgm.config import RunConfig
from dgm.controller.budget import Usage, exhausted
from dgm.controller.diagnose import (
    Ask,
    Diagnosis,
    DiagnosisError,
    agent_summary,
    diagnose,
    diagnosis_messages,
    pick_failed_task,
    prompt_budget,
)
from dgm.controller.evaluation import NodeEvaluator
from dgm.controller.facts import brief_steps, earlier_tries, failure_facts
from dgm.controller.propose import ProposalError, propose_direct
from dgm.controller.selection import NoEligibleParentError, make_selector
from dgm.controller.services import Reply, Services
from dgm.controller.staging import plan_tiers, task_order
from dgm.controller.textedit import (
    editable_files,
    propose_text_edit,
    target_file,
    text_diagnosis_messages,
)
from dgm.errors import PatchError
from dgm.llm.types import LLMRequestError
from dgm.skills.admission import SkillGate
from dgm.skills.propose import Failure, propose_skill_edit

DEFAULT_TIERS = (10, 50)
CONTROLLER_LOG = "controller.jsonl"  # the controller model's turns, for reading afterwards


@dataclass
class RunOutcome:
    """How a run ended."""

    reason: str
    steps: int
    nodes: int


class Controller:
    """Runs (or resumes) the evolution of one archive."""

    def __init__(self, archive: Archive, services: Services, config: RunConfig,
                 on_event: Callable[[str, dict], None] | None = None) -> None:
        self.archive = archive
        self.services = services
        self.config = config
        self.lock = threading.Lock()
        self.on_event = on_event or (lambda kind, data: None)
        self.nodes = NodeEvaluator(archive, services.evaluator, self.lock,
                                   config.controller.infra_retries, self._event)
        bench = config.benchmark
        self.train_key = score_key(bench.name, bench.train_split)
        self.heldout_key = score_key(bench.name, bench.heldout_split)
        self.planned, self._plan_is_new = self._planned_tasks()
        train = self.planned[bench.train_split]
        if not train:
            raise ValueError(f"benchmark {bench.name!r} has no tasks in split {bench.train_split!r}")
        sizes = bench.tiers or getattr(services.tasks, "tiers", None) or list(DEFAULT_TIERS)
        difficulty = getattr(services.tasks, "difficulty", None)
        self.tiers = plan_tiers(task_order(train, config.selection.seed, difficulty), sizes)
        self.skill_gate = SkillGate(archive, self.nodes, services.tasks, config, self.lock,
                                    self._event)
        llm = config.llm
        self.prompt_budget = prompt_budget(llm.model, llm.local_context, llm.max_tokens)
        self._session_start = time.monotonic()
        self._earlier_wall = wall_seconds(self.archive.events)

    # ----------------------------------------------------------------- bookkeeping

    def _event(self, kind: str, node: str | None = None, **data: object) -> None:
        with self.lock:
            self.archive.events.append(kind, node=node, **data)
        self.on_event(kind, {"node": node, **data})

    def _planned_tasks(self) -> tuple[dict[str, list[str]], bool]:
        """The run's tasks per split: fixed by its first session, so a resume after the
        benchmark's data changed (tasks added, another subset picked) judges on the same tasks."""
        bench = self.config.benchmark
        for event in self.archive.events:
            if event.kind == "tasks_planned":
                planned = {split: list(ids) for split, ids in event.data["splits"].items()}
                known = getattr(self.services.tasks, "by_id", None)
                missing = [t for ids in planned.values() for t in ids
                           if known is not None and t not in known]
                if missing:
                    raise ValueError(
                        f"{len(missing)} task(s) this run was planned on are no longer in benchmark "
                        f"{bench.name!r} (e.g. {', '.join(missing[:3])}); resume it with the "
                        "benchmark data it started with (benchmark.data)")
                return planned, False
        splits = (bench.train_split, bench.heldout_split)
        return {split: self.services.tasks.task_ids(split) for split in splits}, True

    def usage(self) -> Usage:
        """What the run has consumed, all sessions included."""
        with self.lock:
            cost, count = self.archive.spend(), len(self.archive)
        wall = self._earlier_wall + time.monotonic() - self._session_start
        return Usage.from_cost(cost, nodes=count, wall_seconds=wall)

    # ----------------------------------------------------------------- the run

    def run(self, seed_tree: Path, max_steps: int | None = None) -> RunOutcome:
        """Evolve until a budget (or max_steps steps in the whole run) is reached; say why."""
        self._event("session_started", resumed=len(self.archive) > 0)
        if self._plan_is_new:
            self._event("tasks_planned", splits=self.planned)
            self._plan_is_new = False
        root = self.archive.root or self._add_root(seed_tree)
        self._finish_pending()
        root = self.archive.node(root.id)
        if root.status == NodeStatus.pending:
            self._validate(root, parent_rate=None)
        self._find_flaky(self.archive.node(root.id), [t for tier in self.tiers for t in tier])
        steps, barren = self._step_history()
        limit = self.config.controller.max_barren_steps
        while True:
            reason = exhausted(self.config.budget, self.usage())
            if reason is None and max_steps is not None and steps >= max_steps:
                reason = f"max_steps reached ({max_steps})"
            if reason is None and limit is not None and barren >= limit:
                reason = (f"controller.max_barren_steps reached: {barren} steps in a row made no "
                          "child (the model's diagnoses or edits were unusable; see the "
                          "proposal_failed events)")
            if reason is None and self.archive.node(root.id).status != NodeStatus.evaluated:
                reason = f"the seed agent failed its smoke test: {self.archive.node(root.id).reason}"
            if reason:
                break
            rng = random.Random(f"{self.config.selection.seed}:{steps}")
            try:
                parents = make_selector(self.config.selection, rng).choose(
                    self.archive, self.config.selection.parents_per_generation)
            except NoEligibleParentError as exc:
                reason = str(exc)
                break
            self._event("step_started", step=steps, parents=[p.id for p in parents])
            before = len(self.archive)
            jobs = self._pick_failures(parents, [random.Random(f"{rng.random()}:{i}")
                                                 for i in range(len(parents))])
            with ThreadPoolExecutor(max_workers=len(parents)) as pool:
                list(pool.map(lambda job: self._child(*job), jobs))
            self._event("step_finished", step=steps)
            barren = barren + 1 if len(self.archive) == before else 0
            steps += 1
        if self.config.controller.report_heldout:
            self._score_heldout()
        self._event("run_stopped", reason=reason)
        return RunOutcome(reason=reason, steps=steps, nodes=len(self.archive))

    def _log_exchange(self, parent: str, task: str, messages: list[dict[str, str]],
                      reply: Reply) -> None:
        """Append one controller conversation turn to controller.jsonl in the run, so that an
        unusable diagnosis or edit can be read afterwards (the last message and the reply)."""
        record = {"ts": time.time(), "parent": parent, "task": task,
                  "asked": messages[-1]["content"][-4000:], "turn": len(messages),
                  "reply": reply.text, "tokens": reply.cost.tokens}
        with self.lock, (self.archive.path / CONTROLLER_LOG).open("a") as log:
            log.write(json.dumps(record) + "\n")

    def _step_history(self) -> tuple[int, int]:
        """Steps started so far, and finished steps in a row, up to now, that made no child
        (both read back from the events in one pass)."""
        started, streak, made = 0, 0, False
        for event in self.archive.events:
            if event.kind == "step_started":
                started, made = started + 1, False
            elif event.kind == "child_created":
                made = True
            elif event.kind == "step_finished":
                streak = 0 if made else streak + 1
        return started, streak

    def _add_root(self, seed_tree: Path) -> Node:
        with self.lock:
            root = self.archive.add_root(seed_tree)
        self._event("root_added", node=root.id)
        return root

    def _finish_pending(self) -> None:
        """Resume: nodes left pending by a killed run are validated again (results kept)."""
        for node in self.archive.nodes():
            node = self.archive.node(node.id)  # an earlier skill gate may have settled it
            if node.status == NodeStatus.pending and node.parent_id is not None:
                self._event("node_resumed", node=node.id)
                self._validate_child(node)

    def _validate_child(self, child: Node) -> None:
        """A skill edit goes through the gate first; what it lets through is validated."""
        parent = self.archive.node(child.parent_id)
        settled = self.skill_gate.settle(child)
        if settled is not None and settled.status == NodeStatus.pending:
            self._validate(settled, parent_rate=parent.score(self.train_key))

    def _validate(self, node: Node, parent_rate: float | None) -> None:
        """Smoke test, then staged evaluation; sets the node's final status."""
        self._event("smoke_started", node=node.id)
        problem = self.services.evaluator.smoke(node)
        self._event("smoke_finished", node=node.id, ok=problem is None)
        if problem is not None:
            with self.lock:
                self.archive.set_status(node.id, NodeStatus.smoke_failed, reason=problem)
            return
        cut = self.nodes.staged(node, self.tiers, self.train_key, parent_rate)
        with self.lock:
            latest = self.archive.node(node.id)
            self.archive.set_status(
                node.id, NodeStatus.evaluated,
                reason="stopped early: could not beat its parent" if cut else None,
                scores=latest.scores)
        self._event("node_evaluated", node=node.id, score=self.archive.node(node.id).score(
            self.train_key), cut=cut)

    # ----------------------------------------------------------------- one child

    def _pick_failures(self, parents: list[Node], rngs: list[random.Random],
                       ) -> list[tuple[Node, random.Random, TaskResult | None]]:
        """A failed training task for each parent of a generation; a parent chosen twice gets
        different tasks while it has enough (at temperature 0, two diagnoses of one failure
        are the same diagnosis twice)."""
        taken: dict[str, set[str]] = {}
        jobs = []
        for parent, rng in zip(parents, rngs, strict=True):
            with self.lock:
                results = [r for r in self.archive.results(parent.id)
                           if r.split == self.config.benchmark.train_split]
            seen = taken.setdefault(parent.id, set())
            fresh = [r for r in results if r.task_id not in seen]
            failed = pick_failed_task(fresh, rng) or pick_failed_task(results, rng)
            if failed is not None:
                seen.add(failed.task_id)
            jobs.append((parent, rng, failed))
        return jobs

    def _child(self, parent: Node, rng: random.Random, failed: TaskResult | None) -> None:
        """Diagnose a failure of the parent, make the child, validate it."""
        if failed is None:
            self._event("parent_skipped", node=parent.id, why="no failed training task")
            return
        self._event("diagnosis_started", node=parent.id, task=failed.task_id)
        cost = Cost()

        def ask(messages: list[dict[str, str]]) -> str:
            nonlocal cost
            reply: Reply = self.services.ask(messages)
            cost = cost + reply.cost
            self._log_exchange(parent.id, failed.task_id, messages, reply)
            return reply.text

        with tempfile.TemporaryDirectory(prefix="dgm-parent-") as tmp:
            tree = self.archive.git.checkout(parent.commit, Path(tmp) / "agent")
            stage = "diagnosis"
            try:
                diagnosis = self._diagnosis(ask, parent, tree, failed)
                stage = "proposal"
                proposal = diagnosis.to_proposal(failed.task_id, self.config.controller.mode)
                failure = self._failure(parent, failed) if self.skill_gate.wants_edit(rng) else None
                child = self._make_child(parent, tree, diagnosis, proposal, ask, failure)
            except DiagnosisError as exc:
                self._event("proposal_failed", node=parent.id, why=str(exc), stage="diagnosis")
                return
            except LLMRequestError as exc:
                # The model refused the request itself (e.g. a prompt past its context window):
                # this step is lost, the run is not. Unreachable models still stop the run.
                self._event("proposal_failed", node=parent.id, why=f"model refused: {exc}",
                            stage=stage)
                return
        if child is None:
            return
        with self.lock:
            child = self.archive.add_cost(child.id, cost)
        self._event("child_created", node=child.id, parent=parent.id)
        if child.status == NodeStatus.pending:
            self._validate_child(child)

    def _failure(self, parent: Node, failed) -> Failure:  # noqa: ANN001
        """The failed attempt with its statement and logs."""
        logs = {}
        for name in ("trajectory", "test"):
            found = self.archive.log_path(parent.id, failed.task_id, failed.attempt, name)
            logs[name] = found.read_text(errors="replace") if found.exists() else ""
        return Failure(self.services.tasks.statement(failed.task_id), failed, logs["trajectory"],
                       logs["test"])

    def _diagnosis(self, ask: Ask, parent: Node, tree: Path, failed) -> Diagnosis:  # noqa: ANN001
        """The model's diagnosis of a failure; with a small context window, one that names the
        prompt or skill file to change (see textedit)."""
        f = self._failure(parent, failed)
        with self.lock:
            children = [n for n in self.archive.nodes() if n.parent_id == parent.id]
        facts = failure_facts(failed, f.trajectory) + earlier_tries(
            children, failed.task_id, self.train_key, parent.score(self.train_key))
        attempts = self.config.controller.diagnosis_attempts
        budget = self.prompt_budget
        if budget is None:
            messages = diagnosis_messages(agent_summary(tree), f.statement, failed, f.trajectory,
                                          f.test_log, facts=facts)
            return diagnose(ask, messages, attempts)
        files = editable_files(tree, limit=budget // 2)
        if not files:
            raise DiagnosisError("the model's context window only allows edits of the agent's "
                                 "prompt and skill files, and it has none small enough")
        messages = text_diagnosis_messages(files, f.statement, failed.task_id, facts,
                                           brief_steps(f.trajectory, budget // 3), budget)
        return diagnose(ask, messages, attempts, check=lambda d: "" if target_file(d, files) else (
            f"\"file\" must be one of: {', '.join(files)}"))

    def _make_child(self, parent: Node, tree: Path, diagnosis, proposal: Proposal,  # noqa: ANN001
                    ask: Callable[[list[dict[str, str]]], str],
                    failure: Failure | None = None) -> Node | None:
        """The child node: a skill edit (failure given), the model's files (direct) or the
        parent's self-edit (self)."""
        if failure is not None:  # skill edits are always written by the controller's model
            try:
                edit, paths = propose_skill_edit(ask, tree, failure, diagnosis, self.config.skills)
            except ProposalError as exc:
                self._event("proposal_failed", node=parent.id, why=str(exc), stage="skill edit")
                return None
            proposal, reply = edit.to_proposal(proposal, paths), None
        elif self.config.controller.mode == "self":
            if self.services.self_edit is None:
                raise RuntimeError("controller.mode = 'self' needs a self_edit service")
            reply = self.services.self_edit(parent, diagnosis.instruction, tree)
        else:
            try:
                if self.prompt_budget is None:
                    propose_direct(ask, tree, diagnosis)
                else:
                    propose_text_edit(ask, tree, diagnosis)
            except ProposalError as exc:
                self._event("proposal_failed", node=parent.id, why=str(exc), stage="proposal")
                return None
            reply = None
        try:
            with self.lock:
                child = self.archive.add_child(parent.id, tree=tree, proposal=proposal)
                if reply is not None:
                    child = self.archive.add_cost(child.id, reply.cost)
        except PatchError as exc:  # pragma: no cover - trees always commit; kept for patches
            self._event("proposal_failed", node=parent.id, why=str(exc), stage="commit")
            return None
        if not self.archive.patch(child.id).strip():
            with self.lock:
                child = self.archive.set_status(child.id, NodeStatus.smoke_failed,
                                                reason="the edit changed nothing")
        return child

    def _find_flaky(self, root: Node, task_ids: list[str]) -> None:
        """Re-run the seed agent on tasks it has a verdict for; flag those whose verdict changes."""
        reruns = self.config.controller.flaky_reruns
        if root.status != NodeStatus.evaluated or not reruns:
            return
        flaky, ran = self.nodes.rerun(root, task_ids, runs=1 + reruns)
        if ran:
            self.nodes.refresh_scores(root.id)
            self._event("flaky_tasks", node=root.id, tasks=flaky)

    # ----------------------------------------------------------------- held-out report

    def _score_heldout(self) -> None:
        """Evaluate the root and the best training node on the held-out split (never selected on)."""
        heldout = self.planned.get(self.config.benchmark.heldout_split, [])
        root, best = self.archive.root, self.archive.best(self.train_key)
        if not heldout or root is None or best is None:
            return
        for node in {root.id: root, best.id: best}.values():
            if node.status != NodeStatus.evaluated:
                continue
            self._event("heldout_started", node=node.id)
            self.nodes.run_tasks(node, heldout)
            self.nodes.refresh_scores(node.id)
            if node.id == root.id:
                self._find_flaky(self.archive.node(root.id), heldout)
            self._event("heldout_finished", node=node.id)
