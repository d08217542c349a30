"""Exporting a node: a wheel that installs in a fresh virtual environment and runs the agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from dgm.agents import SEED_DIR
from dgm.archive import Archive, NodeStatus, Proposal, Score
from dgm.errors import DgmError
from dgm.export import choose_node, export_node
from tests.agents.conftest import scripted  # noqa: F401  (fixture)

SKILL = "---\nname: check-twice\ndescription: verify\n---\nRun the tests twice.\n"


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Archive, str, str]:
    """A run whose root is the real seed agent and whose child added a skill."""
    archive = Archive.create(tmp_path / "run")
    root = archive.add_root(SEED_DIR)
    patch = (
        "--- /dev/null\n+++ b/skills/30-check-twice.md\n@@ -0,0 +1,5 @@\n"
        + "".join(f"+{line}\n" for line in SKILL.splitlines())
    )
    child = archive.add_child(root.id, patch=patch,
                              proposal=Proposal(summary="add a | check-twice skill", mode="direct"))
    for node, heldout in ((root, 3), (child, 6)):
        archive.set_status(node.id, NodeStatus.evaluated, scores={
            "builtin:heldout": Score(passed=heldout, failed=10 - heldout),
            "builtin:train": Score(passed=5, failed=5)})
    yield archive, root.id, child.id
    archive.close()


def test_best_is_chosen_on_held_out(seeded: tuple[Archive, str, str]) -> None:
    archive, root, child = seeded
    node, why = choose_node(archive, "best")
    assert node.id == child and "held-out" in why and "60.0%" in why
    assert choose_node(archive, root[:6])[0].id == root


def test_exported_wheel_installs_and_runs(seeded, tmp_path: Path, scripted) -> None:  # noqa: F811
    archive, _, child = seeded
    built = export_node(archive, "best", tmp_path / "dist")
    assert sorted(p.suffix for p in built) == [".gz", ".whl"]
    wheel = next(p for p in built if p.suffix == ".whl")
    assert wheel.name.startswith(f"dgm_agent_{child}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "seed_agent/skills/30-check-twice.md" in names and "seed_agent/prompts/system.md" in names
    assert "seed_agent/skills/manifest.toml" in names  # the load order travels with the skills
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert f"node `{child}`" in metadata and "add a \\| check-twice skill" in metadata
    assert "| builtin:heldout | 6 | 10 | 60.0% |" in metadata

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = subprocess.run([env_dir / "bin" / "pip", "install", "--no-deps", "--no-index", str(wheel)],
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "x.py").write_text("X = 1\n")
    server = scripted(["```file x.py\nX = 2\n```", "```bash\nsubmit\n```"])
    traj = tmp_path / "traj.json"
    run = subprocess.run(
        [env_dir / "bin" / "seed-agent", "--task", "set X to 2", "--workdir", str(repo),
         "--trajectory", str(traj)],
        env={"PATH": os.environ["PATH"], "DGM_LLM_SOCKET": server.server_address},
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert (repo / "x.py").read_text() == "X = 2\n"
    system_prompt = server.requests[0]["messages"][0]["content"]
    assert "check-twice" in system_prompt  # the installed agent found its bundled skills
    assert json.loads(traj.read_text())["status"] == "submitted"


def test_export_refuses_a_tree_that_is_not_a_package(tmp_path: Path, agent_tree: Path) -> None:
    with Archive.create(tmp_path / "plain") as archive:
        root = archive.add_root(agent_tree)
        with pytest.raises(DgmError, match="no pyproject.toml"):
            export_node(archive, root.id, tmp_path / "out")
        with pytest.raises(DgmError, match="no scored node"):
            export_node(archive, "best", tmp_path / "out")
