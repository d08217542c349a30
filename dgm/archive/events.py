"""The run's append-only event log (events.jsonl): each line fsync'd before append returns."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dgm.archive.fsutil import atomic_write_bytes
from dgm.archive.schema import check_schema
from dgm.errors import ArchiveCorruptError

_TAIL_CHUNK = 64 * 1024


class Event(BaseModel):
    """One line of events.jsonl."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1)
    ts: datetime
    kind: str = Field(min_length=1)
    node: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class EventLog:
    """Appends and reads events; a torn last line (crash mid-append) is set aside, not parsed."""

    def __init__(self, path: Path, *, writable: bool) -> None:
        self.path = Path(path)
        self.writable = writable
        self._fd: int | None = None
        self._seq = 0
        if writable:
            self._recover_torn_tail()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            last = self.last()
            self._seq = last.seq if last else 0

    def close(self) -> None:
        """Close the append handle."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def append(self, kind: str, node: str | None = None, **data: Any) -> Event:
        """Write one event and fsync it; returns the event with its sequence number."""
        if self._fd is None:
            raise RuntimeError("event log is open read-only")
        event = Event(seq=self._seq + 1, ts=datetime.now(UTC), kind=kind, node=node, data=data)
        line = event.model_dump_json() + "\n"
        os.write(self._fd, line.encode("utf-8"))
        os.fsync(self._fd)
        self._seq = event.seq
        return event

    def __iter__(self) -> Iterator[Event]:
        """Every complete event in order; a corrupt complete line is an error naming its line."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    return  # torn tail of a crashed append: never acknowledged, so not an event
                if raw.strip():
                    yield self._parse(raw, number)

    def last(self, count: int = 1) -> Event | None:
        """The newest complete event (reads only the file's tail)."""
        found = self.tail(count)
        return found[-1] if found else None

    def tail(self, count: int) -> list[Event]:
        """The newest `count` complete events, oldest first, reading from the end of the file."""
        if not self.path.exists() or count <= 0:
            return []
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            block = b""
            position = size
            while position > 0 and block.count(b"\n") <= count:
                step = min(_TAIL_CHUNK, position)
                position -= step
                handle.seek(position)
                block = handle.read(step) + block
        end = block.rfind(b"\n")
        if end < 0:
            return []
        lines = block[: end + 1].split(b"\n")[:-1]
        if position > 0:
            lines = lines[1:]  # first piece may be a partial line
        wanted = [line for line in lines if line.strip()][-count:]
        return [self._parse(line + b"\n", None) for line in wanted]

    def _parse(self, raw: bytes, number: int | None) -> Event:
        where = f"{self.path}:{number}" if number else f"{self.path} (near the end)"
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                check_schema(data.get("schema_version"), where)
            return Event.model_validate(data)
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
            raise ArchiveCorruptError(f"{where}: corrupt event line ({exc})") from None

    def _recover_torn_tail(self) -> None:
        """Move an unterminated last line to a side file so appends start on a fresh line."""
        if not self.path.exists():
            return
        with self.path.open("rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(max(0, size - _TAIL_CHUNK))
            block = handle.read()
            if block.endswith(b"\n"):
                return
            cut = block.rfind(b"\n")
            keep = size - len(block) + cut + 1 if cut >= 0 else (0 if size <= _TAIL_CHUNK else None)
            if keep is None:
                raise ArchiveCorruptError(f"{self.path}: last line is over {_TAIL_CHUNK} bytes")
            handle.seek(keep)
            torn = handle.read()
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            atomic_write_bytes(self.path.with_name(f"{self.path.name}.torn-{stamp}"), torn)
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
