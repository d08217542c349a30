"""The whole loop with scripted services: scores climb through selection, budgets stop it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dgm.archive import Archive, NodeStatus
from dgm.archive.result import Outcome
from dgm.config import RunConfig
from dgm.controller.loop import Controller
from dgm.controller.report import heldout_report
from dgm.controller.services import Services
from tests.controller.fakes import (
    ErrorOnceEvaluator,
    FlakyEvaluator,
    LevelEvaluator,
    Tasks,
    scripted_ask,
    seed_tree,
    services,
)


def make_config(**budget: object) -> RunConfig:
    config = RunConfig()
    config.selection.strategy = "greedy"
    config.selection.parents_per_generation = 1
    config.benchmark.tiers = [3, 6]
    config.budget.max_nodes = budget.get("max_nodes", 50)  # type: ignore[assignment]
    config.budget.max_dollars = budget.get("max_dollars", 100.0)  # type: ignore[assignment]
    return config


def ledger_counts(ledger: Path) -> Counter[tuple[str, str]]:
    lines = ledger.read_text().split() if ledger.exists() else []
    return Counter((lines[i], lines[i + 1]) for i in range(0, len(lines), 3))


def test_scores_climb_through_selection(tmp_path: Path) -> None:
    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    ledger = tmp_path / "ledger"
    outcome = Controller(archive, services(archive.path, ledger), config).run(
        seed_tree(tmp_path / "seed"), max_steps=5)
    assert outcome.reason == "max_steps reached (5)" and outcome.nodes == 6
    root = archive.root
    assert root.score("builtin:train") == pytest.approx(0.2)
    best = archive.best("builtin:train")
    assert best.score("builtin:train") == pytest.approx(0.7) and best.generation == 5
    assert best.proposal.summary == "raise the level by one" and best.proposal.task_id
    # Held-out: reported for the root and the best, never used to select.
    assert root.score("builtin:heldout") == pytest.approx(0.25)
    assert archive.node(best.id).score("builtin:heldout") == pytest.approx(0.75)
    others = [n for n in archive.nodes() if n.id not in {root.id, best.id}]
    assert all("builtin:heldout" not in n.scores for n in others)
    # Each (node, task) ran exactly once, except the seed's re-runs that look for flaky tasks.
    counts = ledger_counts(ledger)
    assert {n for (n, _t), c in counts.items() if c > 1} == {root.id}
    assert max(counts.values()) == 2 and counts[(root.id, "t0")] == counts[(root.id, "h0")] == 2
    assert archive.spend().dollars > 0 and archive.node(best.id).cost.tokens > 0
    kinds = [e.kind for e in archive.events]
    assert kinds.count("step_started") == kinds.count("step_finished") == 5
    assert kinds[-1] == "run_stopped"


def test_budget_stops_the_run_and_says_which(tmp_path: Path) -> None:
    config = make_config(max_nodes=3)
    archive = Archive.create(tmp_path / "run", config)
    outcome = Controller(archive, services(archive.path, tmp_path / "l"), config).run(
        seed_tree(tmp_path / "seed"))
    assert outcome.reason == "budget.max_nodes reached: used 3 nodes of 3 nodes"
    assert len(archive) == 3
    assert list(archive.events)[-1].data == {"reason": outcome.reason}


def test_broken_children_and_garbage_replies_never_crash_the_run(tmp_path: Path) -> None:
    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    svc = services(archive.path, tmp_path / "l", garbage_every=3)
    Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"), max_steps=4)
    kinds = Counter(e.kind for e in archive.events)
    assert kinds["proposal_failed"] + kinds["child_created"] == 4
    assert all(n.status == NodeStatus.evaluated for n in archive.nodes())

    (tmp_path / "bad").mkdir()
    seed_tree(tmp_path / "bad")
    (tmp_path / "bad" / "broken.txt").write_text("x")
    broken = Archive.create(tmp_path / "run2", config)
    outcome = Controller(broken, services(broken.path, tmp_path / "l2"), config).run(
        tmp_path / "bad")
    assert outcome.reason.startswith("the seed agent failed its smoke test: agent does not import")
    assert broken.root.status == NodeStatus.smoke_failed


def test_infrastructure_errors_are_retried_not_charged(tmp_path: Path) -> None:
    config = make_config()
    config.controller.flaky_reruns = 0
    archive = Archive.create(tmp_path / "run", config)
    evaluator = ErrorOnceEvaluator(archive.path / "agents.git", tmp_path / "l", {"t0", "t1"})
    svc = services(archive.path, tmp_path / "l", evaluator=evaluator)
    Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"), max_steps=0)
    root = archive.root
    assert root.scores["builtin:train"].errors == 0
    assert root.score("builtin:train") == pytest.approx(0.2)
    record = archive.task_record(root.id, "t0")
    assert [a.outcome for a in record.attempts] == ["error", "passed"]


def test_successive_halving_cuts_a_hopeless_child(tmp_path: Path) -> None:
    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    ledger = tmp_path / "l"
    ctl = Controller(archive, services(archive.path, ledger), config)
    ctl.run(seed_tree(tmp_path / "seed", level=9), max_steps=0)  # root passes 9 of 10
    weak = archive.add_child(archive.root.id, tree=seed_tree(tmp_path / "weak", level=0))
    ctl._validate(weak, parent_rate=archive.root.score("builtin:train"))
    node = archive.node(weak.id)
    assert node.status == NodeStatus.evaluated and node.reason.startswith("stopped early")
    assert node.scores["builtin:train"].graded == 3  # only the first tier ran


def test_flaky_tasks_are_flagged_once_and_left_out_of_the_report(tmp_path: Path) -> None:
    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    ledger = tmp_path / "ledger"
    evaluator = FlakyEvaluator(archive.path / "agents.git", ledger, flaky={"t1", "h0"})
    svc = Services(tasks=Tasks(), evaluator=evaluator, ask=scripted_ask())
    Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"), max_steps=3)
    flagged = [e.data["tasks"] for e in archive.events if e.kind == "flaky_tasks"]
    assert flagged == [["t1"], ["h0", "t1"]]
    report = heldout_report(archive)
    assert report.excluded_flaky == 1 and report.tasks == 3
    # A resumed run does not repeat the seed's re-runs.
    before = ledger_counts(ledger)
    Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"), max_steps=3)
    root = archive.root.id
    assert {k: v for k, v in ledger_counts(ledger).items() if k[0] == root} == \
        {k: v for k, v in before.items() if k[0] == root}


def test_flaky_reruns_can_be_turned_off(tmp_path: Path) -> None:
    config = make_config()
    config.controller.flaky_reruns = 0
    archive = Archive.create(tmp_path / "run", config)
    ledger = tmp_path / "ledger"
    Controller(archive, services(archive.path, ledger), config).run(
        seed_tree(tmp_path / "seed"), max_steps=2)
    assert max(ledger_counts(ledger).values()) == 1
    assert not [e for e in archive.events if e.kind == "flaky_tasks"]


def test_a_request_the_model_refuses_loses_the_step_not_the_run(tmp_path: Path) -> None:
    from dgm.llm.types import LLMRequestError

    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    svc = services(archive.path, tmp_path / "l")
    scripted, calls = svc.ask, {"n": 0}

    def ask(messages):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 1:  # e.g. a prompt past a small model's context window
            raise LLMRequestError("request (10278 tokens) exceeds the available context size")
        return scripted(messages)

    svc.ask = ask
    outcome = Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"), max_steps=3)
    assert outcome.reason == "max_steps reached (3)"
    failed = [e for e in archive.events if e.kind == "proposal_failed"]
    assert len(failed) == 1 and failed[0].data["stage"] == "diagnosis"
    assert "exceeds the available context size" in failed[0].data["why"]
    assert len(archive) == 3  # the other two steps made children


def test_a_resumed_run_keeps_the_tasks_it_was_planned_on(tmp_path: Path) -> None:
    class GrowingTasks(Tasks):
        def __init__(self) -> None:
            self.extra: list[str] = []
            self.by_id = {t: t for t in ["t0", "t1", "t2", "t3", "h0", "h1"]}

        def task_ids(self, split: str) -> list[str]:
            ids = {"train": ["t0", "t1", "t2", "t3"], "heldout": ["h0", "h1"]}.get(split, [])
            return sorted(ids + [t for t in self.extra if t.startswith(split[0])])

    config = make_config()
    config.controller.flaky_reruns = 0
    archive = Archive.create(tmp_path / "run", config)
    tasks = GrowingTasks()
    svc = services(archive.path, tmp_path / "l")
    svc.tasks = tasks
    Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"), max_steps=1)
    tasks.extra = ["t9"]  # the benchmark gained a task (new data, another capped subset)
    tasks.by_id["t9"] = "t9"
    resumed = Controller(archive, svc, config)
    assert sorted(t for tier in resumed.tiers for t in tier) == ["t0", "t1", "t2", "t3"]
    resumed.run(seed_tree(tmp_path / "seed"), max_steps=2)
    assert [e.kind for e in archive.events].count("tasks_planned") == 1
    assert all(r.task_id != "t9" for n in archive.nodes() for r in archive.results(n.id))
    del tasks.by_id["t3"]  # a planned task disappeared from the data
    with pytest.raises(ValueError, match="no longer in benchmark 'builtin' \\(e.g. t3\\)"):
        Controller(archive, svc, config)


def test_a_model_that_never_gives_a_usable_edit_stops_the_run(tmp_path: Path) -> None:
    config = make_config()
    config.controller.max_barren_steps = 3
    archive = Archive.create(tmp_path / "run", config)
    svc = services(archive.path, tmp_path / "l", garbage_every=1)  # every reply is garbage
    outcome = Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"))
    assert outcome.reason.startswith("controller.max_barren_steps reached: 3 steps in a row")
    assert outcome.steps == 3 and len(archive) == 1
    # The streak is read back from the events: a resumed run stops at once, not 3 steps later.
    again = Controller(archive, svc, config).run(seed_tree(tmp_path / "seed"))
    assert again.steps == 3 and again.reason.startswith("controller.max_barren_steps")


def test_the_controller_models_turns_are_kept_in_the_run(tmp_path: Path) -> None:
    import json

    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    Controller(archive, services(archive.path, tmp_path / "l", garbage_every=3), config).run(
        seed_tree(tmp_path / "seed"), max_steps=2)
    turns = [json.loads(line) for line in (archive.path / "controller.jsonl").read_text().splitlines()]
    assert len(turns) >= 4 and all(t["parent"] in archive for t in turns)
    assert any(t["reply"] == "I am not sure." for t in turns)  # the unusable reply is on record
    assert any("raise the level by one" in t["reply"] for t in turns)


def test_one_parent_chosen_twice_is_diagnosed_on_two_different_failures(tmp_path: Path) -> None:
    # Drawn independently, two of the root's failures would collide in about half of the runs.
    for seed in range(8):
        config = make_config()
        config.selection.seed = seed
        config.selection.parents_per_generation = 2  # both picks are the root in the first step
        archive = Archive.create(tmp_path / f"run{seed}", config)
        Controller(archive, services(archive.path, tmp_path / "ledger"), config).run(
            seed_tree(tmp_path / f"seed{seed}", level=4), max_steps=1)
        failures = {r.task_id for r in archive.results(archive.root.id)
                    if r.outcome == Outcome.failed and r.split == "train"}
        picked = [e.data["task"] for e in archive.events if e.kind == "diagnosis_started"]
        assert len(picked) == 2 and len(set(picked)) == 2 and set(picked) <= failures


def test_a_small_window_model_with_no_text_file_to_edit_is_told_why(tmp_path: Path) -> None:
    config = make_config()  # the embedded model's name: text-only edits
    archive = Archive.create(tmp_path / "run", config)
    seed = seed_tree(tmp_path / "seed")
    (seed / "level.txt").write_text("2\n" + "x" * 20000)  # its only text file: too large to offer

    class FirstLine(LevelEvaluator):
        def level(self, node):  # noqa: ANN001, ANN202
            return 2

    evaluator = FirstLine(archive.path / "agents.git", tmp_path / "ledger")
    outcome = Controller(archive, services(archive.path, tmp_path / "ledger", evaluator),
                         config).run(seed, max_steps=1)
    assert outcome.nodes == 1
    [failed] = [e for e in archive.events if e.kind == "proposal_failed"]
    assert "none small enough" in failed.data["why"] and failed.data["stage"] == "diagnosis"
