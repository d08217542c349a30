"""Parent selection: one small class per strategy behind one `choose(archive, k)` interface.

Only evaluated nodes with a score on the archive's primary key (the training split) can be
parents. Draws are with replacement, as in DGM: a strong parent may be expanded twice.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from dgm.archive.lineage import build_lineage, clade_stats_all
from dgm.archive.node import Node, NodeStatus
from dgm.controller.config import SelectionConfig


class ArchiveView(Protocol):
    """What selection reads from an archive."""

    def nodes(self) -> list[Node]: ...

    def primary_key(self) -> str: ...


class Selector(Protocol):
    """A parent-selection strategy."""

    name: str

    def choose(self, archive: ArchiveView, k: int) -> list[Node]: ...


class NoEligibleParentError(RuntimeError):
    """No evaluated, scored node to select from."""


def eligible(nodes: Sequence[Node], key: str) -> list[Node]:
    """Nodes that may be parents: evaluated and scored on key."""
    found = [n for n in nodes if n.status == NodeStatus.evaluated and n.score(key) is not None]
    if not found:
        raise NoEligibleParentError(f"no evaluated node has a score on {key!r} to select from")
    return found


def admitted_children(nodes: Sequence[Node]) -> Counter[str]:
    """Per node, how many of its children were admitted (evaluated)."""
    return Counter(
        n.parent_id for n in nodes if n.parent_id and n.status == NodeStatus.evaluated
    )


class DgmSelector:
    """DGM: p ∝ sigmoid(λ(score − α₀)) / (1 + admitted children): good and under-explored."""

    name = "dgm"

    def __init__(self, config: SelectionConfig, rng: random.Random) -> None:
        self.lam = config.sigmoid_lambda
        self.midpoint = config.sigmoid_midpoint
        self.rng = rng

    def weights(self, archive: ArchiveView) -> dict[str, float]:
        """Unnormalised selection weight of each eligible node."""
        nodes = archive.nodes()
        key = archive.primary_key()
        children = admitted_children(nodes)
        out = {}
        for node in eligible(nodes, key):
            score = node.score(key) or 0.0
            sigmoid = 1.0 / (1.0 + math.exp(-self.lam * (score - self.midpoint)))
            out[node.id] = sigmoid / (1 + children[node.id])
        return out

    def choose(self, archive: ArchiveView, k: int) -> list[Node]:
        """Draw k parents with replacement, proportional to the weights."""
        weights = self.weights(archive)
        by_id = {n.id: n for n in archive.nodes()}
        ids = list(weights)
        picked = self.rng.choices(ids, weights=[weights[i] for i in ids], k=k)
        return [by_id[i] for i in picked]


class HgmSelector:
    """HGM: Thompson sampling on Beta(1 + clade passes, 1 + clade fails), pooled over subtrees.

    A node is judged by how its whole clade does (HGM's clade-metaproductivity estimate), so a
    weak node whose descendants improve keeps being expanded.
    """

    name = "hgm"

    def __init__(self, config: SelectionConfig, rng: random.Random) -> None:
        self.rng = rng

    def clade_counts(self, archive: ArchiveView) -> dict[str, tuple[int, int]]:
        """(passes, fails) pooled over each eligible node's subtree on the primary key."""
        nodes = archive.nodes()
        key = archive.primary_key()
        clades = clade_stats_all(build_lineage(nodes), key)
        return {n.id: (clades[n.id].passed, clades[n.id].failed) for n in eligible(nodes, key)}

    def choose(self, archive: ArchiveView, k: int) -> list[Node]:
        """k independent Thompson draws; each picks the node with the highest sampled rate."""
        counts = self.clade_counts(archive)
        by_id = {n.id: n for n in archive.nodes()}
        picked = []
        for _ in range(k):
            draws = {
                node_id: self.rng.betavariate(1 + passes, 1 + fails)
                for node_id, (passes, fails) in counts.items()
            }
            picked.append(by_id[max(draws, key=draws.__getitem__)])
        return picked


class GreedySelector:
    """The k best-scoring nodes (ties: fewer admitted children, then older); cycles if fewer."""

    name = "greedy"

    def __init__(self, config: SelectionConfig, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, archive: ArchiveView, k: int) -> list[Node]:
        """Best first."""
        nodes = archive.nodes()
        key = archive.primary_key()
        children = admitted_children(nodes)
        order = {n.id: i for i, n in enumerate(nodes)}
        ranked = sorted(
            eligible(nodes, key),
            key=lambda n: (-(n.score(key) or 0.0), children[n.id], order[n.id]),
        )
        return [ranked[i % len(ranked)] for i in range(k)]


class RandomSelector:
    """Uniform over eligible nodes, with replacement: the ablation baseline."""

    name = "random"

    def __init__(self, config: SelectionConfig, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, archive: ArchiveView, k: int) -> list[Node]:
        """k uniform draws."""
        return self.rng.choices(eligible(archive.nodes(), archive.primary_key()), k=k)


STRATEGIES: dict[str, type[DgmSelector | HgmSelector | GreedySelector | RandomSelector]] = {
    cls.name: cls for cls in (DgmSelector, HgmSelector, GreedySelector, RandomSelector)
}


def make_selector(config: SelectionConfig, rng: random.Random | None = None) -> Selector:
    """Build the configured strategy; rng defaults to one seeded from config.seed."""
    return STRATEGIES[config.strategy](config, rng or random.Random(config.seed))
