"""The `dgm` command line: parses arguments, calls the library, renders with rich."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dgm.config import DEFAULT_CONFIG_NAME, RunConfig, dump_config, load_config
from dgm.errors import DgmError
from dgm.agents.cli import agent_app
from dgm.llm.cli import models_app
from dgm.llm.cli import serve as llm_serve
from dgm.bench.cli import app as bench_app
from dgm.sandbox.cli import app as sandbox_app
from dgm.skills.cli import app as skills_app

app = typer.Typer(
    name="dgm",
    help="Evolve coding agents: an archive of self-improving agents judged in sandboxes.",
    no_args_is_help=True,
    add_completion=False,
    # Locals may hold API keys: never print them in a traceback.
    pretty_exceptions_show_locals=False,
)
app.add_typer(bench_app, name="bench")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(models_app, name="models")
app.add_typer(skills_app, name="skills")
app.add_typer(agent_app, name="agent")

console = Console()
err_console = Console(stderr=True)

RunArg = Annotated[str, typer.Argument(help="Run name (under --root) or path to a run directory.")]
RootOpt = Annotated[
    Path | None,
    typer.Option("--root", help="Parent folder of runs. Default: archive.root of ./dgm.toml, "
                 "else ./archive."),
]
ConfigArg = Annotated[
    Path | None, typer.Argument(help=f"Config file (TOML). Default: ./{DEFAULT_CONFIG_NAME} if present.")
]


def _load(config: Path | None) -> RunConfig:
    """Load the given config, or ./dgm.toml, or the defaults; print env-override notices."""
    if config is None and Path(DEFAULT_CONFIG_NAME).is_file():
        config = Path(DEFAULT_CONFIG_NAME)
    loaded, notices = load_config(config)
    for notice in notices:
        err_console.print(f"[yellow]note:[/] {notice}")
    return loaded


def resolve_run(run: str, root: Path | None) -> Path:
    """A run argument as a directory: a path to a run, or a name under the archive root."""
    direct = Path(run)
    if (direct / "archive.json").is_file() or root is None and direct.is_absolute():
        return direct
    if root is None:
        root = _load(None).archive.root
    return root / run


# --------------------------------------------------------------------------- commands


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path(
        DEFAULT_CONFIG_NAME
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a fully commented default config."""
    if path.exists() and not force:
        raise DgmError(f"{path}: already exists (use --force to overwrite)")
    path.write_text(dump_config(RunConfig(), commented=True), encoding="utf-8")
    console.print(f"wrote {path}; edit it, then check prerequisites with `dgm doctor {path}`")


@app.command()
def status(
    run: RunArg,
    root: RootOpt = None,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh live until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    refreshes: Annotated[
        int | None, typer.Option(hidden=True, help="Stop after this many refreshes.")
    ] = None,
) -> None:
    """Node count, best node and score, spend and last event of a run (--watch: live)."""
    from dgm.archive import Archive
    from dgm.archive.summary import summarize
    from dgm.render import status_view, summary_view

    path = resolve_run(run, root)
    with Archive.open(path) as archive:
        if not watch:
            console.print(summary_view(summarize(archive)))
            return
        from rich.live import Live

        count = 0
        # Read-only: the controller may be writing; every refresh re-reads nodes and events.
        with Live(status_view(archive), console=console, auto_refresh=False) as live:
            try:
                while refreshes is None or count < refreshes:
                    time.sleep(interval)
                    archive.reload()
                    live.update(status_view(archive), refresh=True)
                    count += 1
            except KeyboardInterrupt:
                pass


@app.command()
def lineage(
    run: RunArg,
    root: RootOpt = None,
    depth: Annotated[
        int | None, typer.Option("--depth", help="Show this many generations below each root.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained interactive page.")
    ] = None,
    dot: Annotated[Path | None, typer.Option("--dot", help="Write Graphviz DOT.")] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Write a static image (needs dgm[png]: Pillow).")
    ] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Write the static image as SVG.")] = None,
) -> None:
    """Print the lineage tree of a run; or write it as an HTML page, image or Graphviz DOT."""
    from dgm.archive import Archive

    with Archive.open(resolve_run(run, root)) as archive:
        if html is None and dot is None and png is None and svg is None:
            from dgm.render import lineage_tree

            console.print(lineage_tree(archive.lineage(), archive.primary_key(), depth))
            return
        from dgm.lineage_page import render_dot, render_page

        if png is not None:  # before anything is written: fail whole, not half-way
            from dgm.lineage_image import require_pillow

            require_pillow()
        for target, render in ((html, render_page), (dot, render_dot)):
            if target is not None:
                target.write_text(render(archive), encoding="utf-8")
                console.print(f"wrote {target} ({len(archive)} nodes)")
        if svg is not None or png is not None:
            from dgm.lineage_image import lineage_scene, to_svg, write_png

            scene = lineage_scene(archive)
            if svg is not None:
                svg.write_text(to_svg(scene), encoding="utf-8")
                console.print(f"wrote {svg} ({len(archive)} nodes)")
            if png is not None:
                write_png(scene, png)
                console.print(f"wrote {png} ({scene.width}x{scene.height} px, {len(archive)} nodes)")


@app.command()
def doctor(config: ConfigArg = None) -> None:
    """Check every prerequisite of a run; print the command that fixes each missing one."""
    from dgm.doctor import run_checks
    from dgm.render import doctor_table

    checks = run_checks(_load(config))
    console.print(doctor_table(checks))
    missing = [c for c in checks if not c.ok and c.required]
    if missing:
        console.print(f"[red]{len(missing)} required prerequisite(s) missing[/]")
        raise typer.Exit(1)
    console.print("[green]all required prerequisites present[/]")


@app.command()
def perf(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this suite (repeatable).")
    ] = None,
    repeat: Annotated[int, typer.Option(help="Timed repetitions per operation.")] = 20,
    quick: Annotated[bool, typer.Option(help="Smaller sizes, for a fast look.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON lines.")] = False,
) -> None:
    """Print the project's performance figures (p50/p90 and a ratio to a same-run baseline)."""
    from dgm.perf import run_suites
    from dgm.render import perf_table

    def progress(row: object) -> None:
        if as_json:
            print(json.dumps(row.as_dict()))  # type: ignore[attr-defined]
        else:
            err_console.print(f"[dim]measured {row.suite}: {row.operation}[/]")  # type: ignore[attr-defined]

    try:
        rows, notes = run_suites(only, repeat=repeat, quick=quick, on_row=progress)
    except ValueError as exc:
        raise DgmError(str(exc)) from None
    if not as_json:
        console.print(perf_table(rows))
        for note in notes:
            console.print(f"[yellow]note:[/] {note}")
    missed = [r for r in rows if r.ok is False]
    if missed and not as_json:
        console.print(f"[red]{len(missed)} target(s) missed[/]")


@app.command()
def run(
    config: ConfigArg = None,
    estimate: Annotated[bool, typer.Option("--estimate", help="Print the expected spend, then stop.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="JSON lines instead of the live panel.")] = False,
    max_nodes: Annotated[int | None, typer.Option(help="Override budget.max_nodes.")] = None,
    max_hours: Annotated[float | None, typer.Option(help="Override budget.max_wall_hours.")] = None,
    max_tasks: Annotated[int | None, typer.Option(
        min=1, help="Override benchmark.max_tasks: at most this many tasks per split.")] = None,
    name: Annotated[str | None, typer.Option(help="Run name (default: run-<date>-<time>).")] = None,
) -> None:
    """Start an evolution run: the seed agent, evolved on the configured benchmark."""
    settings = _load(config)
    if max_nodes is not None:
        settings.budget.max_nodes = max_nodes
    if max_tasks is not None:
        settings.benchmark.max_tasks = max_tasks
    if max_hours is not None:
        settings.budget.max_wall_hours = max_hours
    if name is not None:
        settings.archive.name = name
    if estimate:
        _print_estimate(settings)
        return
    from datetime import UTC, datetime

    from dgm.archive import Archive
    from dgm.bench.registry import load_benchmark
    from dgm.controller.session import run_session

    load_benchmark(settings.benchmark)  # fail on missing data before creating anything
    run_name = settings.archive.name or datetime.now(UTC).strftime("run-%Y%m%d-%H%M%S")
    with Archive.create(settings.archive.root / run_name, settings) as archive:
        outcome = run_session(archive, settings, quiet=quiet, console=console)
    _finish(archive.path, outcome.reason, quiet)


@app.command()
def resume(
    run: RunArg,
    root: RootOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="JSON lines instead of the live panel.")] = False,
    max_nodes: Annotated[int | None, typer.Option(
        min=1, help="Set budget.max_nodes (kept in the run's config).")] = None,
    max_hours: Annotated[float | None, typer.Option(
        min=0.0, help="Set budget.max_wall_hours (kept in the run's config).")] = None,
    max_dollars: Annotated[float | None, typer.Option(
        min=0.0, help="Set budget.max_dollars (kept in the run's config).")] = None,
) -> None:
    """Continue a killed or stopped run where it was (with its frozen config; budgets may be
    changed)."""
    from pydantic import ValidationError

    from dgm.archive import Archive
    from dgm.controller.session import run_session

    limits = {key: value for key, value in (("max_nodes", max_nodes), ("max_wall_hours", max_hours),
                                            ("max_dollars", max_dollars)) if value is not None}
    with Archive.open(resolve_run(run, root), writable=True) as archive:
        try:
            changed = archive.change_budget(**limits)
        except ValidationError as exc:  # e.g. a wall-time limit of 0
            problems = "; ".join(f"budget.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in exc.errors())
            raise DgmError(f"invalid budget: {problems}") from None
        for key, (old, new) in changed.items():
            if not quiet:
                console.print(f"budget.{key}: {old} -> {new}", highlight=False)
        outcome = run_session(archive, archive.config, quiet=quiet, console=console)
    _finish(archive.path, outcome.reason, quiet)


def _finish(path: Path, reason: str, quiet: bool) -> None:
    from dgm.archive import Archive
    from dgm.archive.summary import summarize
    from dgm.render import summary_view

    if quiet:
        return
    console.print(f"[bold]run stopped:[/] {reason}", highlight=False)
    with Archive.open(path) as archive:
        console.print(summary_view(summarize(archive)))
    raise_it = {"budget.max_nodes": " --max-nodes N", "budget.max_wall_hours": " --max-hours H",
                "budget.max_dollars": " --max-dollars D"}
    more = next((flag for key, flag in raise_it.items() if reason.startswith(key)), "")
    console.print(f"inspect it: dgm lineage {path} --html lineage.html; resume it: dgm resume "
                  f"{path}{more}", highlight=False)


def _print_estimate(settings: RunConfig) -> None:
    from dgm.bench.registry import load_benchmark
    from dgm.controller.estimate import estimate_run

    bench = load_benchmark(settings.benchmark)
    train = len(bench.tasks(settings.benchmark.train_split))
    heldout = len(bench.tasks(settings.benchmark.heldout_split))
    estimate = estimate_run(settings, train, heldout, _price_function(settings))
    console.print(f"tasks run: {estimate.tasks_low:,} to {estimate.tasks_high:,}")
    console.print(f"tokens:    {estimate.tokens_low:,} to {estimate.tokens_high:,}")
    if estimate.dollars_low is None or estimate.dollars_high is None:
        console.print("dollars:   unknown (no price for the model; set llm.input_price_per_mtok)")
    else:
        console.print(f"dollars:   ${estimate.dollars_low:,.2f} to ${estimate.dollars_high:,.2f}")
    for line in estimate.assumptions:
        console.print(f"  assuming {line}", style="dim", highlight=False)


def _price_function(settings: RunConfig):  # noqa: ANN202
    from dgm.llm.client import LLMClient
    from dgm.llm.types import LLMError

    client = LLMClient(settings.llm)

    def price(model: str, prompt: int, completion: int) -> float | None:
        if model.startswith("local/"):
            return 0.0  # the embedded model runs on this machine
        try:
            dollars, known = client.price(client.route(model), prompt, completion)
        except LLMError:
            return None
        return dollars if known else None

    return price


@app.command()
def show(
    run: RunArg,
    node: Annotated[str, typer.Argument(help="Node id (a unique prefix is enough).")],
    root: RootOpt = None,
) -> None:
    """Show one node: metadata, scores, cost, proposal, tamper flags and its patch."""
    from dgm.archive import Archive
    from dgm.render import node_view

    with Archive.open(resolve_run(run, root)) as archive:
        found = archive.node(node)
        console.print(node_view(found, archive.patch(found.id), archive.results(found.id)))


@app.command()
def diff(
    run: RunArg,
    a: Annotated[str, typer.Argument(help="From this node.")],
    b: Annotated[str, typer.Argument(help="To this node.")],
    root: RootOpt = None,
    stat: Annotated[bool, typer.Option("--flips-only", help="Only the task flips.")] = False,
) -> None:
    """Code diff between two nodes and the tasks that flipped (fixed, regressed) between them."""
    from rich.syntax import Syntax

    from dgm.archive import Archive
    from dgm.render import flips_view

    with Archive.open(resolve_run(run, root)) as archive:
        if not stat:
            text = archive.diff(a, b)
            console.print(Syntax(text, "diff") if text else "(no code difference)")
        console.print(flips_view(archive.flips(a, b)))


@app.command()
def export(
    run: RunArg,
    node: Annotated[str, typer.Argument(help="Node id, or 'best' (highest held-out score).")] = "best",
    out: Annotated[Path, typer.Option("--out", help="Where to write the wheel and sdist.")] = Path("dist"),
    name: Annotated[str | None, typer.Option(help="Distribution name (default dgm-agent-<id>).")] = None,
    root: RootOpt = None,
) -> None:
    """Build a pip-installable wheel (and sdist) of a node, with a README from its lineage."""
    from dgm.archive import Archive
    from dgm.export import export_node

    with Archive.open(resolve_run(run, root)) as archive:
        with console.status("building the agent's wheel and sdist"):
            built = export_node(archive, node, out, name)
    for path in built:
        console.print(f"wrote {path}")
    wheel = next((p for p in built if p.suffix == ".whl"), None)
    if wheel:
        console.print(f"install it with: pip install {wheel}")


app.command("serve")(llm_serve)


def main() -> None:
    """Console-script entry point: DgmError becomes a one-line message and exit code 1."""
    try:
        app()
    except DgmError as exc:
        # Escaped: messages name extras like 'dgm[png]', which rich would take for markup.
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
