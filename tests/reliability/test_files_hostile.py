"""Hostile and damaged files through every loader: sizes, corrupt headers, checksums, leftovers.

The loaders are lucid.io's checkpoint ``load``, ``read_weights_file`` / ``load_weights`` (what
``lucid.models.get(..., weights=)`` uses) and ``lucid convert``. Every hostile file here is
built by hand from the format's specification (zip, ``.npy``, safetensors), never by the code
under test.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import lucid
import lucid.models as models
from lucid.cli import main
from lucid.io import CheckpointError, checkpoint, load_weights, read_weights_file
from lucid.io.atomic import STALE_AFTER_S, remove_stale_temp_files

ROOT = Path(__file__).resolve().parents[2]
GiB = 1024**3


# ------------------------------------------------------------ building files by hand
def npy_bytes(descr: object, shape: object, data: bytes = b"", fortran: object = False,
              version: int = 1, header: str | None = None) -> bytes:
    """An .npy member: magic, version, header length, the header dict, then ``data``."""
    text = header if header is not None else (
        f"{{'descr': {descr!r}, 'fortran_order': {fortran!r}, 'shape': {shape!r}, }}")
    raw = text.encode("latin-1" if version < 3 else "utf-8", errors="surrogateescape")
    width = 2 if version == 1 else 4
    raw += b" " * (-(10 + width - 2 + len(raw) + 1) % 64) + b"\n"
    return (b"\x93NUMPY" + bytes([version, 0]) + len(raw).to_bytes(width, "little") + raw
            + data)


def zip_with(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip archive of ``members`` written by the standard library."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def raw_zip(name: str, packed: bytes, crc: int, size: int, method: int = 8, flags: int = 0,
            packed_size: int | None = None) -> bytes:
    """One-member zip written field by field (APPNOTE 4.3), with whatever sizes we claim."""
    n = name.encode()
    csize = len(packed) if packed_size is None else packed_size
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, csize,
                        size, len(n), 0) + n
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc,
                          csize, size, len(n), 0, 0, 0, 0, 0, 0) + n
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central),
                      len(local) + len(packed), 0)
    return local + packed + central + end


def zip_bomb() -> bytes:
    """A 2 MB .npz whose one member, an honest deflate stream, expands to 2 GiB of zeros.

    Each 16 MiB chunk of zeros is compressed after a full flush (which resets the compressor),
    so its compressed form is the same every time and the stream is that block repeated.
    """
    header = npy_bytes("<f4", (2 * GiB // 4,))
    chunk, count = 16 * 1024**2, 2 * GiB // (16 * 1024**2)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    packed = head + block * count + c.flush()
    crc, zeros = zlib.crc32(header), bytes(chunk)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return raw_zip("w.npy", packed, crc, len(header) + 2 * GiB)


def safetensors_bytes(header: object, data: bytes = b"", raw_header: bytes | None = None
                      ) -> bytes:
    """A safetensors file: u64 header length, the JSON header, the data section."""
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def loaders() -> dict[str, Callable[[Path], object]]:
    """Every way lucid reads a weights file from disk."""
    mini = models.get("sk_resnet_mini", num_classes=5, in_channels=1)
    return {"checkpoint.load": checkpoint.load, "read_weights_file": read_weights_file,
            "load_weights": lambda p: load_weights(mini, p, model_name="sk_resnet_mini")}


# --------------------------------------------------------------------------- size limits
def test_a_2mb_zip_bomb_is_refused_before_allocating(tmp_path: Path) -> None:
    """The member's declared expansion (1000x) is refused; nothing near 2 GiB is allocated."""
    path = write(tmp_path / "bomb.npz", zip_bomb())
    assert os.path.getsize(path) < 2.2 * 1024**2
    for name, load in loaders().items():
        tracemalloc.start()
        try:
            with pytest.raises(CheckpointError) as info:
                load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        message = str(info.value)
        assert str(path) in message and "'w.npy'" in message, name
        assert "2.0 GiB" in message and "100x" in message and "zip bomb" in message, message
        assert peak < 64 * 1024**2, (name, peak)


def test_a_tiny_file_claiming_4_tib_is_refused_naming_the_limit(tmp_path: Path) -> None:
    """An .npy header or a safetensors entry claiming 4 TiB fails the limit check first."""
    npz = write(tmp_path / "claim.npz",
                zip_with({"fc.weight.npy": npy_bytes("<f4", (2**40,), b"\0" * 16)}))
    st = write(tmp_path / "claim.safetensors", safetensors_bytes(
        {"fc.weight": {"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}},
        b"\0" * 16))
    for path, member in ((npz, "'fc.weight.npy'"), (st, "'fc.weight'")):
        assert os.path.getsize(path) < 1024
        for name, load in loaders().items():
            tracemalloc.start()
            try:
                with pytest.raises(CheckpointError) as info:
                    load(path)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            message = str(info.value)
            for text in (str(path), member, "4.0 TiB", "over the limit of 8.0 GiB",
                         "LUCID_MAX_CHECKPOINT_BYTES"):
                assert text in message, (name, text, message)
            assert peak < 16 * 1024**2, (name, peak)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_the_limit_is_configurable_and_counts_every_entry(tmp_path: Path, suffix: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """LUCID_MAX_CHECKPOINT_BYTES caps single entries and their sum; max_bytes overrides it."""
    arrays = {"a": np.ones(256, np.float32), "b": np.ones(256, np.float32)}  # 1 KiB each
    path = checkpoint.save(arrays, tmp_path / f"c{suffix}")
    monkeypatch.setenv("LUCID_MAX_CHECKPOINT_BYTES", "1.5K")
    with pytest.raises(CheckpointError, match=r"the entries up to '(a|b)(\.npy)?' claim "
                       r"2\.0 KiB in all, over the limit of 1\.5 KiB"):
        checkpoint.load(path)
    monkeypatch.setenv("LUCID_MAX_CHECKPOINT_BYTES", "512")
    with pytest.raises(CheckpointError, match=r"claims 1\.0 KiB .*over the limit of 512 bytes"):
        checkpoint.load(path)
    assert sorted(checkpoint.load(path, max_bytes=4096)[0]) == ["a", "b"]
    monkeypatch.setenv("LUCID_MAX_CHECKPOINT_BYTES", "1M")
    np.testing.assert_array_equal(checkpoint.load(path)[0]["b"], arrays["b"])
    monkeypatch.setenv("LUCID_MAX_CHECKPOINT_BYTES", "lots")
    with pytest.raises(ValueError, match="LUCID_MAX_CHECKPOINT_BYTES.*'lots'"):
        checkpoint.load(path)


def test_stored_members_must_lie_inside_the_file(tmp_path: Path) -> None:
    """A zip directory claiming a stored member larger than the file is refused."""
    data = npy_bytes("<f4", (4,), b"\0" * 16)
    path = write(tmp_path / "lying.npz", raw_zip("w.npy", data, zlib.crc32(data), 2 * GiB,
                                                 method=0, packed_size=2 * GiB))
    with pytest.raises(CheckpointError, match=r"'w\.npy' claims 2\.0 GiB .*past the end"):
        checkpoint.load(path)


def _three_member_npz() -> bytes:
    return zip_with({f"{k}.npy": npy_bytes("<f4", (1,), b"\0" * 4) for k in "abc"})


def test_a_directory_entry_swallowing_the_next_is_refused(tmp_path: Path) -> None:
    """Found by the fuzz test: zipfile alone would silently drop the swallowed member."""
    data = bytearray(_three_member_npz())
    first = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", first + 4)
    third = data.index(b"PK\x01\x02", second + 4)
    data[first + 32:first + 34] = (third - second).to_bytes(2, "little")  # its comment length
    path = write(tmp_path / "swallowed.npz", bytes(data))
    assert len(zipfile.ZipFile(path).infolist()) == 2  # what zipfile makes of it, silently
    with pytest.raises(CheckpointError, match="holds 2 members but its end record declares 3"):
        checkpoint.load(path)


def test_zip64_end_records_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive whose member count lives in the zip64 end record loads."""
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # write zip64 records for 3 members
    data = _three_member_npz()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    path = write(tmp_path / "zip64.npz", data)
    monkeypatch.undo()
    assert sorted(checkpoint.load(path)[0]) == ["a", "b", "c"]


# ------------------------------------------------------------------ corrupt .npz files
NPZ_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "truncated header literal": (lambda: zip_with({"w.npy": npy_bytes(
        None, None, header="{'descr': '<f4', 'fortran_order': False, 'shape': (3,")}),
        "corrupt .npy header"),
    "header is no dict": (lambda: zip_with({"w.npy": npy_bytes(
        None, None, header="[1, 2, 3]")}), "expected a dict of 'descr'"),
    "header calls a function": (lambda: zip_with({"w.npy": npy_bytes(
        None, None, header="__import__('os').system('echo pwned')")}), "corrupt .npy header"),
    "wrong dtype string": (lambda: zip_with({"w.npy": npy_bytes("<x9", (1,), b"\0")}),
                           "invalid dtype '<x9'"),
    "object dtype": (lambda: zip_with({"w.npy": npy_bytes("|O", (1,), b"\0" * 8)}),
                     "unsupported dtype object"),
    "unicode dtype": (lambda: zip_with({"w.npy": npy_bytes("<U4", (1,), b"\0" * 16)}),
                      "unsupported dtype"),
    "structured dtype": (lambda: zip_with({"w.npy": npy_bytes([("a", "<f4")], (1,), b"\0" * 4)}),
                         "only plain numeric"),
    "negative dimension": (lambda: zip_with({"w.npy": npy_bytes("<f4", (-1,))}),
                           "non-negative ints"),
    "boolean dimension": (lambda: zip_with({"w.npy": npy_bytes("<f4", (True,), b"\0" * 4)}),
                          "non-negative ints"),
    "bad fortran_order": (lambda: zip_with({"w.npy": npy_bytes("<f4", (1,), b"\0" * 4,
                                                               fortran="yes")}),
                          "fortran_order 'yes'"),
    "header claims more data": (lambda: zip_with({"w.npy": npy_bytes("<f4", (8,), b"\0" * 4)}),
                                "claims 32 bytes .* holds 4 bytes"),
    "header claims less data": (lambda: zip_with({"w.npy": npy_bytes("<f4", (1,), b"\0" * 8)}),
                                "claims 4 bytes .* holds 8 bytes"),
    "header longer than member": (lambda: zip_with({"w.npy": b"\x93NUMPY\x01\x00\xff\xff{"}),
                                  "claims an .npy header of 65535 bytes"),
    "unknown npy version": (lambda: zip_with({"w.npy": b"\x93NUMPY\x09\x00" + b"\0" * 64}),
                            "format version 9.0"),
    "not npy magic": (lambda: zip_with({"w.npy": b"plain text, not an array"}),
                      "not an .npy array"),
    "non-UTF8 v3 header": (lambda: zip_with({"w.npy": npy_bytes(
        None, None, version=3, header="{'descr': '<f4\udcff'}")}), "corrupt .npy header"),
    "member that is not .npy": (lambda: zip_with({"w.npy": npy_bytes("<f4", (0,)),
                                                  "notes.txt": b"hi"}),
                                "'notes.txt' is not a NumPy array|neither an .npz"),
    "duplicate members": (lambda: _duplicate_members(), "appears twice"),
    "metadata not JSON": (lambda: zip_with({"w.npy": npy_bytes("<f4", (0,)),
                                            "__lucid_metadata__.npy": npy_bytes(
                                                "|u1", (5,), b"{'a':")}),
                          "corrupt lucid metadata block"),
    "metadata a JSON list": (lambda: zip_with({"__lucid_metadata__.npy": npy_bytes(
        "|u1", (2,), b"[]")}), "a JSON list, not an object"),
    "metadata not UTF-8": (lambda: zip_with({"__lucid_metadata__.npy": npy_bytes(
        "|u1", (2,), b"\xff\xfe")}), "corrupt lucid metadata block"),
    "metadata nested 100000 deep": (lambda: zip_with({"__lucid_metadata__.npy": npy_bytes(
        "|u1", (200000,), b"[" * 100000 + b"]" * 100000)}), "corrupt lucid metadata block"),
    "metadata of floats": (lambda: zip_with({"__lucid_metadata__.npy": npy_bytes(
        "<f4", (1,), b"\0" * 4)}), "expected bytes"),
    "encrypted member": (lambda: raw_zip("w.npy", b"\0" * 12, 0, 12, method=0, flags=1),
                         "encrypted|password"),
    "unknown compression": (lambda: raw_zip("w.npy", b"\0" * 12, 0, 12, method=99),
                            "compression method|not supported"),
    "corrupt deflate stream": (lambda: raw_zip("w.npy", b"\xff" * 64, 0, 128, method=8),
                               "member 'w.npy'"),
    "flipped data bit (CRC-32)": (lambda: _flipped_npz(), "Bad CRC-32|checksum"),
    "truncated archive": (lambda: zip_with({"w.npy": npy_bytes("<f4", (64,), b"\0" * 256)}
                                           )[:200], "not a readable lucid checkpoint"),
}


def _duplicate_members() -> bytes:
    buf = io.BytesIO()
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("w.npy", npy_bytes("<f4", (0,)))
        zf.writestr("w.npy", npy_bytes("<f4", (0,)))
    return buf.getvalue()


def _flipped_npz() -> bytes:
    data = bytearray(zip_with({"w.npy": npy_bytes("<f4", (4,), np.ones(4, "<f4").tobytes())}))
    data[data.index(np.ones(1, "<f4").tobytes()) + 1] ^= 0x01
    return bytes(data)


@pytest.mark.parametrize("case", sorted(NPZ_CASES))
def test_corrupt_npz_files_raise_checkpoint_errors(tmp_path: Path, case: str) -> None:
    """Each damage is a CheckpointError naming the file and what was wrong, in every loader."""
    make, message = NPZ_CASES[case]
    path = write(tmp_path / "damaged.npz", make())
    for name, load in loaders().items():
        with pytest.raises(CheckpointError, match=message) as info:
            load(path)
        assert str(path) in str(info.value), (name, str(info.value))
        assert "\n" not in str(info.value)


# ----------------------------------------------------------- corrupt safetensors files
def _st(entries: dict[str, object], data: bytes = b"", meta: object = None) -> bytes:
    header = dict(entries)
    if meta is not None:
        header["__metadata__"] = meta
    return safetensors_bytes(header, data)


def _f32(n: int, begin: int = 0) -> dict[str, object]:
    return {"dtype": "F32", "shape": [n], "data_offsets": [begin, begin + 4 * n]}


ST_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "truncated JSON": (lambda: safetensors_bytes(None, raw_header=b'{"w": {"dtype": "F3'),
                       "corrupt header"),
    "non-UTF8 header": (lambda: safetensors_bytes(None, raw_header=b'{"w\xff": 1}'),
                        "corrupt header"),
    "tensor entry is a list": (lambda: safetensors_bytes({"w": [0, 4]}, b"\0" * 4),
                               "expected an object with dtype, shape and data_offsets"),
    "nested 100000 deep": (lambda: safetensors_bytes(None, raw_header=b'{"a":' + b"[" * 100000
                                                     + b"]" * 100000 + b"}"),
                           "corrupt header"),
    "duplicate names": (lambda: safetensors_bytes(None, raw_header=json.dumps(
        {"w": _f32(1)}).encode()[:-1] + b', "w": ' + json.dumps(_f32(1)).encode() + b"}",
        data=b"\0" * 4), "appears twice"),
    "unknown dtype": (lambda: _st({"w": {"dtype": "F8_E4M3", "shape": [1],
                                         "data_offsets": [0, 1]}}, b"\0"),
                      "dtype 'F8_E4M3'"),
    "wrong dtype type": (lambda: _st({"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}},
                                     b"\0" * 4), "dtype 32"),
    "missing field": (lambda: _st({"w": {"dtype": "F32", "shape": [1]}}, b"\0" * 4),
                      "expected an object with dtype, shape and data_offsets"),
    "float in shape": (lambda: _st({"w": {"dtype": "F32", "shape": [1.5],
                                          "data_offsets": [0, 4]}}, b"\0" * 4),
                       "lists of non-negative ints"),
    "bool in shape": (lambda: _st({"w": {"dtype": "F32", "shape": [True],
                                         "data_offsets": [0, 4]}}, b"\0" * 4),
                      "lists of non-negative ints"),
    "negative offset": (lambda: _st({"w": {"dtype": "F32", "shape": [1],
                                           "data_offsets": [-4, 0]}}, b"\0" * 4),
                        "lists of non-negative ints"),
    "begin after end": (lambda: _st({"w": {"dtype": "F32", "shape": [1],
                                           "data_offsets": [4, 0]}}, b"\0" * 4),
                        "begin <= end"),
    "size does not match shape": (lambda: _st({"w": {"dtype": "F32", "shape": [2],
                                                     "data_offsets": [0, 4]}}, b"\0" * 4),
                                  "span 4 bytes, but shape \\[2\\] of F32 needs 8"),
    "offsets out of range": (lambda: _st({"w": _f32(2)}, b"\0" * 4),
                             "run past the end of the 4-byte data section"),
    "overlapping offsets": (lambda: _st({"a": _f32(2), "b": _f32(2, 4)}, b"\0" * 12),
                            "'b' data_offsets \\[4, 12\\] overlap tensor 'a'"),
    "gap between tensors": (lambda: _st({"a": _f32(1), "b": _f32(1, 8)}, b"\0" * 12),
                            "4 unaccounted bytes before tensor 'b'"),
    "trailing bytes": (lambda: _st({"a": _f32(1)}, b"\0" * 12),
                       "8 bytes after the last tensor"),
    "header length past the file": (lambda: (10**6).to_bytes(8, "little") + b'{"a": 1}',
                                    "header length 1000000 does not fit"),
    "metadata not strings": (lambda: _st({"a": _f32(1)}, b"\0" * 4, {"epoch": 3}),
                             "__metadata__ must map strings to strings"),
    "lucid metadata not JSON": (lambda: _st({"a": _f32(1)}, b"\0" * 4, {"lucid": "{oops"}),
                                "corrupt lucid metadata block"),
    "lucid metadata a list": (lambda: _st({"a": _f32(1)}, b"\0" * 4, {"lucid": "[1]"}),
                              "a JSON list, not an object"),
    "checksum not hex": (lambda: _st({"a": _f32(1)}, b"\0" * 4, {"lucid.sha256": "xyz"}),
                         "corrupt checksum entries"),
    "checksum without its algorithm": (lambda: _st({"a": _f32(1)}, b"\0" * 4, {
        "lucid.sha256": "0" * 64}), "'lucid.checksum' is 'None'"),
    "algorithm without its checksum": (lambda: _st({"a": _f32(1)}, b"\0" * 4, {
        "lucid.checksum": "sha256"}), "'lucid.sha256' is 'None'"),
}


@pytest.mark.parametrize("case", sorted(ST_CASES))
def test_corrupt_safetensors_files_raise_checkpoint_errors(tmp_path: Path, case: str) -> None:
    """Each damage is a CheckpointError naming the file and what was wrong, in every loader."""
    make, message = ST_CASES[case]
    path = write(tmp_path / "damaged.safetensors", make())
    for name, load in loaders().items():
        with pytest.raises(CheckpointError, match=message) as info:
            load(path)
        assert str(path) in str(info.value), (name, str(info.value))
        assert "\n" not in str(info.value)


def test_bool_bytes_other_than_0_and_1_read_as_true(tmp_path: Path) -> None:
    """NumPy compares a bool holding byte 2 unequal to True; readers make it a real True."""
    npz = write(tmp_path / "b.npz", zip_with({"m.npy": npy_bytes("|b1", (3,), b"\x00\x02\xff")}))
    st = write(tmp_path / "b.safetensors", safetensors_bytes(
        {"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}}, b"\x00\x02\xff"))
    for path in (npz, st):
        got = checkpoint.load(path)[0]["m"]
        assert got.dtype == np.bool_ and got.view(np.uint8).tolist() == [0, 1, 1]
        assert (got == np.array([False, True, True])).all()


# ----------------------------------------------------------------------------- checksums
def _sections(data: bytes) -> tuple[dict[str, object], int]:
    """The parsed safetensors header and where the data section starts (by the spec)."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), 8 + n


def test_lucid_safetensors_carry_the_documented_sha256(tmp_path: Path) -> None:
    """SHA-256 of the canonical index (names, dtypes, shapes, offsets, metadata) + the data."""
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(3, np.int64)}
    data = checkpoint.save(arrays, tmp_path / "c.safetensors", metadata={"epoch": 1}).read_bytes()
    header, start = _sections(data)
    meta = dict(header.pop("__metadata__"))
    digest = meta.pop("lucid.sha256")
    index = {"metadata": meta, "tensors": {
        k: [v["dtype"], v["shape"], v["data_offsets"]] for k, v in header.items()}}
    canonical = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    assert digest == hashlib.sha256(canonical + data[start:]).hexdigest()


def test_a_single_bit_flip_in_the_data_is_a_checksum_mismatch(tmp_path: Path) -> None:
    """Every loader names the file; flipping the bit back loads again."""
    values = np.linspace(-1, 1, 64, dtype=np.float32)
    path = checkpoint.save({"w": values}, tmp_path / "c.safetensors")
    data = bytearray(path.read_bytes())
    _, start = _sections(bytes(data))
    data[start + 77] ^= 0x04  # a mantissa bit: the value stays a plausible float
    path.write_bytes(bytes(data))
    for name, load in loaders().items():
        with pytest.raises(CheckpointError, match="checksum mismatch") as info:
            load(path)
        assert str(path) in str(info.value), name
    data[start + 77] ^= 0x04
    path.write_bytes(bytes(data))
    np.testing.assert_array_equal(checkpoint.load(path)[0]["w"], values)


def test_a_renamed_tensor_is_a_checksum_mismatch(tmp_path: Path) -> None:
    """The checksum covers the index too: a flipped letter in a name is caught."""
    path = checkpoint.save({"fc.weight": np.ones(3, np.float32)}, tmp_path / "c.safetensors")
    path.write_bytes(path.read_bytes().replace(b'"fc.weight"', b'"fc.weighu"', 1))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        checkpoint.load(path)


def test_files_of_other_tools_load_and_lucid_files_load_in_other_tools(tmp_path: Path) -> None:
    """No checksum needed to load; the safetensors package reads what lucid writes."""
    st = pytest.importorskip("safetensors.numpy")
    arrays = {"a": np.arange(12, dtype=np.float64).reshape(3, 4), "b": np.array([True, False]),
              "c": np.zeros((0, 2), np.float16), "d": np.array(-5, np.int8)}
    st.save_file(arrays, str(tmp_path / "theirs.safetensors"), metadata={"source": "hf"})
    loaded, meta = checkpoint.load(tmp_path / "theirs.safetensors")
    assert meta == {"source": "hf"}
    mine = checkpoint.save(arrays, tmp_path / "mine.safetensors")
    theirs = st.load_file(str(mine))
    for key, value in arrays.items():
        for got in (loaded[key], theirs[key]):
            assert got.dtype == value.dtype and got.shape == value.shape, key
            np.testing.assert_array_equal(got, value)


def test_bfloat16_is_widened_to_float32(tmp_path: Path) -> None:
    """BF16 entries (common on the Hub) read as float32 with the same values."""
    exact = np.array([1.0, -2.5, 3.140625, 0.0], np.float32)  # exactly representable in bf16
    bits = (exact.view(np.uint32) >> 16).astype("<u2").tobytes()
    path = write(tmp_path / "bf16.safetensors", safetensors_bytes(
        {"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}}, bits))
    got = checkpoint.load(path)[0]["w"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, exact)


# ------------------------------------------------------------------ temporary files
_KILLED_SAVE = """
import os, sys
import numpy as np
from lucid.io import checkpoint
print(os.getpid(), flush=True)
os.replace = lambda *a: os._exit(9)  # killed between writing and renaming
checkpoint.save({"w": np.ones(1000, np.float32)}, sys.argv[1])
"""


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".lucid-tmp"))


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_a_killed_save_leaves_a_named_leftover_that_the_next_save_removes(tmp_path: Path,
                                                                          suffix: str) -> None:
    target = tmp_path / f"ckpt{suffix}"
    done = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(target)], timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 9 and not target.exists()
    (left,) = _leftovers(tmp_path)
    assert left.startswith(f".ckpt{suffix}.") and f".{done.stdout.strip()}." in left
    checkpoint.save({"w": np.zeros(3, np.float32)}, target)
    assert _leftovers(tmp_path) == []
    np.testing.assert_array_equal(checkpoint.load(target)[0]["w"], np.zeros(3))


@pytest.mark.skipif(os.name != "posix", reason="dead writers are recognised on POSIX only "
                    "(elsewhere only the age rule applies)")
def test_only_stale_leftovers_are_removed(tmp_path: Path) -> None:
    """Dead local writers' and day-old files go; live, foreign-host and unrelated ones stay."""
    import socket

    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, timeout=60)
    dead = int(finished.stdout)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            "dead": f".m.npz.{host}.{dead}.abc123.lucid-tmp",
            "live": f".m.npz.{host}.{sleeper.pid}.abc123.lucid-tmp",
            "ours": f".m.npz.{host}.{os.getpid()}.abc123.lucid-tmp",
            "other host": f".m.npz.elsewhere.{dead}.abc123.lucid-tmp",
            "old live": f".m.npz.{host}.{sleeper.pid}.old999.lucid-tmp",
            "old other host": f".m.npz.elsewhere.{dead}.old999.lucid-tmp",
            "other target": f".n.npz.{host}.{dead}.abc123.lucid-tmp",
            "unrelated": "m.npz.notes",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"partial")
        day_ago = time.time() - STALE_AFTER_S - 60
        for kind in ("old live", "old other host"):
            os.utime(tmp_path / names[kind], (day_ago, day_ago))
        removed = {p.name for p in remove_stale_temp_files(tmp_path / "m.npz")}
    finally:
        sleeper.kill()
        sleeper.wait()
    assert removed == {names[k] for k in ("dead", "old live", "old other host")}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        names[k] for k in ("live", "ours", "other host", "other target", "unrelated"))


# ------------------------------------------------------------------- never unpickle
def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            parts = []
            while isinstance(func, ast.Attribute):
                parts.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                parts.append(func.id)
            found.append((".".join(reversed(parts)), node))
    return found


def test_nothing_in_lucid_can_unpickle() -> None:
    """No pickle/marshal/dill/joblib loads, no np.load, torch.load only with weights_only=True.

    lucid reads .npz with its own reader, so np.load (whose allow_pickle a later edit could
    flip) is not called at all. The one exception is the data loader's worker transport,
    which unpickles, in memory, only the batches its own worker processes pickled for it
    (as ``multiprocessing`` itself does); no file is ever unpickled.
    """
    allowed = {"lucid/data/worker.py: imports pickle", "lucid/data/worker.py: calls pickle.loads"}
    sources = [p for folder in ("lucid", "backends") for p in (ROOT / folder).rglob("*.py")]
    sources += list((ROOT / "plugins").glob("*/src/**/*.py"))
    assert len(sources) > 50
    offences = []
    for path in sources:
        text = path.read_text()
        tree = ast.parse(text, str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                for module in modules:
                    if module.split(".")[0] in ("pickle", "_pickle", "cPickle", "dill",
                                                "cloudpickle", "joblib", "shelve", "marshal"):
                        offences.append(f"{where}: imports {module}")
        for name, call in _calls(tree):
            keywords = {k.arg: k.value for k in call.keywords}
            if name.endswith(("np.load", "numpy.load")) or (name.split(".")[0] in (
                    "pickle", "_pickle", "marshal", "dill", "cloudpickle", "joblib", "shelve")
                    and name.split(".")[-1] in ("load", "loads", "Unpickler", "open")):
                offences.append(f"{where}: calls {name}")
            if name.endswith("torch.load"):
                flag = keywords.get("weights_only")
                if not (isinstance(flag, ast.Constant) and flag.value is True):
                    offences.append(f"{where}:{call.lineno}: torch.load without weights_only")
            flag = keywords.get("allow_pickle")
            if flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False):
                offences.append(f"{where}:{call.lineno}: allow_pickle is not False")
    assert [o for o in offences if o not in allowed] == []


# ------------------------------------------------------------------------- lucid convert
CONVERT_CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "zip bomb": (zip_bomb, "bomb.npz", "zip bomb"),
    "4 TiB claim": (lambda: safetensors_bytes({"fc.weight": {
        "dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}}, b"\0" * 16),
        "claim.safetensors", "over the limit of 8.0 GiB"),
    "truncated JSON": (ST_CASES["truncated JSON"][0], "t.safetensors", "corrupt header"),
    "overlapping offsets": (ST_CASES["overlapping offsets"][0], "o.safetensors", "overlap"),
    "npy header literal": (NPZ_CASES["truncated header literal"][0], "h.npz",
                           "corrupt .npy header"),
    "object dtype": (NPZ_CASES["object dtype"][0], "o.npz", "unsupported dtype object"),
    "garbage": (lambda: b"\x00garbage" * 50, "g.pth", "not a recognised weights file"),
    "broken zip": (lambda: b"PK\x03\x04" + b"\x00" * 40, "z.pth", "not a readable"),
}


@pytest.mark.parametrize("case", sorted(CONVERT_CASES))
def test_lucid_convert_refuses_damaged_files_in_one_line(tmp_path: Path, case: str,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    make, name, message = CONVERT_CASES[case]
    src = write(tmp_path / name, make())
    dst = tmp_path / "out.npz"
    code = main(["convert", "sk_resnet_mini", str(src), str(dst)])
    err = capsys.readouterr().err
    assert code == 1 and not dst.exists()
    assert err.count("\n") == 1 and err.startswith("lucid convert: error: "), err
    assert message in err and str(src) in err


def test_lucid_convert_checksum_mismatch_from_the_command_line(tmp_path: Path) -> None:
    """The installed command exits with a status and one line, never a traceback."""
    lucid.manual_seed(0)
    model = models.get("sk_resnet_mini", num_classes=5, in_channels=1)
    src = checkpoint.save(model, tmp_path / "src.safetensors", metadata={"model": "sk_resnet_mini"})
    data = bytearray(src.read_bytes())
    data[-3] ^= 0x10
    src.write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-m", "lucid", "convert", "sk_resnet_mini", str(src),
                           str(tmp_path / "out.npz"), "--in-channels", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "checksum mismatch" in done.stderr and str(src) in done.stderr
