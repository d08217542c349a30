"""run_capped's waiting: exit seen at once, timeouts and watch verdicts honoured."""

from __future__ import annotations

import subprocess
import sys

from dgm.sandbox.capture import run_capped, wait_exit


def test_wait_exit_reaps_an_exited_process_and_reports_a_running_one() -> None:
    quick = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert wait_exit(quick, 30) is True and quick.returncode == 3
    slow = subprocess.Popen(["sleep", "30"])
    try:
        assert wait_exit(slow, 0.2) is False and slow.returncode is None
    finally:
        slow.kill()
        slow.wait()
    assert wait_exit(slow, 0) is True  # already reaped: no pidfd, Popen answers


def test_run_capped_returns_the_code_the_timeout_and_the_watch_verdict() -> None:
    code, out, _, timed_out, _, _ = run_capped([sys.executable, "-c", "print('hi'); exit(4)"],
                                               timeout=30, limit=1000)
    assert (code, out, timed_out) == (4, "hi\n", False)
    code, _, _, timed_out, _, seconds = run_capped(["sleep", "30"], timeout=0.3, limit=1000)
    assert timed_out and code < 0 and seconds < 10
    calls = []

    def watch(pid: int) -> str | None:
        calls.append(pid)
        return "too many processes" if len(calls) >= 2 else None

    code, _, err, timed_out, _, _ = run_capped(["sleep", "30"], timeout=30, limit=1000, watch=watch)
    assert not timed_out and code < 0 and "[dgm: too many processes]" in err and len(calls) == 2
