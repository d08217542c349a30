"""`dgm bench`: list benchmarks, validate a harness with gold and no-op patches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from dgm.bench.config import BenchmarkConfig
from dgm.bench.registry import KNOWN, load_benchmark
from dgm.errors import DgmError
from dgm.sandbox.config import SandboxConfig

app = typer.Typer(help="Benchmarks: list and validate.", no_args_is_help=True)
console = Console()
DataOpt = Annotated[Path | None, typer.Option("--data", help="Local copy of the benchmark data.")]


@app.command("list")
def list_benchmarks(data: DataOpt = None) -> None:
    """The benchmarks dgm knows, with their task counts per split."""
    table = Table(title="benchmarks")
    for column in ("name", "tasks", "splits", "data"):
        table.add_column(column)
    for name in KNOWN:
        try:
            bench = load_benchmark(BenchmarkConfig(name=name, data=data))
        except DgmError as exc:
            table.add_row(name, "-", "-", f"unavailable: {exc}")
            continue
        splits: dict[str, int] = {}
        for task in bench.tasks():
            splits[task.split] = splits.get(task.split, 0) + 1
        table.add_row(name, str(sum(splits.values())),
                      ", ".join(f"{k} {v}" for k, v in sorted(splits.items())),
                      str(getattr(bench, "data", "")))
    console.print(table)


@app.command()
def validate(
    name: Annotated[str, typer.Argument(help="Benchmark to validate.")] = "builtin",
    data: DataOpt = None,
    workers: Annotated[int, typer.Option(help="Tasks graded at once.")] = 2,
    task: Annotated[list[str] | None, typer.Option("--task", help="Only this task (repeatable).")] = None,
) -> None:
    """Gold must pass every task and no-op must fail every task; disagreements are listed."""
    from dgm.bench.validate import validate as run_validation

    config = BenchmarkConfig(name=name, data=data)
    count = len([t for t in load_benchmark(config).tasks() if not task or t.id in task])
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(f"validating {name}", total=count)
        verdicts = run_validation(config, SandboxConfig(), workers=workers, only=task,
                                  on_verdict=lambda v: progress.advance(bar))
    table = Table(title=f"{name}: gold and no-op")
    for column in ("task", "split", "gold", "noop", ""):
        table.add_column(column)
    for verdict in sorted(verdicts, key=lambda v: v.task_id):
        table.add_row(verdict.task_id, verdict.split, str(verdict.gold), str(verdict.noop),
                      "" if verdict.agrees else "[red]DISAGREES[/]")
    console.print(table)
    gold = sum(v.gold == "passed" for v in verdicts)
    noop = sum(v.noop == "passed" for v in verdicts)
    console.print(f"gold {gold}/{len(verdicts)} passed ({gold / max(1, len(verdicts)):.0%}), "
                  f"noop {noop}/{len(verdicts)} passed ({noop / max(1, len(verdicts)):.0%})")
    bad = [v for v in verdicts if not v.agrees]
    for verdict in bad:
        console.print(f"[red]{verdict.task_id}[/]: {verdict.detail}", highlight=False)
    if bad:
        raise typer.Exit(1)
