"""Sandbox rows of `dgm perf`: launching a sandbox and running `true`, against the host."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

from dgm.perf import PerfContext, PerfRow, time_calls
from dgm.sandbox.base import SandboxSpec


def rows(ctx: PerfContext) -> Iterator[PerfRow]:
    """bwrap launch + `true` (target p50 <= 80 ms) against `true` run directly on the host."""
    host = time_calls(lambda _: subprocess.run(["true"], check=True), ctx.repeat)
    if shutil.which("bwrap") is None:
        ctx.notes.append("sandbox: bwrap not installed, no rows (apt-get install -y bubblewrap)")
        return
    from dgm.sandbox.bwrap import BwrapSandbox

    with BwrapSandbox(SandboxSpec(workdir=ctx.scratch("bwrap"))) as sandbox:
        launched = time_calls(lambda _: sandbox.run(["true"]), ctx.repeat)
    yield PerfRow("sandbox", "bwrap: launch + run true", launched, "run true on the host", host,
                  target="p50 <= 80 ms", check=lambda r: r.p50 <= 0.080)
