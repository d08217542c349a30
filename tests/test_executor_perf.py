"""The executor rows of `dgm perf`: the local pool row, and a note instead of Ray rows without Ray."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dgm.executor_perf import rows
from dgm.perf import PerfContext


def test_without_ray_the_suite_gives_the_pool_row_and_says_why_no_ray_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails, as if not installed
    ctx = PerfContext(workdir=tmp_path, repeat=3, quick=True)
    found = list(rows(ctx))
    assert [r.operation for r in found] == ["local pool: one evaluation's scheduling (no-op job)"]
    assert len(found[0].samples) == 3 and all(s > 0 for s in found[0].samples)
    assert found[0].baseline_p50 > 0  # the in-process call it is compared with
    assert ctx.notes == ["executor: Ray not installed, no Ray rows (pip install 'dgm[ray]')"]
