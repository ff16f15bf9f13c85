"""lucid checkpoints: ``.npz`` (loaded with ``allow_pickle=False``) or ``.safetensors``.

A checkpoint is a flat mapping of name -> NumPy array plus JSON metadata whose ``format``
is ``"lucid"``. Files are written atomically (a temporary file in the same folder, fsynced,
then renamed over the target), so an interrupted save never leaves a truncated checkpoint
behind. Loading never unpickles anything and validates every entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._tensor import Tensor

FORMAT_NAME = "lucid"
FORMAT_VERSION = 1
_META_KEY = "__lucid_metadata__"
_ALLOWED_KINDS = "fiub"  # float, signed int, unsigned int, bool


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, unsafe or incompatible."""


def _to_host(value: Any, key: str) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in _ALLOWED_KINDS:
        raise CheckpointError(f"entry {key!r} has dtype {arr.dtype}; only numeric and bool "
                              "arrays can be saved")
    return arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d shapes


def _state_of(obj: Any) -> Mapping[str, Any]:
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        return obj.state_dict()
    if isinstance(obj, Mapping):
        return obj
    raise TypeError(f"save() needs a Module or a mapping of name -> tensor, got "
                    f"{type(obj).__name__}")


def save(obj: Any, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None) -> Path:
    """Write a module's ``state_dict()`` (or a mapping of arrays) to ``path`` atomically.

    The format follows the extension: ``.safetensors`` (needs the ``safetensors`` package)
    or anything else as ``.npz``. ``metadata`` must be JSON-serialisable.
    """
    path = Path(path)
    arrays = {}
    for key, value in _state_of(obj).items():
        if not isinstance(key, str) or not key or key == _META_KEY:
            raise CheckpointError(f"invalid entry name {key!r}")
        arrays[key] = _to_host(value, key)
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **dict(metadata or {})}
    try:
        meta_text = json.dumps(meta)
    except TypeError as exc:
        raise TypeError(f"checkpoint metadata must be JSON-serialisable: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if path.suffix == ".safetensors":
                from safetensors.numpy import save as st_save

                f.write(st_save(arrays, metadata={"lucid": meta_text}))
            else:
                arrays[_META_KEY] = np.frombuffer(meta_text.encode("utf-8"), dtype=np.uint8)
                np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def is_safetensors(path: str | os.PathLike[str]) -> bool:
    """True when the file starts like a safetensors file (8-byte header length, then JSON)."""
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 0 < n < 100_000_000 and head[8:9] == b"{"


def load(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a checkpoint; return ``(arrays, metadata)``. Never unpickles; validates entries."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist or is not a file")
    if is_safetensors(path):
        return _load_safetensors(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {}
            for key in npz.files:
                arr = npz[key]
                if not isinstance(arr, np.ndarray):  # a zip member that is not an .npy array
                    raise CheckpointError(f"{path}: entry {key!r} is not a NumPy array; this "
                                          "zip archive is not a lucid .npz checkpoint")
                if key != _META_KEY and arr.dtype.kind not in _ALLOWED_KINDS:
                    raise CheckpointError(f"{path}: entry {key!r} has unsupported dtype "
                                          f"{arr.dtype}")
                arrays[key] = arr
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CheckpointError(
            f"{str(path)!r} is not a readable lucid checkpoint (expected an .npz archive of "
            f"numeric arrays or a safetensors file): {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(arrays, dict):
        raise CheckpointError(f"{str(path)!r} holds a single array, not a checkpoint archive")
    meta: dict[str, Any] = {}
    raw = arrays.pop(_META_KEY, None)
    if raw is not None:
        try:
            meta = json.loads(raw.astype(np.uint8).tobytes().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{path}: corrupt metadata block: {exc}") from exc
    return arrays, meta


def _load_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        from safetensors import safe_open
    except ImportError as exc:
        raise CheckpointError(f"{path} is a safetensors file; install the 'safetensors' package "
                              "to read it (pip install safetensors)") from exc
    try:
        arrays = {}
        with safe_open(str(path), framework="numpy") as f:
            raw_meta = f.metadata() or {}
            for key in f.keys():
                arrays[key] = f.get_tensor(key)
    except Exception as exc:
        raise CheckpointError(f"{str(path)!r} is not a valid safetensors file: "
                              f"{type(exc).__name__}: {exc}") from exc
    meta: dict[str, Any] = {}
    if "lucid" in raw_meta:
        try:
            meta = json.loads(raw_meta["lucid"])
        except ValueError as exc:
            raise CheckpointError(f"{path}: corrupt lucid metadata: {exc}") from exc
    else:
        meta = dict(raw_meta)
    return arrays, meta


def load_into(module: Any, path: str | os.PathLike[str], strict: bool = True) -> dict[str, Any]:
    """Load a lucid checkpoint into ``module`` (shapes and names validated); return its metadata."""
    arrays, meta = load(path)
    if meta.get("format") not in (None, FORMAT_NAME):
        raise CheckpointError(f"{path}: unknown checkpoint format {meta.get('format')!r}")
    module.load_state_dict(arrays, strict=strict)
    return meta
