"""Small SWE-bench instances in swebench>=5's format, built from a git repository the test makes.

The repository `dgmtest/calc` has two issues, each an instance at its own base commit with a gold
patch, a test patch, FAIL_TO_PASS / PASS_TO_PASS and an eval script in the shape swebench's eval
scripts have (check out the test files, apply the test patch, run the tests between swebench's
markers, restore the test files); the log parser is swebench's own pytest parser. The eval scripts
work in /work/repo, where dgm's sandboxes hold the repository, instead of the images' /testbed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = "dgmtest/calc"
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
       "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@t"}
HEREDOC = "EOF_114329324912"

CALC = '''"""A tiny calculator."""


def add(a, b):
    return a + b


def div(a, b):
    return a // b
'''
TESTS = '''from calc import add


def test_add():
    assert add(2, 3) == 5
'''
DIV_FIX = CALC.replace("a // b", "a / b")
DIV_TEST = TESTS.replace("from calc import add", "from calc import add, div") + '''

def test_div():
    assert div(7, 2) == 3.5
'''
MUL_BASE = DIV_FIX
MUL_FIX = MUL_BASE + '''

def mul(a, b):
    return a * b
'''
MUL_TEST = TESTS.replace("from calc import add", "from calc import add, mul") + '''

def test_mul():
    assert mul(4, 5) == 20
'''


def git(cwd: Path, *args: str) -> str:
    """Run git in cwd; its output."""
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout


def diff_of(repo: Path, path: str, content: str) -> str:
    """The git diff that turns path's committed content into content (the tree is left as was)."""
    target = repo / path
    before = target.read_text() if target.exists() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    patch = git(repo, "diff", "--", path)
    if before is None:
        target.unlink()
    else:
        target.write_text(before)
    return patch


def eval_script(base: str, test_patch: str, workdir: str = "/work/repo",
                command: str = "python3 -m pytest -rA -p no:cacheprovider tests/test_calc.py") -> str:
    """An eval script shaped as swebench's: reset tests, apply the test patch, run, reset."""
    return "\n".join([
        f"cd {workdir}",
        "git status",
        f"git -c core.fileMode=false diff {base}",
        f"git checkout {base} -- tests/test_calc.py",
        f"git apply -v - <<'{HEREDOC}'",
        test_patch.rstrip("\n"),
        HEREDOC,
        ": '>>>>> Start Test Output'",
        command,
        ": '>>>>> End Test Output'",
        f"git checkout {base} -- tests/test_calc.py",
    ])


def instance(iid: str, base: str, patch: str, test_patch: str, f2p: list[str], p2p: list[str],
             statement: str, **extra: Any) -> dict[str, Any]:
    """One instance row as swebench>=5 datasets hold it (lists as JSON strings, like the hub's)."""
    row = {
        "repo": REPO, "instance_id": iid, "base_commit": base, "patch": patch,
        "test_patch": test_patch, "problem_statement": statement, "hints_text": "",
        "created_at": "2025-01-01T00:00:00Z", "version": "0.1",
        "FAIL_TO_PASS": json.dumps(f2p), "PASS_TO_PASS": json.dumps(p2p),
        "environment_setup_commit": base, "image": f"dgmtest/sweb.eval.{iid}:latest",
        "eval_script": eval_script(base, test_patch), "log_parser": "parse_log_pytest",
        "eval_type": "pass_and_fail",
    }
    row.update(extra)
    return row


def build(root: Path) -> tuple[Path, list[dict[str, Any]]]:
    """root/instances.jsonl and root/repos/dgmtest__calc (the mirror the harness fetches from)."""
    repo = root / "repos" / REPO.replace("/", "__")
    (repo / "calc").mkdir(parents=True)
    (repo / "tests").mkdir()
    git(repo, "init", "-q")
    (repo / "calc" / "__init__.py").write_text(CALC)
    (repo / "tests" / "test_calc.py").write_text(TESTS)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "calc")
    first = git(repo, "rev-parse", "HEAD").strip()
    div_patch = diff_of(repo, "calc/__init__.py", DIV_FIX)
    div_tests = diff_of(repo, "tests/test_calc.py", DIV_TEST)
    # The fix lands later in history: the second instance starts from it.
    (repo / "calc" / "__init__.py").write_text(DIV_FIX)
    (repo / "tests" / "test_calc.py").write_text(DIV_TEST)
    git(repo, "commit", "-q", "-am", "true division")
    second = git(repo, "rev-parse", "HEAD").strip()
    (repo / "tests" / "test_calc.py").write_text(TESTS)  # the mul issue's tests start plain
    git(repo, "commit", "-q", "-am", "tests trimmed")
    third = git(repo, "rev-parse", "HEAD").strip()
    mul_patch = diff_of(repo, "calc/__init__.py", MUL_FIX)
    mul_tests = diff_of(repo, "tests/test_calc.py", MUL_TEST)
    rows = [
        instance("dgmtest__calc-1", first, div_patch, div_tests,
                 ["tests/test_calc.py::test_div"], ["tests/test_calc.py::test_add"],
                 "div(7, 2) returns 3 instead of 3.5: division should not truncate."),
        instance("dgmtest__calc-2", third, mul_patch, mul_tests,
                 ["tests/test_calc.py::test_mul"], ["tests/test_calc.py::test_add"],
                 "calc has no mul(a, b); add one that multiplies its arguments."),
    ]
    assert second != third
    data = root / "instances.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return data, rows
