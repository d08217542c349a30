"""Crash-safe file writes: a reader sees the old content or the new, never a torn file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_MARK = ".tmp-"


def atomic_write_bytes(path: Path, data: bytes, tmp_dir: Path | None = None) -> None:
    """Write data to path through a fsync'd temp file and a rename, then fsync the directory.

    tmp_dir (same file system) collects the temp files, so leftovers of a crash are swept from
    one place instead of a walk over the whole tree.
    """
    path = Path(path)
    name = f".{path.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    tmp = (Path(tmp_dir) / name) if tmp_dir is not None else path.with_name(name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, tmp_dir: Path | None = None) -> None:
    """Text (UTF-8) variant of atomic_write_bytes."""
    atomic_write_bytes(path, text.encode("utf-8"), tmp_dir)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in directory path durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_temp_file(path: Path) -> bool:
    """True for a leftover temp file of an interrupted atomic write."""
    return path.name.startswith(".") and TMP_MARK in path.name


def sweep_temp_files(directory: Path) -> int:
    """Remove leftovers of interrupted atomic writes in directory; return how many."""
    removed = 0
    for leftover in Path(directory).glob(f".*{TMP_MARK}*"):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed
