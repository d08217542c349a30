"""Every backend must stop each of these escape attempts, and leave the host as it was."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dgm.sandbox.base import SandboxError

PY = "python3"


def host_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


def test_commands_run_as_nobody_in_the_workdir(open_sandbox) -> None:
    sandbox = open_sandbox()
    result = sandbox.run(["/bin/sh", "-c", "id -u; pwd; echo data > out.txt"])
    assert result.ok and result.stdout.split() == ["65534", "/work"]
    assert (sandbox.spec.workdir / "out.txt").read_text() == "data\n"


def test_outbound_network_is_denied(open_sandbox) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    code = (f"import socket\ns = socket.socket()\ns.settimeout(2)\n"
            f"s.connect(('127.0.0.1', {port}))\nprint('CONNECTED')")
    result = open_sandbox().run([PY, "-c", code], timeout=30)
    thread.join()
    server.close()
    assert "CONNECTED" not in result.stdout and result.returncode != 0
    assert accepted == []
    dns = open_sandbox().run([PY, "-c", "import socket; socket.getaddrinfo('pypi.org', 443)"])
    assert dns.returncode != 0


def test_writes_outside_the_workdir_fail(open_sandbox, tmp_path: Path) -> None:
    sandbox = open_sandbox()
    marker = tmp_path / "escape-marker"
    for target in ("/usr/evil", "/evil", str(marker), "/etc/evil"):
        result = sandbox.run(["/bin/sh", "-c", f"echo x > {target}"])
        assert result.returncode != 0, target
    assert not marker.exists() and not Path("/usr/evil").exists() and not Path("/evil").exists()
    # /tmp inside is private: it never reaches the host's /tmp.
    sandbox.run(["/bin/sh", "-c", "echo x > /tmp/dgm-sandbox-private"])
    assert not Path("/tmp/dgm-sandbox-private").exists()


def test_host_secrets_are_invisible(open_sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "keys" / "api_key"
    secret_file.parent.mkdir()
    secret_file.write_text("sk-planted-file-secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-env-secret")
    sandbox = open_sandbox(env={"ALLOWED": "yes"})
    result = sandbox.run(["/bin/sh", "-c", f"cat {secret_file}; env; ls /root /home 2>&1"])
    assert "sk-planted" not in result.stdout + result.stderr
    assert "ALLOWED=yes" in result.stdout
    assert {line.split("=")[0] for line in result.stdout.splitlines() if "=" in line} >= {"PATH"}


def test_memory_limit_is_enforced(open_sandbox) -> None:
    sandbox = open_sandbox(memory_mb=256)
    result = sandbox.run([PY, "-c", "x = bytearray(1024 * 1024 * 1024); print('ALLOCATED')"],
                         timeout=60)
    assert "ALLOCATED" not in result.stdout and result.returncode != 0


def test_fork_bomb_is_contained(open_sandbox, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["open_sandbox"] == "bwrap-rlimit" and os.geteuid() == 0:
        pytest.skip("root is exempt from RLIMIT_NPROC: without cgroups the process limit is a "
                    "watchdog a fork bomb can outrun (dgm doctor says so); an unprivileged user "
                    "gets the kernel's limit")
    sandbox = open_sandbox(pids=64)
    start = time.monotonic()
    # Counting /proc entries with builtins only: at the limit, a command substitution could not fork.
    count = "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo COUNT $n"
    result = sandbox.run(["/bin/bash", "-c", f"bomb() {{ bomb | bomb & }}; bomb; sleep 2; {count}"],
                         timeout=10)
    assert time.monotonic() - start < 30
    assert result.returncode is not None
    seen = [int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("COUNT")]
    # The limit held: never more processes than it allows (a root caller is exempt from
    # RLIMIT_NPROC, which is what this catches), whether or not the count got printed.
    assert all(n <= 64 + 2 for n in seen), seen
    time.sleep(0.2)
    assert host_processes("bomb()") == []  # nothing of it survives on the host
    again = sandbox.run(["/bin/sh", "-c", "echo still usable"])
    assert again.ok and again.stdout.strip() == "still usable"


def test_timeout_kills_the_whole_tree(open_sandbox) -> None:
    marker = f"dgm-timeout-{os.getpid()}"
    sleeper = f"sleep 300.{os.getpid()}"  # its own duration: another test's leftovers never match
    sandbox = open_sandbox()
    result = sandbox.run(["/bin/sh", "-c", f"{sleeper} & sleep 301 & while :; do :; done # {marker}"],
                         timeout=1)
    assert result.timed_out and not result.ok and result.seconds < 10
    time.sleep(0.2)
    assert host_processes(marker) == [] and host_processes(sleeper) == []


def test_nothing_outlives_a_command(open_sandbox) -> None:
    sandbox = open_sandbox()
    result = sandbox.run(["/bin/sh", "-c", "nohup sleep 302 >/dev/null 2>&1 & echo started"])
    assert result.ok and result.seconds < 10
    time.sleep(0.2)
    assert host_processes("sleep 302") == []
    sandbox.close()
    with pytest.raises(SandboxError, match="closed"):
        sandbox.run(["true"])


def test_huge_output_is_capped(open_sandbox) -> None:
    sandbox = open_sandbox(output_limit=100_000)
    result = sandbox.run(["/bin/sh", "-c", "head -c 1000000000 /dev/zero | tr '\\0' x; echo END"],
                         timeout=120)
    assert result.ok and result.truncated
    assert len(result.stdout) < 101_000 and result.stdout.endswith("END\n")
    assert "bytes cut" in result.stdout


def test_put_and_get_stay_in_the_workdir(open_sandbox, tmp_path: Path) -> None:
    sandbox = open_sandbox()
    src = tmp_path / "payload"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "a.txt").write_text("hello")
    sandbox.put(src, "/work/repo")
    assert sandbox.run(["cat", "/work/repo/pkg/a.txt"]).stdout == "hello"
    sandbox.run(["/bin/sh", "-c", "ln -s /etc/hostname /work/link; echo new > repo/b.txt"])
    sandbox.get("/work/repo", tmp_path / "back")
    assert (tmp_path / "back" / "b.txt").read_text() == "new\n"
    with pytest.raises(SandboxError, match="only paths under /work"):
        sandbox.put(src, "/usr/lib/x")
    with pytest.raises(SandboxError, match="escapes"):
        sandbox.get("/work/link", tmp_path / "stolen")


def test_sweep_spares_live_sandboxes_and_clears_dead_ones(open_sandbox) -> None:
    from dgm.sandbox import cgroups

    live = open_sandbox()
    if getattr(live, "cgroup", None) is None:
        pytest.skip("no cgroups in this backend variant")
    dead = live.cgroup.paths[0].parent / "sbx-999999999-deadbeef"
    dead.mkdir()
    assert cgroups.sweep() >= 1 and not dead.exists()
    assert all(p.is_dir() for p in live.cgroup.paths)
    assert live.run(["true"]).ok


def test_read_only_binds_cannot_be_changed(open_sandbox, tmp_path: Path) -> None:
    agent = tmp_path / "agent-src"
    agent.mkdir()
    (agent / "main.py").write_text("print('agent')\n")
    sandbox = open_sandbox(ro_binds={"/agent": agent})
    assert sandbox.run([PY, "/agent/main.py"]).stdout == "agent\n"
    for attempt in ("echo x > /agent/main.py", "echo x > /agent/new.py", "rm /agent/main.py"):
        assert sandbox.run(["/bin/sh", "-c", attempt]).returncode != 0, attempt
    assert sorted(p.name for p in agent.iterdir()) == ["main.py"]
    assert (agent / "main.py").read_text() == "print('agent')\n"


def test_llm_socket_is_the_one_channel_out(open_sandbox, tmp_path: Path) -> None:
    path = tmp_path / "llm.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    path.chmod(0o666)
    server.listen()
    server.settimeout(30)

    def answer() -> None:
        try:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"pong:" + conn.recv(16))
        except OSError:
            pass

    thread = threading.Thread(target=answer)
    thread.start()
    code = ("import os, socket\ns = socket.socket(socket.AF_UNIX)\n"
            "s.connect(os.environ['DGM_LLM_SOCKET'])\ns.sendall(b'ping')\nprint(s.recv(64).decode())")
    result = open_sandbox(llm_socket=path).run([PY, "-c", code], timeout=30)
    thread.join()
    server.close()
    assert result.ok, result.stderr
    assert result.stdout.strip() == "pong:ping"
