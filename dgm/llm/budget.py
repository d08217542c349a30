"""A node's LLM budget, and the ledger that keeps concurrent requests inside it.

Checking the budget before a request and charging it afterwards lets parallel requests overshoot:
each sees the same unspent amount. The ledger instead reserves every request's worst case before
it is forwarded (its prompt, estimated high, plus the most reply tokens it may get), admits it
only if that fits in what is left minus what other requests in flight hold, and settles the
reservation with the real usage when the reply arrives (or frees it when the call fails).

A request that would fit once the requests in flight settle waits for them instead of being
refused: a 429 tells agents the budget is gone for good, and a reservation is not spending.
When nothing else is in flight and the request's full reply no longer fits, its reply cap is
lowered to what is left, so one request cannot overshoot either.

The guarantee is as good as the prompt estimate. Three characters a token over the JSON of the
messages and tools (non-ASCII escaped, six characters each) is above what common tokenizers give
for prose, code and non-Latin scripts, but random strings (hashes, base64) take up to twice that;
so when litellm is loaded anyway, the estimate is also at least 1.25 times a real tokenizer's
count (Claude's tokenizer gives up to 1.25 times OpenAI's on the texts we measured).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dgm.llm.config import LLMConfig
from dgm.llm.types import BudgetExhaustedError, Message, Usage

CHARS_PER_TOKEN = 3
# Images and other media are billed by size, not by the length of their base64 text; the
# largest common per-image charges are below this.
MEDIA_TOKENS = 2000
_MEDIA_PARTS = {"image_url", "image", "input_image", "input_audio", "file"}
TOKENIZER_MARGIN = 1.25
TokenCounter = Callable[[str], int]


def litellm_token_count(text: str) -> int:
    """Tokens of `text` by litellm's bundled OpenAI tokenizer (offline; imports litellm)."""
    from dgm.llm.client import import_litellm

    # An OpenAI model name keeps litellm on its bundled tokenizer: names of other families can
    # make it download one from the Hugging Face hub.
    return int(import_litellm().token_counter(model="gpt-4", text=text))


def estimate_prompt_tokens(
    messages: list[Message], *extra: Any, count: TokenCounter | None = None
) -> int:
    """A deliberately high token count of a prompt: its messages plus extras (tools, schemas);
    with `count` (a tokenizer), never below TOKENIZER_MARGIN times its count."""
    media = 0
    stripped: list[Any] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            kept = []
            for part in content:
                if isinstance(part, dict) and part.get("type") in _MEDIA_PARTS:
                    media += 1
                else:
                    kept.append(part)
            message = {**message, "content": kept}
        stripped.append(message)
    # ensure_ascii: a non-Latin character counts 6 characters (2 tokens), never fewer than
    # tokenizers give it; JSON keys and quotes stand in for the chat format's per-message tokens.
    parts = [stripped, *[e for e in extra if e is not None]]
    estimate = math.ceil(len(json.dumps(parts, default=str)) / CHARS_PER_TOKEN)
    if count is not None:
        try:
            text = json.dumps(parts, default=str, ensure_ascii=False)  # escapes would inflate it
            estimate = max(estimate, math.ceil(TOKENIZER_MARGIN * count(text)))
        except Exception:  # a tokenizer failure must not fail the request; the floor stands
            pass
    return estimate + media * MEDIA_TOKENS


@dataclass(frozen=True)
class NodeBudget:
    """Most tokens (prompt plus reply) and dollars one node may spend; None is unlimited."""

    tokens: int | None = None
    dollars: float | None = None

    @classmethod
    def from_config(cls, config: LLMConfig) -> NodeBudget:
        """The per-node budget of a run's LLM config."""
        return cls(tokens=config.node_max_tokens, dollars=config.node_max_dollars)

    @property
    def unlimited(self) -> bool:
        """True when neither tokens nor dollars are capped."""
        return self.tokens is None and self.dollars is None

    def check(self, spent: Usage) -> None:
        """Raise BudgetExhaustedError when either budget is used up."""
        if self.tokens is not None and spent.total_tokens >= self.tokens:
            raise BudgetExhaustedError("tokens", self.tokens, spent.total_tokens)
        if self.dollars is not None and spent.dollars >= self.dollars:
            raise BudgetExhaustedError("dollars", self.dollars, round(spent.dollars, 6))


@dataclass(frozen=True)
class Price:
    """What one request costs: dollars for its prompt, and dollars per reply token."""

    prompt: float
    per_reply_token: float


@dataclass(frozen=True)
class Reservation:
    """The worst case one admitted request holds until it settles."""

    prompt_tokens: int  # estimated
    max_tokens: int  # the reply cap the request is sent with
    asked: int  # the reply cap it asked for (or the default)
    dollars: float

    @property
    def tokens(self) -> int:
        """Prompt estimate plus reply cap."""
        return self.prompt_tokens + self.max_tokens

    @property
    def clamped(self) -> bool:
        """True when the reply cap was lowered to fit the budget."""
        return self.max_tokens < self.asked


class BudgetBusyError(Exception):
    """The request would fit only after requests in flight settle, and they took too long."""

    def __init__(self, waited_s: float, in_flight: int) -> None:
        self.waited_s, self.in_flight = waited_s, in_flight
        super().__init__(
            f"what is left of the budget is reserved by {in_flight} request(s) in flight; "
            f"waited {waited_s:.0f} s for them, retry later"
        )


class BudgetLedger:
    """Spent usage and reservations of one node; safe to use from many threads."""

    def __init__(self, budget: NodeBudget) -> None:
        self.budget = budget
        self._cond = threading.Condition()
        self._spent = Usage()
        self._reserved_tokens = 0
        self._reserved_dollars = 0.0
        self._in_flight = 0

    @property
    def spent(self) -> Usage:
        """Usage charged so far (settled requests only)."""
        with self._cond:
            return self._spent

    @property
    def in_flight(self) -> int:
        """Requests holding a reservation."""
        with self._cond:
            return self._in_flight

    def reserve(
        self, prompt_tokens: int, max_tokens: int, price: Price | None, *, wait_s: float
    ) -> Reservation:
        """Admit a request or raise BudgetExhaustedError (it cannot fit) / BudgetBusyError."""
        if self.budget.unlimited:
            return self._grant(Reservation(prompt_tokens, max_tokens, max_tokens, 0.0))
        start = time.monotonic()
        with self._cond:
            while True:
                self.budget.check(self._spent)
                alone = self._room(self._left(), prompt_tokens, price)
                if min(alone) < 1:
                    raise self._cannot_fit(alone, prompt_tokens)
                room = min(self._room(self._left(others=True), prompt_tokens, price))
                if room >= max_tokens or self._in_flight == 0:
                    cap = max_tokens if room >= max_tokens else int(room)
                    dollars = price.prompt + price.per_reply_token * cap if price else 0.0
                    return self._grant(Reservation(prompt_tokens, cap, max_tokens, dollars))
                remaining = wait_s - (time.monotonic() - start)
                if remaining <= 0:
                    raise BudgetBusyError(time.monotonic() - start, self._in_flight)
                self._cond.wait(remaining)

    def settle(self, reservation: Reservation, usage: Usage) -> None:
        """Charge a finished request's real usage and free its reservation."""
        with self._cond:
            self._spent = self._spent + usage
            self._free(reservation)

    def release(self, reservation: Reservation) -> None:
        """Free the reservation of a request that failed (nothing charged)."""
        with self._cond:
            self._free(reservation)

    # ----------------------------------------------------------------- internals

    def _grant(self, reservation: Reservation) -> Reservation:
        with self._cond:
            self._reserved_tokens += reservation.tokens
            self._reserved_dollars += reservation.dollars
            self._in_flight += 1
        return reservation

    def _free(self, reservation: Reservation) -> None:
        self._in_flight -= 1
        self._reserved_tokens -= reservation.tokens
        self._reserved_dollars -= reservation.dollars
        if self._in_flight == 0:  # no float drift survives an idle moment
            self._reserved_tokens, self._reserved_dollars = 0, 0.0
        self._cond.notify_all()

    def _left(self, *, others: bool = False) -> tuple[float, float]:
        """Tokens and dollars not yet spent (and, with others, not reserved either)."""
        tokens = math.inf if self.budget.tokens is None else (
            self.budget.tokens - self._spent.total_tokens)
        dollars = math.inf if self.budget.dollars is None else (
            self.budget.dollars - self._spent.dollars)
        if others:
            tokens -= self._reserved_tokens
            dollars -= self._reserved_dollars
        return tokens, dollars

    @staticmethod
    def _room(left: tuple[float, float], prompt_tokens: int, price: Price | None
              ) -> tuple[float, float]:
        """Most reply tokens that fit in `left`, under the token and the dollar budget."""
        tokens_left, dollars_left = left
        by_tokens = tokens_left - prompt_tokens
        by_dollars = math.inf
        if price is not None and dollars_left != math.inf:
            after_prompt = dollars_left - price.prompt
            if after_prompt < 0:
                by_dollars = -1.0
            elif price.per_reply_token > 0:
                by_dollars = math.floor(after_prompt / price.per_reply_token)
        return by_tokens, by_dollars

    def _cannot_fit(self, alone: tuple[float, float], prompt_tokens: int) -> BudgetExhaustedError:
        """The error for a request that would not fit even with nothing else in flight."""
        spent = self._spent
        if alone[0] < 1:
            left = self.budget.tokens - spent.total_tokens  # type: ignore[operator]
            return BudgetExhaustedError(
                "tokens", self.budget.tokens, spent.total_tokens,  # type: ignore[arg-type]
                detail=f"this request's prompt is about {prompt_tokens} tokens (estimated) and "
                       f"only {left} are left",
            )
        left_dollars = self.budget.dollars - spent.dollars  # type: ignore[operator]
        return BudgetExhaustedError(
            "dollars", self.budget.dollars, round(spent.dollars, 6),  # type: ignore[arg-type]
            detail=f"this request's prompt alone would cost more than the ${left_dollars:.6g} "
                   f"left",
        )
