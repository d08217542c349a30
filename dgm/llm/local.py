"""Serving models locally: the embedded CPU model (llama.cpp via xllamacpp) and vLLM on a GPU.

Both expose OpenAI-compatible endpoints; the client reaches them through litellm like any other
(`local/<name>` is sent as `openai/<name>` to the embedded server's address).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import socket
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from dgm.errors import DgmError
from dgm.llm.client import Backend, LLMClient
from dgm.llm.config import LLMConfig
from dgm.llm.models import ModelError, dgm_home, get_spec, model_path, verify_model
from dgm.llm.routes import LOCAL_PREFIX

LOCAL_EXTRA_FIX = "pip install 'dgm[local]'"


class LocalServerError(DgmError):
    """The embedded model server could not be started."""


def xllamacpp_available() -> bool:
    """Whether the llama.cpp wheel (the [local] extra) is installed."""
    return importlib.util.find_spec("xllamacpp") is not None


class LocalServer:
    """llama.cpp's OpenAI server for one GGUF model, in a child process on 127.0.0.1."""

    def __init__(
        self, model: Path, *, alias: str, threads: int | None = None, context: int = 8192,
        parallel: int = 1, port: int = 0, startup_timeout_s: float = 180.0,
        log_path: Path | None = None,
    ) -> None:
        self.model, self.alias = Path(model), alias
        self.threads = threads or os.cpu_count() or 1
        self.context, self.parallel, self.port = context, parallel, port
        self.startup_timeout_s = startup_timeout_s
        self.log_path = log_path
        self.address: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @classmethod
    def from_config(cls, config: LLMConfig, name: str, home: Path | None = None) -> LocalServer:
        """A server for the installed local model `name`; ModelError says how to install it."""
        spec = get_spec(name)
        path = model_path(spec, home)
        status = verify_model(spec, path, full=False)
        if not status.ok:
            raise ModelError(f"local model {spec.name}: {status.detail}; fix: dgm models install")
        logs = (home or dgm_home()) / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        return cls(path, alias=spec.name, threads=config.local_threads,
                   context=config.local_context, log_path=logs / f"{spec.name}.log")

    @property
    def api_base(self) -> str:
        """The OpenAI base URL ('http://127.0.0.1:PORT/v1')."""
        if self.address is None:
            raise LocalServerError("the local model server is not running")
        return self.address + "/v1"

    def start(self) -> LocalServer:
        """Start the child, wait until the model is loaded and /health answers."""
        if self._process is not None:
            return self
        if not xllamacpp_available():
            raise LocalServerError(f"the embedded model needs xllamacpp: {LOCAL_EXTRA_FIX}")
        if self.log_path is not None:
            self._log = self.log_path.open("ab")
        command = [
            sys.executable, "-m", "dgm.llm.llama_server", "--model", str(self.model),
            "--alias", self.alias, "--port", str(self.port), "--ctx", str(self.context),
            "--threads", str(self.threads), "--parallel", str(self.parallel),
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log if self._log is not None else subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)
        try:
            self.address = self._read_address()
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_address(self) -> str:
        """The address the child prints once loaded; other stdout lines (library chatter) skipped."""
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        found: list[str] = []

        def scan() -> None:
            for line in stdout:
                try:
                    found.append(str(json.loads(line)["address"]))
                    return
                except (ValueError, KeyError, TypeError):
                    continue

        reader = threading.Thread(target=scan, daemon=True)
        reader.start()
        reader.join(self.startup_timeout_s)
        if found:
            return found[0]
        code = self._process.poll()
        if code is None and not reader.is_alive():  # stdout closed: the child is exiting
            try:
                code = self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        why = f"exited with {code}" if code is not None else (
            f"not ready after {self.startup_timeout_s:.0f} s")
        raise LocalServerError(
            f"local model server {why}; see {self.log_path or 'its stderr'}" + self._log_tail()
        )

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            try:
                with urllib.request.urlopen(self.address + "/health", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline or self._process.poll() is not None:  # type: ignore[union-attr]
                raise LocalServerError(f"local model server at {self.address} never became "
                                       f"healthy" + self._log_tail())
            time.sleep(0.2)

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return ""
        lines = self.log_path.read_text(errors="replace").strip().splitlines()[-5:]
        return ("\n  " + "\n  ".join(lines)) if lines else ""

    def stop(self) -> None:
        """Stop the child (EOF on its stdin, then SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.address = None

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def open_client(
    config: LLMConfig, *, backend: Backend | None = None, environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Iterator[LLMClient]:
    """A client for a run; starts the embedded model server when a local/ model is configured
    (and not replaying a cassette), and stops it on exit."""
    models = {config.model, config.agent_model or config.model}
    local = sorted(m for m in models if m.startswith(LOCAL_PREFIX))
    if backend is not None or config.cassette_mode == "replay" or not local:
        yield LLMClient(config, backend=backend, environ=environ)
        return
    if len(local) > 1:
        raise LocalServerError(f"only one embedded model can run at a time, not {local}")
    with LocalServer.from_config(config, local[0], home) as server:
        yield LLMClient(config, environ=environ, local_api_base=server.api_base)


# --------------------------------------------------------------------------- vLLM


class VLLMUnavailableError(DgmError):
    """vLLM cannot run here (no GPU, or not installed)."""


def vllm_command(model: str, host: str, port: int, extra: list[str]) -> list[str]:
    """The `vllm serve` command line."""
    return ["vllm", "serve", model, "--host", host, "--port", str(port), *extra]


def vllm_config_snippet(model: str, host: str, port: int, *, keyed: bool = False) -> str:
    """The [llm] section that points a run at a vLLM server."""
    reach = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    lines = [
        "[llm]",
        f'model = "hosted_vllm/{model}"',
        f'api_base = "http://{reach}:{port}/v1"',
    ]
    if keyed:
        lines.append('api_key_env = "VLLM_API_KEY"   # the key vLLM was started with')
    return "\n".join(lines) + "\n"


def check_vllm() -> str:
    """The vllm executable's path; VLLMUnavailableError explains what is missing."""
    found = shutil.which("vllm")
    if found:
        return found
    if shutil.which("nvidia-smi") is None:
        raise VLLMUnavailableError(
            "vLLM needs an NVIDIA GPU with CUDA, and this machine has none (no nvidia-smi); "
            "its wheels do not install on CPU-only machines. On a GPU machine run "
            "`pip install vllm` and then `dgm serve MODEL` there; for CPU-only runs use the "
            "embedded model (`dgm models install`, model = \"local/qwen2.5-coder-1.5b-instruct\")"
        )
    raise VLLMUnavailableError("vLLM is not installed on this GPU machine: pip install vllm")


def _die_with_parent() -> None:
    """In the server's process before exec: SIGTERM it when dgm dies, however it dies.

    Closing stdin already stops a loaded server; this also covers one still loading its model
    (minutes on a slow machine), which reads stdin only once loaded."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the stdin rule still applies


def serve_vllm(model: str, *, host: str, port: int, extra: list[str]) -> int:
    """Run `vllm serve` in the foreground until it exits or Ctrl-C; return its exit status."""
    executable = check_vllm()
    command = vllm_command(model, host, port, extra)
    command[0] = executable
    process = subprocess.Popen(command)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
