"""`dgm sandbox`: housekeeping of sandboxes."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="Sandboxes: sweep leftovers.", no_args_is_help=True)
console = Console()


@app.command()
def sweep() -> None:
    """Remove what sandboxes of killed runs left behind (empty control groups)."""
    from dgm.sandbox import cgroups

    console.print(f"removed {cgroups.sweep()} leftover control group(s)")
