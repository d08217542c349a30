"""The archive API: nodes as commits, checkouts, results, lineage, clades."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgm.archive import Archive, NodeStatus, Outcome, Proposal, TaskResult
from dgm.archive.gitstore import GitStore
from dgm.config import RunConfig
from dgm.errors import ArchiveError, NodeNotFoundError, PatchError
from tests.conftest import bump_patch


def tree_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_root_and_child_round_trip(archive: Archive, agent_tree: Path, tmp_path: Path) -> None:
    root = archive.add_root(agent_tree)
    assert root.parent_id is None and root.generation == 0 and root.proposal.mode == "seed"
    assert root.id == root.commit[:12]
    assert archive.git.node_refs() == {root.id: root.commit}

    child = archive.add_child(root.id, patch=bump_patch("counter.txt", "0", "1"))
    assert child.parent_id == root.id and child.generation == 1
    out = archive.checkout(child.id, tmp_path / "out")
    expected = tree_files(agent_tree) | {"counter.txt": "1\n"}
    assert tree_files(out) == expected
    assert archive.patch(child.id).count("\n+1") == 1
    assert archive.patch(root.id) == ""


def test_child_from_tree_and_identical_edits_stay_distinct(
    archive: Archive, agent_tree: Path, tmp_path: Path
) -> None:
    root = archive.add_root(agent_tree)
    (agent_tree / "agent" / "new.py").write_text("X = 1\n")
    one = archive.add_child(root.id, tree=agent_tree)
    two = archive.add_child(root.id, tree=agent_tree)
    assert one.id != two.id  # same code, two attempts: two nodes
    out = archive.checkout(two.id, tmp_path / "two")
    assert (out / "agent" / "new.py").read_text() == "X = 1\n"
    assert "agent/new.py" in archive.diff(root.id, one.id)


def test_bad_patch_is_refused_and_changes_nothing(archive: Archive, agent_tree: Path) -> None:
    root = archive.add_root(agent_tree)
    before_nodes, before_refs = len(archive), archive.git.node_refs()
    with pytest.raises(PatchError, match="does not apply"):
        archive.add_child(root.id, patch=bump_patch("counter.txt", "41", "42"))
    with pytest.raises(PatchError, match="empty patch"):
        archive.add_child(root.id, patch="  \n")
    with pytest.raises(PatchError):
        archive.add_child(root.id, patch="this is not a diff at all")
    assert len(archive) == before_nodes and archive.git.node_refs() == before_refs


def test_sloppy_hunk_counts_are_recounted(archive: Archive, agent_tree: Path, tmp_path: Path) -> None:
    # Small models get hunk line counts wrong; git apply --recount fixes them.
    root = archive.add_root(agent_tree)
    patch = "--- a/counter.txt\n+++ b/counter.txt\n@@ -1,5 +1,9 @@\n-0\n+7\n"
    child = archive.add_child(root.id, patch=patch)
    assert (archive.checkout(child.id, tmp_path / "c") / "counter.txt").read_text() == "7\n"


def test_removing_a_line_that_starts_with_dashes(archive: Archive, tmp_path: Path) -> None:
    # In the diff the removed "-- note" reads "--- note", like a file header.
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "notes.sql").write_text("select 1;\n-- note\nselect 2;\n")
    root = archive.add_root(tree)
    patch = ("--- a/notes.sql\n+++ b/notes.sql\n@@ -1,3 +1,2 @@\n select 1;\n--- note\n"
             " select 2;\n")
    child = archive.add_child(root.id, patch=patch)
    out = archive.checkout(child.id, tmp_path / "c")
    assert (out / "notes.sql").read_text() == "select 1;\nselect 2;\n"


def test_only_one_root_and_unknown_parent(archive: Archive, agent_tree: Path) -> None:
    archive.add_root(agent_tree)
    with pytest.raises(ArchiveError, match="already has a root"):
        archive.add_root(agent_tree)
    with pytest.raises(NodeNotFoundError):
        archive.add_child("deadbeef", patch=bump_patch("counter.txt", "0", "1"))


def test_node_lookup_by_prefix(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    assert archive.node(ids["a"][:8]).id == ids["a"]
    with pytest.raises(NodeNotFoundError, match="no node"):
        archive.node("0000000")
    with pytest.raises(NodeNotFoundError):
        archive.node("")


def test_checkout_refuses_non_empty_destination(archive: Archive, agent_tree: Path, tmp_path: Path) -> None:
    root = archive.add_root(agent_tree)
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        archive.checkout(root.id, dest)
    assert (dest / "keep.txt").read_text() == "mine"


def test_results_attempts_and_odd_task_ids(archive: Archive, agent_tree: Path) -> None:
    root = archive.add_root(agent_tree)
    odd = "cpp/exercises/practice/two-fer?x=1%"
    archive.write_result(TaskResult(task_id=odd, node_id=root.id, outcome=Outcome.failed))
    archive.write_result(
        TaskResult(task_id=odd, node_id=root.id, attempt=2, outcome=Outcome.passed, patch="p")
    )
    archive.write_result(TaskResult(task_id="b", node_id=root.id, outcome=Outcome.error,
                                    error="sandbox died"))
    record = archive.task_record(root.id, odd)
    assert [a.outcome for a in record.attempts] == [Outcome.failed, Outcome.passed]
    # Re-writing an attempt replaces it rather than duplicating it.
    archive.write_result(TaskResult(task_id=odd, node_id=root.id, attempt=2, outcome=Outcome.failed))
    assert len(archive.task_record(root.id, odd).attempts) == 2
    latest = {r.task_id: r.outcome for r in archive.results(root.id)}
    assert latest == {odd: Outcome.failed, "b": Outcome.error}
    reopened = Archive.open(archive.path)
    assert {r.task_id for r in reopened.results(root.id)} == {odd, "b"}
    with pytest.raises(NodeNotFoundError):
        archive.write_result(TaskResult(task_id="x", node_id="feedface0000", outcome=Outcome.passed))


def test_logs_live_under_the_node(archive: Archive, agent_tree: Path) -> None:
    root = archive.add_root(agent_tree)
    log = archive.log_path(root.id, "repo/task-1", 2, "agent")
    log.write_text("trajectory")
    assert log.is_relative_to(archive.path / "results" / root.id)
    assert archive.llm_log_path(root.id).parent == archive.path / "results" / root.id


def test_lineage_clades_and_best(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    graph = archive.lineage()
    assert set(graph.successors(ids["root"])) == {ids["a"], ids["b"], ids["c"]}
    assert list(graph.successors(ids["a"])) == [ids["a1"]]
    clade = archive.clade(ids["a"], "builtin:train")
    assert (clade.size, clade.depth, clade.passed, clade.failed) == (2, 1, 12, 8)
    assert clade.best_node == ids["a1"] and clade.best_score == pytest.approx(0.8)
    whole = archive.clade(ids["root"], "builtin:train")
    assert (whole.size, whole.passed, whole.failed) == (5, 23, 17)
    assert archive.best().id == ids["a1"]
    assert archive.node(ids["c"]).status == NodeStatus.smoke_failed
    assert archive.node(ids["c"]).reason == "import error"


def test_events_are_ordered_and_survive_reopen(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    events = list(archive.events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].kind == "run_created"
    assert any(e.kind == "node_added" and e.node == ids["a1"] for e in events)
    archive.close()
    with Archive.open(archive.path, writable=True) as again:
        event = again.events.append("probe", node=ids["a"], note="x")
        assert event.seq == len(events) + 1
        assert again.events.tail(2)[-1] == event


def test_frozen_config_keeps_no_secret(tmp_path: Path) -> None:
    config = RunConfig()
    config.llm.api_key = "sk-planted-secret-123"  # type: ignore[assignment]
    config.benchmark.name = "humaneval"
    with Archive.create(tmp_path / "run", config) as archive:
        assert archive.config.benchmark.name == "humaneval"
        assert archive.config.llm.api_key is None
        assert archive.primary_key() == "humaneval:train"
    for file in (tmp_path / "run").rglob("*"):
        if file.is_file():
            assert b"sk-planted-secret-123" not in file.read_bytes(), file


def test_read_only_archive_refuses_writes(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    reader = Archive.open(archive.path)
    with pytest.raises(ArchiveError, match="read-only"):
        reader.add_child(ids["a"], patch=bump_patch("counter.txt", "10", "11"))
    with pytest.raises(RuntimeError):
        reader.events.append("nope")


def test_checkout_work_is_independent_of_depth(
    archive: Archive, agent_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node at depth 150 is checked out with exactly the git calls of one at depth 1."""
    root = archive.add_root(agent_tree)
    chain = [root.id]
    for value in range(150):
        chain.append(
            archive.add_child(chain[-1], patch=bump_patch("counter.txt", str(value), str(value + 1))).id
        )
    calls: list[tuple[str, ...]] = []
    real = GitStore._git

    def counting(self: GitStore, *args: str, **kwargs: object) -> str:
        calls.append(tuple(a for a in args if not a.startswith(("-C", "/", "--work-tree"))))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(GitStore, "_git", counting)
    shallow = archive.checkout(chain[1], tmp_path / "d1")
    shallow_calls = [c[0] for c in calls]
    calls.clear()
    deep = archive.checkout(chain[-1], tmp_path / "d150")
    assert [c[0] for c in calls] == shallow_calls
    assert (shallow / "counter.txt").read_text() == "1\n"
    assert (deep / "counter.txt").read_text() == "150\n"
    assert archive.node(chain[-1]).generation == 150


def test_git_variables_of_the_caller_never_reach_another_repository(
        tmp_path: Path, agent_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from a git hook or a shell with GIT_DIR set: the archive must not touch that repository.
    import subprocess

    user = tmp_path / "user-repo"
    subprocess.run(["git", "init", "-q", str(user)], check=True)
    config_before = (user / ".git" / "config").read_text()
    objects_before = sorted(p.name for p in (user / ".git" / "objects").iterdir())
    monkeypatch.setenv("GIT_DIR", str(user / ".git"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(user / ".git" / "objects"))
    monkeypatch.setenv("GIT_WORK_TREE", str(user))
    with Archive.create(tmp_path / "run") as archive:
        root = archive.add_root(agent_tree)
        child = archive.add_child(root.id, patch=bump_patch("counter.txt", "0", "1"))
        out = archive.checkout(child.id, tmp_path / "out")
        assert (out / "counter.txt").read_text() == "1\n"
    assert (user / ".git" / "config").read_text() == config_before  # never made bare
    assert sorted(p.name for p in (user / ".git" / "objects").iterdir()) == objects_before


def test_a_budget_change_is_kept_in_the_frozen_config_and_logged(tmp_path: Path) -> None:
    config = RunConfig()
    config.budget.max_nodes = 3
    with Archive.create(tmp_path / "run", config) as archive:
        changed = archive.change_budget(max_nodes=10, max_dollars=config.budget.max_dollars)
        assert changed == {"max_nodes": (3, 10)}  # an unchanged limit is not a change
        assert archive.config.budget.max_nodes == 10
        assert archive.change_budget(max_nodes=10) == {}
        with pytest.raises(ValueError, match="max_nodes"):
            archive.change_budget(max_nodes=0)  # validated like the config file
    with Archive.open(tmp_path / "run") as again:
        assert again.config.budget.max_nodes == 10
        assert again.config.llm == config.llm  # nothing else moved
        [event] = [e for e in again.events if e.kind == "budget_changed"]
        assert event.data == {"max_nodes": {"old": 3, "new": 10}}
        with pytest.raises(ArchiveError, match="read-only"):
            again.change_budget(max_nodes=20)
