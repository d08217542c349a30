"""The seed agent with scripted models: solving a task, and each way a run can go wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from seed_agent.agent import ELIDED, Agent, Settings
from seed_agent.model import Model
from seed_agent.skills import render_skills
from seed_agent.tools import FormatError, parse_action, run_bash, write_file

BUGGY = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
TEST = (
    "import unittest\nfrom calc import add\n\n"
    "class T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "test_calc.py").write_text(TEST)
    return root


def bash(cmd: str) -> str:
    return f"Let me run this.\n```bash\n{cmd}\n```"


def run_agent(sock: str, repo: Path, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run the agent as its own program, the way a sandbox runs it."""
    traj = tmp_path / "trajectory.json"
    env = dict(os.environ, PYTHONPATH=str(SEED_DIR), DGM_LLM_SOCKET=sock, DGM_LLM_BACKOFF="0")
    result = subprocess.run(
        [sys.executable, "-m", "seed_agent", "--task", "Fix add() in calc.py.",
         "--workdir", str(repo), "--trajectory", str(traj), *extra],
        env=env, capture_output=True, text=True, timeout=120,
    )
    return result, json.loads(traj.read_text())


def test_solves_a_task_end_to_end(scripted, repo: Path, tmp_path: Path) -> None:
    server = scripted([
        bash("cat calc.py"),
        f"The sign is wrong.\n```file calc.py\n{FIXED}```",
        bash("python -m unittest -q"),
        bash("submit"),
    ])
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (repo / "calc.py").read_text() == FIXED
    assert traj["status"] == "submitted"
    assert [s["action"] for s in traj["steps"]] == ["bash", "file", "bash", "submit"]
    assert "return a - b" in traj["steps"][0]["output"]
    assert traj["steps"][2]["returncode"] == 0 and "OK" in traj["steps"][2]["output"]
    assert traj["prompt_tokens"] == 400 and traj["completion_tokens"] == 40
    # The model saw the command output of step 1 in its next request.
    assert "return a - b" in server.requests[1]["messages"][-1]["content"]
    assert "run-the-tests" in server.requests[0]["messages"][0]["content"]  # skills loaded


def test_format_errors_extra_actions_and_repeats_are_fed_back(scripted, repo: Path, tmp_path: Path) -> None:
    server = scripted(["I think I should look around.", bash("ls") + "\n" + bash("rm calc.py"),
                       bash("pwd"), bash("pwd"), bash("submit")])
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 0
    assert [s["action"] for s in traj["steps"]] == ["format_error", "bash", "bash", "repeated",
                                                     "submit"]
    assert "had no action block" in server.requests[1]["messages"][-1]["content"]
    assert (repo / "calc.py").exists()  # only the first of two actions ran
    assert "the other 1 were ignored" in server.requests[2]["messages"][-1]["content"]
    assert "not run" in server.requests[4]["messages"][-1]["content"]


def test_the_task_message_shows_the_repository(scripted, repo: Path, tmp_path: Path) -> None:
    server = scripted([bash("submit")])
    run_agent(server.server_address, repo, tmp_path)
    first = server.requests[0]["messages"][1]["content"]
    assert "Fix add() in calc.py." in first and "test_calc.py" in first and BUGGY in first


def test_step_limit_and_last_step_warning(scripted, repo: Path, tmp_path: Path) -> None:
    replies = iter(range(100))
    server = scripted(lambda messages: bash(f"echo still working {next(replies)}"))
    result, traj = run_agent(server.server_address, repo, tmp_path, "--max-steps", "3")
    assert result.returncode == 1 and traj["status"] == "step_limit"
    assert len(traj["steps"]) == 3
    assert "last step" in server.requests[2]["messages"][-1]["content"]


def test_token_budget_stops_the_agent(scripted, repo: Path, tmp_path: Path) -> None:
    replies = iter(range(100))
    server = scripted(lambda messages: bash(f"true {next(replies)}"))
    result, traj = run_agent(server.server_address, repo, tmp_path, "--max-tokens", "250")
    assert result.returncode == 1 and traj["status"] == "token_budget"
    assert len(server.requests) == 3  # 110 tokens a call: stops once 250 is reached


def test_proxy_budget_refusal(scripted, repo: Path, tmp_path: Path) -> None:
    server = scripted([bash("ls"), (429, '{"error": "node token budget exhausted"}')])
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 1 and traj["status"] == "budget_exhausted"
    assert "budget exhausted" in traj["reason"]


def test_unreachable_or_broken_model_is_an_infrastructure_exit(
    scripted, repo: Path, tmp_path: Path
) -> None:
    result, traj = run_agent(str(tmp_path / "nobody.sock"), repo, tmp_path)
    assert result.returncode == 3 and traj["status"] == "model_error"
    assert "cannot reach the model" in traj["reason"]
    server = scripted(["", "   ", (200, "not json"), (502, "bad gateway")])
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 3 and traj["status"] == "model_error"
    assert len(server.requests) == 4  # one try and three retries
    assert (repo / "calc.py").read_text() == BUGGY


def test_killed_agent_leaves_its_trajectory(scripted, repo: Path, tmp_path: Path) -> None:
    server = scripted([bash("echo first"), bash("sleep 60")])
    traj_path = tmp_path / "t.json"
    env = dict(os.environ, PYTHONPATH=str(SEED_DIR), DGM_LLM_SOCKET=server.server_address)
    proc = subprocess.Popen(
        [sys.executable, "-m", "seed_agent", "--task", "x", "--workdir", str(repo),
         "--trajectory", str(traj_path)], env=env,
    )
    deadline = time.monotonic() + 30
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.kill()
    proc.wait()
    traj = json.loads(traj_path.read_text())
    assert traj["status"] == "running" and traj["steps"][0]["output"].strip() == "first"


def test_command_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = f"dgm-test-marker-{os.getpid()}"
    sleeper = f"sleep 300.{os.getpid()}1"  # a duration of its own, to find it among processes
    seen = run_bash(f"({sleeper}; echo {marker}) & sleep 300 # {marker}", tmp_path, timeout=1)
    assert seen.returncode == -9 and "killed after 1 s" in seen.output
    time.sleep(0.2)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in ps and sleeper not in ps


def test_background_jobs_do_not_outlive_the_command(tmp_path: Path) -> None:
    marker = f"dgm-bg-{os.getpid()}"
    sleeper = f"sleep 300.{os.getpid()}2"
    seen = run_bash(f"nohup {sleeper} >/dev/null 2>&1 & echo started # {marker}", tmp_path, 30)
    assert seen.returncode == 0 and seen.seconds < 10
    time.sleep(0.2)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in ps and sleeper not in ps  # the job itself, not only its shell, is gone


def test_huge_output_is_capped(tmp_path: Path) -> None:
    seen = run_bash("head -c 200000000 /dev/zero | tr '\\0' 'x'; echo END", tmp_path, timeout=60)
    assert seen.returncode == 0
    assert len(seen.output) < 7000 and seen.output.rstrip().endswith("END")
    assert "bytes cut" in seen.output or "characters cut" in seen.output


def test_parse_action_forms() -> None:
    assert parse_action("x\n```bash\nls -la\n```")[0].body == "ls -la\n"
    action, count = parse_action("```file src/a.py\nprint(1)\n```\n")
    assert (action.kind, action.path, action.body, count) == ("file", "src/a.py", "print(1)\n", 1)
    assert parse_action("done\n```bash\nsubmit\n```")[0].kind == "submit"
    action, count = parse_action("```python\nprint(1)\n```\n```sh\necho hi\n```\n```bash\nls\n```")
    assert action.body == "echo hi\n" and count == 2
    with pytest.raises(FormatError, match="needs a path"):
        parse_action("```file\nx\n```")


def test_write_file_stays_in_the_workdir(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    assert write_file("../escape.txt", "x", work).returncode == 1
    assert not (tmp_path / "escape.txt").exists()
    assert write_file("deep/new.txt", "a\nb\n", work).output == "wrote deep/new.txt (2 lines)"


def test_long_conversations_elide_old_outputs() -> None:
    agent = Agent(Model(socket_path="unused"), Settings(max_context_chars=2000))
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "task"}]
    for i in range(10):
        messages += [{"role": "assistant", "content": f"step {i}"},
                     {"role": "user", "content": "o" * 500}]
    sent = agent._context(messages)
    assert sum(len(m["content"]) for m in sent) <= 2000
    assert sent[-1]["content"] == "o" * 500 and sent[3]["content"] == ELIDED
    assert messages[3]["content"] == "o" * 500  # the trajectory keeps everything


def test_skills_respect_the_size_bound(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{i}.md").write_text(f"---\nname: s{i}\ndescription: d{i}\n---\n" + "b" * 100)
    text = render_skills(tmp_path, max_chars=300)
    assert "### s0" in text and "### s1" in text and "### s2" not in text
    assert render_skills(SEED_DIR / "skills", 10_000).count("### ") == 2


@pytest.mark.parametrize(("reply", "kind", "body", "path"), [
    ("Let me look.\n```\nls -la\n```", "bash", "ls -la\n", ""),  # untagged block
    ("```console\n$ python -m unittest -q\n```", "bash", "python -m unittest -q\n", ""),
    ("Fixed version:\n```python calc.py\nx = 1\n```", "file", "x = 1\n", "calc.py"),
    ("```file: src/a.py\nx = 1\n```", "file", "x = 1\n", "src/a.py"),
    ("```file\nsrc/a.py\nx = 1\n```", "file", "x = 1\n", "src/a.py"),  # path on the first line
    ("I will run the tests.\n```bash\npython -m unittest -q", "bash", "python -m unittest -q", ""),
    ("All tests pass now.\n\nsubmit", "submit", "", ""),
    ("Done.\n`Submit`.", "submit", "", ""),
    ("```bash\n# Submit the change\nsubmit\n```", "submit", "", ""),  # seen from the 1.5B model
    ("  ```bash\n  ls\n  ```", "bash", "  ls\n", ""),  # an indented fence
])
def test_forgiving_parsing_of_weak_model_replies(reply: str, kind: str, body: str, path: str) -> None:
    action, count = parse_action(reply)
    assert (action.kind, action.body, action.path, count) == (kind, body, path, 1)


def test_a_broken_block_does_not_hide_a_good_one() -> None:
    # Seen from the 1.5B model: a ```file block without a path among bash blocks.
    reply = ("```bash\npython -m pytest -q\n```\n\n```file\n# edit slug.py\nimport re\n```\n\n"
             "```bash\nsubmit\n```")
    action, count = parse_action(reply)
    assert (action.kind, action.body, count) == ("bash", "python -m pytest -q\n", 2)


def test_quoted_output_does_not_run_when_an_action_is_tagged() -> None:
    action, count = parse_action("I expect\n```\nOK\n```\nso:\n```bash\npython t.py\n```")
    assert (action.body, count) == ("python t.py\n", 1)


@pytest.mark.parametrize(("reply", "message"), [
    ("```python\nprint(add(2, 3))\n```", "```python block is not an action"),
    ("```file calc.py\ndef add(a, b):\n    return a +", "was not closed"),
    ("I should read calc.py first.", "had no action block"),
])
def test_format_errors_say_how_to_fix_the_reply(reply: str, message: str) -> None:
    with pytest.raises(FormatError, match=message.replace("`", ".")):
        parse_action(reply)


def test_a_repeated_action_is_not_rerun_and_the_next_reply_is_sampled(
    scripted, repo: Path, tmp_path: Path
) -> None:
    server = scripted([bash("echo x >> log.txt"), "Again.\n" + bash("echo x >> log.txt"),
                       "```python\nprint(1)\n```", bash("cat log.txt"), bash("submit")])
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 0
    assert [s["action"] for s in traj["steps"]] == ["bash", "repeated", "format_error", "bash",
                                                     "submit"]
    assert traj["steps"][3]["output"] == "x\n"  # the repeated command ran only once
    assert "not run\nagain" in server.requests[2]["messages"][-1]["content"]
    assert "block is not an action" in server.requests[3]["messages"][-1]["content"]
    temperatures = [r.get("temperature") for r in server.requests]
    assert temperatures == [None, None, 0.7, 0.7, None]
    assert [r.get("seed") for r in server.requests] == [None, None, 3, 4, None]
    assert {r["max_tokens"] for r in server.requests} == {2000}  # replies are bounded


def test_a_context_too_long_for_the_model_is_shrunk_not_fatal(scripted, repo: Path,
                                                               tmp_path: Path) -> None:
    replies = iter([bash("python -c \"print('y' * 5000)\""), bash("python -c \"print('z' * 5000)\""),
                    bash("submit")])
    refused = []

    def script(messages: list[dict]) -> str | tuple[int, str]:
        if sum(len(m["content"]) for m in messages) > 9000:  # a small model's window
            refused.append(len(messages))
            return (400, '{"error": {"message": "the request exceeds the available context size"}}')
        return next(replies)

    server = scripted(script)
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 0 and traj["status"] == "submitted", result.stderr
    assert refused and [s["action"] for s in traj["steps"]] == ["bash", "bash", "submit"]
    assert ELIDED in server.requests[-1]["messages"][3]["content"]
    assert "z" * 5000 in server.requests[-1]["messages"][-1]["content"]  # the latest kept whole


def raw_reply(text: str, finish: str) -> tuple[int, str]:
    return (200, json.dumps({"choices": [{"message": {"content": text}, "finish_reason": finish}],
                             "usage": {"prompt_tokens": 100, "completion_tokens": 10}}))


def test_generation_stops_where_the_first_block_closes(scripted, repo: Path, tmp_path: Path) -> None:
    cut_at_stop = "The sign is wrong.\n```file calc.py\n" + FIXED.rstrip("\n")  # fence stripped
    cut_at_length = "```file calc.py\ndef add(a, b):\n    return a +"
    server = scripted([raw_reply(cut_at_length, "length"), raw_reply(cut_at_stop, "stop"),
                       raw_reply("```bash\nsubmit", "stop")])
    result, traj = run_agent(server.server_address, repo, tmp_path)
    assert result.returncode == 0 and traj["status"] == "submitted"
    assert [s["action"] for s in traj["steps"]] == ["format_error", "file", "submit"]
    assert "was not closed" in server.requests[1]["messages"][-1]["content"]  # not written
    assert (repo / "calc.py").read_text() == FIXED
    assert all(r["stop"] == ["\n```\n"] for r in server.requests)
