"""What one LLM call returns (reply, usage, cost) and the errors the LLM layer raises."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dgm.archive.node import Cost
from dgm.errors import DgmError

Message = dict[str, Any]  # one OpenAI chat message: {"role": ..., "content": ...}


class Usage(BaseModel):
    """Tokens and dollars of one call, or summed over several."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    dollars: float = 0.0
    # False when no price was known for the model (the cost then counts as 0).
    priced: bool = True

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def to_cost(self) -> Cost:
        """The same spend as the archive records it on a node."""
        return Cost(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens,
                    dollars=self.dollars)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            dollars=self.dollars + other.dollars,
            priced=self.priced and other.priced,
        )


class Completion(BaseModel):
    """One successful call: the reply text, its accounting, and the OpenAI-shaped response."""

    model_config = ConfigDict(frozen=True)

    text: str
    model: str
    usage: Usage
    finish_reason: str | None = None
    # The response as OpenAI chat-completions JSON (what the proxy hands to agents).
    response: dict[str, Any] = Field(default_factory=dict)
    attempts: int = 1
    latency_s: float = 0.0
    replayed: bool = False

    def fingerprint(self) -> dict[str, Any]:
        """The parts a replay must reproduce exactly (no timing, no attempt count)."""
        return self.model_dump(include={"text", "model", "usage", "finish_reason", "response"})


class LLMError(DgmError):
    """A call to a language model failed."""


class LLMInfraError(LLMError):
    """The model was unreachable or gave no usable reply after retries: not the agent's fault."""


class LLMRequestError(LLMError):
    """The request itself was refused (bad parameters, context too long): retrying cannot help."""


class LLMAuthError(LLMError):
    """No key, or a key the provider refused; the message names the variable to set."""


class CassetteMissError(LLMError):
    """Replay found no recorded reply for a request."""


class BudgetExhaustedError(LLMError):
    """A node's token or dollar budget is spent; `budget` says which."""

    def __init__(self, budget: str, limit: float, spent: float, *, detail: str = "") -> None:
        self.budget, self.limit, self.spent = budget, limit, spent
        super().__init__(f"{budget} budget exhausted: spent {spent:g} of {limit:g}"
                         + (f"; {detail}" if detail else ""))
