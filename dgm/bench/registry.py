"""Benchmarks by name: the harness a config's `benchmark.name` refers to."""

from __future__ import annotations

from pathlib import Path

from dgm.bench.base import Benchmark
from dgm.bench.config import BenchmarkConfig
from dgm.errors import ConfigError

KNOWN = ("builtin", "humaneval", "polyglot", "swebench")


def _load(name: str, data: Path | None) -> Benchmark:
    if name == "builtin":
        from dgm.bench.builtin import BuiltinBenchmark

        return BuiltinBenchmark(data)
    if name == "humaneval":
        from dgm.bench.humaneval import HumanEvalBenchmark

        return HumanEvalBenchmark(data)
    if name == "polyglot":
        from dgm.bench.polyglot import PolyglotBenchmark

        return PolyglotBenchmark(data)
    if name == "swebench":
        from dgm.bench.swebench import SwebenchBenchmark

        return SwebenchBenchmark(data)
    raise ConfigError(f"benchmark.name: unknown benchmark {name!r} (available: {', '.join(KNOWN)})")


def load_benchmark(config: BenchmarkConfig) -> Benchmark:
    """The harness for a benchmark config (cut to `max_tasks` per split when set)."""
    bench = _load(config.name, config.data)
    if config.max_tasks is not None:
        from dgm.bench.subset import CappedBenchmark

        return CappedBenchmark(bench, config.max_tasks)
    return bench
