"""The bubblewrap backend: no daemon, a fresh set of namespaces for every command.

Each run() is one bwrap process: new user, pid, network, ipc, uts and mount namespaces; the code
runs as uid 65534 with every capability dropped and a cleared environment. The root filesystem is
read-only, /work is the task's host folder, /tmp is private. When the command ends, bwrap (pid 1
of the namespace) exits and the kernel kills whatever the command left behind. Limits come from a
per-sandbox cgroup where permitted, else from rlimits. Root is exempt from RLIMIT_NPROC, so a
root caller without cgroups has the sandbox's process count watched instead: past the limit, the
whole sandbox is killed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import TracebackType

from dgm.sandbox import cgroups
from dgm.sandbox.base import (
    BASE_ENV,
    LLM_SOCKET,
    WORKDIR,
    ExecResult,
    SandboxError,
    SandboxSpec,
    copy_in,
    copy_out,
)
from dgm.sandbox.capture import run_capped

INSTALL_HINT = "apt-get install -y bubblewrap"
# Merged-/usr systems (Debian bookworm): the top-level dirs are links into /usr.
USR_LINKS = {"/bin": "usr/bin", "/sbin": "usr/sbin", "/lib": "usr/lib", "/lib64": "usr/lib64"}
NOBODY = 65534


def pid_namespace_size(bwrap_pid: int, stop_above: int | None = None) -> int | None:
    """Processes in the pid namespace of bwrap's child (None before it exists).

    Counting stops once past `stop_above`: during a fork bomb every millisecond spent scanning
    /proc lets it grow further."""
    try:
        child = int(Path(f"/proc/{bwrap_pid}/task/{bwrap_pid}/children").read_text().split()[0])
        namespace = os.readlink(f"/proc/{child}/ns/pid")
    except (OSError, IndexError, ValueError):
        return None
    if namespace == os.readlink("/proc/self/ns/pid"):
        return None  # the child has not entered its own namespace yet
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += os.readlink(f"/proc/{entry.name}/ns/pid") == namespace
            except OSError:
                continue
            if stop_above is not None and count > stop_above:
                break
    return count


def bwrap_binary() -> str:
    """Path of bwrap, or a SandboxError saying how to install it."""
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxError(f"bubblewrap (bwrap) is not installed; install it: {INSTALL_HINT}")
    return found


class BwrapSandbox:
    """A sandbox whose commands each run in a fresh bwrap."""

    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec
        self._bwrap = bwrap_binary()
        if not spec.workdir.is_dir():
            raise SandboxError(f"{spec.workdir}: sandbox workdir does not exist")
        if spec.rootfs is not None and not (spec.rootfs / "usr").is_dir():
            raise SandboxError(f"{spec.rootfs}: not a root filesystem (no usr/); build it with "
                               "`dgm sandbox build`")
        if spec.llm_socket is not None and not spec.llm_socket.exists():
            raise SandboxError(f"{spec.llm_socket}: LLM proxy socket does not exist")
        name = "-".join(v for v in (spec.labels.get("run"), spec.labels.get("node")) if v) or "sbx"
        cgroups.sweep()
        self.cgroup = cgroups.Cgroup.create(name, memory_mb=spec.memory_mb, pids=spec.pids,
                                            cpus=spec.cpus)
        self.closed = False

    # ----------------------------------------------------------------- command line

    def _filesystem(self) -> list[str]:
        spec = self.spec
        if spec.rootfs is not None:
            args = ["--ro-bind", str(spec.rootfs), "/"]
        else:
            args = ["--ro-bind", "/usr", "/usr"]
            for link, target in USR_LINKS.items():
                if Path(link).is_symlink() or not Path(link).exists():
                    args += ["--symlink", target, link]
                else:
                    args += ["--ro-bind", link, link]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                 "--bind", str(spec.workdir.resolve()), WORKDIR]
        for inside, outside in sorted(spec.ro_binds.items()):
            if not Path(outside).exists():
                raise SandboxError(f"{outside}: cannot be mounted at {inside}: it does not exist")
            args += ["--ro-bind", str(Path(outside).resolve()), inside]
        if spec.llm_socket is not None:
            args += ["--dir", str(Path(LLM_SOCKET).parent),
                     "--bind", str(spec.llm_socket.resolve()), LLM_SOCKET]
        # bwrap builds / as a tmpfs; make it read-only too (only /work and /tmp are writable).
        return [*args, "--remount-ro", "/"]

    def command(self, cmd: list[str], env: dict[str, str] | None, cwd: str) -> list[str]:
        """The full host command line for one sandboxed command."""
        environment = dict(BASE_ENV, **self.spec.env, **(env or {}))
        if self.spec.llm_socket is not None:
            environment["DGM_LLM_SOCKET"] = LLM_SOCKET
        args = [
            self._bwrap, *self._filesystem(),
            "--unshare-all", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--hostname", "sandbox", "--cap-drop", "ALL", "--die-with-parent",
            "--new-session", "--clearenv", "--chdir", cwd,
        ]
        for key, value in sorted(environment.items()):
            args += ["--setenv", key, value]
        args += ["--", *cmd]
        if self.cgroup is not None:
            return [*self.cgroup.prefix(), *args]
        # No cgroups here: rlimits on the sandbox's processes instead.
        memory = self.spec.memory_mb * 1024 * 1024
        limited = ["prlimit", f"--as={memory}", f"--nproc={self.spec.pids}", "--", *args]
        if os.geteuid() == 0:
            # Root is exempt from RLIMIT_NPROC: the process count is watched instead, and the
            # watcher must keep getting the CPU while a fork bomb floods the run queue.
            return ["nice", "-n", "19", *limited]
        return limited

    # ----------------------------------------------------------------- Sandbox

    def run(self, cmd: list[str], *, timeout: float | None = None,
            env: dict[str, str] | None = None, cwd: str = WORKDIR) -> ExecResult:
        """Run one command; the whole process tree is gone when this returns."""
        if self.closed:
            raise SandboxError("sandbox is closed")
        if not cmd:
            raise SandboxError("empty command")
        watch = self._watch_pids if self.cgroup is None and os.geteuid() == 0 else None
        code, out, err, timed_out, truncated, seconds = run_capped(
            self.command(cmd, env, cwd), timeout=timeout or self.spec.timeout_s,
            limit=self.spec.output_limit,
            kill=self.cgroup.kill_all if self.cgroup is not None else None, watch=watch,
        )
        if code in (125, 126, 127) and "bwrap:" in err and not timed_out:
            raise SandboxError(f"bubblewrap could not start the sandbox: {err.strip()[-500:]}")
        return ExecResult(returncode=code, stdout=out, stderr=err, seconds=seconds,
                          timed_out=timed_out, truncated=truncated)

    def _watch_pids(self, pid: int) -> str | None:
        """Why to stop the sandbox: its pid namespace holds more processes than allowed."""
        found = pid_namespace_size(pid, stop_above=self.spec.pids)
        if found is not None and found > self.spec.pids:
            return f"process limit exceeded (more than {self.spec.pids}): sandbox killed"
        return None

    def put(self, src: Path, dest: str) -> None:
        """Copy a host file or folder to a path under /work."""
        copy_in(self.spec, src, dest)

    def get(self, src: str, dest: Path) -> None:
        """Copy a path under /work out to the host (symlinks are copied as links, never followed)."""
        copy_out(self.spec, src, dest)

    def close(self) -> None:
        """Kill anything left and remove the cgroup (idempotent)."""
        if not self.closed:
            self.closed = True
            if self.cgroup is not None:
                self.cgroup.remove()

    def __enter__(self) -> BwrapSandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
