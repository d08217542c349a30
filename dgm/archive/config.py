"""Configuration of where run archives live."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from dgm._model import ConfigModel

RUN_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class ArchiveConfig(ConfigModel):
    """Where a run's archive is written."""

    root: Path = Field(
        Path("archive"),
        description="Parent folder of run archives; a run lives in <root>/<name>/.",
    )
    name: str | None = Field(
        None,
        pattern=RUN_NAME_PATTERN,
        description="Run name (letters, digits, '.', '_', '-'). Unset: run-<UTC date>-<time>.",
    )
