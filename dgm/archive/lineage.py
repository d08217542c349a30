"""The lineage graph (derived from node metadata, never stored) and clade statistics."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
from pydantic import BaseModel

from dgm.archive.node import Node


class CladeStats(BaseModel):
    """Outcome counts pooled over a node and all its descendants (HGM's clade view)."""

    root: str
    size: int
    depth: int
    passed: int
    failed: int
    best_node: str | None
    best_score: float | None

    @property
    def pass_rate(self) -> float:
        """Pooled pass rate of the clade; 0.0 when nothing was graded."""
        graded = self.passed + self.failed
        return self.passed / graded if graded else 0.0


def build_lineage(nodes: Iterable[Node]) -> nx.DiGraph:
    """A DiGraph with an edge parent -> child and each Node under the attribute 'node'."""
    graph = nx.DiGraph()
    nodes = list(nodes)
    for node in nodes:
        graph.add_node(node.id, node=node)
    for node in nodes:
        if node.parent_id is not None:
            if node.parent_id not in graph:
                raise ValueError(f"node {node.id}: parent {node.parent_id} is not in the archive")
            graph.add_edge(node.parent_id, node.id)
    return graph


def _counts(node: Node, key: str | None) -> tuple[int, int]:
    if key is not None:
        score = node.scores.get(key)
        return (score.passed, score.failed) if score else (0, 0)
    return (
        sum(s.passed for s in node.scores.values()),
        sum(s.failed for s in node.scores.values()),
    )


def clade_stats_all(graph: nx.DiGraph, key: str | None = None) -> dict[str, CladeStats]:
    """Clade statistics of every node in one post-order pass (linear in the archive size)."""
    stats: dict[str, CladeStats] = {}
    roots = [n for n in graph.nodes if graph.in_degree(n) == 0]
    for root in roots:
        for node_id in nx.dfs_postorder_nodes(graph, root):
            node: Node = graph.nodes[node_id]["node"]
            passed, failed = _counts(node, key)
            size, depth = 1, 0
            own = node.score(key) if key is not None else None
            best_node, best_score = (node_id, own) if own is not None else (None, None)
            for child in graph.successors(node_id):
                sub = stats[child]
                passed += sub.passed
                failed += sub.failed
                size += sub.size
                depth = max(depth, sub.depth + 1)
                if sub.best_score is not None and (best_score is None or sub.best_score > best_score):
                    best_node, best_score = sub.best_node, sub.best_score
            stats[node_id] = CladeStats(
                root=node_id, size=size, depth=depth, passed=passed, failed=failed,
                best_node=best_node, best_score=best_score,
            )
    return stats


def clade_stats(graph: nx.DiGraph, node_id: str, key: str | None = None) -> CladeStats:
    """Clade statistics of one node's subtree."""
    sub = graph.subgraph(nx.descendants(graph, node_id) | {node_id})
    return clade_stats_all(sub, key)[node_id]
