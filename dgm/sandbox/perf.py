"""Sandbox rows of `dgm perf`: launching a sandbox and running `true`, against the host."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from dgm.errors import DgmError
from dgm.perf import PerfContext, PerfRow, time_calls
from dgm.sandbox.base import SandboxSpec

PERF_IMAGE = "dgm-sandbox-perf:latest"


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """bwrap launch + `true` (target p50 <= 80 ms), docker exec `true` (<= 200 ms) and docker
    create+start+remove (<= 1 s), each against `true` run directly on the host."""
    host = time_calls(lambda _: subprocess.run(["true"], check=True), ctx.repeat)
    if shutil.which("bwrap") is None:
        ctx.notes.append("sandbox: bwrap not installed, no rows (apt-get install -y bubblewrap)")
    else:
        from dgm.sandbox.bwrap import BwrapSandbox

        with BwrapSandbox(SandboxSpec(workdir=ctx.scratch("bwrap"))) as sandbox:
            launched = time_calls(lambda _: sandbox.run(["true"]), ctx.repeat)
        yield PerfRow("sandbox", "bwrap: launch + run true", launched, "run true on the host",
                      host, target="p50 <= 80 ms", check=lambda r: r.p50 <= 0.080)
    yield from docker_rows(ctx, host)


def docker_rows(ctx: PerfContext, host: list[float]) -> Iterator[PerfRow]:
    """The docker rows, on DOCKER_HOST's daemon, else on a private dockerd started for them."""
    with ExitStack() as stack:
        try:
            client, image = _daemon_and_image(ctx, stack)
        except DgmError as exc:
            ctx.notes.append(f"sandbox: no docker rows ({exc})")
            return
        from dgm.sandbox.docker import DockerSandbox

        def spec() -> SandboxSpec:
            return SandboxSpec(workdir=ctx.scratch("docker"), image=image)

        with DockerSandbox(spec(), client=client) as sandbox:
            executed = time_calls(lambda _: sandbox.run(["true"]), ctx.repeat)
        yield PerfRow("sandbox", "docker: exec true in a running sandbox", executed,
                      "run true on the host", host, target="p50 <= 200 ms",
                      check=lambda r: r.p50 <= 0.200)
        workdir = spec().workdir  # created once: the row times the container, not mkdir
        cycled = time_calls(
            lambda _: DockerSandbox(spec().model_copy(update={"workdir": workdir}),
                                    client=client).close(),
            min(ctx.repeat, 5 if ctx.quick else 20))
        yield PerfRow("sandbox", "docker: create + start + remove a sandbox", cycled,
                      "run true on the host", host, target="p50 <= 1 s",
                      check=lambda r: r.p50 <= 1.0)


def _daemon_and_image(ctx: PerfContext, stack: ExitStack) -> tuple[Any, str]:
    from dgm.sandbox.dockerd import PrivateDockerd, connect, sdk
    from dgm.sandbox.images import image_tag, import_rootfs
    from dgm.sandbox.recipes import load_recipe
    from dgm.sandbox.rootfs import build_rootfs

    sdk()
    try:
        client = connect()
    except DgmError as exc:
        if PrivateDockerd.unavailable():
            raise DgmError(f"{str(exc).split(';')[0]}; {PrivateDockerd.unavailable()}") from None
        daemon = stack.enter_context(PrivateDockerd(ctx.scratch("dockerd")))
        client = connect(daemon.url)
        ctx.notes.append("sandbox: docker rows measured on a private dockerd started for them "
                         f"({daemon.driver})")
    stack.callback(client.close)
    try:
        client.images.get(image_tag("python"))
        return client, "python"
    except sdk().errors.ImageNotFound:
        pass
    recipe = load_recipe("python")
    rootfs = build_rootfs(recipe, ctx.scratch("image") / "rootfs")
    import_rootfs(client, rootfs, PERF_IMAGE, env=recipe.env)
    stack.callback(lambda: client.images.remove(PERF_IMAGE, force=True))
    ctx.notes.append("sandbox: docker rows use a python image built for them "
                     "(`dgm sandbox build python` keeps one)")
    return client, PERF_IMAGE
