"""`dgm sandbox`: building sandbox images offline, and housekeeping of leftovers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from dgm.errors import DgmError

app = typer.Typer(help="Sandboxes: build images offline, sweep leftovers.", no_args_is_help=True)
console = Console()


@app.command()
def sweep() -> None:
    """Remove what sandboxes of killed runs left behind (control groups, labelled containers)."""
    from dgm.sandbox import cgroups
    from dgm.sandbox.dockerd import connect, sweep_containers

    console.print(f"removed {cgroups.sweep()} leftover control group(s)")
    try:
        client = connect()
    except DgmError as exc:
        console.print(f"containers: not checked ({str(exc).split(';')[0]})")
        return
    try:
        console.print(f"removed {sweep_containers(client)} leftover container(s)")
    finally:
        client.close()


@app.command()
def build(
    name: Annotated[str, typer.Argument(help="Recipe in sandboxes/: python or polyglot.")] = "python",
    method: Annotated[str | None, typer.Option(
        help="host-copy or debootstrap (default: the recipe's).")] = None,
    mirror: Annotated[str | None, typer.Option(
        help="Debian mirror for debootstrap (default: the one apt uses here).")] = None,
    docker: Annotated[bool | None, typer.Option(
        "--docker/--no-docker",
        help="Import into the Docker daemon of DOCKER_HOST (default: when one answers).")] = None,
    rebuild: Annotated[bool, typer.Option(
        help="Build the root filesystem again even if built.")] = False,
) -> None:
    """Build a sandbox image without any registry: a root filesystem (bwrap) and a docker image."""
    from dgm.sandbox import images
    from dgm.sandbox.dockerd import connect

    if method not in (None, "host-copy", "debootstrap"):
        raise typer.BadParameter("--method is host-copy or debootstrap")
    client = None
    if docker is not False:
        try:
            client = connect()
        except DgmError as exc:
            if docker:
                console.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(1) from None
            console.print(f"no Docker daemon ({str(exc).split(';')[0]}): building the root "
                          "filesystem only")
    try:
        built = images.build(name, method=method, mirror=mirror, client=client, rebuild=rebuild)
    except DgmError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        if client is not None:
            client.close()
    console.print(f"root filesystem: {built.rootfs}  (bwrap: SandboxSpec.rootfs)")
    if built.image:
        console.print(f"docker image: {built.image}  (sandbox.image = \"{name}\")")
