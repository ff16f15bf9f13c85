"""Host I/O: where lucid's tensors meet files and other libraries' weights.

NumPy is lucid's host interchange format, and this package is the boundary: **NumPy in,
NumPy out**. Everything here reads or writes flat mappings of name -> NumPy array; a model
goes in or comes out only through ``state_dict()`` / ``load_state_dict()``, so the tensor,
autograd, ``nn`` and model code never touch a file or NumPy by name.

* :mod:`lucid.io.checkpoint` — lucid checkpoints (``.npz`` or ``.safetensors``):
  written **atomically** (:mod:`lucid.io.atomic`: temporary file, fsync, rename; leftovers of
  killed saves cleaned up) and **never unpickled** when read; safetensors checkpoints carry a
  SHA-256 checksum that loading verifies.
* :mod:`lucid.io.npz_file`, :mod:`lucid.io.safetensors_file` — the readers: every header is
  checked, and the sizes it claims are checked against the file and
  ``LUCID_MAX_CHECKPOINT_BYTES`` (:mod:`lucid.io.limits`) before anything is allocated. Every
  damaged or hostile file is a :class:`CheckpointError` (:mod:`lucid.io.errors`).
* :mod:`lucid.io.weights` — weights files of any supported kind (safetensors, ``.npz``,
  ``torch.save`` through PyTorch's restricted ``weights_only`` loader only), recognised by
  content, and :func:`load_weights` to load one into a model.
* :mod:`lucid.io.state_dict` — conversion between another library's names and lucid's,
  checked tensor by tensor against a model. A model provides its own mapping table through
  a ``key_map()`` method (:mod:`lucid.models.keymap`); this package never imports a model,
  ``lucid.nn`` or :mod:`lucid.convert` (the tool built on top of it).
"""

from __future__ import annotations

from . import checkpoint, state_dict, weights
from .checkpoint import CheckpointError
from .state_dict import ConversionError, ConversionReport, convert_with_report, key_map_for
from .weights import WeightsFile, load_weights, read_weights_file, sniff_format

__all__ = [
    "CheckpointError", "ConversionError", "ConversionReport", "WeightsFile", "checkpoint",
    "convert_with_report", "key_map_for", "load_weights", "read_weights_file", "sniff_format",
    "state_dict", "weights",
]
