"""Which polyglot toolchains a sandbox can use, what must be mounted for them, and the JS runner.

The default bubblewrap sandbox sees the host's /usr (and /bin, /lib) read-only, nothing else. So a
toolchain counts as present only when it resolves there, with two mounts added where needed:
/etc/alternatives (Debian's `java`, `cc`, `c++` are links through it) and the JDK's /etc folder.
A rustup toolchain (under the user's home, invisible to a sandbox) is mounted read-only at
/opt/dgm/rust. jest, its babel preset and core-js are vendored once into a runners folder with npm
(`dgm bench setup polyglot`) and mounted read-only: nothing is downloaded at test time.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from dgm.bench.polyglot_langs import ASSERTJ_JAR, JUNIT_JAR, RUNNERS_MOUNT, RUST_MOUNT
from dgm.errors import DgmError
from dgm.sandbox.base import BASE_ENV

# Exact versions of the JavaScript test stack, as exercism's JavaScript track pins them.
JS_PACKAGES = ("jest@29.7.0", "babel-jest@29.6.4", "@babel/core@7.25.2",
               "@exercism/babel-preset-javascript@0.2.1", "core-js@3.37.1")
SANDBOX_ROOTS = ("/usr/", "/bin/", "/lib/", "/lib64/", "/etc/alternatives/")


class ToolchainSetupError(DgmError):
    """Installing a polyglot runner failed; the message says which and why."""


@dataclass(frozen=True)
class Toolchain:
    """A language's toolchain as a sandbox would see it."""

    language: str
    present: bool
    detail: str  # what was found, or why it is missing and how to install it
    mounts: dict[str, Path] = field(default_factory=dict)  # sandbox path -> host path, read-only
    rust_bin: str = ""  # PATH entry for a mounted rust toolchain


def default_runners_dir() -> Path:
    """Where `dgm bench setup polyglot` vendors the JavaScript runner."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "dgm" / "polyglot-runners"


def sandbox_which(name: str) -> str | None:
    """The path of a command as the sandbox's PATH finds it, if it resolves inside the sandbox."""
    found = shutil.which(name, path=BASE_ENV["PATH"])
    if found is None:
        return None
    real = os.path.realpath(found)
    return found if real.startswith(SANDBOX_ROOTS) else None


def _base_mounts() -> dict[str, Path]:
    alternatives = Path("/etc/alternatives")
    return {str(alternatives): alternatives} if alternatives.is_dir() else {}


def _missing(language: str, what: str, fix: str) -> Toolchain:
    return Toolchain(language, False, f"{what} not found in the sandbox; install it: {fix}")


def _commands(language: str, names: tuple[str, ...], fix: str) -> Toolchain | None:
    absent = [n for n in names if sandbox_which(n) is None]
    return _missing(language, ", ".join(absent), fix) if absent else None


def _cpp(runners: Path) -> Toolchain:
    return _commands("cpp", ("g++", "cmake", "make"), "apt-get install -y g++ cmake make") or \
        Toolchain("cpp", True, f"g++ and cmake at {sandbox_which('cmake')}", _base_mounts())


def _go(runners: Path) -> Toolchain:
    return _commands("go", ("go",), "apt-get install -y golang-go") or \
        Toolchain("go", True, f"go at {os.path.realpath(sandbox_which('go') or '')}",
                  _base_mounts())


def _java(runners: Path) -> Toolchain:
    missing = _commands("java", ("javac", "java"), "apt-get install -y default-jdk-headless")
    if missing:
        return missing
    for jar, package in ((JUNIT_JAR, "junit5"), (ASSERTJ_JAR, "libassertj-core-java")):
        if not Path(jar).is_file():
            return _missing("java", jar, f"apt-get install -y {package}")
    mounts = _base_mounts()
    home = Path(os.path.realpath(sandbox_which("javac") or "")).parent.parent
    # Debian's JDK keeps its configuration in /etc/java-N-openjdk behind links: mount that folder.
    for link in (home / "lib" / "jvm.cfg", home / "conf" / "security" / "java.security"):
        target = Path(os.path.realpath(link))
        if target.parts[:2] == ("/", "etc") and len(target.parts) > 2 and target.exists():
            top = Path("/etc") / target.parts[2]
            mounts[str(top)] = top
    return Toolchain("java", True, f"JDK at {home}, JUnit 5 console launcher and AssertJ from "
                     f"{Path(JUNIT_JAR).parent}", mounts)


def _javascript(runners: Path) -> Toolchain:
    missing = _commands("javascript", ("node",), "apt-get install -y nodejs")
    if missing:
        return missing
    modules = runners / "js" / "node_modules"
    for package in ("jest/bin/jest.js", "@exercism/babel-preset-javascript", "babel-jest"):
        if not (modules / package).exists():
            return _missing("javascript", f"jest runner ({modules / package})",
                            "dgm bench setup polyglot")
    return Toolchain("javascript", True, f"node, jest vendored in {runners / 'js'}",
                     dict(_base_mounts(), **{f"{RUNNERS_MOUNT}/js": runners / "js"}))


@functools.lru_cache(maxsize=1)
def _pytest_importable() -> bool:
    python = sandbox_which("python3")
    if python is None:
        return False
    ran = subprocess.run([python, "-c", "import pytest"], capture_output=True,
                         env={"PATH": BASE_ENV["PATH"]}, timeout=60)
    return ran.returncode == 0


def _python(runners: Path) -> Toolchain:
    missing = _commands("python", ("python3",), "apt-get install -y python3")
    if missing:
        return missing
    if not _pytest_importable():
        return _missing("python", "pytest (for the sandbox's python3)",
                        "apt-get install -y python3-pytest")
    return Toolchain("python", True, f"python3 at {sandbox_which('python3')} with pytest",
                     _base_mounts())


@functools.lru_cache(maxsize=1)
def _rustup_sysroot() -> Path | None:
    rustc = shutil.which("rustc")
    if rustc is None:
        return None
    try:
        ran = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    root = Path(ran.stdout.strip())
    return root if ran.returncode == 0 and (root / "bin" / "cargo").is_file() else None


def _rust(runners: Path) -> Toolchain:
    if sandbox_which("cc") is None:
        return _missing("rust", "a linker (cc)", "apt-get install -y gcc")
    if sandbox_which("cargo") and sandbox_which("rustc"):
        return Toolchain("rust", True, f"cargo at {sandbox_which('cargo')}", _base_mounts())
    sysroot = _rustup_sysroot()
    if sysroot is None:
        return _missing("rust", "cargo", "apt-get install -y cargo, or install rustup")
    return Toolchain("rust", True, f"rustup toolchain {sysroot}, mounted read-only at {RUST_MOUNT}",
                     dict(_base_mounts(), **{RUST_MOUNT: sysroot}), rust_bin=f"{RUST_MOUNT}/bin")


DETECTORS = {"cpp": _cpp, "go": _go, "java": _java, "javascript": _javascript,
             "python": _python, "rust": _rust}


def detect(language: str, runners: Path | None = None) -> Toolchain:
    """The toolchain of a language as a sandbox would see it."""
    return DETECTORS[language](runners or default_runners_dir())


def setup_runners(runners: Path | None = None) -> Path:
    """Vendor the JavaScript test stack with npm (registry needed once, never at test time)."""
    target = (runners or default_runners_dir()) / "js"
    npm = shutil.which("npm")
    if npm is None:
        raise ToolchainSetupError("npm is not installed; install it: apt-get install -y npm")
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "package.json").exists():
        (target / "package.json").write_text(
            '{"name": "dgm-polyglot-js-runner", "private": true}\n')
    ran = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--save-exact",
                          "--loglevel=error", *JS_PACKAGES], cwd=target, capture_output=True,
                         text=True, timeout=1800)
    if ran.returncode != 0:
        raise ToolchainSetupError(f"npm install in {target} failed: {ran.stderr.strip()[-800:]}")
    return target
