"""Record/replay of LLM calls in a JSONL cassette: a replayed run makes no call and gets the same replies.

A request is identified by a hash of (model, messages, parameters). The same request made several
times is answered in the order it was recorded, so a replayed run that repeats a question gets the
same sequence of answers as the recorded one.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dgm.llm.types import CassetteMissError, Completion, LLMError, Message

CASSETTE_VERSION = 1


def request_key(model: str, messages: list[Message], params: dict[str, Any]) -> str:
    """A stable hash of one request (key order and whitespace do not matter)."""
    canonical = json.dumps(
        {"model": model, "messages": messages, "params": params},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Cassette:
    """One JSONL file of recorded calls, opened for recording (append) or replay (read)."""

    def __init__(
        self, path: Path, mode: str, *, redact: Callable[[str], str] | None = None
    ) -> None:
        if mode not in ("record", "replay"):
            raise ValueError(f"cassette mode must be 'record' or 'replay', not {mode!r}")
        self.path, self.mode = Path(path), mode
        self._redact = redact or (lambda text: text)
        self._lock = threading.Lock()
        self._recorded: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._served: dict[str, int] = defaultdict(int)
        if mode == "replay":
            self._load()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LLMError(
                f"{self.path}: cassette not found (record one with llm.cassette_mode = 'record')"
            ) from None
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key, completion = entry["key"], entry["completion"]
            except (ValueError, KeyError, TypeError) as exc:
                # A recording killed mid-write leaves a partial last line: skip only that one.
                if number == len(lines) and not text.endswith("\n"):
                    break
                raise LLMError(f"{self.path}:{number}: not a cassette entry ({exc})") from None
            if entry.get("v", CASSETTE_VERSION) > CASSETTE_VERSION:
                raise LLMError(f"{self.path}:{number}: written by a newer dgm (v{entry['v']})")
            self._recorded[key].append(completion)

    def __len__(self) -> int:
        return sum(len(v) for v in self._recorded.values())

    def lookup(self, model: str, messages: list[Message], params: dict[str, Any]) -> Completion:
        """The next recorded reply to this request; CassetteMissError if there is none left."""
        key = request_key(model, messages, params)
        with self._lock:
            index = self._served[key]
            answers = self._recorded.get(key, [])
            if index >= len(answers):
                seen = f"recorded {len(answers)} time(s), asked {index + 1}" if answers else (
                    "never recorded")
                raise CassetteMissError(
                    f"{self.path}: no recorded reply for this request to {model!r} ({seen}); "
                    "re-record with llm.cassette_mode = 'record'"
                )
            self._served[key] = index + 1
        return Completion.model_validate({**answers[index], "replayed": True})

    def record(
        self, model: str, messages: list[Message], params: dict[str, Any], completion: Completion
    ) -> None:
        """Append one call (flushed at once, so a killed run keeps what it recorded)."""
        entry = {
            "v": CASSETTE_VERSION,
            "key": request_key(model, messages, params),
            "model": model,
            "request": {"messages": messages, "params": params},
            "completion": completion.model_dump(mode="json", exclude={"replayed"}),
        }
        line = self._redact(json.dumps(entry, ensure_ascii=False, default=str)) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
