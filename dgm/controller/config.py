"""Configuration of parent selection and of the run's budgets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dgm._model import ConfigModel


class SelectionConfig(ConfigModel):
    """How parents are chosen each generation."""

    strategy: Literal["dgm", "hgm", "greedy", "random"] = Field(
        "dgm",
        description=(
            "'dgm' score-times-novelty, 'hgm' clade Thompson sampling, 'greedy' or 'random'."
        ),
    )
    parents_per_generation: int = Field(2, gt=0, description="Parents chosen per generation (k).")
    sigmoid_lambda: float = Field(10.0, gt=0, description="Steepness of the dgm sigmoid.")
    sigmoid_midpoint: float = Field(0.5, ge=0, le=1, description="Score at the sigmoid's midpoint.")
    seed: int = Field(0, description="Seed of the selection sampler.")


class BudgetConfig(ConfigModel):
    """Limits that stop a run cleanly; unset means unlimited."""

    max_dollars: float | None = Field(10.0, ge=0, description="Most US dollars spent on LLM calls.")
    max_tokens: int | None = Field(None, ge=0, description="Most LLM tokens, prompt plus reply.")
    max_wall_hours: float | None = Field(12.0, gt=0, description="Most hours of wall-clock time.")
    max_cpu_hours: float | None = Field(None, gt=0, description="Most CPU-hours in sandboxes.")
    max_nodes: int | None = Field(100, gt=0, description="Most agents created, the root included.")


class ControllerConfig(ConfigModel):
    """How each child is proposed and validated."""

    mode: Literal["direct", "self"] = Field(
        "direct",
        description=(
            "'direct': the controller's model rewrites the parent's files (the embedded local "
            "model, with its small window, only adds lines to one prompt or skill file); 'self': "
            "the parent agent edits its own source in a sandbox (DGM's self-modification)."
        ),
    )
    infra_retries: int = Field(
        2, ge=0, description="Re-runs of a task whose attempt failed for infrastructure reasons."
    )
    diagnosis_attempts: int = Field(
        3, gt=0, description="Replies asked of the model before a diagnosis counts as failed."
    )
    max_barren_steps: int | None = Field(
        5, gt=0, description=(
            "Stop after this many steps in a row made no child at all (every diagnosis or edit "
            "unusable): a model that cannot produce edits would otherwise spin until a budget "
            "ends. Unset: never."))
    flaky_reruns: int = Field(
        1, ge=0, description=(
            "Extra runs of the seed agent on each task it is scored on, to find flaky tasks "
            "(verdicts that change between identical runs); they are flagged in the events and "
            "left out of the held-out report. 0 turns this off and halves the seed's cost."
        ))
    agent_max_steps: int = Field(
        30, gt=0, description="Most model replies an agent gets per task (its --max-steps).")
    report_heldout: bool = Field(
        True, description="Score the root and the best node on the held-out split at the end."
    )
