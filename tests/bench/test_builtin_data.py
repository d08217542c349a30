"""The builtin suite's data: size, splits, tiers, complete task folders, generator in sync.

These need no sandbox; tests/bench/test_builtin.py grades every task with gold and no-op."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

from dgm.bench.builtin import BuiltinBenchmark, default_data_dir

DATA = default_data_dir()
GENERATOR = DATA / "tools" / "generate.py"
HANDWRITTEN_REPOS = {"textkit", "ledger"}


def test_size_splits_and_difficulties() -> None:
    bench = BuiltinBenchmark()
    tasks = bench.tasks()
    assert len(tasks) >= 40
    assert len({t.id.split("/")[0] for t in tasks}) >= 6
    heldout = bench.tasks("heldout")
    assert 0.2 <= len(heldout) / len(tasks) <= 0.3
    assert len(bench.tasks("train")) + len(heldout) == len(tasks)
    for split in ("train", "heldout"):
        assert {t.difficulty for t in bench.tasks(split)} == {"easy", "medium", "hard"}, split
    # Held-out tasks come from most repositories, not one or two.
    assert len({t.id.split("/")[0] for t in heldout}) >= 6


def test_tiers_leave_a_last_stage() -> None:
    bench = BuiltinBenchmark()
    tiers = bench.manifest.tiers
    assert tiers == sorted(set(tiers)) and tiers[0] >= 3
    assert tiers[-1] < len(bench.tasks("train"))


def test_every_task_folder_is_complete_and_listed(tmp_path: Path) -> None:
    bench = BuiltinBenchmark()
    listed = {t.id for t in bench.tasks()}
    on_disk = {f"{p.parent.name}/{p.name}" for p in (DATA / "tasks").glob("*/*") if p.is_dir()}
    assert on_disk == listed
    for task in bench.tasks():
        folder = task.payload.parent
        assert task.statement.strip(), task.id
        assert (task.payload / "tests" / "__init__.py").is_file(), task.id
        assert task.hidden is not None and list(task.hidden.glob("tests/test_*.py")), task.id
        patch = bench.gold_patch(task)
        touched = [line[6:] for line in patch.splitlines() if line.startswith("+++ b/")]
        assert touched and not any(p.startswith("tests/") for p in touched), task.id
        # The reference patch applies to the repository the agent starts from.
        work = tmp_path / task.id.replace("/", "__")
        shutil.copytree(task.payload, work)
        applied = subprocess.run(["git", "apply", "--check", str(folder / "gold.patch")],
                                 cwd=work, capture_output=True, text=True)
        assert applied.returncode == 0, f"{task.id}: {applied.stderr}"


def test_generated_tasks_match_the_generator(tmp_path: Path) -> None:
    ran = subprocess.run([sys.executable, str(GENERATOR), "--no-check", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "manifest.toml").read_text() == (DATA / "manifest.toml").read_text()
    generated = {p.relative_to(tmp_path) for p in (tmp_path / "tasks").rglob("*") if p.is_file()}
    committed = {p.relative_to(DATA) for p in (DATA / "tasks").rglob("*") if p.is_file()
                 and p.relative_to(DATA / "tasks").parts[0] not in HANDWRITTEN_REPOS
                 and "__pycache__" not in p.parts}
    assert generated == committed
    for rel in generated:
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), rel
    entries = tomllib.loads((DATA / "manifest.toml").read_text())["task"]
    assert Counter(e["id"].split("/")[0] for e in entries).keys() >= HANDWRITTEN_REPOS
