"""The gate's audit log: skills/gate.jsonl in the run, one fsync'd line per decision.

Every decision, admitted or not, is written with the probe, both sides' outcomes, the per-task
flips and the numbers, so a decision can be checked by hand long after the run. The file is an
event log of the archive's own format (append-only, torn tails set aside), one event per decision.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from dgm.archive.events import EventLog
from dgm.archive.result import Outcome
from dgm.errors import ArchiveCorruptError
from dgm.skills.gate import GateDecision, Probe

GATE_LOG = Path("skills") / "gate.jsonl"
DECISION = "gate_decision"


class GateRecord(BaseModel):
    """One decision of the gate on one child's skill edit."""

    child: str
    parent: str
    summary: str = ""
    skill_paths: list[str] = Field(default_factory=list, description="Paths under skills/ changed.")
    mixed: bool = Field(False, description="The child also changed code outside skills/.")
    split: str = ""
    probe: Probe = Field(default_factory=lambda: Probe(failing=[], passing=[]))
    parent_attempt: int | None = Field(None, description="First attempt number of the fresh "
                                                         "parent runs (the baseline).")
    child_attempt: int | None = None
    parent_outcomes: dict[str, Outcome] = Field(default_factory=dict)
    child_outcomes: dict[str, Outcome] = Field(default_factory=dict)
    regression_budget: int = 0
    require_significance: bool = False
    significance_level: float = 0.05
    library_problems: list[str] = Field(default_factory=list)
    decision: GateDecision
    kept: str | None = Field(None, description="The child re-committed without its skill edit.")


def gate_log_path(run: Path) -> Path:
    """Where a run keeps its gate log."""
    return Path(run) / GATE_LOG


def append_record(run: Path, record: GateRecord) -> None:
    """Append one decision to the run's gate log (fsync'd before returning)."""
    path = gate_log_path(run)
    path.parent.mkdir(exist_ok=True)
    log = EventLog(path, writable=True)
    try:
        log.append(DECISION, node=record.child, **record.model_dump(mode="json"))
    finally:
        log.close()


def read_records(run: Path) -> list[GateRecord]:
    """Every decision in the run's gate log, oldest first ([] if the gate never ran)."""
    path = gate_log_path(run)
    records = []
    for event in EventLog(path, writable=False):
        if event.kind != DECISION:
            continue
        try:
            records.append(GateRecord.model_validate(event.data))
        except ValidationError as exc:
            raise ArchiveCorruptError(f"{path}: decision #{event.seq} is not valid "
                                      f"({str(exc).splitlines()[0]})") from None
    return records
