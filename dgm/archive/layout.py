"""Positions for drawing a lineage: x by generation, y by a tidy leaf order (parents centred)."""

from __future__ import annotations

import networkx as nx


def tree_positions(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """(generation, row) of every node; siblings in creation order; no recursion (deep runs)."""
    positions: dict[str, tuple[float, float]] = {}
    next_row = 0.0
    roots = sorted(
        (n for n in graph.nodes if graph.in_degree(n) == 0),
        key=lambda n: graph.nodes[n]["node"].created_at,
    )
    for root in roots:
        # Iterative post-order: a node is placed after all its children.
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            node_id, children_done = stack.pop()
            children = sorted(graph.successors(node_id),
                              key=lambda c: graph.nodes[c]["node"].created_at)
            generation = graph.nodes[node_id]["node"].generation
            if not children:
                positions[node_id] = (generation, next_row)
                next_row += 1
            elif children_done:
                rows = [positions[c][1] for c in children]
                positions[node_id] = (generation, (min(rows) + max(rows)) / 2)
            else:
                stack.append((node_id, True))
                stack.extend((c, False) for c in reversed(children))
        next_row += 1  # a gap between separate trees
    return positions
