"""Per-language rules of the polyglot benchmark: test command, un-skipping, protected files, parsing.

Exercism ships its test files for students working one test at a time: all but the first test are
skipped (Java `@Disabled`, JavaScript `xtest`, Rust `#[ignore]`, C++ behind
`EXERCISM_RUN_ALL_TESTS`). A harness that ran them as shipped would grade one test per exercise,
so every language here runs all of them. Build output goes to /tmp so the agent's diff holds only
source changes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

RUNNERS_MOUNT = "/opt/dgm/polyglot"  # where the vendored runners (jest...) appear in a sandbox
RUST_MOUNT = "/opt/dgm/rust"  # where a rustup toolchain appears when the host has no system cargo
JAVA_LIBS = "/usr/share/java"  # Debian's junit5 and libassertj-core-java put their jars here
JUNIT_JAR = f"{JAVA_LIBS}/junit-platform-console-standalone.jar"
ASSERTJ_JAR = f"{JAVA_LIBS}/assertj-core.jar"


def _python(tests: list[str], name: str, rust_bin: str) -> str:
    # No conftest.py and no config file of the repository's: an agent's conftest could rewrite
    # the outcome of every test.
    files = " ".join(shlex.quote(t) for t in tests)
    return ("export PYTHONDONTWRITEBYTECODE=1\n"
            "exec python3 -m pytest -q -p no:cacheprovider --noconftest -c /dev/null "
            f"--rootdir=. {files}")


def _go(tests: list[str], name: str, rust_bin: str) -> str:
    # -v lists every test and subtest; benchmarks are not run by `go test` without -bench.
    return ("export GOCACHE=/tmp/go-cache GOPATH=/tmp/go GOPROXY=off GOTOOLCHAIN=local "
            "GOFLAGS=-mod=readonly\n"
            "exec go test -v -count=1 ./...")


def _java(tests: list[str], name: str, rust_bin: str) -> str:
    # Gradle would fetch JUnit from Maven Central; the same JUnit 5 platform runs from Debian's jars.
    return ("out=/tmp/dgm-java && rm -rf $out && mkdir -p $out\n"
            f"javac -nowarn -encoding UTF-8 -d $out -cp {JUNIT_JAR}:{ASSERTJ_JAR} "
            "$(find src -name '*.java') || exit 1\n"
            f"exec java -Duser.home=/tmp -jar {JUNIT_JAR} --class-path $out:{ASSERTJ_JAR} "
            "--scan-class-path --disable-banner --details=tree --fail-if-no-tests")


def _javascript(tests: list[str], name: str, rust_bin: str) -> str:
    # The exercise's babel.config.js names its preset; NODE_PATH lets babel and jest find the
    # vendored packages without a node_modules folder in the repository.
    files = " ".join(shlex.quote(t) for t in tests)
    modules = f"{RUNNERS_MOUNT}/js/node_modules"
    return (f"export NODE_PATH={modules}\n"
            f"exec node {modules}/jest/bin/jest.js --ci --no-watchman --cacheDirectory=/tmp/jest "
            f"--runTestsByPath {files}")


def _rust(tests: list[str], name: str, rust_bin: str) -> str:
    path = f"export PATH={rust_bin}:$PATH\n" if rust_bin else ""
    return (f"{path}export CARGO_HOME=/tmp/cargo CARGO_TARGET_DIR=/tmp/cargo-target "
            "CARGO_NET_OFFLINE=true\n"
            "if [ -d /usr/share/cargo/registry ]; then mkdir -p $CARGO_HOME && printf "
            "'[source.crates-io]\\nreplace-with = \"debian\"\\n[source.debian]\\n"
            "directory = \"/usr/share/cargo/registry\"\\n' > $CARGO_HOME/config.toml; fi\n"
            "exec cargo test --offline -- --include-ignored")


def _cpp(tests: list[str], name: str, rust_bin: str) -> str:
    # Exercism's CMakeLists.txt takes the exercise name from its folder, and building runs the
    # tests; so build a copy in a folder named after the exercise.
    src = f"/tmp/dgm-cpp/{shlex.quote(name)}"
    return (f"rm -rf /tmp/dgm-cpp && mkdir -p {src} /tmp/dgm-cpp/build && cp -r . {src} "
            "&& cd /tmp/dgm-cpp/build\n"
            f"cmake -DEXERCISM_RUN_ALL_TESTS=1 -G 'Unix Makefiles' {src} || exit 1\n"
            "exec make")


def _unskip_java(text: str) -> str:
    text = re.sub(r"^[ \t]*@Disabled(\([^)]*\))?[ \t]*\n", "", text, flags=re.M)
    return re.sub(r"^import org\.junit\.jupiter\.api\.Disabled;[ \t]*\n", "", text, flags=re.M)


def _unskip_javascript(text: str) -> str:
    return re.sub(r"\bx(test|it|describe)(?=\s*\()", r"\1", text)


def _unskip_rust(text: str) -> str:
    # `--include-ignored` runs them too; removing the attribute also shows the agent all tests.
    return re.sub(r"^[ \t]*#\[ignore(\s*=\s*\"[^\"]*\")?\][ \t]*\n", "", text, flags=re.M)


def _unchanged(text: str) -> str:
    return text


# ----------------------------------------------------------------- output parsers: (passed, failed)

def parse_pytest(out: str) -> tuple[int, int]:
    """pytest's final summary line."""
    lines = [ln for ln in out.splitlines() if re.search(r"\d+ (passed|failed|errors?)\b", ln)
             and re.search(r" in [\d.]+s", ln)]
    if not lines:
        return 0, 0
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|errors?)", lines[-1]))
    failed = counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
    return counts.get("passed", 0), failed


def parse_go(out: str) -> tuple[int, int]:
    """`go test -v`: leaf tests (subtests count, their parents do not); a build failure fails."""
    results: dict[str, bool] = {}
    for ok, name in re.findall(r"^\s*--- (PASS|FAIL): (\S+)", out, re.M):
        results[name] = ok == "PASS"
    leaves = [n for n in results if not any(o.startswith(n + "/") for o in results)]
    passed = sum(results[n] for n in leaves)
    failed = len(leaves) - passed
    if re.search(r"^FAIL\s.*\[(build|setup) failed\]", out, re.M):
        failed = max(failed, 1)
    return passed, failed


def parse_junit(out: str) -> tuple[int, int]:
    """JUnit console launcher's summary box."""
    ok = re.findall(r"\[\s*(\d+) tests successful\s*\]", out)
    bad = re.findall(r"\[\s*(\d+) tests failed\s*\]", out)
    return (int(ok[-1]) if ok else 0), (int(bad[-1]) if bad else 0)


def parse_jest(out: str) -> tuple[int, int]:
    """jest's `Tests:` line."""
    lines = re.findall(r"^Tests:(.*)$", out, re.M)
    if not lines:
        return 0, 0
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed)", lines[-1]))
    return counts.get("passed", 0), counts.get("failed", 0)


def parse_cargo(out: str) -> tuple[int, int]:
    """Every `test result:` line of cargo test (unit, integration and doc tests)."""
    passed = failed = 0
    for p, f in re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed;", out):
        passed, failed = passed + int(p), failed + int(f)
    return passed, failed


def parse_catch(out: str) -> tuple[int, int]:
    """Catch2's summary, counted in test cases."""
    ok = re.findall(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
    if ok:
        return int(ok[-1]), 0
    mixed = re.findall(r"test cases:\s*(\d+)\s*\|(.*)", out)
    if not mixed:
        return 0, 0
    total, rest = int(mixed[-1][0]), mixed[-1][1]
    passed = re.search(r"(\d+) passed", rest)
    failed = re.search(r"(\d+) failed", rest)
    p = int(passed.group(1)) if passed else 0
    return p, int(failed.group(1)) if failed else total - p


@dataclass(frozen=True)
class Language:
    """How one language's exercises are tested."""

    name: str
    script: Callable[[list[str], str, str], str]  # (test files, exercise name, rust bin) -> sh
    unskip: Callable[[str], str]
    parse: Callable[[str], tuple[int, int]]
    build_files: tuple[str, ...]  # protected like tests, unless the exercise lists them as solution
    timeout_s: float
    # Files the runner would pick up that an agent could add to steer it (a Go TestMain, a jest
    # config): removed before grading unless the exercise ships them.
    foreign: tuple[str, ...] = ()


LANGUAGES: dict[str, Language] = {
    lang.name: lang for lang in (
        Language("cpp", _cpp, _unchanged, parse_catch,
                 ("CMakeLists.txt", "test/*"), 300.0),
        Language("go", _go, _unchanged, parse_go, ("go.mod", "go.sum"), 300.0,
                 ("**/*_test.go",)),
        Language("java", _java, _unskip_java, parse_junit,
                 ("build.gradle", "settings.gradle", "gradlew", "gradle/*"), 300.0),
        Language("javascript", _javascript, _unskip_javascript, parse_jest,
                 ("package.json", "babel.config.js", ".npmrc"), 300.0,
                 ("**/jest.config.*", "**/.babelrc*", "**/babel.config.*")),
        Language("python", _python, _unchanged, parse_pytest, (), 300.0),
        Language("rust", _rust, _unskip_rust, parse_cargo, ("Cargo.toml",), 300.0),
    )
}
