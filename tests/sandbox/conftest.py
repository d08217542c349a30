"""Sandboxes for the conformance suite: every backend that can run on this machine."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dgm.sandbox.base import Sandbox, SandboxError, SandboxSpec

# bwrap-rlimit: bwrap as an unprivileged user gets it, with rlimits instead of cgroups.
BACKENDS = ["bwrap", "bwrap-rlimit", "docker"]
DOCKER_IMAGE = "dgm-sandbox-conformance:latest"


@pytest.fixture(scope="session")
def docker_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A docker SDK client on a private dockerd (else DOCKER_HOST's daemon) with the python
    recipe's image imported as DOCKER_IMAGE; the private daemon is stopped afterwards."""
    from dgm.sandbox.dockerd import PrivateDockerd, connect, sdk
    from dgm.sandbox.images import import_rootfs
    from dgm.sandbox.recipes import load_recipe
    from dgm.sandbox.rootfs import build_rootfs

    try:
        sdk()
    except SandboxError as exc:
        pytest.skip(str(exc))
    daemon = None
    why_not = PrivateDockerd.unavailable()
    started = time.monotonic()
    if why_not is None:
        daemon = PrivateDockerd()
        client = connect(daemon.start())
    else:
        try:
            client = connect()
        except SandboxError as exc:
            pytest.skip(f"docker backend untested: no private dockerd ({why_not}) and {exc}")
    try:
        recipe = load_recipe("python")
        rootfs = build_rootfs(recipe, tmp_path_factory.mktemp("docker-image") / "rootfs")
        import_rootfs(client, rootfs, DOCKER_IMAGE, env=recipe.env)
        client.dgm_setup_s = time.monotonic() - started  # reported by the timing test
        client.dgm_daemon = daemon
        yield client
    finally:
        client.close()
        if daemon is not None:
            daemon.remove()


def _open(backend: str, spec: SandboxSpec, monkeypatch: pytest.MonkeyPatch,
          request: pytest.FixtureRequest) -> Sandbox:
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
    if backend == "docker":
        from dgm.sandbox.docker import DockerSandbox

        client = request.getfixturevalue("docker_client")
        return DockerSandbox(spec.model_copy(update={"image": DOCKER_IMAGE}), client=client)
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
        sandbox = _open(request.param, spec, monkeypatch, request)
        opened.append(sandbox)
        return sandbox

    yield make
    for sandbox in opened:
        sandbox.close()
