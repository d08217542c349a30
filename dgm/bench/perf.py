"""Benchmark rows of `dgm perf`: grading throughput with the gold patch, and the sandbox's share."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dgm.agent_runner import grade_patch
from dgm.bench.builtin import BuiltinBenchmark
from dgm.bench.config import BenchmarkConfig
from dgm.perf import PerfContext, PerfRow
from dgm.sandbox.config import SandboxConfig


def _grade_all(bench: BuiltinBenchmark, workers: int) -> tuple[float, list[float]]:
    """Tasks per minute grading every task's gold patch, and each grading's seconds."""
    times: list[float] = []

    def one(task) -> None:  # noqa: ANN001
        with tempfile.TemporaryDirectory(prefix="dgm-perf-") as tmp:
            start = time.perf_counter()
            grade_patch(task, bench.gold_patch(task), SandboxConfig(), BenchmarkConfig(),
                        Path(tmp))
            times.append(time.perf_counter() - start)

    tasks = bench.tasks()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, tasks))
    return len(tasks) * 60 / (time.perf_counter() - start), times


def _host_test_run(bench: BuiltinBenchmark) -> list[float]:
    """The same gradings without a sandbox: copy, apply the gold patch, run the tests."""
    times = []
    for task in bench.tasks():
        with tempfile.TemporaryDirectory(prefix="dgm-perf-host-") as tmp:
            start = time.perf_counter()
            repo = Path(tmp) / "repo"
            shutil.copytree(task.payload, repo)
            subprocess.run(["git", "apply", "-"], cwd=repo, input=bench.gold_patch(task),
                           text=True, check=True, env={"GIT_DIR": str(Path(tmp) / "g")})
            if task.hidden is not None:
                shutil.copytree(task.hidden, repo, dirs_exist_ok=True)
            subprocess.run(task.test_command, cwd=repo, capture_output=True)
            times.append(time.perf_counter() - start)
    return times


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """Throughput at 1 and 2 workers (target >= 1.8x), and grading vs the bare test run."""
    if shutil.which("bwrap") is None:
        ctx.notes.append("bench: bwrap not installed, no rows (apt-get install -y bubblewrap)")
        return
    bench = BuiltinBenchmark()
    repeat = 2 if ctx.quick else 3
    single, per_task = [], []
    double = []
    for _ in range(repeat):
        rate, times = _grade_all(bench, 1)
        single.append(rate)
        per_task += times
        double.append(_grade_all(bench, 2)[0])
    yield PerfRow("bench", "builtin gold gradings, 2 workers", double, "1 worker", single,
                  unit="tasks/min", target="ratio >= 1.8", check=lambda r: r.ratio >= 1.8)
    yield PerfRow("bench", "grade one builtin task in a sandbox", per_task,
                  "same steps on the host, no sandbox", _host_test_run(bench))
