"""`dgm bench`: list benchmarks, validate a harness with gold and no-op patches, run a node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from dgm.archive.result import TaskResult
from dgm.bench.config import BenchmarkConfig
from dgm.bench.registry import KNOWN, load_benchmark
from dgm.errors import DgmError
from dgm.sandbox.config import SandboxConfig

app = typer.Typer(help="Benchmarks: list, validate, and run an archive node on tasks.",
                  no_args_is_help=True)
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
def fetch(
    name: Annotated[str, typer.Argument(help="Benchmark to fetch: polyglot.")],
    dest: Annotated[Path | None, typer.Option("--dest", help="Where to clone it.")] = None,
) -> None:
    """Clone a benchmark's public data (needs internet); use it with --data DEST."""
    if name != "polyglot":
        raise DgmError(f"{name}: nothing to fetch (only polyglot is fetched; builtin ships with "
                       "dgm and humaneval comes with its package)")
    from dgm.bench.polyglot import fetch as fetch_polyglot

    target = fetch_polyglot(dest)
    console.print(f"polyglot benchmark cloned into {target}", highlight=False)


@app.command()
def setup(
    name: Annotated[str, typer.Argument(help="Benchmark whose test runners to install: polyglot.")],
) -> None:
    """Vendor the test runners a benchmark needs offline (polyglot: jest and babel, via npm)."""
    if name != "polyglot":
        raise DgmError(f"{name}: no runners to install (only polyglot has any)")
    from dgm.bench.polyglot_tools import setup_runners

    console.print(f"JavaScript runner installed in {setup_runners()}", highlight=False)


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
    bench = load_benchmark(config)
    for language, reason in sorted(getattr(bench, "skipped", {}).items()):
        console.print(f"[yellow]skipped[/] {name} {language}: {reason}", highlight=False)
    count = len([t for t in bench.tasks() if not task or t.id in task])
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


OUTCOME_STYLE = {"passed": "green", "failed": "red", "error": "yellow"}


@app.command("run")
def run_node(
    name: Annotated[str, typer.Argument(help="Benchmark whose tasks to run.")],
    node: Annotated[str, typer.Option("--node", help="RUN:NODE: a run (name under --root, or a "
                                      "path) and a node id or unique prefix.")],
    tasks: Annotated[list[str] | None, typer.Option(
        "--tasks", help="Task ids, comma-separated or repeated. Default: every task (or --split).")] = None,
    split: Annotated[str | None, typer.Option(help="Only this split, when --tasks is not given.")] = None,
    data: DataOpt = None,
    root: Annotated[Path | None, typer.Option("--root", help="Parent folder of runs.")] = None,
) -> None:
    """Run a node's agent on tasks, with the run's model and sandbox; results go into the run."""
    from dgm.archive.run import Archive
    from dgm.bench.node_run import bench_config_for, parse_node_ref, run_on_tasks, select_tasks
    from dgm.cli import resolve_run

    run_name, node_id = parse_node_ref(node)
    wanted = [t.strip() for item in tasks or [] for t in item.split(",") if t.strip()]
    with Archive.open(resolve_run(run_name, root), writable=True) as archive:
        found = archive.node(node_id)
        bench_config = bench_config_for(archive.config, name, data)
        chosen = select_tasks(load_benchmark(bench_config).tasks(), wanted, split, name)
        counts = {"passed": 0, "failed": 0, "error": 0}
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task(f"{found.id} on {name}", total=len(chosen))

            def advance(result: TaskResult) -> None:
                counts[str(result.outcome)] += 1
                progress.update(bar, advance=1, description=f"{found.id} on {name}: "
                                + ", ".join(f"{v} {k}" for k, v in counts.items()))

            results = run_on_tasks(archive, found.id, bench_config, chosen, on_result=advance)
        console.print(results_table(f"{archive.name}:{found.id} on {name}", results))
        console.print(f"passed {counts['passed']} of {len(results)}, failed {counts['failed']}, "
                      f"errors {counts['error']}; stored in {archive.path / 'results' / found.id}",
                      highlight=False)


@app.command()
def predictions(
    run: Annotated[str, typer.Argument(help="A run: its name under --root, or a path.")],
    node: Annotated[str, typer.Argument(help="A node id or unique prefix.")],
    out: Annotated[Path, typer.Option("--out", help="The predictions file (.jsonl or .json).")],
    model_name: Annotated[str | None, typer.Option(
        "--model-name", help="model_name_or_path of every line. Default: dgm__RUN__NODE.")] = None,
    root: Annotated[Path | None, typer.Option("--root", help="Parent folder of runs.")] = None,
) -> None:
    """Write a node's SWE-bench results as predictions for swebench's run_evaluation."""
    from dgm.archive.run import Archive
    from dgm.bench.swebench_predictions import node_predictions, write_predictions
    from dgm.cli import resolve_run

    with Archive.open(resolve_run(run, root)) as archive:
        found = node_predictions(archive, node, model_name=model_name)
    write_predictions(found, out)
    empty = sum(not p["model_patch"].strip() for p in found)
    console.print(f"{len(found)} predictions ({empty} with an empty patch) written to {out}; "
                  "evaluate them with: python -m swebench.harness.run_evaluation "
                  f"--predictions_path {out} --run_id RUN_ID", highlight=False)


def results_table(title: str, results: list[TaskResult]) -> Table:
    """One row per task attempt: outcome, tests, tokens, time, and what went wrong."""
    table = Table(title=title)
    for column in ("task", "split", "attempt", "outcome", "tests", "tokens", "seconds", "note"):
        table.add_column(column, justify="right" if column in ("attempt", "tokens", "seconds")
                         else "left")
    for result in results:
        outcome = str(result.outcome)
        note = result.error or ("changed a protected file" if result.tampered else "")
        table.add_row(result.task_id, result.split or "", str(result.attempt),
                      f"[{OUTCOME_STYLE[outcome]}]{outcome}[/]",
                      f"{result.tests_passed}/{result.tests_passed + result.tests_failed}",
                      f"{result.tokens:,}", f"{result.durations.get('total', 0.0):.1f}", note)
    return table
