"""Read and check the header of a GGUF model file (llama.cpp's format) without loading weights.

Layout (little-endian): magic 'GGUF', version u32, tensor count u64, metadata count u64, then the
metadata key/values, then one info record per tensor (name, dims, type, offset into the data).
A file is accepted when the whole header parses, its counts are sane, and every tensor's offset
lies inside the file: that catches truncated, mis-ordered or foreign files before llama.cpp does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dgm.errors import DgmError

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
_MAX_COUNT = 1 << 24  # far above any real model; guards against reading garbage as counts
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}
_STRING, _ARRAY = 8, 9
# llama.cpp's file_type codes for the quantizations a user is likely to meet.
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
              10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
              16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 30: "BF16"}


class GGUFError(DgmError):
    """Not a usable GGUF file; the message says what is wrong."""


@dataclass
class GGUFHeader:
    """What the header says: version, counts, the scalar metadata, and where the data starts."""

    version: int
    tensor_count: int
    metadata: dict[str, Any] = field(default_factory=dict)
    data_offset: int = 0
    file_size: int = 0

    @property
    def architecture(self) -> str:
        """general.architecture, e.g. 'qwen2'."""
        return str(self.metadata.get("general.architecture", ""))

    @property
    def name(self) -> str:
        """general.name as the converter wrote it."""
        return str(self.metadata.get("general.name", ""))

    @property
    def quantization(self) -> str:
        """The file type as llama.cpp names it (e.g. 'Q4_K_M')."""
        code = self.metadata.get("general.file_type")
        return FILE_TYPES.get(code, f"type {code}") if code is not None else "unknown"


class _Reader:
    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle, self.size = handle, size

    def take(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise GGUFError(f"header truncated at byte {self.handle.tell()} (file is {self.size})")
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self, what: str) -> int:
        value = self.scalar("Q")
        if value > _MAX_COUNT:
            raise GGUFError(f"implausible {what} count {value}: not a GGUF file or corrupt")
        return value

    def string(self) -> str:
        length = self.scalar("Q")
        if length > self.size:
            raise GGUFError(f"string of {length} bytes in a {self.size}-byte file: corrupt")
        return self.take(length).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, n = self.scalar("I"), self.count("array")
            if item_kind in _SCALARS and item_kind != _STRING:
                # Big arrays (the vocabulary) are skipped in one seek, not decoded.
                width = struct.calcsize(_SCALARS[item_kind])
                self.handle.seek(width * n, 1)
                if self.handle.tell() > self.size:
                    raise GGUFError("array runs past the end of the file")
                return f"<array of {n}>"
            for _ in range(n):  # strings or nested arrays: walked, not kept
                self.value(item_kind)
            return f"<array of {n}>"
        if kind not in _SCALARS:
            raise GGUFError(f"unknown metadata value type {kind}: corrupt or newer GGUF")
        return self.scalar(_SCALARS[kind])


def read_header(path: Path) -> GGUFHeader:
    """Parse and check a GGUF header; GGUFError says what is wrong."""
    path = Path(path)
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read: {exc}") from None
    with handle:
        reader = _Reader(handle, size)
        magic = handle.read(4)
        if magic != MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (starts with {magic!r}, expected {MAGIC!r})")
        version = reader.scalar("I")
        if version not in SUPPORTED_VERSIONS:
            raise GGUFError(f"{path}: GGUF version {version} unsupported ({SUPPORTED_VERSIONS})")
        tensors, kv_count = reader.count("tensor"), reader.count("metadata")
        header = GGUFHeader(version=version, tensor_count=tensors, file_size=size)
        try:
            for _ in range(kv_count):
                key = reader.string()
                header.metadata[key] = reader.value(reader.scalar("I"))
            last_end = 0
            for _ in range(tensors):
                reader.string()  # tensor name
                dims = reader.scalar("I")
                if dims > 8:
                    raise GGUFError(f"tensor with {dims} dimensions: corrupt")
                for _ in range(dims):
                    reader.scalar("Q")
                reader.scalar("I")  # ggml type
                last_end = max(last_end, reader.scalar("Q"))
        except GGUFError as exc:
            raise GGUFError(f"{path}: {exc}") from None
        alignment = int(header.metadata.get("general.alignment", DEFAULT_ALIGNMENT)) or 1
        header.data_offset = -(-handle.tell() // alignment) * alignment
        if header.data_offset + last_end >= size:
            raise GGUFError(
                f"{path}: truncated: tensor data reaches byte {header.data_offset + last_end}, "
                f"the file has {size}"
            )
    return header
