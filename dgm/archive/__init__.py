"""The run archive: agents as git commits, their metadata, results, events and lineage."""

from dgm.archive.events import Event, EventLog
from dgm.archive.flips import Flip, Flips, classify, compare
from dgm.archive.lineage import CladeStats, build_lineage, clade_stats, clade_stats_all
from dgm.archive.node import Cost, Node, NodeStatus, Proposal, Score, score_key
from dgm.archive.result import Outcome, TaskRecord, TaskResult
from dgm.archive.run import Archive, ArchiveMeta

__all__ = [
    "Archive", "ArchiveMeta", "CladeStats", "Cost", "Event", "EventLog", "Flip", "Flips", "Node",
    "NodeStatus", "classify", "compare",
    "Outcome", "Proposal", "Score", "TaskRecord", "TaskResult", "build_lineage", "clade_stats",
    "clade_stats_all", "score_key",
]
