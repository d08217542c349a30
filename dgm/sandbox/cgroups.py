"""Per-sandbox control groups: memory, pids and CPU limits, and killing everything inside.

cgroup v1 (one hierarchy per controller) and v2 (unified) are both handled. Creating groups needs
root (or a delegated hierarchy); when that is not possible the caller falls back to rlimits.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "dgm"
V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


class Cgroup:
    """One sandbox's group(s); `prefix` is a shell command that moves a process into them."""

    def __init__(self, paths: list[Path], unified: bool) -> None:
        self.paths = paths
        self.unified = unified

    @classmethod
    def create(cls, name: str, *, memory_mb: int, pids: int, cpus: float,
               root: Path = ROOT) -> Cgroup | None:
        """Make the group with its limits, or None when cgroups cannot be used here."""
        # The owner's pid is part of the name, so a sweep can tell a dead owner's group apart from
        # a live sandbox that is merely between commands (and so, empty).
        name = f"{name}-{os.getpid()}-{secrets.token_hex(4)}"
        unified = (root / "cgroup.controllers").is_file()
        paths = [root / PARENT / name] if unified else [
            root / ctrl / PARENT / name for ctrl in V1_CONTROLLERS]
        group = cls(paths, unified)
        memory = str(memory_mb * 1024 * 1024)
        quota = str(int(cpus * CPU_PERIOD_US))
        try:
            if unified:
                parent = root / PARENT
                parent.mkdir(exist_ok=True)
                (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
                paths[0].mkdir()
                _write(paths[0], {"memory.max": memory, "memory.swap.max": "0",
                                  "pids.max": str(pids), "cpu.max": f"{quota} {CPU_PERIOD_US}"})
            else:
                for path in paths:
                    path.mkdir(parents=True)
                _write(paths[0], {"memory.limit_in_bytes": memory})
                _write(paths[1], {"pids.max": str(pids)})
                _write(paths[2], {"cpu.cfs_period_us": str(CPU_PERIOD_US),
                                  "cpu.cfs_quota_us": quota})
        except OSError:
            group.remove()
            return None
        return group

    def prefix(self) -> list[str]:
        """`sh -c` that joins the group(s), then execs the rest of the command line."""
        joins = "; ".join(f"echo $$ > {p}/cgroup.procs" for p in self.paths)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "dgm-cgroup"]

    def pids(self) -> list[int]:
        """Processes in the group."""
        found: set[int] = set()
        for path in self.paths:
            try:
                found |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
            except OSError:
                continue
        return sorted(found)

    def kill_all(self, _pid: int | None = None) -> None:
        """SIGKILL every process in the group until it is empty (new forks included)."""
        if self.unified and (self.paths[0] / "cgroup.kill").exists():
            try:
                (self.paths[0] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        # Killed processes leave the group within a millisecond or two: poll fast at first
        # (every sandboxed command ends here), for up to a second in all.
        delay, deadline = 0.0005, time.monotonic() + 1.0
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(delay)
            delay = min(delay * 2, 0.01)

    def oom_killed(self) -> bool:
        """Whether the kernel killed something here for exceeding the memory limit."""
        try:
            if self.unified:
                events = (self.paths[0] / "memory.events").read_text()
                return any(line.startswith("oom_kill ") and line.split()[1] != "0"
                           for line in events.splitlines())
            return int((self.paths[0] / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError, IndexError):
            return False

    def remove(self) -> None:
        """Kill what is left and delete the group(s)."""
        self.kill_all()
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass


def _owner_alive(group: Path) -> bool:
    parts = group.name.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(root: Path = ROOT) -> int:
    """Remove groups left by sandboxes whose owning process died; return how many."""
    parents = [root / PARENT] if (root / "cgroup.controllers").is_file() else [
        root / ctrl / PARENT for ctrl in V1_CONTROLLERS]
    removed = 0
    for parent in parents:
        if not parent.is_dir():
            continue
        for group in parent.iterdir():
            if not group.is_dir() or _owner_alive(group):
                continue
            Cgroup([group], unified=parent.parent == root).kill_all()
            try:
                group.rmdir()
                removed += 1
            except OSError:
                continue
    return removed


def _write(path: Path, values: dict[str, str]) -> None:
    for name, value in values.items():
        (path / name).write_text(value)
