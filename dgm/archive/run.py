"""Archive: one run on disk (agents.git, nodes/, results/, events.jsonl, config.toml)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from dgm._version import __version__
from dgm.archive.events import Event, EventLog
from dgm.archive.fsutil import atomic_write_text, is_temp_file, sweep_temp_files
from dgm.archive.flips import Flips, compare
from dgm.archive.gitstore import GitStore
from dgm.archive.lineage import CladeStats, build_lineage, clade_stats
from dgm.archive.lock import RunLock
from dgm.archive.node import Cost, Node, NodeStatus, Proposal
from dgm.archive.result import TaskRecord, TaskResult
from dgm.archive.schema import SCHEMA_VERSION, parse_record, read_record, write_record
from dgm.config import RunConfig, dump_config, parse_config
from dgm.errors import ArchiveCorruptError, ArchiveError, ArchiveNotFoundError, NodeNotFoundError

META_FILE = "archive.json"
CONFIG_FILE = "config.toml"
EVENTS_FILE = "events.jsonl"
GIT_DIR = "agents.git"
LOCK_FILE = ".lock"
TMP_DIR = ".tmp"  # temp files of atomic writes; swept when a writer opens the run


class ArchiveMeta(BaseModel):
    """archive.json: marks a directory as a dgm run and records its schema."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    format: str = "dgm-archive"
    name: str
    created_at: datetime
    dgm_version: str


def task_file_name(task_id: str) -> str:
    """A file-name-safe, reversible encoding of a task id (ids may hold '/')."""
    return quote(task_id, safe="-_.@+=") or "%00"


class Archive:
    """A run archive; open it writable (exclusive) to change it, read-only to inspect it."""

    def __init__(self, path: Path, *, writable: bool, _lock: RunLock | None = None) -> None:
        self.path = Path(path)
        self.writable = writable
        meta_path = self.path / META_FILE
        if not meta_path.is_file():
            raise ArchiveNotFoundError(
                f"{self.path}: no dgm run archive here ({META_FILE} missing)"
            )
        self._lock = _lock
        if writable and self._lock is None:
            self._lock = RunLock(self.path / LOCK_FILE)
            self._lock.acquire()
        try:
            self.meta = read_record(meta_path, ArchiveMeta)
            self.git = GitStore(self.path / GIT_DIR)
            self.events = EventLog(self.path / EVENTS_FILE, writable=writable)
        except BaseException:
            if self._lock:
                self._lock.release()
            raise
        self._tmp = self.path / TMP_DIR
        if writable:
            self._tmp.mkdir(exist_ok=True)
            sweep_temp_files(self._tmp)
        self._nodes: dict[str, Node] | None = None
        self._config: RunConfig | None = None

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def create(cls, path: Path, config: RunConfig | None = None) -> Archive:
        """Create a new run directory and return it open for writing."""
        path = Path(path)
        if (path / META_FILE).exists():
            raise ArchiveError(f"{path}: a run already exists here (use `dgm resume`)")
        if path.exists() and any(
            p.name not in _CREATE_FILES and not is_temp_file(p) for p in path.iterdir()
        ):
            raise ArchiveError(f"{path}: directory exists and is not a dgm run; choose another name")
        config = config or RunConfig()
        path.mkdir(parents=True, exist_ok=True)
        lock = RunLock(path / LOCK_FILE)
        lock.acquire()
        try:
            cls._initialise(path, config)
            archive = cls(path, writable=True, _lock=lock)
        except BaseException:
            lock.release()
            raise
        archive.events.append("run_created", dgm_version=__version__)
        return archive

    @staticmethod
    def _initialise(path: Path, config: RunConfig) -> None:
        for sub in ("nodes", "results"):
            (path / sub).mkdir(exist_ok=True)
        GitStore.init(path / GIT_DIR)
        (path / EVENTS_FILE).touch()
        atomic_write_text(path / CONFIG_FILE, dump_config(config))
        # archive.json last: until it exists the directory is not a run, so a crash mid-create
        # leaves something `create` can finish, never a half-run that `open` accepts.
        meta = ArchiveMeta(
            name=path.name, created_at=datetime.now(UTC), dgm_version=__version__
        )
        write_record(path / META_FILE, meta)

    @classmethod
    def open(cls, path: Path, *, writable: bool = False) -> Archive:
        """Open an existing run; writable takes the run's lock or fails with a clear error."""
        return cls(path, writable=writable)

    def close(self) -> None:
        """Release the lock and file handles."""
        self.events.close()
        if self._lock:
            self._lock.release()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _require_writable(self) -> None:
        if not self.writable:
            raise ArchiveError(f"{self.path}: archive is open read-only")

    @property
    def name(self) -> str:
        """The run's name."""
        return self.meta.name

    @property
    def config(self) -> RunConfig:
        """The run's frozen configuration (config.toml)."""
        if self._config is None:
            import tomllib

            path = self.path / CONFIG_FILE
            try:
                text = path.read_text(encoding="utf-8")
                data = tomllib.loads(text)
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ArchiveCorruptError(f"{path}: unreadable frozen config ({exc})") from None
            self._config = parse_config(data, source=str(path), text=text)
        return self._config

    def change_budget(self, **limits: float | int | None) -> dict[str, tuple[object, object]]:
        """Raise or lower budget limits in the frozen config (the one setting a run may change
        between sessions); return {limit: (old, new)} for what changed, also logged as an event."""
        self._require_writable()
        config = self.config
        changed = {key: (getattr(config.budget, key), value) for key, value in limits.items()
                   if getattr(config.budget, key) != value}
        if changed:
            budget = config.budget.model_validate(
                {**config.budget.model_dump(), **{k: new for k, (_, new) in changed.items()}})
            updated = config.model_copy(update={"budget": budget})
            atomic_write_text(self.path / CONFIG_FILE, dump_config(updated))
            self._config = updated
            self.events.append("budget_changed", **{k: {"old": old, "new": new}
                                                   for k, (old, new) in changed.items()})
        return changed

    # ----------------------------------------------------------------- nodes

    def _load_nodes(self) -> dict[str, Node]:
        if self._nodes is None:
            nodes = []
            # os.scandir and plain strings: with 10,000 nodes pathlib's overhead dominated.
            with os.scandir(self.path / "nodes") as entries:
                for entry in entries:
                    if not entry.name.endswith(".json"):
                        continue
                    with open(entry.path, "rb") as handle:
                        node = parse_record(handle.read(), Node, entry.path)
                    if node.id != entry.name[:-5]:
                        raise ArchiveCorruptError(f"{entry.path}: holds node {node.id}, not {entry.name}")
                    nodes.append(node)
            nodes.sort(key=lambda n: (n.created_at.timestamp(), n.id))
            self._nodes = {node.id: node for node in nodes}
        return self._nodes

    def reload(self) -> None:
        """Forget cached nodes and config (for readers following a live run)."""
        self._nodes = None
        self._config = None

    def nodes(self) -> list[Node]:
        """Every node, oldest first."""
        return list(self._load_nodes().values())

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes())

    def __len__(self) -> int:
        return len(self._load_nodes())

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._load_nodes()

    def node(self, node_id: str) -> Node:
        """The node with this id (a unique prefix of it is accepted)."""
        nodes = self._load_nodes()
        if node_id in nodes:
            return nodes[node_id]
        matches = [n for key, n in nodes.items() if key.startswith(node_id)] if node_id else []
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise NodeNotFoundError(f"node id {node_id!r} is ambiguous in {self.path}")
        raise NodeNotFoundError(f"no node {node_id!r} in {self.path}")

    @property
    def root(self) -> Node | None:
        """The root node (the seed agent), if added."""
        for node in self._load_nodes().values():
            if node.parent_id is None:
                return node
        return None

    def save_node(self, node: Node) -> None:
        """Write a node's metadata (atomic) and log the change."""
        self._require_writable()
        nodes = self._load_nodes()
        if node.id not in nodes:
            raise NodeNotFoundError(f"no node {node.id!r} in {self.path}; create it with add_*")
        self._write_node(node)
        self.events.append("node_updated", node=node.id, status=str(node.status))

    def _write_node(self, node: Node) -> None:
        write_record(self.path / "nodes" / f"{node.id}.json", node, self._tmp)
        self._load_nodes()[node.id] = node

    def add_root(self, tree: Path, *, proposal: Proposal | None = None) -> Node:
        """Add the root node from a directory tree (usually the seed agent)."""
        self._require_writable()
        if self.root is not None:
            raise ArchiveError(f"{self.path}: already has a root node ({self.root.id})")
        proposal = proposal or Proposal(summary="seed agent", mode="seed")
        return self._add(parent=None, proposal=proposal, tree=Path(tree), patch=None)

    def add_child(
        self,
        parent_id: str,
        *,
        patch: str | None = None,
        tree: Path | None = None,
        proposal: Proposal | None = None,
    ) -> Node:
        """Add a child of a node from a patch against the parent, or from a whole tree."""
        self._require_writable()
        if (patch is None) == (tree is None):
            raise ValueError("give exactly one of patch= or tree=")
        parent = self.node(parent_id)
        return self._add(
            parent=parent, proposal=proposal or Proposal(), tree=tree, patch=patch
        )

    def _add(
        self, *, parent: Node | None, proposal: Proposal, tree: Path | None, patch: str | None
    ) -> Node:
        when = datetime.now(UTC)
        # The nonce keeps two identical edits of one parent distinct nodes (distinct commits).
        message = (
            f"{proposal.summary or 'dgm node'}\n\n"
            f"dgm-mode: {proposal.mode or '-'}\ndgm-nonce: {secrets.token_hex(8)}\n"
        )
        self.events.append("node_adding", node=parent.id if parent else None)
        if patch is not None:
            assert parent is not None
            sha = self.git.commit_patch(parent.commit, patch, message=message, when=when)
        else:
            assert tree is not None
            parent_sha = parent.commit if parent else None
            sha = self.git.commit_dir(tree, parent=parent_sha, message=message, when=when)
        node_id = self.git.short_id(sha, set(self._load_nodes()))
        node = Node(
            id=node_id,
            commit=sha,
            parent_id=parent.id if parent else None,
            generation=parent.generation + 1 if parent else 0,
            created_at=when,
            proposal=proposal,
        )
        # Order matters for crash safety: commit, then ref, then metadata. A crash before the
        # metadata leaves only an unreferenced ref, which `open` ignores; never a node without code.
        self.git.set_node_ref(node_id, sha)
        self._write_node(node)
        self.events.append("node_added", node=node_id, parent=node.parent_id)
        return node

    def set_status(
        self,
        node_id: str,
        status: NodeStatus,
        *,
        reason: str | None = None,
        **updates: Any,
    ) -> Node:
        """Change a node's status (and other fields such as scores or cost)."""
        node = self.node(node_id).model_copy(update={"status": status, "reason": reason, **updates})
        node = Node.model_validate(node.model_dump())
        self.save_node(node)
        return node

    def add_cost(self, node_id: str, cost: Cost) -> Node:
        """Add spending to a node's cost."""
        node = self.node(node_id)
        node = node.model_copy(update={"cost": node.cost + cost})
        self.save_node(node)
        return node

    # ----------------------------------------------------------------- code

    def checkout(self, node_id: str, dest: Path) -> Path:
        """Write a node's code into dest (a new or empty directory)."""
        return self.git.checkout(self.node(node_id).commit, Path(dest))

    def diff(self, a: str, b: str) -> str:
        """Unified diff of the code from node a to node b."""
        return self.git.diff(self.node(a).commit, self.node(b).commit)

    def patch(self, node_id: str) -> str:
        """The change a node made to its parent ('' for the root)."""
        node = self.node(node_id)
        return self.diff(node.parent_id, node.id) if node.parent_id else ""

    def orphan_refs(self) -> list[str]:
        """Node refs with no metadata: left by a crash between commit and metadata write."""
        return sorted(set(self.git.node_refs()) - set(self._load_nodes()))

    # ----------------------------------------------------------------- results

    def _record_path(self, node_id: str, task_id: str) -> Path:
        return self.path / "results" / node_id / f"{task_file_name(task_id)}.json"

    def write_result(self, result: TaskResult) -> None:
        """Store one attempt of a node on a task (replacing an attempt of the same number)."""
        self._require_writable()
        if result.node_id not in self._load_nodes():
            raise NodeNotFoundError(f"result for unknown node {result.node_id!r}")
        path = self._record_path(result.node_id, result.task_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = (
            read_record(path, TaskRecord)
            if path.exists()
            else TaskRecord(node_id=result.node_id, task_id=result.task_id)
        )
        record.upsert(result)
        write_record(path, record, self._tmp)
        self.events.append(
            "result", node=result.node_id, task=result.task_id, attempt=result.attempt,
            outcome=str(result.outcome),
        )

    def task_record(self, node_id: str, task_id: str) -> TaskRecord | None:
        """Every attempt of a node on one task, or None."""
        path = self._record_path(self.node(node_id).id, task_id)
        return read_record(path, TaskRecord) if path.exists() else None

    def task_records(self, node_id: str) -> dict[str, TaskRecord]:
        """Every task a node ran: task id -> its attempts."""
        folder = self.path / "results" / self.node(node_id).id
        if not folder.is_dir():
            return {}
        records = {}
        for file in sorted(folder.glob("*.json")):
            record = read_record(file, TaskRecord)
            if unquote(file.stem) != record.task_id:
                raise ArchiveCorruptError(f"{file}: holds task {record.task_id!r}")
            records[record.task_id] = record
        return records

    def results(self, node_id: str) -> list[TaskResult]:
        """The latest attempt of each task a node ran."""
        return [r.latest for r in self.task_records(node_id).values() if r.latest is not None]

    def log_path(self, node_id: str, task_id: str, attempt: int, name: str) -> Path:
        """Where to write a log of one attempt; the folder is created."""
        folder = self.path / "results" / self.node(node_id).id / "logs" / task_file_name(task_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{attempt}-{name}.log"

    def llm_log_path(self, node_id: str) -> Path:
        """Where the LLM proxy logs a node's requests and replies (JSONL; folder created)."""
        folder = self.path / "results" / self.node(node_id).id
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "llm.jsonl"

    # ----------------------------------------------------------------- views

    def flips(self, a: str, b: str) -> Flips:
        """Per-task flips from node a to node b over the tasks both ran (latest attempts)."""
        first, second = self.node(a).id, self.node(b).id
        return compare(first, self.results(first), second, self.results(second))

    def lineage(self) -> nx.DiGraph:
        """The lineage DiGraph (parent -> child; attribute 'node')."""
        try:
            return build_lineage(self.nodes())
        except ValueError as exc:
            raise ArchiveCorruptError(f"{self.path}: {exc}") from None

    def clade(self, node_id: str, key: str | None = None) -> CladeStats:
        """Pooled outcome counts over a node's subtree."""
        return clade_stats(self.lineage(), self.node(node_id).id, key)

    def primary_key(self) -> str:
        """The score key selection uses: the configured benchmark's training split."""
        bench = self.config.benchmark
        return f"{bench.name}:{bench.train_split}"

    def best(self, key: str | None = None) -> Node | None:
        """The evaluated node with the highest score on key (ties: the older node)."""
        key = key or self.primary_key()
        scored = [n for n in self.nodes() if n.score(key) is not None]
        return max(scored, key=lambda n: (n.score(key), -n.created_at.timestamp()), default=None)

    def spend(self) -> Cost:
        """Total cost over all nodes."""
        total = Cost()
        for node in self.nodes():
            total = total + node.cost
        return total

    def last_event(self) -> Event | None:
        """The newest event of the run."""
        return self.events.last()


_CREATE_FILES = {"nodes", "results", GIT_DIR, EVENTS_FILE, CONFIG_FILE, LOCK_FILE, TMP_DIR}
