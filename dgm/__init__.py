"""dgm: evolve coding agents in an archive of git commits, judged in sandboxes on benchmarks."""

from dgm._version import __version__
from dgm.archive import Archive, Cost, Node, NodeStatus, Outcome, Proposal, Score, TaskResult
from dgm.config import RunConfig, load_config
from dgm.errors import DgmError

__all__ = [
    "Archive", "Cost", "DgmError", "Node", "NodeStatus", "Outcome", "Proposal", "RunConfig",
    "Score", "TaskResult", "__version__", "load_config",
]
