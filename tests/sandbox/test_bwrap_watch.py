"""bwrap as root without cgroups: the process limit is enforced by watching the pid namespace."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dgm.sandbox import cgroups
from dgm.sandbox.base import SandboxSpec
from dgm.sandbox.bwrap import BwrapSandbox

pytestmark = [
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the watch is only used for root callers"),
]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BwrapSandbox:
    monkeypatch.setattr(cgroups.Cgroup, "create", classmethod(lambda cls, *a, **k: None))
    box = BwrapSandbox(SandboxSpec(workdir=tmp_path, pids=32))
    assert box.cgroup is None
    yield box
    box.close()


def test_too_many_processes_kill_the_sandbox(sandbox: BwrapSandbox) -> None:
    result = sandbox.run(["/bin/sh", "-c", "for i in $(seq 60); do sleep 30 & done; wait; echo DONE"],
                         timeout=60)
    assert "DONE" not in result.stdout and not result.ok and not result.timed_out
    assert "process limit exceeded (more than 32)" in result.stderr
    assert result.seconds < 20


def test_work_within_the_limit_is_untouched(sandbox: BwrapSandbox) -> None:
    result = sandbox.run(["/bin/sh", "-c", "for i in $(seq 10); do sleep 0.3 & done; wait; echo DONE"],
                         timeout=60)
    assert result.ok and result.stdout.strip() == "DONE" and "limit" not in result.stderr
