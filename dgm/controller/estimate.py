"""`dgm run --estimate`: the expected spend of a configured run, before it starts.

The figures are bounds from stated assumptions (tokens per call, per agent step, steps per task),
not predictions: a child cut after its first tier costs the lower bound, one evaluated on every
training task the upper.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from dgm.config import RunConfig
from dgm.controller.loop import DEFAULT_TIERS

# Assumptions, shown with every estimate.
DIAGNOSIS_TOKENS = (12_000, 600)      # prompt, completion of one diagnosis call
PROPOSAL_TOKENS = (10_000, 2_000)     # one proposal call
AGENT_STEP_TOKENS = (3_000, 300)      # one agent step (the conversation grows; this is a mean)
AGENT_STEPS_PER_TASK = 15

Price = Callable[[str, int, int], float | None]  # model, prompt, completion -> dollars or None


class Estimate(BaseModel):
    """Bounds on a run's spend."""

    children: int
    tasks_low: int
    tasks_high: int
    tokens_low: int
    tokens_high: int
    dollars_low: float | None
    dollars_high: float | None
    assumptions: list[str]


def estimate_run(config: RunConfig, train_tasks: int, heldout_tasks: int, price: Price) -> Estimate:
    """Bounds for the configured budgets and benchmark sizes."""
    budget = config.budget
    children = (budget.max_nodes or 1) - 1
    tiers = config.benchmark.tiers or list(DEFAULT_TIERS)
    first_tier = min(tiers[0], train_tasks)
    seed_runs = 1 + config.controller.flaky_reruns  # the seed is re-run to find flaky tasks
    heldout = (seed_runs + 1) * heldout_tasks if config.controller.report_heldout else 0
    tasks_low = seed_runs * train_tasks + children * first_tier + heldout
    tasks_high = train_tasks * (children + seed_runs) + heldout
    controller = (DIAGNOSIS_TOKENS[0] + PROPOSAL_TOKENS[0], DIAGNOSIS_TOKENS[1] + PROPOSAL_TOKENS[1])
    agent = (AGENT_STEP_TOKENS[0] * AGENT_STEPS_PER_TASK, AGENT_STEP_TOKENS[1] * AGENT_STEPS_PER_TASK)
    if config.llm.node_max_tokens is not None:
        cap = config.llm.node_max_tokens
        scale = min(1.0, cap / max(1, sum(agent)))
        agent = (int(agent[0] * scale), int(agent[1] * scale))
    agent_model = config.llm.agent_model or config.llm.model

    def spend(tasks: int) -> tuple[int, float | None]:
        c_prompt, c_out = controller[0] * children, controller[1] * children
        a_prompt, a_out = agent[0] * tasks, agent[1] * tasks
        tokens = c_prompt + c_out + a_prompt + a_out
        c_cost, a_cost = price(config.llm.model, c_prompt, c_out), price(agent_model, a_prompt, a_out)
        dollars = None if c_cost is None or a_cost is None else c_cost + a_cost
        return tokens, dollars

    tokens_low, dollars_low = spend(tasks_low)
    tokens_high, dollars_high = spend(tasks_high)
    assumptions = [
        f"{children} children (budget.max_nodes {budget.max_nodes}, the root included)",
        f"each child: one diagnosis (~{DIAGNOSIS_TOKENS[0]:,}+{DIAGNOSIS_TOKENS[1]:,} tokens) and "
        f"one proposal (~{PROPOSAL_TOKENS[0]:,}+{PROPOSAL_TOKENS[1]:,})",
        f"each task: ~{AGENT_STEPS_PER_TASK} agent steps of ~{AGENT_STEP_TOKENS[0]:,}+"
        f"{AGENT_STEP_TOKENS[1]:,} tokens",
        f"low: children stop after the first tier ({first_tier} tasks); high: every child runs "
        f"all {train_tasks} training tasks; the root and the best also run {heldout_tasks} "
        "held-out tasks",
        f"the seed agent runs each of its tasks {seed_runs} time(s) "
        "(controller.flaky_reruns, to find flaky tasks)",
    ]
    return Estimate(children=children, tasks_low=tasks_low, tasks_high=tasks_high,
                    tokens_low=tokens_low, tokens_high=tokens_high, dollars_low=dollars_low,
                    dollars_high=dollars_high, assumptions=assumptions)
