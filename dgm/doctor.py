"""`dgm doctor`: check every prerequisite of a run and say how to fix each missing one.

Each component contributes a provider `checks(config) -> Iterator[Check]` registered in PROVIDERS;
a provider is imported only when doctor runs, and one that fails to import is itself reported.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dgm.config import RunConfig

PROVIDERS: list[str] = [
    "dgm.doctor:core_checks",
    "dgm.sandbox.doctor:checks",
    "dgm.bench.doctor:checks",
    "dgm.llm.doctor:checks",
    "dgm.executor_doctor:checks",
]

# Core dependencies and the versions pyproject.toml pins.
CORE_PACKAGES = {
    "pydantic": "2.14.3",
    "gitpython": "3.2.1",
    "networkx": "3.6.1",
    "typer": "0.29.1",
    "rich": "15.0.0",
    "build": "1.6.1",
}
MIN_GIT = (2, 30)


@dataclass
class Check:
    """One prerequisite: whether it holds, what was found, and the command that fixes it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def run_checks(config: RunConfig) -> list[Check]:
    """Run every provider's checks against a configuration."""
    results: list[Check] = []
    for spec in PROVIDERS:
        module_name, func_name = spec.split(":")
        try:
            provider = getattr(importlib.import_module(module_name), func_name)
            results.extend(provider(config))
        except Exception as exc:  # a broken provider must not hide the other checks
            results.append(Check(f"checks of {module_name}", False, f"could not run: {exc}"))
    return results


def core_checks(config: RunConfig) -> Iterator[Check]:
    """Python, the pinned core packages, git, and a writable archive root."""
    version = sys.version_info
    yield Check(
        "python >= 3.11",
        version >= (3, 11),
        f"{version.major}.{version.minor}.{version.micro} at {sys.executable}",
        fix="install Python 3.11 or newer",
    )
    for package, pinned in CORE_PACKAGES.items():
        try:
            found = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            yield Check(f"package {package}", False, "not installed", fix="pip install -e .")
            continue
        yield Check(
            f"package {package}",
            found == pinned,
            f"{found}" + ("" if found == pinned else f" (dgm pins {pinned})"),
            fix=f"pip install '{package}=={pinned}'",
            required=False,
        )
    yield _git_check()
    yield _writable_check(config.archive.root)


def _git_check() -> Check:
    git = shutil.which("git")
    if git is None:
        return Check("git", False, "not found on PATH", fix="apt-get install -y git")
    out = subprocess.run([git, "--version"], capture_output=True, text=True).stdout.strip()
    match = re.search(r"(\d+)\.(\d+)", out)
    found = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    return Check(
        f"git >= {MIN_GIT[0]}.{MIN_GIT[1]}",
        found >= MIN_GIT,
        out or "unknown version",
        fix="apt-get install -y git",
    )


def _writable_check(root: Path) -> Check:
    probe = root if root.exists() else next((p for p in root.parents if p.exists()), Path("."))
    writable = os.access(probe, os.W_OK)
    return Check(
        "archive root writable",
        writable,
        f"{root} ({'exists' if root.exists() else 'will be created'})",
        fix=f"mkdir -p {root} && chmod u+w {root}  (or set archive.root in the config)",
    )
