"""Configuration of the skill library and its GRASP admission gate."""

from __future__ import annotations

from pydantic import Field

from dgm._model import ConfigModel


class SkillsConfig(ConfigModel):
    """Whether skill edits are proposed, and the rule that admits them."""

    enabled: bool = Field(False, description="Propose skill-library edits besides code edits.")
    proposal_share: float = Field(
        0.5, ge=0, le=1, description="When enabled, the share of proposals that edit skills.")
    probe_split: str | None = Field(
        None, description=(
            "Split the gate's probe is drawn from; unset: the benchmark's held-out split (the "
            "held-out report then no longer comes from untouched tasks; name a third split to "
            "keep it clean)."))
    probe_size: int = Field(20, gt=1, description="Tasks in the balanced probe (half fail, half pass).")
    regression_budget: int = Field(1, ge=0, description="Most pass->fail flips an admitted edit may cause.")
    require_significance: bool = Field(
        False, description="Also require McNemar p < significance_level to admit."
    )
    significance_level: float = Field(0.05, gt=0, lt=1, description="Threshold for the McNemar test.")
    max_skills: int = Field(20, gt=0, description="Most skills in one library.")
    max_prompt_tokens: int = Field(2000, gt=0, description="Most skill tokens loaded into a prompt.")
