"""Selection strategies: their distributions, checked statistically with seeded samplers."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from dgm.archive.node import Node, NodeStatus, Score
from dgm.controller.config import SelectionConfig
from dgm.controller.selection import (
    DgmSelector,
    HgmSelector,
    NoEligibleParentError,
    make_selector,
)

KEY = "builtin:train"
DRAWS = 20_000
# Chi-square critical values at p = 0.001 (a correct sampler fails 1 run in 1000).
CHI2_CRIT = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52}


class View:
    """A read-only archive view over an in-memory list of nodes."""

    def __init__(self, nodes: list[Node]) -> None:
        self._nodes = nodes

    def nodes(self) -> list[Node]:
        return self._nodes

    def primary_key(self) -> str:
        return KEY


def make_tree(spec: list[tuple[str, str | None, int | None, NodeStatus]]) -> View:
    """Nodes from (name, parent name, passed out of 10 or None, status)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    nodes = []
    for i, (name, parent, passed, status) in enumerate(spec):
        sha = hashlib.sha1(name.encode()).hexdigest()
        scores = {KEY: Score(passed=passed, failed=10 - passed)} if passed is not None else {}
        nodes.append(Node(
            id=name_id(name), commit=sha, parent_id=name_id(parent) if parent else None,
            generation=0, created_at=start + timedelta(seconds=i), status=status, scores=scores,
        ))
    return View(nodes)


def name_id(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:12]


EV, SF = NodeStatus.evaluated, NodeStatus.smoke_failed
TREE = make_tree([
    ("root", None, 3, EV),
    ("a", "root", 6, EV),
    ("b", "root", 8, EV),
    ("c", "root", None, SF),     # broken child: not eligible, not counted as admitted
    ("a1", "a", 5, EV),
    ("a2", "a", 2, EV),
    ("p", "b", None, NodeStatus.pending),
])


def chi_square(observed: Counter[str], expected: dict[str, float], n: int) -> float:
    return sum((observed[k] - n * p) ** 2 / (n * p) for k, p in expected.items())


def sel(strategy: str, seed: int = 7) -> object:
    return make_selector(SelectionConfig(strategy=strategy), random.Random(seed))


def test_dgm_weights_follow_the_formula() -> None:
    weights = DgmSelector(SelectionConfig(), random.Random(0)).weights(TREE)

    def sigmoid(score: float) -> float:
        return 1 / (1 + math.exp(-10 * (score - 0.5)))

    expected = {
        "root": sigmoid(0.3) / 3,  # a and b admitted; c smoke-failed, p pending
        "a": sigmoid(0.6) / 3,
        "b": sigmoid(0.8) / 1,
        "a1": sigmoid(0.5),
        "a2": sigmoid(0.2),
    }
    assert weights == pytest.approx({name_id(k): v for k, v in expected.items()})


def test_dgm_draws_match_the_weights() -> None:
    selector = sel("dgm")
    weights = selector.weights(TREE)
    total = sum(weights.values())
    expected = {k: w / total for k, w in weights.items()}
    observed = Counter(n.id for n in selector.choose(TREE, DRAWS))
    assert set(observed) <= set(expected)
    assert chi_square(observed, expected, DRAWS) < CHI2_CRIT[len(expected) - 1]


def test_dgm_prefers_unexplored_among_equals() -> None:
    # Same score; one parent already has four admitted children.
    view = make_tree([("r", None, 7, EV), ("x", "r", 7, EV)] +
                     [(f"k{i}", "x", 0, EV) for i in range(4)])
    weights = DgmSelector(SelectionConfig(), random.Random(0)).weights(view)
    assert weights[name_id("r")] / weights[name_id("x")] == pytest.approx(5 / 2)


def beta_cdf(x: float, a: int, b: int) -> float:
    """Regularised incomplete beta for integer a, b (binomial-sum identity)."""
    n = a + b - 1
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))


def p_first_wins(a1: int, b1: int, a2: int, b2: int, steps: int = 4000) -> float:
    """P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), by Simpson's rule."""
    norm = math.gamma(a1 + b1) / (math.gamma(a1) * math.gamma(b1))
    h = 1 / steps
    total = 0.0
    for i in range(steps + 1):
        x = i * h
        f = norm * x ** (a1 - 1) * (1 - x) ** (b1 - 1) * beta_cdf(x, a2, b2)
        total += f * (1 if i in (0, steps) else 4 if i % 2 else 2)
    return total * h / 3


def test_hgm_pools_counts_over_clades() -> None:
    counts = HgmSelector(SelectionConfig(), random.Random(0)).clade_counts(TREE)
    assert counts[name_id("a")] == (6 + 5 + 2, 4 + 5 + 8)
    assert counts[name_id("root")] == (3 + 6 + 8 + 5 + 2, 7 + 4 + 2 + 5 + 8)
    assert counts[name_id("b")] == (8, 2)
    assert name_id("c") not in counts and name_id("p") not in counts


def test_hgm_thompson_frequency_matches_the_exact_probability() -> None:
    # Two leaves under an unscored-but-evaluated-elsewhere root: compare the draw frequency of
    # the weaker leaf with P(Beta(1+3, 1+7) > Beta(1+5, 1+5)).
    view = make_tree([("r", None, None, SF), ("u", None, 3, EV), ("v", None, 5, EV)])
    picks = Counter(n.id for n in sel("hgm").choose(view, DRAWS))
    p = p_first_wins(4, 8, 6, 6)
    freq = picks[name_id("u")] / DRAWS
    sigma = math.sqrt(p * (1 - p) / DRAWS)
    assert 0.1 < p < 0.4
    assert abs(freq - p) < 4 * sigma


def test_hgm_follows_a_productive_clade() -> None:
    # "weak" scores 2/10 itself but its descendants do well; "solo" scores 5/10 alone.
    view = make_tree([
        ("top", None, 5, EV), ("weak", "top", 2, EV), ("solo", "top", 5, EV),
        ("w1", "weak", 9, EV), ("w2", "weak", 9, EV), ("w3", "w1", 10, EV),
    ])
    picks = Counter(n.id for n in sel("hgm").choose(view, 4000))
    assert picks[name_id("weak")] > picks[name_id("solo")]
    dgm_weights = DgmSelector(SelectionConfig(), random.Random(0)).weights(view)
    assert dgm_weights[name_id("weak")] < dgm_weights[name_id("solo")]  # DGM sees only itself


def test_greedy_and_random() -> None:
    greedy = sel("greedy").choose(TREE, 3)
    assert [n.id for n in greedy] == [name_id("b"), name_id("a"), name_id("a1")]
    picks = Counter(n.id for n in sel("random").choose(TREE, DRAWS))
    expected = {name_id(k): 0.2 for k in ("root", "a", "b", "a1", "a2")}
    assert chi_square(picks, expected, DRAWS) < CHI2_CRIT[4]


def test_same_seed_same_choices_and_no_parent_error() -> None:
    for strategy in ("dgm", "hgm", "greedy", "random"):
        first = [n.id for n in sel(strategy, seed=3).choose(TREE, 50)]
        assert first == [n.id for n in sel(strategy, seed=3).choose(TREE, 50)]
    empty = make_tree([("r", None, None, NodeStatus.pending)])
    for strategy in ("dgm", "hgm", "greedy", "random"):
        with pytest.raises(NoEligibleParentError, match="no evaluated node"):
            sel(strategy).choose(empty, 1)
