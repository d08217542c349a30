"""RunConfig: every component's configuration in one model, read from and written to TOML."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError

from dgm._model import ConfigModel
from dgm.archive.config import ArchiveConfig
from dgm.bench.config import BenchmarkConfig
from dgm.controller.config import BudgetConfig, ControllerConfig, SelectionConfig
from dgm.errors import ConfigError
from dgm.executor import ExecutorConfig
from dgm.llm.config import LLMConfig
from dgm.sandbox.config import SandboxConfig
from dgm.skills.config import SkillsConfig

DEFAULT_CONFIG_NAME = "dgm.toml"
# The only values the environment may set: secrets. Each maps to (section, field).
SECRET_ENV = {"DGM_LLM_API_KEY": ("llm", "api_key")}
_ENV_PREFIX = "DGM_"


class RunConfig(ConfigModel):
    """The whole configuration of a run, one section per component."""

    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    benchmark: BenchmarkConfig = Field(default_factory=BenchmarkConfig)
    controller: ControllerConfig = Field(default_factory=ControllerConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    skills: SkillsConfig = Field(default_factory=SkillsConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)


SECTION_DOCS = {
    "archive": "Where run archives are written.",
    "llm": "Language models: the controller's, and the one agents reach through the host proxy.",
    "sandbox": "Sandboxes that run untrusted agent code and tests.",
    "benchmark": "The benchmark children are judged on, and its splits.",
    "controller": "How each child is proposed and validated.",
    "selection": "How parents are selected each generation.",
    "budget": "Budgets: the run stops cleanly at the first one exhausted.",
    "skills": "Skill library and its GRASP regression-budget gate.",
    "executor": "Where evaluations run, and how many at once.",
}


# --------------------------------------------------------------------------- loading


def load_config(
    path: Path | None, environ: Mapping[str, str] | None = None
) -> tuple[RunConfig, list[str]]:
    """Read a TOML config (None: all defaults), apply secret env overrides; return config and notices."""
    environ = os.environ if environ is None else environ
    if path is None:
        data: dict[str, Any] = {}
        text = ""
    else:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found (write one with `dgm init`)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = parse_config(data, source=str(path) if path else "<defaults>", text=text)
    notices = apply_secret_env(config, environ)
    return config, notices


def parse_config(data: Mapping[str, Any], *, source: str, text: str = "") -> RunConfig:
    """Validate a parsed TOML mapping; errors name each key and, when known, its line."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(str(part) for part in err["loc"])
            key = ".".join(loc) or "<top>"
            line = find_key_line(text, loc) if text else None
            where = f"{source}:{line}" if line else source
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key" + _suggest(loc)
            elif "input" in err and not isinstance(err["input"], dict):
                msg = f"{msg} (got {err['input']!r})"
            lines.append(f"{where}: {key}: {msg}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def _suggest(loc: tuple[str, ...]) -> str:
    """Name the known keys of the section an unknown key was found in."""
    model: type[BaseModel] = RunConfig
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        if field is None or not isinstance(field.annotation, type):
            return ""
        if not issubclass(field.annotation, BaseModel):
            return ""
        model = field.annotation
    return " (known: " + ", ".join(model.model_fields) + ")"


def find_key_line(text: str, loc: tuple[str, ...]) -> int | None:
    """Best-effort 1-based line of a dotted key in TOML text (tables and dotted keys)."""
    if not loc:
        return None
    table: tuple[str, ...] = ()
    header_line: int | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            table = tuple(p.strip().strip("\"'") for p in header.group(1).split("."))
            if table == loc[: len(table)] and header_line is None:
                header_line = number
            continue
        assign = re.match(r"([A-Za-z0-9_.\"'\- ]+?)\s*=", line)
        if not assign:
            continue
        key = tuple(p.strip().strip("\"'") for p in assign.group(1).split("."))
        full = table + key
        if full == loc[: len(full)]:
            return number
    return header_line


def apply_secret_env(config: RunConfig, environ: Mapping[str, str]) -> list[str]:
    """Take secrets from the environment; report each override and each ignored DGM_ variable."""
    notices = []
    for name, value in sorted(environ.items()):
        if not name.startswith(_ENV_PREFIX):
            continue
        if name in SECRET_ENV:
            section, field = SECRET_ENV[name]
            target = getattr(config, section)
            had = getattr(target, field) is not None
            setattr(target, field, SecretStr(value))
            what = "overrides the value in the config file" if had else "is used"
            notices.append(f"{section}.{field}: environment variable {name} {what}")
        elif name in _IGNORED_ENV_OK:
            continue
        else:
            notices.append(
                f"environment variable {name} is ignored: only secrets "
                f"({', '.join(SECRET_ENV)}) may come from the environment; set it in the config file"
            )
    return notices


# Variables of ours that are not configuration (test switches, cache locations).
_IGNORED_ENV_OK = {"DGM_HOME", "DGM_TEST_SLOW"}


# --------------------------------------------------------------------------- writing


def dump_config(config: RunConfig, *, commented: bool = False) -> str:
    """Render a RunConfig as TOML; secrets are never written; commented adds each field's doc."""
    out: list[str] = []
    if commented:
        out += [
            "# dgm run configuration. Every key is optional: a missing key takes the default shown.",
            "# Unknown keys and wrong types are errors. Only secrets may come from the environment",
            f"# ({', '.join(SECRET_ENV)}); keys are never copied into a run archive or a sandbox.",
            "",
        ]
    for section, field in RunConfig.model_fields.items():
        model = getattr(config, section)
        if commented:
            out.append(f"# {SECTION_DOCS.get(section, field.description or '')}")
        out.append(f"[{section}]")
        for name, sub in type(model).model_fields.items():
            value = getattr(model, name)
            if commented and sub.description:
                out.extend(f"# {chunk}" for chunk in _wrap(sub.description))
            if isinstance(value, SecretStr) or (sub.json_schema_extra or {}).get("secret"):
                out.append(f"# {name} = \"...\"   (secret: never written here)")
            elif value is None:
                out.append(f"# {name} =   (unset)")
            else:
                out.append(f"{name} = {toml_value(value)}")
        out.append("")
    return "\n".join(out)


def toml_value(value: Any) -> str:
    """Render one scalar or list as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        text = str(value)
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _wrap(text: str, width: int = 96) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines
