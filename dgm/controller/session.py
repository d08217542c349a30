"""One session of a run: open the pieces (model server, executor, sandboxes), run the loop, close.

Used by `dgm run` (a new archive) and `dgm resume` (an existing one, its frozen config).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from dgm.agents import SEED_DIR
from dgm.archive.run import Archive
from dgm.bench.registry import load_benchmark
from dgm.config import RunConfig
from dgm.controller.display import JsonLines, LivePanel
from dgm.controller.loop import Controller, RunOutcome
from dgm.controller.wiring import real_services
from dgm.executor import make_executor


def run_session(archive: Archive, config: RunConfig, *, quiet: bool = False,
                max_steps: int | None = None, seed: Path = SEED_DIR,
                console: Console | None = None) -> RunOutcome:
    """Run (or continue) the evolution of an archive until a budget stops it."""
    from dgm.llm.local import open_client  # imports litellm lazily: only runs pay for it

    console = console or Console()
    bench = load_benchmark(config.benchmark)
    with ExitStack() as stack:
        if not quiet:
            console.print(f"[bold]dgm run[/] {archive.name}: starting the model and the workers")
        client = stack.enter_context(open_client(config.llm))
        executor = make_executor(config.executor)
        stack.callback(executor.shutdown, True)
        services, evaluator = real_services(archive, config, client, executor, bench)
        stack.callback(evaluator.close)
        display: JsonLines | LivePanel
        # The panel reads the controller's usage from its first frame (rich renders one as it
        # is built), so the controller exists first and forwards its events to the display.
        controller = Controller(archive, services, config,
                                on_event=lambda kind, data: display(kind, data))
        display = JsonLines() if quiet else LivePanel(
            archive.name, config.budget, controller.usage, console)
        with display:
            return controller.run(seed, max_steps=max_steps)
