"""RunConfig: TOML loading, errors that name key and line, secrets only from the environment."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dgm.config import RunConfig, dump_config, find_key_line, load_config
from dgm.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dgm.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    config, notices = load_config(None, environ={})
    assert config == RunConfig() and notices == []
    assert config.sandbox.backend == "bwrap" and config.benchmark.name == "builtin"


def test_commented_default_round_trips(tmp_path: Path) -> None:
    text = dump_config(RunConfig(), commented=True)
    assert text.count("\n# ") > 30  # every field documented
    config, _ = load_config(write(tmp_path, text), environ={})
    assert config == RunConfig()


def test_non_default_values_round_trip(tmp_path: Path) -> None:
    original = RunConfig()
    original.benchmark.tiers = [10, 50]
    original.selection.strategy = "hgm"
    original.archive.name = "night-1"
    original.llm.api_base = 'http://host:8000/v1 "quoted"'
    config, _ = load_config(write(tmp_path, dump_config(original)), environ={})
    assert config == original


def test_partial_file_keeps_other_defaults(tmp_path: Path) -> None:
    config, _ = load_config(write(tmp_path, "[budget]\nmax_nodes = 7\n"), environ={})
    assert config.budget.max_nodes == 7
    assert config.budget.max_wall_hours == RunConfig().budget.max_wall_hours


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[sandbox]\nbackend = \"bwrap\"\n\n[selection]\nstrategi = \"hgm\"\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert f"{path}:5: selection.strategi: unknown key" in message
    assert "strategy" in message  # the known keys are listed


def test_unknown_section_and_wrong_types(tmp_path: Path) -> None:
    text = (
        "[budget]\nmax_nodes = \"lots\"\n"
        "[sandbox]\nmemory_mb = -5\nbackend = \"vm\"\n"
        "[colour]\nx = 1\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert f"{path}:2: budget.max_nodes" in message and "'lots'" in message
    assert f"{path}:4: sandbox.memory_mb" in message
    assert f"{path}:5: sandbox.backend" in message
    assert f"{path}:6: colour: unknown key" in message


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 2"):
        load_config(write(tmp_path, "[llm]\nmodel = \n"), environ={})
    with pytest.raises(ConfigError, match="config file not found.*dgm init"):
        load_config(tmp_path / "missing.toml", environ={})


def test_dotted_keys_are_located() -> None:
    text = "# comment\nsandbox.memory_mb = 1\n[llm]\nmodel = \"x\" # trailing\n"
    assert find_key_line(text, ("sandbox", "memory_mb")) == 2
    assert find_key_line(text, ("llm", "model")) == 4
    assert find_key_line(text, ("llm", "absent")) == 3  # falls back to the table header
    assert find_key_line(text, ("nothing",)) is None


def test_secret_from_environment_is_reported(tmp_path: Path) -> None:
    config, notices = load_config(None, environ={"DGM_LLM_API_KEY": "sk-env"})
    assert config.llm.api_key.get_secret_value() == "sk-env"
    assert notices == ["llm.api_key: environment variable DGM_LLM_API_KEY is used"]

    path = write(tmp_path, "[llm]\napi_key = \"sk-file\"\n")
    config, notices = load_config(path, environ={"DGM_LLM_API_KEY": "sk-env"})
    assert config.llm.api_key.get_secret_value() == "sk-env"
    assert "overrides the value in the config file" in notices[0]


def test_non_secret_environment_is_never_applied_silently() -> None:
    config, notices = load_config(None, environ={"DGM_SANDBOX_BACKEND": "docker", "HOME": "/x"})
    assert config.sandbox.backend == "bwrap"
    assert len(notices) == 1 and "DGM_SANDBOX_BACKEND is ignored" in notices[0]


def test_secrets_are_never_written(tmp_path: Path) -> None:
    config, _ = load_config(write(tmp_path, "[llm]\napi_key = \"sk-file-123\"\n"), environ={})
    for commented in (False, True):
        text = dump_config(config, commented=commented)
        assert "sk-file-123" not in text
        assert tomllib.loads(text)["llm"].get("api_key") is None
    assert "sk-file-123" not in repr(config)
