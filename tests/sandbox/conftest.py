"""Sandboxes for the conformance suite: every backend that can run on this machine."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dgm.sandbox.base import Sandbox, SandboxSpec

# bwrap-rlimit: bwrap as an unprivileged user gets it, with rlimits instead of cgroups.
BACKENDS = ["bwrap", "bwrap-rlimit"]


def _open(backend: str, spec: SandboxSpec, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    if backend.startswith("bwrap"):
        if shutil.which("bwrap") is None:
            pytest.skip("bubblewrap is not installed (apt-get install -y bubblewrap)")
        from dgm.sandbox import cgroups
        from dgm.sandbox.bwrap import BwrapSandbox

        if backend == "bwrap-rlimit":
            monkeypatch.setattr(cgroups.Cgroup, "create", classmethod(lambda cls, *a, **k: None))
        sandbox = BwrapSandbox(spec)
        assert (sandbox.cgroup is None) == (backend == "bwrap-rlimit")
        return sandbox
    raise AssertionError(backend)


@pytest.fixture(params=BACKENDS)
def open_sandbox(request: pytest.FixtureRequest, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Sandbox]]:
    """open_sandbox(**spec fields) -> a sandbox of the parametrized backend (closed after)."""
    opened: list[Sandbox] = []

    def make(**fields: object) -> Sandbox:
        workdir = tmp_path / f"work{len(opened)}"
        workdir.mkdir()
        spec = SandboxSpec(workdir=workdir, **fields)  # type: ignore[arg-type]
        sandbox = _open(request.param, spec, monkeypatch)
        opened.append(sandbox)
        return sandbox

    yield make
    for sandbox in opened:
        sandbox.close()
