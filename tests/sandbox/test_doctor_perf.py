"""Docker in `dgm doctor` and `dgm perf`: what is reported with and without a daemon."""

from __future__ import annotations

from pathlib import Path

from dgm.perf import PerfContext
from tests.sandbox.conftest import DOCKER_IMAGE


def test_doctor_reports_docker_without_a_daemon(tmp_path: Path, monkeypatch) -> None:
    from dgm.sandbox.doctor import docker_checks

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    checks = {c.name: c for c in docker_checks("python", required=False)}
    assert checks["docker SDK"].ok
    daemon = checks["docker daemon"]
    assert not daemon.ok and not daemon.required and "dockerd" in daemon.fix
    required = {c.name: c for c in docker_checks("python", required=True)}
    assert required["docker daemon"].required


def test_doctor_starts_a_docker_sandbox(docker_client, monkeypatch) -> None:
    from dgm.sandbox.doctor import docker_checks

    if docker_client.dgm_daemon is not None:
        monkeypatch.setenv("DOCKER_HOST", docker_client.dgm_daemon.url)
    checks = {c.name: c for c in docker_checks(DOCKER_IMAGE, required=True)}
    assert checks["docker daemon"].ok and checks["docker sandbox"].ok, checks
    missing = {c.name: c for c in docker_checks("nosuch", required=True)}
    assert not missing["docker sandbox image"].ok
    assert missing["docker sandbox image"].fix == "dgm sandbox build nosuch"


def test_perf_docker_rows(docker_client, tmp_path: Path, monkeypatch) -> None:
    from dgm.sandbox.perf import docker_rows

    if docker_client.dgm_daemon is not None:
        monkeypatch.setenv("DOCKER_HOST", docker_client.dgm_daemon.url)
        # The rows use the python image when the daemon has it (else they build one, ~3 s more).
        docker_client.images.get(DOCKER_IMAGE).tag("dgm-sandbox-python", "latest")
    ctx = PerfContext(workdir=tmp_path, repeat=3, quick=True)
    rows = list(docker_rows(ctx, [0.001, 0.002]))
    assert [r.operation for r in rows] == ["docker: exec true in a running sandbox",
                                           "docker: create + start + remove a sandbox"]
    for row in rows:
        assert len(row.samples) == 3 and 0 < row.p50 <= row.p90 and row.ok is not None
    assert not docker_client.containers.list(all=True, filters={"label": "dgm.sandbox"})
