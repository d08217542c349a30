"""`dgm doctor` checks for sandboxes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from dgm.config import RunConfig
from dgm.doctor import Check
from dgm.sandbox.base import SandboxError, SandboxSpec


def checks(config: RunConfig) -> Iterator[Check]:
    """bwrap installed and able to start a sandbox; whether cgroup limits are available."""
    if config.sandbox.backend != "bwrap":
        yield Check(f"sandbox backend {config.sandbox.backend}", False,
                    "not available in this version", fix="set sandbox.backend = \"bwrap\"")
        return
    from dgm.sandbox.bwrap import BwrapSandbox

    with tempfile.TemporaryDirectory() as tmp:
        try:
            with BwrapSandbox(SandboxSpec(workdir=Path(tmp))) as sandbox:
                result = sandbox.run(["python3", "-c", "print('ok')"], timeout=30)
                limits = "cgroup limits" if sandbox.cgroup is not None else "rlimits (no cgroups)"
        except SandboxError as exc:
            yield Check("bubblewrap sandbox", False, str(exc), fix="apt-get install -y bubblewrap")
            return
    yield Check("bubblewrap sandbox", result.ok,
                f"starts; python3 inside; {limits}" if result.ok else result.stderr.strip()[:200],
                fix="apt-get install -y bubblewrap python3")
