"""The swebench harness, proven offline on SWE-bench-format instances built from a local git repo.

Grading is swebench's own: its test spec and eval script (make_test_spec), its pytest log parser
and get_eval_report, run over the patched repository in real bubblewrap sandboxes. The gold patch
must resolve every instance and the empty patch none; an agent's run is exported as predictions
that swebench's own predictions loader reads back unchanged.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dgm.agent_runner import grade_patch
from dgm.archive import Archive, Outcome
from dgm.bench import node_run
from dgm.bench.builtin import BenchmarkDataError
from dgm.bench.config import BenchmarkConfig
from dgm.bench.swebench import REPORT_MARK, SwebenchBenchmark
from dgm.bench.validate import validate
from dgm.errors import DgmError
from dgm.sandbox.config import SandboxConfig
from tests.bench import swebench_instances as fixture

pytest.importorskip("swebench", reason="needs the swebench package: pip install 'dgm[swebench]'")
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[dict[str, Any]]]:
    """instances.jsonl with its repos/ mirror; the harness's cache in tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return fixture.build(tmp_path / "swe")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def grade(data: Path, task_id: str, patch: str, manifest: Path | None = None) -> tuple[Any, str]:
    """Grade a patch as dgm grades an agent's: fresh sandbox, lay out, apply, run the harness."""
    bench = SwebenchBenchmark(data, manifest)
    task = next(t for t in bench.tasks() if t.id == task_id)
    with tempfile.TemporaryDirectory() as tmp:
        if manifest is None:  # grade_patch loads the harness from the config: default manifest
            return grade_patch(task, patch, SandboxConfig(),
                               BenchmarkConfig(name="swebench", data=data), Path(tmp))
        from dgm.sandbox.bwrap import BwrapSandbox
        from dgm.sandbox.factory import spec_from_config

        (Path(tmp) / "w").mkdir()
        with BwrapSandbox(spec_from_config(SandboxConfig(), Path(tmp) / "w")) as box:
            bench.prepare(task, box)
            assert not patch  # (only unpatched gradings take this path)
            result = bench.grade(task, box)
            return result, (Path(tmp) / "w" / "test.log").read_text()


def test_instances_load_through_swebench_and_split(data, tmp_path: Path) -> None:
    path, rows = data
    bench = SwebenchBenchmark(path)
    tasks = bench.tasks()
    assert [t.id for t in tasks] == ["dgmtest__calc-1", "dgmtest__calc-2"]
    # None of these ids is in the manifest's tiers: the fixed rule (every 5th held out) applies.
    assert {t.split for t in tasks} == {"train"} and bench.manifest.tiers == [10, 60, 200]
    assert "div(7, 2) returns 3" in tasks[0].statement and "dgmtest/calc" in tasks[0].statement
    assert bench.gold_patch(tasks[0]) == rows[0]["patch"] and not tasks[0].protected
    # The same instances from a .json list and a .parquet file, through the same loader.
    as_json = tmp_path / "swe" / "instances.json"
    as_json.write_text(json.dumps(rows))
    import pandas

    as_parquet = tmp_path / "swe" / "instances.parquet"
    pandas.DataFrame(rows).to_parquet(as_parquet)
    for other in (as_json, as_parquet):
        again = SwebenchBenchmark(other)
        assert [t.id for t in again.tasks()] == [t.id for t in tasks]
        assert again.gold_patch(again.tasks()[0]) == rows[0]["patch"]


def test_manifest_tiers_make_the_train_split_and_the_rest_is_held_out(data, tmp_path: Path) -> None:
    path, _ = data
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('tiers = [1]\n[subsets]\nsmoke = ["dgmtest__calc-2"]\n')
    tasks = {t.id: t for t in SwebenchBenchmark(path, manifest).tasks()}
    assert (tasks["dgmtest__calc-2"].split, tasks["dgmtest__calc-2"].difficulty) == ("train", "easy")
    assert tasks["dgmtest__calc-1"].split == "heldout"
    manifest.write_text('[subsets]\nsmoll = ["x"]\n')
    with pytest.raises(BenchmarkDataError, match=r"manifest.toml: subsets.smoll: unknown subset"):
        SwebenchBenchmark(path, manifest)


def test_shipped_manifest_holds_dgms_tiers() -> None:
    from dgm.bench.swebench_data import default_manifest_path, load_manifest

    manifest = load_manifest(default_manifest_path())
    sizes = {name: len(ids) for name, ids in manifest.subsets.items()}
    assert sizes == {"smoke": 10, "medium": 50, "big": 140}
    every = [i for ids in manifest.subsets.values() for i in ids]
    assert len(set(every)) == 200 and all("__" in i and i.rsplit("-", 1)[1].isdigit() for i in every)
    assert manifest.dataset == "SWE-bench/SWE-bench_Verified" and manifest.tiers == [10, 60, 200]


@needs_bwrap
def test_gold_resolves_and_empty_does_not(data) -> None:
    """The offline proof: `dgm bench validate swebench` semantics through real sandboxes."""
    path, _ = data
    verdicts = validate(BenchmarkConfig(name="swebench", data=path), SandboxConfig(), workers=1)
    assert [(v.task_id, v.gold, v.noop) for v in sorted(verdicts, key=lambda v: v.task_id)] == [
        ("dgmtest__calc-1", "passed", "failed"), ("dgmtest__calc-2", "passed", "failed")]
    result, log = grade(path, "dgmtest__calc-1", "")
    assert (result.outcome, result.tests_passed, result.tests_failed) == ("failed", 1, 1)
    # The log is the eval script's own output, with swebench's markers, then swebench's report.
    assert ">>>>> Start Test Output" in log and ">>>>> Test Exit Code: 1" in log
    report = json.loads(log.split(REPORT_MARK, 1)[1])
    assert report["resolved"] is False
    assert report["tests_status"]["FAIL_TO_PASS"]["failure"] == ["tests/test_calc.py::test_div"]
    assert report["tests_status"]["PASS_TO_PASS"]["success"] == ["tests/test_calc.py::test_add"]


@needs_bwrap
def test_a_fix_that_breaks_a_pass_to_pass_test_is_not_resolved(data) -> None:
    path, rows = data
    repo = path.parent / "repos" / "dgmtest__calc"
    head = fixture.git(repo, "rev-parse", "HEAD").strip()
    fixture.git(repo, "checkout", "-q", rows[0]["base_commit"])
    try:  # div fixed, add broken, as one patch against base_commit
        patch = fixture.diff_of(repo, "calc/__init__.py", fixture.DIV_FIX.replace("a + b", "a - b"))
    finally:
        fixture.git(repo, "checkout", "-q", head)
    result, log = grade(path, "dgmtest__calc-1", patch)
    assert result.outcome == Outcome.failed
    report = json.loads(log.split(REPORT_MARK, 1)[1])
    assert report["tests_status"]["FAIL_TO_PASS"]["success"] == ["tests/test_calc.py::test_div"]
    assert report["tests_status"]["PASS_TO_PASS"]["failure"] == ["tests/test_calc.py::test_add"]


@needs_bwrap
def test_the_repository_stops_at_base_commit(data, tmp_path: Path) -> None:
    """The agent's repository has base_commit checked out and no later history (the fix)."""
    path, rows = data
    bench = SwebenchBenchmark(path)
    from dgm.sandbox.bwrap import BwrapSandbox
    from dgm.sandbox.factory import spec_from_config

    (tmp_path / "w").mkdir()
    with BwrapSandbox(spec_from_config(SandboxConfig(), tmp_path / "w")) as box:
        bench.prepare(bench.tasks()[0], box)
        ran = box.run(["git", "log", "--all", "--format=%H"], cwd="/work/repo", timeout=30)
    assert ran.ok, ran.stderr
    assert ran.stdout.split() == [rows[0]["base_commit"]]
    assert "a // b" in (tmp_path / "w" / "repo" / "calc" / "__init__.py").read_text()


@needs_bwrap
def test_harness_timeout_and_missing_image_are_errors(data, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path, rows = data
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    slow = dict(rows[0], instance_id="dgmtest__calc-slow",
                eval_script=fixture.eval_script(rows[0]["base_commit"], rows[0]["test_patch"],
                                                command="sleep 60"))
    official = dict(rows[0], instance_id="dgmtest__calc-image",
                    eval_script=fixture.eval_script(rows[0]["base_commit"], rows[0]["test_patch"],
                                                    workdir="/testbed"))
    extra = write_jsonl(path.parent / "extra.jsonl", [slow, official])
    manifest = tmp_path / "manifest.toml"
    manifest.write_text("timeout_s = 2\n")
    result, log = grade(extra, "dgmtest__calc-slow", "", manifest)
    assert result.outcome == Outcome.error and "timed out after 2 s" in result.error
    assert "Timeout error" in log
    result, log = grade(extra, "dgmtest__calc-image", "", manifest)
    assert result.outcome == Outcome.error  # no Docker daemon answers here: named, not failed
    assert rows[0]["image"] in result.error and "Docker daemon" in result.error


def test_bad_data_is_named(data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, rows = data
    cases = {
        "lacks.jsonl": ([{k: v for k, v in rows[0].items() if k != "eval_script"}],
                        r"instance dgmtest__calc-1 lacks eval_script .*swebench>=5"),
        "parser.jsonl": ([dict(rows[0], log_parser="parse_log_nope")],
                         r"dgmtest__calc-1: log_parser 'parse_log_nope' is not one of swebench"),
        "etype.jsonl": ([dict(rows[0], eval_type="sometimes")], r"eval_type 'sometimes'"),
        "twice.jsonl": ([rows[0], rows[0]], r"dgmtest__calc-1 appears twice"),
        "empty.jsonl": ([], r"holds no instances"),
    }
    for name, (content, message) in cases.items():
        with pytest.raises(BenchmarkDataError, match=message):
            SwebenchBenchmark(write_jsonl(tmp_path / name, content))
    (tmp_path / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(BenchmarkDataError, match=r"broken.jsonl: not a SWE-bench dataset"):
        SwebenchBenchmark(tmp_path / "broken.jsonl")
    with pytest.raises(BenchmarkDataError, match=r"nowhere.jsonl: no such SWE-bench data file"):
        SwebenchBenchmark(tmp_path / "nowhere.jsonl")
    with pytest.raises(BenchmarkDataError, match=r"must be a .json, .jsonl or .parquet file"):
        SwebenchBenchmark(tmp_path)

    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    with pytest.raises(BenchmarkDataError, match=r"'SWE-bench/SWE-bench_Verified' is on the "
                       r"Hugging Face hub, which is not reachable here.*--data"):
        SwebenchBenchmark()


def test_a_repository_that_cannot_be_fetched_is_named(data, tmp_path: Path) -> None:
    path, rows = data
    lost = write_jsonl(path.parent / "lost.jsonl", [dict(rows[0], base_commit="0" * 40)])
    bench = SwebenchBenchmark(lost)
    class Nowhere:
        spec = None

    with pytest.raises(BenchmarkDataError, match=r"instance dgmtest__calc-1: cannot lay out "
                       r"dgmtest/calc at 0{40}"):
        bench.prepare(bench.tasks()[0], Nowhere())  # type: ignore[arg-type]


@needs_bwrap
def test_cli_validate_swebench(data, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = data
    from dgm.bench import cli as bench_cli
    from dgm.cli import app

    monkeypatch.setattr(bench_cli.console, "width", 200)
    out = CliRunner().invoke(app, ["bench", "validate", "swebench", "--data", str(path),
                                   "--workers", "1"])
    assert out.exit_code == 0, out.output
    assert "gold 2/2 passed (100%), noop 0/2 passed (0%)" in out.output


# --------------------------------------------------------------------------- agent and export


def fixing_agent(messages: list[dict]) -> str:
    """A scripted model: fixes div when that is the issue, gives up on anything else."""
    if "div(7, 2) returns 3" in messages[1]["content"] and len(messages) == 2:
        return f"```file calc/__init__.py\n{fixture.DIV_FIX}```"
    return "```bash\nsubmit\n```"


@needs_bwrap
def test_an_agent_run_exports_predictions_swebench_reads(data, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """dgm bench run on the instances, then dgm bench predictions; swebench's loaders read it."""
    from dgm.agents import SEED_DIR
    from dgm.bench import cli as bench_cli
    from dgm.cli import app
    from dgm.config import RunConfig
    from dgm.llm.testing import ScriptedModel

    path, rows = data
    config = RunConfig()
    config.llm.model = "scripted/test"
    config.controller.agent_max_steps = 3
    config.sandbox.timeout_s = 120
    config.executor.workers = 1
    with Archive.create(tmp_path / "runs" / "night", config) as archive:
        root = archive.add_root(SEED_DIR)
    model = ScriptedModel(fixing_agent)
    real_open = node_run.open_client
    monkeypatch.setattr(node_run, "open_client",
                        lambda config, backend=None: real_open(config, backend=backend or model))
    monkeypatch.setattr(bench_cli.console, "width", 200)
    runner = CliRunner()
    ran = runner.invoke(app, ["bench", "run", "swebench", "--node", f"{archive.path}:{root.id}",
                              "--data", str(path)])
    assert ran.exit_code == 0, ran.output
    assert "passed 1 of 2, failed 1, errors 0" in ran.output

    out = tmp_path / "preds.jsonl"
    made = runner.invoke(app, ["bench", "predictions", str(archive.path), root.id[:6],
                               "--out", str(out)])
    assert made.exit_code == 0, made.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [set(p) for p in lines] == [{"instance_id", "model_name_or_path", "model_patch"}] * 2
    by_id = {p["instance_id"]: p for p in lines}
    assert "a / b" in by_id["dgmtest__calc-1"]["model_patch"]
    assert by_id["dgmtest__calc-2"]["model_patch"] == ""

    # swebench's own loaders: the predictions file, matched against the dataset's instances.
    from swebench.harness.run_evaluation import get_dataset_from_preds
    from swebench.harness.utils import get_predictions_from_file

    loaded = get_predictions_from_file(str(out), str(path), "test")
    assert loaded == lines
    monkeypatch.chdir(tmp_path)  # swebench looks for earlier reports under ./logs
    todo = get_dataset_from_preds(str(path), "test", None, {p["instance_id"]: p for p in loaded},
                                  "roundtrip", False)
    assert [i["instance_id"] for i in todo] == ["dgmtest__calc-1"]  # empty patches are not run
    # The exported patch, graded again, resolves the instance.
    result, _ = grade(path, "dgmtest__calc-1", by_id["dgmtest__calc-1"]["model_patch"])
    assert result.outcome == Outcome.passed

    with Archive.open(archive.path) as opened:
        named = tmp_path / "named.json"
        from dgm.bench.swebench_predictions import node_predictions, write_predictions

        write_predictions(node_predictions(opened, root.id, model_name="mine"), named)
        assert {p["model_name_or_path"] for p in get_predictions_from_file(
            str(named), str(path), "test")} == {"mine"}
        with pytest.raises(DgmError, match=r"end in .jsonl or .json"):
            write_predictions([], tmp_path / "preds.txt")
        with pytest.raises(DgmError, match=r"has no humaneval results"):
            node_predictions(opened, root.id, benchmark="humaneval")


# --------------------------------------------------------------------------- official images

PYTEST_PACKAGES = ["python3-pytest", "python3-pluggy", "python3-iniconfig", "python3-packaging",
                   "python3-py", "python3-attr", "python3-more-itertools", "python3-pkg-resources",
                   "patch"]


def instance_images(client: Any, rows: list[dict[str, Any]], data: Path, tmp: Path) -> None:
    """Each instance's image, built offline: dgm's python image plus pytest, repo at /testbed."""
    import io
    import tarfile

    from dgm.bench.swebench_data import checkout_repo
    from dgm.sandbox.images import import_rootfs
    from dgm.sandbox.recipes import HostCopy, Recipe, load_recipe
    from dgm.sandbox.rootfs import build_rootfs

    python = load_recipe("python").host_copy
    assert python is not None
    recipe = Recipe(name="swe", method="host-copy", host_copy=HostCopy(
        packages=python.packages + PYTEST_PACKAGES, links=python.links))
    import_rootfs(client, build_rootfs(recipe, tmp / "rootfs"), "dgmtest-swe-base:latest")
    for row in rows:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(checkout_repo(row, data), arcname="testbed")
        container = client.containers.create("dgmtest-swe-base:latest", ["true"])
        try:
            container.put_archive("/", buffer.getvalue())
            repository, _, tag = row["image"].rpartition(":")
            container.commit(repository=repository, tag=tag)
        finally:
            container.remove(force=True)


@pytest.mark.slow
def test_official_run_instance_grades_in_instance_images(data, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Instances whose eval scripts work in /testbed are graded by swebench's run_instance in
    their images (built offline here, as no registry is reachable): gold resolves, empty does not."""
    from dgm.sandbox.dockerd import PrivateDockerd, connect

    why = PrivateDockerd.unavailable()
    if why is not None:
        pytest.skip(f"no private dockerd: {why}")
    path, rows = data
    official = [dict(row, eval_script=fixture.eval_script(row["base_commit"], row["test_patch"],
                                                          workdir="/testbed")) for row in rows]
    extra = write_jsonl(path.parent / "official.jsonl", official)
    daemon = PrivateDockerd()
    try:
        monkeypatch.setenv("DOCKER_HOST", daemon.start())
        client = connect()
        try:
            instance_images(client, official, extra, tmp_path)
        finally:
            client.close()
        verdicts = validate(BenchmarkConfig(name="swebench", data=extra), SandboxConfig(),
                            workers=1)
        assert [(v.task_id, v.gold, v.noop) for v in sorted(verdicts, key=lambda v: v.task_id)] \
            == [("dgmtest__calc-1", "passed", "failed"), ("dgmtest__calc-2", "passed", "failed")], \
            [v.detail for v in verdicts]
        # Another correct fix than the gold one, graded the official way, resolves it too.
        result, log = grade(extra, "dgmtest__calc-1", official[0]["patch"].replace(
            "+    return a / b", "+    return a / b + 0 * add(0, 0)"))
        assert result.outcome == Outcome.passed, log
        assert json.loads(log.split(REPORT_MARK, 1)[1])["resolved"] is True
        # A predictions file as `dgm bench predictions` writes it, through the official CLI.
        import os
        import subprocess
        import sys

        from dgm.bench.swebench_predictions import write_predictions

        preds = write_predictions([
            {"instance_id": "dgmtest__calc-1", "model_name_or_path": "dgm__night__abc",
             "model_patch": official[0]["patch"]},
            {"instance_id": "dgmtest__calc-2", "model_name_or_path": "dgm__night__abc",
             "model_patch": ""}], tmp_path / "preds.jsonl")
        ran = subprocess.run(
            [sys.executable, "-m", "swebench.harness.run_evaluation", "--dataset_name", str(extra),
             "--predictions_path", str(preds), "--run_id", "offline", "--max_workers", "1",
             "--report_dir", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
            env=dict(os.environ), timeout=300)
        assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
        report = json.loads((tmp_path / "dgm__night__abc.offline.json").read_text())
        assert report["resolved_ids"] == ["dgmtest__calc-1"]
        assert report["empty_patch_ids"] == ["dgmtest__calc-2"] and not report["error_ids"]
    finally:
        daemon.remove()
