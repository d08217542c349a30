"""Text-only edits for small-context models, and the failure facts the controller states."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from dgm.archive.result import Outcome, TaskResult
from dgm.controller.diagnose import Diagnosis, diagnose
from dgm.controller.facts import brief_steps, earlier_tries, failure_facts
from dgm.controller.propose import ProposalError
from dgm.controller.textedit import (
    editable_files,
    merge_text_edit,
    new_content,
    propose_text_edit,
    target_file,
    text_diagnosis_messages,
)

SYSTEM_MD = "seed_agent/prompts/system.md"


def trajectory(*steps: dict, status: str = "submitted") -> str:
    return json.dumps({"task": "t", "status": status, "reason": "", "steps": list(steps),
                       "messages": [{"role": "system", "content": "S" * 5000}]})


def failed(patch: str = "") -> TaskResult:
    return TaskResult(task_id="r/t", node_id="n", outcome=Outcome.failed, patch=patch,
                      tests_passed=4, tests_failed=1)


def test_facts_name_a_submit_after_passing_old_tests() -> None:
    steps = trajectory({"action": "bash", "command": "python -m pytest -q", "returncode": 0,
                        "output": "3 passed"}, {"action": "submit"})
    facts = failure_facts(failed(), steps)
    assert facts[0].startswith("The agent's final patch is empty")
    assert "2 steps and it submitted" in " ".join(facts)
    assert any("saw them pass, and submitted without changing anything" in f for f in facts)
    assert "4 passed, 1 failed" in " ".join(facts)


def test_facts_count_writes_format_errors_and_the_step_limit() -> None:
    steps = trajectory({"action": "format_error"}, {"action": "format_error"},
                       {"action": "file", "path": "lib/x.py", "returncode": 0},
                       {"action": "repeated"}, status="step_limit")
    text = " ".join(failure_facts(failed("diff"), steps))
    assert "ran out of steps" in text and "wrote 1 files (lib/x.py)" in text
    assert "2 of its replies were replies it could not act on" in text
    assert "1 of its replies were replies that repeated" in text
    assert "It never ran the tests." in text and "final patch is empty" not in text
    # Any other trajectory shape: only what the result itself says, nothing guessed.
    assert failure_facts(failed(), "free text log") == [
        "The agent's final patch is empty: it left the repository unchanged.",
        "The hidden tests that grade the task: 4 passed, 1 failed."]


def test_brief_steps_keep_the_latest_within_the_limit() -> None:
    steps = [{"action": "bash", "command": f"echo {i}", "returncode": 0, "output": f"out{i}"}
             for i in range(200)]
    text = brief_steps(trajectory(*steps), 500)
    assert len(text) <= 520 and text.startswith("[earlier steps cut]") and "out199" in text
    assert "S" * 100 not in brief_steps(trajectory(*steps[:2]), 10_000)  # messages left out
    assert brief_steps("plain log", 5) == "n log"


def test_editable_files_are_the_seed_prompts_and_skills() -> None:
    files = editable_files(SEED_DIR)
    assert SYSTEM_MD in files and "skills/10-run-the-tests.md" in files
    assert not any(p.endswith((".py", ".toml")) or "README" in p for p in files)
    small = editable_files(SEED_DIR, limit=500)
    assert sum(map(len, small.values())) <= 500 and SYSTEM_MD not in small


def test_the_text_diagnosis_fits_the_window_and_names_a_file() -> None:
    files = editable_files(SEED_DIR)
    messages = text_diagnosis_messages(files, "S" * 20000, "r/t", ["fact one"], "T" * 50000, 16000)
    assert sum(len(m["content"]) for m in messages) <= 16000 + 200
    user = messages[1]["content"]
    assert f"--- {SYSTEM_MD}\n" in user and "- fact one" in user and "agent.py" not in user
    good = {"diagnosis": "It submitted without a change.", "summary": "never submit unchanged",
            "instruction": "Add a rule: change a file before submitting."}
    replies = iter([json.dumps({**good, "file": "prompts/nothing.md"}),
                    json.dumps({**good, "file": "system.md"})])  # a unique file name is enough
    seen = []

    def ask(conversation):  # noqa: ANN001, ANN202
        seen.append(conversation[-1]["content"])
        return next(replies)

    found = diagnose(ask, messages, check=lambda d: "" if target_file(d, files) else "bad file")
    assert target_file(found, files) == SYSTEM_MD and "bad file" in seen[1]
    assert target_file(Diagnosis(**good, file=""), files) == ""
    assert target_file(Diagnosis(**{**good, "instruction": f"In {SYSTEM_MD} add X"}), files) == SYSTEM_MD


def test_new_content_in_the_forms_small_models_write() -> None:
    path = "p/system.md"
    assert new_content(f"```file {path}\nA\n```\n", path) == "A\n"
    assert new_content(f"```file\n{path}\nA\n```\n", path) == "A\n"
    assert new_content("Here:\n```markdown\nA\nB\n```\nand\n```\nC\n```\n", path) == "A\nB\n"
    assert new_content("```file other.md\nA\n```\n", path) is None  # another file: not this one
    assert new_content("no block at all", path) is None
    assert new_content("```\n- Run the tests.", path) == "- Run the tests."  # never closed
    assert new_content("```\n```", path) == ""


def test_added_lines_or_an_echoed_file_merge_without_losing_placeholders() -> None:
    old = "Rule one.\nRule two.\nRule three.\nTask: {task}\n"
    # The lines asked for: added to the end.
    assert merge_text_edit(old, "Rule four.\n") == (old + "Rule four.\n", "")
    # The whole file echoed with a rule inserted: taken as the new file, in place.
    inserted = "Rule one.\nRule 1b.\nRule two.\nRule three.\nTask: {task}\n"
    assert merge_text_edit(old, inserted) == (inserted, "")
    assert merge_text_edit(old, inserted + "# Why\n", frozenset({"# Why"})) == (inserted, "")
    # An echo that lost a placeholder contributes only its new line; the placeholder stays.
    assert merge_text_edit(old, "Rule one.\nRule two.\nRule three.\nRule four.\n") == (
        old + "Rule four.\n", "")
    assert "already is" in merge_text_edit(old, old)[1]
    for nothing_new in ("Rule two.\n", "# File p/x.md\n", "\n\n"):
        assert "no line the file does not already have" in merge_text_edit(
            old, nothing_new, frozenset({"# File p/x.md"}))[1]
    assert merge_text_edit("3\n", "4\n") == ("4\n", "")  # a tiny file may be rewritten whole


def test_propose_text_edit_retries_then_writes_one_file(tmp_path: Path) -> None:
    agent = tmp_path / "agent"
    shutil.copytree(SEED_DIR, agent)
    before = (agent / SYSTEM_MD).read_text()
    diagnosis = Diagnosis(diagnosis="It submitted without a change.", summary="never submit unchanged",
                          instruction="Add a rule: change a file before submitting.", file=SYSTEM_MD)
    replies = iter([f"```\n{before}```",  # the file echoed unchanged
                    # the new rule, among lines copied back from the request itself
                    "```markdown\nnever submit unchanged\n- Change a file before you submit.\n"
                    "# Why\nIt submitted without a change.\n"
                    f"Reply with the lines to add to {SYSTEM_MD} in one ``` block.\n```"])
    seen = []

    def ask(conversation):  # noqa: ANN001, ANN202
        seen.append(conversation)
        return next(replies)

    assert propose_text_edit(ask, agent, diagnosis) == [SYSTEM_MD]
    assert (agent / SYSTEM_MD).read_text() == before + "- Change a file before you submit.\n"
    assert "the file as it already is" in seen[1][-1]["content"]
    assert "agent.py" not in seen[0][1]["content"]  # only the file being edited is shown
    with pytest.raises(ProposalError, match="names no editable file"):
        propose_text_edit(ask, agent, diagnosis.model_copy(update={"file": "seed_agent/agent.py"}))
    untouched = (agent / SYSTEM_MD).read_text()
    with pytest.raises(ProposalError, match="no usable edit of .* after 2 replies"):
        propose_text_edit(lambda _: "I cannot do that.", agent, diagnosis)
    assert (agent / SYSTEM_MD).read_text() == untouched


def test_a_retry_is_sampled_warmer_than_the_first_ask() -> None:
    from dgm.controller.wiring import RETRY_TEMPERATURE, ask_with
    from dgm.llm.client import LLMClient
    from dgm.llm.config import LLMConfig
    from dgm.llm.testing import ScriptedModel

    backend = ScriptedModel(["first", "second"])
    ask = ask_with(LLMClient(LLMConfig(model="openai/x"), backend=backend))
    question = [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]
    assert ask(question).text == "first"
    assert ask([*question, {"role": "assistant", "content": "first"},
                {"role": "user", "content": "That cannot be used."}]).text == "second"
    temperatures = [r["params"]["temperature"] for r in backend.requests]
    assert temperatures == [0.0, RETRY_TEMPERATURE]


def test_earlier_tries_on_the_same_failure_are_stated() -> None:
    from dgm.archive.node import Node, NodeStatus, Proposal, Score

    def child(status: NodeStatus, task: str, summary: str, passed: int | None = None) -> Node:
        scores = {} if passed is None else {"builtin:train": Score(passed=passed, failed=4 - passed)}
        return Node(id=f"{abs(hash(summary)):012x}"[:12], commit="c" * 40, parent_id="a" * 12,
                    generation=1, created_at="2026-01-01T00:00:00+00:00", status=status,
                    scores=scores, proposal=Proposal(summary=summary, task_id=task))

    facts = earlier_tries([child(NodeStatus.evaluated, "r/t", "add a test rule", 1),
                           child(NodeStatus.smoke_failed, "r/t", "rewrite the loop"),
                           child(NodeStatus.evaluated, "r/other", "unrelated", 4)],
                          "r/t", "builtin:train", 0.5)
    assert facts == [
        'A change already tried for this failure: "add a test rule"; that child scored 25% '
        "(their parent: 50%).",
        'A change already tried for this failure: "rewrite the loop"; that child no longer ran '
        "(failed its smoke test)."]
