"""The polyglot harness: gold passes and no-op fails in every language whose toolchain is present,
tests are put back before grading, pass@2 keeps both tries, and bad layouts are named."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from dgm.agent_runner import AgentJob, grade_patch, run_job
from dgm.archive import Archive
from dgm.archive.result import Outcome
from dgm.bench import polyglot_langs as langs
from dgm.bench.builtin import BenchmarkDataError
from dgm.bench.config import BenchmarkConfig
from dgm.bench.polyglot import PolyglotBenchmark
from dgm.bench.polyglot_tools import ToolchainSetupError, detect, setup_runners
from dgm.bench.validate import validate
from dgm.sandbox.config import SandboxConfig

FIXTURES = Path(__file__).parent / "fixtures" / "polyglot"
CONFIG = BenchmarkConfig(name="polyglot", data=FIXTURES)
LANGUAGES = sorted(langs.LANGUAGES)

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


@pytest.fixture(scope="module")
def bench() -> PolyglotBenchmark:
    # The JavaScript runner stack is vendored once from the npm registry, as
    # `dgm bench setup polyglot` does, so the plain test command covers all six languages.
    if not detect("javascript").present and shutil.which("npm") is not None:
        try:
            setup_runners()
        except ToolchainSetupError as exc:  # no registry: the language is reported as skipped
            print(f"polyglot javascript runners not vendored: {exc}")
    return PolyglotBenchmark(FIXTURES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_gold_passes_and_noop_fails(language: str, bench: PolyglotBenchmark,
                                    tmp_path: Path) -> None:
    toolchain = detect(language)
    if not toolchain.present:
        assert bench.skipped[language] == toolchain.detail  # reported, never silently dropped
        pytest.skip(f"{language}: {toolchain.detail}")
    task = bench.task(f"{language}/leap")
    (tmp_path / "gold").mkdir()
    (tmp_path / "noop").mkdir()
    start = time.monotonic()
    gold, gold_log = grade_patch(task, bench.gold_patch(task), SandboxConfig(), CONFIG,
                                 tmp_path / "gold")
    seconds = time.monotonic() - start
    noop, noop_log = grade_patch(task, "", SandboxConfig(), CONFIG, tmp_path / "noop")
    assert gold.outcome == Outcome.passed, gold_log[-2000:]
    # Every fixture has four leap tests, most of them skipped as shipped: all four must run.
    assert (gold.tests_passed, gold.tests_failed) == (4, 0), gold_log[-2000:]
    assert noop.outcome == Outcome.failed and noop.tests_failed >= 1, noop_log[-2000:]
    print(f"\n{language}: gold graded in {seconds:.1f} s")


def test_whole_fixture_set_validates() -> None:
    verdicts = validate(CONFIG, SandboxConfig(), workers=2,
                        only=["python/reverse-string", "go/reverse-string"])
    assert [(v.task_id, v.agrees) for v in verdicts] == [
        ("go/reverse-string", True), ("python/reverse-string", True)]


def test_tasks_are_laid_out_for_the_agent(bench: PolyglotBenchmark) -> None:
    task = bench.task("java/leap")
    assert task.tries == 2 and task.language == "java"
    assert task.protected[:2] == ["src/test/java/LeapTest.java", "build.gradle"]
    assert "Decide whether a year" in task.statement and "src/main/java/Leap.java" in task.statement
    rust = bench.task("rust/leap")
    assert "Cargo.toml" not in rust.protected  # listed as a solution file by the exercise
    assert {t.split for t in bench.tasks()} <= {"train", "heldout"}
    assert bench.tasks() == PolyglotBenchmark(FIXTURES).tasks()  # splits are stable


def test_gold_patch_touches_only_solution_files(bench: PolyglotBenchmark) -> None:
    patch = bench.gold_patch(bench.task("cpp/leap"))
    changed = sorted(line.split(" b/")[-1] for line in patch.splitlines()
                     if line.startswith("diff --git"))
    assert changed == ["leap.cpp", "leap.h"]


def test_edited_tests_are_put_back_before_grading(bench: PolyglotBenchmark, tmp_path: Path) -> None:
    task = bench.task("python/leap")
    cheat = ("--- a/leap_test.py\n+++ b/leap_test.py\n@@ -1,3 +1,4 @@\n import unittest\n"
             "+raise SystemExit(0)\n \n from leap import leap_year\n")
    result, log = grade_patch(task, cheat, SandboxConfig(), CONFIG, tmp_path)
    assert result.outcome == Outcome.failed and "4 failed" in log


def test_a_conftest_cannot_rewrite_outcomes(bench: PolyglotBenchmark, tmp_path: Path) -> None:
    task = bench.task("python/leap")
    hook = ["import pytest", "", "", "@pytest.hookimpl(hookwrapper=True)",
            "def pytest_runtest_makereport(item, call):", "    report = (yield).get_result()",
            "    report.outcome = 'passed'"]
    cheat = (f"--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1,{len(hook)} @@\n"
             + "".join(f"+{line}\n" for line in hook))
    result, log = grade_patch(task, cheat, SandboxConfig(), CONFIG, tmp_path)
    assert result.outcome == Outcome.failed and "4 failed" in log


def test_an_added_go_test_main_is_removed(bench: PolyglotBenchmark, tmp_path: Path) -> None:
    if not detect("go").present:
        pytest.skip(detect("go").detail)
    task = bench.task("go/leap")
    main = ["package leap", "", 'import ("fmt"; "os"; "testing")', "",
            "func TestMain(m *testing.M) {", '\tfmt.Println("--- PASS: TestLeapYears (0.00s)")',
            "\tos.Exit(0)", "}"]
    cheat = (f"--- /dev/null\n+++ b/main_test.go\n@@ -0,0 +1,{len(main)} @@\n"
             + "".join(f"+{line}\n" for line in main))
    result, log = grade_patch(task, cheat, SandboxConfig(), CONFIG, tmp_path)
    assert result.outcome == Outcome.failed and "Please implement" in log


def test_tests_skipped_as_shipped_are_run(bench: PolyglotBenchmark, tmp_path: Path) -> None:
    if not detect("javascript").present:
        pytest.skip(detect("javascript").detail)
    task = bench.task("javascript/leap")
    # A wrong solution that passes the only test not skipped as shipped: graded as a failure.
    wrong = ("--- a/leap.js\n+++ b/leap.js\n@@ -1,3 +1 @@\n-export const isLeap = () => {\n"
             "-  throw new Error('Remove this statement and implement this function');\n-};\n"
             "+export const isLeap = () => false;\n")
    result, log = grade_patch(task, wrong, SandboxConfig(), CONFIG, tmp_path)
    assert result.outcome == Outcome.failed and (result.tests_passed, result.tests_failed) == (2, 2)


AGENT = '''
import argparse, json, pathlib, sys

def main():
    parser = argparse.ArgumentParser()
    for flag in ("--task-file", "--workdir", "--trajectory"):
        parser.add_argument(flag)
    args, _ = parser.parse_known_args()
    task = pathlib.Path(args.task_file).read_text()
    repo = pathlib.Path(args.workdir)
    retry = "previous try failed" in task
    if not retry:
        # First try: a wrong solution, and an attempt to make the tests pass by editing them.
        (repo / "leap.py").write_text("def leap_year(year):\\n    return year % 4 == 0\\n")
        (repo / "leap_test.py").write_text("def test_nothing():\\n    pass\\n")
    elif "1900" in task:  # the failing test's output is shown on the second try
        (repo / "leap.py").write_text(
            "def leap_year(year):\\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\\n")
    pathlib.Path(args.trajectory).write_text(json.dumps({"retry": retry}))
    return 0
'''


def test_pass_at_2_keeps_both_tries(tmp_path: Path) -> None:
    tree = tmp_path / "agent"
    (tree / "twotry").mkdir(parents=True)
    (tree / "twotry" / "__init__.py").write_text(AGENT)
    (tree / "pyproject.toml").write_text(
        '[project]\nname = "twotry"\nversion = "0"\n[project.scripts]\ntwotry = "twotry:main"\n')
    archive = Archive.create(tmp_path / "run")
    try:
        root = archive.add_root(tree)
        task = PolyglotBenchmark(FIXTURES).task("python/leap")
        job = AgentJob(git_dir=archive.path / "agents.git", node_id=root.id, commit=root.commit,
                       task=task, sandbox=SandboxConfig(timeout_s=120), benchmark=CONFIG,
                       llm_socket=None, log_dir=tmp_path / "logs")
        result = run_job(job)
    finally:
        archive.close()
    assert result.tries == [Outcome.failed, Outcome.passed] and result.outcome == Outcome.passed
    first = (tmp_path / "logs" / "1-test.log").read_text()
    assert "1 failed, 3 passed" in first  # the real tests ran, not the agent's replacement
    assert json.loads((tmp_path / "logs" / "try2" / "1-trajectory.log").read_text()) == {
        "retry": True}
    assert result.log_path == str(tmp_path / "logs" / "try2" / "1-test.log")
    assert "leap_test.py" not in result.patch and "try1_total" in result.durations


def _exercise(root: Path, config: dict | None) -> Path:
    folder = root / "python" / "exercises" / "practice" / "odd"
    (folder / ".docs").mkdir(parents=True)
    (folder / ".docs" / "instructions.md").write_text("Tell odd numbers apart.\n")
    (folder / "odd.py").write_text("def odd(n):\n    pass\n")
    if config is not None:
        (folder / ".meta").mkdir()
        (folder / ".meta" / "config.json").write_text(json.dumps(config))
    return folder


def test_bad_layouts_are_named(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkDataError, match="polyglot data not found.*bench fetch polyglot"):
        PolyglotBenchmark(tmp_path / "absent")
    with pytest.raises(BenchmarkDataError, match="no exercises found"):
        PolyglotBenchmark(tmp_path)
    _exercise(tmp_path / "a", None)
    with pytest.raises(BenchmarkDataError, match=r"python/odd: .*\.meta/config.json is missing"):
        PolyglotBenchmark(tmp_path / "a")
    _exercise(tmp_path / "b", {"files": {"solution": ["odd.py"]}})
    with pytest.raises(BenchmarkDataError, match="python/odd: .*needs files.solution"):
        PolyglotBenchmark(tmp_path / "b")
    _exercise(tmp_path / "c", {"files": {"solution": ["odd.py"], "test": ["odd_test.py"],
                                         "example": [".meta/example.py"]}})
    with pytest.raises(BenchmarkDataError, match="python/odd: files.test names odd_test.py"):
        PolyglotBenchmark(tmp_path / "c")


def test_unskipping_per_language() -> None:
    java = '@Disabled("Remove to run test")\n    @Test\nimport org.junit.jupiter.api.Disabled;\n'
    assert langs.LANGUAGES["java"].unskip(java) == "    @Test\n"
    js = "xtest('a', () => {});\nxit ('b');\nxdescribe('c');\nmaxtest('d');\n"
    assert langs.LANGUAGES["javascript"].unskip(js) == (
        "test('a', () => {});\nit ('b');\ndescribe('c');\nmaxtest('d');\n")
    assert langs.LANGUAGES["rust"].unskip("#[test]\n#[ignore]\nfn a() {}\n") == "#[test]\nfn a() {}\n"


def test_output_parsers() -> None:
    assert langs.parse_pytest("..F.\n1 failed, 3 passed in 0.12s\n") == (3, 1)
    assert langs.parse_pytest("== 2 passed, 1 error in 1.0s ==") == (2, 1)
    go = ("=== RUN   TestA\n=== RUN   TestA/x\n    --- PASS: TestA/x (0.00s)\n"
          "    --- FAIL: TestA/y (0.00s)\n--- FAIL: TestA (0.00s)\n--- PASS: TestB (0.00s)\n")
    assert langs.parse_go(go) == (2, 1)
    assert langs.parse_go("# leap\n./leap.go:3: undefined: x\nFAIL\tleap [build failed]\n") == (0, 1)
    assert langs.parse_junit("[         3 tests successful      ]\n[         1 tests failed          ]") == (3, 1)
    assert langs.parse_jest("Tests:       1 failed, 5 passed, 6 total\n") == (5, 1)
    cargo = ("test result: ok. 0 passed; 0 failed; 0 ignored\n"
             "test result: FAILED. 3 passed; 2 failed; 0 ignored\n")
    assert langs.parse_cargo(cargo) == (3, 2)
    assert langs.parse_catch("All tests passed (12 assertions in 4 test cases)\n") == (4, 0)
    assert langs.parse_catch("test cases: 4 | 3 passed | 1 failed\nassertions: 9 | 8 passed") == (3, 1)
    assert langs.parse_catch("test cases: 2 | 2 failed\n") == (0, 2)


def test_languages_without_toolchain_are_reported(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from dgm.bench.doctor import checks
    from dgm.cli import app
    from dgm.config import RunConfig

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no vendored jest there
    bench = PolyglotBenchmark(FIXTURES)
    assert "dgm bench setup polyglot" in bench.skipped["javascript"]
    assert not [t for t in bench.tasks() if t.language == "javascript"]
    out = CliRunner().invoke(app, ["bench", "validate", "polyglot", "--data", str(FIXTURES),
                                   "--task", "python/leap"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "skipped polyglot javascript: jest runner" in out.output and "gold 1/1" in out.output
    found = {c.name: c for c in checks(RunConfig(benchmark=CONFIG))}
    js = found["benchmark polyglot: javascript toolchain"]
    assert not js.ok and js.fix == "dgm bench setup polyglot"
