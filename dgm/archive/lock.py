"""The writer lock of a run: one process may write a run at a time."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from dgm.errors import ArchiveLockedError

GRACE_S = 3.0


class RunLock:
    """An exclusive flock on a file in the run; the kernel releases it when the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, grace_s: float = GRACE_S) -> None:
        """Take the lock or raise ArchiveLockedError naming the holder's pid.

        A holder killed while starting a subprocess leaves the lock with that child until it
        reaches exec (where the descriptor closes): a short grace period rides that out.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + grace_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ArchiveLockedError(
                f"{self.path.parent}: run is open for writing by another process (pid {holder}); "
                "wait for it to finish or stop it, then retry. Read-only commands still work."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None
