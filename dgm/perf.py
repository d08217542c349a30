"""`dgm perf`: the project's performance figures, each against a baseline measured in the same run.

Each component contributes a suite: a function `rows(ctx) -> Iterator[PerfRow]` registered in
SUITES. A row times one operation several times and compares its median with a baseline (the
same work done the plain way, or the same operation at a smaller size), so the ratio means
something on any machine.
"""

from __future__ import annotations

import importlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# name -> "module:function". Suites are imported only when run, so `dgm perf --only archive`
# does not pay for importing docker or litellm.
SUITES: dict[str, str] = {
    "archive": "dgm.archive.perf:rows",
    "sandbox": "dgm.sandbox.perf:rows",
    "bench": "dgm.bench.perf:rows",
    "llm": "dgm.llm.perf:rows",
    "controller": "dgm.controller.perf:rows",
    "executor": "dgm.executor_perf:rows",
}


@dataclass
class PerfContext:
    """What a suite may use: a scratch directory, the repetition count, and the quick flag."""

    workdir: Path
    repeat: int = 20
    quick: bool = False
    notes: list[str] = field(default_factory=list)

    def scratch(self, name: str) -> Path:
        """A fresh sub-directory of the scratch space."""
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))
        return path


@dataclass
class PerfRow:
    """One measured operation."""

    suite: str
    operation: str
    samples: list[float]
    baseline: str
    baseline_samples: list[float]
    target: str = ""
    check: Callable[[PerfRow], bool] | None = None
    unit: str = "s"

    @property
    def p50(self) -> float:
        """Median of the samples."""
        return percentile(self.samples, 50)

    @property
    def p90(self) -> float:
        """90th percentile of the samples."""
        return percentile(self.samples, 90)

    @property
    def baseline_p50(self) -> float:
        """Median of the baseline samples."""
        return percentile(self.baseline_samples, 50)

    @property
    def ratio(self) -> float:
        """p50 of the operation over p50 of the baseline."""
        base = self.baseline_p50
        return self.p50 / base if base > 0 else float("inf")

    @property
    def ok(self) -> bool | None:
        """Whether the target is met (None when the row has no target)."""
        return self.check(self) if self.check else None

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly view of the row."""
        return {
            "suite": self.suite, "operation": self.operation, "unit": self.unit,
            "p50": self.p50, "p90": self.p90, "n": len(self.samples),
            "baseline": self.baseline, "baseline_p50": self.baseline_p50,
            "ratio": self.ratio, "target": self.target, "ok": self.ok,
        }


def percentile(samples: list[float], pct: float) -> float:
    """Percentile by linear interpolation (statistics.quantiles needs two or more samples)."""
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[int(pct) - 1] if 0 < pct < 100 else (min(samples) if pct <= 0 else max(samples))


def time_calls(fn: Callable[[int], object], repeat: int, *, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of fn(i) for i in range(repeat), after warmup untimed calls."""
    for i in range(warmup):
        fn(-1 - i)
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Time a block: the list yielded gets the elapsed seconds appended on exit."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def run_suites(
    only: list[str] | None = None, *, repeat: int = 20, quick: bool = False,
    workdir: Path | None = None, on_row: Callable[[PerfRow], None] | None = None,
) -> tuple[list[PerfRow], list[str]]:
    """Run the selected suites; return their rows and any notes (e.g. a skipped suite)."""
    names = only or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise ValueError(f"unknown perf suite(s) {unknown}; known: {', '.join(SUITES)}")
    rows: list[PerfRow] = []
    with tempfile.TemporaryDirectory(prefix="dgm-perf-", dir=workdir) as tmp:
        ctx = PerfContext(workdir=Path(tmp), repeat=repeat, quick=quick)
        for name in names:
            module_name, func_name = SUITES[name].split(":")
            suite = getattr(importlib.import_module(module_name), func_name)
            for row in suite(ctx):
                rows.append(row)
                if on_row:
                    on_row(row)
        return rows, ctx.notes
