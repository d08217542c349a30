"""The gate end to end: scripted agents whose skills fix and break held-out tasks, through the loop."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from dgm.archive import Archive, NodeStatus
from dgm.archive.flips import Flip
from dgm.cli import app
from dgm.controller.loop import Controller
from dgm.controller.selection import eligible
from dgm.errors import ArchiveNotFoundError
from dgm.skills.admission import DROPPED_FROM
from dgm.skills.audit import gate_log_path, read_records
from dgm.skills.library import render_manifest
from tests.skills.fakes import (
    BASE_SKILL,
    HELDOUT,
    add_skill,
    make_config,
    seed_tree,
    services,
)

runner = CliRunner()
FIX_TWO_BREAK_ONE = add_skill("check-edge-cases", "fixes: h12 h13\nbreaks: h2")


def heldout_runs(ledger: Path) -> Counter[str]:
    """How many held-out task runs each node had."""
    lines = ledger.read_text().split()
    return Counter(lines[i] for i in range(0, len(lines), 3) if lines[i + 1].startswith("h"))


def run_one_step(tmp_path: Path, config, **script) -> tuple[Archive, Path]:  # noqa: ANN001
    archive = Archive.create(tmp_path / "run", config)
    ledger = tmp_path / "ledger"
    Controller(archive, services(archive.path, ledger, **script), config).run(
        seed_tree(tmp_path / "seed"), max_steps=1)
    return archive, ledger


@pytest.mark.parametrize(("budget", "admitted"), [(1, True), (0, False)])
def test_two_fixes_one_break_is_admitted_only_within_the_budget(
        tmp_path: Path, budget: int, admitted: bool) -> None:
    archive, ledger = run_one_step(tmp_path, make_config(budget=budget), edit=FIX_TWO_BREAK_ONE)
    root = archive.root
    [child] = [n for n in archive.nodes() if n.parent_id == root.id]
    assert child.proposal.mode == "skill" and child.proposal.summary.startswith("skill add:")
    [record] = read_records(archive.path)
    d = record.decision
    assert (record.child, record.parent, record.split) == (child.id, root.id, "heldout")
    # Balanced probe: the parent failed h10..h19 and passed h0..h9.
    assert record.probe.failing == sorted(f"h{i}" for i in range(10, 20))
    assert record.probe.passing == sorted(f"h{i}" for i in range(10))
    assert (d.fixes, d.regressions, d.invalid, d.adjusted) == (2, 1, 0, 1)
    assert d.p_value == pytest.approx(1.0)  # 2 vs 1 discordant pairs: far from significant
    assert {t for t, f in d.flips.items() if f == Flip.fixed} == {"h12", "h13"}
    assert {t for t, f in d.flips.items() if f == Flip.regressed} == {"h2"}
    assert len(d.flips) == 20 and d.admitted is admitted
    # Fresh baseline: the parent ran the probe once to choose it and once more to be compared.
    assert record.parent_attempt == 2 and record.child_attempt == 1
    runs = heldout_runs(ledger)
    assert runs[root.id] == 2 * len(HELDOUT) and runs[child.id] == len(HELDOUT)
    assert record.parent_outcomes["h12"] == "failed" and record.child_outcomes["h12"] == "passed"
    node = archive.node(child.id)
    if admitted:
        assert node.status == NodeStatus.evaluated and node.score("builtin:train") is not None
    else:
        assert node.status == NodeStatus.rejected and "exceed the budget of 0" in node.reason
        assert len(archive) == 2  # a pure skill edit leaves no code part to keep
    # The gate's runs are charged to the child whose admission they decide.
    assert node.cost.dollars >= 20 * 0.001 * 2

    out = runner.invoke(app, ["skills", "log", str(archive.path)])
    assert out.exit_code == 0, out.output
    verdict = "1 admitted, 0 rejected" if admitted else "0 admitted, 1 rejected"
    assert f"1 gate decision(s): {verdict}" in out.output
    assert "fixed: h12 h13" in out.output and "regressed: h2" in out.output
    assert "adjusted 1 = 2 - 1 - 2*0" in out.output and f"budget {budget}" in out.output
    assert "no skill gate decisions for ffff" in runner.invoke(
        app, ["skills", "log", str(archive.path), "--node", "ffff"]).output
    missing = runner.invoke(app, ["skills", "log", str(tmp_path / "nowhere")])
    assert isinstance(missing.exception, ArchiveNotFoundError)


def test_a_skill_that_only_adds_noise_is_rejected(tmp_path: Path) -> None:
    archive, _ = run_one_step(tmp_path, make_config(budget=5),
                              edit=add_skill("think-harder", "Think very hard."))
    [record] = read_records(archive.path)
    assert record.decision.adjusted == 0 and not record.decision.admitted
    assert record.decision.reason == "no net gain (adjusted 0 <= 0)"
    assert set(record.decision.flips.values()) == {Flip.still_failing, Flip.still_passing}
    child = archive.node(record.child)
    assert child.status == NodeStatus.rejected and child.reason.startswith("skill edit rejected")
    # A rejected child is never a parent, and never got a smoke test or a training score.
    assert [n.id for n in eligible(archive.nodes(), "builtin:train")] == [archive.root.id]
    assert not [e for e in archive.events if e.node == child.id and e.kind == "smoke_started"]


def test_a_mixed_patch_keeps_its_code_when_its_skill_part_is_rejected(tmp_path: Path) -> None:
    # Code edits are the default; the direct patch raises the level and adds a harmful skill.
    config = make_config(enabled=False)
    harmful = "---\nname: harmful\ndescription: a misleading hint\n---\nbreaks: h1\n"
    files = {"level.txt": "3\n", "skills/20-harmful.md": harmful,
             "skills/manifest.toml": render_manifest(["10-base-skill.md", "20-harmful.md"])}
    archive, _ = run_one_step(tmp_path, config, files=files)
    [record] = read_records(archive.path)
    assert record.mixed and record.skill_paths == ["skills/20-harmful.md", "skills/manifest.toml"]
    assert (record.decision.fixes, record.decision.regressions) == (0, 1)
    assert not record.decision.admitted and record.kept
    mixed, kept = archive.node(record.child), archive.node(record.kept)
    assert mixed.status == NodeStatus.rejected
    assert kept.parent_id == archive.root.id and kept.proposal.extra[DROPPED_FROM] == mixed.id
    assert kept.status == NodeStatus.evaluated and kept.score("builtin:train") == pytest.approx(0.3)
    assert archive.git.read_file(kept.commit, "level.txt") == "3\n"
    assert archive.git.changed_paths(archive.root.commit, kept.commit) == ["level.txt"]
    assert "kept the code part as" in runner.invoke(
        app, ["skills", "log", str(archive.path)]).output


def test_an_invalid_library_is_rejected_without_running_the_probe(tmp_path: Path) -> None:
    config = make_config(enabled=False)
    files = {"level.txt": "3\n", "skills/20-unlisted.md": BASE_SKILL.replace("base", "other")}
    archive, ledger = run_one_step(tmp_path, config, files=files)
    [record] = read_records(archive.path)
    assert record.library_problems == ["skills/20-unlisted.md: not listed in skills/manifest.toml"]
    assert "not valid" in record.decision.reason and not record.probe.tasks
    assert heldout_runs(ledger) == Counter()  # nothing ran on the probe split
    assert archive.node(record.kept).status == NodeStatus.evaluated


def test_a_gate_killed_after_its_runs_resumes_without_running_again(tmp_path: Path) -> None:
    config = make_config()
    archive = Archive.create(tmp_path / "run", config)
    ledger = tmp_path / "ledger"
    svc = services(archive.path, ledger, edit=FIX_TWO_BREAK_ONE)
    ctl = Controller(archive, svc, config)
    ctl.run(seed_tree(tmp_path / "seed"), max_steps=0)
    tree = seed_tree(tmp_path / "child")
    (tree / "skills" / "20-x.md").write_text(
        "---\nname: x\ndescription: fixes things\n---\nfixes: h12 h13\nbreaks: h2\n")
    (tree / "skills" / "manifest.toml").write_text(
        render_manifest(["10-base-skill.md", "20-x.md"]))
    child = archive.add_child(archive.root.id, tree=tree)
    # The gate runs both sides, then the run dies before the decision reaches the log.
    first = ctl.skill_gate.judge(archive.root, child, ["skills/20-x.md"], mixed=False)
    assert not gate_log_path(archive.path).exists()
    before = ledger.read_text()
    Controller(archive, svc, config).run(tree, max_steps=0)  # resume
    [record] = read_records(archive.path)
    assert record.decision == first.decision and record.probe == first.probe
    runs_after = ledger.read_text()[len(before):].split()
    assert not [t for t in runs_after[1::3] if t.startswith("h")]  # no probe task ran again
    assert archive.node(child.id).status == NodeStatus.evaluated


def test_skills_show_gives_each_skill_its_origin(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dgm.skills.cli.console", Console(width=220))
    archive, _ = run_one_step(tmp_path, make_config(), edit=FIX_TWO_BREAK_ONE)
    root = archive.root
    [child] = [n for n in archive.nodes() if n.parent_id == root.id]
    out = runner.invoke(app, ["skills", "show", str(archive.path), child.id[:8]])
    assert out.exit_code == 0, out.output
    lines = {line.split("│")[1].strip(): line for line in out.output.splitlines()
             if line.count("│") > 3}
    assert lines["base-skill"].count(root.id) == 2
    assert lines["check-edge-cases"].count(child.id) == 2
    assert "2 of at most 20" in out.output


def test_two_gates_of_one_parent_at_once_keep_their_runs_apart(tmp_path: Path) -> None:
    config = make_config()
    config.selection.strategy, config.selection.parents_per_generation = "random", 2
    archive, ledger = run_one_step(tmp_path, config, edit=FIX_TWO_BREAK_ONE)
    records = read_records(archive.path)
    assert len(records) == 2 and all(r.decision.adjusted == 1 for r in records)
    # One shared run of the parent to choose the probe, then one fresh baseline per gate, each
    # in its own window of attempt numbers (infra_retries = 2: windows of three).
    assert heldout_runs(ledger)[archive.root.id] == 3 * len(HELDOUT)
    assert sorted(r.parent_attempt for r in records) == [2, 5]
