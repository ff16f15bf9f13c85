"""Reading ``.npz`` archives without trusting them: no pickle, no allocation before checks.

NumPy's own ``np.load`` allocates what an ``.npy`` header claims and raises whatever its
header parser raises. Here the archive is checked first and read second:

1. the zip directory: as many members as its end record declares, no duplicates; a stored
   (uncompressed) member must lie inside the file; a compressed one may expand at most
   :data:`MAX_EXPANSION_RATIO` times (members up to :data:`EXPANSION_FREE_BYTES` are exempt;
   lucid itself never compresses);
2. every ``.npy`` header: a literal dict of ``descr`` (a numeric or bool dtype),
   ``fortran_order`` and ``shape``, whose size must match the member's and fit the
   :class:`~lucid.io.limits.ByteBudget`;
3. only then the data, read into exactly that many bytes; zip's CRC-32 of every member is
   verified as the member ends.

Any failure is a :class:`~lucid.io.errors.CheckpointError` naming the file and the member.
"""

from __future__ import annotations

import ast
import contextlib
import math
import os
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from .errors import CheckpointError, one_line
from .limits import ByteBudget, format_bytes

NPY_MAGIC = b"\x93NUMPY"
#: A compressed member may expand to this many times its compressed size ...
MAX_EXPANSION_RATIO = 100
#: ... once it is larger than this (small members of zeros compress far better).
EXPANSION_FREE_BYTES = 64 * 1024**2
_MAX_HEADER_BYTES = 64 * 1024  # NumPy's own writer needs a few hundred bytes at most
_MAX_DIMS = 32
_EOCD_SIZE = 22  # the end-of-central-directory record without its comment
_ALLOWED_KINDS = "fiub"  # float, signed int, unsigned int, bool


@contextlib.contextmanager
def corrupt_as_checkpoint_error(path: Path, what: str) -> Iterator[None]:
    """Turn what a library raises on damaged bytes into a CheckpointError naming ``what``."""
    try:
        yield
    except (CheckpointError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # zipfile and zlib raise a dozen types on damaged input
        raise CheckpointError(f"{str(path)!r}: {what}: {one_line(exc)}") from exc


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive at ``path``, its directory read; CheckpointError when it is no zip file."""
    with corrupt_as_checkpoint_error(path, "not a readable lucid checkpoint (expected an .npz "
                                     "archive of numeric arrays or a safetensors file)"):
        return zipfile.ZipFile(path)


def declared_member_count(path: Path) -> int | None:
    """How many members the archive's end record says it has (None: no end record found).

    zipfile parses the central directory until its declared byte size is used up and never
    compares the entries it found with this count: a damaged length field in one entry can
    swallow the next ones, which would then silently go missing.
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        tail_start = max(0, size - _EOCD_SIZE - 0xFFFF)
        f.seek(tail_start)
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD_SIZE:
            return None
        count = struct.unpack_from("<H", tail, at + 10)[0]
        if count != 0xFFFF or at < 20:
            return count
        locator = tail[at - 20:at]  # a zip64 archive: the real count is in its own record
        if locator[:4] != b"PK\x06\x07":
            return count
        f.seek(struct.unpack_from("<Q", locator, 8)[0])
        record = f.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            return None
        return int(struct.unpack_from("<Q", record, 32)[0])


def check_zip_members(zf: zipfile.ZipFile, path: Path, budget: ByteBudget | None = None
                      ) -> list[zipfile.ZipInfo]:
    """The members of ``zf``, after checking their declared sizes against the file.

    With a ``budget``, every member's uncompressed size is also claimed from it (for
    readers, such as PyTorch's, that allocate what the members hold).
    """
    file_size = path.stat().st_size
    seen: set[str] = set()
    infos = zf.infolist()
    declared = declared_member_count(path)
    if declared != len(infos):
        raise CheckpointError(f"{str(path)!r}: the zip directory holds {len(infos)} members "
                              f"but its end record declares {declared} (corrupt directory)")
    for info in infos:
        name = info.filename
        if name in seen:
            raise CheckpointError(f"{str(path)!r}: member {name!r} appears twice in the archive")
        seen.add(name)
        if budget is not None:
            budget.claim(name, info.file_size)
        if info.header_offset + info.compress_size > file_size:
            raise CheckpointError(
                f"{str(path)!r}: member {name!r} claims {format_bytes(info.compress_size)} "
                f"at offset {info.header_offset}, past the end of the "
                f"{format_bytes(file_size)} file (truncated or corrupt)")
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size:
                raise CheckpointError(
                    f"{str(path)!r}: member {name!r} is stored uncompressed but claims "
                    f"{info.file_size} bytes unpacked and {info.compress_size} packed (corrupt)")
        elif info.file_size > max(EXPANSION_FREE_BYTES,
                                  MAX_EXPANSION_RATIO * info.compress_size):
            raise CheckpointError(
                f"{str(path)!r}: member {name!r} would expand from "
                f"{format_bytes(info.compress_size)} to {format_bytes(info.file_size)}, more "
                f"than the limit of {MAX_EXPANSION_RATIO}x for compressed members over "
                f"{format_bytes(EXPANSION_FREE_BYTES)}; refused as a likely zip bomb (lucid "
                "writes uncompressed archives: re-save it with numpy.savez)")
    return infos


def verify_member_checksums(zf: zipfile.ZipFile, path: Path,
                            infos: list[zipfile.ZipInfo]) -> None:
    """Read every member once so that zipfile checks its CRC-32 (PyTorch's reader does not)."""
    for info in infos:
        with corrupt_as_checkpoint_error(path, f"member {info.filename!r} is damaged "
                                         "(checksum mismatch or corrupt data)"):
            with zf.open(info) as f:
                while f.read(1 << 22):
                    pass


@dataclass(frozen=True)
class NpyHeader:
    """What an ``.npy`` header says: dtype, shape, order and where the data starts."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    data_offset: int

    @property
    def nbytes(self) -> int:
        """Bytes of data the header claims (a Python int: no overflow)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        """``" (shape (2, 3), float32)"``, for messages."""
        return f" (shape {self.shape}, {self.dtype})"


def _read_exactly(f: IO[bytes], n: int, path: Path, name: str, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CheckpointError(f"{str(path)!r}: member {name!r} ends inside its {what} "
                              f"({len(data)} of {n} bytes; truncated)")
    return data


def _header_dict(text: str, path: Path, name: str) -> dict[str, object]:
    bad = f"{str(path)!r}: member {name!r} has a corrupt .npy header"
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise CheckpointError(f"{bad}: {one_line(exc)}") from None
    if not isinstance(value, dict) or set(value) != {"descr", "fortran_order", "shape"}:
        raise CheckpointError(f"{bad}: expected a dict of 'descr', 'fortran_order' and "
                              f"'shape', got {text.strip()[:120]!r}")
    return value


def _dtype(descr: object, path: Path, name: str) -> np.dtype:
    where = f"{str(path)!r}: member {name!r}"
    if not isinstance(descr, str):
        raise CheckpointError(f"{where} has dtype description {descr!r}; only plain numeric "
                              "and bool dtypes are read (no structured or object arrays)")
    try:
        dtype = np.dtype(descr)
    except Exception as exc:  # NumPy raises TypeError, ValueError or worse for nonsense
        raise CheckpointError(f"{where} has an invalid dtype {descr!r}: {one_line(exc)}") \
            from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype:
        raise CheckpointError(f"{where} has unsupported dtype {dtype} ({descr!r}); only numeric "
                              "and bool arrays are read, never objects (pickle)")
    return dtype


def read_npy_header(f: IO[bytes], path: Path, name: str, member_size: int) -> NpyHeader:
    """Parse and check the ``.npy`` header at the start of member ``name`` (size known)."""
    where = f"{str(path)!r}: member {name!r}"
    magic = _read_exactly(f, 8, path, name, ".npy header")
    if magic[:6] != NPY_MAGIC:
        raise CheckpointError(f"{where} is not an .npy array (no NumPy magic bytes)")
    major = magic[6]
    if major not in (1, 2, 3):
        raise CheckpointError(f"{where} has .npy format version {major}.{magic[7]}; "
                              "versions 1 to 3 are read")
    width = 2 if major == 1 else 4
    length = int.from_bytes(_read_exactly(f, width, path, name, ".npy header"), "little")
    offset = 8 + width + length
    if length > _MAX_HEADER_BYTES or offset > member_size:
        raise CheckpointError(f"{where} claims an .npy header of {length} bytes (the member "
                              f"holds {member_size}; at most {_MAX_HEADER_BYTES} are read)")
    raw = _read_exactly(f, length, path, name, ".npy header")
    try:
        text = raw.decode("utf-8" if major == 3 else "latin-1")
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{where} has a corrupt .npy header: {one_line(exc)}") from None
    header = _header_dict(text, path, name)
    dtype = _dtype(header["descr"], path, name)
    shape, order = header["shape"], header["fortran_order"]
    if (not isinstance(shape, tuple) or len(shape) > _MAX_DIMS
            or not all(type(d) is int and d >= 0 for d in shape)):
        raise CheckpointError(f"{where} has shape {shape!r}; expected a tuple of at most "
                              f"{_MAX_DIMS} non-negative ints")
    if not isinstance(order, bool):
        raise CheckpointError(f"{where} has fortran_order {order!r}; expected True or False")
    return NpyHeader(dtype, shape, order, offset)


def read_npz(path: Path, budget: ByteBudget) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive at ``path``, keyed as ``np.load`` keys them."""
    with open_zip(path) as zf:
        with corrupt_as_checkpoint_error(path, "corrupt zip directory"):
            infos = check_zip_members(zf, path)
        planned: list[tuple[str, zipfile.ZipInfo, NpyHeader]] = []
        for info in infos:  # every header is checked before any data is read
            name = info.filename
            if not name.endswith(".npy"):
                raise CheckpointError(f"{str(path)!r}: member {name!r} is not a NumPy array "
                                      "(.npy); this zip archive is not a lucid .npz checkpoint")
            with corrupt_as_checkpoint_error(path, f"member {name!r}"):
                with zf.open(info) as f:
                    header = read_npy_header(f, path, name, info.file_size)
            budget.claim(name, header.nbytes, header.describe())
            if header.data_offset + header.nbytes != info.file_size:
                raise CheckpointError(
                    f"{str(path)!r}: member {name!r} header claims "
                    f"{format_bytes(header.nbytes)}{header.describe()} but the member holds "
                    f"{format_bytes(info.file_size - header.data_offset)} of data")
            planned.append((name[:-4], info, header))
        arrays: dict[str, np.ndarray] = {}
        for key, info, header in planned:
            arrays[key] = _read_member(zf, info, header, path)
    return arrays


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, header: NpyHeader,
                 path: Path) -> np.ndarray:
    """The member's data as an array (its CRC-32 checked by zipfile as it ends)."""
    name = info.filename
    buf = bytearray(header.nbytes)
    with corrupt_as_checkpoint_error(path, f"member {name!r} is damaged (checksum mismatch "
                                     "or corrupt data)"):
        with zf.open(info) as f:
            _read_exactly(f, header.data_offset, path, name, ".npy header")
            view, filled = memoryview(buf), 0
            while filled < len(buf):
                got = f.readinto(view[filled:])  # type: ignore[attr-defined]
                if not got:
                    break
                filled += got
            if filled != len(buf) or f.read(1):
                raise CheckpointError(f"{str(path)!r}: member {name!r} holds {filled} bytes "
                                      f"of data, not the {len(buf)} its header claims")
    flat = np.frombuffer(buf, dtype=header.dtype)
    if header.dtype.kind == "b":  # a byte other than 0 or 1 is no bool NumPy computes with
        flat = flat.view(np.uint8).astype(bool)
    return flat.reshape(header.shape, order="F" if header.fortran_order else "C")


__all__ = ["EXPANSION_FREE_BYTES", "MAX_EXPANSION_RATIO", "NPY_MAGIC", "NpyHeader",
           "check_zip_members", "corrupt_as_checkpoint_error", "declared_member_count",
           "open_zip", "read_npy_header", "read_npz", "verify_member_checksums"]
