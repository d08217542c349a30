"""SWE-bench instances: the manifest, loading through swebench's own loader, and the repositories.

Instances are read with `swebench.harness.utils.load_swebench_dataset`, from a Hugging Face
dataset name or a local .json/.jsonl/.parquet file. The repository of an instance is laid out at
its base_commit from a git mirror: `repos/<owner>__<name>` next to the data file when there is one
(offline use), else a bare clone of https://github.com/<owner>/<name> cached once per repository.
Only base_commit and its ancestors are fetched into a task's repository, so an agent cannot read
the fix from later history.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dgm.bench.builtin import BenchmarkDataError

EXTRA_HINT = "pip install 'dgm[swebench]'"
DATA_SUFFIXES = (".json", ".jsonl", ".parquet")
# The instance fields grading needs. swebench>=5 datasets carry the image, eval script, log
# parser and eval type with every instance (make_test_spec reads them from there).
REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "patch", "test_patch",
            "FAIL_TO_PASS", "PASS_TO_PASS", "image", "eval_script", "log_parser", "eval_type")
GITHUB = "https://github.com/{repo}.git"
_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "dgm", "GIT_AUTHOR_EMAIL": "dgm@localhost",
            "GIT_COMMITTER_NAME": "dgm", "GIT_COMMITTER_EMAIL": "dgm@localhost"}


class SwebenchManifest(BaseModel):
    """benchmarks/swebench/manifest.toml."""

    model_config = ConfigDict(extra="forbid")

    name: str = "swebench"
    dataset: str = "SWE-bench/SWE-bench_Verified"
    dataset_split: str = "test"
    tiers: list[int] = Field(default_factory=lambda: [10, 60, 200])
    heldout_every: int = Field(5, ge=2)
    timeout_s: float = Field(1800.0, gt=0)
    subsets: dict[str, list[str]] = Field(default_factory=dict)


# A subset's place in the staged evaluation, as the difficulty the controller orders tasks by.
SUBSET_DIFFICULTY = {"smoke": "easy", "medium": "medium", "big": "hard"}


def default_manifest_path() -> Path:
    """benchmarks/swebench/manifest.toml of the clone dgm is installed from."""
    return Path(__file__).resolve().parents[2] / "benchmarks" / "swebench" / "manifest.toml"


def load_manifest(path: Path) -> SwebenchManifest:
    """Read and validate the manifest; errors name the file and the key."""
    if not path.is_file():
        raise BenchmarkDataError(f"{path}: swebench manifest not found (install dgm from a clone "
                                 "with `pip install -e .`)")
    try:
        manifest = SwebenchManifest.model_validate(tomllib.loads(path.read_text()))
    except tomllib.TOMLDecodeError as exc:
        raise BenchmarkDataError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BenchmarkDataError(
            f"{path}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    unknown = sorted(set(manifest.subsets) - set(SUBSET_DIFFICULTY))
    if unknown:
        raise BenchmarkDataError(f"{path}: subsets.{unknown[0]}: unknown subset (known: "
                                 f"{', '.join(SUBSET_DIFFICULTY)})")
    return manifest


def swebench_module(name: str) -> Any:
    """Import a swebench module, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise BenchmarkDataError(f"the swebench benchmark needs the swebench package ({exc}); "
                                 f"install it: {EXTRA_HINT}") from None


def _hub_reachable(name: str) -> str | None:
    """None if the dataset hub's host resolves (or the hub is in offline mode), else why not."""
    if os.environ.get("HF_HUB_OFFLINE") or os.environ.get("HF_DATASETS_OFFLINE"):
        return None  # the cache is used: whether it holds the dataset, datasets says
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or ""
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        return f"cannot resolve {host} ({exc})"
    return None


def load_instances(data: str, split: str) -> list[dict[str, Any]]:
    """The instances of a dataset name or local file, read by swebench's own loader."""
    utils = swebench_module("swebench.harness.utils")
    local = data.endswith(DATA_SUFFIXES) or Path(data).exists()
    if local:
        path = Path(data)
        if not path.exists():
            raise BenchmarkDataError(f"{data}: no such SWE-bench data file (expected a "
                                     f"{'/'.join(DATA_SUFFIXES)} file of instances)")
        if not path.is_file() or not data.endswith(DATA_SUFFIXES):
            raise BenchmarkDataError(f"{data}: SWE-bench data must be a .json, .jsonl or "
                                     ".parquet file")
    else:
        why = _hub_reachable(data)
        if why is not None:
            raise BenchmarkDataError(
                f"SWE-bench dataset {data!r} is on the Hugging Face hub, which is not reachable "
                f"here: {why}. Download it where the hub is reachable (e.g. save the split as "
                "JSONL) and pass the file with --data / benchmark.data")
    try:
        instances = utils.load_swebench_dataset(data, split)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BenchmarkDataError(f"{data}: not a SWE-bench dataset the swebench loader can read "
                                 f"({type(exc).__name__}: {exc})") from None
    except (ConnectionError, OSError) as exc:
        raise BenchmarkDataError(f"{data}: could not load the SWE-bench dataset: {exc}") from None
    except Exception as exc:  # datasets raises its own types (DatasetNotFoundError, ...)
        raise BenchmarkDataError(f"{data}: could not load the SWE-bench dataset "
                                 f"({type(exc).__name__}: {exc})") from None
    rows = [dict(instance) for instance in instances]
    check_instances(rows, data)
    return rows


def check_instances(rows: list[dict[str, Any]], data: str) -> None:
    """Every instance has the fields grading needs, a known log parser and eval type."""
    grading = swebench_module("swebench.harness.grading")
    constants = swebench_module("swebench.harness.constants")
    eval_types = {e.value for e in constants.EvalType}
    if not rows:
        raise BenchmarkDataError(f"{data}: holds no instances")
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise BenchmarkDataError(f"{data}: instance {number} is not an object")
        name = row.get("instance_id") or f"number {number}"
        missing = [key for key in REQUIRED if row.get(key) in (None, "") and key != "patch"]
        if "patch" not in row:
            missing.append("patch")
        if missing:
            raise BenchmarkDataError(
                f"{data}: instance {name} lacks {', '.join(missing)} (swebench>=5 instances "
                "carry their image, eval_script, log_parser and eval_type; use a dataset "
                "published for swebench 5)")
        if row["instance_id"] in seen:
            raise BenchmarkDataError(f"{data}: instance {name} appears twice")
        seen.add(row["instance_id"])
        if row["log_parser"] not in grading.PARSER_REGISTRY:
            raise BenchmarkDataError(f"{data}: instance {name}: log_parser "
                                     f"{row['log_parser']!r} is not one of swebench's parsers")
        if row["eval_type"] not in eval_types:
            raise BenchmarkDataError(f"{data}: instance {name}: eval_type {row['eval_type']!r} "
                                     f"is not one of {', '.join(sorted(eval_types))}")
        if "/" not in row["repo"]:
            raise BenchmarkDataError(f"{data}: instance {name}: repo {row['repo']!r} is not "
                                     "owner/name")


def split_of(instance_id: str, manifest: SwebenchManifest, listed: bool,
             order: dict[str, int]) -> tuple[str, str]:
    """(split, difficulty) of an instance: tier subsets train, the rest held out."""
    for subset, ids in manifest.subsets.items():
        if instance_id in ids:
            return "train", SUBSET_DIFFICULTY[subset]
    if listed:
        return "heldout", ""
    every = manifest.heldout_every
    return ("heldout" if order[instance_id] % every == every - 1 else "train"), ""


# --------------------------------------------------------------------------- repositories


def cache_root() -> Path:
    """$XDG_CACHE_HOME/dgm/swebench (else ~/.cache/dgm/swebench)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dgm" / "swebench"


def _git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, **_GIT_ENV})
    if result.returncode != 0:
        raise BenchmarkDataError(f"git {' '.join(args[:2])} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on path (created), so concurrent workers build a folder once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def repo_source(repo: str, data: Path | None) -> str:
    """Where a repository is fetched from: a local mirror next to the data, else GitHub."""
    if data is not None:
        local = data.parent / "repos" / repo.replace("/", "__")
        if local.is_dir():
            return str(local.resolve())
    return GITHUB.format(repo=repo)


def mirror(repo: str, data: Path | None) -> str:
    """A local git repository holding the repo's history: the local mirror, or a cached clone."""
    source = repo_source(repo, data)
    if not source.startswith("https://"):
        return source
    target = cache_root() / "mirrors" / f"{repo.replace('/', '__')}.git"
    with _locked(target.with_suffix(".lock")):
        if not (target / "HEAD").is_file():
            staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
            try:
                _git("clone", "--quiet", "--bare", source, str(staging / "repo.git"))
            except BenchmarkDataError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise BenchmarkDataError(f"{repo}: cannot clone {source} ({exc}); put a clone "
                                         "at repos/<owner>__<name> next to the data file") from None
            (staging / "repo.git").rename(target)
            shutil.rmtree(staging, ignore_errors=True)
    return str(target)


def repo_dir(instance: dict[str, Any]) -> Path:
    """Where an instance's repository at base_commit is kept (built by checkout_repo)."""
    return cache_root() / "repos" / f"{instance['instance_id']}@{instance['base_commit'][:12]}"


def checkout_repo(instance: dict[str, Any], data: Path | None) -> Path:
    """The instance's repository at base_commit, with base_commit's history only; built once."""
    target = repo_dir(instance)
    with _locked(target.with_suffix(".lock")):
        if (target / ".git").is_dir():
            return target
        source = mirror(instance["repo"], data)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
        work = staging / "repo"
        try:
            _git("init", "--quiet", str(work))
            _git("fetch", "--quiet", "--no-tags", source, instance["base_commit"], cwd=work)
            _git("checkout", "--quiet", "--detach", instance["base_commit"], cwd=work)
        except BenchmarkDataError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BenchmarkDataError(
                f"instance {instance['instance_id']}: cannot lay out {instance['repo']} at "
                f"{instance['base_commit']}: {exc}") from None
        work.rename(target)
        shutil.rmtree(staging, ignore_errors=True)
    return target
