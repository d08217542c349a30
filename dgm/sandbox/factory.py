"""Build a sandbox from the run's sandbox config and one job's needs (SWE-ReX style factory)."""

from __future__ import annotations

from pathlib import Path

from dgm.sandbox.base import Sandbox, SandboxError, SandboxSpec
from dgm.sandbox.config import SandboxConfig


def spec_from_config(config: SandboxConfig, workdir: Path, **job: object) -> SandboxSpec:
    """A SandboxSpec with the configured limits and this job's folders, socket and labels."""
    return SandboxSpec(workdir=workdir, image=config.image, memory_mb=config.memory_mb, cpus=config.cpus,
                       pids=config.pids, timeout_s=config.timeout_s, network=config.network,
                       **job)  # type: ignore[arg-type]


def make_sandbox(config: SandboxConfig, spec: SandboxSpec) -> Sandbox:
    """The configured backend, opened on spec."""
    if config.backend == "bwrap":
        from dgm.sandbox.bwrap import BwrapSandbox

        return BwrapSandbox(spec)
    if config.backend == "docker":
        from dgm.sandbox.docker import DockerSandbox

        return DockerSandbox(spec)  # SandboxError naming the extra or how to start a daemon
    raise SandboxError(f"unknown sandbox backend {config.backend!r}; use 'bwrap' or 'docker'")
