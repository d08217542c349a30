"""`dgm bench run`: a node's real agent on chosen tasks, results in the run; bad input named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dgm.agents import SEED_DIR
from dgm.archive import Archive, Outcome, TaskResult
from dgm.bench import cli as bench_cli
from dgm.bench import node_run
from dgm.bench.config import BenchmarkConfig
from dgm.bench.node_run import bench_config_for, parse_node_ref
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.llm.testing import ScriptedModel

TASKS = ["textkit/word-count-whitespace", "textkit/slugify-punctuation"]
WORDS = Path(__file__).resolve().parents[2] / "benchmarks/builtin/tasks/textkit/" \
    "word-count-whitespace/repo/textkit/words.py"


def agent_script(messages: list[dict]) -> str:
    """Fixes word_count when that is the task (first turn), gives up on everything else."""
    if "`word_count` gives wrong answers" in messages[1]["content"] and len(messages) == 2:
        fixed = WORDS.read_text().replace('text.split(" ")', "text.split()")
        return f"```file textkit/words.py\n{fixed}```"
    return "```bash\nsubmit\n```"


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, str]:
    config = RunConfig()
    config.llm.model = "scripted/test"
    config.controller.agent_max_steps = 4
    config.sandbox.timeout_s = 120
    config.executor.workers = 2
    with Archive.create(tmp_path / "runs" / "night", config) as archive:
        root = archive.add_root(SEED_DIR)
        # An earlier verdict on one task: the bench run must add attempt 2, not overwrite it.
        archive.write_result(TaskResult(task_id=TASKS[1], node_id=root.id, outcome=Outcome.failed,
                                        benchmark="builtin", split="train"))
    return archive.path, root.id


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_bench_run_stores_results_and_shows_them(run: tuple[Path, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path, root_id = run
    model = ScriptedModel(agent_script)
    real_open = node_run.open_client
    monkeypatch.setattr(node_run, "open_client",
                        lambda config, backend=None: real_open(config, backend=backend or model))
    monkeypatch.setattr(bench_cli.console, "width", 200)
    from dgm.cli import app

    out = CliRunner().invoke(app, ["bench", "run", "builtin", "--node", f"{path}:{root_id[:5]}",
                                   "--tasks", ",".join(TASKS)])
    assert out.exit_code == 0, out.output
    rows = {line.split("│")[1].strip(): line for line in out.output.splitlines()
            if line.startswith("│ textkit/")}
    assert set(rows) == set(TASKS)
    assert "passed" in rows[TASKS[0]] and "3/3" in rows[TASKS[0]]  # all 3 hidden tests pass
    assert "failed" in rows[TASKS[1]] and "│       2 │" in rows[TASKS[1]]  # attempt 2
    assert "passed 1 of 2, failed 1, errors 0" in out.output
    assert model.calls >= 2

    with Archive.open(path) as archive:
        passed = archive.task_record(root_id, TASKS[0])
        assert [a.attempt for a in passed.attempts] == [1]
        assert passed.latest.outcome == Outcome.passed and "text.split()" in passed.latest.patch
        assert passed.latest.tokens > 0
        failed = archive.task_record(root_id, TASKS[1])
        assert [(a.attempt, a.outcome) for a in failed.attempts] == [(1, "failed"), (2, "failed")]
        node = archive.node(root_id)
        score = node.scores["builtin:train"]
        assert (score.passed, score.failed) == (1, 1) and node.cost.prompt_tokens > 0
        kinds = [e.kind for e in archive.events]
        assert kinds.index("bench_run_started") < kinds.index("bench_run_finished")
        logs = path / "results" / root_id / "logs" / "textkit%2Fword-count-whitespace"
        assert {"1-agent.log", "1-test.log", "1-llm.log"} <= {p.name for p in logs.iterdir()}


def dgm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "dgm.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env=dict(os.environ, COLUMNS="200"), timeout=120)


def test_bad_node_and_task_ids_are_named_and_change_nothing(run: tuple[Path, str]) -> None:
    path, root_id = run
    events = (path / "events.jsonl").read_bytes()
    cases = {
        ("--node", "night"): "expected RUN:NODE",
        ("--node", f"{path}:"): "expected RUN:NODE",
        ("--node", "nowhere:abc", "--root", str(path.parent)): "no dgm run archive here",
        ("--node", "night:ffffff", "--root", str(path.parent)): "no node 'ffffff'",
        ("--node", f"{path}:{root_id}", "--tasks", f"{TASKS[0]},textkit/nope"):
            "no task 'textkit/nope' in benchmark 'builtin'",
        ("--node", f"{path}:{root_id}", "--split", "nosuch"): "has no 'nosuch' tasks",
    }
    for args, message in cases.items():
        result = dgm("bench", "run", "builtin", *args, cwd=path.parent)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    unknown = dgm("bench", "run", "nope", "--node", f"{path}:{root_id}", cwd=path.parent)
    assert unknown.returncode == 1 and "unknown benchmark 'nope'" in unknown.stderr
    assert (path / "events.jsonl").read_bytes() == events
    assert not (path / "results" / root_id).exists() or not list(
        (path / "results" / root_id).glob("*/*.json"))


def test_node_refs_and_benchmark_settings() -> None:
    assert parse_node_ref("night:ab12") == ("night", "ab12")
    assert parse_node_ref("/runs/a:b/night:ab12") == ("/runs/a:b/night", "ab12")
    for bad in ("night", ":ab12", "night:"):
        with pytest.raises(DgmError, match="expected RUN:NODE"):
            parse_node_ref(bad)
    run = RunConfig()
    run.benchmark = BenchmarkConfig(name="builtin", data=Path("/data/builtin"), train_split="t")
    assert bench_config_for(run, "builtin", None).data == Path("/data/builtin")
    other = bench_config_for(run, "humaneval", None)
    assert (other.name, other.data, other.train_split) == ("humaneval", None, "t")
    assert bench_config_for(run, "humaneval", Path("/he")).data == Path("/he")


def test_bench_list_shows_humaneval(tmp_path: Path) -> None:
    result = dgm("bench", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "humaneval" in line)
    assert "164" in row and "heldout 32, train 132" in row


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_a_node_solves_a_humaneval_task_through_the_agent(run: tuple[Path, str]) -> None:
    from dgm.bench.humaneval import HumanEvalBenchmark, gold_file

    path, root_id = run
    bench = HumanEvalBenchmark()
    gold = gold_file(bench.problem("HumanEval/0"))

    def script(messages: list[dict]) -> str:
        if "`has_close_elements`" in messages[1]["content"] and len(messages) == 2:
            return f"```file solution.py\n{gold}```"
        return "```bash\nsubmit\n```"

    with Archive.open(path, writable=True) as archive:
        config = bench_config_for(archive.config, "humaneval", None)
        tasks = node_run.select_tasks(bench.tasks(), ["HumanEval/0", "HumanEval/2"], None,
                                      "humaneval")
        results = node_run.run_on_tasks(archive, root_id, config, tasks,
                                        backend=ScriptedModel(script))
        assert [(r.task_id, r.outcome) for r in results] == [("HumanEval/0", "passed"),
                                                             ("HumanEval/2", "failed")]
        assert "+    for idx, elem in enumerate(numbers):" in results[0].patch
        assert archive.node(root_id).scores["humaneval:train"].passed == 1
