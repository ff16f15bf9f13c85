"""The safetensors format, read and written with NumPy alone, and checked like a hostile file.

Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
N, N bytes of JSON (``{name: {"dtype", "shape", "data_offsets": [begin, end]}}`` plus an
optional ``"__metadata__"`` map of strings), then the data section. The reader checks, before
reading any data, that the header is UTF-8 JSON without duplicate names, every dtype is known,
every ``end - begin`` equals the shape's size, and the offsets tile the data section exactly
(no overlap, no gap, nothing out of range); the sizes are claimed from a
:class:`~lucid.io.limits.ByteBudget`.

Files lucid writes carry a checksum in the metadata, :data:`CHECKSUM_KEY`, beside
:data:`ALGORITHM_KEY` (so damage to either key name is noticed: the other one is left): the
SHA-256 of the tensor index (names, dtypes, shapes, offsets and the other metadata, as
canonical JSON) followed by the data section. It is computed while the data is written (the
header reserves its place) and verified on reading, so damage to any byte is a "checksum
mismatch" or another CheckpointError. Files without it (other tools') load unverified.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from .errors import CheckpointError, one_line
from .limits import ByteBudget

#: The metadata entry holding lucid's SHA-256 (64 lowercase hex digits).
CHECKSUM_KEY = "lucid.sha256"
#: The metadata entry naming the algorithm. Written beside the checksum so that damage to
#: either key name is noticed: the other one is still there, and says a checksum was written.
ALGORITHM_KEY = "lucid.checksum"
_ALGORITHM = "sha256"
#: safetensors' own limit on the JSON header.
MAX_HEADER_BYTES = 100_000_000
#: safetensors dtype -> NumPy dtype (always little-endian). BF16 is widened to float32.
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8",
          "I32": "<i4", "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2",
          "U8": "u1", "BOOL": "?"}
_NAMES = {np.dtype(v): k for k, v in DTYPES.items() if k not in ("BF16",)}
_PLACEHOLDER = "0" * 64
_HEX = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 24


def _canonical_index(tensors: Mapping[str, tuple[str, list[int], list[int]]],
                     metadata: Mapping[str, str]) -> bytes:
    """What the checksum covers besides the data: the index and metadata, canonically."""
    meta = {k: v for k, v in metadata.items() if k != CHECKSUM_KEY}
    text = json.dumps({"metadata": meta, "tensors": {k: list(v) for k, v in tensors.items()}},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


# ----------------------------------------------------------------------------- writing
def write(f: IO[bytes], arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> None:
    """Write ``arrays`` (C-contiguous NumPy arrays) and string ``metadata`` to ``f``, checksummed.

    ``f`` must be seekable: the checksum is filled into the header after the data is written.
    The header lists the tensors in the caller's order (and a reader returns them so); the data
    is laid out largest item size first (then by name), as safetensors does, so each tensor is
    aligned to its item size.
    """
    for key, value in metadata.items():
        if (not isinstance(key, str) or not isinstance(value, str)
                or key in (CHECKSUM_KEY, ALGORITHM_KEY)):
            raise TypeError(f"safetensors metadata must map str to str (and not use "
                            f"{CHECKSUM_KEY!r} or {ALGORITHM_KEY!r}); got {key!r}: "
                            f"{type(value).__name__}")
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    tensors: dict[str, tuple[str, list[int], list[int]]] = {}
    begin = 0
    for key in order:
        arr = arrays[key]
        name = _NAMES.get(arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">"
                          else arr.dtype)
        if name is None:
            raise CheckpointError(f"entry {key!r} has dtype {arr.dtype}, which safetensors "
                                  "cannot store")
        tensors[key] = (name, list(arr.shape), [begin, begin + arr.nbytes])
        begin += arr.nbytes
    meta = {**metadata, ALGORITHM_KEY: _ALGORITHM, CHECKSUM_KEY: _PLACEHOLDER}
    header: dict[str, Any] = {"__metadata__": meta}
    header.update({k: {"dtype": tensors[k][0], "shape": tensors[k][1],
                       "data_offsets": tensors[k][2]} for k in arrays})  # the caller's order
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-(8 + len(text)) % 8)  # the data section starts 8-byte aligned
    start = f.tell()
    f.write(len(text).to_bytes(8, "little"))
    f.write(text)
    digest = hashlib.sha256(_canonical_index(tensors, meta))
    for key in order:
        arr = np.ascontiguousarray(arrays[key], dtype=np.dtype(DTYPES[tensors[key][0]]))
        data = arr.reshape(-1).view(np.uint8).data
        digest.update(data)
        f.write(data)
    end = f.tell()
    at = text.index(f'"{CHECKSUM_KEY}":"{_PLACEHOLDER}"'.encode("ascii"))
    f.seek(start + 8 + at + len(CHECKSUM_KEY) + 4)
    f.write(digest.hexdigest().encode("ascii"))
    f.seek(end)


# ----------------------------------------------------------------------------- reading
def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the name {key!r} appears twice")
        out[key] = value
    return out


def _is_int_list(value: Any, length: int | None = None) -> bool:
    return (isinstance(value, list) and (length is None or len(value) == length)
            and all(type(v) is int and v >= 0 for v in value))


def _parse_header(path: Path, f: BinaryIO, file_size: int
                  ) -> tuple[dict[str, str], dict[str, tuple[str, list[int], list[int]]], int]:
    """Metadata, tensor index and data-section start, every entry checked."""
    where = f"{str(path)!r} is not a valid safetensors file:"
    head = f.read(8)
    if len(head) < 8:
        raise CheckpointError(f"{where} {len(head)} bytes are too few")
    n = int.from_bytes(head, "little")
    if n > min(MAX_HEADER_BYTES, file_size - 8):
        raise CheckpointError(f"{where} header length {n} does not fit the "
                              f"{file_size}-byte file (truncated or corrupt)")
    raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise CheckpointError(f"{where} corrupt header (expected UTF-8 JSON): "
                              f"{one_line(exc)}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where} the header is a {type(header).__name__}, "
                              "not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{where} __metadata__ must map strings to strings")
    tensors: dict[str, tuple[str, list[int], list[int]]] = {}
    for key, info in header.items():
        entry = f"{where} tensor {key!r}"
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise CheckpointError(f"{entry}: expected an object with dtype, shape and "
                                  f"data_offsets, got {json.dumps(info)[:120]}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise CheckpointError(f"{entry} has dtype {dtype!r}; lucid reads "
                                  f"{', '.join(DTYPES)}")
        if not _is_int_list(shape) or not _is_int_list(offsets, 2) or offsets[0] > offsets[1]:
            raise CheckpointError(f"{entry}: shape {shape!r} and data_offsets {offsets!r} must "
                                  "be lists of non-negative ints, begin <= end")
        size = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != size:
            raise CheckpointError(f"{entry}: data_offsets {offsets} span "
                                  f"{offsets[1] - offsets[0]} bytes, but shape {shape} of "
                                  f"{dtype} needs {size}")
        tensors[key] = (dtype, shape, offsets)
    return metadata, tensors, 8 + n


def _check_layout(path: Path, tensors: Mapping[str, tuple[str, list[int], list[int]]],
                  data_size: int) -> list[str]:
    """The names in data order, after checking the offsets tile the data section exactly."""
    where = f"{str(path)!r} is not a valid safetensors file:"
    order = sorted(tensors, key=lambda k: (tensors[k][2][0], tensors[k][2][1]))
    position, previous = 0, None
    for key in order:
        begin, end = tensors[key][2]
        if end > data_size:
            raise CheckpointError(f"{where} tensor {key!r} data_offsets [{begin}, {end}] "
                                  f"run past the end of the {data_size}-byte data section")
        if begin < position:
            raise CheckpointError(f"{where} tensor {key!r} data_offsets [{begin}, {end}] "
                                  f"overlap tensor {previous!r} (which ends at {position})")
        if begin > position:
            raise CheckpointError(f"{where} {begin - position} unaccounted bytes before "
                                  f"tensor {key!r} (offset {position} to {begin})")
        position, previous = end, key
    if position != data_size:
        raise CheckpointError(f"{where} {data_size - position} bytes after the last "
                              "tensor belong to none (corrupt or not a safetensors file)")
    return order


def _to_array(buf: bytearray, dtype: str, shape: list[int]) -> np.ndarray:
    arr = np.frombuffer(buf, dtype=np.dtype(DTYPES[dtype]))
    if dtype == "BF16":  # bfloat16 is the top half of a float32
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    elif dtype == "BOOL":  # a byte other than 0 or 1 is no bool NumPy computes with
        arr = arr.view(np.uint8).astype(bool)
    return arr.reshape(shape)


def _expected_checksum(path: Path, metadata: Mapping[str, str]) -> str | None:
    """The SHA-256 that lucid wrote, None for files of other tools; damaged entries raise."""
    expected, algorithm = metadata.get(CHECKSUM_KEY), metadata.get(ALGORITHM_KEY)
    if expected is None and algorithm is None:
        return None
    if algorithm != _ALGORITHM or expected is None or not _HEX.fullmatch(expected):
        raise CheckpointError(
            f"{str(path)!r}: corrupt checksum entries: {ALGORITHM_KEY!r} is "
            f"{str(algorithm)[:20]!r} (expected {_ALGORITHM!r}) and {CHECKSUM_KEY!r} is "
            f"{str(expected)[:80]!r} (expected 64 hex digits); the file is damaged")
    return expected


def read(path: Path, budget: ByteBudget) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays and metadata of the safetensors file at ``path`` (checksum verified if any)."""
    file_size = path.stat().st_size
    with open(path, "rb") as f:
        metadata, tensors, start = _parse_header(path, f, file_size)
        for key, (dtype, shape, _) in tensors.items():  # what reading would allocate
            itemsize = 4 if dtype == "BF16" else np.dtype(DTYPES[dtype]).itemsize
            budget.claim(key, math.prod(shape) * itemsize, f" (shape {tuple(shape)}, {dtype})")
        order = _check_layout(path, tensors, file_size - start)
        expected = _expected_checksum(path, metadata)
        digest = hashlib.sha256(_canonical_index(tensors, metadata)) if expected else None
        arrays: dict[str, np.ndarray] = {}
        for key in order:
            dtype, shape, (begin, end) = tensors[key]
            buf = bytearray(end - begin)
            view, filled = memoryview(buf), 0
            while filled < len(buf):
                got = f.readinto(view[filled:filled + _CHUNK])
                if not got:
                    raise CheckpointError(f"{str(path)!r}: tensor {key!r} is truncated (the "
                                          "file changed while it was read)")
                filled += got
            if digest is not None:
                digest.update(buf)
            arrays[key] = _to_array(buf, dtype, shape)
    if digest is not None and digest.hexdigest() != expected:
        raise CheckpointError(
            f"{str(path)!r}: checksum mismatch: the SHA-256 that lucid wrote into the file is "
            f"{expected}, its contents now give {digest.hexdigest()}; the file is damaged")
    arrays = {key: arrays[key] for key in tensors}  # in the header's order
    return arrays, {k: v for k, v in metadata.items() if k not in (CHECKSUM_KEY, ALGORITHM_KEY)}


__all__ = ["ALGORITHM_KEY", "CHECKSUM_KEY", "DTYPES", "MAX_HEADER_BYTES", "read", "write"]
