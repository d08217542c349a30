"""benchmark.max_tasks: a fixed, spread-out subset of each split, everywhere the benchmark is used."""

from __future__ import annotations

import pickle

from dgm.bench.config import BenchmarkConfig
from dgm.bench.registry import load_benchmark
from dgm.bench.subset import CappedBenchmark


def test_each_split_is_cut_to_the_same_subset_every_time() -> None:
    full = load_benchmark(BenchmarkConfig())
    capped = load_benchmark(BenchmarkConfig(max_tasks=3))
    assert isinstance(capped, CappedBenchmark)
    for split in ("train", "heldout"):
        ids = [t.id for t in capped.tasks(split)]
        assert len(ids) == min(3, len(full.tasks(split)))
        assert set(ids) <= {t.id for t in full.tasks(split)}
        assert ids == [t.id for t in load_benchmark(BenchmarkConfig(max_tasks=3)).tasks(split)]
    assert {t.id for t in capped.tasks()} == {
        t.id for split in ("train", "heldout") for t in capped.tasks(split)}
    # Harness extras pass through, and the wrapper survives a trip to a worker process.
    assert capped.manifest == full.manifest
    copy = pickle.loads(pickle.dumps(capped))
    assert [t.id for t in copy.tasks("train")] == [t.id for t in capped.tasks("train")]


def test_the_subset_spreads_over_repositories() -> None:
    capped = load_benchmark(BenchmarkConfig(max_tasks=4))
    repos = {t.id.split("/")[0] for t in capped.tasks("train")}
    assert len(repos) >= 2


def test_max_tasks_must_be_positive() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="max_tasks"):
        BenchmarkConfig(max_tasks=0)
