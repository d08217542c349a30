"""`dgm agent run`: one agent on one benchmark task in a real sandbox, shown live, then graded.

The agent runs exactly as in an evolution run (dgm.agent_runner.run_job: the agent in a sandbox
reaching the model through its own host-side proxy, its diff graded in a fresh sandbox); only the
agent's source comes from a folder (the seed by default) or from a node of a run archive.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dgm.agents import SEED_DIR
from dgm.agents.live import Step, TrajectoryTail, describe
from dgm.errors import DgmError

agent_app = typer.Typer(help="Run one agent on one task, live.", no_args_is_help=True)
console = Console()


class AgentSource:
    """Where the agent's code comes from: a git dir, the commit, and a name for logs and labels."""

    def __init__(self, git_dir: Path, commit: str, node_id: str, label: str) -> None:
        self.git_dir, self.commit, self.node_id, self.label = git_dir, commit, node_id, label


def source_from_dir(folder: Path, scratch: Path) -> AgentSource:
    """An agent folder committed into a scratch git store, as a run's root node would be."""
    from dgm.archive.gitstore import GitStore

    if not (folder / "pyproject.toml").is_file():
        raise DgmError(f"--agent {folder}: not an agent folder (no pyproject.toml with an entry "
                       "point; see dgm/agents/seed for the layout)")
    store = GitStore.init(scratch / "agents.git")
    sha = store.commit_dir(folder, parent=None, message=f"agent from {folder.name}",
                           when=datetime.now(UTC))
    return AgentSource(store.path, sha, "local", str(folder))


def source_from_node(ref: str, root: Path | None) -> tuple[AgentSource, object]:
    """RUN:NODE as an agent source, and the run's frozen config."""
    from dgm.archive import Archive
    from dgm.cli import resolve_run

    run, sep, node_id = ref.rpartition(":")
    if not sep or not run or not node_id:
        raise DgmError(f"--node {ref!r}: expected RUN:NODE, a run name or path and a node id")
    with Archive.open(resolve_run(run, root)) as archive:
        node = archive.node(node_id)
        source = AgentSource(archive.path / "agents.git", node.commit, node.id,
                             f"node {node.id} of {archive.name}")
        return source, archive.config


def find_task(bench: object, task_id: str, name: str):  # noqa: ANN201
    """The benchmark's task with this id; the error lists a few that exist."""
    tasks = bench.tasks()  # type: ignore[attr-defined]
    for task in tasks:
        if task.id == task_id:
            return task
    close = [t.id for t in tasks if task_id.split("/")[-1] in t.id] or [t.id for t in tasks]
    raise DgmError(f"--task {task_id!r}: no such task in benchmark {name!r}; "
                   f"e.g. {', '.join(close[:5])} (all: `dgm bench list`)")


def show_step(step: Step) -> None:
    """Print one step as it happens."""
    title, body = describe(step)
    console.print(f"[bold cyan]{escape(title)}[/]", highlight=False)
    if body:
        console.print(escape(body), style="dim", highlight=False)


@agent_app.command("run")
def run(
    task: Annotated[str, typer.Option("--task", help="Task id, e.g. textkit/word-count-whitespace.")],
    benchmark: Annotated[str | None, typer.Option(help="Benchmark (default: the config's).")] = None,
    data: Annotated[Path | None, typer.Option(help="Local copy of the benchmark data.")] = None,
    node: Annotated[str | None, typer.Option("--node", help="Agent of a run's node: RUN:NODE.")] = None,
    agent: Annotated[Path | None, typer.Option("--agent", help="Agent folder (default: the seed).")] = None,
    model: Annotated[str | None, typer.Option(help="Model the agent calls (default: the config's).")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file (default ./dgm.toml, or the "
                                                "run's with --node).")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Agent step limit.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Wall-clock limit of the agent, s.")] = None,
    logs: Annotated[Path | None, typer.Option(help="Folder for the logs (default: a new temp one).")] = None,
    root: Annotated[Path | None, typer.Option("--root", help="Parent folder of runs.")] = None,
    show_patch: Annotated[bool, typer.Option("--patch", help="Print the agent's patch.")] = False,
) -> None:
    """Run an agent on one task in a sandbox, showing each step live, then grade its patch."""
    from dgm.agent_runner import AgentJob, run_job
    from dgm.archive.result import Outcome
    from dgm.bench.registry import load_benchmark
    from dgm.cli import _load
    from dgm.controller.wiring import charge_attempt
    from dgm.llm import local
    from dgm.llm.proxy import NodeBudget, NodeProxy

    if node and agent:
        raise DgmError("give --node or --agent, not both")
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dgm-agent-")))
        if node:
            source, settings = source_from_node(node, root)
            if config is not None:
                settings = _load(config)
        else:
            settings = _load(config)
            source = source_from_dir((agent or SEED_DIR).resolve(), scratch)
        settings = settings.model_copy(deep=True)  # type: ignore[attr-defined]
        if benchmark or data:
            settings.benchmark = settings.benchmark.model_copy(
                update={"name": benchmark or settings.benchmark.name, "data": data})
        if model:
            settings.llm = settings.llm.model_copy(update={"model": model, "agent_model": None})
        if timeout:
            settings.sandbox = settings.sandbox.model_copy(update={"timeout_s": timeout})
        the_task = find_task(load_benchmark(settings.benchmark), task, settings.benchmark.name)
        log_dir = (logs or Path(tempfile.mkdtemp(prefix="dgm-agent-logs-"))).resolve()
        log_dir.mkdir(parents=True, exist_ok=True)
        agent_model = settings.llm.agent_model or settings.llm.model
        console.print(f"[bold]dgm agent run[/] {escape(the_task.id)}: {escape(source.label)} with "
                      f"{escape(agent_model)}; logs in {log_dir}", highlight=False)
        with console.status("starting the model"):
            client = stack.enter_context(local.open_client(settings.llm))
        # A short folder: a unix socket's path must fit in 107 bytes.
        sockets = Path(tempfile.mkdtemp(prefix="dgm-llm-"))
        stack.callback(shutil.rmtree, sockets, True)
        proxy = stack.enter_context(NodeProxy(
            client, sockets / "agent.sock", node_id=source.node_id,
            budget=NodeBudget.from_config(settings.llm), log=log_dir / "1-llm.log"))
        job = AgentJob(
            git_dir=source.git_dir, node_id=source.node_id, commit=source.commit, task=the_task,
            sandbox=settings.sandbox, benchmark=settings.benchmark, llm_socket=proxy.socket_path,
            log_dir=log_dir,
            agent_args=["--max-steps", str(max_steps or settings.controller.agent_max_steps)])
        console.rule(the_task.statement.strip().splitlines()[0][:100], style="dim")
        # A spinner under the steps: a small model on a CPU can think for minutes per step.
        with console.status("step 1: waiting for the model") as status:
            def on_step(step: Step) -> None:
                show_step(step)
                status.update(f"step {int(step.get('step', 0)) + 1}: waiting for the model "
                              f"(since {datetime.now().strftime('%H:%M:%S')})")

            tail = TrajectoryTail(on_step)
            try:
                result = run_job(job, watch=tail.start)
            finally:
                tail.stop(final=log_dir / "1-trajectory.log")
        usage = proxy.usage
        result = charge_attempt(result, proxy)
    _report(result, tail, usage, log_dir, show_patch)
    if result.outcome == Outcome.error:
        raise typer.Exit(2)


def _report(result, tail: TrajectoryTail, usage, log_dir: Path, show_patch: bool) -> None:  # noqa: ANN001
    """The agent's ending and the grade."""
    console.rule(style="dim")
    ending = tail.last or {}
    if ending:
        reason = f" ({ending.get('reason')})" if ending.get("reason") else ""
        console.print(f"agent: {escape(str(ending.get('status')))}{escape(reason)} after "
                      f"{len(ending.get('steps', []))} steps", highlight=False)
    colour = {"passed": "green", "failed": "red"}.get(result.outcome, "yellow")
    tests = f"tests {result.tests_passed} passed, {result.tests_failed} failed"
    console.print(f"grade: [bold {colour}]{result.outcome}[/] ({tests})", highlight=False)
    if result.error:
        console.print(f"note: {escape(result.error)}", highlight=False)
    if result.tampered:
        console.print("[red]the agent changed a protected file (its change was not graded)[/]")
    changed = sorted({line[6:] for line in result.patch.splitlines()
                      if line.startswith("+++ b/")})
    console.print(f"patch: {len(result.patch.splitlines())} lines"
                  + (f" in {', '.join(changed)}" if changed else " (no change)"), highlight=False)
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.durations.items())
    console.print(f"time: {times}; tokens {usage.total_tokens:,}, ${usage.dollars:.4f}",
                  highlight=False)
    console.print(f"logs: {log_dir}", highlight=False)
    if show_patch and result.patch:
        from rich.syntax import Syntax

        console.print(Syntax(result.patch, "diff"))
