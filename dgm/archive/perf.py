"""Archive rows of `dgm perf`: add a node, check out at depth 1 and 1000, open and summarize 10k nodes."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dgm.archive.node import Node, NodeStatus, Proposal, Score
from dgm.archive.run import Archive
from dgm.archive.summary import summarize
from dgm.perf import PerfContext, PerfRow, time_calls

SUITE = "archive"
_FILES = 40  # an agent-sized tree: a few dozen small source files


def _agent_tree(root: Path) -> Path:
    root.mkdir(parents=True)
    for i in range(_FILES):
        folder = root / f"pkg{i % 4}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{i}.py").write_text("".join(f"x{j} = {j}\n" for j in range(60)))
    (root / "counter.txt").write_text("0\n")
    return root


def _bump_patch(value: int) -> str:
    return (
        "--- a/counter.txt\n+++ b/counter.txt\n@@ -1 +1 @@\n"
        f"-{value}\n+{value + 1}\n"
    )


def _chain(archive: Archive, depth: int) -> list[str]:
    """A straight line of `depth` children below the root; returns ids, root first."""
    ids = [archive.root.id]  # type: ignore[union-attr]
    for value in range(depth):
        ids.append(archive.add_child(ids[-1], patch=_bump_patch(value)).id)
    return ids


def _git_commit_baseline(ctx: PerfContext) -> list[float]:
    """The same change committed the plain way: `git commit -a` in an ordinary repository."""
    repo = _agent_tree(ctx.scratch("plain-git") / "repo")
    env = ["-c", "user.name=perf", "-c", "user.email=perf@localhost"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "commit", "-qm", "root"], check=True)
    counter = repo / "counter.txt"

    def commit(i: int) -> None:
        counter.write_text(f"{i + 1000}\n")
        subprocess.run(["git", "-C", str(repo), *env, "commit", "-qam", "bump"], check=True)

    return time_calls(commit, ctx.repeat)


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """Measure the archive operations."""
    depth = 100 if ctx.quick else 1000
    big = 1000 if ctx.quick else 10_000
    work = ctx.scratch("archive")
    tree = _agent_tree(work / "seed")
    archive = Archive.create(work / "run")
    try:
        archive.add_root(tree)
        ids = _chain(archive, depth)
        tip = ids[-1]

        def add(_: int) -> None:
            archive.add_child(tip, patch=_bump_patch(depth))

        add_samples = time_calls(add, ctx.repeat)
        yield PerfRow(
            SUITE, "add node (from a patch)", add_samples,
            "plain git commit -a", _git_commit_baseline(ctx),
            target="ratio <= 3", check=lambda r: r.ratio <= 3,
        )

        def checkout_at(node_id: str) -> list[float]:
            def one(i: int) -> None:
                dest = work / f"co-{node_id}-{i}"
                archive.checkout(node_id, dest)
                shutil.rmtree(dest)
            return time_calls(one, ctx.repeat)

        def copy_tree(i: int) -> None:
            dest = work / f"copy-{i}"
            shutil.copytree(tree, dest)
            shutil.rmtree(dest)

        shallow = checkout_at(ids[1])
        yield PerfRow(
            SUITE, "check out node at depth 1", shallow,
            "copy the tree", time_calls(copy_tree, ctx.repeat),
        )
        yield PerfRow(
            SUITE, f"check out node at depth {depth}", checkout_at(tip),
            "check out at depth 1", shallow,
            target="ratio <= 1.5", check=lambda r: r.ratio <= 1.5,
        )
    finally:
        archive.close()

    run = build_wide_run(work / "wide", big)
    files = sorted((run / "nodes").glob("*.json"))

    def read_raw(_: int) -> None:
        for file in files:
            json.loads(file.read_bytes())

    def open_all(_: int) -> None:
        with Archive.open(run) as opened:
            opened.nodes()

    repeat = max(3, ctx.repeat // 4)
    open_samples = time_calls(open_all, repeat)
    yield PerfRow(
        SUITE, f"open {big:,}-node run, load all", open_samples,
        "json.loads of its node files", time_calls(read_raw, repeat),
        target="p50 <= 1 s", check=lambda r: r.p50 <= 1.0,
    )

    def status(_: int) -> None:
        with Archive.open(run) as opened:
            summarize(opened)

    yield PerfRow(
        SUITE, f"status of {big:,}-node run", time_calls(status, repeat),
        "open + load", open_samples, target="p50 <= 2 s", check=lambda r: r.p50 <= 2.0,
    )


def build_wide_run(
    path: Path, count: int, seed: int = 0, content: Callable[[int], str] | None = None
) -> Path:
    """A run of `count` scored nodes in a random tree, built in bulk with git fast-import.

    Node i's tree is one file, agent.txt, holding `content(i)` (default: one short line), so a
    caller can make each node's patch against its parent as large as it needs.

    Adding 10,000 nodes one by one costs minutes of git processes; the measured operations
    (open, status) only read what this writes, in the same layout `add_child` produces.
    """
    rng = random.Random(seed)
    archive = Archive.create(path)
    archive.close()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    parents: list[int | None] = [None] + [rng.randrange(i) for i in range(1, count)]
    stream = []
    for i, parent in enumerate(parents):
        text = (content(i) if content else f"node {i}\n").encode()
        message = f"node {i}\n".encode()
        stream.append(b"reset refs/dgm-import\n")
        stream.append(f"commit refs/dgm-import\nmark :{i + 1}\n".encode())
        stream.append(f"committer dgm <dgm@localhost> {1767225600 + i} +0000\n".encode())
        stream.append(f"data {len(message)}\n".encode() + message)
        if parent is not None:
            stream.append(f"from :{parent + 1}\n".encode())
        stream.append(f"M 100644 inline agent.txt\ndata {len(text)}\n".encode() + text)
    marks = path / "marks.tmp"
    git_dir = str(path / "agents.git")
    subprocess.run(
        ["git", f"--git-dir={git_dir}", "fast-import", "--quiet", f"--export-marks={marks}"],
        input=b"".join(stream), check=True,
    )
    shas = {}
    for line in marks.read_text().splitlines():
        mark, sha = line.split()
        shas[int(mark[1:]) - 1] = sha
    marks.unlink()
    ids = [shas[i][:12] for i in range(count)]
    updates = "".join(f"create refs/nodes/{ids[i]} {shas[i]}\n" for i in range(count))
    updates += "delete refs/dgm-import\n"
    subprocess.run(
        ["git", f"--git-dir={git_dir}", "update-ref", "--stdin"], input=updates.encode(), check=True
    )
    generation = [0] * count
    for i, parent in enumerate(parents):
        if parent is not None:
            generation[i] = generation[parent] + 1
        passed = rng.randrange(0, 11)
        node = Node(
            id=ids[i], commit=shas[i], parent_id=ids[parent] if parent is not None else None,
            generation=generation[i], created_at=start + timedelta(seconds=i),
            proposal=Proposal(summary=f"perf node {i}", mode="direct"),
            status=NodeStatus.evaluated,
            scores={"builtin:train": Score(passed=passed, failed=10 - passed)},
        )
        (path / "nodes" / f"{ids[i]}.json").write_text(node.model_dump_json(indent=2))
    return path
