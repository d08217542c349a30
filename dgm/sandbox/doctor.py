"""`dgm doctor` checks for sandboxes: the configured backend works; whether docker is usable."""

from __future__ import annotations

import importlib.metadata
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from dgm.config import RunConfig
from dgm.doctor import Check
from dgm.sandbox.base import SandboxError, SandboxSpec

DOCKER_SDK = "7.2.0"  # the version pyproject.toml pins in the [docker] extra


def checks(config: RunConfig) -> Iterator[Check]:
    """The configured backend starts a sandbox; docker's availability is reported either way."""
    if config.sandbox.backend == "bwrap":
        yield from bwrap_checks()
    yield from docker_checks(config.sandbox.image, required=config.sandbox.backend == "docker")


def bwrap_checks() -> Iterator[Check]:
    """bwrap installed and able to start a sandbox; whether cgroup limits are available."""
    from dgm.sandbox.bwrap import BwrapSandbox

    with tempfile.TemporaryDirectory() as tmp:
        try:
            with BwrapSandbox(SandboxSpec(workdir=Path(tmp))) as sandbox:
                result = sandbox.run(["python3", "-c", "print('ok')"], timeout=30)
                limits = "cgroup limits" if sandbox.cgroup is not None else "rlimits (no cgroups)"
                weak_pids = sandbox.cgroup is None and os.geteuid() == 0
        except SandboxError as exc:
            yield Check("bubblewrap sandbox", False, str(exc), fix="apt-get install -y bubblewrap")
            return
    yield Check("bubblewrap sandbox", result.ok,
                f"starts; python3 inside; {limits}" if result.ok else result.stderr.strip()[:200],
                fix="apt-get install -y bubblewrap python3")
    if weak_pids:
        # Root is exempt from RLIMIT_NPROC, so the process limit falls back to a watchdog that a
        # fast fork bomb can outrun on a small machine: say so rather than imply containment.
        yield Check("sandbox process limit", False,
                    "root without writable cgroups: the limit is a watchdog, a fork bomb can "
                    "outrun it", fix="give dgm a writable cgroup hierarchy, or run as a non-root "
                    "user, or use sandbox.backend = \"docker\"", required=False)


def docker_checks(image: str, *, required: bool) -> Iterator[Check]:
    """docker SDK, a daemon at DOCKER_HOST, the sandbox image, and (if all there) a sandbox."""
    from dgm.sandbox.dockerd import DAEMON_HINT, SDK_HINT, connect
    from dgm.sandbox.images import image_tag

    try:
        found = importlib.metadata.version("docker")
    except importlib.metadata.PackageNotFoundError:
        yield Check("docker SDK", False, "not installed (needed by sandbox.backend = \"docker\")",
                    fix=SDK_HINT, required=required)
        return
    yield Check("docker SDK", found == DOCKER_SDK, f"{found} (pinned {DOCKER_SDK})",
                fix=SDK_HINT, required=required)
    try:
        client = connect()
    except SandboxError as exc:
        yield Check("docker daemon", False, str(exc).split(";")[0], fix=DAEMON_HINT,
                    required=required)
        return
    try:
        version = client.version().get("Version", "?")
        yield Check("docker daemon", True, f"answers; version {version}", required=required)
        tag = image_tag(image)
        try:
            client.images.get(tag)
        except Exception:
            yield Check("docker sandbox image", False, f"{tag} is not in the daemon",
                        fix=f"dgm sandbox build {image}", required=required)
            return
        yield from _docker_sandbox(client, image, required)
    finally:
        client.close()


def _docker_sandbox(client: object, image: str, required: bool) -> Iterator[Check]:
    from dgm.sandbox.docker import DockerSandbox

    with tempfile.TemporaryDirectory() as tmp:
        try:
            with DockerSandbox(SandboxSpec(workdir=Path(tmp), image=image),
                               client=client) as sandbox:
                result = sandbox.run(["python3", "-c", "print('ok')"], timeout=60)
        except SandboxError as exc:
            yield Check("docker sandbox", False, str(exc), fix=f"dgm sandbox build {image}",
                        required=required)
            return
    yield Check("docker sandbox", result.ok,
                "starts; python3 inside" if result.ok else result.stderr.strip()[:200],
                fix=f"dgm sandbox build {image} --rebuild", required=required)
