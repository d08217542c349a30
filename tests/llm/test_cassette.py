"""Record/replay: a replayed run calls nothing and gets the same results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dgm.llm.cassette import request_key
from dgm.llm.client import LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.testing import Fail, ScriptedModel
from dgm.llm.types import CassetteMissError, LLMError
from tests.llm.conftest import PLANTED_KEY, user


class Unreachable(ScriptedModel):
    """A backend that fails the test if anything calls it."""

    def __init__(self) -> None:
        super().__init__([])

    def complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a replayed run made a model call")


def _record(path: Path, script, conversations, **fields):  # type: ignore[no-untyped-def]
    model = ScriptedModel(script, price_per_mtok=(3.0, 15.0))
    client = LLMClient(LLMConfig(model="scripted/m", cassette=path, cassette_mode="record",
                                 **fields), backend=model, environ={}, sleep=lambda s: None)
    return [client.complete(c) for c in conversations], client


def _replayer(path: Path, **fields) -> LLMClient:  # type: ignore[no-untyped-def]
    return LLMClient(LLMConfig(model="scripted/m", cassette=path, cassette_mode="replay",
                               **fields), backend=Unreachable(), environ={})


def test_round_trip_is_identical_and_free(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    conversations = [user("one"), user("two"), user("one")]
    recorded, recorder = _record(path, ["A", Fail(503), "B", "C"], conversations)
    replayer = _replayer(path)
    replayed = [replayer.complete(c) for c in conversations]
    assert [r.fingerprint() for r in replayed] == [r.fingerprint() for r in recorded]
    assert [r.text for r in replayed] == ["A", "B", "C"]  # same question, answers in order
    assert all(r.replayed for r in replayed)
    assert replayer.totals == recorder.totals and replayer.totals.dollars > 0
    assert len(path.read_text().splitlines()) == 3  # one line a call, retries not recorded


def test_replay_needs_no_key_and_no_server(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    _record(path, ["hi"], [user("q")])
    # A provider model with no key anywhere, and a local model with no server: replay is enough.
    for model in ("anthropic/claude-sonnet-4-5", "local/qwen2.5-coder-1.5b-instruct"):
        text = path.read_text().replace('"scripted/m"', f'"{model}"')
        key = request_key(model, user("q"), {"temperature": 0.0, "max_tokens": 4096})
        entry = json.loads(text)
        entry["key"] = key
        path.write_text(json.dumps(entry) + "\n")
        client = LLMClient(LLMConfig(model=model, cassette=path, cassette_mode="replay"),
                           environ={})
        assert client.complete(user("q")).text == "hi"


def test_a_changed_request_is_a_clear_miss(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    _record(path, ["A"], [user("q")])
    replayer = _replayer(path)
    with pytest.raises(CassetteMissError, match="never recorded"):
        replayer.complete(user("q"), temperature=0.7)  # different parameters
    replayer.complete(user("q"))
    with pytest.raises(CassetteMissError, match="recorded 1 time"):
        replayer.complete(user("q"))


def test_key_ignores_dict_order_but_not_content() -> None:
    a = request_key("m", [{"role": "user", "content": "x"}], {"a": 1, "b": 2})
    b = request_key("m", [{"content": "x", "role": "user"}], {"b": 2, "a": 1})
    c = request_key("m", [{"role": "user", "content": "y"}], {"a": 1, "b": 2})
    assert a == b != c


def test_partial_last_line_is_skipped_but_corruption_elsewhere_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    _record(path, ["A", "B"], [user("1"), user("2")])
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[1][:40])  # killed while writing the second entry
    replayer = _replayer(path)
    assert replayer.complete(user("1")).text == "A"
    with pytest.raises(CassetteMissError):
        replayer.complete(user("2"))
    path.write_text("garbage\n" + lines[1] + "\n")
    with pytest.raises(LLMError, match=r"c.jsonl:1: not a cassette entry"):
        _replayer(path)
    with pytest.raises(LLMError, match="cassette not found"):
        _replayer(tmp_path / "absent.jsonl")


def test_cassette_mode_without_a_file_is_refused() -> None:
    with pytest.raises(LLMError, match="llm.cassette"):
        LLMClient(LLMConfig(cassette_mode="record"), backend=ScriptedModel([]))


def test_keys_never_reach_the_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    # The reply echoes the key (an upstream error page might); the cassette must not keep it.
    model = ScriptedModel([f"your key is {PLANTED_KEY}"], resolve_keys=True)
    client = LLMClient(LLMConfig(model="anthropic/claude-x", cassette=path,
                                 cassette_mode="record"),
                       backend=model, environ={"ANTHROPIC_API_KEY": PLANTED_KEY})
    client.complete(user("q"))
    assert model.requests[0]["api_key"] == PLANTED_KEY  # the provider did get the key
    assert PLANTED_KEY not in path.read_text() and "[redacted]" in path.read_text()
