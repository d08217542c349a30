"""Shipped jobs without Ray: exact trees, logs brought back, the model gateway and its tokens.

A LocalExecutor stands in for a remote one here (its workers are other processes that are told
nothing of the controller's folders but what the shipped job carries).
"""

from __future__ import annotations

import os
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from dgm.agent_runner import AgentJob
from dgm.archive.gitstore import GitStore
from dgm.archive.result import Outcome, TaskResult
from dgm.bench.base import Task
from dgm.bench.config import BenchmarkConfig
from dgm.errors import ConfigError
from dgm.executor import ExecutorConfig, LocalExecutor
from dgm.executor_gateway import HELLO, Bridge, LLMGateway
from dgm.executor_ship import (
    ShipError,
    ShippedJob,
    ShippedResult,
    Shipper,
    land,
    pack_tree,
    run_shipped,
    shipper_for,
    unpack_tree,
)
from dgm.sandbox.config import SandboxConfig

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


class _Upper(socketserver.StreamRequestHandler):
    """A stand-in proxy: answers each line with the line in capitals."""

    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line.upper())


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def proxy_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "p.sock"
    server = _UnixServer(str(path), _Upper)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway() -> Iterator[LLMGateway]:
    gate = LLMGateway("127.0.0.1", 0).start()
    yield gate
    gate.close()


def _ask(path: Path, text: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(str(path))
        conn.sendall(text)
        conn.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: conn.recv(4096), b""))


def test_the_bridge_reaches_the_proxy_its_token_names_and_only_while_it_is_live(
        tmp_path: Path, proxy_socket: Path, gateway: LLMGateway) -> None:
    token = gateway.register(proxy_socket)
    with Bridge(tmp_path / "b.sock", gateway.address, token):
        assert _ask(tmp_path / "b.sock", b"hello\nworld\n") == b"HELLO\nWORLD\n"
        assert os.stat(tmp_path / "b.sock").st_mode & 0o777 == 0o666  # the sandbox's uid
        gateway.unregister(token)
        assert _ask(tmp_path / "b.sock", b"hello\n") == b""  # expired: nothing served
    assert not (tmp_path / "b.sock").exists()
    with Bridge(tmp_path / "c.sock", gateway.address, "0" * 48):
        assert _ask(tmp_path / "c.sock", b"hello\n") == b""  # a guessed token gets nothing


def test_the_gateway_drops_a_peer_that_does_not_say_hello(proxy_socket: Path,
                                                          gateway: LLMGateway) -> None:
    gateway.register(proxy_socket)
    with socket.create_connection(gateway.address, timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        try:
            answer = conn.recv(100)
        except ConnectionResetError:  # closed with the request unread: a reset, also fine
            answer = b""
        assert answer == b""
    assert HELLO.startswith(b"DGM-LLM")


def _tree_store(tmp_path: Path) -> tuple[GitStore, str, Path]:
    tree = tmp_path / "agent"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "main.py").write_text("print('hi')\n")
    (tree / "run.sh").write_text("#!/bin/sh\necho run\n")
    (tree / "run.sh").chmod(0o755)
    (tree / "link").symlink_to("pkg/main.py")
    store = GitStore.init(tmp_path / "agents.git")
    return store, store.commit_dir(tree, parent=None, message="n", when=WHEN), tree


def _listing(root: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(root)): (p.lstat().st_mode, os.readlink(p) if p.is_symlink()
                                       else p.read_text())
            for p in sorted(root.rglob("*")) if not p.is_dir() or p.is_symlink()}


def test_a_packed_tree_checks_out_exactly_as_the_archive_holds_it(tmp_path: Path) -> None:
    store, commit, tree = _tree_store(tmp_path)
    tree_id, pack = pack_tree(store.path, commit)
    other = unpack_tree(pack, tree_id, tmp_path / "worker.git")
    assert _listing(other.checkout(tree_id, tmp_path / "out")) == _listing(
        store.checkout(commit, tmp_path / "here"))
    assert len(pack) < 4096  # the tree, not the history
    with pytest.raises(ShipError, match="cat-file failed"):
        unpack_tree(pack, "f" * 40, tmp_path / "bad.git")


def _job(tmp_path: Path, commit: str, *, payload: Path | None = None,
         socket_path: Path | None = None) -> AgentJob:
    task = Task(id="t/1", benchmark="builtin", split="train", statement="s",
                payload=payload or tmp_path, test_command=["true"])
    return AgentJob(git_dir=tmp_path / "agents.git", node_id="n1", commit=commit, task=task,
                    sandbox=SandboxConfig(), benchmark=BenchmarkConfig(), llm_socket=socket_path,
                    log_dir=tmp_path / "logs" / "t%2F1")


def fake_run(job: AgentJob) -> TaskResult:
    """What a job does with the files it was given: read the agent, call the model, log."""
    agent = GitStore(job.git_dir).checkout(job.commit, job.log_dir.parent / "agent")
    reply = _ask(job.llm_socket, b"model?\n") if job.llm_socket else b""
    (job.log_dir / "try2").mkdir(parents=True)
    (job.log_dir / "1-test.log").write_text("tests ran")
    (job.log_dir / "try2" / "1-agent.log").write_text("second try")
    return TaskResult(task_id=job.task.id, node_id=job.node_id, outcome=Outcome.passed,
                      patch=(agent / "pkg" / "main.py").read_text() + reply.decode(),
                      log_path=str(job.log_dir / "1-test.log"))


def test_a_shipped_job_runs_on_its_own_files_and_its_logs_land_locally(
        tmp_path: Path, proxy_socket: Path, gateway: LLMGateway) -> None:
    store, commit, _ = _tree_store(tmp_path)
    job = _job(tmp_path, commit, socket_path=proxy_socket)
    pool = LocalExecutor(workers=1)
    try:
        result = Shipper(gateway).submit(pool, fake_run, job).result(timeout=120)
    finally:
        pool.shutdown()
    assert result.patch == "print('hi')\nMODEL?\n"  # the node's tree, the proxy via the gateway
    assert result.log_path == str(job.log_dir / "1-test.log")
    assert (job.log_dir / "1-test.log").read_text() == "tests ran"
    assert (job.log_dir / "try2" / "1-agent.log").read_text() == "second try"
    assert gateway.target("anything") is None and not gateway._targets  # token ended with the job


def test_a_worker_without_the_benchmark_data_says_which_path_it_lacks(tmp_path: Path) -> None:
    store, commit, _ = _tree_store(tmp_path)
    tree, pack = pack_tree(store.path, commit)
    job = _job(tmp_path, commit, payload=tmp_path / "nowhere")
    with pytest.raises(ShipError, match=r"lacks .*nowhere \(benchmark 'builtin', task t/1\)"):
        run_shipped(ShippedJob(fn=fake_run, job=job, tree=tree, pack=pack))
    with pytest.raises(ShipError, match="runs dgm .* the controller 0.0.1"):
        run_shipped(ShippedJob(fn=fake_run, job=job, tree=tree, pack=pack, version="0.0.1"))


def test_landing_refuses_a_log_outside_the_job_folder(tmp_path: Path) -> None:
    with pytest.raises(ShipError, match="outside its folder"):
        land(ShippedResult(value=None, log_root="/w", logs={"../x": b""}), tmp_path)
    assert not (tmp_path.parent / "x").exists()


def test_executor_config_names_keys_that_need_ray() -> None:
    with pytest.raises(ValidationError, match="executor.address is only used with"):
        ExecutorConfig(address="auto")
    assert ExecutorConfig(kind="ray", address="ray://head:10001").address == "ray://head:10001"


class _FakeCluster:
    remote = True

    def spans_hosts(self) -> bool:
        return True


def test_a_loopback_gateway_is_refused_for_a_cluster_on_several_hosts() -> None:
    pool = LocalExecutor(workers=1)
    assert shipper_for(pool, ExecutorConfig()) is None
    pool.shutdown()
    with pytest.raises(ConfigError, match="executor.proxy_host = '127.0.0.1'"):
        shipper_for(_FakeCluster(), ExecutorConfig(kind="ray"))  # type: ignore[arg-type]
    shipper = shipper_for(_FakeCluster(), ExecutorConfig(kind="ray", proxy_host="0.0.0.0"))  # type: ignore[arg-type]
    assert shipper is not None and shipper.gateway.port > 0
    shipper.close()
