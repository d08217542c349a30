"""Diagnosis and direct proposals with scripted model replies, garbage included."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from dgm.archive.result import Outcome, TaskResult
from dgm.controller.diagnose import (
    Diagnosis,
    DiagnosisError,
    agent_summary,
    diagnose,
    diagnosis_messages,
    parse_diagnosis,
    pick_failed_task,
)
from dgm.controller.propose import ProposalError, apply_files, parse_files, propose_direct

GOOD = {"diagnosis": "The agent never ran the tests before submitting.",
        "summary": "Run tests before submit",
        "instruction": "In seed_agent/prompts/system.md, require running the tests first."}


def scripted(*replies: str):
    queue = list(replies)
    seen: list[list[dict[str, str]]] = []

    def ask(messages: list[dict[str, str]]) -> str:
        seen.append(messages)
        return queue.pop(0)

    ask.seen = seen  # type: ignore[attr-defined]
    return ask


def result(task: str, outcome: Outcome, patch: str = "") -> TaskResult:
    return TaskResult(task_id=task, node_id="n", outcome=outcome, patch=patch)


def test_pick_failed_task_weights_empty_patches() -> None:
    results = [result("ok", Outcome.passed), result("infra", Outcome.error),
               result("empty", Outcome.failed), result("wrong", Outcome.failed, "diff")]
    rng = random.Random(5)
    picks = Counter(pick_failed_task(results, rng).task_id for _ in range(6000))
    assert set(picks) == {"empty", "wrong"}  # never a pass, never an infrastructure error
    assert 1.8 < picks["empty"] / picks["wrong"] < 2.2
    assert pick_failed_task([result("ok", Outcome.passed)], rng) is None


def test_parse_diagnosis_from_fences_and_prose() -> None:
    assert parse_diagnosis(json.dumps(GOOD)).summary == GOOD["summary"]
    fenced = f"Here you go:\n```json\n{json.dumps(GOOD)}\n```\nHope it helps."
    assert parse_diagnosis(fenced).instruction == GOOD["instruction"]
    with pytest.raises(ValueError, match="no valid JSON"):
        parse_diagnosis("I think the agent is fine.")
    with pytest.raises(ValueError, match="summary"):
        parse_diagnosis(json.dumps({"diagnosis": GOOD["diagnosis"], "instruction": "x" * 20}))


def test_diagnose_retries_garbage_then_gives_up() -> None:
    ask = scripted("", "{not json", json.dumps(GOOD))
    found = diagnose(ask, [{"role": "user", "content": "q"}])
    assert found == Diagnosis(**GOOD)
    assert "not usable" in ask.seen[1][-1]["content"]
    with pytest.raises(DiagnosisError, match="no valid diagnosis after 3 replies"):
        diagnose(scripted("a", "b", "c"), [{"role": "user", "content": "q"}])


def test_diagnosis_prompt_shows_the_failure(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("print('agent')\n")
    (tmp_path / "data.bin").write_bytes(b"\xff\xfe")
    code = agent_summary(tmp_path)
    assert "--- agent.py\nprint('agent')" in code and "data.bin" not in code
    (tmp_path / "big.py").write_text("X = 1\n" * 5000)
    assert "--- big.py (clipped)\n" in agent_summary(tmp_path)
    failed = TaskResult(task_id="repo/t1", node_id="n", outcome=Outcome.failed, tests_failed=2)
    messages = diagnosis_messages(code, "Fix the parser.", failed, "step 1: ls", "AssertionError",
                                  facts=["It never ran the tests."])
    text = messages[1]["content"]
    for part in ("print('agent')", "repo/t1", "Fix the parser.", "empty patch", "step 1: ls",
                 "AssertionError", "2 failed", "\n- It never ran the tests.\n"):
        assert part in text


def test_direct_proposal_writes_whole_files(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("STEPS = 5\n")
    reply = "Sure.\n```file agent.py\nSTEPS = 10\n```\n```file ./skills/new.md\nbe careful\n```\n"
    changed = propose_direct(scripted(reply), tmp_path, Diagnosis(**GOOD))
    assert changed == ["agent.py", "skills/new.md"]
    assert (tmp_path / "agent.py").read_text() == "STEPS = 10\n"
    assert (tmp_path / "skills" / "new.md").read_text() == "be careful\n"


def test_direct_proposal_refuses_escapes_and_no_ops(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("X = 1\n")
    with pytest.raises(ProposalError, match="outside the agent"):
        apply_files(tmp_path, {"../evil.py": "x"})
    with pytest.raises(ProposalError, match="outside the agent"):
        apply_files(tmp_path, {".git/hooks/pre-commit": "x"})
    ask = scripted("no blocks here", "```file agent.py\nX = 1\n```\n")
    with pytest.raises(ProposalError, match="identical to the current ones"):
        propose_direct(ask, tmp_path, Diagnosis(**GOOD))
    assert "no ```file blocks" in ask.seen[1][-1]["content"]
    assert parse_files("```file a.py\n```\n") == {"a.py": ""}


def test_edits_that_cannot_work_are_sent_back_before_anything_is_written(tmp_path: Path) -> None:
    from dgm.controller.diagnose import Diagnosis

    agent = tmp_path / "agent"
    (agent / "pkg").mkdir(parents=True)
    (agent / "pkg" / "big.py").write_text("# notes\n" + "X = 1\n" * 12000)  # clipped in the prompt
    (agent / "pkg" / "code.py").write_text("Y = 1\n")
    diagnosis = Diagnosis(diagnosis="The agent stops too early.", summary="keep going longer",
                          instruction="Tell the agent to run the tests before submitting.")

    def asker(replies: list[str], seen: list[str]):  # noqa: ANN202
        answers = iter(replies)

        def ask(messages):  # noqa: ANN001, ANN202
            seen.append(messages[-1]["content"])
            return next(answers)
        return ask

    seen: list[str] = []
    changed = propose_direct(asker([
        "```file pkg/code.py\nfile pkg/other.py\nY = (\n```\n",
        "```file pkg/code.py\nY = 3\n```\n",
    ], seen), agent, diagnosis, attempts=2)
    assert changed == ["pkg/code.py"] and "pkg/code.py does not compile" in seen[1]
    assert (agent / "pkg" / "code.py").read_text() == "Y = 3\n"
    # A file too large to be shown whole may not be rewritten from its clipped view.
    seen = []
    with pytest.raises(ProposalError, match="was not shown to you"):
        propose_direct(asker(["```file pkg/big.py\nX = 2\n```\n"] * 2, seen), agent, diagnosis)
    assert (agent / "pkg" / "big.py").read_text().startswith("# notes\n")


def test_file_blocks_in_the_forms_small_models_write() -> None:
    want = {"prompts/system.md": "be brief\n"}
    assert parse_files("```file prompts/system.md\nbe brief\n```\n") == want
    assert parse_files("```file\nprompts/system.md\nbe brief\n```\n") == want
    assert parse_files("```markdown prompts/system.md\nbe brief\n```\n") == want
    assert parse_files("Here it is:\n**prompts/system.md**\n```markdown\nbe brief\n```\n") == want
    assert parse_files("`prompts/system.md`:\n```\nbe brief\n```\n") == want
    # Blocks that name no file are not guessed at, and the strict form wins when present.
    assert parse_files("I suggest:\n```python\nprint(1)\n```\n") == {}
    assert parse_files("```file a.md\nx\n```\n\nb.md\n```\ny\n```\n") == {"a.md": "x\n"}
