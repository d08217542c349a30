"""The controller's perf rows measure what they claim: real generations, a resume that evaluates nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dgm.archive import Archive
from dgm.controller.perf import _overhead_run, _resume_times
from dgm.perf import PerfContext


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_overhead_is_measured_per_generation_around_real_gradings(tmp_path: Path) -> None:
    overheads, work = _overhead_run(PerfContext(workdir=tmp_path, quick=True), 2)
    assert len(overheads) == len(work) == 2
    # Each generation graded at least its first tier (2 tasks) in sandboxes, which takes time,
    # and the loop's own share is positive (the evaluation time was subtracted, not added).
    assert all(w > 0.05 for w in work) and all(0 < o < 30 for o in overheads)
    runs = [p for p in tmp_path.rglob("run") if (p / "agents.git").exists()]
    with Archive.open(runs[0]) as archive:
        assert len(archive) == 3  # the seed and one child per generation
        best = archive.best()
        assert best is not None and best.generation == 2


def test_resume_of_a_finished_run_decides_without_evaluating(tmp_path: Path) -> None:
    resume, open_only = _resume_times(PerfContext(workdir=tmp_path, quick=True), 50, 2)
    assert len(resume) == len(open_only) == 2
    assert all(r > 0 for r in resume + open_only)
    run = next(p for p in tmp_path.rglob("run") if (p / "agents.git").exists())
    with Archive.open(run) as archive:
        kinds = [e.kind for e in archive.events]
    assert kinds.count("session_started") == 2 and kinds.count("run_stopped") == 2
    assert "eval_started" not in kinds
