"""Convert PyTorch/timm weights to lucid: the tool behind ``lucid convert``, on top of lucid.io.

The pieces live where they belong; this module joins them with the model registry:

* reading weights files safely (safetensors, ``.npz``, ``torch.save`` through PyTorch's
  ``weights_only`` loader only; never plain pickle): :mod:`lucid.io.weights`;
* conversion checked against a model (the checks that name every missing, unexpected or
  mis-shaped tensor): :mod:`lucid.io.state_dict`;
* the mapping tables (rules and placeholders: :mod:`lucid.models.keymap`), beside the model
  families they describe, each returned by the model's ``key_map()``: the stems,
  torchvision/timm ResNet blocks and the head in :mod:`lucid.models.resnet`, timm's SKNet
  blocks in :mod:`lucid.models.sknet`;
* lucid checkpoints (atomic writes): :mod:`lucid.io.checkpoint`.

Here: :func:`convert_state_dict` (a model given by registered name or built),
:func:`to_source_state_dict` (the reverse map) and :func:`convert_file` (a weights file to a
lucid checkpoint, as ``lucid convert MODEL SRC DST`` does).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .io import checkpoint
from .io.state_dict import ConversionError, ConversionReport, convert_with_report, key_map_for
from .io.weights import WeightsFile, read_weights_file
from .models import get, model_entry


def _resolve_model(model_name_or_model: Any) -> tuple[Any, str]:
    """A built model and its label, from a registered name or a model."""
    if isinstance(model_name_or_model, str):
        return get(model_name_or_model), model_name_or_model
    return model_name_or_model, type(model_name_or_model).__name__


def convert_state_dict(src: Mapping[str, Any], model_name_or_model: Any) -> dict[str, np.ndarray]:
    """Map a timm/torchvision (or lucid) state dict to lucid names, checked against the model.

    ``src`` maps names to NumPy arrays (or torch/lucid tensors); ``model_name_or_model`` is a
    registered model name or a lucid model. The result is ready for ``model.load_state_dict``.
    Raises :class:`~lucid.io.state_dict.ConversionError` naming every missing, unexpected or
    mis-shaped tensor.
    """
    model, label = _resolve_model(model_name_or_model)
    return convert_with_report(src, model, label)[0]


def to_source_state_dict(model: Any) -> dict[str, np.ndarray]:
    """A lucid model's state dict as NumPy arrays under timm/torchvision names (the reverse map)."""
    keymap = key_map_for(model)
    out: dict[str, np.ndarray] = {}
    for key, value in model.state_dict().items():
        src_key = keymap.to_source(key)
        if src_key is None:
            raise ConversionError(f"lucid tensor {key!r} has no rule in the {keymap.naming} "
                                  "mapping table")
        out[src_key] = np.asarray(value.detach().numpy())
    return out


@dataclass
class ConvertedFile:
    """What :func:`convert_file` read, built and wrote."""

    source: WeightsFile
    model: Any
    model_name: str
    num_classes: int
    report: ConversionReport
    path: Path


def convert_file(model_name: str, src: str | os.PathLike[str], dst: str | os.PathLike[str], *,
                 num_classes: int | None = None, in_channels: int = 3) -> ConvertedFile:
    """Convert weights file ``src`` to a lucid checkpoint ``dst`` for model ``model_name``.

    ``dst`` is written as ``.safetensors`` or ``.npz`` according to its extension.
    ``num_classes`` defaults to the rows of the source's ``fc.weight`` (1000 without one).
    Nothing is written unless every tensor fits.
    """
    source = read_weights_file(src)
    if num_classes is None:  # the classifier is called fc.weight in every supported naming
        fc = source.arrays.get("fc.weight")
        num_classes = int(fc.shape[0]) if fc is not None and fc.ndim == 2 else 1000
    model = get(model_name, num_classes=num_classes, in_channels=in_channels)
    arrays, report = convert_with_report(source.arrays, model, model_name,
                                         naming="lucid" if source.is_lucid else None)
    name = model_entry(model_name).name
    path = checkpoint.save(arrays, dst, metadata={
        "model": name, "num_classes": num_classes, "in_channels": in_channels,
        "converted_from": os.path.basename(str(src)), "source_naming": report.naming})
    return ConvertedFile(source, model, name, num_classes, report, path)


__all__ = ["ConvertedFile", "convert_file", "convert_state_dict", "to_source_state_dict"]
