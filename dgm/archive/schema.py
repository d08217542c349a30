"""Versioned JSON records of the archive: reading them fails clearly, naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from dgm.archive.fsutil import atomic_write_text
from dgm.errors import ArchiveCorruptError, ArchiveSchemaError

SCHEMA_VERSION = 1

M = TypeVar("M", bound=BaseModel)


def check_schema(version: object, where: str) -> None:
    """Refuse records from a newer dgm; the file is left untouched."""
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise ArchiveSchemaError(
            f"{where}: written by a newer dgm (schema {version}; this dgm reads up to "
            f"{SCHEMA_VERSION}). Upgrade dgm to open this run; nothing was changed."
        )


def parse_record(data: bytes, model: type[M], where: str) -> M:
    """Validate one JSON record of the archive, with errors that name where it came from."""
    try:
        # Fast path: records cap schema_version, so a newer record never validates here.
        return model.model_validate_json(data)
    except ValidationError:
        pass  # fall through to the slow path, which explains what is wrong
    try:
        raw = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveCorruptError(f"{where}: not valid JSON ({exc}); the file is corrupt") from None
    if not isinstance(raw, dict):
        raise ArchiveCorruptError(f"{where}: expected a JSON object, found {type(raw).__name__}")
    check_schema(raw.get("schema_version"), where)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<record>"
        raise ArchiveCorruptError(
            f"{where}: invalid record: {loc}: {first['msg']} ({exc.error_count()} error(s))"
        ) from None


def read_record(path: Path, model: type[M]) -> M:
    """Read and validate a JSON record file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ArchiveCorruptError(f"{path}: missing") from None
    return parse_record(data, model, str(path))


def write_record(path: Path, record: BaseModel, tmp_dir: Path | None = None) -> None:
    """Write a record atomically as indented JSON."""
    atomic_write_text(path, record.model_dump_json(indent=2) + "\n", tmp_dir)
