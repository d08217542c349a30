"""The docker backend: one long-lived container per sandbox, one `exec` per command.

The container has no network, a read-only root, every capability dropped, no-new-privileges, a
non-root user, memory/cpus/pids limits and a private /tmp; /work is the task's host folder. A
command that leaves processes behind, or overruns its time, gets the whole container killed and
started again (that kills every process in its pid namespace, fork bombs included). Containers
carry dgm's labels and their owner's identity, so leftovers of a killed caller are swept.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

try:
    from requests import RequestException  # the docker SDK's transport
except ImportError:  # no SDK either: connect() says which extra installs it
    RequestException = OSError  # type: ignore[assignment,misc]

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
from dgm.sandbox.capture import CappedStream
from dgm.sandbox.dockerd import LABEL, OWNER, connect, owner_label, sdk, sweep_containers
from dgm.sandbox.images import NOBODY, image_tag

# A running command is checked this often for having exited while something holds its output.
POLL_FIRST_S, POLL_MAX_S = 0.05, 1.0


def _remove(client: Any, container_id: str) -> None:
    """Remove a container, whatever state it is in (also run by the finalizer)."""
    try:
        client.api.remove_container(container_id, force=True)
    except Exception:  # already gone, or the daemon went away: nothing left to free here
        pass


class DockerSandbox:
    """A sandbox backed by a container of a Docker-compatible daemon (DOCKER_HOST)."""

    def __init__(self, spec: SandboxSpec, client: Any = None) -> None:
        self.spec = spec
        if not spec.workdir.is_dir():
            raise SandboxError(f"{spec.workdir}: sandbox workdir does not exist")
        if spec.llm_socket is not None and not spec.llm_socket.exists():
            raise SandboxError(f"{spec.llm_socket}: LLM proxy socket does not exist")
        for inside, outside in spec.ro_binds.items():
            if not Path(outside).exists():
                raise SandboxError(f"{outside}: cannot be mounted at {inside}: it does not exist")
        self._own_client = client is None  # closed with the sandbox; a given one stays open
        self.client = client or connect()
        self._errors = sdk().errors
        sweep_containers(self.client)  # containers of callers that were killed
        self.image = image_tag(spec.image)
        try:
            self.client.images.get(self.image)
        except self._errors.ImageNotFound:
            raise SandboxError(f"sandbox image {self.image} is not in the daemon; build it: "
                               f"dgm sandbox build {spec.image}") from None
        # As root, run as nobody and hand /work over to it; otherwise the caller's own uid, which
        # already owns /work (a non-root uid either way).
        self.uid = NOBODY if os.geteuid() == 0 else os.geteuid()
        self.gid = NOBODY if os.geteuid() == 0 else os.getegid()
        self.closed = False
        self.container = self._create()
        self._finalizer = weakref.finalize(self, _remove, self.client, self.container.id)
        try:
            self.container.start()
        except self._errors.APIError as exc:
            self.close()
            raise SandboxError(f"docker could not start the sandbox: {exc}") from None

    def _create(self) -> Any:
        from docker.types import Mount

        spec = self.spec
        mounts = [Mount(WORKDIR, str(spec.workdir.resolve()), type="bind")]
        mounts += [Mount(inside, str(Path(outside).resolve()), type="bind", read_only=True)
                   for inside, outside in sorted(spec.ro_binds.items())]
        environment = dict(BASE_ENV, **spec.env)
        if spec.llm_socket is not None:
            mounts.append(Mount(LLM_SOCKET, str(spec.llm_socket.resolve()), type="bind"))
            environment["DGM_LLM_SOCKET"] = LLM_SOCKET
        labels = {LABEL: "1", OWNER: owner_label()}
        labels.update({f"dgm.{key}": value for key, value in spec.labels.items()})
        memory = f"{spec.memory_mb}m"
        try:
            return self.client.containers.create(
                self.image, ["sleep", "infinity"], init=True, user=f"{self.uid}:{self.gid}",
                network_mode="none", cap_drop=["ALL"], security_opt=["no-new-privileges"],
                read_only=True, tmpfs={"/tmp": f"rw,nosuid,nodev,mode=1777,size={memory}"},
                mem_limit=memory, memswap_limit=memory, nano_cpus=int(spec.cpus * 1e9),
                pids_limit=spec.pids, mounts=mounts, working_dir=WORKDIR,
                environment=environment, labels=labels, hostname="sandbox", detach=True)
        except self._errors.APIError as exc:
            raise SandboxError(f"docker could not create the sandbox: {exc}") from None

    # ----------------------------------------------------------------- Sandbox

    def run(self, cmd: list[str], *, timeout: float | None = None,
            env: dict[str, str] | None = None, cwd: str = WORKDIR) -> ExecResult:
        """Run one command; nothing it started is left running when this returns."""
        if self.closed:
            raise SandboxError("sandbox is closed")
        if not cmd:
            raise SandboxError("empty command")
        if self.uid != os.geteuid():
            hand_over(self.spec.workdir, self.uid, self.gid)
        try:
            return self._run(cmd, timeout or self.spec.timeout_s, env, cwd)
        except (self._errors.DockerException, RequestException) as exc:
            # The daemon failed us (it died, or refused): an infrastructure failure.
            raise SandboxError(f"docker failed while running {cmd[0]!r}: {exc}") from None

    def _start_exec(self, cmd: list[str], env: dict[str, str] | None, cwd: str) -> tuple[str, Any]:
        api = self.client.api
        for attempt in (1, 2):
            try:
                exec_id = api.exec_create(self.container.id, cmd, user=f"{self.uid}:{self.gid}",
                                          environment=env or None, workdir=cwd)["Id"]
                return exec_id, api.exec_start(exec_id, stream=True, demux=True)
            except self._errors.APIError:
                if attempt == 2:
                    raise
                self._restart()  # the container died (e.g. its init was OOM-killed): start afresh
        raise AssertionError("unreachable")

    def _run(self, cmd: list[str], limit: float, env: dict[str, str] | None,
             cwd: str) -> ExecResult:
        start = time.monotonic()
        api = self.client.api
        exec_id, frames = self._start_exec(cmd, env, cwd)
        out, err = CappedStream(self.spec.output_limit), CappedStream(self.spec.output_limit)
        reader = threading.Thread(target=_drain, args=(frames, out, err), daemon=True)
        reader.start()
        timed_out = killed = False
        poll = POLL_FIRST_S
        while reader.is_alive():
            reader.join(max(0.0, min(poll, start + limit - time.monotonic())))
            poll = min(poll * 2, POLL_MAX_S)
            if not reader.is_alive():
                break
            if time.monotonic() - start > limit:
                timed_out = killed = True
                self._restart()
            elif not api.exec_inspect(exec_id)["Running"]:
                # Exited, but something it started still holds its output: kill the leftovers.
                killed = True
                self._restart()
        reader.join()
        code = api.exec_inspect(exec_id)["ExitCode"]
        if not killed and self._leftovers():
            self._restart()
        if timed_out or code is None:
            code = -signal.SIGKILL
        return ExecResult(returncode=code, stdout=out.text(), stderr=err.text(),
                          seconds=time.monotonic() - start, timed_out=timed_out,
                          truncated=out.truncated or err.truncated)

    def _leftovers(self) -> bool:
        """Whether anything runs besides the container's init and its `sleep`."""
        try:
            return len(self.container.top()["Processes"]) > 2
        except self._errors.APIError:
            return True  # not running at all: restarting it is the fix

    def _restart(self) -> None:
        """Kill every process of the container (its pid namespace goes) and start it afresh."""
        try:
            self.container.kill()
        except self._errors.APIError:
            pass  # already stopped
        self.container.wait()
        self.container.start()

    def put(self, src: Path, dest: str) -> None:
        """Copy a host file or folder to a path under /work (a bind-mounted host folder)."""
        copy_in(self.spec, src, dest)

    def get(self, src: str, dest: Path) -> None:
        """Copy a path under /work out to the host (symlinks are copied as links, never followed)."""
        copy_out(self.spec, src, dest)

    def close(self) -> None:
        """Remove the container and everything running in it (idempotent)."""
        if not self.closed:
            self.closed = True
            self._finalizer()
            if self._own_client:
                self.client.close()

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _drain(frames: Any, out: CappedStream, err: CappedStream) -> None:
    """Read an exec's (stdout, stderr) frames to their end into the capped buffers."""
    try:
        for stdout, stderr in frames:
            if stdout:
                out.feed(stdout)
            if stderr:
                err.feed(stderr)
    except Exception:  # the connection broke (container killed): what was read is kept
        pass


def hand_over(workdir: Path, uid: int, gid: int) -> None:
    """Give the sandbox user what the host put in /work (symlinks are never followed)."""
    paths = [str(workdir)]
    for folder, dirs, files in os.walk(workdir):
        paths += [os.path.join(folder, name) for name in dirs + files]
    for path in paths:
        try:
            if os.lstat(path).st_uid != uid:
                os.chown(path, uid, gid, follow_symlinks=False)
        except FileNotFoundError:
            continue
