"""Reaching a Docker-compatible daemon, starting a private one, and sweeping dgm's containers.

The docker backend talks to whatever DOCKER_HOST names: the system daemon, a Podman socket or a
private dockerd. A private dockerd is started with the flags that leave the host's networking
alone (no iptables rules, no bridge, no ip_forward change); sandboxes only use `--network none`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from dgm.sandbox.base import SandboxError

LABEL = "dgm.sandbox"          # every container dgm creates carries it
OWNER = "dgm.owner"            # boot id, pid and start time of the process that owns it
SDK_HINT = "pip install 'dgm[docker]'"
PRIVATE_FLAGS = ["--iptables=false", "--bridge=none", "--ip-forward=false", "--ip-masq=false"]
DAEMON_HINT = (
    "start one: the system daemon (systemctl start docker), a Podman socket "
    "(podman system service, then DOCKER_HOST=unix:///run/podman/podman.sock), or a private "
    "dockerd as root: dockerd --host=unix://DIR/docker.sock --data-root=DIR/data "
    "--exec-root=DIR/exec --pidfile=DIR/dockerd.pid " + " ".join(PRIVATE_FLAGS) +
    " and DOCKER_HOST=unix://DIR/docker.sock")


def sdk() -> Any:
    """The docker SDK module, or a SandboxError naming the extra that installs it."""
    try:
        import docker
    except ImportError:
        raise SandboxError(f"the docker backend needs the docker SDK: {SDK_HINT}") from None
    return docker


def connect(base_url: str | None = None) -> Any:
    """A docker SDK client for DOCKER_HOST (or base_url) whose daemon answers, or a SandboxError."""
    docker = sdk()
    where = base_url or os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        client = (docker.DockerClient(base_url=base_url, timeout=120) if base_url
                  else docker.from_env(timeout=120))
        client.ping()
    except docker.errors.DockerException as exc:
        raise SandboxError(f"no Docker daemon answers at {where} ({exc}); {DAEMON_HINT}") from None
    return client


# --------------------------------------------------------------------------- owners and sweep

def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: start time in clock ticks since boot


def owner_label(pid: int | None = None) -> str:
    """Identifies the calling process across pid reuse: boot id, pid, start time."""
    pid = os.getpid() if pid is None else pid
    return f"{_boot_id()}/{pid}/{_start_time(pid)}"


def owner_alive(owner: str) -> bool | None:
    """Whether the owning process still runs; None when it ran on another machine or boot."""
    parts = owner.split("/")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    boot, pid, started = parts
    if boot != _boot_id():
        return None
    return _start_time(int(pid)) == started


def sweep_containers(client: Any) -> int:
    """Remove dgm's containers whose owner died (or, from an earlier boot, that are stopped)."""
    removed = 0
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        alive = owner_alive(container.labels.get(OWNER, ""))
        if alive or (alive is None and container.status == "running"):
            continue
        try:
            container.remove(force=True)
            removed += 1
        except sdk().errors.NotFound:
            pass
    return removed


# --------------------------------------------------------------------------- private daemon

class PrivateDockerd:
    """A dockerd of our own, its state in one folder; host networking untouched. Needs root."""

    def __init__(self, folder: Path | None = None) -> None:
        # Unix socket paths are limited to 108 bytes: keep the folder short.
        self.folder = Path(folder or tempfile.mkdtemp(prefix="dgm-dockerd-"))
        self.socket = self.folder / "docker.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.driver = ""

    @property
    def url(self) -> str:
        """The DOCKER_HOST value that reaches this daemon."""
        return f"unix://{self.socket}"

    @staticmethod
    def unavailable() -> str | None:
        """Why a private dockerd cannot run here, or None."""
        if shutil.which("dockerd") is None:
            return "dockerd is not installed (apt-get install -y docker.io)"
        if os.geteuid() != 0:
            return "a private dockerd needs root"
        return None

    def start(self, timeout: float = 60.0) -> str:
        """Start the daemon (overlay2, else vfs where overlay cannot stack); return its URL."""
        reason = self.unavailable()
        if reason:
            raise SandboxError(reason)
        errors = []
        for driver in ("overlay2", "vfs"):
            if self._try(driver, timeout):
                self.driver = driver
                return self.url
            errors.append(f"{driver}: {self.log_tail()}")
        raise SandboxError("private dockerd did not start: " + " | ".join(errors))

    def _try(self, driver: str, timeout: float) -> bool:
        log = (self.folder / f"dockerd-{driver}.log").open("wb")
        self.process = subprocess.Popen(
            ["dockerd", f"--host={self.url}", f"--data-root={self.folder / 'data'}",
             f"--exec-root={self.folder / 'exec'}", f"--pidfile={self.folder / 'dockerd.pid'}",
             f"--storage-driver={driver}", *PRIVATE_FLAGS],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._log = self.folder / f"dockerd-{driver}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if self._answers():
                return True
            time.sleep(0.1)
        self.stop()
        return False

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            with socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(2)
                conn.connect(str(self.socket))
                conn.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return b" 200 " in conn.recv(64)
        except OSError:
            return False

    def log_tail(self) -> str:
        """The end of the daemon's log (why it failed)."""
        try:
            return self._log.read_text(errors="replace")[-600:].strip()
        except (AttributeError, OSError):
            return ""

    def stop(self) -> None:
        """Stop the daemon (it stops its containers and containerd with it)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def remove(self) -> None:
        """Stop the daemon and delete its folder (images and containers included)."""
        self.stop()
        subprocess.run(["umount", "-R", "-l", str(self.folder / "exec")], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PrivateDockerd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
