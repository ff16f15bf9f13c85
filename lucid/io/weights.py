"""Weights files: recognise them by content, read them safely, load them into a model.

Sources
-------
* **safetensors** and **``.npz``**: read by lucid's own checked readers
  (:mod:`lucid.io.safetensors_file`, :mod:`lucid.io.npz_file`; no pickle, sizes checked
  before allocating): no PyTorch needed.
* **``.pth`` / ``.pt``** (``torch.save`` files): read with
  ``torch.load(path, map_location="cpu", weights_only=True)``, PyTorch's restricted loader
  that refuses arbitrary objects, after the sizes of a zip-format file's members have been
  checked against the file and ``LUCID_MAX_CHECKPOINT_BYTES`` and their CRC-32s verified
  (PyTorch's reader ignores them: a flipped bit would load as a changed weight). Without
  PyTorch they are refused with an install hint; they are never opened with plain
  :mod:`pickle`.

The file kind is recognised by its content (safetensors header, zip archive holding ``.npy``
members or a ``data.pkl``, legacy pickle), not by its extension. A file whose metadata says
``format: lucid`` (see :mod:`lucid.io.checkpoint`) is a lucid checkpoint and loads as is;
any other is mapped onto the model by the table the model provides (see
:mod:`lucid.io.state_dict`).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkpoint import FORMAT_NAME, CheckpointError, is_safetensors
from .checkpoint import load as load_checkpoint
from .errors import one_line
from .limits import ByteBudget
from .npz_file import (
    check_zip_members,
    corrupt_as_checkpoint_error,
    open_zip,
    verify_member_checksums,
)
from .state_dict import (
    ConversionError,
    ConversionReport,
    as_numpy,
    convert_with_report,
    strip_prefixes,
    unwrap_state_dict,
)


@dataclass
class WeightsFile:
    """The arrays and metadata of a weights file, and which kind of file it was."""

    arrays: dict[str, Any]
    metadata: dict[str, Any]
    file_format: str  # "safetensors", "npz" or "torch"

    @property
    def is_lucid(self) -> bool:
        """True for a lucid checkpoint (its metadata says ``format: lucid``)."""
        return self.metadata.get("format") == FORMAT_NAME


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Recognise a weights file by its bytes: ``"safetensors"``, ``"npz"`` or ``"torch"``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {str(path)!r} does not exist or is not a file")
    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        raise CheckpointError(f"weights file {str(path)!r} is empty")
    if is_safetensors(path):
        return "safetensors"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        with open_zip(path) as zf, corrupt_as_checkpoint_error(path, "corrupt zip directory"):
            names = zf.namelist()
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            return "torch"
        if all(n.endswith(".npy") for n in names):
            return "npz"
        raise CheckpointError(f"{str(path)!r} is a zip archive but neither an .npz (only .npy "
                              f"members) nor a torch.save file (a data.pkl member); it holds "
                              f"{names[:5]}")
    if head.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"{str(path)!r} is a single .npy array, not a state dict; save "
                              "the tensors by name with numpy.savez")
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        return "torch"  # the legacy (pre-zip) torch.save format starts with a pickle
    raise CheckpointError(f"{str(path)!r} is not a recognised weights file (expected "
                          "safetensors, .npz or a torch.save .pth/.pt file)")


def _torch_load(path: Path) -> Any:
    """``torch.load`` in its restricted ``weights_only`` mode, on the CPU."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{str(path)!r} is a PyTorch (torch.save) file; reading it needs PyTorch "
            "(pip install torch). Without PyTorch, convert it to safetensors where PyTorch is "
            "installed: safetensors.torch.save_file(torch.load(path, weights_only=True), "
            "'weights.safetensors')"
        ) from exc
    if zipfile.is_zipfile(path):  # members hold the tensors: check what they claim first
        with open_zip(path) as zf:
            with corrupt_as_checkpoint_error(path, "corrupt zip directory"):
                infos = check_zip_members(zf, path, ByteBudget(path))
            verify_member_checksums(zf, path, infos)  # torch.load ignores the CRC-32s
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"PyTorch could not load {str(path)!r} in its safe weights_only mode (lucid never "
            f"unpickles arbitrary objects): {one_line(exc)}"
        ) from exc


def read_weights_file(path: str | os.PathLike[str]) -> WeightsFile:
    """Read a safetensors, ``.npz`` or ``torch.save`` file into NumPy arrays, safely."""
    path = Path(path)
    kind = sniff_format(path)
    if kind in ("safetensors", "npz"):
        arrays, meta = load_checkpoint(path)
        weights = WeightsFile(dict(arrays), dict(meta), kind)
        if not weights.is_lucid:
            weights.arrays = strip_prefixes(weights.arrays)
        return weights
    obj = _torch_load(path)
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{str(path)!r} holds a {type(obj).__name__}, not a state dict "
                              "(a mapping of name -> tensor)")
    state = strip_prefixes(unwrap_state_dict(obj))
    arrays = {k: as_numpy(k, v) for k, v in state.items()}
    return WeightsFile(arrays, {}, kind)


def _same_name(a: str, b: str) -> bool:
    """Model names compare as the registry normalises them (case, ``-`` and ``_``)."""
    def norm(name: str) -> str:
        return name.strip().lower().replace("-", "_").replace(" ", "_")

    return norm(a) == norm(b)


def load_weights(model: Any, path: str | os.PathLike[str],
                 model_name: str | None = None) -> ConversionReport:
    """Load a lucid checkpoint or a timm/PyTorch state-dict file into ``model``, strictly.

    The file kind is recognised by content; foreign names are mapped by the table the model
    provides through ``key_map()``. A lucid checkpoint saved for another model than
    ``model_name`` is refused. Raises :class:`~lucid.io.state_dict.ConversionError` naming any
    missing, unexpected or mis-shaped tensor, and
    :class:`~lucid.io.checkpoint.CheckpointError` for unreadable files.
    """
    label = model_name or type(model).__name__
    weights = read_weights_file(path)
    naming = None
    if weights.is_lucid:
        saved_for = weights.metadata.get("model")
        if model_name and isinstance(saved_for, str) and not _same_name(saved_for, model_name):
            raise ConversionError(f"{str(path)!r} is a lucid checkpoint of {saved_for!r}, not "
                                  f"of {model_name!r}")
        naming = "lucid"
    converted, report = convert_with_report(weights.arrays, model, label, naming=naming)
    model.load_state_dict(converted, strict=True)
    report.source_format = "lucid checkpoint" if weights.is_lucid else weights.file_format
    report.metadata = weights.metadata
    return report


__all__ = ["WeightsFile", "load_weights", "read_weights_file", "sniff_format"]
