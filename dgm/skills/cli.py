"""`dgm skills log RUN` and `dgm skills show RUN NODE`: the gate's decisions and a node's library."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from dgm.archive.flips import Flip
from dgm.skills.audit import GateRecord, read_records

if TYPE_CHECKING:
    from dgm.skills.history import NodeLibrary

app = typer.Typer(help="Skill libraries and the decisions of their GRASP admission gate.",
                  no_args_is_help=True)
console = Console()

RunArg = Annotated[str, typer.Argument(help="Run name (under --root) or path to a run directory.")]
RootOpt = Annotated[Path | None, typer.Option("--root", help="Parent folder of runs.")]


def _run_path(run: str, root: Path | None) -> Path:
    from dgm.cli import resolve_run  # late: dgm.cli imports this module

    return resolve_run(run, root)


def record_view(record: GateRecord) -> RenderableType:
    """One gate decision: verdict, numbers, probe and per-task flips."""
    d = record.decision
    verdict = Text("admitted", "bold green") if d.admitted else Text("rejected", "bold red")
    head = Text.assemble(verdict, f"  {record.child} (parent {record.parent})  ",
                         (record.summary, "italic"))
    numbers = (f"fixes {d.fixes}  regressions {d.regressions}  invalid {d.invalid}  adjusted "
               f"{d.adjusted} = {d.fixes} - {d.regressions} - 2*{d.invalid}  McNemar p = "
               f"{d.p_value:.3g}  budget {record.regression_budget}"
               + ("  (significance required)" if record.require_significance else ""))
    lines: list[RenderableType] = [head, Text(f"  {numbers}"), Text(f"  reason: {d.reason}")]
    if record.skill_paths:
        lines.append(Text("  skills changed: " + ", ".join(record.skill_paths)
                          + ("  (with code changes)" if record.mixed else "")))
    if record.probe.tasks:
        lines.append(Text(f"  probe ({record.split}): {len(record.probe.failing)} the parent "
                          f"failed, {len(record.probe.passing)} it passed; fresh runs from attempt "
                          f"{record.parent_attempt} (parent), {record.child_attempt} (child)"))
    styles = {Flip.fixed: "green", Flip.regressed: "red", Flip.invalid: "yellow"}
    for kind, style in styles.items():
        tasks = sorted(t for t, f in d.flips.items() if f == kind)
        if tasks:
            lines.append(Text.assemble(f"  {kind}: ", (" ".join(tasks), style)))
    unchanged = sum(f in (Flip.still_passing, Flip.still_failing) for f in d.flips.values())
    if d.flips:
        lines.append(Text(f"  unchanged: {unchanged}"))
    for problem in record.library_problems:
        lines.append(Text(f"  library: {problem}", "red"))
    if record.kept:
        lines.append(Text(f"  kept the code part as {record.kept}"))
    return Group(*lines, Text(""))


def library_view(found: NodeLibrary, max_skills: int, max_tokens: int) -> RenderableType:
    """A node's skills in load order, with version, size and origin (node ids)."""
    library = found.library
    table = Table(title=f"skills of {found.node}: {len(library.skills)} of at most {max_skills}, "
                        f"about {library.tokens} of at most {max_tokens} tokens")
    for column in ("name", "v", "tokens", "introduced by", "last changed by"):
        table.add_column(column, no_wrap=True)
    table.add_column("description")
    for skill in library.skills:
        origin = found.origins.get(skill.path)
        table.add_row(skill.meta.name, str(skill.meta.version), str(skill.tokens),
                      (origin.introduced_by if origin else None) or "?",
                      (origin.changed_by if origin else None) or "?", skill.meta.description)
    parts: list[RenderableType] = [table]
    parts += [Text(f"problem: {p}", "red") for p in library.problems]
    return Group(*parts)


@app.command("log")
def log(run: RunArg, root: RootOpt = None,
        node: Annotated[str | None, typer.Option(help="Only decisions on this child.")] = None) -> None:
    """Every gate decision of a run, admitted or rejected, with the probe and per-task flips."""
    from dgm.archive import Archive

    with Archive.open(_run_path(run, root)) as archive:  # a clear error if it is not a run
        records = read_records(archive.path)
    if node:
        records = [r for r in records if r.child.startswith(node)]
    if not records:
        console.print("no skill gate decisions" + (f" for {node}" if node else "") + " in this run")
        return
    admitted = sum(r.decision.admitted for r in records)
    console.print(f"[bold]{len(records)} gate decision(s)[/]: {admitted} admitted, "
                  f"{len(records) - admitted} rejected\n")
    for record in records:
        console.print(record_view(record))


@app.command("show")
def show(run: RunArg,
         node: Annotated[str, typer.Argument(help="Node id (a unique prefix is enough).")],
         root: RootOpt = None) -> None:
    """A node's skill library, each skill with the nodes that introduced and last changed it."""
    from dgm.archive import Archive
    from dgm.skills.history import node_library

    with Archive.open(_run_path(run, root)) as archive:
        config = archive.config.skills
        console.print(library_view(node_library(archive, node, config), config.max_skills,
                                   config.max_prompt_tokens))
