"""The live panel of `dgm run`: what it says is being worked on, and how it ends off a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from dgm.controller.budget import Usage
from dgm.controller.config import BudgetConfig
from dgm.controller.display import LivePanel


def test_the_panel_tracks_stages_until_each_ends() -> None:
    out = io.StringIO()
    panel = LivePanel("run-x", BudgetConfig(max_nodes=3), lambda: Usage(nodes=2),
                      Console(file=out, width=100))
    with panel:
        for kind, data in [("diagnosis_started", {"node": "root"}),
                           ("child_created", {"node": "kid", "parent": "root"}),
                           ("smoke_started", {"node": "kid"}), ("eval_started", {"node": "kid"}),
                           ("node_evaluated", {"node": "kid", "score": 0.5}),
                           ("heldout_started", {"node": "root"}),
                           ("smoke_started", {"node": "bad"})]:
            panel(kind, data)
        assert panel.stage == {"root": "heldout", "bad": "smoke"} and panel.best == ("kid", 0.5)
        panel("smoke_finished", {"node": "bad", "ok": False})
        panel("heldout_finished", {"node": "root"})
        assert panel.stage == {}
        panel("eval_started", {"node": "kid"})
        panel("run_stopped", {"node": None, "reason": "budget"})
        assert panel.stage == {}
    text = out.getvalue()
    assert "2 of 3" in text and "kid  50.0%" in text and text.endswith("\n")
