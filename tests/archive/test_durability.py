"""Crash safety, corrupt and future-schema files, and the writer lock."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dgm.archive import Archive, Outcome, TaskResult
from dgm.archive.run import GIT_DIR, META_FILE
from dgm.errors import (
    ArchiveCorruptError,
    ArchiveError,
    ArchiveLockedError,
    ArchiveNotFoundError,
    ArchiveSchemaError,
)
from tests.conftest import bump_patch, populate

# A writer that never stops on its own: adds nodes, writes results and updates statuses.
WRITER = textwrap.dedent(
    """
    import random, sys
    from dgm.archive import Archive, NodeStatus, Outcome, Score, TaskResult
    archive = Archive.open(sys.argv[1], writable=True)
    rng = random.Random(int(sys.argv[2]))
    print("ready", flush=True)
    while True:
        parent = rng.choice(archive.nodes())
        value = archive.git.read_file(parent.commit, "counter.txt").strip()
        patch = f"--- a/counter.txt\\n+++ b/counter.txt\\n@@ -1 +1 @@\\n-{value}\\n+{rng.randrange(10**9)}\\n"
        child = archive.add_child(parent.id, patch=patch)
        for t in range(rng.randrange(1, 4)):
            archive.write_result(TaskResult(task_id=f"t/{t}", node_id=child.id, outcome=Outcome.passed,
                                            patch="x" * rng.randrange(20000)))
        archive.set_status(child.id, NodeStatus.evaluated, scores={"builtin:train": Score(passed=1)})
    """
)


def start_writer(run: Path, seed: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(run), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
    return proc


def verify(run: Path, tmp_path: Path, round_: int) -> int:
    """Everything a reader relies on holds after a crash; returns the node count."""
    with Archive.open(run, writable=True) as archive:  # the dead writer's lock is gone
        nodes = archive.nodes()
        refs = archive.git.node_refs()
        for node in nodes:
            assert refs[node.id] == node.commit
            assert archive.git.has_commit(node.commit)
            if node.parent_id:
                assert node.parent_id in archive
            for result in archive.results(node.id):
                assert result.node_id == node.id
        archive.lineage()
        events = list(archive.events)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        sample = random.Random(round_).choice(nodes)
        out = archive.checkout(sample.id, tmp_path / f"check-{round_}")
        assert (out / "counter.txt").is_file()
        # The run stays writable after the crash.
        archive.add_child(sample.id, patch=bump_patch(
            "counter.txt", (out / "counter.txt").read_text().strip(), "after-crash"))
        return len(nodes)


def test_sigkill_during_writes_leaves_a_run_that_opens(
    archive: Archive, agent_tree: Path, tmp_path: Path
) -> None:
    archive.add_root(agent_tree)
    run = archive.path
    archive.close()
    rng = random.Random(1234)
    counts = []
    for round_ in range(12):
        proc = start_writer(run, round_)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        counts.append(verify(run, tmp_path, round_))
    assert counts[-1] > counts[0]  # writers made progress between kills


def test_second_writer_gets_a_clear_lock_error(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, _ = populated
    probe = (
        "import sys\nfrom dgm.archive import Archive\nfrom dgm.errors import ArchiveLockedError\n"
        "try:\n    Archive.open(sys.argv[1], writable=True)\n"
        "except ArchiveLockedError as exc:\n    print('LOCKED', exc)\nelse:\n    print('OPENED')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(archive.path)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("LOCKED") and f"pid {os.getpid()}" in result.stdout
    # Readers are never blocked by the writer.
    assert len(Archive.open(archive.path)) == len(archive)
    archive.close()
    result = subprocess.run([sys.executable, "-c", probe, str(archive.path)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("OPENED")


def test_lock_in_same_process(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, _ = populated
    with pytest.raises(ArchiveLockedError):
        Archive.open(archive.path, writable=True)


def test_lock_is_released_when_the_holder_is_killed(archive: Archive, agent_tree: Path) -> None:
    archive.add_root(agent_tree)
    archive.close()
    proc = start_writer(archive.path, 7)
    with pytest.raises(ArchiveLockedError):
        Archive.open(archive.path, writable=True)
    proc.kill()
    proc.wait()
    Archive.open(archive.path, writable=True).close()


def test_corrupt_node_file_is_named(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    archive.close()
    bad = archive.path / "nodes" / f"{ids['b']}.json"
    bad.write_text('{"id": "abc", "commit": ')
    with pytest.raises(ArchiveCorruptError, match=str(bad)):
        Archive.open(archive.path).nodes()
    bad.write_text(json.dumps({"id": ids["b"], "commit": "zz"}))
    with pytest.raises(ArchiveCorruptError, match=f"{bad}.*invalid record"):
        Archive.open(archive.path).nodes()


def test_future_schema_is_refused_untouched(populated: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = populated
    archive.close()
    node_file = archive.path / "nodes" / f"{ids['a']}.json"
    data = json.loads(node_file.read_text())
    data["schema_version"] = 99
    data["new_field"] = "from the future"
    node_file.write_text(json.dumps(data))
    before = node_file.read_bytes()
    with pytest.raises(ArchiveSchemaError, match="newer dgm"):
        Archive.open(archive.path, writable=True).nodes()
    assert node_file.read_bytes() == before

    meta = archive.path / META_FILE
    meta_data = json.loads(meta.read_text())
    meta_data["schema_version"] = 2
    meta.write_text(json.dumps(meta_data))
    with pytest.raises(ArchiveSchemaError, match=str(meta)):
        Archive.open(archive.path)


def test_missing_and_broken_pieces(tmp_path: Path, populated: tuple[Archive, dict[str, str]]) -> None:
    with pytest.raises(ArchiveNotFoundError, match="no dgm run archive"):
        Archive.open(tmp_path / "nowhere")
    archive, ids = populated
    archive.close()
    record = next((archive.path / "results" / ids["a"]).glob("*.json"))
    record.write_text("[]")
    with pytest.raises(ArchiveCorruptError, match="expected a JSON object"):
        Archive.open(archive.path).results(ids["a"])
    (archive.path / GIT_DIR / "HEAD").unlink()
    with pytest.raises(ArchiveCorruptError, match="not a git repository"):
        Archive.open(archive.path)


def test_corrupt_event_line_is_named_but_torn_tail_is_set_aside(
    populated: tuple[Archive, dict[str, str]]
) -> None:
    archive, ids = populated
    archive.close()
    log = archive.path / "events.jsonl"
    good = log.read_bytes()
    count = good.count(b"\n")
    log.write_bytes(good + b'{"seq": 999, "ts": "2026-')  # a crash mid-append
    reader = Archive.open(archive.path)
    assert len(list(reader.events)) == count
    assert reader.last_event().seq == count
    with Archive.open(archive.path, writable=True) as writer:
        assert writer.events.append("resumed").seq == count + 1
    assert [p.name.startswith("events.jsonl.torn-") for p in archive.path.iterdir()].count(True) == 1
    assert len(list(Archive.open(archive.path).events)) == count + 1

    lines = log.read_bytes().split(b"\n")
    lines[3] = b"garbage"
    log.write_bytes(b"\n".join(lines))
    with pytest.raises(ArchiveCorruptError, match=r"events.jsonl:4: corrupt event line"):
        list(Archive.open(archive.path).events)


def test_interrupted_create_can_be_finished(tmp_path: Path) -> None:
    run = tmp_path / "half"
    with Archive.create(run) as archive:
        pass
    (run / META_FILE).unlink()  # as if the process died before the last step of create
    with pytest.raises(ArchiveNotFoundError):
        Archive.open(run)
    with Archive.create(run) as archive:
        assert archive.root is None
    with pytest.raises(ArchiveError, match="already exists"):
        Archive.create(run)
    other = tmp_path / "user-folder"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(ArchiveError, match="not a dgm run"):
        Archive.create(other)


def test_results_survive_reopen_after_kill(archive: Archive, agent_tree: Path, tmp_path: Path) -> None:
    ids = populate(archive, agent_tree)
    archive.write_result(TaskResult(task_id="kept", node_id=ids["b"], outcome=Outcome.passed))
    archive.close()
    proc = start_writer(archive.path, 3)
    proc.kill()
    proc.wait()
    with Archive.open(archive.path) as again:
        assert again.task_record(ids["b"], "kept").latest.outcome == Outcome.passed


def test_leftover_temp_files_are_swept_by_the_next_writer(archive: Archive, agent_tree: Path) -> None:
    archive.add_root(agent_tree)
    archive.close()
    proc = start_writer(archive.path, 11)
    time.sleep(0.3)
    proc.kill()
    proc.wait()
    leftover = archive.path / ".tmp" / ".abc.json.tmp-1-deadbeef"
    leftover.write_text("half a record")
    Archive.open(archive.path).close()
    assert leftover.exists()  # readers never delete anything
    Archive.open(archive.path, writable=True).close()
    assert list((archive.path / ".tmp").iterdir()) == []
    assert not list(archive.path.rglob(".*.tmp-*"))


def test_a_lock_freed_moments_later_is_waited_for(tmp_path: Path) -> None:
    from dgm.archive.lock import RunLock

    path = tmp_path / "lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(float(sys.argv[1]))\n"
    ), "0.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    lock = RunLock(path)
    lock.acquire(grace_s=10)  # a killed writer's last child lets go within moments
    assert lock.held
    lock.release()
    holder.wait()
    stubborn = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, time\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(30)\n"
    )], stdout=subprocess.PIPE, text=True)
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(ArchiveLockedError, match="open for writing by another process"):
            RunLock(path).acquire(grace_s=0.3)
        assert time.monotonic() - start >= 0.3
    finally:
        stubborn.kill()
        stubborn.wait()
