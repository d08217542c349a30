"""`dgm doctor` executor checks: Ray reported for the local pool, probed for kind = 'ray'."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from dgm import executor_doctor
from dgm.config import RunConfig
from dgm.doctor import PROVIDERS, Check
from dgm.executor_doctor import RAY_PIN, checks, probe

GIB = 1024**3


def ray_config(address: str | None = "10.0.0.1:6379", **executor: Any) -> RunConfig:
    return RunConfig(executor={"kind": "ray", "address": address, **executor},
                     sandbox={"cpus": 1.0, "memory_mb": 2048})


def by_name(found: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in found}


def fake_probe(monkeypatch: pytest.MonkeyPatch, report: dict[str, Any]) -> list[str]:
    """Answer probes with `report`; skip the TCP pre-check; return the addresses probed."""
    asked: list[str] = []

    def answer(address: str, timeout_s: float = 0) -> dict[str, Any]:
        asked.append(address)
        return dict(report)

    monkeypatch.setattr(executor_doctor, "probe", answer)
    monkeypatch.setattr(executor_doctor, "_unreachable", lambda address: None)
    return asked


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_registered_with_doctor() -> None:
    assert "dgm.executor_doctor:checks" in PROVIDERS


def test_local_pool_only_reports_ray(monkeypatch) -> None:
    monkeypatch.setattr(executor_doctor, "probe", lambda *a: pytest.fail("probed for local"))
    [check] = checks(RunConfig())
    assert check.ok and not check.required and "executor.kind = 'ray'" in check.detail


def test_healthy_cluster(monkeypatch) -> None:
    asked = fake_probe(monkeypatch, {"version": RAY_PIN, "here": "10.0.0.1", "nodes": [
        {"ip": "10.0.0.1", "cpus": 4, "memory": 8 * GIB},
        {"ip": "10.0.0.2", "cpus": 8, "memory": 16 * GIB}]})
    found = by_name(list(checks(ray_config(proxy_host="10.0.0.1"))))
    assert asked == ["10.0.0.1:6379"]
    assert all(check.ok for check in found.values()), found
    assert found["ray importable"].detail == f"ray {RAY_PIN}"
    assert found["ray cluster at 10.0.0.1:6379"].detail.startswith("2 node(s) alive, 12 CPUs")
    assert "2 of 2 node(s)" in found["ray node fits one sandbox"].detail


def test_cluster_problems_each_get_a_fix(monkeypatch) -> None:
    fake_probe(monkeypatch, {"version": "2.9.0", "here": "10.0.0.1", "nodes": [
        {"ip": "10.0.0.2", "cpus": 1, "memory": 1 * GIB}]})
    found = by_name(list(checks(ray_config())))  # proxy_host defaults to loopback
    assert not found[f"ray == {RAY_PIN}"].ok and not found[f"ray == {RAY_PIN}"].required
    assert "dgm pins" in found[f"ray == {RAY_PIN}"].detail
    fits = found["ray node fits one sandbox"]
    assert not fits.ok and "sandbox.memory_mb = 2048" in fits.detail and fits.fix
    gateway = found["model gateway reachable from workers"]
    assert not gateway.ok and "10.0.0.2" in gateway.detail and "proxy_host" in gateway.fix


def test_ray_not_importable(monkeypatch) -> None:
    fake_probe(monkeypatch, {"import_error": "ModuleNotFoundError: No module named 'ray'"})
    found = list(checks(ray_config()))
    assert [(c.name, c.ok) for c in found] == [("ray importable", False)]
    assert "No module named" in found[0].detail and "dgm[ray]" in found[0].fix


def test_cluster_that_does_not_answer_the_join(monkeypatch) -> None:
    fake_probe(monkeypatch, {"version": RAY_PIN, "error": "no answer within 60 s"})
    found = by_name(list(checks(ray_config("auto"))))
    assert not found["ray cluster at auto"].ok
    assert "no answer within 60 s" in found["ray cluster at auto"].detail
    assert "ray start --head" in found["ray cluster at auto"].fix


def test_private_cluster_is_informational(monkeypatch) -> None:
    asked = fake_probe(monkeypatch, {"version": RAY_PIN})
    found = by_name(list(checks(ray_config(None))))
    assert asked == ["-"]  # imported, no cluster joined
    assert found["ray cluster"].ok and not found["ray cluster"].required


def test_nothing_listening_fails_fast_without_joining(monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(executor_doctor, "probe",
                        lambda address, timeout_s=0: asked.append(address) or {"version": RAY_PIN})
    port = closed_port()
    found = by_name(list(checks(ray_config(f"127.0.0.1:{port}"))))
    check = found[f"ray cluster at 127.0.0.1:{port}"]
    assert not check.ok and "nothing answers" in check.detail and asked == ["-"]
    assert "not HOST:PORT" in executor_doctor._unreachable("ray://head:port")


def test_probe_time_limit_is_reported() -> None:
    report = probe("-", timeout_s=0.001)
    assert report["error"] == "no answer within 0 s"


@pytest.mark.slow
def test_probe_joins_a_real_cluster() -> None:
    """The child process really imports Ray and joins a running cluster at its address."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        address = ray.get_runtime_context().gcs_address
        config = RunConfig(executor={"kind": "ray", "address": address},
                           sandbox={"cpus": 1.0, "memory_mb": 64})
        found = by_name(list(checks(config)))
    finally:
        ray.shutdown()
    assert found["ray importable"].detail == f"ray {ray.__version__}"
    cluster = found[f"ray cluster at {address}"]
    assert cluster.ok and cluster.detail.startswith("1 node(s) alive, 1 CPUs"), cluster
    assert found["ray node fits one sandbox"].ok
    assert "model gateway reachable from workers" not in found  # one host: loopback is right
