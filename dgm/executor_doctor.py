"""`dgm doctor` checks of the executor: for executor.kind = 'ray', Ray importable at the pinned
version and the cluster at executor.address reachable, big enough for one sandbox, and able to
reach the model gateway; for the local pool, Ray is only reported.

The cluster is probed from a child process with a time limit: joining a cluster makes this
process a Ray driver, and an address nobody answers can keep ray.init waiting for minutes.
"""

from __future__ import annotations

import importlib.metadata
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from dgm.config import RunConfig
from dgm.doctor import Check

RAY_PIN = "2.60.0"  # pyproject.toml's [ray] extra
INSTALL = f"pip install 'dgm[ray]'  (ray=={RAY_PIN}, the same on every node)"
PROBE_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 3.0
MIB = 1024 * 1024
LOOPBACK = ("127.", "localhost", "::1")

# Run in a child: import Ray, join the cluster, describe it as one JSON line per step.
_PROBE = """
import json, sys
try:
    import ray
except Exception as exc:
    print(json.dumps({"import_error": f"{type(exc).__name__}: {exc}"})); sys.exit(0)
print(json.dumps({"version": ray.__version__}), flush=True)
address = sys.argv[1]
if address == "-":
    sys.exit(0)
ray.init(address=address, include_dashboard=False, log_to_driver=False,
         configure_logging=False)
nodes = [n for n in ray.nodes() if n.get("Alive")]
print(json.dumps({"here": ray.util.get_node_ip_address(), "nodes": [
    {"ip": n["NodeManagerAddress"], "cpus": n["Resources"].get("CPU", 0),
     "memory": n["Resources"].get("memory", 0)} for n in nodes]}), flush=True)
ray.shutdown()
"""


def checks(config: RunConfig) -> Iterator[Check]:
    """Ray's checks for the configured executor."""
    executor = config.executor
    if executor.kind != "ray":
        try:
            found = f"ray {importlib.metadata.version('ray')} installed"
        except importlib.metadata.PackageNotFoundError:
            found = "ray not installed"
        yield Check("ray (executor.kind = 'local')", True,
                    f"{found}; needed only for executor.kind = 'ray'", fix=INSTALL,
                    required=False)
        return
    address = executor.address
    if address is not None and (problem := _unreachable(address)) is not None:
        yield from _import_checks(probe("-"))
        yield Check(f"ray cluster at {address}", False, problem, fix=_START_FIX)
        return
    report = probe(address or "-")
    yield from _import_checks(report)
    if "version" not in report:
        return
    if address is None:
        yield Check("ray cluster", True, "executor.address unset: each run starts a private "
                    "Ray on this machine", required=False)
        return
    if "nodes" not in report:
        yield Check(f"ray cluster at {address}", False,
                    f"cannot join it: {report.get('error', 'no answer')}", fix=_START_FIX)
        return
    yield from _cluster_checks(config, address, report)


_START_FIX = ("on the head: ray start --head --port=6379; then executor.address = 'HOST:6379' "
              "(README: Running on a Ray cluster)")


def _import_checks(report: dict[str, Any]) -> Iterator[Check]:
    if "version" not in report:
        yield Check("ray importable", False,
                    report.get("import_error") or report.get("error", "cannot import ray"),
                    fix=INSTALL)
        return
    version = report["version"]
    yield Check("ray importable", True, f"ray {version}")
    yield Check(f"ray == {RAY_PIN}", version == RAY_PIN,
                version + ("" if version == RAY_PIN else f" (dgm pins {RAY_PIN})"),
                fix=f"pip install 'ray=={RAY_PIN}'", required=False)


def _cluster_checks(config: RunConfig, address: str, report: dict[str, Any]) -> Iterator[Check]:
    nodes = report["nodes"]
    cpus = sum(n["cpus"] for n in nodes)
    memory = sum(n["memory"] for n in nodes) / MIB / 1024
    yield Check(f"ray cluster at {address}", bool(nodes),
                f"{len(nodes)} node(s) alive, {cpus:g} CPUs, {memory:.1f} GiB for tasks",
                fix=_START_FIX)
    need_cpus, need_mb = config.sandbox.cpus, config.sandbox.memory_mb
    fits = [n for n in nodes if n["cpus"] >= need_cpus and n["memory"] >= need_mb * MIB]
    yield Check(
        "ray node fits one sandbox", bool(fits),
        f"sandbox.cpus = {need_cpus:g}, sandbox.memory_mb = {need_mb}; {len(fits)} of "
        f"{len(nodes)} node(s) offer that",
        fix="lower sandbox.cpus / sandbox.memory_mb, or add larger nodes")
    remote = sorted({n["ip"] for n in nodes} - {report["here"]})
    loopback = config.executor.proxy_host.startswith(LOOPBACK)
    if remote:
        yield Check(
            "model gateway reachable from workers", not loopback,
            f"executor.proxy_host = {config.executor.proxy_host}; workers on "
            f"{', '.join(remote)}" + (" cannot reach a loopback address" if loopback else ""),
            fix="set executor.proxy_host to this machine's address on the workers' network")


def _unreachable(address: str) -> str | None:
    """Why nothing listens at a host:port address (None when something does, or for 'auto')."""
    target = address.removeprefix("ray://")
    if target == "auto" or ":" not in target:
        return None
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S):
            return None
    except ValueError:
        return f"{address!r} is not HOST:PORT, 'ray://HOST:PORT' or 'auto'"
    except OSError as exc:
        return f"nothing answers at {target}: {exc.strerror or exc}"


def probe(address: str, timeout_s: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Import Ray and (unless address is '-') join the cluster, in a child process."""
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, address], capture_output=True,
                              text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        report = _parse(exc.stdout or "")
        report["error"] = f"no answer within {timeout_s:.0f} s"
        return report
    report = _parse(done.stdout)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        report["error"] = lines[-1][:300] if lines else f"exit status {done.returncode}"
    return report


def _parse(stdout: str | bytes) -> dict[str, Any]:
    """Merge the probe's JSON lines (Ray may print other lines in between)."""
    text = stdout.decode(errors="replace") if isinstance(stdout, bytes) else stdout
    report: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                report.update(json.loads(line))
            except ValueError:
                pass
    return report
