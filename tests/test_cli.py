"""The dgm command on real archives: init, status, lineage, doctor, perf, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dgm.archive import Archive, NodeStatus, Outcome, Proposal, TaskResult
from dgm.config import load_config
from tests.conftest import populate


def dgm(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (as a user would), wide terminal for stable output."""
    full_env = dict(os.environ, COLUMNS="200", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "dgm.cli", *args],
        cwd=cwd, capture_output=True, text=True, env=full_env, timeout=300,
    )


@pytest.fixture
def run_dir(tmp_path: Path, agent_tree: Path) -> tuple[Path, dict[str, str]]:
    with Archive.create(tmp_path / "archive" / "night") as archive:
        ids = populate(archive, agent_tree)
    return archive.path, ids


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    result = dgm("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config, _ = load_config(tmp_path / "dgm.toml", environ={})
    assert config.sandbox.backend == "bwrap"
    again = dgm("init", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert dgm("init", "--force", cwd=tmp_path).returncode == 0


def test_status_shows_real_data(tmp_path: Path, run_dir: tuple[Path, dict[str, str]]) -> None:
    path, ids = run_dir
    by_name = dgm("status", "night", cwd=tmp_path)  # resolved under ./archive
    by_path = dgm("status", str(path), cwd=Path("/"))
    for result in (by_name, by_path):
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "5  (4 evaluated, 1 smoke_failed)" in out
        assert ids["a1"] in out and "80.0% on builtin:train" in out and "root: 50.0%" in out
        assert "node_updated" in out  # the last event


def test_status_uses_root_from_config(tmp_path: Path, run_dir: tuple[Path, dict[str, str]]) -> None:
    path, _ = run_dir
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    (elsewhere / "dgm.toml").write_text(f'[archive]\nroot = "{path.parent}"\n')
    result = dgm("status", "night", cwd=elsewhere)
    assert result.returncode == 0, result.stderr


def test_lineage_tree(tmp_path: Path, run_dir: tuple[Path, dict[str, str]]) -> None:
    path, ids = run_dir
    result = dgm("lineage", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert ids["root"] in lines[0] and "seed agent" in lines[0]
    a1 = next(line for line in lines if ids["a1"] in line)
    a = next(line for line in lines if ids["a"] in line and ids["a1"] not in line)
    assert a1.index(ids["a1"]) > a.index(ids["a"])  # nested one level deeper
    assert "change a1" in a1 and "80.0%" in a1
    shallow = dgm("lineage", str(path), "--depth", "1", cwd=tmp_path)
    assert ids["a1"] not in shallow.stdout and "1 more below" in shallow.stdout


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = dgm("status", "no-such-run", cwd=tmp_path)
    assert missing.returncode == 1
    assert "no dgm run archive here" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "dgm.toml").write_text("[budget]\nmax_nodes = 0\n")
    bad = dgm("doctor", cwd=tmp_path)
    assert bad.returncode == 1 and "dgm.toml:2: budget.max_nodes" in bad.stderr
    (tmp_path / "dgm.toml").write_text('[benchmark]\nname = "nope"\n')
    unknown = dgm("run", cwd=tmp_path)
    assert unknown.returncode == 1 and "unknown benchmark 'nope'" in unknown.stderr
    assert not (tmp_path / "archive").exists()  # nothing was created


def test_doctor_reports_and_fixes(tmp_path: Path) -> None:
    result = dgm("doctor", cwd=tmp_path)
    assert "python >= 3.11" in result.stdout and "git >= 2.30" in result.stdout
    broken = dgm("doctor", cwd=tmp_path, env={"PATH": "/nonexistent"})
    assert broken.returncode == 1
    assert "apt-get install -y git" in broken.stdout and "MISSING" in broken.stdout


def test_doctor_never_prints_a_key(tmp_path: Path) -> None:
    result = dgm("doctor", cwd=tmp_path, env={"DGM_LLM_API_KEY": "sk-doctor-secret"})
    assert "sk-doctor-secret" not in result.stdout + result.stderr
    assert "DGM_LLM_API_KEY is used" in result.stderr


def test_perf_prints_archive_rows(tmp_path: Path) -> None:
    result = dgm("perf", "--only", "archive", "--quick", "--repeat", "3", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    names = [r["operation"] for r in rows]
    assert names == [
        "add node (from a patch)",
        "check out node at depth 1",
        "check out node at depth 100",
        "open 1,000-node run, load all",
        "status of 1,000-node run",
    ]
    for row in rows:
        assert row["n"] >= 3 and 0 < row["p50"] <= row["p90"] and row["baseline_p50"] > 0
    unknown = dgm("perf", "--only", "nope", cwd=tmp_path)
    assert unknown.returncode == 1 and "unknown perf suite" in unknown.stderr


def test_show_and_diff(tmp_path: Path, run_dir: tuple[Path, dict[str, str]]) -> None:
    path, ids = run_dir
    with Archive.open(path, writable=True) as archive:
        archive.write_result(TaskResult(task_id="sneaky", node_id=ids["a1"], outcome=Outcome.failed,
                                        tampered=True))
        archive.set_status(ids["a1"], NodeStatus.evaluated, reason=None,
                           proposal=Proposal(summary="[bold]use retries[/bold]", mode="self"))
    shown = dgm("show", str(path), ids["a1"][:7], cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert ids["a1"] in out and f"parent               {ids['a']}" in out
    assert "[self] [bold]use retries[/bold]" in out  # model text is shown, never read as markup
    assert "80.0%  (8/10 passed)" in out and "sneaky" in out and "-10" in out and "+40" in out
    diffed = dgm("diff", str(path), ids["a"], ids["b"], cwd=tmp_path)
    assert diffed.returncode == 0, diffed.stderr
    assert "+20" in diffed.stdout
    assert "regressed" in diffed.stdout and "repo/task-0" in diffed.stdout
    missing = dgm("show", str(path), "ffffffff", cwd=tmp_path)
    assert missing.returncode == 1 and "no node 'ffffffff'" in missing.stderr


def test_status_watch_follows_a_live_run(tmp_path: Path, run_dir: tuple[Path, dict[str, str]]) -> None:
    path, ids = run_dir
    proc = subprocess.Popen(
        [sys.executable, "-m", "dgm.cli", "status", str(path), "--watch", "--interval", "0.3",
         "--refreshes", "12"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, COLUMNS="200"),
    )
    time.sleep(1.5)
    with Archive.open(path, writable=True) as archive:  # the "controller" writes meanwhile
        added = archive.add_child(ids["a1"], tree=path.parent.parent / "seed",
                                  proposal=Proposal(summary="written while watched"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "latest events" in out and added.id in out and "written while watched" in out


def test_run_estimate_honours_the_task_and_node_overrides(tmp_path: Path) -> None:
    done = dgm("run", "--estimate", "--max-nodes", "3", "--max-tasks", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 children" in done.stdout
    assert "every child runs all 2 training tasks" in done.stdout
    assert "also run 2 held-out tasks" in done.stdout
    assert not (tmp_path / "archive").exists()  # an estimate creates nothing
    bad = dgm("run", "--estimate", "--max-tasks", "0", cwd=tmp_path)
    assert bad.returncode != 0 and "max-tasks" in bad.stderr
