"""Configuration of the sandboxes agents and tests run in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dgm._model import ConfigModel


class SandboxConfig(ConfigModel):
    """Which sandbox backend runs untrusted code, and its limits."""

    backend: Literal["bwrap", "docker"] = Field(
        "bwrap", description="'bwrap' (bubblewrap, no daemon) or 'docker' (full isolation)."
    )
    image: str = Field(
        "python", description="Sandbox image / rootfs built by `dgm sandbox build`."
    )
    memory_mb: int = Field(2048, gt=0, description="Memory limit per sandbox, MiB.")
    cpus: float = Field(1.0, gt=0, description="CPU limit per sandbox.")
    pids: int = Field(256, gt=0, description="Most processes alive in one sandbox.")
    timeout_s: float = Field(900.0, gt=0, description="Wall-clock limit of one agent run.")
    network: Literal["none"] = Field(
        "none", description="Network access: only 'none' (LLM calls go through the proxy socket)."
    )
