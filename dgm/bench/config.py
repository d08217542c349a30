"""Configuration of the benchmark children are judged on."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from dgm._model import ConfigModel


class BenchmarkConfig(ConfigModel):
    """Which benchmark, which data and which splits."""

    name: str = Field(
        "builtin", description="Benchmark: builtin, humaneval, polyglot or swebench."
    )
    data: Path | None = Field(
        None, description="Local copy of the benchmark data. Unset: the harness's default."
    )
    train_split: str = Field("train", description="Split children are selected on.")
    heldout_split: str = Field(
        "heldout", description="Split the best node is reported on (never selected on)."
    )
    tiers: list[int] | None = Field(
        None, description="Staged-evaluation tier sizes, e.g. [10, 50]. Unset: the manifest's."
    )
    max_tasks: int | None = Field(
        None, gt=0, description=(
            "Use at most this many tasks of each split (the same fixed subset every time). "
            "For quick runs on slow models; unset uses every task."))
    task_timeout_s: float = Field(600.0, gt=0, description="Wall-clock limit of one task's tests.")
