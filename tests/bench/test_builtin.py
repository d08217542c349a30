"""The builtin harness: every task validates (gold passes, no-op fails); grading resists tampering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dgm.agent_runner import grade_patch
from dgm.archive.result import Outcome
from dgm.bench.builtin import BenchmarkDataError, BuiltinBenchmark, parse_unittest
from dgm.bench.config import BenchmarkConfig
from dgm.bench.validate import validate
from dgm.sandbox.config import SandboxConfig

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


def test_every_task_validates() -> None:
    # The whole suite, in real sandboxes: every reference patch passes, doing nothing fails.
    verdicts = validate(BenchmarkConfig(), SandboxConfig(), workers=2)
    bench = BuiltinBenchmark()
    assert sorted(v.task_id for v in verdicts) == sorted(t.id for t in bench.tasks())
    assert len(verdicts) >= 40
    assert [v.task_id for v in verdicts if not v.agrees] == []
    assert {t.split for t in bench.tasks()} == {"train", "heldout"}


def test_editing_the_tests_is_undone_and_flagged(tmp_path: Path) -> None:
    bench = BuiltinBenchmark()
    task = bench.task("ledger/overdraft")
    cheat = (
        "--- a/tests/test_smoke.py\n+++ b/tests/test_smoke.py\n@@ -1,3 +1,4 @@\n import unittest\n"
        "+raise SystemExit(0)\n \n from ledger import Account\n"
    )
    result, log = grade_patch(task, cheat, SandboxConfig(), BenchmarkConfig(), tmp_path)
    assert result.outcome == Outcome.failed and "InsufficientFunds" in log


def test_unittest_summaries() -> None:
    assert parse_unittest("...\nRan 3 tests in 0.001s\n\nOK\n") == (3, 0)
    assert parse_unittest("Ran 5 tests in 0.1s\n\nFAILED (failures=1, errors=2)\n") == (2, 3)
    assert parse_unittest("Traceback: ImportError") == (0, 0)


def test_bad_data_is_named(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkDataError, match="manifest not found"):
        BuiltinBenchmark(tmp_path)
    (tmp_path / "manifest.toml").write_text('[[task]]\nid = "Bad Id"\nsplit = "train"\n')
    with pytest.raises(BenchmarkDataError, match="task.0.id"):
        BuiltinBenchmark(tmp_path)
    (tmp_path / "manifest.toml").write_text('[[task]]\nid = "a/b"\nsplit = "train"\n')
    with pytest.raises(BenchmarkDataError, match="missing for task a/b"):
        BuiltinBenchmark(tmp_path)
