"""What only the docker backend has: hardened containers, labels, sweeping a killed caller's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dgm.sandbox.base import SandboxError, SandboxSpec
from tests.sandbox.conftest import DOCKER_IMAGE


def _spec(tmp_path: Path, **fields: object) -> SandboxSpec:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return SandboxSpec(workdir=work, image=DOCKER_IMAGE, **fields)  # type: ignore[arg-type]


def test_container_is_hardened_and_labelled(docker_client, tmp_path: Path) -> None:
    from dgm.sandbox.docker import DockerSandbox

    spec = _spec(tmp_path, memory_mb=300, cpus=0.5, pids=50, labels={"run": "r1", "node": "n7"})
    with DockerSandbox(spec, client=docker_client) as sandbox:
        status = sandbox.run(["/bin/sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' "
                              "/proc/self/status; cat /sys/fs/cgroup/pids.max "
                              "/sys/fs/cgroup/pids/pids.max 2>/dev/null; ls /sys/class/net"])
        fields = dict(line.split(":\t") for line in status.stdout.splitlines() if ":\t" in line)
        assert fields["CapEff"].strip("0") == "" and fields["CapBnd"].strip("0") == ""
        assert fields["NoNewPrivs"] == "1"
        assert "50" in status.stdout.split() and "eth0" not in status.stdout  # only lo
        info = docker_client.api.inspect_container(sandbox.container.id)
        host = info["HostConfig"]
        assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True
        assert host["Memory"] == 300 * 2**20 and host["NanoCpus"] == 500_000_000
        assert info["Config"]["User"] == "65534:65534"
        labels = info["Config"]["Labels"]
        assert labels["dgm.run"] == "r1" and labels["dgm.node"] == "n7"
        assert labels["dgm.owner"].split("/")[1] == str(os.getpid())


def test_close_never_leaks_a_container(docker_client, tmp_path: Path) -> None:
    from dgm.sandbox.docker import DockerSandbox

    sandbox = DockerSandbox(_spec(tmp_path), client=docker_client)
    container_id = sandbox.container.id
    sandbox.run(["/bin/sh", "-c", "sleep 300 &"])
    sandbox.close()
    sandbox.close()
    with pytest.raises(Exception, match="No such container"):
        docker_client.api.inspect_container(container_id)
    # A sandbox dropped without close() is removed when it is garbage-collected.
    forgotten = DockerSandbox(_spec(tmp_path), client=docker_client)
    forgotten_id = forgotten.container.id
    del forgotten
    with pytest.raises(Exception, match="No such container"):
        docker_client.api.inspect_container(forgotten_id)


def test_killed_callers_containers_are_swept(docker_client, tmp_path: Path) -> None:
    from dgm.sandbox.docker import DockerSandbox

    daemon = docker_client.dgm_daemon
    host = daemon.url if daemon is not None else os.environ.get("DOCKER_HOST", "")
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from dgm.sandbox.base import SandboxSpec
        from dgm.sandbox.docker import DockerSandbox
        box = DockerSandbox(SandboxSpec(workdir=Path({str(tmp_path)!r}), image={DOCKER_IMAGE!r}))
        print(box.container.id, flush=True)
        time.sleep(600)
    """)
    env = dict(os.environ, DOCKER_HOST=host) if host else dict(os.environ)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             env=env)
    assert child.stdout is not None
    orphan = child.stdout.readline().strip()
    assert orphan
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert docker_client.api.inspect_container(orphan)["State"]["Running"]  # left behind
    with DockerSandbox(_spec(tmp_path), client=docker_client) as live:
        with pytest.raises(Exception, match="No such container"):
            docker_client.api.inspect_container(orphan)
        from dgm.sandbox.dockerd import sweep_containers

        assert sweep_containers(docker_client) == 0  # the live sandbox is spared
        assert live.run(["true"]).ok


def test_sweep_command_removes_dead_owners_containers(docker_client, monkeypatch) -> None:
    from typer.testing import CliRunner

    from dgm.cli import app

    dead = docker_client.containers.create(
        DOCKER_IMAGE, ["sleep", "infinity"], network_mode="none",
        labels={"dgm.sandbox": "1", "dgm.owner": "no-such-boot/1/1"})
    if docker_client.dgm_daemon is not None:
        monkeypatch.setenv("DOCKER_HOST", docker_client.dgm_daemon.url)
    result = CliRunner().invoke(app, ["sandbox", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 leftover container" in result.output
    with pytest.raises(Exception, match="No such container"):
        docker_client.api.inspect_container(dead.id)


def test_missing_image_says_how_to_build_it(docker_client, tmp_path: Path) -> None:
    from dgm.sandbox.docker import DockerSandbox

    spec = _spec(tmp_path).model_copy(update={"image": "nosuchrecipe"})
    with pytest.raises(SandboxError, match="dgm sandbox build nosuchrecipe"):
        DockerSandbox(spec, client=docker_client)


@pytest.mark.skipif(os.geteuid() != 0, reason="handing /work over needs root")
def test_hand_over_never_follows_symlinks(tmp_path: Path) -> None:
    from dgm.sandbox.docker import hand_over

    outside = tmp_path / "host-file"
    outside.write_text("host")
    work = tmp_path / "work"
    (work / "repo").mkdir(parents=True)
    (work / "repo" / "a.py").write_text("x")
    (work / "link").symlink_to(outside)
    hand_over(work, 65534, 65534)
    assert (work / "repo" / "a.py").stat().st_uid == 65534
    assert work.stat().st_uid == 65534
    assert outside.stat().st_uid == 0


def test_factory_names_the_extra_and_how_to_start_a_daemon(tmp_path: Path, monkeypatch) -> None:
    from dgm.sandbox.config import SandboxConfig
    from dgm.sandbox.factory import make_sandbox

    config = SandboxConfig(backend="docker")
    spec = SandboxSpec(workdir=tmp_path)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    with pytest.raises(SandboxError, match="no Docker daemon answers.*dockerd"):
        make_sandbox(config, spec)
    monkeypatch.setitem(sys.modules, "docker", None)
    with pytest.raises(SandboxError, match=r"pip install 'dgm\[docker\]'"):
        make_sandbox(config, spec)


def test_factory_builds_the_docker_backend_from_config(docker_client, tmp_path: Path,
                                                       monkeypatch) -> None:
    from dgm.sandbox.config import SandboxConfig
    from dgm.sandbox.docker import DockerSandbox
    from dgm.sandbox.factory import make_sandbox, spec_from_config

    if docker_client.dgm_daemon is not None:
        monkeypatch.setenv("DOCKER_HOST", docker_client.dgm_daemon.url)
    config = SandboxConfig(backend="docker", image=DOCKER_IMAGE, memory_mb=128, pids=40)
    spec = spec_from_config(config, tmp_path, labels={"node": "abc"})
    with make_sandbox(config, spec) as sandbox:
        assert isinstance(sandbox, DockerSandbox)
        info = docker_client.api.inspect_container(sandbox.container.id)
        assert info["HostConfig"]["PidsLimit"] == 40 and info["Config"]["Labels"]["dgm.node"] == "abc"
        assert sandbox.run(["python3", "-c", "print(6 * 7)"]).stdout == "42\n"


def test_a_dead_container_is_restarted_and_a_failing_daemon_is_a_sandbox_error(
        docker_client, tmp_path: Path, monkeypatch) -> None:
    import requests

    from dgm.sandbox.docker import DockerSandbox

    with DockerSandbox(_spec(tmp_path), client=docker_client) as sandbox:
        docker_client.api.kill(sandbox.container.id)  # e.g. its init was OOM-killed
        again = sandbox.run(["/bin/sh", "-c", "echo back"])
        assert again.ok and again.stdout == "back\n"

        def refuse(*args: object, **kwargs: object) -> None:
            raise requests.ConnectionError("daemon gone")

        monkeypatch.setattr(docker_client.api, "exec_create", refuse)
        with pytest.raises(SandboxError, match="docker failed while running 'true'.*daemon gone"):
            sandbox.run(["true"])
