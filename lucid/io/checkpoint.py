"""lucid checkpoints: ``.npz`` or ``.safetensors``, written atomically, read as hostile files.

A checkpoint is a flat mapping of name -> NumPy array plus JSON metadata whose ``format``
is ``"lucid"``. Files are written atomically (:mod:`lucid.io.atomic`: a recognisable
temporary file beside the target, fsynced, renamed over it; leftovers of killed saves are
removed by the next save). ``.safetensors`` files carry a SHA-256 checksum that loading
verifies (:mod:`lucid.io.safetensors_file`); ``.npz`` members carry zip's CRC-32.

Loading never unpickles anything and trusts nothing: sizes claimed by headers are checked
against the file and against ``LUCID_MAX_CHECKPOINT_BYTES`` (:mod:`lucid.io.limits`) before
anything is allocated, and every way a file can be damaged is a :class:`CheckpointError`
naming the file (and the entry).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._tensor import Tensor
from . import npz_file, safetensors_file
from .atomic import atomic_write
from .errors import CheckpointError
from .limits import ByteBudget

FORMAT_NAME = "lucid"
FORMAT_VERSION = 1
_META_KEY = "__lucid_metadata__"
_ALLOWED_KINDS = "fiub"  # float, signed int, unsigned int, bool


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

    The format follows the extension: ``.safetensors`` (with a SHA-256 checksum) or anything
    else as an uncompressed ``.npz``. ``metadata`` must be JSON-serialisable.
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
    with atomic_write(path) as f:
        if path.suffix == ".safetensors":
            safetensors_file.write(f, arrays, {"lucid": meta_text})
        else:
            arrays[_META_KEY] = np.frombuffer(meta_text.encode("utf-8"), dtype=np.uint8)
            np.savez(f, **arrays)  # type: ignore[arg-type]
    return path


def is_safetensors(path: str | os.PathLike[str]) -> bool:
    """True when the file starts like a safetensors file (8-byte header length, then JSON)."""
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 0 < n < 100_000_000 and head[8:9] == b"{"


def _metadata(path: Path, text: str) -> dict[str, Any]:
    """lucid's JSON metadata block, which must be a JSON object."""
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{str(path)!r}: corrupt lucid metadata block: "
                              f"{type(exc).__name__}: {exc}") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{str(path)!r}: corrupt lucid metadata block: a JSON "
                              f"{type(meta).__name__}, not an object")
    return meta


def load(path: str | os.PathLike[str], *, max_bytes: int | None = None
         ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a checkpoint; return ``(arrays, metadata)``. Never unpickles; validates entries.

    ``max_bytes`` caps what the file may make lucid allocate (default:
    ``LUCID_MAX_CHECKPOINT_BYTES``, 8 GiB). Any damaged, hostile or oversized file raises
    :class:`CheckpointError`.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist or is not a file")
    budget = ByteBudget(path, max_bytes)
    if is_safetensors(path):
        arrays, raw_meta = safetensors_file.read(path, budget)
        if "lucid" in raw_meta:
            return arrays, _metadata(path, raw_meta["lucid"])
        return arrays, dict(raw_meta)
    with open(path, "rb") as f:
        if f.read(6) == npz_file.NPY_MAGIC:
            raise CheckpointError(f"{str(path)!r} holds a single array, not a checkpoint "
                                  "archive")
    arrays = npz_file.read_npz(path, budget)
    raw = arrays.pop(_META_KEY, None)
    if raw is None:
        return arrays, {}
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{str(path)!r}: corrupt lucid metadata block: expected bytes "
                              f"(uint8), got {raw.dtype} of shape {raw.shape}")
    try:
        text = raw.tobytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{str(path)!r}: corrupt lucid metadata block: {exc}") from None
    return arrays, _metadata(path, text)


def load_into(module: Any, path: str | os.PathLike[str], strict: bool = True) -> dict[str, Any]:
    """Load a lucid checkpoint into ``module`` (shapes and names validated); return its metadata."""
    arrays, meta = load(path)
    if meta.get("format") not in (None, FORMAT_NAME):
        raise CheckpointError(f"{path}: unknown checkpoint format {meta.get('format')!r}")
    module.load_state_dict(arrays, strict=strict)
    return meta
