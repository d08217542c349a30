"""The Sandbox interface every backend implements, and what one sandbox is asked to be."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from dgm.errors import DgmError

WORKDIR = "/work"                      # the task's directory inside every sandbox
LLM_SOCKET = "/run/dgm/llm.sock"        # where the host's LLM proxy socket appears
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


class SandboxError(DgmError):
    """A sandbox could not be created or used (an infrastructure failure, never the agent's)."""


class SandboxSpec(BaseModel):
    """One sandbox: its filesystem, limits and the single channel to the host (the LLM socket)."""

    model_config = ConfigDict(extra="forbid")

    workdir: Path = Field(description="Host folder mounted read-write at /work.")
    rootfs: Path | None = Field(
        None, description="Root filesystem folder; None: the host's /usr, read-only.")
    image: str = Field(
        "python", description="Image of the docker backend: a recipe name built by "
        "`dgm sandbox build`, or a full image tag.")
    ro_binds: dict[str, Path] = Field(
        default_factory=dict, description="Sandbox path -> host path, mounted read-only.")
    memory_mb: int = Field(2048, gt=0)
    cpus: float = Field(1.0, gt=0)
    pids: int = Field(256, gt=0)
    timeout_s: float = Field(900.0, gt=0, description="Default wall-clock limit of one run().")
    network: Literal["none"] = "none"
    llm_socket: Path | None = Field(None, description="Host socket bound at /run/dgm/llm.sock.")
    env: dict[str, str] = Field(
        default_factory=dict, description="The only variables set inside, besides PATH, HOME, LANG.")
    output_limit: int = Field(1_000_000, gt=0, description="Bytes kept of stdout and of stderr.")
    labels: dict[str, str] = Field(default_factory=dict, description="e.g. run and node ids.")


class ExecResult(BaseModel):
    """What one command did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """Exit code 0 within the time limit."""
        return self.returncode == 0 and not self.timed_out


class Sandbox(Protocol):
    """An isolated place to run untrusted commands."""

    spec: SandboxSpec

    def run(self, cmd: list[str], *, timeout: float | None = None,
            env: dict[str, str] | None = None, cwd: str = WORKDIR) -> ExecResult: ...

    def put(self, src: Path, dest: str) -> None: ...

    def get(self, src: str, dest: Path) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Sandbox: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def host_path(spec: SandboxSpec, inside: str) -> Path:
    """The host path behind a path under /work (the only writable place shared with the host)."""
    path = Path(inside)
    if not path.is_absolute():
        path = Path(WORKDIR) / path
    try:
        rel = path.relative_to(WORKDIR)
    except ValueError:
        raise SandboxError(f"{inside}: only paths under {WORKDIR} can be copied in or out") from None
    target = (spec.workdir / rel).resolve()
    if not target.is_relative_to(spec.workdir.resolve()):
        raise SandboxError(f"{inside}: escapes {WORKDIR}")
    return target


def copy_in(spec: SandboxSpec, src: Path, dest: str) -> None:
    """put() of backends whose /work is a host folder: copy a file or folder under /work."""
    target = host_path(spec, dest)
    if Path(src).is_dir():
        shutil.copytree(src, target, dirs_exist_ok=True, symlinks=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def copy_out(spec: SandboxSpec, src: str, dest: Path) -> None:
    """get() of such backends: copy a path under /work out (symlinks copied, never followed)."""
    source = host_path(spec, src)
    if not source.exists():
        raise SandboxError(f"{src}: no such file in the sandbox")
    if source.is_dir():
        shutil.copytree(source, dest, dirs_exist_ok=True, symlinks=True)
    else:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest, follow_symlinks=False)
