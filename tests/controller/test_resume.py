"""A run killed with SIGKILL at random moments resumes without losing or repeating work."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from dgm.archive import Archive, NodeStatus
from tests.controller.fakes import seed_tree
from tests.controller.test_loop import ledger_counts, make_config

STEPS = 8
RUNNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dgm.archive import Archive
    from dgm.controller.loop import Controller
    from tests.controller import fakes
    run, ledger, seed, steps = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    archive = Archive.open(run, writable=True)
    svc = fakes.services(run, ledger)
    slow = svc.evaluator.evaluate
    def evaluate(node, tasks, attempt):  # slow enough for kills to land mid-evaluation
        time.sleep(0.15)
        return slow(node, tasks, attempt)
    svc.evaluator.evaluate = evaluate
    outcome = Controller(archive, svc, archive.config).run(seed, max_steps=steps)
    print("DONE", outcome.reason, flush=True)
    """
)


def test_sigkill_anywhere_then_resume(tmp_path: Path) -> None:
    config = make_config()
    with Archive.create(tmp_path / "run", config) as archive:
        run = archive.path
    ledger, seed = tmp_path / "ledger", seed_tree(tmp_path / "seed")
    args = [sys.executable, "-c", RUNNER, str(run), str(ledger), str(seed), str(STEPS)]
    rng = random.Random(42)
    kills = 0
    for attempt in range(60):
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parents[2])
        # The window widens with each try, so a loaded machine (slow imports) still finishes.
        try:
            out, err = proc.communicate(timeout=rng.uniform(0.3, 1.5) + 0.1 * attempt)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            continue
        assert proc.returncode == 0, err
        assert out.startswith(f"DONE max_steps reached ({STEPS})")
        break
    else:
        raise AssertionError("the run never finished")
    assert kills >= 5, "kills should land mid-run; the timings need adjusting"

    with Archive.open(run) as archive:
        nodes = archive.nodes()
        assert all(n.status in {NodeStatus.evaluated, NodeStatus.smoke_failed} for n in nodes)
        best = archive.best("builtin:train")
        assert best.score("builtin:train") >= 0.5  # progress despite the kills
        counts = ledger_counts(ledger)
        repeats = sum(c - 1 for c in counts.values())
        # Only tasks in flight at a kill may run twice: at most one batch (a tier) per kill.
        assert repeats <= kills * 6
        for node in nodes:
            if node.status == NodeStatus.evaluated:
                graded = node.scores["builtin:train"].graded
                assert graded >= 3 and graded == len(
                    [r for r in archive.results(node.id) if r.split == "train"])
